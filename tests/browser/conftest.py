"""Fixtures of the browser suite: tools, a local server, one Chromium per session, one vnu run.

Chromium is Debian's (`/usr/bin/chromium`), driven by Playwright without
`playwright install` (which downloads a browser and fails here). Every
request that leaves the local build is blocked. Without the tools the suite
is skipped with the command that installs them, except in CI, where a
skipped browser suite would be a silent hole, so it fails instead.
"""

from __future__ import annotations

import os
import shutil
import threading
from collections.abc import Callable, Iterator
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import pytest
from bs4 import BeautifulSoup

from publisher.content.config import load_publication

from .checks import (
    AXE_JS,
    COLOUR_RULES,
    REPO,
    VNU_JAR,
    PageLog,
    VnuMessage,
    axe_violations,
    broken_images,
    overflow,
    style_dependence,
    vnu_messages,
    watch,
)

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page

CHROMIUM = Path("/usr/bin/chromium")
# --headless and --no-sandbox (CI runs as root); the rest keep Chromium off
# the network, which is closed here: no background fetches, updates or sync.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
INSTALL_HINT = (
    "install with: apt-get install chromium chromium-driver default-jre-headless && npm ci --ignore-scripts"
    " && .venv/bin/pip install -e '.[test]'"
)
FIXTURES = Path(__file__).parent / "fixtures"
SCREENSHOTS = REPO / "build" / "screenshots"
EMAIL_PREFIX = "/_email/"
FIXTURE_PREFIX = "/_fixtures/"


def unavailable(reason: str) -> NoReturn:
    """Skip on a developer's machine; fail in CI, where the suite must run."""
    if os.environ.get("CI") == "true":
        pytest.fail(f"browser suite cannot run in CI: {reason}", pytrace=False)
    pytest.skip(f"browser suite skipped: {reason}; {INSTALL_HINT}")


@pytest.fixture(scope="session")
def java() -> str:
    """The machine's Java, for vnu.jar; checks the other tools on the way."""
    missing = [str(p) for p in (CHROMIUM, AXE_JS, VNU_JAR) if not p.is_file()]
    if missing:
        unavailable(f"missing {', '.join(missing)}")
    try:
        import playwright.sync_api  # noqa: F401 (only checking it is installed)
    except ImportError:
        unavailable("the Python package playwright is not installed")
    found = shutil.which("java")
    if found is None:
        unavailable("no java on PATH")
    return found


@pytest.fixture(scope="session")
def base_url() -> str:
    """The publication's own URL: emails link to the site absolutely."""
    return load_publication(REPO).base_url


class _Handler(SimpleHTTPRequestHandler):
    """Serves the built site at `/`, emails under /_email/ and fixtures under /_fixtures/."""

    mounts: list[tuple[str, Path]] = []

    def translate_path(self, path: str) -> str:
        for prefix, folder in self.mounts:
            if path.startswith(prefix):
                self.directory = str(folder)
                return super().translate_path("/" + path[len(prefix) :])
        raise AssertionError("the / mount catches everything")

    def do_GET(self) -> None:
        # Chromium asks for /favicon.ico by itself; that guess is not something
        # a page or email asks for, so it gets an empty answer unless one exists.
        if self.path == "/favicon.ico" and not Path(self.translate_path(self.path)).is_file():
            self.send_response(204)
            self.end_headers()
            return
        super().do_GET()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="session")
def server(sample_out: Path) -> Iterator[str]:
    """A local HTTP server on a free port, so root-relative URLs work; yields its origin."""
    mounts = [
        (EMAIL_PREFIX, sample_out / "email"),
        (FIXTURE_PREFIX, FIXTURES),
        ("/", sample_out / "site"),
    ]
    handler = type("Handler", (_Handler,), {"mounts": mounts})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(sample_out / "site")))
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="session")
def browser(java: str) -> Iterator[Browser]:
    """One headless Debian Chromium for the whole session (each launch gets a fresh profile dir)."""
    from playwright.sync_api import Error, sync_playwright

    with sync_playwright() as playwright:
        try:
            chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        except Error as error:
            unavailable(f"Chromium did not start: {error}")
        yield chromium
        chromium.close()


OpenPage = Callable[..., tuple["Page", PageLog]]


