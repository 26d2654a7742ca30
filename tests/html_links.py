"""Walk a built site's HTML and list every internal link, for link-checking tests."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from urllib.parse import unquote, urlsplit

from bs4 import BeautifulSoup

LINK_ATTRS = (("a", "href"), ("link", "href"), ("img", "src"), ("script", "src"), ("source", "src"))


def internal_links(site: Path, host: str) -> Iterator[tuple[Path, str]]:
    """(page, url) for every link in `site` that points into the site itself."""
    for page in sorted(site.rglob("*.html")):
        soup = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")
        for tag, attr in LINK_ATTRS:
            for element in soup.find_all(tag):
                url = element.get(attr)
                if not url:
                    continue
                parts = urlsplit(url)
                if parts.scheme in ("", "http", "https") and parts.netloc in ("", host):
                    yield page, url


def target_file(site: Path, page: Path, url: str) -> Path:
    """The file a URL resolves to, as a static web server would serve it."""
    path = unquote(urlsplit(url).path)
    if not path:
        return page
    base = site if path.startswith("/") else page.parent
    target = base / path.lstrip("/")
    return target / "index.html" if path.endswith("/") else target


def fragment_ids(file: Path) -> set[str]:
    soup = BeautifulSoup(file.read_text(encoding="utf-8"), "html.parser")
    return {str(element["id"]) for element in soup.find_all(id=True)}
