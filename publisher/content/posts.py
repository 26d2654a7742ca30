"""Load stage: Markdown files under `posts/` become validated `Post` objects.

Every file is read and checked before anything is reported, so one build
shows the author every problem at once.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field, replace
from datetime import datetime, tzinfo
from functools import cached_property
from pathlib import Path

import yaml
from pydantic import ValidationError, ValidationInfo, field_validator

from publisher.content.config import Publication, Section
from publisher.content.validation import Loc, StrictModel, to_content_errors
from publisher.errors import ContentError

POSTS_DIR = "posts"
SLUG_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")
DATE_HELP = "must be a date like 2025-04-22, 2025-04-22T08:30:00 or 2025-04-22T08:30:00-04:00"


class FrontMatter(StrictModel):
    """The keys an author may write between the `---` lines, and nothing else."""

    title: str
    date: datetime
    updated: datetime | None = None
    subtitle: str | None = None
    summary: str | None = None
    slug: str | None = None
    tags: list[str] = []
    authors: list[str] | None = None
    cover: str | None = None
    cover_alt: str | None = None
    draft: bool = False
    responds_to: str | None = None
    related: list[str] = []

    @field_validator("title")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("date", "updated", mode="before")
    @classmethod
    def _parse_date(cls, value: object, info: ValidationInfo) -> datetime:
        zone: tzinfo = info.context["zone"] if info.context else None
        if not isinstance(value, str):
            raise ValueError(DATE_HELP)
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            raise ValueError(f"{value!r} {DATE_HELP}") from None
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=zone)
        return parsed

    @field_validator("slug", "responds_to")
    @classmethod
    def _slug(cls, value: str | None) -> str | None:
        if value is not None and not SLUG_RE.match(value):
            raise ValueError(f"{value!r} is not a slug: use lowercase letters, digits and hyphens")
        return value

    @field_validator("related")
    @classmethod
    def _slugs(cls, value: list[str]) -> list[str]:
        for item in value:
            cls._slug(item)
        return value

    @field_validator("tags", "authors")
    @classmethod
    def _no_blank_items(cls, value: list[str] | None) -> list[str] | None:
        if value is not None and any(not item.strip() for item in value):
            raise ValueError("items must not be empty")
        return [item.strip() for item in value] if value is not None else None


@dataclass(frozen=True)
class Post:
    """One post as written: its front matter, body and where they came from."""

    source: str  # path shown to the author, relative to the publication root
    file: Path  # absolute path of the Markdown file
    section: Section
    slug: str
    meta: FrontMatter
    body_text: str | None = field(repr=False)  # None: read again from the file when needed
    body_line: int  # file line number of the body's first line
    field_lines: dict[Loc, int]
    words: int = 0
    digest: str = ""  # of the file's bytes (and settings): what caches are keyed on
    # size, mtime, ctime, inode and settings it was parsed with: a changed ctime or inode
    # (an edit that kept size and mtime, a copied publication) means reading the file again
    stamp: tuple[int, int, int, int, str] = (0, 0, 0, 0, "")

    def line_of(self, field: str) -> int:
        return self.field_lines.get((field,), 1)

    @property
    def body(self) -> str:
        """The Markdown body; a post from the build cache reads it from its file again.

        The cache keys posts by their file's digest, so the file still holds
        the bytes this post was parsed from.
        """
        if self.body_text is None:
            text = self.file.read_text(encoding="utf-8").removeprefix("\ufeff")
            object.__setattr__(self, "body_text", "\n".join(text.split("\n")[self.body_line - 1 :]))
        assert self.body_text is not None
        return self.body_text

    @cached_property
    def resolved(self) -> Path:
        """The file's real path, as links between posts are resolved against it."""
        return self.file if self.file.is_absolute() else self.file.resolve()

    def without_body(self) -> Post:
        """This post without its body text, for a small cache."""
        return replace(self, body_text=None)