class Pages:
    """Opens server paths in fresh browser contexts, and closes them all at the end."""

    def __init__(self, browser: Browser, server: str, site_dir: Path, base_url: str) -> None:
        self.browser, self.server, self.site_dir, self.base_url = browser, server, site_dir, base_url
        self.contexts: list[BrowserContext] = []

    def open(self, path: str, width: int, scheme: str = "light", height: int = 800) -> tuple[Page, PageLog]:
        """A new context (own cache and profile state) at this viewport, with `path` loaded."""
        context = self.browser.new_context(
            viewport={"width": width, "height": height},
            color_scheme=scheme,  # type: ignore[arg-type]
            device_scale_factor=1,
        )
        context.set_default_timeout(15_000)
        self.contexts.append(context)
        page = context.new_page()
        log = watch(page, self.server, self.site_dir, self.base_url)
        page.goto(self.server + path, wait_until="load")
        return page, log

    def close(self) -> None:
        for context in self.contexts:
            context.close()
        self.contexts.clear()


@pytest.fixture
def open_page(browser: Browser, server: str, sample_out: Path, base_url: str) -> Iterator[OpenPage]:
    """Opens a server path in a new context of the given width and colour scheme."""
    pages = Pages(browser, server, sample_out / "site", base_url)
    yield pages.open
    pages.close()


Inspection = dict[str, list[str]]


@pytest.fixture(scope="session")
def inspect(
    browser: Browser, server: str, sample_out: Path, base_url: str
) -> Iterator[Callable[..., Inspection]]:
    """Runs every browser check on a path at each width, once, for all the tests that ask.

    Returns, per "<width> px <what>", the problems found. Light mode gets
    every axe rule; dark mode only changes colours, so it gets the colour rules.
    """
    cache: dict[tuple[str, tuple[int, ...], bool], Inspection] = {}
    pages = Pages(browser, server, sample_out / "site", base_url)

    def run(path: str, widths: tuple[int, ...], strip_styles: bool = False) -> Inspection:
        key = (path, widths, strip_styles)
        if key not in cache:
            found: Inspection = {}
            for width in widths:
                page, log = pages.open(path, width)
                images = [f"image not loaded: {src}" for src in broken_images(page)]
                found[f"{width} px layout"] = overflow(page) + images + log.problems()
                found[f"{width} px light axe"] = axe_violations(page)
                page.emulate_media(color_scheme="dark")
                found[f"{width} px dark axe"] = axe_violations(page, rules=COLOUR_RULES)
                page.emulate_media(color_scheme="light")
                if strip_styles:
                    found[f"{width} px without <style>"] = style_dependence(page)
                    found[f"{width} px layout without <style>"] = overflow(page)
                pages.close()
            cache[key] = found
        return cache[key]

    yield run
    pages.close()


def problems(inspection: Inspection, what: str) -> Inspection:
    """The entries of an inspection whose key ends with `what`, and that found something."""
    return {key: lines for key, lines in inspection.items() if key.endswith(what) and lines}


@pytest.fixture(scope="session")
def page_paths(sample_site: Path) -> dict[str, str]:
    """The pages the suite loads: home, a post of each section, one of each list page, 404."""
    sections = [section.folder for section in load_publication(REPO).sections]

    def first_link(relative: str, selector: str) -> str:
        soup = BeautifulSoup((sample_site / relative).read_text(encoding="utf-8"), "lxml")
        link = soup.select_one(selector)
        assert link is not None, f"no {selector} in {relative}"
        return str(link["href"])

    paths = {"home": "/"}
    for folder in sections:
        paths[f"post-{folder}"] = first_link(f"{folder}/index.html", ".card-title a")
    paths["post"] = paths[f"post-{sections[0]}"]  # the one in the screenshots
    paths["section"] = f"/{sections[0]}/"
    paths["tag"] = first_link("tags/index.html", ".tag-cloud a")
    paths["tags"] = "/tags/"
    paths["archive"] = "/archive/"
    paths["404"] = "/404.html"
    return paths


@pytest.fixture(scope="session")
def email_files(sample_out: Path) -> list[Path]:
    """The built emails; their absence is a skip (a fail in CI)."""
    files = sorted((sample_out / "email").glob("*.html"))
    if not files:
        reason = f"the build wrote no emails ({sample_out / 'email'} is missing or empty)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    return files


@pytest.fixture(scope="session")
def vnu_report(java: str, sample_out: Path) -> dict[Path, list[VnuMessage]]:
    """Nu Html Checker findings for every page, every email and the fixtures: one JVM start."""
    files = sorted((sample_out / "site").rglob("*.html"))
    files += sorted((sample_out / "email").glob("*.html"))
    files += sorted(FIXTURES.glob("*.html"))
    return vnu_messages(files, java)


@pytest.fixture(scope="session")
def screenshot_dir(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """build/screenshots/ with --screenshots; otherwise a temp folder, so the code still runs."""
    if request.config.getoption("--screenshots", default=False):
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        return SCREENSHOTS
    return tmp_path_factory.mktemp("screenshots")
