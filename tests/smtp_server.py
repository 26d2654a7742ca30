"""A real SMTP server for the tests: aiosmtpd on 127.0.0.1, a free port, with faults on demand.

Every accepted message is kept with its envelope recipient, so a test can count copies per
subscriber and parse each one. Faults are counters that run down: the next N transactions get
a 421 or 451, or have their connection cut in the middle of DATA; listed recipients get a 550.
"""

from __future__ import annotations

import asyncio
import email
import threading
from collections import Counter
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.policy import default

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session


@dataclass
class Received:
    recipient: str
    sender: str
    data: bytes

    def message(self) -> EmailMessage:
        parsed = email.message_from_bytes(self.data, policy=default)
        assert isinstance(parsed, EmailMessage)
        return parsed


@dataclass
class Faults:
    """What goes wrong next; each counter is the number of transactions still to be hit."""

    closing: int = 0  # 421 to MAIL FROM, then the connection is closed
    temporary: int = 0  # 451 to the end of DATA
    drop_in_data: int = 0  # the connection is cut after the first lines of DATA
    unknown_users: set[str] = field(default_factory=set)  # 550 5.1.1 to RCPT TO
    refuse_sender: bool = False  # 550 to MAIL FROM
    delay: float = 0.0  # seconds to wait before answering the end of DATA


class Recorder:
    """The aiosmtpd handler: keeps what it accepts, injects what `faults` asks for."""

    def __init__(self) -> None:
        self.faults = Faults()
        self.pipelining = True
        self.received: list[Received] = []
        self.lock = threading.Lock()

    def take(self, name: str) -> bool:
        """Use up one of the `name` fault counter; True if there was one."""
        with self.lock:
            left = getattr(self.faults, name)
            if left > 0:
                setattr(self.faults, name, left - 1)
                return True
            return False

    async def handle_EHLO(  # noqa: N802
        self, server: SMTP, session: Session, envelope: Envelope, hostname: str, responses: list[str]
    ) -> list[str]:
        """aiosmtpd reads commands one by one, so it can take them pipelined: say so."""
        session.host_name = hostname
        if self.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_MAIL(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if self.take("closing"):
            return "421 4.3.2 Service shutting down, try again later"
        if self.faults.refuse_sender:
            return "550 5.7.1 Sender address rejected"
        envelope.mail_from = address
        envelope.mail_options.extend(options)
        return "250 OK"

    async def handle_RCPT(  # noqa: N802 (aiosmtpd's hook names)
        self, server: SMTP, session: Session, envelope: Envelope, address: str, options: list[str]
    ) -> str:
        if address.lower() in self.faults.unknown_users:
            return "550 5.1.1 <" + address + ">: Recipient address rejected: User unknown"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802
        if self.faults.delay:
            await asyncio.sleep(self.faults.delay)
        if self.take("temporary"):
            return "451 4.3.0 Temporary local problem, try again later"
        assert isinstance(envelope.content, bytes)
        with self.lock:
            for recipient in envelope.rcpt_tos:
                self.received.append(Received(recipient, str(envelope.mail_from), envelope.content))
        return "250 2.0.0 Ok: queued"

    def copies(self) -> Counter[str]:
        with self.lock:
            return Counter(r.recipient for r in self.received)


class _FaultySMTP(SMTP):
    async def smtp_DATA(self, arg: str) -> None:  # noqa: N802
        handler = self.event_handler
        wanted = isinstance(handler, Recorder) and self.envelope is not None and self.envelope.rcpt_tos
        if wanted and handler.take("drop_in_data"):
            await self.push("354 End data with <CR><LF>.<CR><LF>")
            for _ in range(3):  # a few lines of the message, then the cable is cut
                await self._reader.readuntil(b"\r\n")
            assert self.transport is not None
            self.transport.abort()
            return
        await super().smtp_DATA(arg)


class SmtpServer(Controller):
    """aiosmtpd on 127.0.0.1 at a free port (`port` once started); `restart` keeps the port."""

    def __init__(self, recorder: Recorder | None = None, port: int = 0, **kwargs: object) -> None:
        self.recorder = recorder or Recorder()
        self._options = kwargs
        super().__init__(self.recorder, hostname="127.0.0.1", port=port, **kwargs)

    def factory(self) -> SMTP:
        return _FaultySMTP(self.handler, **self.SMTP_kwargs)

    def _create_server(self):  # type: ignore[no-untyped-def]
        async def create() -> asyncio.AbstractServer:
            server = await self.loop.create_server(
                self._factory_invoker, host=self.hostname, port=self.port, ssl=self.ssl_context
            )
            self.port = server.sockets[0].getsockname()[1]
            return server

        return create()

    def stop(self, no_assert: bool = False) -> None:
        """Stop; a server already stopped (e.g. by `restarted`) is left alone."""
        if self._thread is not None:
            super().stop(no_assert)

    @property
    def url(self) -> str:
        return f"smtp://127.0.0.1:{self.port}?starttls=off"

    def restarted(self) -> SmtpServer:
        """Stop this server and start a new one on the same port with the same recorder."""
        self.stop()
        again = SmtpServer(self.recorder, port=self.port, **self._options)
        again.start()
        return again
