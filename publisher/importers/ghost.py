"""Ghost's JSON export (Settings → Labs → Export): posts with their tags and authors.

Ghost keeps relations in join tables (`posts_tags`, `posts_authors`), in their `sort_order`.
Ghost writes its own address as `__GHOST_URL__`; it is replaced by `--site-url`. Pages are
skipped unless `include` has `page`; internal tags (`#name`) are not tags of the post but can
still choose its section.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

from publisher.importers.model import Export, ExportedPost, ExportUnreadable, Skipped

GHOST_URL = "__GHOST_URL__"


def read_ghost(path: Path, include: set[str], site_url: str | None) -> Export:
    """Read `db[0].data` (or an older export's top-level `data`)."""
    try:
        document = json.loads(path.read_text(encoding="utf-8-sig"))
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise ExportUnreadable(f"not a Ghost JSON export: {exc}") from None
    data = _data(document)
    if data is None:
        raise ExportUnreadable("no db[0].data.posts in the file: is this a Ghost JSON export?")
    base = (site_url or "").rstrip("/")
    if not base and GHOST_URL in json.dumps(data.get("posts")):
        raise ExportUnreadable(
            "its links and images start with __GHOST_URL__: give the Ghost site's address with --site-url"
        )
    export = Export(site_url=base)

    def resolve(value: str | None) -> str:
        return (value or "").replace(GHOST_URL, base)

    tags = {str(t.get("id")): t for t in _rows(data, "tags")}
    users = {str(u.get("id")): u for u in _rows(data, "users")}
    meta = {str(m.get("post_id")): m for m in _rows(data, "posts_meta")}
    tags_of: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in _rows(data, "posts_tags"):
        tag = tags.get(str(row.get("tag_id")))
        if tag and tag.get("name"):
            tags_of[str(row.get("post_id"))].append((int(row.get("sort_order") or 0), str(tag["name"])))
    authors_of: dict[str, list[tuple[int, str]]] = defaultdict(list)
    for row in _rows(data, "posts_authors"):
        user = users.get(str(row.get("author_id")))
        if user and user.get("name"):
            authors_of[str(row.get("post_id"))].append((int(row.get("sort_order") or 0), str(user["name"])))

    for post in _rows(data, "posts"):
        key = str(post.get("id") or post.get("uuid") or "")
        kind = str(post.get("type") or "post")
        if not key:
            export.warnings.append("a post without an id was skipped")
            continue
        if kind != "post" and kind not in include:
            export.skipped.append(Skipped("ghost", key, f"a {kind} (use --include {kind} to import it)"))
            continue
        status = str(post.get("status") or "draft")
        visibility = str(post.get("visibility") or "public")
        names = [name for _, name in sorted(tags_of.get(key, []))]
        html = post.get("html")
        if html is None and (post.get("lexical") or post.get("mobiledoc")):
            export.warnings.append(
                f"ghost {key}: the export has no HTML for this post; imported with no body"
            )
        slug = str(post.get("slug") or "")
        extra = meta.get(key, {})
        exported = ExportedPost(
            platform="ghost",
            key=key,
            title=str(post.get("title") or "").strip(),
            html=resolve(html),
            slug=slug,
            date=_date(post.get("published_at")) or _date(post.get("created_at")),
            updated=_date(post.get("updated_at")) if post.get("published_at") else None,
            draft=status not in ("published", "scheduled"),
            restricted=f"Ghost visibility {visibility}" if visibility != "public" else "",
            summary=str(post.get("custom_excerpt") or "").strip(),
            tags=[name for name in names if not name.startswith("#")],
            categories=names,
            authors=[name for _, name in sorted(authors_of.get(key, []))],
            cover=resolve(post.get("feature_image")),
            cover_alt=str(extra.get("feature_image_alt") or "").strip(),
            kind=kind,
            old_paths=[f"/{slug}/"] if slug else [],
        )
        export.posts.append(exported)
    export.warnings = sorted(set(export.warnings), key=export.warnings.index)
    return export


def _data(document: object) -> dict | None:
    if isinstance(document, dict) and isinstance(document.get("db"), list) and document["db"]:
        document = document["db"][0]
    if isinstance(document, dict) and isinstance(document.get("data"), dict):
        data = document["data"]
        if isinstance(data.get("posts"), list):
            return data
    return None


def _rows(data: dict, table: str) -> list[dict]:
    rows = data.get(table)
    return [row for row in rows if isinstance(row, dict)] if isinstance(rows, list) else []


def _date(value: object) -> datetime | None:
    if not isinstance(value, str | int) or value == "":
        return None
    try:
        if isinstance(value, int):  # very old exports: milliseconds since 1970
            return datetime.fromtimestamp(value / 1000, tz=UTC)
        parsed = datetime.fromisoformat(value)
    except (ValueError, OverflowError, OSError):
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=UTC)  # Ghost stores UTC
