"""What a build is asked to do, and what it reports back.

Kept apart from `publisher.build` so the command line and the no-change fast
path can use them without importing the renderers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from publisher.errors import ContentError

Progress = Callable[[str, int], Callable[[int], None]]  # (stage, total) -> advance(n)


@dataclass(frozen=True)
class BuildOptions:
    """What the command line asked for."""

    root: Path
    out: Path
    drafts: bool = False
    future: bool = False
    base_url: str | None = None
    now: datetime | None = None  # what "now" is for scheduled posts; None: the clock
    clean: bool = False  # ignore the cache
    jobs: int = 0  # worker processes; 0: one per core
    strict: bool = False  # warnings fail the build
    write: bool = True  # False for `publisher check`
    progress: Progress | None = None


@dataclass
class BuildResult:
    """Counts for the summary line, and what the author should hear about."""

    posts: int
    pages: int
    files: int
    seconds: float
    out: Path
    feeds: int = 0
    emails: int = 0
    warnings: list[ContentError] = field(default_factory=list)
    rebuilt: int = 0  # posts whose page, body or email was rendered again
    written: list[str] = field(default_factory=list)  # output files whose bytes changed
    notes: list[str] = field(default_factory=list)  # one-line notes about the cache, for stderr

    def summary(self) -> str:
        feeds = f", {self.feeds:,} feeds" if self.feeds else ""
        emails = f", {self.emails:,} emails" if self.emails else ""
        cached = self.posts - self.rebuilt
        reuse = f" ({self.rebuilt:,} rebuilt, {cached:,} cached)" if cached else ""
        return (
            f"Built {self.posts:,} posts: {self.pages:,} pages{feeds}{emails} in {self.seconds:.1f} s{reuse}"
        )

    @property
    def email_dir(self) -> Path:
        return self.out / "email"
