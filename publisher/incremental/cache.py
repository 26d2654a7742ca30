"""What one build remembers for the next, under `<out>/.cache/`.

The cache is an optimisation only: a missing, unreadable or outdated cache
means a full build, never a wrong one. It holds parsed posts, rendered
bodies, and for every output file the key it was rendered from and the size
and modification time it was written with, so a file changed by hand is
rendered again.
"""

from __future__ import annotations

import os
import pickle
from dataclasses import dataclass, field, replace
from pathlib import Path

from publisher.content.markup import Body
from publisher.content.posts import Post
from publisher.incremental.fingerprint import code_digest

CACHE_DIR = ".cache"
CACHE_FILE = "state.pickle"
HTML_DIR = "html"


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


@dataclass
class BuildCache:
    """Everything kept between builds; empty for a clean build."""

    code: str = ""
    posts: dict[str, Post] = field(default_factory=dict)  # file digest -> parsed post
    bodies: dict[str, Body] = field(default_factory=dict)  # body key -> body, see Body.links
    outputs: Outputs = field(default_factory=Outputs)
    feed_html: dict[str, str] = field(default_factory=dict)  # feed items' bodies, URLs absolute

    @classmethod
    def load(cls, out: Path) -> BuildCache:
        """The cache of the last successful build into `out`, or an empty one."""
        try:
            with (out / CACHE_DIR / CACHE_FILE).open("rb") as handle:
                cache = pickle.load(handle)
        except Exception:  # any unreadable cache just means a full build
            return cls(code=code_digest())
        if not isinstance(cache, cls) or cache.code != code_digest():
            return cls(code=code_digest())
        return cache

    def save(self, out: Path) -> None:
        """Write atomically: a build interrupted here leaves the old cache or none.

        Body HTML and post text make up most of the cache and most builds
        need little of it, so the pickle holds neither: HTML goes to one
        file per body under `html/`, read back only when a page needs it,
        and post text is read again from the post's own file.
        """
        folder = out / CACHE_DIR
        html_dir = folder / HTML_DIR
        html_dir.mkdir(parents=True, exist_ok=True)
        light: dict[str, Body] = {}
        for key, body in self.bodies.items():
            target = html_dir / f"{key}.html"
            if body.html_text is not None and not target.exists():
                temporary = target.with_suffix(f".{os.getpid()}")
                temporary.write_text(body.html_text, encoding="utf-8")
                os.replace(temporary, target)
            light[key] = replace(body, html_text=None, html_file=None)
        slim = BuildCache(
            code=self.code,
            posts={key: post.without_body() for key, post in self.posts.items()},
            bodies=light,
            outputs=self.outputs,
            feed_html=self.feed_html,
        )
        temporary = folder / f"{CACHE_FILE}.{os.getpid()}"
        with temporary.open("wb") as handle:
            pickle.dump(slim, handle, protocol=pickle.HIGHEST_PROTOCOL)
        os.replace(temporary, folder / CACHE_FILE)
        for file in html_dir.iterdir():
            if file.stem not in self.bodies:
                file.unlink()

    @staticmethod
    def html_file(out: Path, key: str) -> Path:
        """Where the HTML of the cached body `key` is kept."""
        return out / CACHE_DIR / HTML_DIR / f"{key}.html"
