"""Make the URLs inside an HTML fragment absolute.

Post bodies use site-relative URLs (`/p/slug/`, `/media/x.png`) and bare
fragments (`#fn:1`), which is right on the web but wrong anywhere else: feed
readers and mail clients do not resolve them against the post. `absolutize`
rewrites them against the post's absolute URL.

The fragment is read with the standard library's HTML tokenizer, and only the
start tags whose URLs change are rewritten; every other byte is kept as it
was, so the result differs from the input in nothing but its URLs.
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser
from urllib.parse import urljoin

# Attributes whose whole value is one URL. `style="background: url(...)"` is not
# handled: post bodies do not use it.
URL_ATTRIBUTES = frozenset(
    {"href", "src", "poster", "cite", "action", "formaction", "longdesc", "background"}
)
# Attributes holding a comma-separated list of "URL descriptor" candidates.
SRCSET_ATTRIBUTES = frozenset({"srcset"})

_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
# Merge tags and template placeholders (`{{ unsubscribe_url }}`, `*|UNSUB|*`)
# are URLs to be filled in later, not relative references.
_PLACEHOLDERS = ("{{", "{%", "*|")


def absolute_url(url: str, base: str) -> str:
    """`url` resolved against `base`; URLs with a scheme and placeholders unchanged.

    `mailto:`, `tel:`, `data:` and `https:` URLs are returned as given;
    `/p/x/`, `img.png`, `//host/x` and `#fn:1` are joined with `base`.
    """
    stripped = url.strip()
    if _SCHEME_RE.match(stripped) or any(mark in stripped for mark in _PLACEHOLDERS):
        return url
    return urljoin(base, stripped)


def absolute_srcset(value: str, base: str) -> str:
    """Each candidate URL of a `srcset` resolved against `base`, descriptors kept.

    A candidate URL is a run of non-space characters (so it may hold commas,
    as `data:` URLs do); a comma ends it only when it is the last character.
    """
    candidates: list[str] = []
    position, length = 0, len(value)
    while position < length:
        while position < length and (value[position].isspace() or value[position] == ","):
            position += 1
        if position >= length:
            break
        start = position
        while position < length and not value[position].isspace():
            position += 1
        url = value[start:position]
        descriptor = ""
        if url.endswith(","):
            url = url.rstrip(",")
        else:
            end = value.find(",", position)
            end = length if end == -1 else end
            descriptor = " ".join(value[position:end].split())
            position = end
        candidates.append(absolute_url(url, base) + (f" {descriptor}" if descriptor else ""))
    return ", ".join(candidates)


def absolutize(html: str, base: str) -> str:
    """`html` with every relative URL in its tags resolved against `base`.

    `base` is the absolute URL of the page the fragment belongs to, e.g. a
    post's permalink: then `#fn:1` becomes `<permalink>#fn:1`.
    """
    if not html:
        return html
    parser = _UrlRewriter(base)
    parser.feed(html)
    parser.close()
    if not parser.edits:
        return html
    line_starts = [0] + [match.end() for match in re.finditer("\n", html)]
    pieces: list[str] = []
    done = 0
    for (line, column), raw, replacement in parser.edits:
        offset = line_starts[line - 1] + column
        if offset < done or not html.startswith(raw, offset):
            continue  # the tokenizer's position disagrees with the text: leave this tag alone
        pieces.append(html[done:offset])
        pieces.append(replacement)
        done = offset + len(raw)
    pieces.append(html[done:])
    return "".join(pieces)


class _UrlRewriter(HTMLParser):
    """Collects (position, original start tag, rewritten start tag) for tags that change."""

    def __init__(self, base: str) -> None:
        super().__init__(convert_charrefs=True)
        self.base = base
        self.edits: list[tuple[tuple[int, int], str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._rewrite(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._rewrite(tag, attrs, self_closing=True)

    def _rewrite(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        changed = False
        rewritten: list[tuple[str, str | None]] = []
        for name, value in attrs:
            new = value
            if value is not None and name in URL_ATTRIBUTES:
                new = absolute_url(value, self.base)
            elif value is not None and name in SRCSET_ATTRIBUTES:
                new = absolute_srcset(value, self.base)
            changed = changed or new != value
            rewritten.append((name, new))
        raw = self.get_starttag_text()
        if not changed or raw is None:
            return
        parts = [tag] + [name if value is None else f'{name}="{escape(value)}"' for name, value in rewritten]
        self.edits.append((self.getpos(), raw, "<" + " ".join(parts) + (" />" if self_closing else ">")))


__all__ = ["absolute_srcset", "absolute_url", "absolutize"]
