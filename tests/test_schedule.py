"""Scheduled posts: dated in the future, left out until their date or --future."""

from __future__ import annotations

import pytest
from conftest import Publication

BEFORE = "1767225599"  # 2025-12-31T23:59:59Z
AFTER = "1767312000"  # 2026-01-02T00:00:00Z


@pytest.fixture
def scheduled(publication: Publication) -> Publication:
    publication.post("insights/now.md", title="Already out", date="2025-06-01")
    publication.post("insights/later.md", title="Scheduled", date="2026-01-01T09:00:00-05:00")
    return publication


def test_source_date_epoch_moves_a_scheduled_post_in_and_out(
    scheduled: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    site = scheduled.out / "site"
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BEFORE)
    assert scheduled.build().exit_code == 0
    assert not (site / "p/later").exists()
    assert "Scheduled" not in (site / "index.html").read_text()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", AFTER)
    result = scheduled.build()
    assert result.exit_code == 0
    assert result.stdout.startswith("Built 2 posts")
    assert (site / "p/later/index.html").is_file()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BEFORE)
    assert scheduled.build("--future").exit_code == 0
    assert (site / "p/later/index.html").is_file()


def test_linking_to_a_scheduled_post_says_when(
    scheduled: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", BEFORE)
    scheduled.post("insights/teaser.md", title="Teaser", date="2025-06-02", related="[later]")
    result = scheduled.build()
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "posts/insights/teaser.md:4: related: 'later' is scheduled for 2026-01-01T09:00:00-05:00: "
        "build with --future to include it"
    )


def test_bad_source_date_epoch_is_a_usage_error(
    scheduled: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "yesterday")
    result = scheduled.build()
    assert result.exit_code == 2
    assert "SOURCE_DATE_EPOCH='yesterday' is not a number of seconds since 1970" in result.stderr
