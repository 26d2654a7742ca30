"""Write stage: put a finished build in place, all at once, in a folder the build owns.

The output folder holds numbered *generations*; `site` and `email` are
symbolic links into whichever one is current:

    OUT/.publisher-output     marker: this folder was made by publisher
    OUT/.lock                 held (flock) by the build writing here
    OUT/.current -> .generations/000007
    OUT/.generations/000007/site/  …/email/
    OUT/site -> .current/site
    OUT/email -> .current/email

A build assembles a new generation beside the current one (a file whose bytes
are unchanged is hard-linked from it, so it keeps its modification time) and
commits it by replacing the `.current` link with one rename: at any instant
`site/` and `email/` are both from the previous build or both from the new
one. Older generations are removed only after that rename; a build
interrupted at any point leaves at worst an unfinished generation, which the
next build removes before it does anything else (`recover`).

Staging starts lazily: while every file is kept as it is, nothing is linked;
a build that changes nothing and drops nothing touches no file at all.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from publisher.incremental.outdir import (
    CURRENT,
    CURRENT_NEXT,
    GENERATIONS,
    claim,
    current_generation,
    locked,
    recover,
    remove_tree,
)


class UnsafePath(ValueError):
    """An output path that would land outside the output folder."""


def safe_relative(path: str) -> PurePosixPath:
    """Refuse absolute paths and `..`: output paths come partly from content."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise UnsafePath(f"refusing to write {path!r} outside the output folder")
    return pure


@dataclass(frozen=True)
class Staged:
    """What staging one file did: written anew, or the current file's bytes (to be kept)."""

    name: str
    written: bool
    size: int
    mtime_ns: int


class Staging:
    """A new output generation assembled beside the current one, then switched to.

    The caller has claimed and locked `out` (see `outdir`).
    """

    def __init__(self, out: Path, trees: Iterable[str], current: Iterable[str] = ()) -> None:
        """`current`: the files the trees hold now, as far as the caller knows."""
        self.out = out
        self.trees = [str(safe_relative(tree)) for tree in trees]
        self.written: list[str] = []  # names whose bytes changed
        self.kept: list[str] = []  # names staged as they are
        # the same names as sets, for a quick `in`: a build stages thousands of files
        self._written_names: set[str] = set()
        self._kept_names: set[str] = set()
        self.current = set(current)
        self.started = False
        self.committed = False
        self.folders: set[str] = set()  # staging folders made (by this process: workers write too)
        live = current_generation(out)
        self.live = out / GENERATIONS / live if live else None
        numbers = [int(n) for n in _generation_names(out)]
        self.root = out / GENERATIONS / f"{max(numbers, default=0) + 1:06d}"

    def put(self, name: str, data: bytes) -> None:
        """Stage `data` as `name` (`site/p/x/index.html`); unchanged bytes keep the old file."""
        self.record(self.write(name, data))

    def write(self, name: str, data: bytes) -> Staged:
        """Write `data` as `name` into the new generation, unless the current file holds
        these bytes. Safe in a forked worker: it only touches the file system (and the
        worker's own copy of `folders`); the parent passes the result to `record`.
        Workers write their own output, so file writes run on every core."""
        relative = self._relative(name)
        if self.live is not None:
            current = os.path.join(self.live, relative)
            try:
                stat = os.stat(current)
                if stat.st_size == len(data):
                    with open(current, "rb") as handle:
                        if handle.read() == data:
                            return Staged(name, False, stat.st_size, stat.st_mtime_ns)
            except OSError:
                pass
        with open(self._target(relative), "wb") as handle:
            handle.write(data)
            handle.flush()
            stat = os.fstat(handle.fileno())
        return Staged(name, True, stat.st_size, stat.st_mtime_ns)

    def record(self, staged: Staged) -> None:
        """Note what `write` did, in whichever process it ran: a file written, or one to keep."""
        if not staged.written:
            self.keep(staged.name)
            return
        self._start()
        if staged.name not in self._written_names:
            self._written_names.add(staged.name)
            self.written.append(staged.name)

    def keep(self, name: str) -> None:
        """Stage the current output file `name` as it is."""
        if name in self._kept_names:
            return
        self._kept_names.add(name)
        self.kept.append(name)
        if self.started:
            self._link(name)

    def _start(self) -> None:
        """Create the new generation and link in everything kept so far."""
        if self.started:
            return
        self.root.mkdir(parents=True, exist_ok=True)  # a worker's `write` may have made it
        self.started = True
        for tree in self.trees:
            (self.root / tree).mkdir(exist_ok=True)
        for name in self.kept:
            self._link(name)

    def commit(self) -> bool:
        """Switch to the new generation (if anything changed); True if it did."""
        if not self.started and set(self.kept) == self.current and self.current and self.live:
            return False  # every file kept, none dropped: the output is already right
        self._start()
        for tree in self.trees:
            link = self.out / tree
            if not link.is_symlink():
                os.symlink(f"{CURRENT}/{tree}", link)
        pointer = self.out / CURRENT_NEXT
        if pointer.is_symlink() or pointer.exists():
            pointer.unlink()
        os.symlink(f"{GENERATIONS}/{self.root.name}", pointer)
        os.replace(pointer, self.out / CURRENT)  # the commit: one rename
        self.committed = True
        self.live = self.root
        with contextlib.suppress(OSError):  # the new output is in place; the next build tidies up
            recover(self.out)  # older generations go only now
        return True

    def abort(self) -> None:
        """Drop the unfinished generation; the current one stays as it was."""
        if not self.committed and os.path.lexists(self.root):  # started, or written to by a worker
            remove_tree(self.root)

    def _relative(self, name: str) -> str:
        relative = safe_relative(name)
        if relative.parts[0] not in self.trees:
            raise UnsafePath(f"{name!r} is not in one of the trees {self.trees}")
        return str(relative)

    def _target(self, relative: str) -> str:
        """Where `relative` goes in the new generation, its folder made (once per process)."""
        target = os.path.join(self.root, relative)
        folder = os.path.dirname(target)
        if folder not in self.folders:
            os.makedirs(folder, exist_ok=True)
            self.folders.add(folder)
        return target

    def _link(self, name: str) -> None:
        assert self.live is not None
        relative = self._relative(name)
        source = os.path.join(self.live, relative)
        target = self._target(relative)
        try:
            os.link(source, target)
        except FileExistsError:
            pass
        except OSError:  # no hard links here: a copy keeps the time too
            shutil.copy2(source, target)


def _generation_names(out: Path) -> list[str]:
    folder = out / GENERATIONS
    if not folder.is_dir():
        return []
    return [name for name in os.listdir(folder) if name.isdigit()]


def write_output(out: Path, trees: dict[str, dict[str, bytes]], root: Path | None = None) -> int:
    """Atomically replace `out/<name>/` for each named tree; return files staged."""
    claim(out, root)
    with locked(out):
        staging = Staging(out, trees)
        try:
            for tree, files in trees.items():
                for relative, data in sorted(files.items()):
                    staging.put(f"{tree}/{relative}", data)
        except BaseException:
            staging.abort()
            raise
        staging.commit()
    return len(staging.written) + len(staging.kept)
