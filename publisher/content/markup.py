"""Markdown to HTML for one post body, with links between posts rewritten.

One `markdown.Markdown` instance is built per renderer and reset between
posts: building it costs more than converting a typical post.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
import sys
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

import markdown
from markdown.extensions import Extension
from markdown.treeprocessors import Treeprocessor, UnescapeTreeprocessor
from markdown.util import HTML_PLACEHOLDER_RE

from publisher.content.block_level import use_block_level_set
from publisher.content.block_skip import use_skipping_blocks
from publisher.content.inline_skip import use_skipping_inline
from publisher.content.preprocess_skip import use_skipping_preprocessors
from publisher.content.rawhtml import MAX_DEPTH, HtmlProblem, check_html, is_plain_reference
from publisher.content.tree_skip import use_quick_tree_passes

SUMMARY_LENGTH = 200
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")


@dataclass
class Body:
    """What rendering one post body produced."""

    html_text: str | None  # None: kept in the build cache's file `html_file`
    first_paragraph: str
    headings: list[tuple[int, str, str]]
    broken_links: list[str] = field(default_factory=list)
    images: dict[Path, str] = field(default_factory=dict)
    missing_images: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    # (href as written, target post file or None for this post, fragment)
    anchors: list[tuple[str, str | None, str]] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    # What the HTML depends on besides the post's own text, for the build cache:
    # (file paths as text: the cache holds thousands of these and Path objects unpickle slowly)
    links: dict[str, str | None] = field(default_factory=dict)  # .md target -> URL (None: no post)
    checked_images: dict[str, bool] = field(default_factory=dict)  # image file -> existed
    html_digest: str = ""
    html_file: Path | None = None
    # What the raw-HTML policy found (publisher.content.rawhtml)
    html_problems: list[HtmlProblem] = field(default_factory=list)

    @property
    def html(self) -> str:
        """The body HTML, read from the build cache only when a page needs it."""
        if self.html_text is None:
            assert self.html_file is not None
            self.html_text = self.html_file.read_text(encoding="utf-8")
        return self.html_text


@dataclass
class LinkContext:
    """Where the post being rendered sits, and where every other post lives."""

    post_file: Path
    posts_root: Path
    post_urls: dict[Path, str]
    media_url: str
    body: Body


def is_relative_reference(url: str) -> bool:
    """True for `other.md`, `img.png`, `../x/y.md#a`; false for URLs and anchors."""
    return bool(url) and not _SCHEME_RE.match(url) and not url.startswith(("/", "#", "//"))


class _RewriteLinks(Treeprocessor):
    """Point `.md` links at post URLs and images at their copies in the output."""

    context: LinkContext | None = None

    def run(self, root: Element) -> None:
        context = self.context
        assert context is not None
        base = context.post_file.parent
        for element in root.iter("a"):
            href = element.get("href", "")
            if href.startswith("#") and len(href) > 1:
                context.body.anchors.append((href, None, unquote(href[1:])))
            if not is_relative_reference(href):
                continue
            parts = urlsplit(href)
            if not parts.path.endswith(".md"):
                continue
            target = _normalise(base, parts.path)
            url = context.post_urls.get(target)
            context.body.links[str(target)] = url
            if url is None:
                context.body.broken_links.append(href)
                continue
            if parts.fragment:
                context.body.anchors.append((href, str(target), unquote(parts.fragment)))
            element.set("href", url + (f"#{parts.fragment}" if parts.fragment else ""))
        for element in root.iter("img"):
            src = element.get("src", "")
            if not element.get("alt", "").strip():
                context.body.images_without_alt.append(src)
            if not is_relative_reference(src):
                continue
            url = asset_url(context, urlsplit(src).path)
            if url is None:
                context.body.missing_images.append(src)
                continue
            element.set("src", url)
            element.set("loading", "lazy")
            element.set("decoding", "async")
        for element in root.iter("li"):
            _mark_task(element)
        _wrap_tables(root)
        context.body.first_paragraph = self._first_paragraph(root)
        context.body.ids = {str(element.get("id")) for element in root.iter() if element.get("id")}

    def _first_paragraph(self, root: Element) -> str:
        """The plain text of the first paragraph, as the reader sees it.

        Raw HTML and entities are still placeholders here; the paragraph is
        serialised and put through Markdown's own postprocessors to restore
        them. A paragraph that is only a placeholder is a raw HTML block.
        """
        for child in root:
            if child.tag != "p":
                continue
            if len(child) == 0 and HTML_PLACEHOLDER_RE.fullmatch((child.text or "").strip()):
                continue
            html = self.md.serializer(child)
            for processor in self.md.postprocessors:
                html = processor.run(html)
            for unescape in self.md.treeprocessors:  # backslash escapes are restored after this step
                if isinstance(unescape, UnescapeTreeprocessor):
                    html = unescape.unescape(html)
            return _text_of(check_html(html)[0])
        return ""


class _TextOf(HTMLParser):
    """The text of an HTML fragment, footnote references (`<sup>`) left out."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.in_sup = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.in_sup += tag == "sup"
        if tag == "br":
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.in_sup -= tag == "sup" and self.in_sup > 0

    def handle_data(self, data: str) -> None:
        if not self.in_sup:
            self.parts.append(data)


