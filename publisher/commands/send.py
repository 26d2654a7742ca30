"""`publisher send SLUG`: the built email of one post to every active subscriber of its section.

Library functions the click layer wraps. `prepare` checks everything a send needs before any
connection is made (the post, its built email, the subscriber list, the secret, the SMTP and
DKIM settings); `plan` decides which edition this run sends (a new one, the unfinished one, or
nothing); `send` runs it under a lock so two runs never send the same edition at once.
Exit codes: 0 done, 1 content or data errors, 2 usage errors, 3 some deliveries failed, were
deferred or are unknown (or the run stopped before the end and can be run again), 4 stopped by
an authentication, TLS or sender-address error.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from publisher.commands.subscribers import SubscriberList, open_list
from publisher.content.posts import Post, load_posts
from publisher.content.resolve import held_back
from publisher.delivery.ledger import STATUS_GROUPS, Delivery, Edition, Ledger
from publisher.delivery.message import (
    BadEmail,
    Links,
    PostMessage,
    Recipient,
    message_id,
    service_links,
    site_domain,
)
from publisher.delivery.run import RunResult, RunSettings, SendRun
from publisher.delivery.signing import DkimConfigError, Signer, signer_from_settings
from publisher.delivery.transport import (
    FatalFailure,
    SmtpConfigError,
    SmtpSettings,
    SmtpTransport,
    TemporaryFailure,
    TransportError,
    settings_from_environment,
)
from publisher.subscribers.tokens import MissingSecret, make_token, secret_from_environment

EXIT_INCOMPLETE = 3
EXIT_STOPPED = 4
LOCK_NAME = "send.lock"


class SendError(Exception):
    """A send that cannot start; `code` is the exit code."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


@dataclass
class Prepared:
    """Everything checked and loaded for one post, before anything is sent."""

    slug: str
    post: Post
    message: PostMessage
    subscribers: SubscriberList
    smtp: SmtpSettings
    signer: Signer | None
    secret: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def ledger(self) -> Ledger:
        return Ledger(self.subscribers.store)

    @property
    def section(self) -> str:
        return self.post.section.folder

    def close(self) -> None:
        self.subscribers.close()


def prepare(root: Path, out: Path, slug: str, test: bool = False, now: datetime | None = None) -> Prepared:
    """Check the post, its built email and every setting a send needs; raise `SendError`."""
    subscribers = open_list(root)
    try:
        publication = subscribers.publication
        post = _find_post(root, subscribers, slug)
        if not test and held_back(post, False, False, now or datetime.now(UTC)):
            state = "a draft" if post.meta.draft else f"scheduled for {post.meta.date.isoformat()}"
            raise SendError(
                f"{post.source}: {slug} is {state}; only published posts are sent (--to sends a test)"
            )
        _data_dir_outside(out, subscribers)
        message = _load_message(out, slug, subscribers)
        secret = None
        if publication.subscriptions is None:
            if not test:
                raise SendError(
                    "publisher send needs [subscriptions] url in publication.toml: each subscriber's "
                    "unsubscribe link points there"
                )
        else:
            if not message.has_merge_tags:
                raise SendError(
                    "[email] unsubscribe_url is a fixed URL, so every subscriber would get the same link: "
                    'set it to a merge tag such as "{{ unsubscribe_url }}" and build again'
                )
            try:
                secret = secret_from_environment()
            except MissingSecret as exc:
                raise SendError(str(exc)) from None
        delivery = publication.delivery
        try:
            smtp = settings_from_environment(delivery.smtp_url, delivery.timeout, message.domain)
            signer = signer_from_settings(delivery.dkim_selector, delivery.dkim_domain, message.domain)
        except (SmtpConfigError, DkimConfigError) as exc:
            raise SendError(str(exc)) from None
        return Prepared(slug, post, message, subscribers, smtp, signer, secret, list(subscribers.warnings))
    except BaseException:
        subscribers.close()
        raise


def _find_post(root: Path, subscribers: SubscriberList, slug: str) -> Post:
    posts, _ = load_posts(root, subscribers.publication)
    post = next((p for p in posts if p.slug == slug), None)
    if post is None:
        raise SendError(f"no post has the slug {slug!r}")
    return post


def _data_dir_outside(out: Path, subscribers: SubscriberList) -> None:
    data = subscribers.store.path.parent.resolve()
    output = out.resolve()
    if data == output or output in data.parents:
        raise SendError(
            f"the subscriber data folder {data} is inside the output folder {output}: move data_dir"
        )
    return data


def _load_message(out: Path, slug: str, subscribers: SubscriberList) -> PostMessage:
    try:
        return PostMessage.load(out / "email" / f"{slug}.eml", subscribers.publication.email)
    except BadEmail as exc:
        raise SendError(str(exc)) from None


