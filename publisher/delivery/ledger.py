"""The delivery ledger: which edition of which post went to whom, in the subscriber database.

An *edition* is one version of a post's built email (its digest) sent to the active subscribers
of its section at the moment it was created: their rows are written then, in one statement, so
the recipient list never lives in memory and does not shift under a send. Each row moves
`pending` → `sending` → `sent` (or `deferred`, `failed`, `skipped`), each step committed:
`sending` before a message is handed to the server, `sent` only after the server's 250 to the
end of DATA (in the same commit as the next message's `sending`). A row still `sending` when a
run starts was in flight when an earlier run died; it becomes `unknown`, is reported, and is
sent again only on request.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from publisher.subscribers.store import SubscriberStore

PAGE = 500  # recipients read per query
# what `--status` shows, in its order, and which ledger states each covers
STATUS_GROUPS = {
    "sent": ("sent",),
    "failed": ("failed",),
    "pending": ("pending", "deferred"),
    "unknown": ("unknown", "sending"),  # `sending` outside a run: it died with the message in flight
    "skipped": ("skipped",),
}


@dataclass(frozen=True)
class Edition:
    """One version of one post's email, and when it was first sent."""

    id: int
    slug: str
    number: int
    digest: str
    subject: str
    section: str
    created_at: str
    completed_at: str | None


@dataclass(frozen=True)
class Delivery:
    """One recipient still to be sent: the subscriber as they are now."""

    subscriber_id: int
    email: str
    name: str | None
    active: bool
    attempts: int


_EDITION = "id, slug, number, digest, subject, section, created_at, completed_at"


