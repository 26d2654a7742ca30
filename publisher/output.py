"""Write stage: put a finished build in place, all at once.

Files go to `<out>/.next/<tree>/` as they are rendered; a file whose bytes
are unchanged is hard-linked from the current output instead of written, so
it keeps its modification time. `commit` then swaps each tree in with a
rename. A build that fails before `commit` leaves the previous output as it
was. Every path is checked to stay inside the output folder.
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

    def __init__(self, out: Path, trees: Iterable[str]) -> None:
        self.out = out
        self.trees = [str(safe_relative(tree)) for tree in trees]
        self.root = out / STAGING
        self.written: list[str] = []  # names whose bytes changed
        self.kept = 0
        out.mkdir(parents=True, exist_ok=True)
        for leftover in (self.root, out / RETIRED):
            if leftover.exists():
                shutil.rmtree(leftover)
        for tree in self.trees:
            (self.root / tree).mkdir(parents=True)

    def put(self, name: str, data: bytes) -> None:
        """Stage `data` as `name` (`site/p/x/index.html`); unchanged bytes keep the old file."""
        target, current = self._paths(name)
        try:
            same = current.stat().st_size == len(data) and current.read_bytes() == data
        except OSError:
            same = False
        if same:
            self._link(current, target)
            self.kept += 1
        else:
            target.write_bytes(data)
            self.written.append(name)

    def keep(self, name: str) -> None:
        """Stage the current output file `name` as it is."""
        target, current = self._paths(name)
        self._link(current, target)
        self.kept += 1

    def stat(self, name: str) -> tuple[int, int]:
        """Size and modification time of a staged file, as it will be after `commit`."""
        stat = (self.root / safe_relative(name)).stat()
        return stat.st_size, stat.st_mtime_ns

    def commit(self) -> None:
        """Swap every staged tree in for the current one."""
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

    def _paths(self, name: str) -> tuple[Path, Path]:
        relative = safe_relative(name)
        if relative.parts[0] not in self.trees:
            raise UnsafePath(f"{name!r} is not in one of the trees {self.trees}")
        target = self.root / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        return target, self.out / relative

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
    return len(staging.written) + staging.kept
