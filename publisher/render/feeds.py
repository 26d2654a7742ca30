"""Render stage for feeds: RSS 2.0 and Atom 1.0 (with feedgen) and JSON Feed 1.1.

One feed set for the whole publication (`feed.xml`, `atom.xml`, `feed.json`)
and one per section (`<folder>/feed.xml`, `<folder>/atom.xml`). Every item
carries the full post, with its URLs made absolute, because readers neither
fetch the page nor resolve relative links.

Work that feeds share is done once per build: each post's absolute HTML and
its feedgen entry are built the first time a feed needs them and reused by
every other feed that holds the post. Output is deterministic: the feed-level
dates come from the posts, never from the clock.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from html import escape
from urllib.parse import urlsplit

import lxml.html
from feedgen.entry import FeedEntry
from feedgen.ext.base import BaseEntryExtension, BaseExtension
from feedgen.ext.media import MediaEntryExtension
from feedgen.feed import FeedGenerator
from feedgen.util import xml_elem
from lxml.etree import _Element

from publisher import __version__
from publisher.content.markup import summarise
from publisher.content.resolve import Entry, Site
from publisher.render.mailsafe import mail_safe
from publisher.render.urls import absolutize

RSS_FILE = "feed.xml"
ATOM_FILE = "atom.xml"
JSON_FILE = "feed.json"
RSS_TYPE = "application/rss+xml"
ATOM_TYPE = "application/atom+xml"
JSON_TYPE = "application/feed+json"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"
DC_NS = "http://purl.org/dc/elements/1.1/"
DCTERMS_NS = "http://purl.org/dc/terms/"


@dataclass
class FeedSet:
    """The posts of one feed and how the feed presents itself."""

    title: str
    description: str
    home_url: str  # absolute URL of the web page the feed follows
    folder: str  # output folder: "" for the whole site, "analyses/" for a section
    entries: list[Entry]


@dataclass
class _Item:
    """What every feed format says about one post, computed once per build."""

    entry: Entry
    content_html: str
    summary: str  # plain text
    authors: list[str]
    categories: list[str]
    updated: datetime | None
    cover_url: str | None = None
    cover_type: str | None = None
    cover_length: int | None = None
    feed_entry: FeedEntry | None = field(default=None, repr=False)


def render_feeds(
    site: Site,
    known: Mapping[str, str] | None = None,
    used: dict[str, str] | None = None,
    empty_date: datetime | None = None,
) -> dict[str, bytes]:
    """Every feed of the publication, as output path (relative to `site/`) to bytes.

    Making a body's URLs absolute means parsing it; `known` holds the results
    of an earlier build, keyed by the body's digest and URL, so only changed
    posts are parsed again. `used` receives the results these feeds hold.
    A feed's date is its newest post's, or the whole site's newest; with no
    post at all, `empty_date` (the build's "now"), since Atom requires a date.
    """
    settings = site.publication.feeds
    items = _ItemCache(site, known or {}, {} if used is None else used)
    fallback = _newest(_published(site.entries))
    out: dict[str, bytes] = {}
    feed_sets = [whole_site_feed(site), *section_feeds(site)]
    for feed_set in feed_sets:
        entries = feed_set.entries[: settings.max_items]
        feed_items = [items.get(entry) for entry in entries]
        updated = _newest(entries) or fallback or empty_date or datetime.now(UTC)
        rss, atom = _xml_feeds(site, feed_set, feed_items, updated)
        out[feed_set.folder + RSS_FILE] = rss
        out[feed_set.folder + ATOM_FILE] = atom
    site_set = feed_sets[0]
    site_items = [items.get(entry) for entry in site_set.entries[: settings.max_items]]
    out[JSON_FILE] = json_feed(site, site_set, site_items)
    return out


def whole_site_feed(site: Site) -> FeedSet:
    """The feed of every published post."""
    publication = site.publication
    return FeedSet(
        publication.title,
        publication.description,
        site.absolute(site.url("")),
        "",
        _published(site.entries),
    )


def section_feeds(site: Site) -> list[FeedSet]:
    """One feed per section, holding that section's posts only."""
    publication = site.publication
    return [
        FeedSet(
            f"{publication.title}: {section.name}",
            section.description,
            site.absolute(site.url(f"{section.folder}/")),
            f"{section.folder}/",
            _published(site.by_section[section.folder]),
        )
        for section in publication.sections
    ]


def json_feed(site: Site, feed_set: FeedSet, items: list[_Item]) -> bytes:
    """A JSON Feed 1.1 document; dates in RFC 3339, content as absolute HTML."""
    publication = site.publication
    feed: dict[str, object] = {
        "version": JSON_FEED_VERSION,
        "title": feed_set.title,
        "home_page_url": feed_set.home_url,
        "feed_url": site.absolute(site.url(feed_set.folder + JSON_FILE)),
        "description": feed_set.description,
    }
    icon = _icon_url(site)
    if icon:
        feed["icon"] = icon
        feed["favicon"] = icon
    feed["authors"] = [{"name": publication.author}]
    feed["language"] = publication.language
    feed["items"] = [_json_item(item) for item in items]
    return (json.dumps(feed, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def _json_item(item: _Item) -> dict[str, object]:
    entry = item.entry
    data: dict[str, object] = {
        "id": entry.absolute_url,
        "url": entry.absolute_url,
        "title": entry.title,
        "content_html": item.content_html,
    }
    if item.summary:
        data["summary"] = item.summary
    if item.cover_url:
        data["image"] = item.cover_url
    data["date_published"] = entry.date.isoformat()
    if item.updated:
        data["date_modified"] = item.updated.isoformat()
    data["authors"] = [{"name": name} for name in item.authors]
    data["tags"] = item.categories
    return data


def _xml_feeds(site: Site, feed_set: FeedSet, items: list[_Item], updated: datetime) -> tuple[bytes, bytes]:
    """The RSS and the Atom document of one feed set, from one FeedGenerator."""
    publication = site.publication
    generator = FeedGenerator()
    generator.load_extension("media")
    generator.register_extension("extras", _RssExtras, _RssEntryExtras, atom=False, rss=True)
    generator.register_extension("atom_links", BaseExtension, _AtomEntryLinks, atom=True, rss=False)
    generator.id(feed_set.home_url)
    generator.title(feed_set.title)
    generator.subtitle(feed_set.description)
    generator.language(publication.language)
    generator.author(name=publication.author)
    generator.generator("publisher", version=__version__)
    generator.updated(updated)  # also the RSS lastBuildDate: never the clock
    icon = _icon_url(site)
    if icon:
        generator.icon(icon)
        generator.image(url=icon, title=feed_set.title, link=feed_set.home_url)
    for item in items:
        generator.add_entry(item.feed_entry, order="append")

    def links(own_file: str, own_type: str) -> None:
        # The self link first: RSS's <link> is whichever link comes last, and it
        # must be the web page, not the feed.
        own_url = site.absolute(site.url(feed_set.folder + own_file))
        generator.link(
            [
                {"href": own_url, "rel": "self", "type": own_type},
                {"href": feed_set.home_url, "rel": "alternate", "type": "text/html"},
            ],
            replace=True,
        )

    links(RSS_FILE, RSS_TYPE)
    rss = generator.rss_str(pretty=True)
    links(ATOM_FILE, ATOM_TYPE)
    atom = generator.atom_str(pretty=True)
    return rss, atom


class _ItemCache:
    """Builds each post's feed item the first time a feed asks for it."""

    def __init__(self, site: Site, known: Mapping[str, str], used: dict[str, str]) -> None:
        self.site = site
        self.items: dict[str, _Item] = {}
        self.known = known
        self.used = used

    def get(self, entry: Entry) -> _Item:
        item = self.items.get(entry.slug)
        if item is None:
            item = self.items[entry.slug] = self._build(entry)
        return item

    def _build(self, entry: Entry) -> _Item:
        site = self.site
        meta = entry.post.meta
        item = _Item(
            entry=entry,
            content_html="",
            summary=entry.summary or _text_summary(entry.html),
            authors=list(meta.authors or [site.publication.author]),
            categories=[entry.section.name, *(tag.name for tag in entry.tags)],
            updated=max(meta.updated, entry.date) if meta.updated else None,
        )
        cover = ""
        if entry.cover_url:
            item.cover_url = absolute = _absolute(site, entry.cover_url)
            item.cover_type = mimetypes.guess_type(urlsplit(absolute).path)[0]
            source = next((path for path, url in entry.assets.items() if url == entry.cover_url), None)
            item.cover_length = source.stat().st_size if source is not None else None
            alt = escape(meta.cover_alt or "")
            cover = f'<figure class="cover"><img src="{escape(absolute)}" alt="{alt}"></figure>\n'
        key = f"{entry.body.html_digest if entry.body else ''} {entry.absolute_url}"
        html = self.known.get(key)
        if html is None:
            html = absolutize(mail_safe(entry.html), entry.absolute_url)
        self.used[key] = html
        item.content_html = cover + html
        item.feed_entry = self._feed_entry(item)
        return item

    @staticmethod
    def _feed_entry(item: _Item) -> FeedEntry:
        entry = item.entry
        feed_entry = FeedEntry()
        # Registered on the entry itself, so one entry serves every feed it is in.
        feed_entry.register_extension("media", MediaEntryExtension, atom=True, rss=True)
        feed_entry.register_extension("extras", _RssEntryExtras, atom=False, rss=True)
        feed_entry.register_extension("atom_links", _AtomEntryLinks, atom=True, rss=False)
        feed_entry.guid(entry.absolute_url, permalink=True)  # also the Atom id
        feed_entry.title(entry.title)
        feed_entry.link(href=entry.absolute_url, rel="alternate", type="text/html")
        feed_entry.published(entry.date)
        feed_entry.updated(item.updated or entry.date)
        for name in item.authors:
            feed_entry.author(name=name)
        for name in item.categories:
            feed_entry.category(term=name)
        if item.summary:
            feed_entry.summary(escape(item.summary), type="html")  # RSS description, Atom summary
        feed_entry.content(item.content_html, type="html")  # RSS content:encoded, Atom content
        if item.cover_url and item.cover_type:
            # RSS asks for a length; 0 is the convention when it is not known.
            feed_entry.enclosure(item.cover_url, str(item.cover_length or 0), item.cover_type)
            media: dict[str, str] = {"url": item.cover_url, "type": item.cover_type, "medium": "image"}
            if item.cover_length is not None:
                media["fileSize"] = str(item.cover_length)
            feed_entry.media.content(media, group=None)
        extras: _RssEntryExtras = feed_entry.extras
        extras.creators = item.authors
        extras.modified = item.updated
        feed_entry.atom_links.links = feed_entry.link()
        return feed_entry


class _RssExtras(BaseExtension):
    """Declares the Dublin Core namespaces RSS items use for authors and updates."""

    def extend_ns(self) -> dict[str, str]:
        return {"dc": DC_NS, "dcterms": DCTERMS_NS}


class _RssEntryExtras(BaseEntryExtension):
    """`dc:creator` and `dcterms:modified`: RSS has no author without an email, and no updated date."""

    def __init__(self) -> None:
        self.creators: list[str] = []
        self.modified: datetime | None = None

    def extend_rss(self, item: _Element) -> _Element:
        for name in self.creators:
            xml_elem(f"{{{DC_NS}}}creator", item).text = name
        if self.modified is not None:
            xml_elem(f"{{{DCTERMS_NS}}}modified", item).text = self.modified.isoformat()
        return item


class _AtomEntryLinks(BaseEntryExtension):
    """Puts back the `rel`, `type` and `length` feedgen 1.0 drops from Atom entry links.

    Without them the cover's enclosure reads as a second `alternate` link.
    See https://github.com/lkiesow/python-feedgen/issues/135.
    """

    def __init__(self) -> None:
        self.links: list[dict[str, str]] = []

    def extend_atom(self, entry: _Element) -> _Element:
        elements = [child for child in entry if child.tag == "link"]
        for element, link in zip(elements, self.links, strict=False):
            if element.get("href") != link["href"]:
                continue
            for name in ("rel", "type", "hreflang", "title", "length"):
                if link.get(name) and element.get(name) is None:
                    element.set(name, link[name])
        return entry


def _published(entries: list[Entry]) -> list[Entry]:
    """Drafts never reach a feed, even in a `--drafts` preview build."""
    return [entry for entry in entries if not entry.post.meta.draft]


def _newest(entries: list[Entry]) -> datetime | None:
    """The latest date any of `entries` was published or updated."""
    dates = [max(e.date, e.post.meta.updated or e.date) for e in entries]
    return max(dates) if dates else None


def _text_summary(html: str) -> str:
    """A summary for a post with no paragraph: without one, feedgen would put the
    whole post in the RSS description and leave out `content:encoded`."""
    if not html.strip():
        return ""
    return summarise(lxml.html.fragment_fromstring(html, create_parent="div").text_content())


def _absolute(site: Site, url: str) -> str:
    return site.absolute(url) if url.startswith("/") else url


def _icon_url(site: Site) -> str | None:
    """The configured icon as an absolute URL: a site path or a URL as given."""
    icon = site.publication.feeds.icon
    if icon is None or "://" in icon:
        return icon
    return site.absolute(site.url(icon.lstrip("/")))


__all__ = ["FeedSet", "json_feed", "render_feeds", "section_feeds", "whole_site_feed"]
