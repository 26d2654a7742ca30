"""Render stage for the web archive: the resolved `Site` becomes HTML pages.

Returns a mapping of output path (relative to `site/`) to bytes; nothing is
written here, so a failing render leaves no trace on disk.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path
from urllib.parse import quote

from jinja2 import ChoiceLoader, Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

from publisher.content.resolve import Entry, Site, Tag
from publisher.incremental.fingerprint import card_digest, cards_digest, digest, entry_page_digest
from publisher.paths import STATIC_DIR, template_dirs
from publisher.render.social import CardText, social_card


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


@dataclass(frozen=True)
class Job:
    """One output file: its path, the key of what it is made from, and how to make it."""

    name: str
    key: str
    render: Callable[[], bytes]
    source: Path | None = None  # a copied file: the build checks where it really is first


def site_jobs(site: Site, env: Environment, web_digest: str) -> list[Job]:
    """Every web page, the sitemap, robots.txt, static files and post images.

    `web_digest` covers the settings, templates and code; each page's key adds
    the posts it shows, so an incremental build renders only what changed.
    """
    publication = site.publication
    zone = publication.zone
    common = {
        "site": site,
        "publication": publication,
        "local": lambda d: d.astimezone(zone),
        "body": lambda entry: Markup(entry.html),
        "article_ld": lambda entry, canonical: article_ld(site, entry, canonical),
        "social_image": lambda entry: social_image(site, entry),
        "share_links": share_links,
        "people": lambda names: [publication.author_named(name) for name in names],
        "site_file": lambda path: path if "://" in path else site.url(path),
    }
    jobs: list[Job] = []
    sitemap: list[tuple[str, datetime | None]] = []

    def page(
        url: str,
        template: str,
        key: object,
        lastmod: datetime | None = None,
        in_sitemap: bool = True,
        **context: object,
    ) -> None:
        def render() -> bytes:
            html = env.get_template(template).render(**common, canonical=site.absolute(url), **context)
            return html.encode("utf-8")

        jobs.append(Job(output_path(site, url), digest(web_digest, template, url, key), render))
        if in_sitemap:
            sitemap.append((site.absolute(url), lastmod))

    def listing(pages: list[Page]) -> list[object]:
        return [[p.number, p.count, [card_digest(e) for e in p.entries]] for p in pages]

    newest = site.entries[0].date if site.entries else None
    for home in paginate(site.entries, publication.posts_per_page, site.url("")):
        page(home.url, "home.html", listing([home]), newest if home.number == 1 else None, page=home)

    for entry in site.entries:
        lastmod = entry.post.meta.updated or entry.date
        page(entry.url, "post.html", entry_page_digest(entry), lastmod, entry=entry)

    for section in publication.sections:
        entries = site.by_section[section.folder]
        for listed in paginate(entries, publication.posts_per_page, site.url(f"{section.folder}/")):
            page(listed.url, "section.html", listing([listed]), None, section=section, page=listed)

    page(
        site.url("tags/"),
        "tags.html",
        [[t.name, t.url, len(t.entries)] for t in site.tags],
        None,
        tags=site.tags,
    )
    for tag in site.tags:
        page(tag.url, "tag.html", [tag.name, cards_digest(tag.entries)], None, tag=tag)

    page(
        site.url("archive/"),
        "archive.html",
        cards_digest(site.entries),
        None,
        years=_by_year(site.entries, zone),
    )
    page(site.url("404.html"), "404.html", "", in_sitemap=False)

    def text(template: str, **context: object) -> Callable[[], bytes]:
        return lambda: env.get_template(template).render(**context).encode("utf-8")

    static_dirs = [folder / STATIC_DIR for folder in _template_folders(env)]
    address = publication.base_url.split("://", 1)[1]
    for entry in site.entries:
        if entry.cover_url is None:
            card = CardText(publication.title, entry.section.singular, entry.title, address)
            name = output_path(site, entry.url + CARD_NAME)
            key = digest(web_digest, "card", repr(card))
            jobs.append(Job(name, key, partial(social_card, card, static_dirs)))

    jobs.append(Job("sitemap.xml", digest(web_digest, sitemap), text("sitemap.xml", urls=sitemap)))
    jobs.append(Job("robots.txt", digest(web_digest, "robots"), text("robots.txt", **common)))
    for name, file in _static_files(env).items():
        jobs.append(_file_job(name, file))
    for entry in site.entries:
        for source, url in entry.assets.items():
            jobs.append(_file_job(output_path(site, url), source))
    return jobs


def _file_job(name: str, source: Path) -> Job:
    """A copied file, keyed by its name and stamp (size, modification and change time, inode)."""
    stat = source.stat()
    key = digest(name, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino)
    return Job(name, key, source.read_bytes, source)


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


CARD_NAME = "card.png"


def social_image(site: Site, entry: Entry) -> str:
    """The absolute URL link previews show for a post: its cover, or its generated card."""
    url = entry.cover_url or entry.url + CARD_NAME
    return site.absolute(url) if url.startswith("/") else url


def share_links(title: str, url: str) -> list[tuple[str, str]]:
    """(service, href) for sharing a post without JavaScript or any third-party script on the page.

    Mastodon has no central share address: Share₂Fedi is a share page that asks for the reader's server.
    """
    text = quote(f"{title} {url}", safe="")
    return [
        ("Email", f"mailto:?subject={quote(title, safe='')}&body={quote(url, safe='')}"),
        ("Bluesky", f"https://bsky.app/intent/compose?text={text}"),
        ("Mastodon", f"https://s2f.kytta.dev/?text={text}"),
        ("LinkedIn", f"https://www.linkedin.com/sharing/share-offsite/?url={quote(url, safe='')}"),
    ]


def output_path(site: Site, url: str) -> str:
    """`/newsletter/p/slug/` -> `p/slug/index.html`."""
    path = url[len(site.root_path) :].lstrip("/")
    return path + "index.html" if path == "" or path.endswith("/") else path


def _by_year(entries: Iterable[Entry], zone: object) -> list[tuple[int, list[Entry]]]:
    years: dict[int, list[Entry]] = {}
    for entry in entries:
        years.setdefault(entry.date.astimezone(zone).year, []).append(entry)  # type: ignore[arg-type]
    return sorted(years.items(), reverse=True)


def _template_folders(env: Environment) -> list[Path]:
    """The template folders, the publication's own first."""
    return [Path(p) for loader in env.loader.loaders for p in loader.searchpath]  # type: ignore[union-attr]


def _static_files(env: Environment) -> dict[str, Path]:
    """Files under `templates/static/`, the publication's own winning by name."""
    files: dict[str, Path] = {}
    for folder in reversed(_template_folders(env)):
        static = folder / STATIC_DIR
        if static.is_dir():
            for file in sorted(static.rglob("*")):
                if file.is_file():
                    files[f"{STATIC_DIR}/{file.relative_to(static).as_posix()}"] = file
    return files


__all__ = ["Job", "Page", "Tag", "make_environment", "paginate", "site_jobs"]
