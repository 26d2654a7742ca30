"""WordPress's export (Tools → Export): a WXR file, RSS with `wp:` elements.

Parsed with defusedxml, which refuses entity tricks (billion laughs, external entities), since
an export is a file from elsewhere. The `wp:` namespace differs between WXR versions (1.0 to
1.2), so elements are found by local name within any `wordpress.org/export/` namespace. A post's
cover comes from its `_thumbnail_id` attachment; its old address from `link`.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote, urlsplit
from xml.etree.ElementTree import Element

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import ParseError, parse

from publisher.importers.html_to_markdown import wordpress_autop
from publisher.importers.model import Export, ExportedPost, ExportUnreadable, Skipped

CONTENT = "{http://purl.org/rss/1.0/modules/content/}encoded"
DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
PUBLISHED = ("publish", "future")
DRAFTS = ("draft", "pending", "auto-draft", "private")


def _wp(element: Element, name: str) -> str:
    """The text of the `wp:name` child, whatever the WXR version."""
    for child in element:
        if child.tag.startswith("{http://wordpress.org/export/") and child.tag.endswith("}" + name):
            return (child.text or "").strip()
    return ""


def _wp_all(element: Element, name: str) -> list[Element]:
    return [
        c for c in element if c.tag.startswith("{http://wordpress.org/export/") and c.tag.endswith("}" + name)
    ]


def read_wordpress(path: Path, include: set[str], site_url: str | None = None) -> Export:
    """Read every `item` of the channel; posts (and pages with `include`) become posts.

    The old site's address is `site_url`, or else the blog address the export names.
    """
    try:
        tree = parse(str(path), forbid_dtd=True)
    except (ParseError, DefusedXmlException, OSError) as exc:
        raise ExportUnreadable(f"not a WordPress export (WXR): {exc}") from None
    channel = tree.getroot().find("channel")
    if channel is None or not any(c.tag.startswith("{http://wordpress.org/export/") for c in channel.iter()):
        raise ExportUnreadable("no channel with wp: elements: is this a WordPress export (WXR)?")
    authors = {
        _wp(a, "author_login"): _wp(a, "author_display_name") or _wp(a, "author_login")
        for a in _wp_all(channel, "author")
    }
    items = channel.findall("item")
    attachments = {
        _wp(i, "post_id"): _wp(i, "attachment_url") for i in items if _wp(i, "post_type") == "attachment"
    }
    blog = site_url or _wp(channel, "base_blog_url") or _wp(channel, "base_site_url")
    export = Export(site_url=blog.rstrip("/"))
    other: Counter[str] = Counter()
    for item in items:
        kind = _wp(item, "post_type") or "post"
        key = _wp(item, "post_id")
        status = _wp(item, "status")
        if kind not in ("post", "page"):
            other[kind] += 1
            continue
        if kind == "page" and "page" not in include:
            export.skipped.append(Skipped("wordpress", key, "a page (use --include page to import it)"))
            continue
        if status == "trash":
            export.skipped.append(Skipped("wordpress", key, "in the trash"))
            continue
        meta = {_wp(m, "meta_key"): _wp(m, "meta_value") for m in _wp_all(item, "postmeta")}
        categories = [
            (c.get("domain") or "", (c.text or "").strip())
            for c in item.findall("category")
            if (c.text or "").strip()
        ]
        creator = (item.findtext(DC_CREATOR) or "").strip()
        link = (item.findtext("link") or "").strip()
        old = unquote(urlsplit(link).path) if link and "?" not in link else ""
        restricted = ""
        if _wp(item, "post_password"):
            restricted = "WordPress password-protected post"
        elif status == "private":
            restricted = "WordPress private post"
        export.posts.append(
            ExportedPost(
                platform="wordpress",
                key=key,
                title=(item.findtext("title") or "").strip(),
                html=wordpress_autop(item.findtext(CONTENT) or ""),
                slug=unquote(_wp(item, "post_name")),
                date=_gmt(_wp(item, "post_date_gmt")) or _local(_wp(item, "post_date")),
                draft=status not in PUBLISHED,
                restricted=restricted,
                summary=_excerpt(item),
                tags=[name for domain, name in categories if domain == "post_tag"],
                categories=[name for domain, name in categories if domain == "category"],
                authors=[authors.get(creator, creator)] if creator else [],
                cover=attachments.get(meta.get("_thumbnail_id", ""), ""),
                kind=kind,
                old_paths=[old if old.endswith("/") else old + "/"] if old not in ("", "/") else [],
            )
        )
    for kind, count in sorted(other.items()):
        export.skipped.append(
            Skipped("wordpress", f"{count} {kind} item{'s' if count > 1 else ''}", "not posts")
        )
    return export


def _excerpt(item: Element) -> str:
    for child in item:
        if child.tag.endswith("}encoded") and "excerpt" in child.tag:
            return " ".join((child.text or "").split())
    return ""


def _gmt(value: str) -> datetime | None:
    """`wp:post_date_gmt`, in UTC; drafts have `0000-00-00 00:00:00`."""
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    except ValueError:
        return None


def _local(value: str) -> datetime | None:
    """`wp:post_date`, the blog's local time with no offset; the planner applies the publication's zone."""
    if not value or value.startswith("0000"):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None
