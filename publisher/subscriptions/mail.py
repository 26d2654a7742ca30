"""Confirmation emails: composed here, sent in the background through the SMTP transport.

A sign-up request only puts a message in the outbox and answers at once, so the answer takes the
same time whether an email goes out or not (no address enumeration by timing), and a slow or
failing SMTP server never holds up a reader. Log lines name subscribers by id, never by address.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass
from email import policy
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Protocol

from jinja2 import Environment

from publisher.content.config import Publication

log = logging.getLogger(__name__)

ATTEMPTS = 3  # tries per message on temporary failures
BACKOFF = 2.0  # seconds before the second try, doubled after


class Transport(Protocol):
    """The part of `publisher.delivery.transport.SmtpTransport` the outbox uses."""

    def send(self, sender: str, recipient: str, message: bytes) -> str: ...

    def close(self) -> None: ...


@dataclass(frozen=True)
class Outgoing:
    """One message, its envelope and, for the log, whose it is."""

    subscriber_id: int
    kind: str
    message: EmailMessage

    @property
    def sender(self) -> str:
        return parseaddr(str(self.message["From"]))[1]

    @property
    def recipient(self) -> str:
        return str(self.message["To"])

    def as_bytes(self) -> bytes:
        smtputf8 = not (self.sender + self.recipient).isascii()
        return self.message.as_bytes(policy=policy.SMTPUTF8 if smtputf8 else policy.SMTP)


def compose(
    env: Environment, publication: Publication, template: str, to: str, subject: str, **context: object
) -> EmailMessage:
    """A plain-text message from `template` to the (already validated) address `to`."""
    message = EmailMessage()
    message["From"] = publication.email.from_address
    if publication.email.reply_to:
        message["Reply-To"] = publication.email.reply_to
    message["To"] = to
    message["Subject"] = subject
    message["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(publication.email.from_address)[1].rpartition("@")[2] or None
    message["Message-ID"] = make_msgid(domain=domain)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no vacation replies to this
    body = env.get_template(template).render(publication=publication, **context).strip() + "\n"
    message.set_content(body, charset="utf-8")
    return message


class Outbox:
    """A queue and one thread that sends what is put in it over one SMTP connection.

    The connection stays open while messages keep coming and is closed when the queue runs dry.
    Temporary failures are retried with backoff; permanent and fatal ones are logged and the
    message dropped (the reader can sign up again), so a broken SMTP setup never stops the pages.
    """

    def __init__(
        self,
        transport: Transport,
        temporary: tuple[type[BaseException], ...] = (),
        backoff: float = BACKOFF,
    ) -> None:
        self._transport = transport
        self._temporary = temporary
        self._backoff = backoff
        self._queue: queue.Queue[Outgoing | None] = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="publisher-outbox", daemon=True)
        self.sent = 0
        self.failed = 0

    def start(self) -> None:
        if not self._thread.is_alive():
            self._thread.start()

    def put(self, outgoing: Outgoing) -> None:
        self._queue.put(outgoing)

    def stop(self, timeout: float = 10.0) -> None:
        """Send what is queued, then end the thread."""
        if self._thread.is_alive():
            self._queue.put(None)
            self._thread.join(timeout)

    def join(self) -> None:
        """Wait until everything queued so far was sent or given up (tests, shutdown)."""
        self._queue.join()

    def _run(self) -> None:
        while True:
            item = self._queue.get()
            try:
                if item is None:
                    return
                self._deliver(item)
            finally:
                if self._queue.empty():
                    self._transport.close()
                self._queue.task_done()

    def _deliver(self, item: Outgoing) -> None:
        delay = self._backoff
        data = item.as_bytes()
        for attempt in range(1, ATTEMPTS + 1):
            try:
                self._transport.send(item.sender, item.recipient, data)
            except self._temporary as exc:
                if attempt < ATTEMPTS:
                    log.warning("%s email to subscriber %d: %s; retrying", item.kind, item.subscriber_id, exc)
                    time.sleep(delay)
                    delay *= 2
                    continue
                log.error(
                    "%s email to subscriber %d failed %d times: %s",
                    item.kind,
                    item.subscriber_id,
                    attempt,
                    exc,
                )
            except Exception as exc:  # permanent or fatal: report it and keep serving
                log.error("%s email to subscriber %d failed: %s", item.kind, item.subscriber_id, exc)
            else:
                log.info("%s email sent to subscriber %d", item.kind, item.subscriber_id)
                self.sent += 1
                return
            self.failed += 1
            return
