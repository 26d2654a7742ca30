"""What Pagefind reads for each post, and the key that says when the index is stale.

Each published post becomes one small HTML document made from the content
model, not from the page template: the title (as `<h1>`, which Pagefind
weights highest), the subtitle and the body are searchable text; the section
and tags are filters; title, subtitle, section and date are metadata for the
result list. So the index does not change when a template does.
"""

from __future__ import annotations

from html import escape
from importlib.metadata import PackageNotFoundError, version

from publisher.content.resolve import Entry, Site
from publisher.incremental.fingerprint import digest, entry_digest
from publisher.render.site import output_path

PAGE = "search/"  # the search page, relative to the site root
BUNDLE = "search/pagefind/"  # Pagefind's script, index and filters


def index_documents(site: Site) -> dict[str, str]:
    """One HTML document per post, by the output path of its page (`p/<slug>/index.html`).

    Pagefind turns that path into the result URL `/p/<slug>/`; the search page
    puts the base URL's path in front.
    """
    language = site.publication.language
    zone = site.publication.zone
    return {
        output_path(site, entry.url): _document(
            entry, language, entry.date.astimezone(zone).date().isoformat()
        )
        for entry in site.entries
    }


def _document(entry: Entry, language: str, date: str) -> str:
    hidden = [
        _span("meta", "title", entry.title),
        _span("meta", "section", entry.section.singular),
        _span("meta", "date", date),
        _span("filter", "section", entry.section.name),
        *(_span("filter", "tag", tag.name) for tag in entry.tags),
    ]
    if entry.subtitle:
        hidden.append(_span("meta", "subtitle", entry.subtitle))
    subtitle = f"<p>{escape(entry.subtitle)}</p>\n" if entry.subtitle else ""
    return (
        f'<!doctype html>\n<html lang="{escape(language)}">\n<head><meta charset="utf-8">'
        f"<title>{escape(entry.title)}</title></head>\n<body>\n<main data-pagefind-body>\n"
        f"<h1>{escape(entry.title)}</h1>\n{subtitle}{entry.html}\n"
        # data-pagefind-ignore keeps these out of the searchable text, not out of filters and metadata
        f"<div data-pagefind-ignore>{''.join(hidden)}</div>\n</main>\n</body>\n</html>\n"
    )


def _span(kind: str, name: str, value: str) -> str:
    return f'<span data-pagefind-{kind}="{name}">{escape(value)}</span>'


def search_key(site: Site, settings: str) -> str:
    """Every post as the index sees it, the settings and Pagefind's version: the index's key."""
    return digest(settings, "search", _pagefind_version(), [entry_digest(entry) for entry in site.entries])


def _pagefind_version() -> str:
    versions = []
    for package in ("pagefind", "pagefind-bin"):
        try:
            versions.append(version(package))
        except PackageNotFoundError:
            versions.append("-")
    return " ".join(versions)
