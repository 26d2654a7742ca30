"""Signed per-subscriber tokens: what they accept and what they refuse."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from itsdangerous import URLSafeTimedSerializer

from publisher.subscribers import tokens
from publisher.subscribers.tokens import (
    BadToken,
    MissingSecret,
    make_token,
    read_token,
    secret_from_environment,
)

SECRET = "correct horse battery staple, twice over"


@settings(max_examples=50, deadline=None)
@given(subscriber_id=st.integers(min_value=1, max_value=2**53))
def test_a_token_reads_back_as_its_subscriber_and_is_url_safe(subscriber_id: int) -> None:
    for purpose in ("unsubscribe", "preferences", "confirm"):
        token = make_token(SECRET, purpose, subscriber_id)
        assert read_token(SECRET, purpose, token) == subscriber_id
        assert all(c.isalnum() or c in "-_." for c in token)


@settings(max_examples=50, deadline=None)
@given(position=st.integers(min_value=0), replacement=st.sampled_from("AbZ09-_"))
def test_a_changed_character_never_reads_as_another_subscriber(position: int, replacement: str) -> None:
    token = make_token(SECRET, "unsubscribe", 42)
    index = position % len(token)
    tampered = token[:index] + replacement + token[index + 1 :]
    try:
        value = read_token(SECRET, "unsubscribe", tampered)
    except BadToken:
        return
    # base64 ignores the spare low bits at the end of each part, so a few changes decode the same
    assert value == 42


def test_another_purpose_another_secret_or_a_forged_token_is_refused() -> None:
    token = make_token(SECRET, "unsubscribe", 7)
    with pytest.raises(BadToken):
        read_token(SECRET, "confirm", token)
    with pytest.raises(BadToken):
        read_token("another secret of enough length", "unsubscribe", token)
    forged = URLSafeTimedSerializer("guess", salt="publisher.subscribers.unsubscribe").dumps(7)
    with pytest.raises(BadToken):
        read_token(SECRET, "unsubscribe", forged)
    for junk in ("", "abc", "a.b.c", "🙂"):
        with pytest.raises(BadToken):
            read_token(SECRET, "unsubscribe", junk)


def test_confirmation_links_expire_and_unsubscribe_links_do_not(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("time.time", lambda: 1_700_000_000)
    confirm = make_token(SECRET, "confirm", 3)
    unsubscribe = make_token(SECRET, "unsubscribe", 3)
    later = 1_700_000_000 + tokens.CONFIRM_MAX_AGE + 1
    monkeypatch.setattr("time.time", lambda: later)
    with pytest.raises(BadToken, match="not valid or has expired"):
        read_token(SECRET, "confirm", confirm)
    assert read_token(SECRET, "confirm", confirm, max_age=tokens.CONFIRM_MAX_AGE * 2) == 3
    assert read_token(SECRET, "unsubscribe", unsubscribe) == 3


def test_only_subscriber_ids_are_accepted() -> None:
    for value in ("7", True, 0, -1, [7]):
        token = URLSafeTimedSerializer(SECRET, salt="publisher.subscribers.unsubscribe").dumps(value)
        with pytest.raises(BadToken):
            read_token(SECRET, "unsubscribe", token)
    with pytest.raises(ValueError, match="unknown token purpose 'login'"):
        make_token(SECRET, "login", 1)


def test_the_secret_comes_from_the_environment() -> None:
    assert secret_from_environment({"PUBLISHER_SECRET": SECRET}) == SECRET
    with pytest.raises(MissingSecret, match=r"^PUBLISHER_SECRET is not set: set it to a long random value"):
        secret_from_environment({})
    with pytest.raises(MissingSecret, match=r"^PUBLISHER_SECRET is shorter than 16 characters"):
        secret_from_environment({"PUBLISHER_SECRET": "short"})
