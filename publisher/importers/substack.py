"""Substack's export: `posts.csv` plus one `posts/<post_id>.html` body per post.

The export comes as a `.zip` or the folder it unpacks to; the zip is read in place, member by
member, and never extracted. Columns are found by their header name, since newer exports add
columns. Only newsletters are imported unless `include` names other types (podcast, thread, page).
"""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, datetime
from html import escape
from pathlib import Path, PurePosixPath

from publisher.importers.model import Export, ExportedPost, ExportUnreadable, Skipped

REQUIRED = ("post_id", "post_date", "is_published", "type", "audience", "title")
TYPES = ("newsletter", "podcast", "thread", "page")


class _Files:
    """The export's files, from a zip or a folder, by their path inside the export."""

    def __init__(self, path: Path) -> None:
        self.zip: zipfile.ZipFile | None = None
        self.folder: Path | None = None
        if path.is_dir():
            self.folder = path
            names = [p.relative_to(path).as_posix() for p in path.rglob("*") if p.is_file()]
        else:
            try:
                self.zip = zipfile.ZipFile(path)
            except (zipfile.BadZipFile, OSError) as exc:
                raise ExportUnreadable(f"not a Substack export (.zip or its folder): {exc}") from None
            names = [info.filename for info in self.zip.infolist() if not info.is_dir()]
        found = sorted((n for n in names if PurePosixPath(n).name == "posts.csv"), key=lambda n: n.count("/"))
        if not found:
            raise ExportUnreadable("no posts.csv in the export: is this a Substack export?")
        self.base = str(PurePosixPath(found[0]).parent).removeprefix(".")
        self.names = set(names)

    def read(self, name: str) -> bytes | None:
        inside = f"{self.base}/{name}" if self.base else name
        if inside not in self.names:
            return None
        if self.zip is not None:
            return self.zip.read(inside)
        assert self.folder is not None
        target = (self.folder / inside).resolve()
        if not target.is_relative_to(self.folder.resolve()):
            return None  # a symlink out of the export: not part of it
        return target.read_bytes()


def read_substack(path: Path, include: set[str], site_url: str | None = None) -> Export:
    """Read posts.csv and the bodies it names; `site_url` is the publication's Substack address."""
    files = _Files(path)
    raw = files.read("posts.csv") or b""
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ExportUnreadable("posts.csv is not UTF-8 text") from None
    reader = csv.DictReader(io.StringIO(text, newline=""))
    missing = [column for column in REQUIRED if column not in (reader.fieldnames or [])]
    if missing:
        raise ExportUnreadable(f"posts.csv has no column {', '.join(missing)}: is this a Substack export?")
    export = Export(site_url=(site_url or "").rstrip("/"))
    for line, row in enumerate(reader, start=2):
        key = (row.get("post_id") or "").strip()
        if not key:
            export.warnings.append(f"posts.csv:{line}: post_id: empty; row skipped")
            continue
        kind = (row.get("type") or "newsletter").strip() or "newsletter"
        if kind != "newsletter" and kind not in include:
            export.skipped.append(Skipped("substack", key, f"a {kind} (use --include {kind} to import it)"))
            continue
        body = files.read(f"posts/{key}.html")
        if body is None:
            export.warnings.append(
                f"substack {key}: no posts/{key}.html in the export; imported with no body"
            )
        html = (body or b"").decode("utf-8", errors="replace")
        audio = (row.get("podcast_url") or "").strip()
        if audio.startswith("https://"):  # the episode itself: a link, as the body only has notes
            html = f'<p><a href="{escape(audio)}">Listen to the episode</a></p>\n{html}'
        published = (row.get("is_published") or "").strip().lower() == "true"
        audience = (row.get("audience") or "everyone").strip() or "everyone"
        slug = key.split(".", 1)[1] if "." in key else key
        post = ExportedPost(
            platform="substack",
            key=key,
            title=(row.get("title") or "").strip(),
            html=html,
            slug=slug,
            date=_date(row.get("post_date"), export, f"posts.csv:{line}: post_date"),
            draft=not published,
            restricted=f"Substack audience {audience}" if audience != "everyone" else "",
            subtitle=(row.get("subtitle") or "").strip(),
            kind=kind,
            old_paths=[f"/p/{slug}/"],
        )
        export.posts.append(post)
    return export


def _date(value: str | None, export: Export, where: str) -> datetime | None:
    value = (value or "").strip()
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        export.warnings.append(f"{where}: {value!r} is not a date")
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # Substack writes UTC
