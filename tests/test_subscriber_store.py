"""The subscriber database: a real SQLite file in a temp folder."""

from __future__ import annotations

import contextlib
import sqlite3
import stat
import threading
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from publisher.subscribers.addresses import InvalidAddress, normalise
from publisher.subscribers.schema import VERSION, NewerDatabase
from publisher.subscribers.store import AlreadySubscribed, SubscriberStore, UnknownSubscriber

NOW = datetime(2026, 3, 17, 11, 0, tzinfo=UTC)


@pytest.fixture
def store(tmp_path: Path) -> SubscriberStore:
    return SubscriberStore.open(tmp_path / ".publisher", clock=lambda: NOW)


def test_the_database_is_private_ignored_by_git_in_wal_mode_and_versioned(tmp_path: Path) -> None:
    folder = tmp_path / ".publisher"
    with SubscriberStore.open(folder) as store:
        assert store.connection.execute("PRAGMA journal_mode").fetchone() == ("wal",)
    database = folder / "subscribers.sqlite3"
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert (folder / ".gitignore").read_text().splitlines()[-1] == "*"
    assert sqlite3.connect(database).execute("PRAGMA user_version").fetchone() == (VERSION,)


def test_a_database_from_a_newer_publisher_is_refused(tmp_path: Path) -> None:
    SubscriberStore.open(tmp_path).close()
    with sqlite3.connect(tmp_path / "subscribers.sqlite3") as db:
        db.execute(f"PRAGMA user_version = {VERSION + 1}")
    with pytest.raises(NewerDatabase, match="newer than this publisher's"):
        SubscriberStore.open(tmp_path)


def test_add_normalises_and_refuses_duplicates_whatever_their_case(store: SubscriberStore) -> None:
    ada = store.add("  Ada@Example.ORG ", name=" Ada \n Lovelace ", source="cli")
    assert (ada.id, ada.email, ada.name, ada.status, ada.sections) == (
        1,
        "Ada@example.org",
        "Ada Lovelace",
        "active",
        None,
    )
    assert (ada.created_at, ada.confirmed_at, ada.unsubscribed_at, ada.source) == (
        "2026-03-17T11:00:00Z",
        "2026-03-17T11:00:00Z",
        None,
        "cli",
    )
    with pytest.raises(AlreadySubscribed) as duplicate:
        store.add("ADA@example.org")
    assert duplicate.value.existing == ada
    assert store.find("ada@EXAMPLE.org") == ada
    assert store.get(ada.id) == ada
    assert store.find("nobody@example.org") is None


@pytest.mark.parametrize(
    ("address", "message"),
    [
        ("", "is empty"),
        ("no-at-sign", "an email address must have an @-sign."),
        ("two@@example.org", "the part after the @-sign contains invalid characters: '@'."),
        ("dots..in@example.org", "an email address cannot have two periods in a row."),
        ("someone@localhost", "the part after the @-sign is not valid. It should have a period."),
    ],
)
def test_bad_addresses_say_why(address: str, message: str) -> None:
    with pytest.raises(InvalidAddress) as error:
        normalise(address)
    assert str(error.value) == message


def test_status_changes_keep_their_dates(store: SubscriberStore) -> None:
    pending = store.add("bo@example.org", status="pending")
    assert pending.confirmed_at is None
    active = store.set_status(pending.id, "active", at="2026-03-18T09:00:00Z")
    assert (active.status, active.confirmed_at) == ("active", "2026-03-18T09:00:00Z")
    gone = store.set_status(pending.id, "unsubscribed", at="2026-04-01T00:00:00Z")
    assert (gone.status, gone.confirmed_at, gone.unsubscribed_at) == (
        "unsubscribed",
        "2026-03-18T09:00:00Z",
        "2026-04-01T00:00:00Z",
    )
    back = store.set_status(pending.id, "active")
    assert (back.unsubscribed_at, back.confirmed_at) == (None, "2026-03-18T09:00:00Z")
    with pytest.raises(ValueError, match="unknown status 'gone'"):
        store.set_status(pending.id, "gone")
    with pytest.raises(UnknownSubscriber):
        store.set_status(999, "active")


def test_sections_choose_who_gets_a_post(store: SubscriberStore) -> None:
    everything = store.add("all@example.org")
    playbooks = store.add("play@example.org", sections=["playbooks"])
    both = store.add("both@example.org", sections=["insights", "analyses", "insights"])
    store.add("left@example.org", status="unsubscribed")
    store.add("bounced@example.org", status="bounced")
    assert both.sections == ("analyses", "insights")
    assert [s.email for s in store.active("analyses")] == ["all@example.org", "both@example.org"]
    assert [s.email for s in store.active("playbooks")] == ["all@example.org", "play@example.org"]
    assert store.count(status="active", section="insights") == 2
    assert store.counts() == {"pending": 0, "active": 3, "unsubscribed": 1, "bounced": 1, "complained": 0}
    assert store.set_sections(playbooks.id, None).wants("analyses")
    assert not store.set_sections(everything.id, []).wants("analyses")
    with pytest.raises(ValueError, match=r"'\.\./x' is not a section folder"):
        store.set_sections(everything.id, ["../x"])


def test_streaming_reads_pages_not_the_whole_list(
    store: SubscriberStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("publisher.subscribers.store.PAGE", 3)
    with store.transaction():
        for number in range(10):
            store.add(f"reader{number}@example.org")
    assert [s.email for s in store.active("analyses")] == [f"reader{n}@example.org" for n in range(10)]


def test_a_failed_transaction_leaves_nothing(store: SubscriberStore) -> None:
    with pytest.raises(InvalidAddress), store.transaction():
        store.add("first@example.org")
        store.add("not an address")
    assert store.count() == 0


def test_remove_deletes_the_row(store: SubscriberStore) -> None:
    ada = store.add("ada@example.org")
    store.remove(ada.id)
    assert store.get(ada.id) is None
    assert store.count() == 0


def test_threads_share_one_store(store: SubscriberStore) -> None:
    def add(start: int) -> None:
        for number in range(start, start + 25):
            store.add(f"t{number}@example.org")

    threads = [threading.Thread(target=add, args=(n * 25,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert store.count() == 100


def test_two_processes_worth_of_connections_see_each_others_writes(tmp_path: Path) -> None:
    first = SubscriberStore.open(tmp_path)
    second = SubscriberStore.open(tmp_path)
    first.add("ada@example.org")
    assert second.find("ADA@example.org") is not None
    with pytest.raises(AlreadySubscribed):
        second.add("ada@example.org")


local = st.from_regex(r"[a-z0-9]([a-z0-9._+-]{0,20}[a-z0-9])?", fullmatch=True).filter(
    lambda s: ".." not in s
)
domain = st.from_regex(r"[a-z]{1,10}\.(org|com|net)", fullmatch=True)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(addresses=st.lists(st.tuples(local, domain, st.booleans()), min_size=1, max_size=15))
def test_one_row_per_address_whatever_the_case(
    tmp_path_factory: pytest.TempPathFactory, addresses: list
) -> None:
    store = SubscriberStore.open(tmp_path_factory.mktemp("db"))
    distinct = set()
    for name, host, shout in addresses:
        address = f"{name}@{host}"
        with contextlib.suppress(AlreadySubscribed):
            store.add(address.upper() if shout else address)
        distinct.add(address.lower())
    assert store.count() == len(distinct)
    store.close()
