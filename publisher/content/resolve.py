"""Resolve stage: posts become a linked publication.

Here every cross-reference is checked (`responds_to`, `related`, links to
other posts' files, images), bodies are converted to HTML, and the lists the
templates need are built: newest-first order, sections, tags, neighbours.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cached_property
from pathlib import Path
from urllib.parse import urlsplit

from slugify import slugify

from publisher.content.config import Publication, Section
from publisher.content.markup import Body, BodyRenderer, LinkContext, asset_url, summarise
from publisher.content.posts import POSTS_DIR, Post
from publisher.errors import ContentError, processing

WORDS_PER_MINUTE = 230
MEDIA_PATH = "media/"


@dataclass(eq=False)
class Tag:
    """A tag and the posts that carry it."""

    name: str
    slug: str
    url: str
    entries: list[Entry] = field(default_factory=list)


@dataclass(eq=False)
class Entry:
    """A post as the templates see it: rendered body plus everything it links to."""

    post: Post
    url: str  # site-relative path, e.g. /p/slug/
    absolute_url: str
    body: Body | None = None  # the rendered Markdown
    summary: str = ""
    reading_minutes: int = 1
    cover_url: str | None = None
    assets: dict[Path, str] = field(default_factory=dict)  # body images and the cover
    tags: list[Tag] = field(default_factory=list)
    responds_to: Entry | None = None
    responses: list[Entry] = field(default_factory=list)
    related: list[Entry] = field(default_factory=list)
    previous: Entry | None = None
    next: Entry | None = None
    fingerprint: str | None = None  # set by publisher.incremental.fingerprint.entry_digest
    card_fingerprint: str | None = None  # set by publisher.incremental.fingerprint.card_digest

    @property
    def html(self) -> str:
        return self.body.html if self.body is not None else ""

    @property
    def anchors(self) -> list[tuple[str, str | None, str]]:
        return self.body.anchors if self.body is not None else []

    @property
    def ids(self) -> set[str]:
        return self.body.ids if self.body is not None else set()

    @property
    def images_without_alt(self) -> list[str]:
        return self.body.images_without_alt if self.body is not None else []

    @property
    def title(self) -> str:
        return self.post.meta.title

    @property
    def subtitle(self) -> str | None:
        return self.post.meta.subtitle

    @property
    def section(self) -> Section:
        return self.post.section

    @property
    def date(self) -> datetime:
        return self.post.meta.date

    @property
    def slug(self) -> str:
        return self.post.slug


@dataclass
class Site:
    """The whole resolved publication, newest post first."""

    publication: Publication
    root_path: str  # path part of the base URL, "" or "/newsletter"
    entries: list[Entry]
    by_section: dict[str, list[Entry]]
    tags: list[Tag]

    def url(self, path: str) -> str:
        """Site-relative URL for an output path like `tags/` or `style.css`."""
        return f"{self.root_path}/{path}"

    def absolute(self, url: str) -> str:
        """Absolute URL for a site-relative one."""
        parts = urlsplit(self.publication.base_url)
        return f"{parts.scheme}://{parts.netloc}{url}"


def held_back(post: Post, include_drafts: bool, include_future: bool, now: datetime | None) -> str | None:
    """Why a post is left out of this build, or None if it is in."""
    if post.meta.draft and not include_drafts:
        return "a draft: publish it or build with --drafts"
    if not include_future and now is not None and post.meta.date > now:
        return f"scheduled for {post.meta.date.isoformat()}: build with --future to include it"
    return None


def resolve(
    root: Path,
    publication: Publication,
    posts: list[Post],
    include_drafts: bool = False,
    include_future: bool = False,
    now: datetime | None = None,
    render_bodies: BodiesRenderer | None = None,
) -> tuple[Site, list[ContentError]]:
    """Link posts together and render their bodies; collect every error.

    Drafts (unless `include_drafts`) and posts dated after `now` (unless
    `include_future`) are left out; linking to one of them is an error.
    `render_bodies` converts the posts' Markdown; the build passes one that
    caches and uses every core.
    """
    render_bodies = render_bodies or render_bodies_serially
    root_path = urlsplit(publication.base_url).path.rstrip("/")
    reasons = {p.slug: held_back(p, include_drafts, include_future, now) for p in posts}
    published = [p for p in posts if reasons[p.slug] is None]
    published.sort(key=lambda p: (p.meta.date, p.slug), reverse=True)
    entries = [_entry(p, root_path, publication) for p in published]
    by_slug = {e.slug: e for e in entries}
    drafts = {slug: reason for slug, reason in reasons.items() if reason is not None}
    errors: list[ContentError] = []

    for entry in entries:
        errors.extend(_link_references(entry, by_slug, drafts))

    context = BodyContext(
        posts_root=(root / POSTS_DIR).resolve(),
        post_urls={e.post.resolved: e.url for e in entries},
        media_url=f"{root_path}/{MEDIA_PATH}",
    )
    held_files = {p.resolved: drafts[p.slug] for p in posts if p.slug in drafts}
    for entry, body in zip(entries, render_bodies(entries, context), strict=True):
        errors.extend(_apply_body(entry, body, context, held_files))

    by_section: dict[str, list[Entry]] = {s.folder: [] for s in publication.sections}
    for entry in entries:
        by_section[entry.section.folder].append(entry)
    for section_entries in by_section.values():
        for older, newer in zip(section_entries[1:], section_entries, strict=False):
            older.next, newer.previous = newer, older

    site = Site(publication, root_path, entries, by_section, _collect_tags(entries, root_path, errors))
    return site, errors


def _entry(post: Post, root_path: str, publication: Publication) -> Entry:
    url = f"{root_path}/p/{post.slug}/"
    origin = urlsplit(publication.base_url)
    return Entry(post=post, url=url, absolute_url=f"{origin.scheme}://{origin.netloc}{url}")


def _link_references(entry: Entry, by_slug: dict[str, Entry], drafts: dict[str, str]) -> list[ContentError]:
    post = entry.post
    errors = []

    def missing(slug: str) -> str:
        if slug in drafts:
            return f"{slug!r} is {drafts[slug]}"
        return f"no post has the slug {slug!r}"

    target = post.meta.responds_to
    if target is not None:
        if target in by_slug:
            entry.responds_to = by_slug[target]
            by_slug[target].responses.append(entry)
        else:
            errors.append(
                ContentError(post.source, post.line_of("responds_to"), "responds_to", missing(target))
            )
    for index, slug in enumerate(post.meta.related):
        if slug in by_slug:
            entry.related.append(by_slug[slug])
        else:
            line = post.field_lines.get(("related", index), post.line_of("related"))
            errors.append(ContentError(post.source, line, "related", missing(slug)))
    return errors


@dataclass
class BodyContext:
    """What converting a body needs to know about the rest of the publication."""

    posts_root: Path
    post_urls: dict[Path, str]
    media_url: str

    @cached_property
    def urls_by_name(self) -> dict[str, str]:
        """`post_urls` keyed by path text, as the build cache records links."""
        return {str(path): url for path, url in self.post_urls.items()}


BodiesRenderer = Callable[[list["Entry"], BodyContext], Iterable[Body]]


def render_body(entry: Entry, context: BodyContext, renderer: BodyRenderer) -> Body:
    """One post's Markdown as HTML, its links to other posts rewritten."""
    post = entry.post
    with processing(post.source):
        return renderer.render(
            post.body, post.resolved, context.posts_root, context.post_urls, context.media_url
        )


