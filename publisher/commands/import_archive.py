"""`publisher import substack|ghost|wordpress EXPORT`: bring an archive from another platform.

Reads the export, plans every post (section, slug, file, redirects), then writes the plan, or
with `--dry-run` only prints it. The report is one line per post and per skipped item, the
notes of each conversion, and a summary line.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from publisher.content.redirects import REDIRECTS_NAME
from publisher.importers.ghost import read_ghost
from publisher.importers.model import Export
from publisher.importers.plan import Plan, Settings, plan_import
from publisher.importers.substack import read_substack
from publisher.importers.wordpress import read_wordpress
from publisher.importers.write import write_plan

PLATFORMS = ("substack", "ghost", "wordpress")


@dataclass
class Report:
    """What the import did (or, with `--dry-run`, would do), as lines to print."""

    lines: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_export(platform: str, path: Path, include: set[str], site_url: str | None) -> Export:
    readers: dict[str, Callable[[], Export]] = {
        "substack": lambda: read_substack(path, include, site_url),
        "ghost": lambda: read_ghost(path, include, site_url),
        "wordpress": lambda: read_wordpress(path, include, site_url),
    }
    return readers[platform]()


def run_import(export: Export, settings: Settings, dry_run: bool) -> Report:
    """Plan, write unless `dry_run`, and report."""
    plan = plan_import(export, settings)
    report = Report()
    if not dry_run:
        report.problems = write_plan(plan, settings.root)
    report.lines = describe(plan, dry_run, report.problems)
    return report


def describe(plan: Plan, dry_run: bool, problems: list[str]) -> list[str]:
    verb = "Would import" if dry_run else "Imported"
    lines = []
    drafts = notes = 0
    for post in plan.posts:
        draft = post.post.draft or bool(post.post.restricted)
        drafts += draft
        again = " again (--force)" if post.overwrite else ""
        what = " as a draft" if draft else ""
        lines.append(f"{verb} {post.path}{what}{again} ({post.post.platform} {post.post.key})")
        for image in post.images:
            lines.append(f"  copy {image.source.name} to {image.target}")
        lines += [f"  note: {note}" for note in post.notes]
        notes += len(post.notes)
    lines += [f"Skipped {what}: {why}" for what, why in plan.skipped]
    lines += [f"warning: {warning}" for warning in plan.warnings]
    lines += [f"error: {problem}" for problem in problems]
    count = len(plan.posts) - len(problems)
    summary = (
        f"{count} post{'s' if count != 1 else ''} ({drafts} draft{'s' if drafts != 1 else ''}), "
        f"{len(plan.skipped)} skipped, {notes} note{'s' if notes != 1 else ''}, "
        f"{plan.new_redirects} redirect{'s' if plan.new_redirects != 1 else ''} for {REDIRECTS_NAME}"
    )
    lines.append(
        f"Dry run: would import {summary}; nothing was written." if dry_run else f"Imported {summary}."
    )
    return lines
