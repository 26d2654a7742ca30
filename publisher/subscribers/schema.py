"""The subscriber database's tables, as numbered migrations applied in order.

`PRAGMA user_version` holds how many have been applied, so a database made by an older
publisher is brought up to date when it is opened and a newer one is refused. The delivery
ledger lives in the same file (one transaction can then cover a send and a status change),
so its tables are declared here too. Append new migrations; never edit an applied one.
"""

from __future__ import annotations

import sqlite3

MIGRATIONS: tuple[str, ...] = (
    # 1: subscribers, editions of a post and one delivery row per (edition, subscriber)
    """
    CREATE TABLE subscribers (
        id INTEGER PRIMARY KEY,
        email TEXT NOT NULL,
        email_key TEXT NOT NULL UNIQUE,
        name TEXT,
        status TEXT NOT NULL
            CHECK (status IN ('pending', 'active', 'unsubscribed', 'bounced', 'complained')),
        sections TEXT CHECK (sections IS NULL OR json_valid(sections)),
        created_at TEXT NOT NULL,
        confirmed_at TEXT,
        unsubscribed_at TEXT,
        updated_at TEXT NOT NULL,
        source TEXT
    );
    CREATE INDEX subscribers_status ON subscribers (status, id);
    CREATE TABLE editions (
        id INTEGER PRIMARY KEY,
        slug TEXT NOT NULL,
        number INTEGER NOT NULL,
        digest TEXT NOT NULL,
        subject TEXT NOT NULL,
        section TEXT NOT NULL,
        created_at TEXT NOT NULL,
        completed_at TEXT,
        UNIQUE (slug, number)
    );
    CREATE TABLE deliveries (
        edition_id INTEGER NOT NULL REFERENCES editions (id) ON DELETE CASCADE,
        subscriber_id INTEGER NOT NULL REFERENCES subscribers (id) ON DELETE CASCADE,
        status TEXT NOT NULL DEFAULT 'pending'
            CHECK (status IN ('pending', 'sending', 'sent', 'deferred', 'failed', 'unknown', 'skipped')),
        attempts INTEGER NOT NULL DEFAULT 0,
        reply TEXT,
        updated_at TEXT,
        PRIMARY KEY (edition_id, subscriber_id)
    ) WITHOUT ROWID;
    """,
)

VERSION = len(MIGRATIONS)


class NewerDatabase(Exception):
    """The database was made by a newer publisher than this one."""


def migrate(connection: sqlite3.Connection) -> None:
    """Apply the migrations the database lacks, each in its own transaction.

    The version is read again inside each write transaction, so two processes opening a new
    database at once do not both apply the same migration.
    """
    while True:
        connection.execute("BEGIN IMMEDIATE")
        try:
            current = connection.execute("PRAGMA user_version").fetchone()[0]
            if current > VERSION:
                raise NewerDatabase(f"schema version {current} is newer than this publisher's {VERSION}")
            if current == VERSION:
                connection.execute("COMMIT")
                return
            # executescript would commit first; run the statements one by one inside the transaction
            for statement in _statements(MIGRATIONS[current]):
                connection.execute(statement)
            connection.execute(f"PRAGMA user_version = {current + 1}")
            connection.execute("COMMIT")
        except BaseException:
            connection.execute("ROLLBACK")
            raise


def _statements(script: str) -> list[str]:
    statements, current = [], ""
    for line in script.splitlines(keepends=True):
        current += line
        if sqlite3.complete_statement(current):
            statements.append(current.strip())
            current = ""
    return [s for s in statements if s]
