"""Where the subscriber data lives, and whether git would publish it."""

from __future__ import annotations

import subprocess
from pathlib import Path

from publisher.content.config import Publication


def data_dir(root: Path, publication: Publication) -> Path:
    """`[delivery] data_dir` under the publication root (default `.publisher/`)."""
    return root / publication.delivery.data_dir


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
