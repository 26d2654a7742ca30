"""Render stage for the email edition: every post as send-ready email.

For each post this writes `<slug>.html` (CSS inlined, for pasting or
uploading into an email service), `<slug>.txt` (the plain-text alternative)
and `<slug>.eml` (both in one MIME message). The body comes from the resolved
`Entry`, already rendered from Markdown; here its URLs are made absolute and
its checkboxes and images made safe for mail clients.

Inlining is the expensive step, so it is set up once per build and the
stylesheet parsed once. Its cost is selectors times elements, so the post
body and the frame around it are inlined apart: rules written as
`.post-body <selector>` are matched against the body alone, all other rules
against the frame alone, and the body is put into the frame afterwards.
Merge tags such as `{{ unsubscribe_url }}` are swapped for inert tokens while
lxml and premailer handle the HTML (either would URL-encode them) and put
back verbatim at the end.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import cssutils
import lxml.html
from jinja2 import Environment
from lxml import etree
from markupsafe import Markup

# premailer caches parsed selectors and declarations in one shared cache of 128
# entries by default; a stylesheet with more rules than that would be
# re-parsed for every email. The size is read once, when premailer is imported.
os.environ.setdefault("PREMAILER_CACHE_MAXSIZE", "2048")
from premailer import Premailer

from publisher.content.config import EmailSettings, is_merge_tag
from publisher.content.resolve import Entry, Site
from publisher.render.email.inline_memo import ShapeInliner
from publisher.render.email.mime import build_message
from publisher.render.email.parts import EmailParts, display_width, email_parts
from publisher.render.email.plaintext import render_text
from publisher.render.mailsafe import mail_safe
from publisher.render.urls import absolute_url

TEMPLATE = "email/post.html"
STYLESHEET = "email/email.css"
# Zero-width-ish filler after the preheader, so the inbox preview line shows
# the summary and not the first words of the body.
PREHEADER_FILLER = "\u2007\u034f" * 120 + "\u00ad" * 160
TASK_BOXES = {True: ("☑", "Done"), False: ("☐", "To do")}
DOCTYPE = "<!DOCTYPE html>"
BODY_SCOPE = ".post-body"  # the class of the template element that holds the body
BODY_MARKER = "publisher:post-body"  # a comment standing in for the body in the frame
INLINER_OPTIONS: dict[str, object] = {
    "base_url": None,  # we make URLs absolute ourselves; premailer would mangle merge tags
    "allow_network": False,
    "disable_validation": True,
    "disable_leftover_css": True,
    # The template sets width and bgcolor where Outlook needs them; from CSS
    # they would land on elements that may not carry them (<img>, <pre>, <sup>).
    "disable_basic_attributes": ["width", "height", "bgcolor", "valign"],
    "align_floating_images": False,  # nothing floats; it would re-parse every image style
    "cssutils_logging_level": logging.CRITICAL,
}


@dataclass(frozen=True)
class RenderedEmail:
    """One post's three files."""

    html: str
    text: str
    message: bytes


