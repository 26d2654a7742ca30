"""The raw-HTML policy: what authors may write between Markdown, and what the build does with it.

Raw HTML in a post stays available (`<details>`, `<sup>`, an `<iframe>` embed),
but every page the build writes must be valid HTML. Markdown passes raw HTML
through untouched, so `a <b and c> d` or a `<div>` never closed would break
the page, the feeds and the email. This pass reads the converted body with
the standard library's HTML tokenizer and a stack of open elements, and
writes as text what is not an HTML element, what is never closed, what
closes nothing, and a block element inside a paragraph; each becomes a
problem for the author at the line it is on.

It also notes what email and feeds will drop (scripts, forms, iframes, event
handlers, `javascript:` URLs), so the author hears about it once, here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from html import escape
from html.entities import html5 as named_references
from html.parser import HTMLParser


def _words(text: str) -> list[str]:
    return text.split()


MAX_DEPTH = 100  # elements inside elements; deeper trees break parsers and readers alike

HTML_ELEMENTS = frozenset(
    _words(
        """a abbr address area article aside audio b bdi bdo blockquote br button canvas caption cite code
        col colgroup data datalist dd del details dfn dialog div dl dt em embed fieldset figcaption
        figure footer form h1 h2 h3 h4 h5 h6 header hgroup hr i iframe img input ins kbd label legend
        li main map mark menu meter nav noscript object ol optgroup option output p picture pre
        progress q rp rt ruby s samp script search section select slot small source span strong style
        sub summary sup table tbody td template textarea tfoot th thead time tr track u ul var video
        wbr math svg"""
    )
)
VOID_ELEMENTS = frozenset(["area", "br", "col", "embed", "hr", "img", "input", "source", "track", "wbr"])
# Elements whose end tag HTML lets an author leave out.
OPTIONAL_END = frozenset(
    _words("""p li dt dd rt rp optgroup option colgroup caption thead tbody tfoot tr td th""")
)
# A start tag of the key implicitly closes an open element of the value.
IMPLICITLY_CLOSES = {
    "li": {"li"},
    "dt": {"dt", "dd"},
    "dd": {"dt", "dd"},
    "tr": {"tr", "td", "th"},
    "td": {"td", "th"},
    "th": {"td", "th"},
    "thead": {"tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"},
    "tbody": {"thead", "tbody", "tfoot", "tr", "td", "th", "caption", "colgroup"},
    "tfoot": {"thead", "tbody", "tr", "td", "th", "caption", "colgroup"},
    "option": {"option"},
    "optgroup": {"option", "optgroup"},
    "rt": {"rt", "rp"},
    "rp": {"rt", "rp"},
}
# Block elements that cannot stand inside a paragraph (HTML would end the paragraph).
CLOSES_PARAGRAPH = frozenset(
    _words(
        """address article aside blockquote details dialog div dl fieldset figcaption figure footer form
        h1 h2 h3 h4 h5 h6 header hgroup hr main menu nav ol p pre search section summary table ul
        li dd dt"""
    )
)
# Elements that HTML closes rather than nest (a link inside a link).
NOT_NESTED = frozenset({"a", "button", "form"})
# Elements email and feeds remove, since mail clients and feed readers drop them anyway.
REMOVED_IN_MAIL = frozenset(
    _words("""script style form input button select textarea iframe object embed frame frameset""")
)
URL_ATTRIBUTES = frozenset({"href", "src", "action", "formaction", "poster", "cite", "background", "srcset"})
SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_SCHEME_RE = re.compile(r"^\s*([a-zA-Z][a-zA-Z0-9+.-]*):")
_END_TAG_RE = re.compile(r"</[^>]*>?")
_ENTITY_RE = re.compile(r"&[A-Za-z][A-Za-z0-9]*;?")
_CHARREF_RE = re.compile(r"&#[xX]?[0-9A-Fa-f]*;?")


def unsafe_scheme(url: str) -> str | None:
    """`javascript` for `javascript:alert(1)`; None for http(s), mailto, tel and relative URLs."""
    cleaned = re.sub(r"[\x00-\x20]", "", url)  # browsers ignore these inside a scheme
    match = _SCHEME_RE.match(cleaned)
    if match and match.group(1).lower() not in SAFE_SCHEMES:
        return match.group(1).lower()
    return None


# Elements an end tag cannot reach past (the HTML standard's "has an element in scope").
SCOPE_BOUNDARIES = frozenset(
    {"applet", "caption", "html", "table", "td", "th", "marquee", "object", "template"}
)


@dataclass(frozen=True)
class HtmlProblem:
    """One thing in a body's raw HTML. `kind`: invalid (written as text), unsafe (dropped
    from email and feeds) or depth (the body cannot be built)."""

    kind: str
    snippet: str  # as written in the post, to find its line
    message: str


@dataclass
class _Open:
    tag: str
    start: int  # offset of the start tag in the HTML
    raw: str


class _Checker(HTMLParser):
    """Walks the tokens with a stack of open elements, noting what to write as text."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=False)
        self.html = html
        self.line_starts = [0] + [m.end() for m in re.finditer("\n", html)]
        self.stack: list[_Open] = []
        self.as_text: dict[int, str] = {}  # offset -> raw token to write as text
        self.problems: list[HtmlProblem] = []
        self.text_ends: dict[str, int] = {}  # start tags written as text, whose end tags follow them
        self.foreign = 0  # depth inside <svg> or <math>, where any tag name is allowed
        self.too_deep = False

    def position(self) -> int:
        line, column = self.getpos()
        return self.line_starts[line - 1] + column

    def invalid(self, raw: str, message: str, tag: str | None = None) -> None:
        self.as_text[self.position()] = raw
        self.problems.append(HtmlProblem("invalid", raw, f"{_short(raw)} {message}; written as text"))
        if tag is not None:
            self.text_ends[tag] = self.text_ends.get(tag, 0) + 1

    def quietly_as_text(self, tag: str, raw: str) -> bool:
        """The end tag of a start tag already written as text goes the same way, unreported."""
        if not self.text_ends.get(tag):
            return False
        self.text_ends[tag] -= 1
        self.as_text[self.position()] = raw
        return True

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=False)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._start(tag, attrs, self_closing=True)

    def _start(self, tag: str, attrs: list[tuple[str, str | None]], self_closing: bool) -> None:
        raw = self.get_starttag_text() or f"<{tag}>"
        if self.foreign:
            if not self_closing:
                self.foreign += 1
                self.stack.append(_Open(tag, self.position(), raw))
            return
        if tag not in HTML_ELEMENTS:
            self.invalid(raw, "is not an HTML element", tag)
            return
        while self.stack and self.stack[-1].tag in IMPLICITLY_CLOSES.get(tag, ()):
            self.stack.pop()
        if tag in NOT_NESTED and any(open_.tag == tag for open_ in self.stack):
            self.invalid(raw, f"cannot stand inside another <{tag}>", tag)
            return
        if tag in CLOSES_PARAGRAPH and any(open_.tag == "p" for open_ in self.stack):
            self.invalid(raw, "cannot stand inside a paragraph (give it lines of its own)", tag)
            return
        self._note_unsafe(tag, attrs, raw)
        if tag in VOID_ELEMENTS:
            return
        if tag in ("svg", "math") and not self_closing:
            self.foreign = 1
        elif self_closing:
            self.invalid(raw, "cannot close itself with />: write its end tag")
            return
        self.stack.append(_Open(tag, self.position(), raw))
        if len(self.stack) > MAX_DEPTH and not self.too_deep:
            self.too_deep = True
            self.problems.append(HtmlProblem("depth", raw, f"elements are nested more than {MAX_DEPTH} deep"))

    def _note_unsafe(self, tag: str, attrs: list[tuple[str, str | None]], raw: str) -> None:
        values = dict(attrs)
        task_box = tag == "input" and values.get("type") == "checkbox" and "disabled" in values
        if tag in REMOVED_IN_MAIL and not task_box:
            what = "turned into a link" if tag == "iframe" else "removed"
            self.problems.append(
                HtmlProblem("unsafe", raw, f"<{tag}> is {what} in the email and feeds (mail clients drop it)")
            )
            return
        for name, value in attrs:
            if name.startswith("on"):
                message = (
                    f"the {name} attribute is removed in the email and feeds (event handlers never run there)"
                )
                self.problems.append(HtmlProblem("unsafe", raw, message))
            elif name in URL_ATTRIBUTES and value is not None and (scheme := unsafe_scheme(value)):
                message = f"the {scheme}: URL in {name} is removed in the email and feeds"
                self.problems.append(HtmlProblem("unsafe", value, message))

    def handle_endtag(self, tag: str) -> None:
        found = _END_TAG_RE.match(self.html, self.position())
        raw = found.group() if found else f"</{tag}>"
        if self.foreign:
            if self.stack and self.stack[-1].tag == tag:
                self.stack.pop()
                self.foreign -= 1
            return
        index = next((i for i in range(len(self.stack) - 1, -1, -1) if self.stack[i].tag == tag), None)
        if index is None and self.quietly_as_text(tag, raw):
            return
        if tag not in HTML_ELEMENTS:
            self.invalid(raw, "is not an HTML element")
            return
        if index is None or any(open.tag in SCOPE_BOUNDARIES for open in self.stack[index + 1 :]):
            # beyond a table cell, caption or table an end tag closes nothing (HTML's "in scope")
            self.invalid(raw, "closes no open element")
            return
        for unclosed in self.stack[index + 1 :]:
            self._unclosed(unclosed)
        del self.stack[index:]

    def _unclosed(self, element: _Open) -> None:
        if element.tag in OPTIONAL_END:
            return
        self.as_text[element.start] = element.raw
        message = f"{_short(element.raw)} is never closed; written as text"
        self.problems.append(HtmlProblem("invalid", element.raw, message))

    def handle_charref(self, name: str) -> None:
        found = _CHARREF_RE.match(self.html, self.position())
        raw = found.group() if found else f"&#{name};"
        try:
            number = int(name[1:], 16) if name[:1] in "xX" else int(name)
        except ValueError:
            number = -1
        if number == 0 or 0x01 <= number <= 0x08 or 0x0B <= number <= 0x1F or 0x7F <= number <= 0x9F:
            self.invalid(raw, "stands for a control character")
        elif number > 0x10FFFF or 0xD800 <= number <= 0xDFFF or number < 0:
            self.invalid(raw, "is not a character")
        elif not raw.endswith(";"):
            self.invalid(raw, "is a character reference without its closing semicolon")

    def handle_entityref(self, name: str) -> None:
        found = _ENTITY_RE.match(self.html, self.position())
        raw = found.group() if found else f"&{name}"
        if f"{name};" not in named_references:
            self.invalid(raw, "is not a character reference")
        elif not raw.endswith(";"):
            self.invalid(raw, "is a character reference without its closing semicolon")

    def handle_pi(self, data: str) -> None:
        self.invalid(f"<?{data}>", "is not HTML")

    def handle_decl(self, decl: str) -> None:
        self.invalid(f"<!{decl}>", "cannot stand in a post")

    def unknown_decl(self, data: str) -> None:
        self.invalid(f"<![{data}]>", "is not HTML")

    def close(self) -> None:
        super().close()
        for unclosed in self.stack:
            if self.foreign:
                break
            self._unclosed(unclosed)
        self.stack = []


