"""`subscribers import` and `subscribers export`: moving a whole list in and out as CSV.

An import is one transaction: every row is checked first, and if any is bad nothing is written
(unless the caller chose to skip bad rows). Addresses are merged without case, with the list
already there and within the file; a merge never puts someone back on the list who left it:
of two statuses the one that stops mail wins (complained, then bounced, then unsubscribed).
"""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from publisher.errors import ContentError
from publisher.subscribers.addresses import InvalidAddress, address_key, normalise
from publisher.subscribers.formats import (
    FORMATS,
    OWN_COLUMNS,
    BadValue,
    Format,
    Row,
    format_sections,
    recognise,
)
from publisher.subscribers.store import STATUSES, Subscriber, SubscriberStore

# When two records of one address disagree, the status earlier here wins.
PRECEDENCE = ("complained", "bounced", "unsubscribed", "active", "pending")
EXPORT_COLUMNS = (*OWN_COLUMNS, "updated_at", "source")


class ImportFailed(Exception):
    """The file cannot be imported; `errors` says where and why. Nothing was written."""

    def __init__(self, errors: list[ContentError]) -> None:
        super().__init__(f"{len(errors)} error(s)")
        self.errors = errors


@dataclass
class ImportResult:
    """What an import did, for its summary line."""

    format: Format
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: list[str] = field(default_factory=list)  # why rows were left out on purpose
    invalid: list[ContentError] = field(default_factory=list)  # bad rows skipped on request
    statuses: dict[str, int] = field(default_factory=lambda: dict.fromkeys(STATUSES, 0))


def read_rows(path: Path, shown: str) -> tuple[Format, Iterator[tuple[int, Row | ContentError]]]:
    """Recognise the file's format; then each data row with its line, or the error on it."""
    try:
        text = path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFailed([ContentError(shown, 1, "(file)", "is not UTF-8 text")]) from None
    except OSError as exc:
        raise ImportFailed([ContentError(shown, 1, "(file)", f"cannot be read: {exc.strerror}")]) from None
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise ImportFailed([ContentError(shown, 1, "(file)", "is empty")]) from None
    except csv.Error as exc:
        raise ImportFailed([ContentError(shown, 1, "(file)", f"is not CSV: {exc}")]) from None
    found = recognise(header)
    if found is None:
        known = ", ".join(f.name.removeprefix("a ") for f in FORMATS[:-1])
        raise ImportFailed(
            [ContentError(shown, 1, "(header)", f"has no email column; recognised exports: {known}")]
        )
    columns = [h.strip().lower() for h in header]
    return found, _rows(reader, columns, found, shown)


def _rows(
    reader: csv.Reader, columns: list[str], found: Format, shown: str
) -> Iterator[tuple[int, Row | ContentError]]:
    line = reader.line_num + 1
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield line, ContentError(shown, line, "(row)", f"is not valid CSV: {exc}")
            return
        if any(cell.strip() for cell in cells):
            record = {name: cell.strip() for name, cell in zip(columns, cells, strict=False)}
            try:
                yield line, found.read(record)
            except BadValue as exc:
                yield line, ContentError(shown, line, exc.column, str(exc))
        line = reader.line_num + 1


def import_csv(store: SubscriberStore, path: Path, shown: str, skip_invalid: bool = False) -> ImportResult:
    """Read `path` and merge it into the list in one transaction; raise `ImportFailed` for bad rows."""
    found, rows = read_rows(path, shown)
    result = ImportResult(found)
    merged: dict[str, tuple[int, Row]] = {}
    errors: list[ContentError] = []
    for line, row in rows:
        if isinstance(row, ContentError):
            errors.append(row)
            continue
        if row.skip:
            result.skipped.append(row.skip)
            continue
        try:
            address = normalise(row.email)
        except InvalidAddress as exc:
            shown_address = row.email or "(empty)"
            errors.append(ContentError(shown, line, "email", f"{shown_address}: {exc}"))
            continue
        row = replace(row, email=address)
        key = address_key(address)
        earlier = merged.get(key)
        merged[key] = (line, _merge(earlier[1], row) if earlier else row)
    if errors and not skip_invalid:
        raise ImportFailed(errors)
    result.invalid = errors
    with store.transaction():
        for _, row in merged.values():
            _store(store, row, found.key, result)
    return result


def _merge(old: Row, new: Row) -> Row:
    """Two records of one address: the stopping status, the earliest dates, any name."""
    status = min(old.status, new.status, key=PRECEDENCE.index)
    return Row(
        email=old.email,
        name=old.name or new.name,
        status=status,
        sections=old.sections if old.sections is not None else new.sections,
        created_at=_earliest(old.created_at, new.created_at),
        confirmed_at=_earliest(old.confirmed_at, new.confirmed_at),
        unsubscribed_at=max(filter(None, (old.unsubscribed_at, new.unsubscribed_at)), default=None),
    )


def _earliest(a: str | None, b: str | None) -> str | None:
    return min(filter(None, (a, b)), default=None)


def _store(store: SubscriberStore, row: Row, source: str, result: ImportResult) -> None:
    existing = store.find(row.email)
    if existing is None:
        added = store.add(
            row.email,
            name=row.name,
            status=row.status,
            sections=row.sections,
            source=source,
            created_at=row.created_at,
            # the old service confirmed them: keep its date, else when they joined it
            confirmed_at=row.confirmed_at or (row.created_at if row.status == "active" else None),
            unsubscribed_at=row.unsubscribed_at,
        )
        result.added += 1
        result.statuses[added.status] += 1
        return
    status = min(existing.status, row.status, key=PRECEDENCE.index)
    changed = False
    if status != existing.status:
        at = row.unsubscribed_at if status == "unsubscribed" else None
        existing = store.set_status(existing.id, status, at=at)
        changed = True
    if existing.name is None and row.name:
        existing = store.set_name(existing.id, row.name)
        changed = True
    result.statuses[existing.status] += 1
    if changed:
        result.updated += 1
    else:
        result.unchanged += 1


def export_csv(store: SubscriberStore, path: Path) -> int:
    """Write every subscriber, every column, readable only by the owner; return how many.

    Written to a temporary file and renamed, so an interrupted export never leaves half a list.
    """
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    count = 0
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        with open(descriptor, "w", encoding="utf-8", newline="") as file:
            writer = csv.writer(file)
            writer.writerow(EXPORT_COLUMNS)
            for subscriber in store.all():
                writer.writerow(_export_row(subscriber))
                count += 1
        os.replace(temporary, path)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
    return count


def _export_row(subscriber: Subscriber) -> list[str]:
    return [
        subscriber.email,
        subscriber.name or "",
        subscriber.status,
        format_sections(subscriber.sections),
        subscriber.created_at,
        subscriber.confirmed_at or "",
        subscriber.unsubscribed_at or "",
        subscriber.updated_at,
        subscriber.source or "",
    ]
