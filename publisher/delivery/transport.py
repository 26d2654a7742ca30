"""An SMTP connection that sends one message at a time and says plainly how each attempt ended.

In the spirit of Django's SMTP backend: one small class that knows TLS, authentication, timeouts
and reconnecting, and nothing about subscribers. Every failure is one of three kinds, because the
caller must act differently on each:

- `TemporaryFailure`: a 4xx reply, a refused or dropped connection, a timeout. The server did
  not accept the message (no 250 to the end of DATA); try again later.
- `PermanentFailure`: a 5xx reply to the recipient or the message. Do not try again;
  `user_unknown` says whether the address itself does not exist (a bounce).
- `FatalFailure`: authentication refused, TLS misconfigured, the sender address refused. Every
  message would fail the same way: stop.

A message counts as accepted only on the server's 250 to the end of DATA, as RFC 5321 has it.
A connection lost after the final dot but before that reply is a temporary failure like any
other; the server may in rare cases have kept the message (RFC 1047), which is the one way a
retry can deliver twice, as with every mail server's retries.
"""

from __future__ import annotations

import contextlib
import ipaddress
import os
import re
import smtplib
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, unquote, urlsplit

URL_VARIABLE = "PUBLISHER_SMTP_URL"
PASSWORD_VARIABLE = "PUBLISHER_SMTP_PASSWORD"
DEFAULT_PORTS = {"smtp": 587, "smtps": 465}
CRLF = b"\r\n"
# Enhanced status codes (RFC 3463) that mean the address itself is bad: X.1.x addressing
# problems and 5.2.1 mailbox disabled. Without one, the reply text decides.
_USER_UNKNOWN_CODE = re.compile(r"^5\.(1\.\d{1,3}|2\.1)\b")
_USER_UNKNOWN_TEXT = re.compile(
    r"user unknown|unknown user|no such (user|mailbox|recipient)|does not exist|"
    r"mailbox (unavailable|not found|disabled)|invalid (recipient|mailbox)|recipient (rejected|unknown)",
    re.IGNORECASE,
)


