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
        self.folders: set[Path] = set()  # staging folders already made
        live = current_generation(out)
        self.live = out / GENERATIONS / live if live else None
        numbers = [int(n) for n in _generation_names(out)]
        self.root = out / GENERATIONS / f"{max(numbers, default=0) + 1:06d}"

    def _current_file(self, name: str) -> Path | None:
        return self.live / safe_relative(name) if self.live is not None else None

    def put(self, name: str, data: bytes) -> None:
        """Stage `data` as `name` (`site/p/x/index.html`); unchanged bytes keep the old file."""
        current = self._current_file(name)
        try:
            same = (
                current is not None and current.stat().st_size == len(data) and current.read_bytes() == data
            )
        except OSError:
            same = False
        if same:
            self.keep(name)
            return
        self._start()
        self._target(name).write_bytes(data)
        if name not in self._written_names:
            self._written_names.add(name)
            self.written.append(name)

    def keep(self, name: str) -> None:
        """Stage the current output file `name` as it is."""
        if name in self._kept_names:
            return
        self._kept_names.add(name)
        self.kept.append(name)
        if self.started:
            self._link(name)

    def stat(self, name: str) -> tuple[int, int]:
        """Size and modification time of a staged file, as it will be after `commit`."""
        folder = self.root if self.started else self.live
        assert folder is not None
        stat = (folder / safe_relative(name)).stat()
        return stat.st_size, stat.st_mtime_ns

    def _start(self) -> None:
        """Create the new generation and link in everything kept so far."""
        if self.started:
            return
        self.root.mkdir(parents=True)
        self.started = True
        for tree in self.trees:
            (self.root / tree).mkdir()
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
        if self.started and not self.committed:
            remove_tree(self.root)

    def _target(self, name: str) -> Path:
        relative = safe_relative(name)
        if relative.parts[0] not in self.trees:
            raise UnsafePath(f"{name!r} is not in one of the trees {self.trees}")
        target = self.root / relative
        if target.parent not in self.folders:
            target.parent.mkdir(parents=True, exist_ok=True)
            self.folders.add(target.parent)
        return target

    def _link(self, name: str) -> None:
        source = self._current_file(name)
        assert source is not None
        target = self._target(name)
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
