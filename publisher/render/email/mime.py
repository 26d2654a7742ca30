"""One emailed post as a complete RFC 5322 message, byte-identical across builds.

`multipart/alternative` with the plain text first and the HTML second (mail
clients show the last part they can), both UTF-8 and quoted-printable, which
keeps every line under 76 characters for any mail server. Nothing here reads
the clock or a random source: `Date` is the post's date, `Message-ID` is
built from the slug and the site's domain, and the MIME boundary from a hash
of the content.

The message is written directly rather than through `email.message`: its
structure never varies, and the email package's generator costs more than
the rest of the email stage together. Every header value still goes through
the email package's structured header API (`email.headerregistry`, via the
policy's `header_store_parse`), which refuses line breaks, parses addresses
and dates, and folds with RFC 2047 encoding for non-ASCII text; no value is
pasted into a header by string formatting. The `List-Unsubscribe` URIs are
made ASCII first (IDNA hosts, percent-encoded paths). Tests parse every
message back with the email package.
"""

from __future__ import annotations

import binascii
import functools
import hashlib
from email import policy
from urllib.parse import urlsplit

from publisher.content.config import is_merge_tag
from publisher.content.uris import BadUri, ascii_host, mailto_uri, web_uri
from publisher.content.validation import CONTROL_RE, LINE_BREAK_RE
from publisher.render.email.parts import EmailParts

CRLF = "\r\n"
# SMTP: CRLF line ends, as RFC 5322 asks; 76: keep folded lines short.
POLICY = policy.SMTP.clone(max_line_length=76)
ONE_CLICK = "List-Unsubscribe=One-Click"


def message_id(parts: EmailParts) -> str:
    """`<slug@domain>`: the same post always gets the same id; the domain in ASCII (IDNA)."""
    host = urlsplit(parts.publication.base_url).hostname or "localhost"
    host = f"[{host}]" if ":" in host else ascii_host(host)
    return f"<{parts.entry.slug}@{host}>"


def header_uri(value: str) -> str:
    """One URI for `List-Unsubscribe`: ASCII, with no character that could end it early.

    Merge tags are kept as written (the email service replaces them), but
    never with a line break or `>`; commas in URLs are percent-encoded, as
    RFC 2369 asks.
    """
    if CONTROL_RE.search(value) or LINE_BREAK_RE.search(value):
        raise ValueError(f"{value!r} cannot go into an email header")
    if is_merge_tag(value):
        if ">" in value.replace("%>", "") or "," in value:
            raise ValueError(f"{value!r} cannot go into List-Unsubscribe")
        return value
    try:
        uri = mailto_uri(value) if value.lower().startswith("mailto:") else web_uri(value)
    except BadUri as exc:
        raise ValueError(f"{value!r} cannot go into List-Unsubscribe: {exc}") from None
    return uri.replace(",", "%2C")


def list_unsubscribe(parts: EmailParts) -> list[str]:
    """The `List-Unsubscribe` URIs: the https link (or its merge tag), then any mailto.

    The https link comes first and is always there (it falls back to the
    footer's unsubscribe link), so the message can offer RFC 8058 one-click
    unsubscribing, which Gmail and Yahoo require of bulk senders.
    """
    settings = parts.publication.email
    web = settings.list_unsubscribe_url or settings.unsubscribe_url
    return [f"<{header_uri(v)}>" for v in (web, settings.list_unsubscribe_mailto) if v]


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
        _header("Date", parts.entry.date),
        _header("Message-ID", message_id(parts)),
        _fold_list("List-Unsubscribe", list_unsubscribe(parts)),
        _header("List-Unsubscribe-Post", ONE_CLICK),
        f"MIME-Version: 1.0{CRLF}",
        f'Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}',
        CRLF,
        _part(boundary, "plain", text),
        CRLF,  # the line break before a boundary belongs to the boundary (RFC 2046)
        _part(boundary, "html", html),
        f"{CRLF}--{boundary}--{CRLF}",
    ]
    return "".join(lines).encode("ascii")


@functools.lru_cache(maxsize=512)  # From, To, Reply-To and the like repeat in every post's email
def _header(name: str, value: object) -> str:
    """`Name: value` through the structured header API: parsed, checked and folded.

    `header_store_parse` raises `ValueError` on a line break in `value`, so a
    value can never start a header of its own; non-ASCII text becomes RFC
    2047 encoded words.
    """
    _, header = POLICY.header_store_parse(name, value)
    folded = header.fold(policy=POLICY)
    if folded.count(":") == 0 or any(line and line[0] not in " \t" for line in folded.split(CRLF)[1:]):
        raise ValueError(f"{name} would not fold into one header")
    return folded


def _fold_list(name: str, values: list[str]) -> str:
    """`Name: <a>, <b>`, each URI kept whole on one line (folding inside one would break it).

    The values come from `header_uri`, which lets no line break through.
    """
    if any("\r" in v or "\n" in v for v in values):
        raise ValueError(f"{name}: a value holds a line break")
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
