"""What one build remembers for the next, under `<out>/.cache/`.

The cache is an optimisation only: a missing, unreadable, foreign or
outdated cache means a full build, never a wrong one, and never runs code.
`state.json` is sealed JSON (see `sealed`) holding parsed posts, what each
rendered body depends on, the content digests of input files, and for every
output file the key it was rendered from and the size and modification time
it was written with, so a file changed by hand is rendered again. Body HTML
lives in content-addressed files under `html/`, each checked against its
digest when read. Every path is stored relative to the publication root, so
a moved or copied publication (or a CI job restoring `build/.cache` into a
new checkout) keeps its cache.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from publisher.content.config import Publication
from publisher.content.markup import Body
from publisher.content.posts import FrontMatter, Post
from publisher.incremental.fingerprint import code_digest
from publisher.incremental.sealed import Unsealed, blob_digest, read_sealed, write_sealed

CACHE_DIR = ".cache"
STATE_FILE = "state.json"
HTML_DIR = "html"
KNOWN_FILES = {STATE_FILE, "fast.json", HTML_DIR}


@dataclass
class Outputs:
    """Per output file: (key, size, mtime_ns) as last written."""

    files: dict[str, tuple[str, int, int]] = field(default_factory=dict)

    def unchanged(self, out: Path, name: str, key: str) -> bool:
        """True when `name` was rendered from `key` and nobody touched it since."""
        known = self.files.get(name)
        if known is None or known[0] != key:
            return False
        try:
            stat = os.stat(os.path.join(out, name))
        except OSError:
            return False
        return (stat.st_size, stat.st_mtime_ns) == known[1:]


class FileDigests:
    """Content digests of input files, re-read only when a file's stamp changed.

    The stamp is size, modification time, change time and inode: an edit that
    restores the size and modification time (`touch -r`, some sync tools)
    still changes the change time, and a copy changes the inode.
    """

    def __init__(self, root: Path, known: dict[str, list[Any]] | None = None) -> None:
        self.root = root.resolve()
        self.known = known or {}
        self.used: dict[str, list[Any]] = {}

    def relative(self, path: Path) -> str:
        return os.path.relpath(path, self.root)

    def __call__(self, path: Path) -> str:
        relative = self.relative(path)
        stat = os.stat(path)
        stamp = [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino]
        known = self.known.get(relative)
        if known is not None and known[:4] == stamp:
            self.used[relative] = known
            return str(known[4])
        value = blob_digest(Path(path).read_bytes())
        self.used[relative] = self.known[relative] = [*stamp, value]
        return value


@dataclass
class BuildCache:
    """Everything kept between builds; empty for a clean build."""

    code: str = ""
    posts: dict[str, Post] = field(default_factory=dict)  # file digest -> parsed post
    bodies: dict[str, Body] = field(default_factory=dict)  # body key -> body, see Body.links
    outputs: Outputs = field(default_factory=Outputs)
    feed_html: dict[str, str] = field(default_factory=dict)  # feed items' bodies, URLs absolute
    files: dict[str, list[Any]] = field(default_factory=dict)  # see FileDigests
    note: str | None = None  # why an existing cache was not used

    @classmethod
    def load(cls, out: Path, root: Path, publication: Publication) -> BuildCache:
        """The cache of the last successful build into `out`, or an empty one."""
        path = out / CACHE_DIR / STATE_FILE
        try:
            data = read_sealed(path)
            if not isinstance(data, dict) or data.get("code") != code_digest():
                return cls(code=code_digest())  # another version of publisher: quietly start over
            return _decode(data, root.resolve(), publication)
        except FileNotFoundError:
            return cls(code=code_digest())
        except (OSError, Unsealed, KeyError, TypeError, ValueError, AttributeError, IndexError):
            where = os.path.join(out, CACHE_DIR)
            note = f"note: ignored the build cache in {where} (unreadable or not written by this build)"
            return cls(code=code_digest(), note=note)

    def save(self, out: Path, root: Path) -> None:
        """Write atomically; drop body files no longer used and anything else left in the folder."""
        folder = out / CACHE_DIR
        html_dir = folder / HTML_DIR
        html_dir.mkdir(parents=True, exist_ok=True)
        wanted = set()
        for body in self.bodies.values():
            name = f"{body.html_digest}.html"
            wanted.add(name)
            target = html_dir / name
            if not target.exists():
                temporary = html_dir / f"{name}.{os.getpid()}.tmp"
                temporary.write_text(body.html, encoding="utf-8")
                os.replace(temporary, target)
        write_sealed(folder / STATE_FILE, _encode(self, root.resolve()))
        for file in html_dir.iterdir():
            if file.name not in wanted:
                file.unlink()
        for file in folder.iterdir():
            if file.name not in KNOWN_FILES and not file.is_dir():
                file.unlink()

    @staticmethod
    def html_file(out: Path, body: Body) -> Path:
        """Where the HTML of a cached body is kept."""
        return out / CACHE_DIR / HTML_DIR / f"{body.html_digest}.html"

    @staticmethod
    def read_html(out: Path, body: Body) -> str | None:
        """The cached HTML of `body`, or None when it is missing or fails its digest."""
        try:
            data = BuildCache.html_file(out, body).read_bytes()
        except OSError:
            return None
        if blob_digest(data) != body.html_digest:
            return None
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return None


def _encode(cache: BuildCache, root: Path) -> dict[str, Any]:
    relative: dict[str | Path, str] = {}  # the same few hundred targets recur in every body

    def rel(path: str | Path) -> str:
        found = relative.get(path)
        if found is None:
            found = relative[path] = os.path.relpath(path, root)
        return found

    posts = [
        {
            "digest": key,
            "source": post.source,
            "stamp": list(post.stamp),
            "section": post.section.folder,
            "slug": post.slug,
            "meta": post.meta.model_dump(mode="json", exclude_unset=True),
            "body_line": post.body_line,
            "field_lines": [[list(loc), line] for loc, line in post.field_lines.items()],
            "words": post.words,
        }
        for key, post in cache.posts.items()
    ]
    bodies = {
        key: {
            "html_digest": body.html_digest,
            "first_paragraph": body.first_paragraph,
            "headings": [list(heading) for heading in body.headings],
            "broken_links": body.broken_links,
            "images": {rel(path): url for path, url in body.images.items()},
            "missing_images": body.missing_images,
            "images_without_alt": body.images_without_alt,
            "anchors": [[href, rel(target) if target else None, frag] for href, target, frag in body.anchors],
            "ids": sorted(body.ids),
            "links": {rel(target): url for target, url in body.links.items()},
            "checked_images": {rel(target): existed for target, existed in body.checked_images.items()},
        }
        for key, body in cache.bodies.items()
    }
    return {
        "code": cache.code,
        "posts": posts,
        "bodies": bodies,
        "outputs": {name: list(known) for name, known in cache.outputs.files.items()},
        "feed_html": cache.feed_html,
        "files": cache.files,
    }


def _text(value: object) -> str:
    if not isinstance(value, str):
        raise TypeError("expected text")
    return value


def _number(value: object) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise TypeError("expected a number")
    return value


def _texts(value: object) -> list[str]:
    if not isinstance(value, list):
        raise TypeError("expected a list")
    return [_text(item) for item in value]


def _decode(data: dict[str, Any], root: Path, publication: Publication) -> BuildCache:
    """Rebuild the cache's objects from JSON, checking every type on the way."""
    base = str(root)
    absolute: dict[str, str] = {}  # the same few hundred targets recur in every body

    def where(relative: object) -> str:
        text = _text(relative)
        found = absolute.get(text)
        if found is None:
            found = absolute[text] = os.path.normpath(os.path.join(base, text))
        return found

    posts: dict[str, Post] = {}
    for item in data["posts"]:
        section = publication.section(_text(item["section"]))
        if section is None:
            continue
        meta = FrontMatter.model_validate(item["meta"], context={"zone": publication.zone})
        source = _text(item["source"])
        stamp = item["stamp"]
        posts[_text(item["digest"])] = Post(
            source=source,
            file=Path(where(source)),
            section=section,
            slug=_text(item["slug"]),
            meta=meta,
            body_text=None,
            body_line=_number(item["body_line"]),
            field_lines={
                tuple(loc): _number(line) for loc, line in item["field_lines"] if isinstance(loc, list)
            },
            words=_number(item["words"]),
            digest=_text(item["digest"]),
            stamp=(*(_number(n) for n in stamp[:-1]), _text(stamp[-1])),  # type: ignore[arg-type]
        )
    bodies: dict[str, Body] = {}
    for key, item in data["bodies"].items():
        bodies[_text(key)] = Body(
            html_text=None,
            first_paragraph=_text(item["first_paragraph"]),
            headings=[(_number(level), _text(ident), _text(name)) for level, ident, name in item["headings"]],
            broken_links=_texts(item["broken_links"]),
            images={Path(where(path)): _text(url) for path, url in item["images"].items()},
            missing_images=_texts(item["missing_images"]),
            images_without_alt=_texts(item["images_without_alt"]),
            anchors=[
                (_text(href), where(target) if target is not None else None, _text(frag))
                for href, target, frag in item["anchors"]
            ],
            ids=set(_texts(item["ids"])),
            links={
                where(target): (_text(url) if url is not None else None)
                for target, url in item["links"].items()
            },
            checked_images={where(path): known is True for path, known in item["checked_images"].items()},
            html_digest=_text(item["html_digest"]),
        )
    outputs = {
        _text(name): (_text(key), _number(size), _number(mtime))
        for name, (key, size, mtime) in data["outputs"].items()
    }
    feed_html = {_text(key): _text(value) for key, value in data["feed_html"].items()}
    files = {
        _text(name): [*(_number(n) for n in stamp[:4]), _text(stamp[4])]
        for name, stamp in data["files"].items()
        if len(stamp) == 5
    }
    return BuildCache(
        code=_text(data["code"]),
        posts=posts,
        bodies=bodies,
        outputs=Outputs(outputs),
        feed_html=feed_html,
        files=files,
    )