class EmailRenderer:
    """Renders emails one post at a time; set up once per build."""

    def __init__(self, site: Site, env: Environment) -> None:
        self.site = site
        self.template = env.get_template(TEMPLATE)
        sheet = split_stylesheet(template_source(env, STYLESHEET))
        self.media_css = sheet.media
        self.frame_inliner = ShapeInliner(_Inliner(css_text=sheet.frame, **INLINER_OPTIONS), sheet.frame)
        self.body_inliner = ShapeInliner(_Inliner(css_text=sheet.body, **INLINER_OPTIONS), sheet.body)
        self.merge_tags = MergeTags(_tag_settings(site.publication.email))
        # cssutils would write #112233 as #123, which IBM Notes misreads.
        cssutils.ser.prefs.minimizeColorHash = False

    def render(self, entry: Entry) -> RenderedEmail:
        parts = email_parts(self.site, entry)
        body = parse_body(entry)
        text = render_text(parts, body)
        html = self.html(parts, body)
        return RenderedEmail(html, text, build_message(parts, html, text))

    def html(self, parts: EmailParts, body: lxml.html.HtmlElement) -> str:
        entry = parts.entry
        prepare_for_email(body, {self.site.absolute(url): file for file, url in entry.assets.items()})
        body.set("class", BODY_SCOPE[1:])
        self.body_inliner.transform(body)
        for element in body.iter():
            if isinstance(element.tag, str):
                element.attrib.pop("class", None)  # styled now; media queries use the frame's class
        page = self.template.render(
            entry=entry,
            publication=parts.publication,
            site=self.site,
            parts=parts,
            view_url=parts.view_url,
            home_url=parts.home_url,
            authors=parts.authors,
            date=parts.date,
            cover=parts.cover,
            sections=parts.sections,
            support_url=parts.support_url,
            subscribe_url=parts.subscribe_url,
            reply=parts.reply,
            unsubscribe_url=self.merge_tags.protect(parts.unsubscribe_url),
            preferences_url=self.merge_tags.protect(parts.preferences_url),
            preheader=entry.summary,
            preheader_filler=PREHEADER_FILLER,
            body=Markup(f"<!--{BODY_MARKER}-->"),
        )
        document = lxml.html.document_fromstring(page)
        self.frame_inliner.transform(document)
        self._finish(document, body)
        out = etree.tostring(document, method="html", encoding="unicode", doctype=DOCTYPE)
        return self.merge_tags.restore(out).rstrip("\n") + "\n"

    def _finish(self, document: lxml.html.HtmlElement, body: lxml.html.HtmlElement) -> None:
        """Put the inlined body in its place; add the @media rules as the one <style> block."""
        for marker in document.iter(etree.Comment):
            if marker.text == BODY_MARKER:
                _replace_with_contents(marker, body)
                break
        if self.media_css:
            head = document.find("head")
            if head is not None:
                style = etree.SubElement(head, "style")
                style.text = self.media_css


def _replace_with_contents(marker: etree._Element, container: lxml.html.HtmlElement) -> None:
    """Put the text and children of `container` where `marker` is, and drop the marker."""
    parent = marker.getparent()
    index = parent.index(marker)
    previous = parent[index - 1] if index else None
    _add_text(parent, previous, container.text)
    children = list(container)
    for offset, child in enumerate(children):
        parent.insert(index + offset, child)
    _add_text(parent, children[-1] if children else previous, marker.tail)
    marker.tail = None
    parent.remove(marker)


def _add_text(parent: etree._Element, before: etree._Element | None, text: str | None) -> None:
    """Append `text` after `before` (a child of `parent`), or at the start of `parent`."""
    if not text:
        return
    if before is None:
        parent.text = (parent.text or "") + text
    else:
        before.tail = (before.tail or "") + text


class _Inliner(Premailer):
    """Premailer that parses each stylesheet once per build, not once per email."""

    def __init__(self, **options: object) -> None:
        super().__init__(**options)
        self._parsed: dict[tuple[str, int], tuple[list, list]] = {}

    def _parse_style_rules(self, css_body: str, ruleset_index: int) -> tuple[list, list]:
        key = (css_body, ruleset_index)
        if key not in self._parsed:
            self._parsed[key] = super()._parse_style_rules(css_body, ruleset_index)
        return self._parsed[key]


class MergeTags:
    """Hides merge tags from lxml and premailer, then puts them back verbatim.

    The stand-in carries a random marker made for each build, so no post text
    can forge one: a post that writes `publisher-merge-tag-0` keeps that text.
    The marker never reaches the output, which stays identical across builds.
    """

    def __init__(self, values: Iterable[str], marker: str | None = None) -> None:
        self.tags = [value for value in dict.fromkeys(values) if is_merge_tag(value)]
        self.marker = marker or secrets.token_hex(16)
        self._token_re = re.compile(rf"publisher-merge-tag-{self.marker}-(\d+)")

    def protect(self, value: str | None) -> str | None:
        if value is None or value not in self.tags:
            return value
        return f"publisher-merge-tag-{self.marker}-{self.tags.index(value)}"

    def restore(self, html: str) -> str:
        def tag(match: re.Match[str]) -> str:
            index = int(match.group(1))
            return self.tags[index] if index < len(self.tags) else match.group()

        return self._token_re.sub(tag, html)


def _tag_settings(settings: EmailSettings) -> list[str]:
    return [v for v in (settings.unsubscribe_url, settings.preferences_url) if v]


