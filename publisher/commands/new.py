"""`publisher new`: start a post with its front matter filled in.

The skeleton follows the section: a playbook gets a `responds_to:` line and
a task list, an analysis a structure of headings, an insight a short body.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import yaml
from slugify import slugify

from publisher.content.config import Publication, Section
from publisher.content.posts import POSTS_DIR

SKELETONS = {
    "analyses": """\
Start with what happened and why it matters, in two or three sentences.

## The short version

- **First point:** what a reader should take away.
- **Second point:** the mechanism behind it.

## How it works

Explain the system behind the event.

## What would change it

Close with what would have to change, and who can change it.
""",
    "playbooks": """\
One paragraph: who this is for and what they will have done at the end.

## Before you start

- [ ] Read the analysis this playbook responds to
- [ ] Gather what you need

## Steps

1. **First step.** What to do and why.
2. **Second step.** What to do and why.
""",
    "insights": """\
What is happening, in one paragraph.

What it means for readers, in one more.
""",
}
GENERIC_SKELETON = "Write here.\n"


class UnknownSection(ValueError):
    """The section named on the command line is not in publication.toml."""


class AlreadyExists(FileExistsError):
    """`new` never overwrites a post."""


def find_section(publication: Publication, name: str) -> Section:
    """Match a folder, name or singular, ignoring case: `playbook`, `Playbooks`."""
    wanted = name.strip().lower()
    for section in publication.sections:
        if wanted in (section.folder, section.name.lower(), section.singular.lower()):
            return section
    names = ", ".join(s.folder for s in publication.sections)
    raise UnknownSection(f"unknown section {name!r} (sections: {names})")


def new_post(root: Path, publication: Publication, section_name: str, title: str, now: datetime) -> Path:
    """Create `posts/<folder>/<slug>.md` and return its path."""
    section = find_section(publication, section_name)
    slug = slugify(title) or "untitled"
    path = root / POSTS_DIR / section.folder / f"{slug}.md"
    if path.exists():
        raise AlreadyExists(f"{path.relative_to(root).as_posix()} already exists; not overwritten")
    local = now.astimezone(publication.zone).replace(tzinfo=None, second=0, microsecond=0)
    lines = [
        "---",
        "title: " + yaml_text(title),
        f"date: {local.isoformat(timespec='minutes')}",
        "subtitle: ",
        "tags: []",
        "draft: true",
    ]
    if section.folder == "playbooks":
        lines.append("responds_to:  # the slug of the analysis this playbook responds to")
    lines += ["---", "", SKELETONS.get(section.folder, GENERIC_SKELETON)]
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("x", encoding="utf-8") as handle:
        handle.write("\n".join(lines))
    return path


def yaml_text(value: str) -> str:
    """A YAML scalar that reads back as exactly `value`."""
    dumped = yaml.safe_dump(value, allow_unicode=True, default_flow_style=True, width=10_000)
    return dumped.removesuffix("\n...\n").strip()