class Ledger:
    """Reads and writes the editions and deliveries tables through the subscriber store."""

    def __init__(self, store: SubscriberStore) -> None:
        self.store = store

    def latest(self, slug: str) -> Edition | None:
        with self.store.lock:
            row = self.store.connection.execute(
                f"SELECT {_EDITION} FROM editions WHERE slug = ? ORDER BY number DESC LIMIT 1", (slug,)
            ).fetchone()
        return Edition(*row) if row else None

    def editions(self, slug: str) -> list[Edition]:
        with self.store.lock:
            rows = self.store.connection.execute(
                f"SELECT {_EDITION} FROM editions WHERE slug = ? ORDER BY number", (slug,)
            ).fetchall()
        return [Edition(*row) for row in rows]

    def create(self, slug: str, digest: str, subject: str, section: str) -> Edition:
        """A new edition with a pending row for every active subscriber of `section`, atomically.

        What earlier editions of the post had not sent yet is skipped: the new one goes to everyone.
        """
        now = self.store.now()
        with self.store.transaction() as db:
            db.execute(
                "UPDATE deliveries SET status = 'skipped', updated_at = ?"
                " WHERE status IN ('pending', 'deferred')"
                " AND edition_id IN (SELECT id FROM editions WHERE slug = ?)",
                (now, slug),
            )
            number = db.execute("SELECT coalesce(max(number), 0) + 1 FROM editions WHERE slug = ?", (slug,))
            number = number.fetchone()[0]
            cursor = db.execute(
                "INSERT INTO editions (slug, number, digest, subject, section, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?)",
                (slug, number, digest, subject, section, now),
            )
            edition_id = cursor.lastrowid
            db.execute(
                "INSERT INTO deliveries (edition_id, subscriber_id, status, updated_at)"
                " SELECT ?, id, 'pending', ? FROM subscribers WHERE status = 'active'"
                " AND (sections IS NULL OR EXISTS (SELECT 1 FROM json_each(sections) WHERE value = ?))",
                (edition_id, now, section),
            )
        return Edition(edition_id, slug, number, digest, subject, section, now, None)  # type: ignore[arg-type]

    def recover(self, edition: Edition) -> int:
        """Rows left `sending` by a run that died become `unknown`; return how many."""
        with self.store.transaction() as db:
            cursor = db.execute(
                "UPDATE deliveries SET status = 'unknown', updated_at = ?"
                " WHERE edition_id = ? AND status = 'sending'",
                (self.store.now(), edition.id),
            )
        return cursor.rowcount

    def requeue(self, edition: Edition, unknown: bool) -> int:
        """Before a run: `deferred` rows (and `unknown` ones, if asked) become `pending` again."""
        states = ("deferred", "unknown") if unknown else ("deferred",)
        marks = ", ".join("?" for _ in states)
        with self.store.transaction() as db:
            cursor = db.execute(
                f"UPDATE deliveries SET status = 'pending' WHERE edition_id = ? AND status IN ({marks})",
                (edition.id, *states),
            )
        return cursor.rowcount

    def pending(self, edition: Edition) -> Iterator[Delivery]:
        """Every pending recipient in subscriber order, a page at a time."""
        last = 0
        while True:
            with self.store.lock:
                rows = self.store.connection.execute(
                    "SELECT d.subscriber_id, s.email, s.name, s.status = 'active', d.attempts"
                    " FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
                    " WHERE d.edition_id = ? AND d.status = 'pending' AND d.subscriber_id > ?"
                    f" ORDER BY d.subscriber_id LIMIT {PAGE}",
                    (edition.id, last),
                ).fetchall()
            for row in rows:
                yield Delivery(row[0], row[1], row[2], bool(row[3]), row[4])
            if len(rows) < PAGE:
                return
            last = rows[-1][0]

    def mark(self, edition: Edition, subscriber_id: int, status: str, reply: str | None = None) -> None:
        """Move one delivery to `status` in its own committed transaction."""
        attempt = 1 if status == "sending" else 0
        with self.store.lock:
            self.store.connection.execute(
                "UPDATE deliveries SET status = ?, reply = coalesce(?, reply), attempts = attempts + ?,"
                " updated_at = ? WHERE edition_id = ? AND subscriber_id = ?",
                (status, reply, attempt, self.store.now(), edition.id, subscriber_id),
            )

    def advance(self, edition: Edition, sent: int | None, sending: int | None) -> None:
        """One transaction: the delivery the server just accepted becomes `sent` and the next one
        `sending`. A connection's steady state costs one commit per message, and still has exactly
        one row `sending` at any moment."""
        now = self.store.now()
        with self.store.transaction() as db:
            if sent is not None:
                db.execute(
                    "UPDATE deliveries SET status = 'sent', updated_at = ?"
                    " WHERE edition_id = ? AND subscriber_id = ?",
                    (now, edition.id, sent),
                )
            if sending is not None:
                db.execute(
                    "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, updated_at = ?"
                    " WHERE edition_id = ? AND subscriber_id = ?",
                    (now, edition.id, sending),
                )

    def bounced(self, edition: Edition, subscriber_id: int, reply: str) -> None:
        """The address does not exist: the delivery failed and the subscriber is marked bounced."""
        with self.store.transaction():
            self.mark(edition, subscriber_id, "failed", reply)
            self.store.set_status(subscriber_id, "bounced")

    def counts(self, edition: Edition) -> dict[str, int]:
        """Deliveries per ledger state (every state present)."""
        with self.store.lock:
            rows = self.store.connection.execute(
                "SELECT status, count(*) FROM deliveries WHERE edition_id = ? GROUP BY status", (edition.id,)
            ).fetchall()
        found = dict(rows)
        states = [state for group in STATUS_GROUPS.values() for state in group]
        return {state: found.get(state, 0) for state in states}

    def grouped(self, edition: Edition) -> dict[str, int]:
        """`sent`, `failed`, `pending`, `unknown`, `skipped`: what `--status` shows."""
        counts = self.counts(edition)
        return {group: sum(counts[s] for s in states) for group, states in STATUS_GROUPS.items()}

    def problems(self, edition: Edition, limit: int = 20) -> list[tuple[str, str, str]]:
        """(address, state, last reply) of failed, deferred and unknown deliveries."""
        with self.store.lock:
            rows = self.store.connection.execute(
                "SELECT s.email, d.status, coalesce(d.reply, '') FROM deliveries d"
                " JOIN subscribers s ON s.id = d.subscriber_id WHERE d.edition_id = ?"
                " AND d.status IN ('failed', 'deferred', 'unknown') ORDER BY d.subscriber_id LIMIT ?",
                (edition.id, limit),
            ).fetchall()
        return [(row[0], row[1], row[2]) for row in rows]

    def complete(self, edition: Edition) -> None:
        """Record that nothing is left to send (only once)."""
        with self.store.lock:
            self.store.connection.execute(
                "UPDATE editions SET completed_at = coalesce(completed_at, ?) WHERE id = ?",
                (self.store.now(), edition.id),
            )
