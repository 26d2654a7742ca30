"""A post body as email and feeds may carry it: the allow-list half of the raw-HTML policy.

Mail clients and feed readers drop scripts, forms, iframes, event handlers
and `javascript:` URLs, and some flag the message or the feed that holds
them. So those are removed here, with nh3 (the Ammonia sanitizer), from an
allow-list of elements, attributes and URL schemes; an iframe becomes a link
to what it showed. The author was warned about each at resolve time
(`publisher.content.rawhtml`).
"""

from __future__ import annotations

import re
from html import escape
from html.parser import HTMLParser

import nh3

from publisher.content.rawhtml import SAFE_SCHEMES

TAGS = (set(nh3.ALLOWED_TAGS) - {"acronym", "center", "strike", "tt"}) | {
    "figure",
    "figcaption",
    "details",
    "summary",
    "input",
    "picture",
    "source",
    "tfoot",
    "video",
    "audio",
    "section",
}
GENERIC_ATTRIBUTES = {"class", "id", "title", "lang", "dir", "style", "role", "aria-label", "aria-hidden"}
ATTRIBUTES: dict[str, set[str]] = {
    **{tag: set(names) for tag, names in nh3.ALLOWED_ATTRIBUTES.items()},
    "*": GENERIC_ATTRIBUTES,
    "a": {"href", "hreflang", "rel", "target"},
    "img": {"src", "alt", "width", "height", "loading", "decoding", "srcset", "sizes"},
    "input": {"type", "checked", "disabled"},  # task lists' boxes; other inputs go before nh3
    "td": {"colspan", "rowspan", "align", "headers"},
    "th": {"colspan", "rowspan", "align", "headers", "scope"},
    "ol": {"start", "reversed", "type"},
    "li": {"value"},
    "source": {"src", "srcset", "type", "media"},
    "video": {"src", "poster", "controls", "width", "height"},
    "audio": {"src", "controls"},
    "details": {"open"},
    "time": {"datetime"},
}


# The task-list boxes the Markdown renderer writes (`publisher.content.markup`): kept as they are.
TASK_BOXES = (
    '<input aria-label="To do" disabled type="checkbox">',
    '<input aria-label="Done" checked disabled type="checkbox">',
)
_NEWLINE = re.compile("\n")
_OPENINGS = re.compile("<(?:iframe|input)", re.IGNORECASE)


class _IframeLinks(HTMLParser):
    """Finds each `<iframe …>` and the link that replaces it, and each form control but task boxes."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.html = html
        self.line_starts = [0] + [match.end() for match in _NEWLINE.finditer(html)]
        self.replacements: list[tuple[int, int, str]] = []  # start, end of the start tag, link
        self.open_at: int | None = None

    def _position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "input" and not (values.get("type") == "checkbox" and "disabled" in values):
            start = self._position()
            self.replacements.append((start, start + len(self.get_starttag_text() or ""), ""))
            return
        if tag != "iframe":
            return
        src = values.get("src") or ""
        start = self._position()
        raw = self.get_starttag_text() or ""
        title = values.get("title") or src
        link = f'<a href="{escape(src)}">{escape(title)}</a>' if src else ""
        self.replacements.append((start, start + len(raw), link))


def iframes_as_links(html: str) -> str:
    """Each `<iframe src=…>` as a link to its `src`; what was inside it is dropped by nh3."""
    return html if only_task_boxes(html) else replace_tags(html)


def replace_tags(html: str) -> str:
    """`iframes_as_links` by parsing: iframes as links, form controls but task boxes dropped."""
    parser = _IframeLinks(html)
    parser.feed(html)
    parser.close()
    pieces: list[str] = []
    done = 0
    for start, end, link in parser.replacements:
        if start < done:
            continue
        pieces += [html[done:start], link]
        done = end
    pieces.append(html[done:])
    return "".join(pieces)


def only_task_boxes(html: str) -> bool:
    """True when `iframes_as_links` has nothing to replace, seen without parsing the HTML.

    Only a start tag named `iframe` or `input` is replaced, and every such tag
    begins with `<iframe` or `<input` in any case. When there is no `<iframe`
    and each `<input` begins one of the task boxes exactly, every tag the
    parser could find there is a disabled checkbox, which it keeps; text that
    the parser reads as something else (a comment, an attribute value) is
    kept too. So the HTML comes back unchanged, and need not be parsed.
    """
    return all(html.startswith(TASK_BOXES, match.start()) for match in _OPENINGS.finditer(html))


def mail_safe(html: str) -> str:
    """`html` with only what email and feed readers keep: see the module docstring."""
    return nh3.clean(
        iframes_as_links(html),
        tags=TAGS,
        attributes=ATTRIBUTES,
        generic_attribute_prefixes={"aria-"},
        url_schemes=set(SAFE_SCHEMES),
        link_rel=None,
        strip_comments=True,
        clean_content_tags={"script", "style", "iframe", "textarea", "select", "object", "template"},
    )


__all__ = ["iframes_as_links", "mail_safe", "only_task_boxes", "replace_tags"]
