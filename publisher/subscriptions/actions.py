"""What each request does to the subscriber list, as plain functions over the store.

They run on the service's one writer thread (see `app.py`), never in parallel, and decide what
email, if any, goes out; the request handlers answer the same whatever they decide, so the
answer never tells whether an address is on the list.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from publisher.subscribers.store import AlreadySubscribed, Subscriber, SubscriberStore

SOURCE = "subscription form"


class Mail(enum.Enum):
    """Which email a sign-up calls for."""

    NONE = "none"
    CONFIRM = "confirm"  # a new or returning reader: confirm the address
    ALREADY = "already"  # already subscribed: say so, with the preferences link


@dataclass(frozen=True)
class SignUp:
    mail: Mail
    subscriber_id: int | None = None
    email: str | None = None


def sign_up(store: SubscriberStore, email: str, name: str | None, sections: tuple[str, ...] | None) -> SignUp:
    """Record a sign-up as pending (new or returning readers) and say which email it needs.

    An active subscriber's sections are not changed by a form anyone can post: they get a note
    with their preferences link instead. Bounced and complained addresses get nothing.
    """
    with store.transaction():
        existing = store.find(email)
        if existing is None:
            try:
                added = store.add(email, name=name, status="pending", sections=sections, source=SOURCE)
            except AlreadySubscribed as exc:  # pragma: no cover - find() and add() share the lock
                existing = exc.existing
            else:
                return SignUp(Mail.CONFIRM, added.id, added.email)
        return _returning(store, existing, name, sections)


def _returning(
    store: SubscriberStore, existing: Subscriber, name: str | None, sections: tuple[str, ...] | None
) -> SignUp:
    if existing.status == "active":
        return SignUp(Mail.ALREADY, existing.id, existing.email)
    if existing.status in ("pending", "unsubscribed"):
        if existing.status == "unsubscribed":
            store.set_status(existing.id, "pending")
        store.set_sections(existing.id, sections)
        if name:
            store.set_name(existing.id, name)
        return SignUp(Mail.CONFIRM, existing.id, existing.email)
    return SignUp(Mail.NONE)  # bounced or complained: mailing them again harms every other reader


def confirm(store: SubscriberStore, subscriber_id: int) -> Subscriber | None:
    """Activate a pending subscriber; None when the link's subscriber cannot be activated.

    Confirming twice is harmless. A reader who unsubscribed (or bounced) since the link was sent
    is not brought back by an old link: they sign up again for a new one.
    """
    with store.transaction():
        found = store.get(subscriber_id)
        if found is None or found.status not in ("pending", "active"):
            return None
        if found.status == "pending":
            found = store.set_status(subscriber_id, "active")
        return found


def unsubscribe(store: SubscriberStore, subscriber_id: int) -> bool:
    """Unsubscribe; true when the subscriber exists. Idempotent: the first date is kept."""
    with store.transaction():
        found = store.get(subscriber_id)
        if found is None:
            return False
        if found.status in ("pending", "active"):
            store.set_status(subscriber_id, "unsubscribed")
        return True


def choose_sections(store: SubscriberStore, subscriber_id: int, sections: tuple[str, ...] | None) -> bool:
    """Set an active subscriber's sections (None: all, including future ones); false otherwise."""
    with store.transaction():
        found = store.get(subscriber_id)
        if found is None or found.status != "active":
            return False
        store.set_sections(subscriber_id, sections)
        return True


def lookup(store: SubscriberStore, subscriber_id: int) -> Subscriber | None:
    return store.get(subscriber_id)
