"""`redirects.txt`: old addresses of the publication and where they live now.

One redirect a line, `OLD NEW`, both paths of this site (`/2019/05/hello/ /p/hello/`) or, for
NEW, an https URL; `#` starts a comment. `publisher import` writes it; the build turns it into a
Netlify/Cloudflare `_redirects` file and a small page at each old path that any static host
serves. Paths are checked here so a redirect can never write outside the site or over a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from publisher.errors import ContentError

REDIRECTS_NAME = "redirects.txt"
_PATH_RE = re.compile(r"^/[^\s?#\\\"'<>`]*$")
_TARGET_RE = re.compile(r"^(/[^\s\\\"'<>`]*|https://[^\s\\\"'<>`]+)$")
_POST_RE = re.compile(r"^/p/([a-z0-9]+(?:-[a-z0-9]+)*)/$")


@dataclass(frozen=True)
class Redirect:
    """One old path and where it leads."""

    source: str
    target: str
    line: int = 0

    @property
    def post_slug(self) -> str | None:
        """The slug when the target is a post's page, `/p/<slug>/`."""
        match = _POST_RE.match(self.target)
        return match.group(1) if match else None


@dataclass
class Redirects:
    """The file's redirects and the problems found in it, by line."""

    entries: list[Redirect] = field(default_factory=list)
    problems: list[tuple[int, str]] = field(default_factory=list)

    def errors(self) -> list[ContentError]:
        return [ContentError(REDIRECTS_NAME, line, "redirect", message) for line, message in self.problems]

    def unknown_posts(self, slugs: set[str]) -> list[ContentError]:
        """Redirects to `/p/<slug>/` where no post, published or not, has that slug."""
        return [
            ContentError(REDIRECTS_NAME, r.line, "redirect", f"no post has the slug {r.post_slug!r}")
            for r in self.entries
            if r.post_slug is not None and r.post_slug not in slugs
        ]


def problem_with_source(path: str) -> str | None:
    """Why `path` cannot be an old address here, or None when it can."""
    if not _PATH_RE.match(path):
        return f"{path!r} is not a path of this site: start it with / and leave out spaces, ? and #"
    segments = path.strip("/").split("/")
    if path == "/" or any(s in ("", ".", "..") for s in segments):
        return f"{path!r} is not a path to a page: no empty, . or .. parts, and not / itself"
    return None


def parse_redirects(text: str) -> Redirects:
    """Read the file's text; every bad line is a problem, the good ones are kept."""
    found = Redirects()
    sources: dict[str, int] = {}
    for number, raw in enumerate(text.split("\n"), start=1):
        line = "" if raw.lstrip().startswith("#") else raw.strip()
        if not line:
            continue
        parts = line.split()
        if len(parts) != 2:
            found.problems.append((number, "write one redirect a line: OLD-PATH NEW-PATH"))
            continue
        source, target = parts
        problem = problem_with_source(source)
        if problem is None and not _TARGET_RE.match(target):
            problem = f"{target!r} is not a path of this site or an https:// URL"
        if problem is None and source.rstrip("/") == target.rstrip("/"):
            problem = f"{source!r} redirects to itself"
        if problem is None and source in sources:
            problem = f"{source!r} is already redirected on line {sources[source]}"
        if problem is not None:
            found.problems.append((number, problem))
            continue
        sources[source] = number
        found.entries.append(Redirect(source, target, number))
    return found


def read_redirects(root: Path) -> Redirects:
    """The publication's `redirects.txt`; none at all is an empty list."""
    path = root / REDIRECTS_NAME
    if not path.is_file():
        return Redirects()
    try:
        return parse_redirects(path.read_text(encoding="utf-8-sig"))
    except UnicodeDecodeError:
        return Redirects(problems=[(1, "is not UTF-8 text")])


HEADER = """\
# Old addresses and where they are now: OLD-PATH NEW-PATH (or an https:// URL).
# `publisher build` writes them as site/_redirects (Netlify, Cloudflare Pages)
# and as a small page at each old path that sends the reader on.
"""


def format_redirects(entries: list[Redirect], header: str = HEADER) -> str:
    """The file's text for `entries`, aligned for reading."""
    width = max((len(r.source) for r in entries), default=0)
    return header + "".join(f"{r.source.ljust(width)} {r.target}\n" for r in entries)