def template_source(env: Environment, name: str) -> str:
    """A template file's text, found the way templates are (the publication's own first)."""
    assert env.loader is not None
    source, _, _ = env.loader.get_source(env, name)
    return source


@dataclass(frozen=True)
class Stylesheet:
    """`email.css` sorted by where each rule goes."""

    frame: str  # inlined into the template's own elements
    body: str  # `.post-body …` rules, inlined into the post body
    media: str  # @media blocks, kept in <style>


def split_stylesheet(css: str) -> Stylesheet:
    """Sort the rules of `css` into frame, body and @media; comments dropped."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    frame: list[str] = []
    body: list[str] = []
    media: list[str] = []
    position = 0
    while position < len(css):
        opening = css.find("{", position)
        if opening == -1:
            break
        depth, cursor = 1, opening + 1
        while depth and cursor < len(css):
            depth += {"{": 1, "}": -1}.get(css[cursor], 0)
            cursor += 1
        rule = _compact(css[position:cursor].strip())
        position = cursor
        if rule.startswith("@"):
            media.append(rule)
            continue
        selectors, _, declarations = rule.partition("{")
        inside = [s for s in selectors.split(",") if _in_body(s)]
        outside = [s for s in selectors.split(",") if s and not _in_body(s)]
        for group, selected in ((body, inside), (frame, outside)):
            if selected:
                group.append(",".join(selected) + "{" + declarations)
    return Stylesheet("\n".join(frame), "\n".join(body), "\n".join(media))


def _in_body(selector: str) -> bool:
    """`.post-body p` and `.post-body > ul` style the body; `.post-body` alone is the frame's."""
    rest = selector.removeprefix(BODY_SCOPE)
    return rest != selector and rest[:1] in (" ", ">", "+", "~")


def _compact(rule: str) -> str:
    return re.sub(r"\s*([{};,])\s*", r"\1", " ".join(rule.split()))


# The elements with a URL to make absolute, the root among them, in document order.
_URL_HOLDERS = etree.XPath("descendant-or-self::*[@href or @src]")


def parse_body(entry: Entry) -> lxml.html.HtmlElement:
    """The post body as an element tree inside a <div>, every URL absolute."""
    html = mail_safe(entry.html)  # the raw-HTML policy: nothing a mail client would drop
    root = lxml.html.fragment_fromstring(html, create_parent="div") if html.strip() else None
    if root is None:
        return lxml.html.Element("div")
    for element in _URL_HOLDERS(root):  # as root.iter(), but only the elements it would change
        for attribute in ("href", "src"):
            value = element.get(attribute)
            if value is not None:
                element.set(attribute, absolute_url(value, entry.absolute_url))
    return root


def prepare_for_email(root: lxml.html.HtmlElement, image_files: dict[str, Path]) -> None:
    """Make the body safe for mail clients: no form controls, sized images, no back-links."""
    for box in list(root.iter("input")):
        done = box.get("checked") is not None
        char, label = TASK_BOXES[done]
        mark = lxml.html.Element("span", {"class": "task-box", "role": "img", "aria-label": label})
        mark.text = char
        mark.tail = box.tail
        box.getparent().replace(box, mark)
        item = mark.getparent()
        while item is not None and item.tag != "li":
            item = item.getparent()
        if item is not None and item.getparent() is not None:
            listing = item.getparent()
            if "task-list" not in listing.get("class", "").split():
                listing.set("class", (listing.get("class", "") + " task-list").strip())
    for image in root.iter("img"):
        image.set("alt", image.get("alt", ""))
        image.set("width", str(display_width(image_files.get(image.get("src", "")))))
        for attribute in ("loading", "decoding", "height"):
            image.attrib.pop(attribute, None)
    for box in list(root.find_class("table-scroll")):
        box.drop_tag()  # the web page's keyboard scroll box means nothing in a mail client
    for table in root.iter("table"):
        table.set("width", "100%")
        table.set("cellpadding", "0")
        table.set("cellspacing", "0")
    for backref in list(root.find_class("footnote-backref")):
        backref.drop_tree()


__all__ = [
    "EmailRenderer",
    "RenderedEmail",
    "Stylesheet",
    "split_stylesheet",
]
