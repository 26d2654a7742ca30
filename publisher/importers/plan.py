"""Decide what an import writes: each post's section, slug, file, front matter and redirects.

Planning reads the publication (its sections and the posts already there) but writes nothing,
so `--dry-run` prints the same plan a real import carries out. A post written by an import
carries a YAML comment naming its origin (`# imported from substack 101.hello`); a second
import of the same export finds it and reports "already imported" instead of duplicating it.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path, PurePosixPath
from urllib.parse import quote, unquote, urlsplit

import yaml
from slugify import slugify

from publisher.content.config import Publication
from publisher.content.posts import POSTS_DIR, SLUG_RE, find_post_files
from publisher.content.redirects import REDIRECTS_NAME, Redirect, read_redirects
from publisher.importers.html_to_markdown import html_to_markdown
from publisher.importers.model import Export, ExportedPost

MARKER = "# imported from "
_MARKER_RE = re.compile(r"^# imported from (\S+) (.+?)\s*$", re.M)
_SLUG_LINE_RE = re.compile(r"^slug:\s*['\"]?([a-z0-9-]+)['\"]?\s*$", re.M)
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".gif", ".webp", ".avif")
RULE_KINDS = ("tag", "category", "type")


class BadOption(ValueError):
    """A command-line value that does not fit this publication (an unknown section, a bad rule)."""


@dataclass(frozen=True)
class Rule:
    """`--map tag:Playbook=playbooks`: posts with that tag go to that section."""

    kind: str
    value: str
    folder: str

    @classmethod
    def parse(cls, text: str) -> Rule:
        match = re.fullmatch(r"\s*([a-z]+):(.+)=([^=]+?)\s*", text)
        if match is None or match.group(1) not in RULE_KINDS:
            raise BadOption(
                f"{text!r} is not a rule like tag:NAME=FOLDER, category:NAME=FOLDER or type:NAME=FOLDER"
            )
        return cls(match.group(1), match.group(2).strip(), match.group(3).strip())

    def matches(self, post: ExportedPost) -> bool:
        wanted = self.value.casefold()
        if self.kind == "type":
            return post.kind.casefold() == wanted
        values = post.categories if self.kind == "category" else [*post.tags, *post.categories]
        if post.platform != "ghost" and self.kind == "tag":
            values = post.tags
        return any(value.casefold() == wanted for value in values)


@dataclass
class Settings:
    """What the command line asked for."""

    root: Path
    publication: Publication
    now: datetime
    section: str | None = None
    rules: list[Rule] = field(default_factory=list)
    copy_images: Path | None = None
    force: bool = False


@dataclass
class Image:
    """A file from `--copy-images` and where it goes under posts/."""

    source: Path
    target: str  # relative to the root


@dataclass
class Planned:
    """One post to write."""

    post: ExportedPost
    path: str  # relative to the root, e.g. posts/insights/hello.md
    slug: str
    text: str  # front matter, then the body
    overwrite: bool
    notes: list[str]
    images: list[Image]


@dataclass
class Plan:
    """Everything an import will do, and everything it will not."""

    posts: list[Planned] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (what, why)
    warnings: list[str] = field(default_factory=list)
    redirects: list[Redirect] = field(default_factory=list)  # the whole redirects file after the import
    new_redirects: int = 0


@dataclass
class _Existing:
    path: str
    slug: str
    origin: tuple[str, str] | None


def _existing_posts(root: Path) -> list[_Existing]:
    found = []
    for file in find_post_files(root):
        try:
            text = file.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        header = text.split("\n---", 1)[0] if text.startswith("---") else ""
        marker = _MARKER_RE.search(header)
        slug = _SLUG_LINE_RE.search(header)
        found.append(
            _Existing(
                file.relative_to(root).as_posix(),
                slug.group(1) if slug else file.stem,
                (marker.group(1), marker.group(2)) if marker else None,
            )
        )
    return found


def check_settings(settings: Settings) -> None:
    """Every section named on the command line must exist."""
    folders = [s.folder for s in settings.publication.sections]
    for folder in [settings.section, *(r.folder for r in settings.rules)]:
        if folder is not None and folder not in folders:
            raise BadOption(f"no section {folder!r} in publication.toml (sections: {', '.join(folders)})")
    if settings.copy_images is not None and not settings.copy_images.is_dir():
        raise BadOption(f"--copy-images: {settings.copy_images} is not a folder")


def plan_import(export: Export, settings: Settings) -> Plan:
    """Choose a section, slug and file for each post; convert its body; collect redirects."""
    check_settings(settings)
    plan = Plan(warnings=list(export.warnings))
    plan.skipped = [(f"{s.platform} {s.key}", s.reason) for s in export.skipped]
    existing = _existing_posts(settings.root)
    by_origin = {e.origin: e for e in existing if e.origin is not None}
    taken_slugs = {e.slug: e.path for e in existing}
    taken_paths = {e.path for e in existing}
    images = _ImageFolder(settings.copy_images) if settings.copy_images else None
    redirects = read_redirects(settings.root)
    plan.warnings += [f"{REDIRECTS_NAME}:{line}: {message}" for line, message in redirects.problems]
    wanted: list[Redirect] = []
    homes: dict[str, str] = {}  # old path of each post in the export -> its file here
    bodies: list[str] = []
    for post in export.posts:
        label = f"{post.platform} {post.key}"
        earlier = by_origin.get((post.platform, _one_line(post.key)))
        if earlier is not None and not settings.force:
            plan.skipped.append((label, f"already imported as {earlier.path} (use --force to overwrite it)"))
            _claim(homes, _old_addresses(post), earlier.path, earlier.slug)
            continue
        notes: list[str] = []
        if earlier is not None:
            slug, path = earlier.slug, earlier.path
        else:
            folder = _section_for(post, settings)
            slug = _free_slug(_slug_for(post, notes), post, taken_slugs, taken_paths, folder, notes)
            path = f"{POSTS_DIR}/{folder}/{slug}.md"
        taken_slugs[slug] = path
        taken_paths.add(path)
        _claim(homes, _old_addresses(post), path, slug)
        converted = html_to_markdown(post.html, export.site_url)
        notes.extend(converted.notes)
        body = converted.markdown
        if not body.strip():
            notes.append("empty body")
        copied: list[Image] = []
        cover = post.cover
        if images is not None:
            body, cover, copied = images.localise(body, cover, converted.images, path, slug, notes)
        front = _front_matter(post, slug, cover, settings, notes)
        plan.posts.append(Planned(post, path, slug, front, earlier is not None, notes, copied))
        bodies.append(body)
        url = f"/p/{slug}/"
        wanted += [Redirect(old, url) for old in post.old_paths if _path_key(old) != url]
    host = urlsplit(export.site_url).hostname
    for planned, body in zip(plan.posts, bodies, strict=True):
        if host:
            body = _link_to_files(body, host, homes, planned)
        planned.text += "\n" + body
    pages = {f"/p/{slug}/" for slug in taken_slugs}  # another post's address is never redirected
    wanted = [redirect for redirect in wanted if redirect.source not in pages]
    plan.redirects, plan.new_redirects, clashes = _merge_redirects(redirects.entries, wanted, settings.force)
    plan.warnings += clashes
    return plan


def _old_addresses(post: ExportedPost) -> list[str]:
    """The paths under which the old site showed `post`."""
    paths = [*post.old_paths, f"/p/{post.slug}/"] if post.slug else list(post.old_paths)
    return [_path_key(unquote(path)) for path in paths]


def _claim(homes: dict[str, str], addresses: list[str], path: str, slug: str) -> None:
    """Old addresses lead to this post, unless another post already claimed one; its own URL always does."""
    for address in addresses:
        if address not in homes or address == f"/p/{slug}/":
            homes[address] = path


_LINK_RE = re.compile(r"\]\((<?)(https?://[^)\s>]+)(>?)(\s+\"[^\"]*\")?\)")


def _link_to_files(body: str, host: str, homes: dict[str, str], planned: Planned) -> str:
    """Links to the old address of an imported post point at its file, so the build makes them work here."""
    count = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal count
        parts = urlsplit(match.group(2))
        target = homes.get(_path_key(unquote(parts.path)))
        if parts.hostname != host or target is None or parts.query:
            return match.group(0)
        count += 1
        relative = posixpath.relpath(target, posixpath.dirname(planned.path))
        fragment = f"#{parts.fragment}" if parts.fragment else ""
        return f"]({quote(relative)}{fragment}{match.group(4) or ''})"

    body = _LINK_RE.sub(replace, body)
    if count:
        planned.notes.append(f"{count} link(s) to the old site now point at the imported post's file")
    return body


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _section_for(post: ExportedPost, settings: Settings) -> str:
    for rule in settings.rules:
        if rule.matches(post):
            return rule.folder
    return settings.section or settings.publication.sections[0].folder


def _slug_for(post: ExportedPost, notes: list[str]) -> str:
    slug = post.slug.strip()
    if SLUG_RE.match(slug):
        return slug
    made = slugify(slug, max_length=80, word_boundary=True) or slugify(
        post.title, max_length=80, word_boundary=True
    )
    made = made or f"post-{slugify(post.key) or 'untitled'}"
    if slug:
        notes.append(f"slug {slug!r} is not a URL slug here; imported as {made!r}")
    return made


def _free_slug(
    slug: str, post: ExportedPost, slugs: dict[str, str], paths: set[str], folder: str, notes: list[str]
) -> str:
    candidate, number = slug, 1
    while candidate in slugs or f"{POSTS_DIR}/{folder}/{candidate}.md" in paths:
        number += 1
        candidate = f"{slug}-{number}"
    if candidate != slug:
        holder = slugs.get(slug, f"{POSTS_DIR}/{folder}/{slug}.md")
        notes.append(f"slug {slug!r} is taken by {holder}; imported as {candidate!r}")
    return candidate


def _yaml(value: object) -> str:
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return dumped.removesuffix("\n...\n").strip()


def _front_matter(post: ExportedPost, slug: str, cover: str, settings: Settings, notes: list[str]) -> str:
    zone = settings.publication.zone
    title = _one_line(post.title)
    if not title:
        title = "Untitled"
        notes.append("no title in the export; titled 'Untitled'")
    date = post.date
    if date is None:
        date = settings.now
        notes.append("no date in the export; dated at the time of the import")
    lines = ["---", f"{MARKER}{post.platform} {_one_line(post.key)}"]
    draft = post.draft
    if post.restricted:
        lines.append(f"# {post.restricted}: not for everyone, so imported as a draft")
        notes.append(
            f"{post.restricted}: imported as a draft; remove `draft: true` to publish it to everyone"
        )
        draft = True
    lines.append(f"title: {_yaml(title)}")
    if post.subtitle.strip():
        lines.append(f"subtitle: {_yaml(_one_line(post.subtitle))}")
    lines.append(f"date: {_iso(date, zone)}")
    if post.updated is not None and post.date is not None and post.updated > post.date:
        lines.append(f"updated: {_iso(post.updated, zone)}")
    lines.append(f"slug: {slug}")
    if post.summary.strip():
        lines.append(f"summary: {_yaml(_one_line(post.summary))}")
    tags = list(dict.fromkeys(t for t in (_one_line(t) for t in post.tags) if t))
    if tags:
        lines.append(f"tags: {_yaml(tags)}")
    authors = list(dict.fromkeys(a for a in (_one_line(a) for a in post.authors) if a))
    if authors:
        lines.append(f"authors: {_yaml(authors)}")
    if cover:
        lines.append(f"cover: {_yaml(cover)}")
        if post.cover_alt.strip():
            lines.append(f"cover_alt: {_yaml(_one_line(post.cover_alt))}")
    if draft:
        lines.append("draft: true")
    lines.append("---")
    return "\n".join(lines) + "\n"


def _iso(moment: datetime, zone: object) -> str:
    moment = moment.replace(microsecond=0)
    if moment.tzinfo is None:  # WordPress's local time: the publication's time zone applies
        return moment.isoformat()
    return moment.astimezone(zone).isoformat()  # type: ignore[arg-type]


def _path_key(path: str) -> str:
    return path if path.endswith("/") else path + "/"


def _merge_redirects(
    current: list[Redirect], wanted: list[Redirect], force: bool
) -> tuple[list[Redirect], int, list[str]]:
    merged = list(current)
    index = {r.source: i for i, r in enumerate(merged)}
    added, clashes = 0, []
    for redirect in wanted:
        if redirect.source in index:
            known = merged[index[redirect.source]]
            if known.target == redirect.target:
                continue
            if not force:
                clashes.append(
                    f"{REDIRECTS_NAME}: {redirect.source} already redirects to {known.target}; "
                    f"not changed to {redirect.target} (use --force)"
                )
                continue
            merged[index[redirect.source]] = Redirect(redirect.source, redirect.target, known.line)
        else:
            index[redirect.source] = len(merged)
            merged.append(redirect)
        added += 1
    return merged, added, clashes


class _ImageFolder:
    """`--copy-images DIR`: downloaded copies of the export's images, found by their URL's path."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder.resolve()
        self.by_name: dict[str, list[Path]] = {}
        for file in sorted(self.folder.rglob("*")):
            if file.suffix.lower() in IMAGE_SUFFIXES and file.is_file():
                if not file.resolve().is_relative_to(self.folder):
                    continue  # a symlink out of the folder
                self.by_name.setdefault(file.name, []).append(file)

    def find(self, url: str) -> Path | None:
        parts = [p for p in unquote(urlsplit(url).path).split("/") if p]
        if not parts:
            return None
        best, best_score = None, 0
        for candidate in self.by_name.get(parts[-1], []):
            relative = candidate.relative_to(self.folder).parts
            score = 0
            while score < min(len(relative), len(parts)) and relative[-1 - score] == parts[-1 - score]:
                score += 1
            if score > best_score:
                best, best_score = candidate, score
        return best

    def localise(
        self, body: str, cover: str, urls: list[str], post_path: str, slug: str, notes: list[str]
    ) -> tuple[str, str, list[Image]]:
        """Point the body and cover at copies next to the post; unknown images keep their URL."""
        folder = PurePosixPath(post_path).parent
        copies: list[Image] = []
        names: dict[str, str] = {}
        missing = 0
        for url in dict.fromkeys([*urls, *([cover] if cover else [])]):
            source = self.find(url)
            if source is None:
                missing += 1
                continue
            name = source.name.lower()
            if name in names.values():
                name = f"{len(names) + 1}-{name}"
            names[url] = name
            relative = f"images/{slug}/{name}"
            copies.append(Image(source, str(folder / relative)))
            body = body.replace(f"]({url})", f"]({relative})").replace(f"](<{url}>)", f"]({relative})")
            if cover == url:
                cover = relative
        if missing:
            notes.append(f"{missing} image(s) not in --copy-images folder; they keep their web address")
        return body, cover, copies
