"""The no-change fast path: skip the whole build when no input changed.

After each successful build the cache records a digest of every input's
name, size and modification time (posts and their images, templates,
`publication.toml`, the code, the options), the window of "now" in which
the same posts are due, and every output file's size and time. A build whose
inputs, window and outputs all still match has nothing to do: it re-reports
the recorded warnings and counts and returns. It imports nothing heavy, so
it costs a directory walk and some `stat` calls.
"""

from __future__ import annotations

import os
import pickle
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from publisher.errors import ContentError
from publisher.incremental.fingerprint import code_digest, digest
from publisher.options import BuildOptions, BuildResult
from publisher.paths import template_dirs

RECORD = ".cache/fast.pickle"


@dataclass
class Record:
    """What a successful build leaves for the next one to compare with."""

    inputs: str
    due_from: float | None  # the newest post included by its date: "now" must not go before it
    due_until: float | None  # the next scheduled post: "now" must stay before it
    outputs: dict[str, tuple[str, int, int]] = field(default_factory=dict)
    warnings: list[ContentError] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)


def inputs_digest(root: Path, out: Path, options: tuple[object, ...]) -> str:
    """Names, sizes and modification times of everything a build reads."""
    stamps: list[object] = [code_digest(), str(root.resolve()), str(out.resolve()), list(options)]
    for folder in [root / "posts", *template_dirs(root)]:
        stamps.append(str(folder))
        for directory, subdirectories, files in os.walk(folder):
            subdirectories.sort()
            for name in sorted(files):
                stat = os.stat(os.path.join(directory, name))
                stamps.append((directory, name, stat.st_size, stat.st_mtime_ns))
    config = root / "publication.toml"
    stamps.append(config.read_bytes() if config.exists() else b"")
    redirects = root / "redirects.txt"
    stamps.append(redirects.read_bytes() if redirects.is_file() else b"")
    return digest(stamps)


def load(out: Path) -> Record | None:
    try:
        with (out / RECORD).open("rb") as handle:
            record = pickle.load(handle)
    except Exception:  # no record, or an unreadable one: build as usual
        return None
    return record if isinstance(record, Record) else None


def still_valid(record: Record | None, inputs: str, now: datetime, out: Path) -> bool:
    """True when the last build's output is what this build would write."""
    if record is None or record.inputs != inputs:
        return False
    moment = now.timestamp()
    if record.due_from is not None and moment < record.due_from:
        return False
    if record.due_until is not None and moment >= record.due_until:
        return False
    for name, (_, size, mtime) in record.outputs.items():
        try:
            stat = os.stat(os.path.join(out, name))
        except OSError:
            return False
        if (stat.st_size, stat.st_mtime_ns) != (size, mtime):
            return False
    return True


def save(out: Path, record: Record) -> None:
    path = out / RECORD
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}")
    with temporary.open("wb") as handle:
        pickle.dump(record, handle, protocol=pickle.HIGHEST_PROTOCOL)
    os.replace(temporary, path)


def options_key(options: BuildOptions) -> tuple[object, ...]:
    """The options that change what a build writes."""
    return (options.drafts, options.future, options.base_url, options.strict)


def try_skip(options: BuildOptions, now: datetime) -> BuildResult | None:
    """The result of the last build, if this one would change nothing; else None."""
    if not options.write or options.clean:
        return None
    started = time.perf_counter()
    record = load(options.out)
    inputs = inputs_digest(options.root, options.out, options_key(options))
    if not still_valid(record, inputs, now, options.out):
        return None
    assert record is not None
    return BuildResult(
        posts=record.counts["posts"],
        pages=record.counts["pages"],
        files=len(record.outputs),
        seconds=time.perf_counter() - started,
        out=options.out,
        feeds=record.counts["feeds"],
        emails=record.counts["emails"],
        warnings=list(record.warnings),
        rebuilt=0,
    )
