"""URLs that may reach an email header or a feed: one URI each, in ASCII.

A URL from `publication.toml` ends up in `List-Unsubscribe`, `Message-ID`,
feeds and pages. Here it is checked to be exactly one absolute URI (no
spaces, angle brackets or quotes that would let it end early and start a
second one) and written in ASCII: a non-ASCII host as IDNA (`bücher.example`
becomes `xn--bcher-kva.example`), anything else non-ASCII percent-encoded as
UTF-8, as RFC 3986 and RFC 6068 ask.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit, urlunsplit

import idna

# What may stand in a URI as it is: RFC 3986's reserved and unreserved
# characters, and `%` for what is already percent-encoded.
URI_SAFE = "/:@!$&'()*+,;=-._~%?#[]"
_FORBIDDEN_RE = re.compile(r"[\s<>\"\\^`{|}]")


class BadUri(ValueError):
    """Not one absolute URI that can be written in ASCII."""


def ascii_host(host: str) -> str:
    """`bücher.example` -> `xn--bcher-kva.example`; ASCII hosts lowercased."""
    if host.isascii():
        return host.lower()
    try:
        return idna.encode(host, uts46=True).decode("ascii")
    except idna.IDNAError as exc:
        raise BadUri(f"its host {host!r} is not a valid international domain name ({exc})") from None


def percent_encode(text: str) -> str:
    """Non-ASCII and unsafe characters as %XX of their UTF-8 bytes; `%XX` kept."""
    return quote(text, safe=URI_SAFE)


def web_uri(value: str, schemes: tuple[str, ...] = ("https",)) -> str:
    """One absolute http(s) URL, in ASCII; raise `BadUri` with the reason."""
    names = " or ".join(f"{scheme}://" for scheme in schemes)
    if not any(value.lower().startswith(f"{scheme}://") for scheme in schemes):
        raise BadUri(f"must be an absolute {names} URL")
    found = _FORBIDDEN_RE.search(value)
    if found:
        raise BadUri(f"must be one URL: {found.group()!r} is not allowed in it (percent-encode it)")
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError as exc:  # "Invalid IPv6 URL", a port out of range
        raise BadUri(f"is not a valid URL ({exc})") from None
    if parts.scheme.lower() not in schemes or not parts.hostname:
        raise BadUri(f"must be an absolute {names} URL")
    host = parts.hostname
    host = f"[{host}]" if ":" in host else ascii_host(host)
    if parts.username is not None or parts.password is not None:
        raise BadUri("must not hold a user name or password")
    netloc = host + (f":{port}" if port is not None else "")
    return urlunsplit(
        (
            parts.scheme.lower(),
            netloc,
            percent_encode(parts.path),
            percent_encode(parts.query),
            percent_encode(parts.fragment),
        )
    )


def mailto_uri(value: str) -> str:
    """One `mailto:` URI with a single address, in ASCII (RFC 6068)."""
    found = _FORBIDDEN_RE.search(value)
    if found or not value.lower().startswith("mailto:"):
        raise BadUri("must be a mailto: URL, e.g. mailto:unsubscribe@example.org?subject=unsubscribe")
    address, _, query = value[len("mailto:") :].partition("?")
    local, at, domain = address.rpartition("@")
    if not at or not local or not domain or "," in address:
        raise BadUri("must be a mailto: URL with one address, e.g. mailto:unsubscribe@example.org")
    encoded = f"mailto:{percent_encode(local)}@{ascii_host(domain)}"
    return encoded + (f"?{percent_encode(query)}" if query else "")


__all__ = ["BadUri", "ascii_host", "mailto_uri", "percent_encode", "web_uri"]