# libyaml's parser when PyYAML was built with it: about ten times faster, same marks.
_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """SafeLoader that keeps dates as text, so we parse them with the zone in mind."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def find_post_files(root: Path) -> list[Path]:
    """Every `.md` under `posts/`, in a stable order, skipping hidden files."""
    base = root / POSTS_DIR
    files = [
        p
        for p in base.rglob("*.md")
        if p.is_file() and not any(part.startswith(".") for part in p.relative_to(base).parts)
    ]
    return sorted(files)


def load_posts(
    root: Path, publication: Publication, known: dict[str, Post] | None = None
) -> tuple[list[Post], list[ContentError]]:
    """Read every post file; return the valid posts and every error found.

    `known` maps a file digest to the `Post` an earlier build parsed from the
    same bytes under the same settings. Those files are not parsed again, and
    one whose size and modification time are unchanged is not even read.
    """
    posts: list[Post] = []
    errors: list[ContentError] = []
    settings = hashlib.blake2b(publication.model_dump_json().encode(), digest_size=16).hexdigest()
    by_stamp = {(post.source, post.stamp): post for post in (known or {}).values()}
    base = root.resolve()  # once, so each post's path is already real
    posts_root = base / POSTS_DIR
    for file in find_post_files(base):
        source = file.relative_to(base).as_posix()
        if not file.resolve().is_relative_to(posts_root.resolve()):
            message = "is a symbolic link to a file outside posts/; only files inside posts/ are published"
            errors.append(ContentError(source, 1, "(file)", message))
            continue
        stat = file.stat()
        stamp = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, settings)
        post = by_stamp.get((source, stamp))
        if post is None:
            raw = file.read_bytes()
            key = hashlib.blake2b(raw + b"\0" + source.encode() + b"\0" + settings.encode(), digest_size=16)
            post = (known or {}).get(key.hexdigest())
            if post is None:
                post, file_errors = load_post(base, file, publication, raw)
                errors.extend(file_errors)
            if post is not None:
                post = replace(post, digest=key.hexdigest(), stamp=stamp)
        if post is not None:
            posts.append(post)
    errors.extend(_duplicate_slugs(posts))
    return posts, errors


def load_post(
    root: Path, file: Path, publication: Publication, raw: bytes | None = None
) -> tuple[Post | None, list[ContentError]]:
    """Parse and validate one file."""
    source = file.relative_to(root).as_posix()
    raw = file.read_bytes() if raw is None else raw
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        message = f"is not valid UTF-8 (byte 0x{raw[exc.start]:02x} at offset {exc.start}); save it as UTF-8"
        return None, [ContentError(source, line, "(file)", message)]
    text = text.removeprefix("\ufeff")

    errors: list[ContentError] = []
    section = _section_of(file, root, publication)
    if section is None:
        folder = file.relative_to(root / POSTS_DIR).parts
        where = f"folder {folder[0]!r}" if len(folder) > 1 else "posts/ itself"
        names = ", ".join(s.folder for s in publication.sections)
        errors.append(ContentError(source, 1, "section", f"{where} is not a section (sections: {names})"))

    split = _split_front_matter(text)
    if isinstance(split, ContentError):
        return None, [*errors, ContentError(source, split.line, split.field, split.message)]
    header, body, body_line = split

    try:
        data, lines = _parse_yaml(header)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 2 if mark is not None else 2
        problem = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context_mark", None)
        if context is not None and context.line + 2 != line:
            problem += f" ({getattr(exc, 'context', 'starting')} on line {context.line + 2})"
        return None, [*errors, ContentError(source, line, "(front matter)", f"invalid YAML: {problem}")]
    if not isinstance(data, dict):
        return None, [
            *errors,
            ContentError(source, 2, "(front matter)", "must be a mapping of key: value lines"),
        ]

    try:
        meta = FrontMatter.model_validate(data, context={"zone": publication.zone})
    except ValidationError as exc:

        def line_of(loc: Loc) -> int:
            for end in range(len(loc), 0, -1):
                if loc[:end] in lines:
                    return lines[loc[:end]]
            return 1

        errors.extend(to_content_errors(exc, source, line_of, FrontMatter))
        return None, errors

    slug = meta.slug or file.stem
    if not SLUG_RE.match(slug):
        errors.append(
            ContentError(
                source,
                1,
                "slug",
                f"file name {file.stem!r} is not a valid slug: rename the file or set `slug:` "
                "(lowercase letters, digits and hyphens)",
            )
        )
    if errors or section is None:
        return None, errors
    return Post(source, file, section, slug, meta, body, body_line, lines, words=len(body.split())), []


def _section_of(file: Path, root: Path, publication: Publication) -> Section | None:
    parts = file.relative_to(root / POSTS_DIR).parts
    return publication.section(parts[0]) if len(parts) > 1 else None


def _split_front_matter(text: str) -> tuple[str, str, int] | ContentError:
    lines = text.split("\n")
    if lines[0].rstrip() != "---":
        return ContentError("", 1, "(front matter)", "missing: the file must start with a `---` line")
    for index in range(1, len(lines)):
        if lines[index].rstrip() in ("---", "..."):
            header = "\n".join(lines[1:index])
            body = "\n".join(lines[index + 1 :])
            return header, body, index + 2
    return ContentError("", 1, "(front matter)", "not closed: add a `---` line after the front matter")


def _parse_yaml(header: str) -> tuple[object, dict[Loc, int]]:
    """Load the front matter, remembering the file line of every key and list item."""
    loader = _Loader(header)
    try:
        node = loader.get_single_node()
        if node is None:
            return {}, {}
        if not isinstance(node, yaml.MappingNode):
            return loader.construct_document(node), {}
        lines: dict[Loc, int] = {}
        data: dict[object, object] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=True)
            data[key] = loader.construct_object(value_node, deep=True)
            if isinstance(key, str):
                lines[(key,)] = key_node.start_mark.line + 2
                if isinstance(value_node, yaml.SequenceNode):
                    for index, item in enumerate(value_node.value):
                        lines[(key, index)] = item.start_mark.line + 2
        return data, lines
    finally:
        loader.dispose()


def _duplicate_slugs(posts: list[Post]) -> list[ContentError]:
    by_slug: dict[str, list[Post]] = {}
    for post in posts:
        by_slug.setdefault(post.slug, []).append(post)
    errors = []
    for slug, same in by_slug.items():
        if len(same) > 1:
            for post in same:
                others = ", ".join(p.source for p in same if p is not post)
                line = post.line_of("slug") if post.meta.slug else 1
                errors.append(
                    ContentError(post.source, line, "slug", f"{slug!r} is also the slug of {others}")
                )
    return errors
