"""The no-change fast path: skip the whole build when no input changed.

After each successful build the cache records a digest of every input's
relative name, size, modification and change time and inode (posts and their
images, templates, `publication.toml`, the code, the options), the window of "now" in which
the same posts are due, and every output file's size and time. A build whose
inputs, window and outputs all still match has nothing to do: it re-reports
the recorded warnings and counts and returns. It imports nothing heavy, so
it costs a directory walk and some `stat` calls. The record is sealed JSON
(see `sealed`), and `build_or_skip` reads it only while holding the output
folder's lock.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from publisher.clock import build_now
from publisher.errors import ContentError
from publisher.incremental.fingerprint import code_digest, digest
from publisher.incremental.outdir import claim, locked
from publisher.incremental.sealed import Unsealed, read_sealed, write_sealed
from publisher.options import BuildOptions, BuildResult
from publisher.paths import default_templates, template_dirs

RECORD = ".cache/fast.json"


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
    """Relative names and stamps of everything a build reads; where the publication is does not count."""
    stamps: list[object] = [code_digest(), list(options)]
    defaults = default_templates().resolve()
    for folder in [root / "posts", *template_dirs(root)]:
        stamps.append("<defaults>" if folder.resolve() == defaults else os.path.relpath(folder, root))
        for directory, subdirectories, files in os.walk(folder):
            subdirectories.sort()
            where = os.path.relpath(directory, folder)
            for name in sorted(files):
                stat = os.stat(os.path.join(directory, name))
                stamps.append((where, name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino))
    config = root / "publication.toml"
    stamps.append(config.read_bytes() if config.exists() else b"")
    redirects = root / "redirects.txt"
    stamps.append(redirects.read_bytes() if redirects.is_file() else b"")
    return digest(stamps)


def load(out: Path) -> Record | None:
    """The record of the last build, or None when it is absent or fails any check."""
    try:
        data = read_sealed(out / RECORD)
        assert isinstance(data, dict)
        record = Record(
            inputs=str(data["inputs"]),
            due_from=None if data["due_from"] is None else float(data["due_from"]),
            due_until=None if data["due_until"] is None else float(data["due_until"]),
            outputs={str(k): (str(v[0]), int(v[1]), int(v[2])) for k, v in data["outputs"].items()},
            warnings=[ContentError(str(p), int(n), str(f), str(m)) for p, n, f, m in data["warnings"]],
            counts={str(k): int(v) for k, v in data["counts"].items()},
        )
    except (OSError, Unsealed, AssertionError, KeyError, TypeError, ValueError, AttributeError):
        return None  # no record, or one we cannot trust: build as usual
    return record


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
    write_sealed(
        path,
        {
            "inputs": record.inputs,
            "due_from": record.due_from,
            "due_until": record.due_until,
            "outputs": {name: list(known) for name, known in record.outputs.items()},
            "warnings": [[w.path, w.line, w.field, w.message] for w in record.warnings],
            "counts": record.counts,
        },
    )


def forget(out: Path) -> None:
    """Drop the record before the output it describes is replaced."""
    with contextlib.suppress(FileNotFoundError):
        (out / RECORD).unlink()


def build_or_skip(
    options: BuildOptions,
    full: Callable[[BuildOptions], BuildResult],
    on_wait: Callable[[], None] | None = None,
) -> BuildResult:
    """Claim and lock the output folder, then skip the build if nothing changed, or run `full`.

    `check` (no writing) neither claims nor locks anything.
    """
    if not options.write:
        return full(options)
    claim(options.out, options.root)
    with locked(options.out, on_wait):
        return try_skip(options, options.now or build_now()) or full(options)


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
