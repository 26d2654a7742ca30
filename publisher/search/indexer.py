"""Run Pagefind over the posts' search documents and collect the bundle it writes.

Pagefind's Python API (`PagefindIndex`) talks to the Pagefind binary (from
the `pagefind[bin]` package) over a pipe, and reads each answer after a
0.1 s pause; one request per post would cost 100 s for 1,000 posts. So the
documents go to a scratch folder and are indexed with one `add_directory`
request, and the bundle is written to another scratch folder and read back:
nothing touches the output folder, which the build stages as usual.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from publisher.content.resolve import Site
from publisher.incremental.output import safe_relative
from publisher.search.canonical import UnexpectedFormat, canonical_bundle
from publisher.search.documents import BUNDLE, index_documents

# Pagefind's ready-made interfaces: the search page uses its JavaScript API with its own markup.
UI_FILES = re.compile(r"^pagefind-(ui|modular-ui|component-ui|highlight)\.(js|css)$")
TIMEOUT_SECONDS = 600.0


class IndexFailed(Exception):
    """Pagefind could not be started, failed, or wrote something unexpected."""


def render_search(site: Site) -> dict[str, bytes]:
    """The search bundle, by path in the site (`search/pagefind/pagefind.js`, ...)."""
    files = run_pagefind(index_documents(site), site.publication.language)
    return {BUNDLE + name: data for name, data in files.items()}


def run_pagefind(
    documents: dict[str, str], language: str, timeout: float = TIMEOUT_SECONDS
) -> dict[str, bytes]:
    """Index `documents` (path -> HTML) and return the bundle (path inside it -> bytes)."""
    from pagefind.service import get_executable  # PAGEFIND_BINARY_PATH, else the pagefind[bin] package

    binary = get_executable()
    if binary is None or not binary.is_file():
        raise IndexFailed(f"the Pagefind binary is missing{f' ({binary})' if binary else ''}")
    with tempfile.TemporaryDirectory(prefix="publisher-search-") as scratch:
        pages, bundle = Path(scratch, "pages"), Path(scratch, "bundle")
        pages.mkdir()
        for name, html in documents.items():
            target = pages / safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        try:
            indexed = _in_own_thread(
                lambda: asyncio.run(asyncio.wait_for(_index(pages, bundle, language), timeout))
            )
        except TimeoutError:
            raise IndexFailed(f"Pagefind did not finish within {timeout:g} s") from None
        except Exception as error:  # the binary is missing, crashed, or refused a request
            raise IndexFailed(f"Pagefind failed: {error}") from None
        if indexed != len(documents):
            raise IndexFailed(f"Pagefind indexed {indexed} of {len(documents)} posts")
        files = {
            path.relative_to(bundle).as_posix(): path.read_bytes()
            for path in sorted(bundle.rglob("*"))
            if path.is_file() and not UI_FILES.match(path.name)
        }
    try:
        return canonical_bundle(files)
    except UnexpectedFormat as error:
        raise IndexFailed(f"Pagefind wrote an index this version of publisher cannot read: {error}") from None


def _in_own_thread(run: Callable[[], int]) -> int:
    """Run `run` in a new thread: asyncio.run refuses a thread whose event loop is running
    (an async application, a notebook, Playwright's sync API) and needs none here."""
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="pagefind") as pool:
        return pool.submit(run).result()


async def _index(pages: Path, bundle: Path, language: str) -> int:
    """Index every HTML file under `pages`; leaving the context writes the bundle to `bundle`."""
    from pagefind.index import IndexConfig, PagefindIndex  # imported only when the index is rebuilt

    config: IndexConfig = {"force_language": language, "output_path": str(bundle)}
    async with PagefindIndex(config=config) as index:
        response = await index.add_directory(str(pages))
    return int(response["page_count"])
