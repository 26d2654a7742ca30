"""The plain-text alternative of an emailed post.

Written from the post's own structure, not by stripping tags from the email
HTML: the body's element tree is walked block by block, so headings stay set
off, lists keep `-` and `1.` markers, quotes get `> `, tables line up, and
links become numbered references `[1]` listed under the text. Lines are
wrapped at 78 characters; code and URLs are never broken.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

from lxml.html import HtmlElement

from publisher.render.email.parts import EmailParts

WIDTH = 78
BLOCK_TAGS = frozenset(
    {
        "p",
        "h1",
        "h2",
        "h3",
        "h4",
        "h5",
        "h6",
        "ul",
        "ol",
        "blockquote",
        "pre",
        "table",
        "div",
        "hr",
        "dl",
        "figure",
        "figcaption",
        "section",
        "aside",
        "details",
        "summary",
    }
)
HEADING_RULES = {"h1": "=", "h2": "-"}
SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_LINE_BREAK = "\x00"  # stands for <br> while whitespace is collapsed
_SPACES = re.compile(r"[ \t\r\n\f\v\u00a0]+")
# Whitespace that str.split() splits on and _SPACES does not (str.isspace(), less the above).
_OTHER_SPACES = re.compile("[\x1c-\x1f\x85\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]")


class LinkList:
    """Numbers each distinct URL once, in order of first appearance."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        self._numbers: dict[str, int] = {}

    def number(self, url: str) -> int:
        if url not in self._numbers:
            self.urls.append(url)
            self._numbers[url] = len(self.urls)
        return self._numbers[url]


def wrap(text: str, width: int = WIDTH, first: str = "", rest: str = "") -> str:
    """Fill `text` to `width`, never breaking a word, URL or hyphenated name.

    Newlines in `text` are kept as line breaks. A word longer than the line
    (a long URL) gets a line of its own. Greedy: each line takes as many
    words as fit, found by searching the space-joined words for the last
    space that fits rather than adding one word at a time.
    """
    return _fill([" ".join(part.split()) for part in text.split("\n")], width, first, rest)


def _fill(parts: list[str], width: int, first: str = "", rest: str = "") -> str:
    """`wrap` of text whose lines are `parts`, each already words joined by single spaces."""
    lines: list[str] = []
    for words in parts:
        while words:
            lead = rest if lines else first
            room = width - len(lead)
            if len(words) <= room:
                lines.append(lead + words)
                break
            cut = words.rfind(" ", 0, room + 1) if room >= 0 else -1
            if cut < 0:  # the first word alone is wider than the line
                cut = words.find(" ")
                if cut < 0:
                    lines.append(lead + words)
                    break
            lines.append(lead + words[:cut])
            words = words[cut + 1 :]
    return "\n".join(lines)


def prefix_lines(text: str, first: str, rest: str) -> str:
    """Put `first` before the first line and `rest` before the others."""
    out = []
    for index, line in enumerate(text.split("\n")):
        lead = first if index == 0 else rest
        out.append((lead + line) if line else lead.rstrip())
    return "\n".join(out)


