"""Digests that say when an output must be rendered again.

An output's key is a digest of everything its rendering reads. Equal keys
mean equal bytes, so an incremental build can keep the file it has; any
input it forgot would make incremental output differ from a clean build,
which the tests compare.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # kept light: the no-change fast path imports this module
    from publisher.content.resolve import Entry


def digest(*parts: object) -> str:
    """A short, stable digest of strings, bytes, numbers and nested sequences."""
    hasher = hashlib.blake2b(digest_size=16)
    _feed(hasher, parts)
    return hasher.hexdigest()


def _feed(hasher: hashlib._Hash, value: object) -> None:  # type: ignore[name-defined]
    if isinstance(value, bytes):
        hasher.update(b"b%d:" % len(value) + value)
    elif isinstance(value, str):
        data = value.encode("utf-8", "surrogatepass")
        hasher.update(b"s%d:" % len(data) + data)
    elif isinstance(value, list | tuple):
        hasher.update(b"l%d:" % len(value))
        for item in value:
            _feed(hasher, item)
    elif value is None or isinstance(value, bool | int | float):
        _feed(hasher, repr(value))
    else:
        _feed(hasher, str(value))


@cache
def code_digest() -> str:
    """The package's own source: a new version of publisher invalidates every cache."""
    package = Path(__file__).parent.parent
    return digest(
        [(p.relative_to(package).as_posix(), p.read_bytes()) for p in sorted(package.rglob("*.py"))]
    )


def files_digest(folders: Iterable[Path], include: str = "", exclude: str = "\0") -> str:
    """Digest of the files under `folders` whose relative path starts with `include`."""
    parts = []
    for folder in folders:
        if not folder.is_dir():
            continue
        for file in sorted(folder.rglob("*")):
            relative = file.relative_to(folder).as_posix()
            if file.is_file() and relative.startswith(include) and not relative.startswith(exclude):
                parts.append((str(folder), relative, file.read_bytes()))
    return digest(parts)


def card_digest(entry: Entry) -> str:
    """What lists and links show of a post: its front matter, URL and summary, not its body."""
    if entry.card_fingerprint is None:
        entry.card_fingerprint = digest(
            entry.post.source,
            entry.post.meta.model_dump_json(),
            entry.url,
            entry.summary,
            entry.reading_minutes,
            entry.cover_url,
            [(t.name, t.url) for t in entry.tags],
        )
    return entry.card_fingerprint


def entry_digest(entry: Entry) -> str:
    """Everything about one post that its own page, email or feed item could read."""
    if entry.fingerprint is None:
        entry.fingerprint = digest(
            card_digest(entry), entry.post.digest, entry.body.html_digest if entry.body else ""
        )
    return entry.fingerprint


def entry_page_digest(entry: Entry) -> str:
    """A post, and what it shows of the posts it links to."""
    related = [entry.responds_to, entry.previous, entry.next, *entry.responses, *entry.related]
    return digest(entry_digest(entry), [card_digest(e) if e else "-" for e in related])


def cards_digest(entries: Iterable[Entry]) -> str:
    return digest([card_digest(e) for e in entries])