# -- what a run will do


@dataclass(frozen=True)
class Plan:
    """The edition this run sends and how many it has left; `edition` None: a new one."""

    edition: Edition | None
    number: int
    total: int
    remaining: int
    unknown: int
    note: str | None = None  # why there is nothing to send


def plan(prepared: Prepared, again: bool = False, resend_unknown: bool = False) -> Plan:
    """Decide which edition to send, without writing anything."""
    ledger, message, slug = prepared.ledger, prepared.message, prepared.slug
    latest = ledger.latest(slug)
    if latest is None or (again and latest is not None):
        total = prepared.subscribers.store.count("active", prepared.section)
        return Plan(None, (latest.number + 1) if latest else 1, total, total, 0)
    if latest.digest != message.digest:
        sent = ledger.grouped(latest)["sent"]
        raise SendError(
            f"{prepared.post.source}: the built email of {slug} changed since edition {latest.number} "
            f"went to {sent:,} subscribers; send the new version to everyone with --again"
        )
    counts = ledger.counts(latest)
    unknown = counts["unknown"] + counts["sending"]
    remaining = counts["pending"] + counts["deferred"] + (unknown if resend_unknown else 0)
    total = sum(counts.values())
    note = None
    if remaining == 0:
        note = (
            f"Nothing to send: edition {latest.number} of {slug} went to "
            f"{counts['sent']:,} of {total:,} subscribers"
        )
        if unknown:
            note += f"; {unknown:,} unknown (--resend-unknown sends them again)"
    return Plan(latest, latest.number, total, remaining, unknown, note)


def confirmation(prepared: Prepared, chosen: Plan) -> str:
    """The question asked on a terminal before sending."""
    return (
        f'Send "{prepared.message.subject}" (edition {chosen.number}) to {chosen.remaining:,} '
        f"{prepared.section} subscribers via {prepared.smtp.address}?"
    )


def dry_run_lines(prepared: Prepared, chosen: Plan) -> list[str]:
    edition = "a new edition" if chosen.edition is None else f"edition {chosen.number}"
    lines = [
        f'Would send {edition} of {prepared.slug} ("{prepared.message.subject}") to '
        f"{chosen.remaining:,} of {chosen.total:,} {prepared.section} subscribers via {prepared.smtp.address}"
        f"{', DKIM-signed' if prepared.signer else ''}; nothing was sent."
    ]
    if chosen.unknown:
        lines.append(
            f"{chosen.unknown:,} unknown from an earlier run are not sent again without --resend-unknown."
        )
    return lines


# -- the run


@contextmanager
def send_lock(prepared: Prepared) -> Iterator[None]:
    """One send at a time per subscriber database; the OS drops the lock if the process dies."""
    path = prepared.subscribers.store.path.parent / LOCK_NAME
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise SendError(
                "another publisher send is running on this subscriber list; wait for it"
            ) from None
        yield
    finally:
        os.close(descriptor)


def check_server(prepared: Prepared) -> None:
    """Connect and log in once before anything is recorded: a wrong password stops here."""
    transport = SmtpTransport(prepared.smtp)
    try:
        transport.open()
    except FatalFailure as exc:
        raise SendError(f"Stopped: {exc}; nothing was sent.", EXIT_STOPPED) from None
    except TemporaryFailure as exc:
        raise SendError(f"Stopped: {exc}; nothing was sent.", EXIT_INCOMPLETE) from None
    finally:
        transport.close()


@dataclass
class Outcome:
    """A finished (or stopped) run and the edition's totals afterwards."""

    edition: Edition
    run: RunResult
    totals: dict[str, int]


def send(
    prepared: Prepared,
    settings: RunSettings,
    again: bool = False,
    resend_unknown: bool = False,
    start: Callable[[int], Callable[[int], None] | None] | None = None,
) -> Outcome:
    """Send the edition `plan` chooses; `start(total)` may return a progress callback."""
    with send_lock(prepared):
        chosen = plan(prepared, again, resend_unknown)
        ledger = prepared.ledger
        edition = chosen.edition
        if edition is None:
            edition = ledger.create(
                prepared.slug, prepared.message.digest, prepared.message.subject, prepared.section
            )
        else:
            ledger.recover(edition)
            ledger.requeue(edition, unknown=resend_unknown)
        progress = start(ledger.counts(edition)["pending"]) if start else None
        sent_at = datetime.fromisoformat(edition.created_at.replace("Z", "+00:00"))
        run = SendRun(
            ledger,
            edition,
            _builder(prepared, edition, sent_at),
            prepared.message.sender,
            lambda: SmtpTransport(prepared.smtp),
            settings,
            progress,
        )
        result = run.run(ledger.pending(edition))
        with contextlib.suppress(sqlite3.Error):  # the ledger may be what failed; `grouped` copes
            ledger.recover(edition)
        totals = ledger.grouped(edition)
        if totals["pending"] == 0 and totals["unknown"] == 0:
            ledger.complete(edition)
    return Outcome(edition, result, totals)