class BodyText:
    """Renders one post body; `links` collects the URLs it referenced."""

    def __init__(self) -> None:
        self.links = LinkList()

    def render(self, root: HtmlElement, width: int = WIDTH) -> str:
        return "\n\n".join(self.blocks(root, width))

    # Blocks -----------------------------------------------------------------

    def blocks(self, container: HtmlElement, width: int) -> list[str]:
        """Each block inside `container`, rendered; loose inline content becomes a paragraph."""
        out: list[str] = []
        run: list[str] = [container.text or ""]
        for child in container:
            if not isinstance(child.tag, str):  # comments, processing instructions
                run.append(child.tail or "")
                continue
            if child.tag in BLOCK_TAGS:
                self._flush(run, width, out)
                out.extend(self.block(child, width))
                run = [child.tail or ""]
            else:
                run.append(self.inline(child))
                run.append(child.tail or "")
        self._flush(run, width, out)
        return out

    def _flush(self, run: list[str], width: int, out: list[str]) -> None:
        text = wrap_inline("".join(run), width)
        if text:
            out.append(text)

    def block(self, element: HtmlElement, width: int) -> list[str]:
        tag = element.tag
        if tag == "p":
            text = wrap_inline(self._inline_children(element), width)
            return [text] if text else []
        if tag in ("h1", "h2", "h3", "h4", "h5", "h6"):
            return [heading(self.inline_text(element), tag, width)]
        if tag in ("ul", "ol"):
            return [self.list(element, width)] if len(element) else []
        if tag == "blockquote":
            inner = "\n\n".join(self.blocks(element, width - 2))
            return [prefix_lines(inner, "> ", "> ")] if inner else []
        if tag == "pre":
            code = element.text_content().strip("\n")
            return [prefix_lines(code, "    ", "    ")] if code else []
        if tag == "table":
            return [self.table(element, width)]
        if tag == "hr":
            return ["* * *"]
        if tag == "dl":
            return [self.definitions(element, width)]
        if tag == "div" and "footnote" in element.get("class", "").split():
            notes = [child for child in element if child.tag == "ol"]
            return [heading("Notes", "h2", width), *(self.list(ol, width) for ol in notes)]
        return self.blocks(element, width)

    def list(self, element: HtmlElement, width: int) -> str:
        ordered = element.tag == "ol"
        items = [child for child in element if child.tag == "li"]
        start = int(element.get("start", "1")) if ordered and element.get("start", "1").isdigit() else 1
        marker_width = len(f"{start + len(items) - 1}. ") if ordered else 2
        loose = any(child.tag == "p" for item in items for child in item)
        rendered = []
        for number, item in enumerate(items, start=start):
            marker = f"{number}.".rjust(marker_width - 1) + " " if ordered else "- "
            body = ("\n\n" if loose else "\n").join(self.blocks(item, width - marker_width))
            rendered.append(prefix_lines(body, marker, " " * marker_width))
        return ("\n\n" if loose else "\n").join(rendered)

    def table(self, element: HtmlElement, width: int) -> str:
        rows: list[list[str]] = []
        right: set[int] = set()
        header: list[str] | None = None
        for row in element.iter("tr"):
            cells = [cell for cell in row if cell.tag in ("th", "td")]
            texts = [" ".join(self.inline_text(cell).split()) for cell in cells]
            for index, cell in enumerate(cells):
                if "right" in cell.get("style", "") or cell.get("align") == "right":
                    right.add(index)
            if header is None and cells and all(cell.tag == "th" for cell in cells):
                header = texts
            else:
                rows.append(texts)
        columns = max([len(r) for r in rows] + [len(header or [])] + [0])
        grid = [(r + [""] * columns)[:columns] for r in ([header] if header else []) + rows]
        widths = [max(len(r[i]) for r in grid) for i in range(columns)] if grid else []
        if widths and sum(widths) + 2 * (columns - 1) <= width:
            lines = []
            for index, cells in enumerate(grid):
                padded = [
                    cell.rjust(widths[i]) if i in right else cell.ljust(widths[i])
                    for i, cell in enumerate(cells)
                ]
                lines.append("  ".join(padded).rstrip())
                if index == 0 and header:
                    lines.append("  ".join("-" * w for w in widths))
            return "\n".join(lines)
        # Too wide to line up: one record per row, "Header: value".
        records = []
        for cells in grid[1:] if header else grid:
            if header:
                lines = [
                    wrap(f"{name}: {value}", width, "", "  ")
                    for name, value in zip(header, cells, strict=False)
                ]
            else:
                lines = [wrap(" | ".join(cells), width)]
            records.append("\n".join(line for line in lines if line))
        return "\n\n".join(records)

    def definitions(self, element: HtmlElement, width: int) -> str:
        lines = []
        for child in element:
            if child.tag == "dt":
                lines.append(wrap_inline(self._inline_children(child), width))
            elif child.tag == "dd":
                lines.append(prefix_lines("\n\n".join(self.blocks(child, width - 4)), "    ", "    "))
        return "\n".join(lines)

    # Inline -----------------------------------------------------------------

    def inline_text(self, element: HtmlElement) -> str:
        """The element's content as one run of text, whitespace collapsed."""
        return _collapse(self._inline_children(element))

    def _inline_children(self, element: HtmlElement) -> str:
        parts = [element.text or ""]
        for child in element:
            if isinstance(child.tag, str):
                parts.append(self.inline(child))
            parts.append(child.tail or "")
        return "".join(parts)

    def inline(self, element: HtmlElement) -> str:
        tag = element.tag
        if tag == "br":
            return _LINE_BREAK
        if tag == "img":
            alt = " ".join(element.get("alt", "").split())
            return f"[Image: {alt}]" if alt else "[Image]"
        if tag == "input" and element.get("type") == "checkbox":
            return "[x]" if element.get("checked") is not None else "[ ]"
        if tag == "a":
            classes = element.get("class", "").split()
            text = self._inline_children(element)
            href = (element.get("href") or "").strip()
            if "footnote-backref" in classes:
                return ""
            if "footnote-ref" in classes:
                return _collapse(text).translate(SUPERSCRIPT)
            if not href or href.startswith("#"):
                return text
            shown = " ".join(text.split())
            if shown in (href, href.removeprefix("mailto:")) or not shown:
                return href
            return f"{text} [{self.links.number(href)}]"
        if tag in BLOCK_TAGS:
            return " " + self._inline_children(element) + " "
        return self._inline_children(element)


