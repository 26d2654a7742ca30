"""The search page in Chromium: results as the reader types, the section filter, keyboard only,
axe and the Nu checker in light and dark mode, without JavaScript, under a base URL with a
path, and from `publisher serve`.

A small publication of its own (not the sample) is built twice, at the root and under
`/newsletter/`, and served by one local server, so the words searched for are known.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from functools import partial
from http.server import ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from conftest import Publication

from publisher.build import BuildOptions, build

from .checks import COLOUR_RULES, axe_violations, listing, overflow, vnu_messages, vnu_problems
from .conftest import Pages, _Handler

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Page

pytestmark = pytest.mark.browser

BASE_URL = "https://civicledger.example"
PREFIXES = ["", "/newsletter"]  # the site at the root, and under a base URL with a path
HARBOR_NOTES = 12  # enough insights for a second page of results


def write_posts(publication: Publication) -> None:
    publication.post(
        "analyses/tides.md",
        title="Reading the Harbor Tides",
        subtitle="What the harbor gauges say",
        date="2026-02-01",
        tags="[harbor, data]",
        body="## The gauges\n\nEvery harbor gauge logs the tide, and one logged a zeppelin.",
    )
    publication.post(
        "playbooks/dock.md",
        title="How to Rent a Dock",
        date="2026-02-02",
        body="Ask the harbor master first.",
    )
    for n in range(1, HARBOR_NOTES + 1):
        publication.post(
            f"insights/note-{n}.md",
            title=f"Note {n} on Fares",
            date=f"2026-01-{n:02d}",
            body=f"Ferry fares at the harbor rose by {n} cents.",
        )
    publication.post("insights/draft.md", title="Unfinished", draft="true", body="A draft about the harbor.")


@pytest.fixture(scope="session")
def search_site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The publication built for each prefix: prefix -> its `site/` folder."""
    publication = Publication(tmp_path_factory.mktemp("search") / "pub")
    write_posts(publication)
    sites = {}
    for prefix in PREFIXES:
        out = publication.root / f"build{prefix.replace('/', '-')}"
        # jobs=1: no worker processes forked from a test process that runs Playwright's threads
        build(BuildOptions(root=publication.root, out=out, base_url=BASE_URL + prefix, jobs=1))
        sites[prefix] = out / "site"
    return sites


@pytest.fixture(scope="session")
def search_server(search_site: dict[str, Path]) -> Iterator[str]:
    """Serves the root build at `/` and the other at `/newsletter/`, on a free port."""
    mounts = [(prefix + "/", search_site[prefix]) for prefix in sorted(PREFIXES, reverse=True)]
    handler = type("Handler", (_Handler,), {"mounts": mounts})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(search_site[""])))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def pages(browser: Browser, search_server: str, search_site: dict[str, Path]) -> Iterator[dict[str, Pages]]:
    """Opens paths of the root build or the /newsletter/ build, watched like every page of the suite."""
    opened = {
        prefix: Pages(browser, search_server, search_site[prefix], BASE_URL + prefix) for prefix in PREFIXES
    }
    yield opened
    for each in opened.values():
        each.close()


def status(page: Page) -> str:
    return page.inner_text("#search-status")


def wait_for_status(page: Page, starts: str) -> str:
    page.wait_for_function(
        "(starts) => document.getElementById('search-status').textContent.startsWith(starts)", arg=starts
    )
    return status(page)


def titles(page: Page) -> list[str]:
    return [link.inner_text() for link in page.query_selector_all("#search-results .card-title a")]


