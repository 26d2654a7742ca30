"""What every importer reads out of an export, before any decision about this publication.

A source module fills `ExportedPost`s with the export's own values (its slug as written, its
dates, its HTML); the planner turns them into post files. Nothing here touches the disk.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime


class ExportUnreadable(Exception):
    """The export as a whole cannot be read (not a zip, no posts.csv, not JSON, not WXR)."""


@dataclass
class ExportedPost:
    """One post of an export, in the export's own terms."""

    platform: str  # substack, ghost, wordpress
    key: str  # the export's id for the post, kept in the written file to recognise a re-import
    title: str
    html: str
    slug: str  # as the export has it; may be empty or non-ASCII
    date: datetime | None  # with its offset; None when the export has none (a draft never published)
    updated: datetime | None = None
    draft: bool = False
    restricted: str = ""  # why the post is not for everyone (paid, members, password): imported as a draft
    subtitle: str = ""
    summary: str = ""
    tags: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    authors: list[str] = field(default_factory=list)
    cover: str = ""  # an absolute image URL
    cover_alt: str = ""
    kind: str = "newsletter"  # Substack's type, WordPress's post type
    old_paths: list[str] = field(default_factory=list)  # old URL paths to redirect to the new post


@dataclass(frozen=True)
class Skipped:
    """An item of the export that is not imported, and why."""

    platform: str
    key: str
    reason: str


@dataclass
class Export:
    """Everything read from one export file."""

    posts: list[ExportedPost] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # about the export itself (a bad row, a bad date)
    site_url: str = ""  # the old site's address, for links and images written as /path