class TransportError(Exception):
    """Base of the four ways an attempt can fail; carries the server's reply when there was one."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(TransportError):
    """Nothing was delivered, and trying again later may work."""


class PermanentFailure(TransportError):
    """The server refused this message or recipient for good."""

    @property
    def user_unknown(self) -> bool:
        """True when the reply says the mailbox does not exist: the address bounced."""
        text = str(self).split(": ", 1)[-1]
        if _USER_UNKNOWN_CODE.match(text):
            return True
        return self.code in (550, 551, 553) and bool(_USER_UNKNOWN_TEXT.search(text))


class FatalFailure(TransportError):
    """Authentication, TLS or the sender address: every message would fail; stop the run."""


class SmtpConfigError(ValueError):
    """The SMTP URL or the environment is incomplete or malformed; the message says how to fix it."""


@dataclass(frozen=True)
class SmtpSettings:
    """Where and how to connect. `security` is `starttls`, `ssl` or `none`."""

    host: str
    port: int
    security: str = "starttls"
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout: float = 30.0
    local_hostname: str = "localhost"

    @classmethod
    def from_url(
        cls, url: str, password: str | None = None, timeout: float = 30.0, local_hostname: str = "localhost"
    ) -> SmtpSettings:
        """`smtp://user@host:587` (STARTTLS, required), `smtps://user@host:465` (TLS from the start).

        `?starttls=off` on an `smtp://` URL sends without TLS, for a relay on this machine; a
        password in the URL wins over `password` (only the environment's URL may hold one).
        """
        parts = urlsplit(url)
        if parts.scheme not in DEFAULT_PORTS or not parts.hostname:
            raise SmtpConfigError(f"{_redact(url)}: must be smtp://user@host:587 or smtps://user@host:465")
        try:
            port = parts.port or DEFAULT_PORTS[parts.scheme]
        except ValueError:
            raise SmtpConfigError(f"{_redact(url)}: the port must be a number from 1 to 65535") from None
        if parts.path not in ("", "/") or parts.fragment:
            raise SmtpConfigError(f"{_redact(url)}: nothing may follow the port but ?starttls=off")
        security = "ssl" if parts.scheme == "smtps" else "starttls"
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key == "starttls" and value == "off" and parts.scheme == "smtp":
                security = "none"
            else:
                raise SmtpConfigError(f"{_redact(url)}: unknown option {key}={value} (only starttls=off)")
        username = unquote(parts.username) if parts.username else None
        if parts.password is not None:
            password = unquote(parts.password)
        if username and not password:
            raise SmtpConfigError(
                f"{_redact(url)} names the user {username!r}, but {PASSWORD_VARIABLE} is not set"
            )
        return cls(parts.hostname, port, security, username, password, timeout, local_hostname)

    @property
    def address(self) -> str:
        return f"{self.host}:{self.port}"


def settings_from_environment(
    configured_url: str | None,
    timeout: float = 30.0,
    local_hostname: str = "localhost",
    environ: Mapping[str, str] = os.environ,
) -> SmtpSettings:
    """The settings from `PUBLISHER_SMTP_URL` if set, else `[delivery] smtp_url`; the password
    from `PUBLISHER_SMTP_PASSWORD`."""
    url = environ.get(URL_VARIABLE) or configured_url
    if not url:
        raise SmtpConfigError(
            f"no SMTP server: set smtp_url in the [delivery] table of publication.toml or {URL_VARIABLE}"
        )
    password = environ.get(PASSWORD_VARIABLE) or None
    return SmtpSettings.from_url(url, password, timeout, local_hostname)


def _redact(url: str) -> str:
    """The URL without its password, fit for an error message."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(":" + parts.password + "@", ":***@", 1)
    return parts._replace(netloc=netloc).geturl()


class SmtpTransport:
    """One SMTP connection, opened on first use and opened again after it was lost."""

    def __init__(self, settings: SmtpSettings, ssl_context: ssl.SSLContext | None = None) -> None:
        self.settings = settings
        self._context = ssl_context
        self._smtp: smtplib.SMTP | None = None
        self.sent_on_connection = 0

    @property
    def is_open(self) -> bool:
        return self._smtp is not None

    def __enter__(self) -> SmtpTransport:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def open(self) -> None:
        """Connect, greet, start TLS and log in; raise one of the four failures."""
        if self._smtp is not None:
            return
        settings = self.settings
        where = settings.address
        if settings.username and settings.security == "none" and not _is_loopback(settings.host):
            raise FatalFailure(f"refusing to send the SMTP password to {where} without TLS")
        smtp: smtplib.SMTP | None = None
        try:
            if settings.security == "ssl":
                smtp = smtplib.SMTP_SSL(
                    settings.host,
                    settings.port,
                    local_hostname=settings.local_hostname,
                    timeout=settings.timeout,
                    context=self._ssl_context(),
                )
            else:
                smtp = smtplib.SMTP(
                    settings.host,
                    settings.port,
                    local_hostname=settings.local_hostname,
                    timeout=settings.timeout,
                )
            # Without TCP_NODELAY the last packet of each message waits for the server's delayed
            # ACK (Nagle's algorithm): about 40 ms a message.
            if smtp.sock is not None:
                smtp.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            smtp.ehlo()
            if settings.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise FatalFailure(
                        f"{where} does not offer STARTTLS: use smtps:// for a TLS port such as 465, "
                        "or add ?starttls=off for a relay on this machine"
                    )
                smtp.starttls(context=self._ssl_context())
                smtp.ehlo()
            if settings.username:
                smtp.login(settings.username, settings.password or "")
        except TransportError:
            _abandon(smtp)
            raise
        except smtplib.SMTPAuthenticationError as exc:
            _abandon(smtp)
            raise FatalFailure(
                f"{where} refused the login for {settings.username!r}: {_reply(exc)}", exc.smtp_code
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            _abandon(smtp)
            raise FatalFailure(f"{where} does not accept authentication: {exc}") from None
        except (ssl.SSLEOFError, ssl.SSLZeroReturnError) as exc:
            _abandon(smtp)
            raise TemporaryFailure(f"{where} closed the connection in the TLS handshake ({exc})") from None
        except (ssl.SSLError, ssl.CertificateError) as exc:
            _abandon(smtp)
            raise FatalFailure(f"TLS with {where} failed: {exc} (is the scheme or port right?)") from None
        except smtplib.SMTPResponseException as exc:
            _abandon(smtp)
            kind = TemporaryFailure if 400 <= exc.smtp_code < 500 else FatalFailure
            raise kind(f"{where} refused the connection: {_reply(exc)}", exc.smtp_code) from None
        except OSError as exc:  # refused, reset, timed out, unknown host
            _abandon(smtp)
            raise TemporaryFailure(f"cannot connect to {where}: {exc.strerror or exc}") from None
        self._smtp = smtp
        self.sent_on_connection = 0

    def close(self) -> None:
        """Say QUIT if the connection is still there; never raise."""
        smtp, self._smtp = self._smtp, None
        if smtp is not None:
            try:
                smtp.quit()
            except (smtplib.SMTPException, OSError):
                _abandon(smtp)

    def send(self, sender: str, recipient: str, message: bytes, crlf: bool = False) -> str:
        """Send `message` to one recipient; return the server's final reply.

        Line ends are made CRLF unless `crlf` says they already are (checking 50 KB for stray
        line feeds costs more than building a personalised message).
        """
        if "\r" in sender + recipient or "\n" in sender + recipient:
            raise PermanentFailure("an address contains a line break")
        self.open()
        smtp = self._smtp
        assert smtp is not None
        try:
            options = ["SMTPUTF8"] if not (sender + recipient).isascii() else []
            if options and not smtp.has_extn("smtputf8"):
                raise PermanentFailure("the server does not accept internationalised addresses (SMTPUTF8)")
            if smtp.has_extn("pipelining"):
                self._pipelined_envelope(smtp, sender, recipient, options)
            else:
                code, reply = smtp.mail(sender, options)
                self._check("MAIL FROM", code, reply, (250,))
                code, reply = smtp.rcpt(recipient)
                self._check("RCPT TO", code, reply, (250, 251))
                code, reply = smtp.docmd("DATA")
                self._check("DATA", code, reply, (354,))
            smtp.send(_dot_stuffed(message, crlf))
            code, reply = smtp.getreply()
        except TransportError:
            raise
        except OSError as exc:  # refused, reset, closed or timed out: no 250, so not accepted
            self._lost()
            raise TemporaryFailure(f"connection to {self.settings.address} lost: {exc}") from None
        self._check("end of DATA", code, reply, (250,))
        self.sent_on_connection += 1
        return _text(reply)

    def _pipelined_envelope(
        self, smtp: smtplib.SMTP, sender: str, recipient: str, options: list[str]
    ) -> None:
        """MAIL, RCPT and DATA in one write, then their three replies (RFC 2920 PIPELINING).

        Two round trips fewer per message: what bounds the rate over a network, where a round
        trip to the server takes tens of milliseconds.
        """
        extra = "".join(" " + option for option in options)
        commands = (
            f"MAIL FROM:{smtplib.quoteaddr(sender)}{extra}\r\n"
            f"RCPT TO:{smtplib.quoteaddr(recipient)}\r\n"
            "DATA\r\n"
        )
        smtp.send(commands.encode("utf-8" if options else "ascii"))
        replies = [smtp.getreply() for _ in range(3)]
        (mail, mail_reply), (rcpt, rcpt_reply), (data, data_reply) = replies
        if data == 354 and (mail != 250 or rcpt not in (250, 251)):
            smtp.send(".\r\n")  # a server that said 354 anyway gets an empty message, then RSET
            smtp.getreply()
        self._check("MAIL FROM", mail, mail_reply, (250,))
        self._check("RCPT TO", rcpt, rcpt_reply, (250, 251))
        self._check("DATA", data, data_reply, (354,))

    def _check(self, step: str, code: int, reply: bytes, accepted: tuple[int, ...]) -> None:
        if code in accepted:
            return
        message = f"{code} {_text(reply)}"
        if code == 421 or code < 0:  # the server is closing the connection (or already did)
            self._lost()
            raise TemporaryFailure(f"{step}: {message}", code)
        self._reset()
        if 400 <= code < 500:
            raise TemporaryFailure(f"{step}: {message}", code)
        if step == "MAIL FROM":
            raise FatalFailure(f"the server refused the sender address: {message}", code)
        raise PermanentFailure(f"{step}: {message}", code)

    def _reset(self) -> None:
        """RSET after a refusal so the connection can carry the next message."""
        smtp = self._smtp
        if smtp is None:
            return
        try:
            code, _ = smtp.docmd("RSET")
        except OSError:
            code = -1
        if code != 250:
            self._lost()

    def _lost(self) -> None:
        smtp, self._smtp = self._smtp, None
        _abandon(smtp)

    def _ssl_context(self) -> ssl.SSLContext:
        """The system's trusted CAs (or `SSL_CERT_FILE`), host names checked."""
        if self._context is None:
            self._context = ssl.create_default_context()
        return self._context


def _dot_stuffed(message: bytes, crlf: bool = False) -> bytes:
    """The DATA payload: CRLF line ends, leading dots doubled, then the final `.` line (RFC 5321)."""
    if not crlf and (
        message.count(b"\n") != message.count(b"\r\n") or message.count(b"\r") != message.count(b"\n")
    ):
        message = re.sub(rb"\r\n|\r|\n", CRLF, message)  # only for a message not already in CRLF
    if message.startswith(b"."):
        message = b"." + message
    message = message.replace(b"\r\n.", b"\r\n..")
    if not message.endswith(CRLF):
        message += CRLF
    return message + b"." + CRLF


def _abandon(smtp: smtplib.SMTP | None) -> None:
    if smtp is not None:
        with contextlib.suppress(OSError):
            smtp.close()


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _text(reply: bytes | str) -> str:
    text = reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply
    return " ".join(text.split())


def _reply(exc: smtplib.SMTPResponseException) -> str:
    return f"{exc.smtp_code} {_text(exc.smtp_error)}"
