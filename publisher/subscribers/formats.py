"""Subscriber exports of other services, recognised by their header names.

Each service names its columns differently and says "unsubscribed" in its own way; a `Format`
knows one service's columns and turns one of its rows into a `Row` in this list's terms. The
formats are tried in order, the most specific first; a CSV with just an `email` column is the
last resort. Sources: Ghost's members CSV (`@tryghost/members-csv`), Substack's `email_list*.csv`
(as TryGhost/migrate's Substack importer reads it), Mailchimp's audience export
(`subscribed_*.csv`, `unsubscribed_*.csv`, `cleaned_*.csv`), Buttondown's subscriber and
unsubscriber exports, listmonk's subscriber export, and this list's own `subscribers export`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from publisher.subscribers.store import STATUSES, timestamp

Record = dict[str, str]  # a CSV row, keyed by header name in lowercase, values stripped


class BadValue(ValueError):
    """A cell that cannot be read; `column` is the header it is under."""

    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


@dataclass(frozen=True)
class Row:
    """One subscriber as the export describes them; None where it says nothing."""

    email: str
    name: str | None = None
    status: str = "active"
    sections: tuple[str, ...] | None = None
    created_at: str | None = None
    confirmed_at: str | None = None
    unsubscribed_at: str | None = None
    skip: str | None = None  # why this row is left out on purpose (e.g. a deletion request)


@dataclass(frozen=True)
class Format:
    """One service's export: how to recognise its header and read its rows."""

    name: str  # as the import summary says it, e.g. "a Ghost members export"
    key: str  # the `source` recorded for imported subscribers
    recognise: Callable[[set[str]], bool]
    read: Callable[[Record], Row]


def _email(record: Record, *columns: str) -> str:
    for column in columns:
        if record.get(column):
            return record[column]
    return ""


def _true(value: str | None) -> bool:
    return (value or "").strip().lower() in ("true", "1", "yes", "y", "t")