def _builder(prepared: Prepared, edition: Edition, sent_at: datetime) -> Callable[[Delivery], bytes]:
    message, secret = prepared.message, prepared.secret
    subscriptions = prepared.subscribers.publication.subscriptions
    domain = site_domain(prepared.subscribers.publication.base_url)
    signer = prepared.signer

    def build(delivery: Delivery) -> bytes:
        links = None
        if subscriptions is not None and secret is not None:
            links = service_links(
                subscriptions.url,
                make_token(secret, "unsubscribe", delivery.subscriber_id),
                make_token(secret, "preferences", delivery.subscriber_id),
            )
        recipient = Recipient(delivery.email, delivery.name, links)
        data = message.personalise(
            recipient, message_id(prepared.slug, edition.number, delivery.subscriber_id, domain), sent_at
        )
        return signer.sign(data) if signer else data

    return build


def summary(prepared: Prepared, outcome: Outcome) -> tuple[str, int]:
    """`Sent 9,998 of 10,000 to analyses subscribers in 41 s: 2 failed (see …)` and the exit code."""
    totals, run = outcome.totals, outcome.run
    total = sum(totals.values())
    parts = []
    for key in ("failed", "pending", "unknown", "skipped"):
        if totals[key]:
            word = {"pending": "not sent yet", "skipped": "skipped (no longer subscribed)"}.get(key, key)
            parts.append(f"{totals[key]:,} {word}")
    line = f"Sent {totals['sent']:,} of {total:,} to {prepared.section} subscribers in {run.seconds:.0f} s"
    if parts:
        line += ": " + ", ".join(parts) + f" (see publisher send {prepared.slug} --status)"
    if run.fatal:
        return line, EXIT_STOPPED
    incomplete = totals["failed"] or totals["pending"] or totals["unknown"] or run.stopped
    return line, EXIT_INCOMPLETE if incomplete else 0


def status_lines(prepared: Prepared) -> list[str]:
    """Each edition of the post with its counts, then the deliveries that need a look."""
    ledger = prepared.ledger
    editions = ledger.editions(prepared.slug)
    if not editions:
        return [f"{prepared.slug} has not been sent."]
    lines = []
    for edition in editions:
        counts = ledger.grouped(edition)
        state = f"completed {edition.completed_at}" if edition.completed_at else "not completed"
        lines.append(f"Edition {edition.number} ({edition.subject}), started {edition.created_at}, {state}:")
        lines.append("  " + ", ".join(f"{counts[group]:,} {group}" for group in STATUS_GROUPS))
    latest = editions[-1]
    for address, state, reply in ledger.problems(latest):
        lines.append(f"  {state}: {address}: {reply}" if reply else f"  {state}: {address}")
    if latest.digest != prepared.message.digest:
        lines.append(f"The built email changed since edition {latest.number}: send it with --again.")
    return lines


# -- test sends


def test_send(prepared: Prepared, addresses: tuple[str, ...]) -> list[str]:
    """Send the email, marked [Test], to each address; nothing is recorded. Raise `SendError`."""
    from publisher.subscribers.addresses import InvalidAddress, normalise

    recipients = []
    for address in addresses:
        try:
            recipients.append(normalise(address))
        except InvalidAddress as exc:
            raise SendError(f"--to {address}: {exc}", 2) from None
    subscriptions = prepared.subscribers.publication.subscriptions
    domain = site_domain(prepared.subscribers.publication.base_url)
    now = datetime.now(UTC).replace(microsecond=0)
    lines = []
    with SmtpTransport(prepared.smtp) as transport:
        for address in recipients:
            links: Links | None = None
            found = prepared.subscribers.store.find(address)
            if found is not None and subscriptions is not None and prepared.secret is not None:
                links = service_links(
                    subscriptions.url,
                    make_token(prepared.secret, "unsubscribe", found.id),
                    make_token(prepared.secret, "preferences", found.id),
                )
            recipient = Recipient(address, found.name if found else None, links)
            ident = f"<{prepared.slug}.test.{uuid.uuid4().hex}@{domain}>"
            data = prepared.message.personalise(recipient, ident, now, test=True)
            if prepared.signer:
                data = prepared.signer.sign(data)
            try:
                transport.send(prepared.message.sender, address, data)
            except FatalFailure as exc:
                raise SendError(f"Stopped: {exc}", EXIT_STOPPED) from None
            except TransportError as exc:
                raise SendError(f"{address}: {exc}", EXIT_INCOMPLETE) from None
            lines.append(f"Sent a test of {prepared.slug} to {address}.")
    return lines
