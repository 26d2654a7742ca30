"""What one email says around the post body, worked out once per post.

The HTML template, the plain-text renderer and the MIME headers all need the
same absolute URLs, names and per-subscriber links; computing them here keeps
the three in agreement.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import quote, urlsplit

from publisher.content.config import Publication, Section
from publisher.content.resolve import Entry, Site
from publisher.render.imagesize import image_size
from publisher.render.urls import absolute_url

# 600 px container minus 32 px padding either side.
CONTENT_WIDTH = 536
GMAIL_CLIP_BYTES = 100 * 1024  # Gmail clips messages from about 102 KB


@dataclass(frozen=True)
class Cover:
    """The cover image as the email shows it."""

    src: str
    alt: str
    width: int


@dataclass(frozen=True)
class Reply:
    """The reply/comment invitation under the post."""

    text: str
    link_text: str
    url: str


@dataclass(frozen=True)
class EmailParts:
    """Everything an emailed post shows besides its body; every URL absolute."""

    entry: Entry
    publication: Publication
    subject: str
    view_url: str
    home_url: str
    authors: list[str]
    date: str
    sections: list[tuple[Section, str]]
    support_url: str
    subscribe_url: str
    reply: Reply
    unsubscribe_url: str
    preferences_url: str | None
    cover: Cover | None


def human_date(site: Site, entry: Entry) -> str:
    """`March 10, 2026`, in the publication's time zone."""
    local = entry.date.astimezone(site.publication.zone)
    return f"{local:%B} {local.day}, {local.year}"


def email_parts(site: Site, entry: Entry) -> EmailParts:
    """Gather what the email for `entry` shows around its body."""
    publication = site.publication
    settings = publication.email
    home = site.absolute(site.url(""))
    return EmailParts(
        entry=entry,
        publication=publication,
        subject=entry.section.subject_prefix + entry.title,
        view_url=entry.absolute_url,
        home_url=home,
        authors=list(entry.post.meta.authors or [publication.author]),
        date=human_date(site, entry),
        sections=[(s, site.absolute(site.url(f"{s.folder}/"))) for s in publication.sections],
        support_url=absolute_url(publication.support.link, home),
        subscribe_url=absolute_url(publication.subscribe.url, home),
        reply=_reply(publication, entry),
        unsubscribe_url=settings.unsubscribe_url,
        preferences_url=settings.preferences_url,
        cover=_cover(site, entry),
    )


def _reply(publication: Publication, entry: Entry) -> Reply:
    settings = publication.email
    if settings.comment_url:
        url = settings.comment_url.replace("{url}", entry.absolute_url).replace("{slug}", entry.slug)
        return Reply("Join the conversation about this post:", "Leave a comment", url)
    _, address = parseaddr(settings.reply_to or settings.from_address)
    subject = quote(f"Re: {entry.title}", safe="")
    return Reply(
        "Questions, corrections or tips? Reply to this email or write to",
        address,
        f"mailto:{address}?subject={subject}",
    )


def _cover(site: Site, entry: Entry) -> Cover | None:
    if not entry.cover_url:
        return None
    src = absolute_url(entry.cover_url, entry.absolute_url)
    source = _asset_file(entry, entry.cover_url)
    return Cover(src, entry.post.meta.cover_alt or "", display_width(source))


def _asset_file(entry: Entry, url: str) -> Path | None:
    path = urlsplit(url).path
    return next((file for file, asset in entry.assets.items() if asset == path), None)


def display_width(source: Path | None) -> int:
    """The `width` attribute for an image: its own width, at most the column's."""
    size = image_size(source) if source is not None else None
    return min(size[0], CONTENT_WIDTH) if size else CONTENT_WIDTH


__all__ = [
    "CONTENT_WIDTH",
    "GMAIL_CLIP_BYTES",
    "Cover",
    "EmailParts",
    "Reply",
    "display_width",
    "email_parts",
    "human_date",
]