def parse_date(column: str, value: str | None) -> str | None:
    """An export's date as `YYYY-MM-DDTHH:MM:SSZ`; a date without an offset is taken as UTC."""
    value = (value or "").strip()
    if not value:
        return None
    text = value.replace("Z", "+00:00").replace("z", "+00:00")
    text = re.sub(r"^(\d{4}-\d\d-\d\d) (\d)", r"\1T\2", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise BadValue(column, f"{value!r} is not a date such as 2024-05-01T09:30:00Z") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return timestamp(moment)


def _name(*parts: str | None) -> str | None:
    name = " ".join(p.strip() for p in parts if p and p.strip())
    return name or None


# -- this list's own export


OWN_COLUMNS = ("email", "name", "status", "sections", "created_at", "confirmed_at", "unsubscribed_at")


def _read_own(record: Record) -> Row:
    status = record.get("status") or "active"
    if status not in STATUSES:
        raise BadValue("status", f"{status!r} is not one of {', '.join(STATUSES)}")
    sections_cell = record.get("sections", "")
    sections = parse_sections(sections_cell)
    return Row(
        email=record.get("email", ""),
        name=record.get("name") or None,
        status=status,
        sections=sections,
        created_at=parse_date("created_at", record.get("created_at")),
        confirmed_at=parse_date("confirmed_at", record.get("confirmed_at")),
        unsubscribed_at=parse_date("unsubscribed_at", record.get("unsubscribed_at")),
    )


def parse_sections(cell: str) -> tuple[str, ...] | None:
    """`analyses playbooks` -> a tuple; empty means every section, `-` none."""
    cell = cell.strip()
    if not cell:
        return None
    if cell == "-":
        return ()
    folders = tuple(re.split(r"[\s,;]+", cell))
    for folder in folders:
        if not re.match(r"^[a-z0-9]+(-[a-z0-9]+)*$", folder):
            raise BadValue("sections", f"{folder!r} is not a section folder")
    return folders


def format_sections(sections: tuple[str, ...] | None) -> str:
    if sections is None:
        return ""
    return " ".join(sections) if sections else "-"


# -- Ghost: id,email,name,note,subscribed_to_emails,complimentary_plan,stripe_customer_id,created_at,...


def _read_ghost(record: Record) -> Row:
    subscribed = record.get("subscribed_to_emails", "")
    # An empty cell is how Ghost's own import template says "subscribed" (its default).
    status = "unsubscribed" if subscribed and not _true(subscribed) else "active"
    return Row(
        email=record.get("email", ""),
        name=record.get("name") or None,
        status=status,
        created_at=parse_date("created_at", record.get("created_at")),
    )


# -- Substack: email,active_subscription,expiry,email_disabled,created_at (and more)


def _read_substack(record: Record) -> Row:
    email = record.get("email", "")
    skip = "a Substack deletion request" if email.lower().endswith("@deletion-request.substack.com") else None
    return Row(
        email=email,
        name=record.get("name") or None,
        status="unsubscribed" if _true(record.get("email_disabled")) else "active",
        created_at=parse_date("created_at", record.get("created_at")),
        skip=skip,
    )


# -- Mailchimp: "Email Address","First Name","Last Name",...,OPTIN_TIME,CONFIRM_TIME,
#    UNSUB_TIME (unsubscribed_*.csv) or CLEAN_TIME (cleaned_*.csv: addresses that bounced)


def _read_mailchimp(record: Record) -> Row:
    if "clean_time" in record:
        status = "bounced"
    elif "unsub_time" in record:
        status = "unsubscribed"
    else:
        status = "active"
    return Row(
        email=record.get("email address", ""),
        name=_name(record.get("first name"), record.get("last name")),
        status=status,
        created_at=parse_date("OPTIN_TIME", record.get("optin_time")),
        confirmed_at=parse_date("CONFIRM_TIME", record.get("confirm_time")),
        unsubscribed_at=parse_date("UNSUB_TIME", record.get("unsub_time")),
    )


# -- Buttondown: email (or email_address), creation_date, subscriber_type (regular, premium,
#    unactivated, unsubscribed, spammy, removed, ...); its unsubscribers export has
#    unsubscription_date instead.

BUTTONDOWN_STATUS = {
    "unactivated": "pending",
    "unsubscribed": "unsubscribed",
    "removed": "unsubscribed",
    "spammy": "complained",
    "undeliverable": "bounced",
}


def _read_buttondown(record: Record) -> Row:
    kind = (record.get("subscriber_type") or record.get("type") or "regular").lower()
    status = BUTTONDOWN_STATUS.get(kind, "active")
    if record.get("unsubscription_date"):
        status = "unsubscribed"
    return Row(
        email=_email(record, "email", "email_address"),
        name=record.get("name") or None,
        status=status,
        created_at=parse_date("creation_date", record.get("creation_date")),
        unsubscribed_at=parse_date("unsubscription_date", record.get("unsubscription_date")),
    )


# -- listmonk: uuid,email,name,attributes,status (enabled, disabled, blocklisted),created_at,updated_at

LISTMONK_STATUS = {"enabled": "active", "disabled": "unsubscribed", "blocklisted": "unsubscribed"}


def _read_listmonk(record: Record) -> Row:
    status = (record.get("status") or "enabled").lower()
    if status not in LISTMONK_STATUS:
        raise BadValue("status", f"{status!r} is not a listmonk status (enabled, disabled, blocklisted)")
    return Row(
        email=record.get("email", ""),
        name=record.get("name") or None,
        status=LISTMONK_STATUS[status],
        created_at=parse_date("created_at", record.get("created_at")),
    )


# -- any CSV with an email column


def _read_plain(record: Record) -> Row:
    return Row(
        email=_email(record, "email", "email address", "e-mail", "email_address", "mail"),
        name=_name(record.get("name")) or _name(record.get("first name"), record.get("last name")),
    )


FORMATS: tuple[Format, ...] = (
    Format(
        "a publisher export",
        "publisher",
        lambda h: set(OWN_COLUMNS) <= h,
        _read_own,
    ),
    Format(
        "a Ghost members export",
        "ghost",
        lambda h: {"email", "subscribed_to_emails"} <= h,
        _read_ghost,
    ),
    Format(
        "a Substack subscriber export",
        "substack",
        lambda h: "email" in h and bool({"email_disabled", "active_subscription"} & h),
        _read_substack,
    ),
    Format(
        "a Mailchimp audience export",
        "mailchimp",
        lambda h: "email address" in h and bool({"optin_time", "confirm_time", "leid", "euid"} & h),
        _read_mailchimp,
    ),
    Format(
        "a Buttondown subscriber export",
        "buttondown",
        lambda h: (
            bool({"email", "email_address"} & h)
            and bool({"subscriber_type", "creation_date", "unsubscription_date"} & h)
        ),
        _read_buttondown,
    ),
    Format(
        "a listmonk subscriber export",
        "listmonk",
        lambda h: {"uuid", "email", "attributes", "status"} <= h,
        _read_listmonk,
    ),
    Format(
        "a CSV file with an email column",
        "csv",
        lambda h: bool({"email", "email address", "e-mail", "email_address", "mail"} & h),
        _read_plain,
    ),
)


def recognise(headers: list[str]) -> Format | None:
    """The first format whose columns are all in `headers` (compared in lowercase)."""
    names = {h.strip().lower() for h in headers}
    return next((f for f in FORMATS if f.recognise(names)), None)