def render_bodies_serially(entries: list[Entry], context: BodyContext) -> list[Body]:
    renderer = BodyRenderer()
    return [render_body(entry, context, renderer) for entry in entries]


def _apply_body(
    entry: Entry,
    body: Body,
    context: BodyContext,
    draft_files: dict[Path, str],
) -> list[ContentError]:
    post = entry.post
    file = post.resolved
    posts_root, post_urls, media_url = context.posts_root, context.post_urls, context.media_url
    entry.body = body
    entry.assets = dict(body.images)
    entry.summary = post.meta.summary or summarise(body.first_paragraph)
    words = post.words
    entry.reading_minutes = max(1, math.ceil(words / WORDS_PER_MINUTE))
    errors = []
    for href in body.broken_links:
        target = (file.parent / urlsplit(href).path).resolve()
        if target in draft_files:
            message = f"links to {href!r}, {draft_files[target]}"
        else:
            message = f"links to {href!r}, which is not a post file"
        errors.append(ContentError(post.source, body_line(post, href), "link", message))
    for src in body.missing_images:
        errors.append(
            ContentError(
                post.source, body_line(post, src), "image", f"{src!r} does not exist next to the post"
            )
        )
    if post.meta.cover is not None:
        context = LinkContext(file, posts_root, post_urls, media_url, Body("", "", []))
        entry.cover_url = (
            asset_url(context, post.meta.cover) if _is_local(post.meta.cover) else post.meta.cover
        )
        if entry.cover_url is None:
            errors.append(
                ContentError(
                    post.source,
                    post.line_of("cover"),
                    "cover",
                    f"{post.meta.cover!r} does not exist next to the post",
                )
            )
        entry.assets.update(context.body.images)
    return errors


def _is_local(url: str) -> bool:
    return "://" not in url


def body_line(post: Post, needle: str) -> int:
    """The file line of the first body line that mentions `needle`."""
    for offset, line in enumerate(post.body.split("\n")):
        if needle in line:
            return post.body_line + offset
    return post.body_line


def _collect_tags(entries: list[Entry], root_path: str, errors: list[ContentError]) -> list[Tag]:
    """Every tag and its posts; spellings that differ in more than case but share a URL are errors."""
    tags: dict[str, Tag] = {}
    slugs: dict[str, str] = {}
    first_use: dict[str, tuple[str, str]] = {}  # spelling (casefolded) -> (spelling, file)
    for entry in entries:
        for index, name in enumerate(entry.post.meta.tags):
            slug = slugs.get(name)
            if slug is None:
                slug = slugs[name] = slugify(name) or "tag"
            tag = tags.get(slug)
            if tag is None:
                tag = tags[slug] = Tag(name, slug, f"{root_path}/tags/{slug}/")
            first_use.setdefault(name.casefold(), (name, entry.post.source))
            if name.casefold() != tag.name.casefold():
                other, where = first_use[tag.name.casefold()]
                post = entry.post
                line = post.field_lines.get(("tags", index), post.line_of("tags"))
                message = (
                    f"{name!r} and {other!r} (in {where}) would share the page {tag.url}: use one spelling"
                )
                errors.append(ContentError(post.source, line, "tags", message))
                continue
            if tag not in entry.tags:  # identity: Entry and Tag compare by identity
                tag.entries.append(entry)
                entry.tags.append(tag)
    return sorted(tags.values(), key=lambda t: (t.name.lower(), t.slug))