def _unclosed_comment(html: str) -> tuple[str, list[HtmlProblem]]:
    """A `<!--` with no `-->` after it would hide the rest of the page: write it as text.

    Done before tokenizing: the tokenizer would hand the rest over as text,
    which a browser would not do.
    """
    position = 0
    while (start := html.find("<!--", position)) != -1:
        end = html.find("-->", start + 4)
        if end == -1:
            problem = HtmlProblem("invalid", "<!--", "<!-- is never closed; written as text")
            return html[:start] + "&lt;!--" + html[start + 4 :], [problem]
        position = end + 3
    return html, []


_REFERENCE_RE = re.compile(r"^&(?:#([0-9]{1,7})|#[xX]([0-9A-Fa-f]{1,6})|([A-Za-z][A-Za-z0-9]*));$")


def is_plain_reference(text: str) -> bool:
    """True for `&amp;`, `&mdash;`, `&#8212;`: one well-formed reference to a printable character."""
    match = _REFERENCE_RE.match(text)
    if match is None:
        return False
    if match.group(3):
        return f"{match.group(3)};" in named_references
    number = int(match.group(1)) if match.group(1) else int(match.group(2), 16)
    return (
        0x20 <= number <= 0x10FFFF and not (0x7F <= number <= 0x9F or 0xD800 <= number <= 0xDFFF)
    ) or number in (9, 10, 13)


def _short(raw: str) -> str:
    raw = " ".join(raw.split())
    return raw if len(raw) <= 60 else raw[:57] + "…"


def check_html(html: str) -> tuple[str, list[HtmlProblem]]:
    """`html` with what would make it invalid written as text, and what was found.

    A disabled checkbox is not reported: the build makes those for task lists.
    """
    html, comment_problems = _unclosed_comment(html)
    checker = _Checker(html)
    checker.feed(html)
    checker.close()
    checker.problems[:0] = comment_problems
    if not checker.as_text:
        return html, checker.problems
    pieces: list[str] = []
    done = 0
    for offset in sorted(checker.as_text):
        raw = checker.as_text[offset]
        if offset < done or not html.startswith(raw, offset):
            continue
        pieces += [html[done:offset], escape(raw, quote=False)]
        done = offset + len(raw)
    pieces.append(html[done:])
    return "".join(pieces), checker.problems


__all__ = ["MAX_DEPTH", "REMOVED_IN_MAIL", "HtmlProblem", "check_html", "unsafe_scheme"]
