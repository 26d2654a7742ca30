"""Where the subscriber data lives, and whether git would publish it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from publisher.content.config import Publication


class PublishedDataDir(ValueError):
    """The data folder is where the build or git would publish it."""


def data_dir(root: Path, publication: Publication) -> Path:
    """`[delivery] data_dir`, relative to the publication root (default `.publisher/`) or absolute.

    Refused inside `posts/` or `templates/`, whose files the build copies into the site.
    """
    folder = root / publication.delivery.data_dir
    resolved = folder.resolve()
    for published in ("posts", "templates"):
        inside = (root / published).resolve()
        if resolved == inside or inside in resolved.parents:
            raise PublishedDataDir(f"must not be inside {published}/: it would be published")
    return folder


def tracked_by_git(root: Path, folder: Path) -> bool:
    """True when git tracks a file in `folder`: subscriber addresses would be in the repository."""
    try:
        result = subprocess.run(
            ["git", "-C", str(root), "ls-files", "--", str(folder.resolve())],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
    except (OSError, subprocess.SubprocessError):
        return False  # no git, or not a repository: nothing to warn about
    return result.returncode == 0 and bool(result.stdout.strip())