@pytest.mark.parametrize("prefix", PREFIXES)
def test_typing_a_word_from_one_post_shows_that_post_first(pages: dict[str, Pages], prefix: str) -> None:
    page, log = pages[prefix].open(f"{prefix}/search/", 1280)
    page.locator("#search-query").press_sequentially("zeppelin", delay=40)  # no Enter: results as one types
    assert wait_for_status(page, "1 result") == "1 result for “zeppelin”."
    assert titles(page) == ["Reading the Harbor Tides"]
    first = page.locator("#search-results li").first
    assert first.locator(".label").text_content() == "Analysis"
    assert first.locator("mark").first.inner_text().lower().rstrip(".") == "zeppelin"
    assert first.locator("time").get_attribute("datetime") == "2026-02-01"
    assert first.locator("time").inner_text() == "February 1, 2026"
    assert page.url.endswith(f"{prefix}/search/?q=zeppelin")

    # A word in many posts: the one with it in its title and subtitle comes first.
    page.fill("#search-query", "harbor")
    assert wait_for_status(page, "14 results") == "14 results for “harbor”."
    assert titles(page)[0] == "Reading the Harbor Tides"
    assert "Unfinished" not in titles(page), "drafts are not indexed"

    with page.expect_navigation():
        page.click("#search-results .card-title a >> nth=0")
    assert page.url.endswith(f"{prefix}/p/tides/")
    assert page.inner_text("h1") == "Reading the Harbor Tides"
    assert log.problems() == []


def test_the_section_filter_narrows_results_and_the_address_keeps_them(pages: dict[str, Pages]) -> None:
    page, log = pages[""].open("/search/", 1280)
    page.fill("#search-query", "harbor")
    wait_for_status(page, "14 results")
    page.select_option("#search-section", "Playbooks")
    assert wait_for_status(page, "1 result") == "1 result for “harbor” in Playbooks."
    assert titles(page) == ["How to Rent a Dock"]
    page.select_option("#search-section", "Insights")
    assert wait_for_status(page, "12 results") == "12 results for “harbor” in Insights."
    labels = {label.text_content() for label in page.query_selector_all("#search-results .label")}
    assert labels == {"Insight"}
    assert page.url.endswith("/search/?q=harbor&section=Insights")

    page.reload()  # a linked or reloaded search shows the same results
    assert wait_for_status(page, "12 results") == "12 results for “harbor” in Insights."
    assert page.input_value("#search-query") == "harbor"
    assert page.input_value("#search-section") == "Insights"
    assert log.problems() == []


def focused(page: Page) -> str:
    """The focused element as `tag#id` or `tag "text"`."""
    return page.evaluate(
        "() => { const e = document.activeElement; return e.tagName.toLowerCase()"
        " + (e.id ? '#' + e.id : ` \"${e.textContent.trim()}\"`); }"
    )


def focus_ring(page: Page) -> str:
    return page.evaluate(
        "() => { const s = getComputedStyle(document.activeElement);"
        " return `${s.outlineStyle} ${s.outlineWidth}`; }"
    )


def test_keyboard_only(pages: dict[str, Pages]) -> None:
    """From the top of the page to a result, with Tab, typing, arrow keys and Enter; the focus shows."""
    page, log = pages[""].open("/search/", 1280)
    for _ in range(20):
        page.keyboard.press("Tab")
        if focused(page) == "input#search-query":
            break
    assert focused(page) == "input#search-query", "the field is reachable with Tab"
    assert focus_ring(page) == "solid 3px"
    page.keyboard.type("harbor")
    wait_for_status(page, "14 results")

    page.keyboard.press("Tab")
    assert focused(page) == "select#search-section" and focus_ring(page) == "solid 3px"
    page.keyboard.press("ArrowDown")  # All sections -> Analyses
    assert wait_for_status(page, "1 result") == "1 result for “harbor” in Analyses."
    page.keyboard.press("Tab")
    assert focused(page) == 'button "Search"' and focus_ring(page) == "solid 3px"
    page.keyboard.press("Tab")
    assert focused(page) == 'a "Reading the Harbor Tides"' and focus_ring(page) == "solid 3px"

    # All sections again: 14 results, ten shown; "Show more results" shows the rest and moves the focus there.
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("Shift+Tab")
    page.keyboard.press("ArrowUp")
    wait_for_status(page, "14 results")
    assert len(titles(page)) == 10
    for _ in range(12):
        page.keyboard.press("Tab")
        if focused(page) == "button#search-more":
            break
    assert focused(page) == "button#search-more" and focus_ring(page) == "solid 3px"
    page.keyboard.press("Enter")
    page.wait_for_function("() => document.querySelectorAll('#search-results li').length === 14")
    assert page.evaluate(
        "() => document.activeElement.closest('li') === document.querySelectorAll('#search-results li')[10]"
    )
    assert page.is_hidden("#search-more")

    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "/p/note-" in page.url
    assert log.problems() == []


