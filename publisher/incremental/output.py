"""Write stage: put a finished build in place, all at once.

Files go to `<out>/.next/<tree>/` as they are rendered; a file whose bytes
are unchanged is hard-linked from the current output instead of written, so
it keeps its modification time. `commit` then swaps each tree in with a
rename. A build that fails before `commit` leaves the previous output as it
was. Every path is checked to stay inside the output folder.

Staging starts lazily: while every file is kept as it is, nothing is linked;
a build that changes nothing and drops nothing touches no file at all.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

STAGING = ".next"
RETIRED = ".previous"


class UnsafePath(ValueError):
    """An output path that would land outside the output folder."""


def safe_relative(path: str) -> PurePosixPath:
    """Refuse absolute paths and `..`: output paths come partly from content."""
    pure = PurePosixPath(path)
    if pure.is_absolute() or ".." in pure.parts or not pure.parts or "\\" in path:
        raise UnsafePath(f"refusing to write {path!r} outside the output folder")
    return pure


class Staging:
    """A new output assembled beside the current one, then swapped in."""

    def __init__(self, out: Path, trees: Iterable[str], current: Iterable[str] = ()) -> None:
        """`current`: the files the trees hold now, as far as the caller knows."""
        self.out = out
        self.trees = [str(safe_relative(tree)) for tree in trees]
        self.root = out / STAGING
        self.written: list[str] = []  # names whose bytes changed
        self.kept: list[str] = []  # names staged as they are
        self.current = set(current)
        self.started = False
        self.folders: set[Path] = set()  # staging folders already made
        out.mkdir(parents=True, exist_ok=True)
        for leftover in (self.root, out / RETIRED):
            if leftover.exists():
                shutil.rmtree(leftover)

    def put(self, name: str, data: bytes) -> None:
        """Stage `data` as `name` (`site/p/x/index.html`); unchanged bytes keep the old file."""
        current = self.out / safe_relative(name)
        try:
            same = current.stat().st_size == len(data) and current.read_bytes() == data
        except OSError:
            same = False
        if same:
            self.keep(name)
            return
        self._start()
        self._target(name).write_bytes(data)
        self.written.append(name)

    def keep(self, name: str) -> None:
        """Stage the current output file `name` as it is."""
        self.kept.append(name)
        if self.started:
            self._link(self.out / safe_relative(name), self._target(name))

    def stat(self, name: str) -> tuple[int, int]:
        """Size and modification time of a staged file, as it will be after `commit`."""
        folder = self.root if name in self.written else self.out
        stat = (folder / safe_relative(name)).stat()
        return stat.st_size, stat.st_mtime_ns

    def _start(self) -> None:
        """Create the staging trees and link in everything kept so far."""
        if self.started:
            return
        self.started = True
        for tree in self.trees:
            (self.root / tree).mkdir(parents=True)
        for name in self.kept:
            self._link(self.out / safe_relative(name), self._target(name))

    def commit(self) -> None:
        """Swap every staged tree in for the current one (if anything changed)."""
        if not self.started and set(self.kept) == self.current and self.current:
            return  # every file kept, none dropped: the output is already right
        self._start()
        retired = self.out / RETIRED
        retired.mkdir()
        for tree in self.trees:
            current = self.out / tree
            if current.exists():
                os.replace(current, retired / tree)
            os.replace(self.root / tree, current)
        shutil.rmtree(retired)
        shutil.rmtree(self.root)

    def abort(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    def _target(self, name: str) -> Path:
        relative = safe_relative(name)
        if relative.parts[0] not in self.trees:
            raise UnsafePath(f"{name!r} is not in one of the trees {self.trees}")
        target = self.root / relative
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        return target

    @staticmethod
    def _link(source: Path, target: Path) -> None:
        try:
            os.link(source, target)
        except OSError:  # no hard links here: a copy keeps the time too
            shutil.copy2(source, target)


def write_output(out: Path, trees: dict[str, dict[str, bytes]]) -> int:
    """Atomically replace `out/<name>/` for each named tree; return files staged."""
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
