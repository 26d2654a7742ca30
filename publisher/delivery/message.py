"""The built email of one post, parsed once and personalised for each recipient.

`publisher build` writes `build/email/<slug>.eml` with your email service's merge tags where
each subscriber's own links go (see `[email]`), so the same files still work when pasted into
another service. Sending reads that file once, then per recipient fills in only what differs:
`To`, `Message-ID`, the unsubscribe and preferences links (in the HTML, the text and
`List-Unsubscribe`), and `Date`, which is when the edition was sent rather than the post's date,
so inboxes sort it as new mail. Headers are made with the email package's structured header
classes, never by formatting strings, so no name or address can add a header.
"""

from __future__ import annotations

import email
import hashlib
import html
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr, parseaddr
from pathlib import Path
from urllib.parse import urlsplit

from publisher.content.config import EmailSettings, is_merge_tag
from publisher.render.email.mime import POLICY, quoted_printable

CRLF = "\r\n"
MESSAGE_ID_RE = re.compile(r"^<[A-Za-z0-9._-]+@[A-Za-z0-9.-]+>$")
TEST_PREFIX = "[Test] "


class BadEmail(Exception):
    """The built `.eml` is missing or not what `publisher build` writes."""


@dataclass(frozen=True)
class Links:
    """One recipient's own links."""

    unsubscribe: str
    preferences: str | None = None


@dataclass(frozen=True)
class Recipient:
    """Who one message is for: its `To` and its own links (None: keep the merge tags)."""

    email: str
    name: str | None
    links: Links | None


class PostMessage:
    """One post's email, ready to be personalised; never holds more than the one post.

    Everything that is the same for every recipient is encoded once: the fixed headers, and the
    quoted-printable text of every line without a merge tag (quoted-printable encodes each line
    on its own, so only the few lines with a link are encoded again per recipient).
    """

    def __init__(self, data: bytes, settings: EmailSettings, source: str = "email") -> None:
        self.digest = hashlib.sha256(data).hexdigest()
        parsed = email.message_from_bytes(data, policy=POLICY)
        if not isinstance(parsed, EmailMessage) or parsed.get_content_type() != "multipart/alternative":
            raise BadEmail(f"{source} is not a multipart/alternative message written by publisher build")
        parts = {part.get_content_type(): part for part in parsed.iter_parts()}
        if set(parts) != {"text/plain", "text/html"}:
            raise BadEmail(f"{source} does not hold a text and an HTML part")
        self.subject = str(parsed["Subject"] or "")
        self.from_address = str(parsed["From"] or "")
        self.reply_to = str(parsed["Reply-To"]) if parsed["Reply-To"] else None
        self.sender = parseaddr(self.from_address)[1]
        if not self.subject or "@" not in self.sender:
            raise BadEmail(f"{source} has no Subject or From header")
        self.domain = self.sender.rsplit("@", 1)[1]
        self.list_unsubscribe = _split_list(str(parsed["List-Unsubscribe"] or ""))
        self._tags = _tags(settings)
        boundary = parsed.get_boundary() or "=_publisher"
        tags = list(self._tags.values())
        html_tags = tags + [html.escape(tag, quote=True) for tag in tags]
        self._text = _Encoded(str(parts["text/plain"].get_content()), tags)
        self._html = _Encoded(str(parts["text/html"].get_content()), html_tags)
        self._start = _part_head(boundary, "plain")
        self._middle = CRLF + _part_head(boundary, "html")
        self._end = f"{CRLF}--{boundary}--{CRLF}"
        self._mime = (
            f'MIME-Version: 1.0{CRLF}Content-Type: multipart/alternative;{CRLF} boundary="{boundary}"{CRLF}'
        )
        self._fixed: dict[bool, tuple[str, str]] = {}
        self._date: tuple[datetime, str] | None = None

    @classmethod
    def load(cls, path: Path, settings: EmailSettings) -> PostMessage:
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise BadEmail(f"{path.as_posix()} does not exist: run publisher build first") from None
        return cls(data, settings, path.as_posix())

    @property
    def has_merge_tags(self) -> bool:
        """True when the build left the unsubscribe link as a merge tag for `send` to fill in."""
        return "unsubscribe" in self._tags

    @property
    def text(self) -> str:
        return self._text.content

    @property
    def html(self) -> str:
        return self._html.content

    def personalise(self, recipient: Recipient, message_id: str, date: datetime, test: bool = False) -> bytes:
        """The complete message for one recipient, CRLF line ends, ready for DATA."""
        before, after = self._fixed_headers(test)
        unsubscribe = self.list_unsubscribe
        fill = _no_change
        if recipient.links is not None:
            fill = self._filler(recipient.links)
            unsubscribe = [fill(uri) for uri in unsubscribe]
        headers = [
            before,
            to_header(recipient),
            after,
            self._date_header(date),
            message_id_header(message_id),
        ]
        if unsubscribe:
            headers.append(_list_header("List-Unsubscribe", unsubscribe))
            headers.append(f"List-Unsubscribe-Post: List-Unsubscribe=One-Click{CRLF}")
        body = [
            self._mime,
            CRLF,
            self._start,
            self._text.render(fill, escape=False),
            self._middle,
            self._html.render(fill, escape=True),
            self._end,
        ]
        return "".join(headers + body).encode("utf-8")

    def _date_header(self, date: datetime) -> str:
        if self._date is None or self._date[0] != date:
            self._date = (date, _header("Date", format_datetime(date)))
        return self._date[1]

    def _fixed_headers(self, test: bool) -> tuple[str, str]:
        """Subject and From (before To), Reply-To (after it): folded once per run."""
        if test not in self._fixed:
            before = _header("Subject", (TEST_PREFIX if test else "") + self.subject)
            before += _header("From", self.from_address)
            after = _header("Reply-To", self.reply_to) if self.reply_to else ""
            self._fixed[test] = (before, after)
        return self._fixed[test]

    def _filler(self, links: Links) -> Callable[..., str]:
        replacements = []
        for kind, tag in self._tags.items():
            url = links.unsubscribe if kind in ("unsubscribe", "list") else links.preferences
            if url is not None:
                replacements.append((tag, url))

        def fill(text: str, escape: bool = False) -> str:
            for tag, url in replacements:
                if escape:
                    text = text.replace(html.escape(tag, quote=True), html.escape(url, quote=True))
                    text = text.replace(tag, html.escape(url, quote=True))
                else:
                    text = text.replace(tag, url)
            return text

        return fill