def wrap_inline(text: str, width: int) -> str:
    """`wrap(_collapse(text), width)`, with the words split once instead of twice.

    On the fast path of `_collapse` its lines are already single-spaced words,
    which is what `wrap` would make of them again; an empty line adds nothing
    to what `wrap` returns, so stripping them first changes nothing.
    """
    if not text or text.isspace():  # nothing but whitespace: _collapse strips it all
        return ""
    if _only_collapsible_spaces(text):
        return _fill(_collapsed_lines(text), width)
    return wrap(_collapse_by_pattern(text), width)


def _collapse(text: str) -> str:
    """Runs of spaces, tabs, line ends and no-break spaces as one space; `<br>` as a line end.

    When `text` holds no other whitespace, `str.split()` splits exactly where
    `_SPACES` does, and strips the ends as `strip()` does, so it is used: it
    is several times faster than the regular expression.
    """
    if _only_collapsible_spaces(text):
        return "\n".join(_collapsed_lines(text)).strip()
    return _collapse_by_pattern(text)


def _collapsed_lines(text: str) -> list[str]:
    """The fast path of `_collapse`, line by line (`<br>` ends a line)."""
    return [" ".join(part.split()) for part in text.split(_LINE_BREAK)]


def _collapse_by_pattern(text: str) -> str:
    """`_collapse` for any text: other whitespace (an em space) is kept inside a line."""
    return "\n".join(" ".join(_SPACES.split(part)).strip() for part in text.split(_LINE_BREAK)).strip()


def _only_collapsible_spaces(text: str) -> bool:
    """True when every whitespace character in `text` is one `_SPACES` matches."""
    if text.isascii():
        return not ("\x1c" in text or "\x1d" in text or "\x1e" in text or "\x1f" in text)
    return _OTHER_SPACES.search(text) is None


def heading(text: str, tag: str, width: int = WIDTH) -> str:
    """A heading set off by an underline: `=` for h1, `-` for h2, `~` below."""
    wrapped = wrap(text, width)
    rule = HEADING_RULES.get(tag, "~")
    longest = max((len(line) for line in wrapped.split("\n")), default=0)
    return f"{wrapped}\n{rule * longest}"


def render_text(parts: EmailParts, body: HtmlElement) -> str:
    """The whole plain-text email: header, body, link list, then the footer blocks."""
    return "\n".join(_lines(parts, body)).rstrip("\n") + "\n"


def _lines(parts: EmailParts, body: HtmlElement) -> Iterator[str]:
    entry = parts.entry
    publication = parts.publication
    renderer = BodyText()
    yield wrap(f"{publication.title} · {entry.section.singular}")
    yield ""
    yield heading(entry.title, "h1")
    if entry.subtitle:
        yield ""
        yield wrap(entry.subtitle)
    yield ""
    yield wrap(f"By {', '.join(parts.authors)} · {parts.date} · {entry.reading_minutes} min read")
    if entry.responds_to is not None:
        yield wrap(f"In response to {entry.responds_to.title}: {entry.responds_to.absolute_url}")
    yield ""
    text = renderer.render(body)
    if text:
        yield text
        yield ""
    if renderer.links.urls:
        yield "Links:"
        for number, url in enumerate(renderer.links.urls, start=1):
            yield f"[{number}] {url}"
        yield ""
    yield "-" * WIDTH
    yield wrap(f"View this post in your browser: {parts.view_url}")
    yield ""
    yield heading(f"How {publication.title} is organised", "h2")
    for section, url in parts.sections:
        yield wrap(f"{section.name}: {section.description}")
        yield f"  {url}"
    yield ""
    yield heading("Support and transparency", "h2")
    yield wrap(publication.support.text)
    yield wrap(f"{publication.support.link_text}: {parts.support_url}")
    yield ""
    yield wrap(f"Was this forwarded to you? {publication.subscribe.text}: {parts.subscribe_url}")
    yield ""
    reply = parts.reply
    yield wrap(
        f"{reply.text} {reply.link_text}" if reply.url.startswith("mailto:") else f"{reply.text} {reply.url}"
    )
    yield ""
    yield "-" * WIDTH
    yield wrap(f"You are receiving this because you subscribed to {publication.title}.")
    yield wrap(publication.email.postal_address)
    yield f"Unsubscribe: {parts.unsubscribe_url}"
    if parts.preferences_url:
        yield f"Manage preferences: {parts.preferences_url}"


__all__ = ["WIDTH", "BodyText", "LinkList", "heading", "render_text", "wrap"]