@pytest.mark.parametrize(("prefix", "width"), [("", 375), ("/newsletter", 1280)])
def test_accessible_in_light_and_dark_before_during_and_without_results(
    pages: dict[str, Pages], prefix: str, width: int
) -> None:
    """axe (WCAG 2.1 AA) light and dark, on a phone at the root and a desktop under a path."""
    found: dict[str, list[str]] = {}
    page, log = pages[prefix].open(f"{prefix}/search/", width)
    live = page.evaluate(
        "() => Array.from(document.querySelectorAll('[aria-live], [role=status], [role=alert]'))"
        ".map(e => e.id)"
    )
    assert live == ["search-status"], "one polite region, for the count"
    assert page.is_hidden("#search-results") and status(page) == "", "nothing to announce yet"
    for query, expected in (("", ""), ("harbor", "14 results"), ("qwxyzzy", "No results")):
        if query:
            page.fill("#search-query", query)
            wait_for_status(page, expected)
        if expected == "No results":
            assert page.is_hidden("#search-results"), "no empty list"
        found[f"{width} px {query or 'empty'} light axe"] = axe_violations(page)
        page.emulate_media(color_scheme="dark")
        found[f"{width} px {query or 'empty'} dark axe"] = axe_violations(page, rules=COLOUR_RULES)
        page.emulate_media(color_scheme="light")
        found[f"{width} px {query or 'empty'} layout"] = overflow(page) + log.problems()
    found = {key: lines for key, lines in found.items() if lines}
    assert not found, listing(found)


def test_the_search_page_with_results_is_valid_html(
    pages: dict[str, Pages], java: str, tmp_path: Path
) -> None:
    """The Nu checker on the page as the reader sees it: results, marks and all, at both prefixes."""
    files = []
    for prefix in PREFIXES:
        page, _ = pages[prefix].open(f"{prefix}/search/?q=harbor", 1280)
        wait_for_status(page, "14 results")
        page.click("#search-more")
        page.wait_for_function("() => document.querySelectorAll('#search-results li').length === 14")
        file = tmp_path / f"search{prefix.replace('/', '-')}.html"
        file.write_text("<!doctype html>\n" + page.evaluate("() => document.documentElement.outerHTML"))
        files.append(file)
    report = vnu_messages(files, java)
    found = {file.name: vnu_problems(report[file.resolve()]) for file in files}
    assert not {name: lines for name, lines in found.items() if lines}, listing(found)


@pytest.mark.parametrize("prefix", PREFIXES)
def test_without_javascript_the_page_says_so_and_links_to_the_archive(
    browser: Browser, search_server: str, prefix: str
) -> None:
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(f"{search_server}{prefix}/search/")
        assert page.is_hidden("#search-form")
        assert page.inner_text("#search-fallback").startswith("Searching needs JavaScript")
        assert page.get_attribute("#search-fallback a", "href") == f"{prefix}/archive/"
    finally:
        context.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_search_works_from_publisher_serve(browser: Browser, tmp_path: Path) -> None:
    publication = Publication(tmp_path / "pub")
    write_posts(publication)
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", "--root", str(publication.root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        origin = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not _answers(port):
            time.sleep(0.2)
        served = Pages(browser, origin, tmp_path / "unused", origin)
        page, log = served.open("/search/", 1280)
        page.fill("#search-query", "zeppelin")
        assert wait_for_status(page, "1 result") == "1 result for “zeppelin”."
        with page.expect_navigation():
            page.click("#search-results .card-title a")
        assert page.inner_text("h1") == "Reading the Harbor Tides"
        assert log.problems() == []
        served.close()
    finally:
        process.terminate()
        process.wait(timeout=10)


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False
