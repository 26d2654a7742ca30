"""The build, as a script of named stages: load, resolve, render, write.

Each stage collects errors instead of stopping at the first; the build stops
before writing anything if any stage found one.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from publisher.clock import build_now
from publisher.config import load_publication
from publisher.emails import render_emails
from publisher.errors import BuildFailed
from publisher.feeds import render_feeds
from publisher.output import write_output
from publisher.posts import load_posts
from publisher.resolve import resolve
from publisher.site import make_environment, render_site


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asked for."""

    root: Path
    out: Path
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    now: datetime | None = None  # what "now" is for scheduled posts; None: the clock


@dataclass(frozen=True)
class BuildResult:
    """Counts for the summary line."""

    posts: int
    pages: int
    files: int
    seconds: float
    out: Path
    feeds: int = 0
    emails: int = 0
    warnings: tuple[str, ...] = ()  # worth telling the author; never fail the build

    def summary(self) -> str:
        feeds = f", {self.feeds:,} feeds" if self.feeds else ""
        emails = f", {self.emails:,} emails" if self.emails else ""
        return f"Built {self.posts:,} posts: {self.pages:,} pages{feeds}{emails} in {self.seconds:.1f} s"

    @property
    def email_dir(self) -> Path:
        return self.out / "email"


def build(options: BuildOptions) -> BuildResult:
    """Build the publication at `options.root` into `options.out`."""
    started = time.perf_counter()

    # 1. load: files -> validated posts
    publication = load_publication(options.root, options.base_url)
    posts, errors = load_posts(options.root, publication)

    # 2. resolve: links, sections, related posts, rendered bodies
    now = options.now or build_now()
    site, resolve_errors = resolve(
        options.root,
        publication,
        posts,
        include_drafts=options.drafts,
        include_future=options.future,
        now=now,
    )
    errors.extend(resolve_errors)
    if errors:
        raise BuildFailed(errors)

    # 3. render: web pages (feeds and email join here)
    env = make_environment(options.root)
    site_files = render_site(site, env)
    feed_files = render_feeds(site)
    site_files.update(feed_files)
    emails = render_emails(site, env)
    trees = {"site": site_files}
    if emails.files:  # write_output cannot swap in an empty folder
        trees["email"] = emails.files

    # 4. write: everything at once, or nothing
    files = write_output(options.out, trees)

    pages = sum(1 for name in site_files if name.endswith(".html"))
    seconds = time.perf_counter() - started
    return BuildResult(
        len(site.entries),
        pages,
        files,
        seconds,
        options.out,
        feeds=len(feed_files),
        emails=emails.count,
        warnings=tuple(emails.warnings),
    )
