"""Where the packaged templates are, and in which order template folders win."""

from __future__ import annotations

from pathlib import Path

PACKAGE_TEMPLATES = Path(__file__).parent / "templates"
SOURCE_TEMPLATES = Path(__file__).parent.parent / "templates"
STATIC_DIR = "static"


def default_templates() -> Path:
    """The packaged templates: inside the wheel, or the repo's `templates/`."""
    return PACKAGE_TEMPLATES if PACKAGE_TEMPLATES.is_dir() else SOURCE_TEMPLATES


def template_dirs(root: Path) -> list[Path]:
    """The publication's own `templates/` first, so its files win one by one."""
    dirs = [root / "templates", default_templates()]
    unique: list[Path] = []
    for folder in dirs:
        if folder.is_dir() and folder.resolve() not in [u.resolve() for u in unique]:
            unique.append(folder)
    return unique
