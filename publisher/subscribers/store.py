"""The subscriber database: one SQLite file in the data folder, in WAL mode.

One `SubscriberStore` holds one connection, shared by the threads of one process under a lock
(SQLite allows one writer at a time anyway); other processes, such as the subscription service
while a send runs, wait for each other through SQLite's busy timeout. Every write is its own
transaction unless it runs inside `transaction()`, which makes a whole import all or nothing.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import threading
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from publisher.subscribers.addresses import address_key, normalise
from publisher.subscribers.schema import migrate

DATABASE_NAME = "subscribers.sqlite3"
STATUSES = ("pending", "active", "unsubscribed", "bounced", "complained")
SECTION_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
BUSY_TIMEOUT = 30.0  # seconds to wait for another process's write to finish
PAGE = 1000  # subscribers read per query when streaming

_COLUMNS = "id, email, name, status, sections, created_at, confirmed_at, unsubscribed_at, updated_at, source"


@dataclass(frozen=True)
class Subscriber:
    """One row of the list. `sections` is None for "every section"."""

    id: int
    email: str
    name: str | None
    status: str
    sections: tuple[str, ...] | None
    created_at: str
    confirmed_at: str | None
    unsubscribed_at: str | None
    updated_at: str
    source: str | None

    def wants(self, section: str) -> bool:
        return self.sections is None or section in self.sections


class AlreadySubscribed(Exception):
    """`add` found the address (case-insensitively) already on the list."""

    def __init__(self, existing: Subscriber) -> None:
        super().__init__(f"{existing.email} is already on the list ({existing.status}).")
        self.existing = existing


class UnknownSubscriber(LookupError):
    """No subscriber has that id."""


def timestamp(moment: datetime | None = None) -> str:
    """`2026-03-17T11:00:00Z`: UTC, to the second, sortable as text."""
    moment = (moment or datetime.now(UTC)).astimezone(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


class SubscriberStore:
    """The list, and the connection the delivery ledger shares."""

    def __init__(self, path: Path, clock: Callable[[], datetime] | None = None) -> None:
        self.path = path
        self._clock = clock or (lambda: datetime.now(UTC))
        self.lock = threading.RLock()
        self._depth = 0
        self.connection = sqlite3.connect(
            path, timeout=BUSY_TIMEOUT, isolation_level=None, check_same_thread=False
        )
        self.connection.execute("PRAGMA journal_mode = WAL")
        # NORMAL in WAL mode: a commit survives the process being killed (it is in the OS's
        # cache); only an operating-system crash can lose the last commits.
        self.connection.execute("PRAGMA synchronous = NORMAL")
        self.connection.execute("PRAGMA foreign_keys = ON")
        migrate(self.connection)

    @classmethod
    def open(cls, data_dir: Path, clock: Callable[[], datetime] | None = None) -> SubscriberStore:
        """Open (creating if needed) `<data_dir>/subscribers.sqlite3`, readable only by its owner."""
        prepare_data_dir(data_dir)
        path = data_dir / DATABASE_NAME
        if not path.exists():
            os.close(os.open(path, os.O_CREAT | os.O_WRONLY, 0o600))
        return cls(path, clock)

    def close(self) -> None:
        with self.lock:
            self.connection.close()

    def __enter__(self) -> SubscriberStore:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def now(self) -> str:
        return timestamp(self._clock())

    @contextmanager
    def transaction(self) -> Iterator[sqlite3.Connection]:
        """One write transaction; nested calls join the outer one. Rolled back on any exception."""
        with self.lock:
            if self._depth:
                self._depth += 1
                try:
                    yield self.connection
                finally:
                    self._depth -= 1
                return
            self.connection.execute("BEGIN IMMEDIATE")
            self._depth = 1
            try:
                yield self.connection
            except BaseException:
                self._depth = 0
                self.connection.execute("ROLLBACK")
                raise
            self._depth = 0
            self.connection.execute("COMMIT")

    # -- reading

    def get(self, subscriber_id: int) -> Subscriber | None:
        with self.lock:
            row = self.connection.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE id = ?", (subscriber_id,)
            ).fetchone()
        return _subscriber(row) if row else None

    def find(self, email: str) -> Subscriber | None:
        """The subscriber with this address, compared without case; None if there is none."""
        with self.lock:
            row = self.connection.execute(
                f"SELECT {_COLUMNS} FROM subscribers WHERE email_key = ?", (address_key(email.strip()),)
            ).fetchone()
        return _subscriber(row) if row else None

    def count(self, status: str | None = None, section: str | None = None) -> int:
        where, args = _filter(status, section)
        with self.lock:
            return self.connection.execute(f"SELECT count(*) FROM subscribers {where}", args).fetchone()[0]

    def counts(self) -> dict[str, int]:
        """How many subscribers have each status (every status present, zeros included)."""
        with self.lock:
            rows = self.connection.execute("SELECT status, count(*) FROM subscribers GROUP BY status")
            found = dict(rows.fetchall())
        return {status: found.get(status, 0) for status in STATUSES}

    def all(self, status: str | None = None, section: str | None = None) -> Iterator[Subscriber]:
        """Subscribers in id order, read a page at a time so a long list is never held in memory."""
        last = 0
        while True:
            where, args = _filter(status, section, after=last)
            with self.lock:
                rows = self.connection.execute(
                    f"SELECT {_COLUMNS} FROM subscribers {where} ORDER BY id LIMIT {PAGE}", args
                ).fetchall()
            yield from (_subscriber(row) for row in rows)
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    def active(self, section: str) -> Iterator[Subscriber]:
        """Everyone who should get a post of `section`: active, and subscribed to it or to all."""
        return self.all(status="active", section=section)

    # -- writing

    def add(
        self,
        email: str,
        name: str | None = None,
        status: str = "active",
        sections: list[str] | tuple[str, ...] | None = None,
        source: str | None = None,
        created_at: str | None = None,
        confirmed_at: str | None = None,
        unsubscribed_at: str | None = None,
    ) -> Subscriber:
        """Add one subscriber; raise `InvalidAddress` or `AlreadySubscribed`.

        `confirmed_at` defaults to now for an active subscriber, `unsubscribed_at` to now for an
        unsubscribed one; importers pass the dates the old service recorded.
        """
        _check_status(status)
        address = normalise(email)
        now = self.now()
        if status == "active" and confirmed_at is None:
            confirmed_at = now
        if status == "unsubscribed" and unsubscribed_at is None:
            unsubscribed_at = now
        with self.transaction() as db:
            existing = self.find(address)
            if existing is not None:
                raise AlreadySubscribed(existing)
            cursor = db.execute(
                "INSERT INTO subscribers (email, email_key, name, status, sections, created_at,"
                " confirmed_at, unsubscribed_at, updated_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    address,
                    address_key(address),
                    _clean_name(name),
                    status,
                    _sections_json(sections),
                    created_at or now,
                    confirmed_at,
                    unsubscribed_at,
                    now,
                    source,
                ),
            )
            subscriber_id = cursor.lastrowid
        assert subscriber_id is not None
        return self._require(subscriber_id)

    def set_status(self, subscriber_id: int, status: str, at: str | None = None) -> Subscriber:
        """Change a status and the date that goes with it (confirmed or unsubscribed)."""
        _check_status(status)
        at = at or self.now()
        with self.transaction() as db:
            self._require(subscriber_id)
            db.execute(
                "UPDATE subscribers SET status = ?, updated_at = ?,"
                " confirmed_at = CASE WHEN ? = 'active' THEN coalesce(confirmed_at, ?) ELSE confirmed_at END,"
                " unsubscribed_at = CASE WHEN ? = 'unsubscribed' THEN ?"
                "   WHEN ? IN ('active', 'pending') THEN NULL ELSE unsubscribed_at END"
                " WHERE id = ?",
                (status, self.now(), status, at, status, at, status, subscriber_id),
            )
        return self._require(subscriber_id)

    def set_sections(self, subscriber_id: int, sections: list[str] | tuple[str, ...] | None) -> Subscriber:
        """Choose the sections a subscriber gets; None for all of them (also those added later)."""
        value = _sections_json(sections)
        with self.transaction() as db:
            self._require(subscriber_id)
            db.execute(
                "UPDATE subscribers SET sections = ?, updated_at = ? WHERE id = ?",
                (value, self.now(), subscriber_id),
            )
        return self._require(subscriber_id)

    def set_name(self, subscriber_id: int, name: str | None) -> Subscriber:
        with self.transaction() as db:
            self._require(subscriber_id)
            db.execute(
                "UPDATE subscribers SET name = ?, updated_at = ? WHERE id = ?",
                (_clean_name(name), self.now(), subscriber_id),
            )
        return self._require(subscriber_id)

    def remove(self, subscriber_id: int) -> None:
        """Delete the subscriber and their delivery records: nothing of them is kept."""
        with self.transaction() as db:
            self._require(subscriber_id)
            db.execute("DELETE FROM subscribers WHERE id = ?", (subscriber_id,))

    def _require(self, subscriber_id: int) -> Subscriber:
        found = self.get(subscriber_id)
        if found is None:
            raise UnknownSubscriber(f"no subscriber has the id {subscriber_id}")
        return found


def prepare_data_dir(data_dir: Path) -> None:
    """Create the data folder for the owner only, with a `.gitignore` that keeps it out of git."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    ignore = data_dir / ".gitignore"
    if not ignore.exists():
        ignore.write_text("# subscriber data: never commit it\n*\n", encoding="utf-8")