def _no_change(text: str, escape: bool = False) -> str:
    return text


class _Encoded:
    """A text part as quoted-printable, with the lines that hold a merge tag kept aside."""

    def __init__(self, content: str, tags: list[str]) -> None:
        self.content = content
        content = content.replace("\r\n", "\n").replace("\r", "\n")
        if not content.endswith("\n"):
            content += "\n"
        self._pieces: list[tuple[bool, str]] = []  # (has a tag, QP text or the raw line)
        plain: list[str] = []
        for line in content.splitlines(keepends=True):
            if tags and any(tag in line for tag in tags):
                if plain:
                    self._pieces.append((False, quoted_printable("".join(plain))))
                    plain = []
                self._pieces.append((True, line))
            else:
                plain.append(line)
        if plain:
            self._pieces.append((False, quoted_printable("".join(plain))))

    def render(self, fill: Callable[..., str], escape: bool) -> str:
        return "".join(
            quoted_printable(fill(piece, escape)) if tagged else piece for tagged, piece in self._pieces
        )


def to_header(recipient: Recipient) -> str:
    """`To: Name <address>`, quoted and RFC 2047-encoded by `email.utils.formataddr`.

    The email package's header classes would parse every address again, about a millisecond a
    message; the address was already checked by email-validator and the name collapsed to one line
    when they were stored, and both are checked here once more for line breaks.
    """
    value = formataddr((recipient.name or "", recipient.email), charset="utf-8")
    if "\r" in value or "\n" in value:
        raise ValueError("a recipient's name or address holds a line break")
    return f"To: {value}{CRLF}"


def message_id_header(value: str) -> str:
    if not MESSAGE_ID_RE.match(value):
        raise ValueError(f"{value!r} is not a Message-ID")
    return f"Message-ID: {value}{CRLF}"


def message_id(slug: str, edition: int, subscriber_id: int, domain: str) -> str:
    """`<slug.e2.s42@domain>`: the same delivery always has the same id, so a provider that sees a
    retried copy can recognise it, and no address is in it."""
    return f"<{slug}.e{edition}.s{subscriber_id}@{domain}>"


def service_links(base_url: str, unsubscribe_token: str, preferences_token: str) -> Links:
    """The subscription service's links for one subscriber (see `[subscriptions] url`)."""
    return Links(f"{base_url}/unsubscribe/{unsubscribe_token}", f"{base_url}/preferences/{preferences_token}")


def site_domain(base_url: str) -> str:
    return urlsplit(base_url).hostname or "localhost"


def _tags(settings: EmailSettings) -> dict[str, str]:
    """The merge tags the build left in the email, by what they stand for."""
    tags = {}
    if is_merge_tag(settings.unsubscribe_url):
        tags["unsubscribe"] = settings.unsubscribe_url
    if settings.preferences_url and is_merge_tag(settings.preferences_url):
        tags["preferences"] = settings.preferences_url
    if settings.list_unsubscribe_url and is_merge_tag(settings.list_unsubscribe_url):
        tags["list"] = settings.list_unsubscribe_url
    return tags


def _split_list(value: str) -> list[str]:
    return [part.strip().removeprefix("<").removesuffix(">") for part in value.split(",") if part.strip()]


def _header(name: str, value: object, policy: object = POLICY) -> str:
    """`Name: value` through the email package's header classes, folded, CRLF-terminated."""
    return POLICY.header_factory(name, value).fold(policy=policy)  # type: ignore[arg-type]


def _part_head(boundary: str, subtype: str) -> str:
    return (
        f"--{boundary}{CRLF}"
        f'Content-Type: text/{subtype}; charset="utf-8"{CRLF}'
        f"Content-Transfer-Encoding: quoted-printable{CRLF}"
        f"{CRLF}"
    )


# An unstructured header longer than the line limit is folded into RFC 2047 encoded words, which
# no mailbox provider reads as a URI; RFC 2369's list of <URI>s is kept on one line instead
# (RFC 5322 allows up to 998 characters).
LIST_POLICY = POLICY.clone(max_line_length=998)
_BAD_URI = re.compile(r"[\r\n<>]")


def _list_header(name: str, uris: list[str]) -> str:
    """`List-Unsubscribe: <uri>, <uri>`, each URI checked: no line breaks or angle brackets."""
    for uri in uris:
        if not uri or _BAD_URI.search(uri):
            raise ValueError(f"{uri!r} cannot go into {name}")
    return POLICY.header_factory(name, ", ".join(f"<{uri}>" for uri in uris)).fold(policy=LIST_POLICY)
