"""Carry out an import plan: post files, copied images and `redirects.txt`.

Each file is written to a temporary name and renamed into place, so an interrupted import never
leaves half a post. A new post is only ever created, never written over: if a file appeared at
its path since planning, it is left alone and reported. Only `--force` replaces an earlier
import's file, in place.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from publisher.content.redirects import HEADER, REDIRECTS_NAME, Redirect, format_redirects, read_redirects
from publisher.importers.plan import Plan


def _atomic_write(path: Path, data: bytes, replace: bool) -> bool:
    """Write `data` at `path`; False when `path` exists and `replace` is not set."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_bytes(data)
    try:
        if replace:
            os.replace(temporary, path)
            return True
        try:
            os.link(temporary, path)  # fails if the path exists: never overwrite
        except FileExistsError:
            return False
        return True
    finally:
        temporary.unlink(missing_ok=True)


def write_plan(plan: Plan, root: Path) -> list[str]:
    """Write what `plan` holds; return the problems (files that appeared meanwhile)."""
    problems: list[str] = []
    for post in plan.posts:
        for image in post.images:
            target = root / image.target
            if target.exists() and target.read_bytes() == image.source.read_bytes():
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            temporary = target.with_name(f".{target.name}.{os.getpid()}.tmp")
            shutil.copyfile(image.source, temporary)
            os.replace(temporary, target)
        if not _atomic_write(root / post.path, post.text.encode("utf-8"), replace=post.overwrite):
            problems.append(f"{post.path} appeared while importing; left as it is")
    if plan.new_redirects:
        _write_redirects(root, plan.redirects)
    return problems


def _write_redirects(root: Path, entries: list[Redirect]) -> None:
    """Append new redirects and change replaced ones in place, keeping the author's comments."""
    path = root / REDIRECTS_NAME
    if not path.exists():
        _atomic_write(path, format_redirects(entries, HEADER).encode("utf-8"), replace=True)
        return
    lines = path.read_text(encoding="utf-8-sig").split("\n")
    known = {r.line: r for r in read_redirects(root).entries}
    for entry in entries:
        if entry.line and entry.line in known and known[entry.line].target != entry.target:
            lines[entry.line - 1] = f"{entry.source} {entry.target}"
    if lines and lines[-1] == "":
        lines.pop()
    lines += [f"{entry.source} {entry.target}" for entry in entries if not entry.line]
    _atomic_write(path, ("\n".join(lines) + "\n").encode("utf-8"), replace=True)