def _filter(status: str | None, section: str | None, after: int = 0) -> tuple[str, list[object]]:
    clauses, args = ["id > ?"], [after]
    if status is not None:
        _check_status(status)
        clauses.append("status = ?")
        args.append(status)
    if section is not None:
        clauses.append("(sections IS NULL OR EXISTS (SELECT 1 FROM json_each(sections) WHERE value = ?))")
        args.append(section)
    return "WHERE " + " AND ".join(clauses), args


def _subscriber(row: tuple) -> Subscriber:
    sections = tuple(json.loads(row[4])) if row[4] is not None else None
    return Subscriber(row[0], row[1], row[2], row[3], sections, *row[5:])


def _check_status(status: str) -> None:
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r} (one of {', '.join(STATUSES)})")


def _sections_json(sections: list[str] | tuple[str, ...] | None) -> str | None:
    if sections is None:
        return None
    for folder in sections:
        if not SECTION_RE.match(folder):
            raise ValueError(f"{folder!r} is not a section folder")
    return json.dumps(sorted(set(sections)))


def _clean_name(name: str | None) -> str | None:
    """A display name on one line without control characters (it reaches a `To` header), or None."""
    if name is None:
        return None
    name = "".join(c for c in name if unicodedata.category(c) != "Cc" or c.isspace())
    name = " ".join(name.split())
    return name or None