def _text_of(html: str) -> str:
    parser = _TextOf()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    return " ".join(_MARKERS_RE.sub("", text).split())


# Markdown's placeholder marks (STX, ETX); a post cannot hold them (control characters are errors).
_MARKERS_RE = re.compile("[\x02\x03]")


def _wrap_tables(root: Element) -> None:
    """Put each table in a scroll box that a keyboard can reach.

    A table wider than a phone scrolls sideways inside the box; without
    `tabindex` a keyboard user could not scroll it (WCAG 2.1.1).
    """
    for parent in list(root.iter()):
        for index, child in enumerate(list(parent)):
            if child.tag == "table":
                box = Element("div", {"class": "table-scroll", "role": "region", "tabindex": "0"})
                box.set("aria-label", "Table")
                parent.remove(child)
                parent.insert(index, box)
                box.append(child)
                box.tail, child.tail = child.tail, None


TASK_RE = re.compile(r"^\[([ xX])\]\s+")


def _mark_task(item: Element) -> None:
    """Turn `[ ] text` / `[x] text` at the start of a list item into a checkbox.

    The checkbox is disabled (a post is not a form) and labelled, so a screen
    reader announces it; email replaces it with a plain character.
    """
    holder = item[0] if len(item) and item[0].tag == "p" and not (item.text or "").strip() else item
    match = TASK_RE.match(holder.text or "")
    if match is None:
        return
    done = match.group(1) != " "
    holder.text = " " + (holder.text or "")[match.end() :]
    box = Element("input", {"type": "checkbox", "disabled": "disabled"})
    if done:
        box.set("checked", "checked")
    box.set("aria-label", "Done" if done else "To do")
    holder.insert(0, box)
    box.tail, holder.text = holder.text, ""
    item.set("class", (item.get("class", "") + " task-list-item").strip())


def asset_url(context: LinkContext, relative: str) -> str | None:
    """The output URL of a file referenced from a post, or None if it is missing.

    A file outside `posts/` counts as missing, and so does a symlink that
    points out of it: nothing outside the content folder is ever copied into
    the output.
    """
    target = _normalise(context.post_file.parent, relative)
    try:
        inside = target.relative_to(context.posts_root)
    except ValueError:
        return None
    usable = target.is_file() and target.resolve().is_relative_to(context.posts_root)
    context.body.checked_images[str(target)] = usable
    if not usable:
        return None
    context.body.images[target] = context.media_url + inside.as_posix()
    return context.body.images[target]


def _normalise(base: Path, relative: str) -> Path:
    return Path(posixpath.normpath((base / unquote(relative)).as_posix()))


