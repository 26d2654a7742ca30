"""Write stage: put a finished build in place, all at once.

The new tree is written to `<out>/.next/`, then each top-level folder it
holds is swapped in with a rename. A build that fails before this stage has
written nothing, and one that fails while writing leaves the previous output
as it was. Every path is checked to stay inside the output folder.
"""

from __future__ import annotations

import os
import shutil
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


def write_output(out: Path, trees: dict[str, dict[str, bytes]]) -> int:
    """Atomically replace `out/<name>/` for each named tree; return files written."""
    out.mkdir(parents=True, exist_ok=True)
    staging = out / STAGING
    retired = out / RETIRED
    for leftover in (staging, retired):
        if leftover.exists():
            shutil.rmtree(leftover)
    count = 0
    try:
        for name, files in trees.items():
            tree = staging / safe_relative(name)
            for relative, data in sorted(files.items()):
                target = tree / safe_relative(relative)
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(data)
                count += 1
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    retired.mkdir()
    for name in trees:
        current = out / name
        if current.exists():
            os.replace(current, retired / name)
        os.replace(staging / name, current)
    shutil.rmtree(retired)
    shutil.rmtree(staging)
    return count
