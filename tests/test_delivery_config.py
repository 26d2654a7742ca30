"""`[delivery]` and `[subscriptions]` in publication.toml: checked on load, with file, line and key."""

from __future__ import annotations

import pytest
from conftest import Publication


def check(publication: Publication, table: str) -> list[str]:
    config = publication.root / "publication.toml"
    config.write_text(config.read_text() + "\n" + table.strip() + "\n")
    result = publication.build()
    return result.stderr.splitlines() if result.exit_code else []


@pytest.mark.parametrize(
    ("table", "key", "message"),
    [
        (
            '[delivery]\nsmtp_url = "smtp://news:hunter2@mail.example.org:587"',
            "delivery.smtp_url",
            "must not hold the password: set PUBLISHER_SMTP_PASSWORD in the environment",
        ),
        (
            '[delivery]\nsmtp_url = "http://mail.example.org"',
            "delivery.smtp_url",
            "must be smtp://user@host:587 (STARTTLS) or smtps://user@host:465",
        ),
        ("[delivery]\nrate = 0", "delivery.rate", "must be more than 0"),
        ("[delivery]\nconnections = 0", "delivery.connections", "must be at least 1"),
        ("[delivery]\nretries = -1", "delivery.retries", "must be 0 or more"),
        (
            '[delivery]\ndata_dir = "posts/private"',
            "delivery.data_dir",
            "must not be inside posts/, templates/ or the output: it would be published",
        ),
        (
            '[delivery]\ndkim_selector = "a b"',
            "delivery.dkim_selector",
            "must be a DNS name, e.g. news2026 or example.org",
        ),
        (
            '[subscriptions]\nurl = "http://subscribe.example.org"',
            "subscriptions.url",
            "must be an https:// URL without ? or #, e.g. https://subscribe.example.org",
        ),
        (
            '[subscriptions]\nurl = "https://subscribe.example.org/?id=1"',
            "subscriptions.url",
            "must be an https:// URL without ? or #, e.g. https://subscribe.example.org",
        ),
    ],
)
def test_bad_settings_name_their_line(publication: Publication, table: str, key: str, message: str) -> None:
    lines = check(publication, table)
    config = (publication.root / "publication.toml").read_text().splitlines()
    line = len(config)
    assert lines[0] == f"publication.toml:{line}: {key}: {message}"


def test_good_settings_build(publication: Publication) -> None:
    table = """
    [delivery]
    smtp_url = "smtps://apikey@smtp.example.org:465"
    rate = 14
    retry_delay = 0.5
    data_dir = "/var/lib/publisher/civic-ledger"

    [subscriptions]
    url = "https://subscribe.civicledger.example/"
    """
    assert check(publication, "\n".join(line.strip() for line in table.splitlines())) == []
