"""One emailed post as a complete RFC 5322 message, byte-identical across builds.

`multipart/alternative` with the plain text first and the HTML second (mail
clients show the last part they can), both UTF-8 and quoted-printable, which
keeps every line under 76 characters for any mail server. Nothing here reads
the clock or a random source: `Date` is the post's date, `Message-ID` is
built from the slug and the site's domain, and the MIME boundary from a hash
of the content.

The message is written directly rather than through `email.message`: its
structure never varies, and the email package's header parsing and
generator cost more than the rest of the email stage together. The address
and subject headers still go through the email package's folding, which
knows RFC 2047 encoding for non-ASCII text; tests parse every message back
with the email package.
"""

from __future__ import annotations

import binascii
import hashlib
from email import policy
from email.utils import format_datetime
from urllib.parse import urlsplit

from publisher.render.email.parts import EmailParts

CRLF = "\r\n"
# SMTP: CRLF line ends, as RFC 5322 asks; 76: keep folded lines short.
POLICY = policy.SMTP.clone(max_line_length=76)
ONE_CLICK = "List-Unsubscribe=One-Click"


def message_id(parts: EmailParts) -> str:
    """`<slug@domain>`: the same post always gets the same id."""
    host = urlsplit(parts.publication.base_url).hostname or "localhost"
    return f"<{parts.entry.slug}@{host}>"


def list_unsubscribe(parts: EmailParts) -> list[str]:
    """The `List-Unsubscribe` URIs: the https link (or its merge tag), then any mailto.

    The https link comes first and is always there (it falls back to the
    footer's unsubscribe link), so the message can offer RFC 8058 one-click
    unsubscribing, which Gmail and Yahoo require of bulk senders.
    """
    settings = parts.publication.email
    web = settings.list_unsubscribe_url or settings.unsubscribe_url
    return [f"<{v}>" for v in (web, settings.list_unsubscribe_mailto) if v]


def build_message(parts: EmailParts, html: str, text: str) -> bytes:
    """The `.eml` file: headers, then the text and HTML alternatives."""
    settings = parts.publication.email
    digest = hashlib.sha256((text + "\x00" + html).encode("utf-8")).hexdigest()[:32]
    # "=_" cannot occur in quoted-printable text, so the boundary never collides.
    boundary = f"=_publisher_{digest}"
    lines = [
        _header("Subject", parts.subject),
        _header("From", settings.from_address),
    ]
    if settings.to:
        lines.append(_header("To", settings.to))
    if settings.reply_to:
        lines.append(_header("Reply-To", settings.reply_to))
    lines += [
        f"Date: {format_datetime(parts.entry.date)}{CRLF}",
        f"Message-ID: {message_id(parts)}{CRLF}",
        _fold_list("List-Unsubscribe", list_unsubscribe(parts)),
        f"List-Unsubscribe-Post: {ONE_CLICK}{CRLF}",
        f"MIME-Version: 1.0{CRLF}",
        f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}',
        CRLF,
        _part(boundary, "plain", text),
        CRLF,  # the line break before a boundary belongs to the boundary (RFC 2046)
        _part(boundary, "html", html),
        f"{CRLF}--{boundary}--{CRLF}",
    ]
    return "".join(lines).encode("ascii")


def _header(name: str, value: str) -> str:
    """`Name: value` folded, with non-ASCII text as RFC 2047 encoded words."""
    return POLICY.header_factory(name, value).fold(policy=POLICY)


def _fold_list(name: str, values: list[str]) -> str:
    """`Name: <a>, <b>`, with each value on its own line once the line gets long."""
    line = f"{name}: {', '.join(values)}"
    if len(line) <= POLICY.max_line_length:
        return line + CRLF
    return f"{name}: " + f",{CRLF} ".join(values) + CRLF


def _part(boundary: str, subtype: str, content: str) -> str:
    return (
        f"--{boundary}{CRLF}"
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}"
        f"{CRLF}"
        f"{quoted_printable(content)}"
    )


def quoted_printable(content: str) -> str:
    """UTF-8 text as quoted-printable with CRLF line ends, ending in a line break."""
    content = content.replace("\r\n", "\n").replace("\r", "\n")
    if not content.endswith("\n"):
        content += "\n"
    encoded = binascii.b2a_qp(content.encode("utf-8"), quotetabs=False, istext=True, header=False)
    return encoded.decode("ascii").replace("\n", CRLF)


__all__ = ["POLICY", "build_message", "list_unsubscribe", "message_id", "quoted_printable"]
