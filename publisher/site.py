"""Render stage for the web archive: the resolved `Site` becomes HTML pages.

Returns a mapping of output path (relative to `site/`) to bytes; nothing is
written here, so a failing render leaves no trace on disk.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from publisher.resolve import Entry, Site, Tag

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


def make_environment(root: Path) -> Environment:
    """A Jinja environment with autoescaping on for every template."""
    env = Environment(
        loader=ChoiceLoader([FileSystemLoader(str(d)) for d in template_dirs(root)]),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.filters["human_date"] = lambda d: f"{d:%B} {d.day}, {d.year}"
    env.filters["iso"] = lambda d: d.isoformat()
    return env


@dataclass
class Page:
    """One page of a paginated list."""

    entries: list[Entry]
    number: int
    count: int
    url: str
    previous_url: str | None
    next_url: str | None


def paginate(entries: list[Entry], per_page: int, first_url: str) -> list[Page]:
    """Split a list into pages at `first_url`, `first_url + page/2/`, ..."""
    chunks = [entries[i : i + per_page] for i in range(0, len(entries), per_page)] or [[]]

    def url(n: int) -> str:
        return first_url if n == 1 else f"{first_url}page/{n}/"

    return [
        Page(
            chunk,
            n,
            len(chunks),
            url(n),
            url(n - 1) if n > 1 else None,
            url(n + 1) if n < len(chunks) else None,
        )
        for n, chunk in enumerate(chunks, start=1)
    ]


def render_site(site: Site, env: Environment) -> dict[str, bytes]:
    """Every web page, the sitemap, robots.txt and static files."""
    publication = site.publication
    zone = publication.zone
    common = {
        "site": site,
        "publication": publication,
        "local": lambda d: d.astimezone(zone),
        "body": lambda entry: Markup(entry.html),
        "article_ld": lambda entry, canonical: article_ld(site, entry, canonical),
    }
    out: dict[str, bytes] = {}
    sitemap: list[tuple[str, datetime | None]] = []

    def emit(url: str, template: str, lastmod: datetime | None = None, **context: object) -> None:
        html = env.get_template(template).render(**common, canonical=site.absolute(url), **context)
        out[_output_path(site, url)] = html.encode("utf-8")
        sitemap.append((site.absolute(url), lastmod))

    newest = site.entries[0].date if site.entries else None
    for page in paginate(site.entries, publication.posts_per_page, site.url("")):
        emit(page.url, "home.html", newest if page.number == 1 else None, page=page)

    for entry in site.entries:
        emit(entry.url, "post.html", entry.post.meta.updated or entry.date, entry=entry)

    for section in publication.sections:
        entries = site.by_section[section.folder]
        for page in paginate(entries, publication.posts_per_page, site.url(f"{section.folder}/")):
            emit(page.url, "section.html", None, section=section, page=page)

    emit(site.url("tags/"), "tags.html", None, tags=site.tags)
    for tag in site.tags:
        emit(tag.url, "tag.html", None, tag=tag)

    emit(site.url("archive/"), "archive.html", None, years=_by_year(site.entries, zone))

    out["404.html"] = (
        env.get_template("404.html")
        .render(**common, canonical=site.absolute(site.url("404.html")))
        .encode("utf-8")
    )
    out["sitemap.xml"] = env.get_template("sitemap.xml").render(urls=sitemap).encode("utf-8")
    out["robots.txt"] = env.get_template("robots.txt").render(**common).encode("utf-8")
    out.update(_static_files(env))
    for entry in site.entries:
        for source, url in entry.assets.items():
            out[_output_path(site, url)] = source.read_bytes()
    return out


def article_ld(site: Site, entry: Entry, canonical: str) -> dict[str, object]:
    """schema.org `Article` data for a post page, for search engines."""
    meta = entry.post.meta
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "Article",
        "headline": entry.title,
        "description": entry.summary,
        "datePublished": entry.date.isoformat(),
        "dateModified": (meta.updated or entry.date).isoformat(),
        "author": [{"@type": "Person", "name": name} for name in meta.authors or [site.publication.author]],
        "publisher": {
            "@type": "Organization",
            "name": site.publication.title,
            "url": site.absolute(site.url("")),
        },
        "mainEntityOfPage": canonical,
        "articleSection": entry.section.name,
        "keywords": [tag.name for tag in entry.tags],
    }
    if entry.cover_url:
        data["image"] = site.absolute(entry.cover_url) if entry.cover_url.startswith("/") else entry.cover_url
    return data


def _output_path(site: Site, url: str) -> str:
    """`/newsletter/p/slug/` -> `p/slug/index.html`."""
    path = url[len(site.root_path) :].lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def _by_year(entries: Iterable[Entry], zone: object) -> list[tuple[int, list[Entry]]]:
    years: dict[int, list[Entry]] = {}
    for entry in entries:
        years.setdefault(entry.date.astimezone(zone).year, []).append(entry)  # type: ignore[arg-type]
    return sorted(years.items(), reverse=True)


def _static_files(env: Environment) -> dict[str, bytes]:
    """Files under `templates/static/`, the publication's own winning by name."""
    files: dict[str, bytes] = {}
    for folder in reversed([Path(p) for loader in env.loader.loaders for p in loader.searchpath]):  # type: ignore[union-attr]
        static = folder / STATIC_DIR
        if static.is_dir():
            for file in sorted(static.rglob("*")):
                if file.is_file():
                    files[f"{STATIC_DIR}/{file.relative_to(static).as_posix()}"] = file.read_bytes()
    return files


__all__ = ["Page", "Tag", "make_environment", "paginate", "render_site"]
