"""`publisher subscribers …`: the subscriber list from the command line.

Library functions the click layer wraps: opening the list where the settings say, checking
section names against `publication.toml`, and the one-line summaries each command prints.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from publisher.content.config import CONFIG_NAME, Publication, load_publication, toml_key_lines
from publisher.errors import BuildFailed, ContentError
from publisher.subscribers.location import PublishedDataDir, data_dir, tracked_by_git
from publisher.subscribers.store import STATUSES, Subscriber, SubscriberStore
from publisher.subscribers.transfer import ImportResult


class UnknownSection(ValueError):
    """A `--section` that `publication.toml` does not name."""


@dataclass
class SubscriberList:
    """The publication's settings and its open subscriber database."""

    root: Path
    publication: Publication
    store: SubscriberStore
    warnings: list[str]

    def close(self) -> None:
        self.store.close()


def open_list(root: Path) -> SubscriberList:
    """Load the settings (raising `BuildFailed`) and open the database in the data folder."""
    publication = load_publication(root)
    try:
        folder = data_dir(root, publication)
    except PublishedDataDir as exc:
        lines = toml_key_lines((root / CONFIG_NAME).read_text(encoding="utf-8"))
        line = lines.get(("delivery", "data_dir"), 1)
        raise BuildFailed([ContentError(CONFIG_NAME, line, "delivery.data_dir", str(exc))]) from None
    store = SubscriberStore.open(folder)
    warnings = []
    if tracked_by_git(root, folder):
        shown = publication.delivery.data_dir.rstrip("/") + "/"
        warnings.append(
            f"{shown} is tracked by git: subscriber addresses would be published with the repository; "
            f"run `git rm -r --cached {shown}` and keep it in .gitignore"
        )
    return SubscriberList(root, publication, store, warnings)


def check_sections(publication: Publication, given: tuple[str, ...]) -> tuple[str, ...] | None:
    """The section folders for `--section` values (folder, name or singular); None when none given."""
    if not given:
        return None
    folders = []
    for value in given:
        section = next(
            (
                s
                for s in publication.sections
                if value.lower() in (s.folder, s.name.lower(), s.singular.lower())
            ),
            None,
        )
        if section is None:
            valid = ", ".join(s.folder for s in publication.sections)
            raise UnknownSection(f"{value!r} is not a section (one of {valid})")
        folders.append(section.folder)
    return tuple(dict.fromkeys(folders))


def describe_sections(subscriber: Subscriber) -> str:
    if subscriber.sections is None:
        return "all sections"
    return ", ".join(subscriber.sections) if subscriber.sections else "no sections"


def list_line(subscriber: Subscriber) -> str:
    """One subscriber as `list` prints it: tab-separated, so it can be piped into other tools."""
    sections = ",".join(subscriber.sections) if subscriber.sections is not None else "*"
    return "\t".join([subscriber.email, subscriber.status, sections or "-", subscriber.name or ""])


def count_lines(subscribers: SubscriberList) -> list[str]:
    """Subscribers per status, then the active ones per section (who would get a post of it)."""
    counts = subscribers.store.counts()
    width = max(len(f"{n:,}") for n in counts.values())
    lines = [f"{counts[status]:>{width},} {status}" for status in STATUSES]
    per_section = ", ".join(
        f"{section.folder} {subscribers.store.count('active', section.folder):,}"
        for section in subscribers.publication.sections
    )
    lines.append(f"Active by section: {per_section}")
    return lines


def import_summary(shown: str, result: ImportResult) -> list[str]:
    """What the import read and did, then how the imported addresses stand now."""
    total = result.added + result.updated + result.unchanged
    statuses = ", ".join(f"{n:,} {status}" for status, n in result.statuses.items() if n)
    lines = [
        f"Imported {shown} as {result.format.name}: {total:,} addresses, "
        f"{result.added:,} new, {result.updated:,} updated, {result.unchanged:,} unchanged"
        + (f" ({statuses})." if statuses else ".")
    ]
    for reason in sorted(set(result.skipped)):
        count = result.skipped.count(reason)
        lines.append(f"Skipped {count:,} row{'s' if count != 1 else ''}: {reason}.")
    if result.invalid:
        count = len(result.invalid)
        lines.append(f"Skipped {count:,} invalid row{'s' if count != 1 else ''} (listed above).")
    return lines
