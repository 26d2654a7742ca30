"""HTML from a newsletter platform becomes Markdown this publication renders.

Built on markdownify, with what a migration needs on top: platform widgets
(subscribe and share buttons, sign-up forms) removed, embeds (tweets, videos,
iframes) turned into links, figures with their captions, footnotes as
Markdown footnotes, and text escaped for Python-Markdown so nothing of it is
read as markup. What Markdown cannot hold (tables with merged cells or block
content, `<details>`) is kept as a small, well-formed HTML block built from an
allow-list of elements and attributes. Every such compromise is noted, so the
import report can list it.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass, field
from html import escape as html_escape
from urllib.parse import parse_qs, urljoin, urlsplit

from bs4 import BeautifulSoup, Comment, NavigableString, Tag
from markdownify import ATX, MarkdownConverter, abstract_inline_conversion

# Elements that carry no readable content of a post.
DROPPED = ("script", "style", "noscript", "template", "link", "meta", "head", "title", "source", "track")
# Elements removed with a note: interactive or plugin content that a static page cannot hold.
REMOVED_WITH_NOTE = ("form", "input", "button", "select", "textarea", "object", "embed", "canvas", "svg")
# What a raw HTML table or <details> block may keep.
TABLE_TAGS = {"table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"}
INLINE_TAGS = {"a", "strong", "em", "b", "i", "code", "br", "sup", "sub"}
CELL_ATTRIBUTES = {"colspan", "rowspan", "scope"}
SAFE_SCHEMES = ("http://", "https://", "mailto:")
_ENTITY_RE = re.compile(r"&(#\d+;?|#[xX][0-9a-fA-F]+;?|[a-zA-Z][a-zA-Z0-9]*;)")  # numeric ones need no ;
_LINE_START_RE = re.compile(r"(^|\n)([ \t]*)(#+|>|[-+*](?=\s|$)|=+(?=\s*$)|\d{1,9}(?=[.)](?:\s|$)))")
_SHORTCODE_CAPTION_RE = re.compile(r"\[caption[^\]]*\](.*?)\[/caption\]", re.S)
_SHORTCODE_EMBED_RE = re.compile(r"\[embed[^\]]*\](.*?)\[/embed\]", re.S)
_SHORTCODE_RE = re.compile(r"\[/?([a-z][a-z0-9_-]*)(?:\s[^\]]*)?\]")
_PLACEHOLDER = "\ue000FN{}\ue001"


@dataclass
class Converted:
    """A body as Markdown, and what could not be carried over as it was."""

    markdown: str
    notes: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)  # image URLs the body uses, in order


def escape_markdown(text: str) -> str:
    """Escape text so Python-Markdown shows it as written, not as markup."""
    text = text.replace("\\", "\\\\")
    for char in "`*_[]{}|":
        text = text.replace(char, "\\" + char)
    text = _ENTITY_RE.sub(lambda m: "&amp;" + m.group(0)[1:], text)
    text = text.replace("<", "&lt;")
    return _LINE_START_RE.sub(_escape_line_start, text)


def _escape_line_start(match: re.Match[str]) -> str:
    lead, indent, mark = match.groups()
    if mark[0].isdigit():
        return f"{lead}{indent}{mark}\\"  # `1.` -> `1\.`: the dot follows
    if mark[0] == "=":
        return f"{lead}{indent}" + "&#61;" * len(mark)
    return f"{lead}{indent}\\{mark}"


class _Converter(MarkdownConverter):
    """markdownify with this project's Markdown dialect (Python-Markdown with tables and footnotes)."""

    def __init__(self, notes: list[str], images: list[str], site_url: str = "") -> None:
        super().__init__(
            heading_style=ATX,
            bullets="-",
            escape_asterisks=False,
            escape_underscores=False,
            escape_misc=False,
            strong_em_symbol="*",
            code_language_callback=_code_language,
        )
        self.notes = notes
        self.images = images
        self.site_url = site_url

    def absolute(self, url: str) -> str:
        """`//host/x` and, with the old site's address, `/x` made absolute: they pointed at the old site."""
        if url.startswith("//"):
            return "https:" + url
        if url.startswith("/") and self.site_url:
            return urljoin(self.site_url.rstrip("/") + "/", url.lstrip("/"))
        return url

    def escape(self, text: str, parent_tags: set[str]) -> str:
        return escape_markdown(text) if text else ""

    def process_text(self, el: NavigableString, parent_tags: set[str] | None = None) -> str:
        text = super().process_text(el, parent_tags)
        return text.replace("\xa0", " ")

    def convert_list(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """markdownify's list, keeping the blank line after a nested list whose items are loose."""
        converted = super().convert_list(el, text, parent_tags)
        if "li" in parent_tags and "\n\n" in converted.strip("\n"):
            return converted + "\n\n"
        return converted

    convert_ul = convert_list
    convert_ol = convert_list

    def convert_blockquote(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A quote is a block of its own: a blank line before it, or it joins the line above."""
        converted = super().convert_blockquote(el, text, parent_tags)
        return "\n" + converted if converted.startswith("\n") and converted.strip() else converted

    def convert_em(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        if parent_tags & {"em", "i"}:
            return text  # emphasis inside emphasis would read as `**`, strong
        return super().convert_em(el, text, parent_tags)

    convert_i = convert_em

    convert_del = abstract_inline_conversion(lambda self: "<del>")
    convert_s = convert_del
    convert_strike = convert_del
    convert_sup = abstract_inline_conversion(lambda self: "<sup>")
    convert_sub = abstract_inline_conversion(lambda self: "<sub>")

    def convert_img(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        src = self.absolute(str(el.get("src") or "").strip())
        if not src.startswith(("http://", "https://", "/")):
            if src:
                self.notes.append(f"image {src[:60]!r} dropped: not an http(s) URL")
            return ""
        self.images.append(src)
        alt = " ".join(str(el.get("alt") or "").split())
        alt = alt.replace("\\", "\\\\").replace("[", "\\[").replace("]", "\\]")
        title = str(el.get("title") or "").strip()
        title_part = ' "{}"'.format(title.replace('"', "'")) if title else ""
        return f"![{alt}]({_url(src)}{title_part})"

    def convert_a(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        href = self.absolute(str(el.get("href") or "").strip())
        if "_noformat" in parent_tags or "a" in parent_tags:
            return text  # a link inside a link (invalid, but found in exports): the outer one wins
        prefix, suffix, inner = _chomp(text)
        if not inner:
            return ""
        if not href or not (href.startswith(SAFE_SCHEMES) or href.startswith(("/", "#"))):
            return text  # javascript:, data: and the like: keep the words, drop the link
        title = str(el.get("title") or "").strip()
        title_part = ' "{}"'.format(title.replace('"', "'")) if title else ""
        return f"{prefix}[{inner}]({_url(href)}{title_part}){suffix}"

    def convert_li(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        """A list item whose nested blocks are indented by four spaces, as Python-Markdown needs."""
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start") or "1")
            first = int(start) if start.isdigit() else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        lines = text.split("\n")
        first_block = lines.index("") if "" in lines else len(lines)
        # A quote that starts on the bullet line continues at the item's own indent: Python-Markdown
        # reads four spaces there as code inside the quote. Later blocks are indented by four.
        lazy = "  " if lines[0].startswith(">") else "    "
        rest = [
            ((lazy if number < first_block else "    ") + line) if line.strip() else ""
            for number, line in enumerate(lines[1:], start=1)
        ]
        end = "\n\n" if "\n\n" in text or _loose(parent) else "\n"
        return "\n".join([f"{bullet} {lines[0]}", *rest]) + end

    def convert_figcaption(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        text = " ".join(text.split())
        return f"\n\n*{text}*\n\n" if text else ""

    def convert_table(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        reason = _why_not_markdown(el)
        if reason is None:
            return super().convert_table(el, text, parent_tags)
        self.notes.append(f"table kept as HTML ({reason})")
        return "\n\n" + _clean_html(el, TABLE_TAGS | INLINE_TAGS) + "\n\n"

    def convert_details(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        self.notes.append("<details> kept as HTML")
        summary = el.find("summary")
        title = summary.get_text(" ", strip=True) if summary else "Details"
        if summary:
            summary.decompose()
        paragraphs = [" ".join(p.split()) for p in el.get_text("\n").split("\n\n") if p.strip()]
        inner = "".join(f"<p>{html_escape(p, quote=False)}</p>\n" for p in paragraphs)
        return f"\n\n<details>\n<summary>{html_escape(title, quote=False)}</summary>\n{inner}</details>\n\n"

    def convert_audio(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._player_link(el, text, "audio", "Listen to the audio")

    def convert_video(self, el: Tag, text: str, parent_tags: set[str]) -> str:
        return self._player_link(el, text, "video", "Watch the video")

    def _player_link(self, el: Tag, text: str, kind: str, label: str) -> str:
        """An <audio> or <video> player becomes a link to its file (its own or a <source>'s)."""
        src = str(el.get("src") or "")
        if not src:
            source = el.find("source")
            src = str(source.get("src") or "") if isinstance(source, Tag) else ""
        if not src.startswith(("http://", "https://")):
            return text
        self.notes.append(f"{kind} player turned into a link")
        return f"\n\n[{label}]({_url(src)})\n\n"


def _loose(list_element: Tag | None) -> bool:
    """A list whose items hold several blocks must separate every item by a blank line."""
    if list_element is None:
        return False
    blocks = ("p", "pre", "blockquote", "table", "figure", "div")
    return any(
        len(item.find_all(blocks, recursive=False)) > 1
        for item in list_element.find_all("li", recursive=False)
    )


def _chomp(text: str) -> tuple[str, str, str]:
    prefix = " " if text[:1] == " " else ""
    suffix = " " if text[-1:] == " " else ""
    return prefix, suffix, text.strip()


def _url(url: str) -> str:
    """A URL as a Markdown link destination: angle brackets when it holds spaces or parentheses."""
    if re.search(r"[\s()<>]", url):
        return "<" + url.replace("<", "%3C").replace(">", "%3E") + ">"
    return url


def _code_language(el: Tag) -> str:
    code = el.find("code")
    for candidate in (el, code):
        if isinstance(candidate, Tag):
            for cls in candidate.get("class") or []:
                if cls.startswith(("language-", "lang-")):
                    return re.sub(r"[^a-zA-Z0-9_+-]", "", cls.split("-", 1)[1])
    return ""


def _why_not_markdown(table: Tag) -> str | None:
    """Why a Markdown table could not hold this table, or None when it can."""
    if table.find(["td", "th"], attrs={"colspan": True}) or table.find(["td", "th"], attrs={"rowspan": True}):
        return "merged cells"
    if table.find("table"):
        return "a table inside a table"
    for cell in table.find_all(["td", "th"]):
        blocks = ["ul", "ol", "blockquote", "pre", "img", "h1", "h2", "h3", "h4"]
        if len(cell.find_all(["p", "div"])) > 1 or cell.find(blocks):
            return "block content in a cell"
    rows = table.find_all("tr")
    if not rows:
        return "no rows"
    return None


def _clean_html(element: Tag, allowed: set[str]) -> str:
    """`element` rebuilt from allowed tags and attributes only; anything else is kept as its text."""

    blocks = {"table", "thead", "tbody", "tfoot", "tr"}

    def walk(node: Tag | NavigableString) -> str:
        if isinstance(node, Comment):
            return ""
        if isinstance(node, NavigableString):
            if node.parent is not None and node.parent.name in blocks and not str(node).strip():
                return ""
            return html_escape(re.sub(r"\s+", " ", str(node)), quote=False)
        name = node.name
        inner = "".join(walk(child) for child in node.children)
        if name not in allowed:
            return f" {inner.strip()} " if name in ("p", "div", "li") else inner
        if name == "br":
            return "<br>"
        attributes = ""
        if name in ("td", "th"):
            for attribute in sorted(CELL_ATTRIBUTES):
                value = str(node.get(attribute) or "")
                if value and re.fullmatch(r"[a-z0-9]{1,8}", value):
                    attributes += f' {attribute}="{value}"'
            inner = inner.strip()
        if name == "a":
            href = str(node.get("href") or "")
            if not href.startswith(SAFE_SCHEMES):
                return inner
            attributes = f' href="{html_escape(href)}"'
        if name in blocks:
            return f"<{name}>\n{inner}</{name}>\n" if name != "tr" else f"<tr>{inner}</tr>\n"
        return f"<{name}{attributes}>{inner}</{name}>"

    return walk(element).strip()


# --- platform cleanup before conversion -------------------------------------------------------


def _data_attrs(tag: Tag) -> dict[str, object]:
    try:
        data = json.loads(str(tag.get("data-attrs") or "{}"))
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _is_platform_button(href: str) -> bool:
    """Subscribe, share and comment buttons that only make sense on the old platform."""
    parts = urlsplit(href)
    query = parse_qs(parts.query)
    return (
        parts.path.rstrip("/").endswith(("/subscribe", "/account", "/comments"))
        or "share" in query.get("action", [])
        or "share" in query.get("utm_content", [])
        or href.startswith("#/portal")
        or "%%checkout_url%%" in href
        or "%%share_url%%" in href
    )


def _replace_with_link(soup: BeautifulSoup, tag: Tag, url: str, text: str) -> None:
    paragraph = soup.new_tag("p")
    link = soup.new_tag("a", href=url)
    link.string = text
    paragraph.append(link)
    tag.replace_with(paragraph)


def embed_link(src: str) -> tuple[str, str]:
    """The page an embedded player shows, and link text naming it."""
    if src.startswith("//"):
        src = "https:" + src
    parts = urlsplit(src)
    host = parts.hostname or ""
    path = parts.path
    if "youtube" in host or "youtu.be" in host:
        match = re.search(r"/embed/([\w-]+)", path)
        if match:
            return f"https://www.youtube.com/watch?v={match.group(1)}", "Watch the video on YouTube"
        return src, "Watch the video on YouTube"
    if "vimeo" in host:
        match = re.search(r"/video/(\d+)", path)
        return (f"https://vimeo.com/{match.group(1)}" if match else src), "Watch the video on Vimeo"
    if "spotify" in host:
        return "https://open.spotify.com" + path.replace("/embed/", "/", 1), "Listen on Spotify"
    name = host.removeprefix("www.") or "the original site"
    return src, f"See the embedded content on {name}"


def _clean_platform_html(soup: BeautifulSoup, notes: list[str]) -> None:
    """Remove widgets, turn embeds into links; count what was done for the report."""
    removed: Counter[str] = Counter()
    for comment in soup.find_all(string=lambda s: isinstance(s, Comment)):
        comment.extract()
    for tag in soup.find_all(DROPPED):
        tag.decompose()

    # Substack and Ghost subscribe/share widgets and buttons.
    widget_classes = re.compile(
        r"^(subscription-widget-wrap(-editor)?|subscribe-widget|kg-signup-card|kg-cta-card|"
        r"share-dialog|post-ufi|digest-post-embed|captioned-button-wrap|install-substack-app-embed)$"
    )
    for tag in soup.find_all(class_=widget_classes):
        if tag.parent is not None:
            tag.decompose()
            removed["subscribe or share widget"] += 1
    for tag in soup.find_all("a", href=True):
        if tag.parent is None or not _is_platform_button(str(tag["href"])):
            continue
        classes = " ".join(tag.get("class") or [])
        wrapper = tag.find_parent(class_=re.compile(r"button-wrapper|kg-button-card|kg-header-card"))
        if wrapper is not None:
            wrapper.decompose()
            removed["subscribe or share button"] += 1
        elif "button" in classes or "btn" in classes:
            tag.decompose()
            removed["subscribe or share button"] += 1
    for tag in soup.find_all(class_=re.compile(r"^(image-link-expand|restack-image|view-image)$")):
        tag.decompose()
    for tag in soup.find_all("a", class_=re.compile(r"^image-link")):
        tag.unwrap()  # the image links to its own full-size copy

    # Embeds: Substack's widgets keep their data in data-attrs.
    for tag in soup.find_all(class_=re.compile(r"^(tweet|twitter-embed)$")):
        data = _data_attrs(tag)
        url = str(data.get("url") or "")
        link = tag.find("a", href=re.compile(r"twitter\.com|x\.com"))
        url = url or (str(link["href"]) if link else "")
        if not url.startswith("https://"):
            continue
        quote = soup.new_tag("blockquote")
        text = str(data.get("full_text") or "") or tag.get_text(" ", strip=True)
        body = soup.new_tag("p")
        body.string = text
        quote.append(body)
        who = soup.new_tag("p")
        anchor = soup.new_tag("a", href=url)
        user = str(data.get("username") or "")
        name = " ".join(str(data.get("name") or "").split())
        anchor.string = f"Post by {name} (@{user})".replace("by  (", "by (") if user else "The original post"
        who.append(anchor)
        quote.append(who)
        tag.replace_with(quote)
        removed["embedded post turned into a quote with a link"] += 1
    for tag in soup.find_all(class_=re.compile(r"^youtube-wrap$")):
        video = str(_data_attrs(tag).get("videoId") or "")
        if re.fullmatch(r"[\w-]{5,20}", video):
            url, text = f"https://www.youtube.com/watch?v={video}", "Watch the video on YouTube"
            _replace_with_link(soup, tag, url, text)
            removed["embedded video turned into a link"] += 1
    for tag in soup.find_all(class_=re.compile(r"^embedded-post-wrap$")):
        data = _data_attrs(tag)
        url = str(data.get("url") or "")
        if url.startswith("https://"):
            _replace_with_link(soup, tag, url, str(data.get("title") or url))
            removed["embedded post turned into a link"] += 1
    for tag in soup.find_all(class_=re.compile(r"^wp-block-embed__wrapper$")):
        url = tag.get_text(strip=True)
        if url.startswith(("http://", "https://")) and tag.parent is not None:
            target = tag.find_parent("figure") or tag
            _replace_with_link(soup, target, url, embed_link(url)[1] if "youtu" in url else url)
            removed["embedded content turned into a link"] += 1
    for tag in soup.find_all("iframe"):
        src = str(tag.get("src") or "")
        if not src.startswith(("http://", "https://", "//")):
            tag.decompose()
            removed["iframe without a web address removed"] += 1
            continue
        url, text = embed_link(src)
        title = str(tag.get("title") or "").strip()
        target = tag
        if tag.parent is not None and tag.parent.name == "figure" and not tag.parent.find("figcaption"):
            target = tag.parent
        _replace_with_link(soup, target, url, title if title and "youtube" not in url else text)
        removed["embedded content turned into a link"] += 1
    for tag in soup.find_all(REMOVED_WITH_NOTE):
        if tag.parent is not None:
            removed[f"<{tag.name}> removed"] += 1
            tag.decompose()
    notes.extend(f"{what} ({count})" if count > 1 else what for what, count in sorted(removed.items()))


# --- footnotes --------------------------------------------------------------------------------

_FOOTNOTE_CONTAINERS = re.compile(r"^(footnote|footnote-item|footnotes|wp-block-footnotes)$")


def _extract_footnotes(soup: BeautifulSoup, converter: _Converter) -> list[str]:
    """Footnotes of Substack, Ghost, WordPress and Markdown-made HTML as `[^n]: text` lines.

    Each reference becomes a placeholder that is swapped for `[^n]` after conversion, so
    markdownify's escaping never sees the brackets.
    """
    definitions: dict[str, Tag] = {}
    for tag in soup.find_all(["div", "li"]):
        classes = set(tag.get("class") or [])
        holder = tag
        if "footnote" in classes and tag.name == "div":  # Substack
            number = tag.find("a", class_="footnote-number")
            if number is None or not number.get("id"):
                continue
            key = str(number["id"])
            number.decompose()
        elif (
            tag.name == "li"
            and tag.get("id")
            and (
                "footnote-item" in classes
                or (
                    tag.parent is not None
                    and _FOOTNOTE_CONTAINERS.match(" ".join(tag.parent.get("class") or []))
                )
                or (tag.find_parent(class_=_FOOTNOTE_CONTAINERS) is not None)
                or re.match(r"^fn[:-]?\d+$", str(tag["id"]))
            )
        ):
            key = str(tag["id"])
        else:
            continue
        definitions[key] = holder
    if not definitions:
        return []
    order: list[str] = []
    for ref in soup.find_all("a", href=True):
        href = str(ref["href"])
        key = href[1:] if href.startswith("#") else ""
        if key not in definitions or ref.find_parent(lambda t: t in definitions.values()):
            continue
        if key not in order:
            order.append(key)
        target = ref.parent if ref.parent is not None and ref.parent.name == "sup" else ref
        target.replace_with(NavigableString(_PLACEHOLDER.format(order.index(key) + 1)))
    lines = []
    for number, key in enumerate(order, start=1):
        holder = definitions[key]
        for back in holder.find_all("a", href=True):
            if str(back["href"]).startswith("#") and (
                "backref" in " ".join(back.get("class") or []) or back.get_text(strip=True) in ("↩", "↩︎", "↑")
            ):
                back.decompose()
        text = converter.convert_soup(BeautifulSoup(holder.decode_contents(), "html.parser")).strip()
        text = re.sub(r"\n\s*\n", "\n\n    ", text).replace("\n    \n", "\n\n")
        lines.append(f"[^{number}]: {text}")
    containers = {d.find_parent(class_=_FOOTNOTE_CONTAINERS) for d in definitions.values()}
    for holder in definitions.values():
        holder.decompose()
    for container in containers:
        if container is not None and container.parent is not None and not container.get_text(strip=True):
            previous = container.find_previous_sibling()
            if previous is not None and previous.name == "hr":
                previous.decompose()
            container.decompose()
    for rule in soup.find_all("hr", class_="footnotes-sep"):
        rule.decompose()
    unused = len(definitions) - len(order)
    if unused:
        converter.notes.append(f"{unused} footnote(s) without a reference left out")
    return lines


# --- WordPress markup that is not HTML --------------------------------------------------------


def wordpress_autop(html: str) -> str:
    """WordPress's classic editor stores paragraphs as blank lines; make them `<p>` elements."""
    html = _SHORTCODE_CAPTION_RE.sub(_caption_to_figure, html)
    html = _SHORTCODE_EMBED_RE.sub(
        lambda m: f'<p><a href="{html_escape(m.group(1).strip())}">{html_escape(m.group(1).strip())}</a></p>',
        html,
    )
    if re.search(r"<p[\s>]", html) or "<!-- wp:" in html:
        return html
    block_tags = r"(?:ul|ol|table|blockquote|figure|pre|div|h[1-6]|details|hr)"
    html = re.sub(rf"(<{block_tags}\b)", r"\n\n\1", html)
    html = re.sub(rf"(</{block_tags}>|<hr\s*/?>)", r"\1\n\n", html)
    blocks = [block for block in re.split(r"\n\s*\n", html.strip()) if block.strip()]
    out = []
    for block in blocks:
        if re.match(r"\s*<(h[1-6]|ul|ol|table|blockquote|figure|pre|div|hr|p)\b", block):
            out.append(block)
        else:
            out.append("<p>" + block.strip().replace("\n", "<br>\n") + "</p>")
    return "\n".join(out)


def _caption_to_figure(match: re.Match[str]) -> str:
    inner = match.group(1)
    image = re.search(r"(<a[^>]*>\s*)?<img[^>]*>(\s*</a>)?", inner)
    if image is None:
        return inner
    caption = inner[: image.start()] + inner[image.end() :]
    return f"<figure>{image.group(0)}<figcaption>{caption.strip()}</figcaption></figure>"


# --- the converter ----------------------------------------------------------------------------


def html_to_markdown(html: str, site_url: str = "") -> Converted:
    """Convert one post body; `notes` says what was removed, linked or kept as HTML.

    `site_url` is the old site's address: links and images written as `/path` pointed there.
    """
    notes: list[str] = []
    images: list[str] = []
    soup = BeautifulSoup(html, "html.parser")
    _clean_platform_html(soup, notes)
    converter = _Converter(notes, images, site_url)
    footnotes = _extract_footnotes(soup, converter)
    text = converter.convert_soup(soup)
    for number in range(1, len(footnotes) + 1):
        text = text.replace(_PLACEHOLDER.format(number), f"[^{number}]")
    shortcodes = sorted(
        {
            m.group(1)
            for m in _SHORTCODE_RE.finditer(text.replace("\\[", "[").replace("\\]", "]"))
            if m.group(1) in _KNOWN_SHORTCODES
        }
    )
    if shortcodes:
        notes.append("WordPress shortcode(s) left as text: " + ", ".join(f"[{s}]" for s in shortcodes))
    text = tidy(text)
    if footnotes:
        text += "\n\n" + "\n\n".join(footnotes)
    return Converted(text.strip() + "\n" if text.strip() else "", notes, images)


_KNOWN_SHORTCODES = {
    "gallery",
    "audio",
    "video",
    "playlist",
    "contact-form-7",
    "contact-form",
    "youtube",
    "tweet",
}


def tidy(text: str) -> str:
    """Trailing spaces off (except Markdown's two-space line break), at most one blank line in a row."""
    lines = []
    for line in text.split("\n"):
        stripped = line.rstrip()
        lines.append(line[: len(stripped) + 2] if line.endswith("  ") and stripped else stripped)
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip("\n")