class _LinkExtension(Extension):
    def __init__(self) -> None:
        super().__init__()
        self.processor: _RewriteLinks | None = None

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 (Markdown's API)
        self.processor = _RewriteLinks(md)
        md.treeprocessors.register(self.processor, "publisher-links", 1)


# Python-Markdown modules whose stashed HTML is its own highlighted code, not the author's.
_CODE_MODULES = frozenset({"markdown.extensions.fenced_code", "markdown.extensions.codehilite"})


class _RawHtmlLog:
    """Wraps the HTML stash's `store` to note whether the author wrote raw HTML.

    Markdown stashes raw HTML, entities and its own highlighted code alike;
    only the first two need the raw-HTML policy's pass over the whole body,
    which would otherwise run on every post with a code block.
    """

    def __init__(self, md: markdown.Markdown) -> None:
        self.raw = False
        self._store = md.htmlStash.store
        md.htmlStash.store = self.store  # type: ignore[method-assign]

    def store(self, html: object) -> str:
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if caller not in _CODE_MODULES and not (isinstance(html, str) and is_plain_reference(html)):
            self.raw = True
        return self._store(html)


def use_shortcuts(md: markdown.Markdown) -> None:
    """Python-Markdown's own HTML, without work that cannot change it (see each module).

    tests/test_same_bytes_markdown.py compares each, and all together, with stock Python-Markdown.
    """
    use_skipping_preprocessors(md)
    use_skipping_blocks(md)
    use_skipping_inline(md)
    use_quick_tree_passes(md)
    use_block_level_set(md)


class BodyRenderer:
    """Converts post bodies; one instance serves every post of a build."""

    def __init__(self) -> None:
        self._links = _LinkExtension()
        self._md = markdown.Markdown(
            extensions=[
                "tables",
                "footnotes",
                "fenced_code",
                "codehilite",
                "toc",
                "attr_list",
                self._links,
            ],
            extension_configs={
                "codehilite": {"guess_lang": False, "css_class": "highlight"},
                "toc": {"permalink": False},
            },
            output_format="html",
        )
        self._raw_html = _RawHtmlLog(self._md)
        use_shortcuts(self._md)

    def render(
        self, text: str, post_file: Path, posts_root: Path, post_urls: dict[Path, str], media_url: str
    ) -> Body:
        body = Body(html_text="", first_paragraph="", headings=[])
        assert self._links.processor is not None
        self._links.processor.context = LinkContext(post_file, posts_root, post_urls, media_url, body)
        self._md.reset()
        self._raw_html.raw = False
        try:
            html = self._md.convert(text)
        except RecursionError:  # Python-Markdown parses nested blocks recursively
            self._md.reset()
            message = f"lists or quotes are nested more than {MAX_DEPTH} deep"
            first_line = text.strip().split("\n", 1)[0]
            body.html_problems = [HtmlProblem("depth", first_line, message)]
            body.html_text = ""
            return body
        if self._raw_html.raw:  # the author wrote raw HTML: apply the raw-HTML policy
            html, body.html_problems = check_html(html)
        body.html_text = html
        body.html_digest = hashlib.blake2b(body.html_text.encode(), digest_size=16).hexdigest()
        body.headings = list(_flatten_toc(self._md.toc_tokens))  # type: ignore[attr-defined]
        return body


def _flatten_toc(tokens: list[dict]) -> list[tuple[int, str, str]]:
    out: list[tuple[int, str, str]] = []
    for token in tokens:
        out.append((token["level"], token["id"], token["name"]))
        out.extend(_flatten_toc(token["children"]))
    return out


def summarise(text: str, limit: int = SUMMARY_LENGTH) -> str:
    """Cut plain text at a word boundary near `limit` characters."""
    text = " ".join(text.split())
    if len(text) <= limit:
        return text
    cut = text[: limit + 1].rsplit(" ", 1)[0].rstrip(" ,;:.-–—")
    return cut + "…"
