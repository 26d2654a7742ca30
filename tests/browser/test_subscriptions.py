"""The subscription service in Chromium: sign up from the built site, confirm from the email,
unsubscribe from a sent post; and every service page at phone and desktop width through axe
(light and dark) and the Nu checker.

The stack is real: the sample publication built with a `[subscriptions]` table, served by a
static server; the service on uvicorn; aiosmtpd catching the mail; requests anywhere else blocked.
"""

from __future__ import annotations

import re
import shutil
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx2
import pytest
from bs4 import BeautifulSoup
from conftest import run
from smtp_server import Received, SmtpServer
from subscriptions_support import (
    SECRET,
    WELCOME,
    configure,
    free_socket,
    link_in,
    make_service,
    served,
    wait_for_mail,
)

from publisher.build import BuildOptions, build
from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import make_token
from publisher.subscriptions.app import Service

from .checks import COLOUR_RULES, REPO, PageLog, axe_violations, listing, overflow, vnu_messages, vnu_problems

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

pytestmark = pytest.mark.browser
WIDTHS = (375, 1280)


class _Quiet(SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        pass


@dataclass
class Stack:
    root: Path
    site: str  # the static site's origin
    service: str  # the subscription service's origin
    smtp: SmtpServer
    app: Service

    @property
    def store(self) -> SubscriberStore:
        return self.app.store


@pytest.fixture(scope="module")
def stack(java: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stack]:
    root = tmp_path_factory.mktemp("subscriptions") / "pub"
    root.mkdir()
    shutil.copy(REPO / "publication.toml", root / "publication.toml")
    shutil.copytree(REPO / "posts", root / "posts")
    smtp = SmtpServer()
    smtp.start()
    service_socket = free_socket()
    site_server = ThreadingHTTPServer(
        ("127.0.0.1", 0), partial(_Quiet, directory=str(root / "build" / "site"))
    )
    site = f"http://127.0.0.1:{site_server.server_port}"
    service_url = f"http://127.0.0.1:{service_socket.getsockname()[1]}"
    configure(root, service_url, smtp.url, base_url=site)
    build(BuildOptions(root=root, out=root / "build"))
    threading.Thread(target=site_server.serve_forever, daemon=True).start()
    app = make_service(root)
    try:
        with served(app, service_socket) as origin:
            assert origin == service_url
            yield Stack(root, site, service_url, smtp, app)
    finally:
        site_server.shutdown()
        site_server.server_close()
        smtp.stop()


def confine(page: Page, origins: tuple[str, ...]) -> PageLog:
    """Let the page reach only the site and the service; record errors and failed requests."""
    log = PageLog()

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(tuple(o + "/" for o in origins)) or url.startswith("data:"):
            route.continue_()
        else:
            log.blocked_requests.append(url)
            route.abort("blockedbyclient")

    page.route("**/*", route)
    page.on("console", lambda m: log.console_errors.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda error: log.console_errors.append(f"uncaught: {error}"))
    page.on(
        "requestfailed",
        # a font still loading when the flow moves to the next page is cancelled, not failed;
        # the page checks (fit_and_pass_axe) load each page fully and catch fonts that fail
        lambda r: (
            None
            if r.resource_type == "font" and r.failure == "net::ERR_ABORTED"
            else log.failed_requests.append(f"{r.url} ({r.failure})")
        ),
    )
    page.on(
        "response",
        lambda r: (
            log.failed_requests.append(f"{r.url} (HTTP {r.status})")
            if r.status >= 400 and not r.url.startswith(origins[1] + "/unsubscribe/forged")
            else None
        ),
    )
    return log


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context(viewport={"width": 375, "height": 800}, device_scale_factor=1)
    context.set_default_timeout(15_000)
    yield context
    context.close()


def send(stack: Stack, slug: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    monkeypatch.delenv("PUBLISHER_SMTP_URL", raising=False)
    result = run("send", slug, "--yes", "--quiet", "--root", str(stack.root))
    assert result.exit_code == 0, result.stderr


def footer_unsubscribe_link(received: Received) -> str:
    html = received.message().get_body(("html",))
    assert html is not None
    links = BeautifulSoup(html.get_content(), "lxml").find_all("a", string=re.compile("Unsubscribe", re.I))
    assert links, "no unsubscribe link in the email's footer"
    return str(links[-1]["href"])


def test_sign_up_confirm_then_unsubscribe_from_a_sent_post(
    stack: Stack, context: BrowserContext, monkeypatch: pytest.MonkeyPatch
) -> None:
    page = context.new_page()
    log = confine(page, (stack.site, stack.service))
    page.goto(f"{stack.site}/p/the-permit-bottleneck/")
    form = page.locator("form.subscribe-form")
    form.get_by_label("Email address").fill("browser.reader@example.org")
    form.get_by_label("Name (optional)").fill("Browser Reader")
    form.get_by_label("Insights").uncheck()
    form.get_by_role("button").click()
    page.wait_for_url(f"{stack.service}/subscribe")
    assert page.locator("h1").inner_text() == "Check your inbox"

    [confirmation] = wait_for_mail(stack.smtp, 1)
    assert confirmation.recipient == "browser.reader@example.org"
    page.goto(link_in(confirmation, "confirm"))
    page.get_by_role("button", name="Confirm my subscription").click()
    assert page.locator("h1").inner_text() == "Welcome to The Civic Ledger"
    assert WELCOME in page.locator("main").inner_text()
    reader = stack.store.find("browser.reader@example.org")
    assert reader is not None and reader.status == "active"
    assert reader.sections == ("analyses", "playbooks") and reader.name == "Browser Reader"

    stack.store.add("stays@example.org", status="active")
    send(stack, "the-permit-bottleneck", monkeypatch)
    received = {r.recipient: r for r in wait_for_mail(stack.smtp, 3)[1:]}
    assert set(received) == {"browser.reader@example.org", "stays@example.org"}
    post = received["browser.reader@example.org"]
    link = footer_unsubscribe_link(post)
    assert link.startswith(f"{stack.service}/unsubscribe/")
    assert f"<{link}>" in str(post.message()["List-Unsubscribe"])

    page.goto(link)
    assert stack.store.find("browser.reader@example.org").status == "active"  # type: ignore[union-attr]
    page.get_by_role("button", name="Unsubscribe").click()
    assert page.locator("h1").inner_text() == "You are unsubscribed"
    assert stack.store.find("browser.reader@example.org").status == "unsubscribed"  # type: ignore[union-attr]
    assert log.problems() == []

    send(stack, "get-your-permit-unstuck", monkeypatch)  # a playbook: the reader had chosen playbooks
    after = wait_for_mail(stack.smtp, 4)[3:]
    assert [r.recipient for r in after] == ["stays@example.org"]
    assert stack.smtp.recorder.copies()["browser.reader@example.org"] == 2  # confirmation + one post


ServicePages = dict[str, tuple[str, str, dict[str, Any] | None]]


@pytest.fixture(scope="module")
def service_pages(stack: Stack) -> ServicePages:
    """Every kind of page the service shows: name -> (method, path, form)."""
    reader = stack.store.add("pages@example.org", status="active").id
    pending = stack.store.add("pending-pages@example.org", status="pending").id
    gone = stack.store.add("gone-pages@example.org", status="unsubscribed").id
    return {
        "subscribe": ("GET", "/subscribe", None),
        "subscribe with an error": ("POST", "/subscribe", {"email": "nope", "section": "analyses"}),
        "check your inbox": ("POST", "/subscribe", {"email": "new-pages@example.org"}),
        "confirm": ("GET", f"/confirm/{make_token(SECRET, 'confirm', pending)}", None),
        "unsubscribe": ("GET", f"/unsubscribe/{make_token(SECRET, 'unsubscribe', reader)}", None),
        "preferences": ("GET", f"/preferences/{make_token(SECRET, 'preferences', reader)}", None),
        "preferences, unsubscribed": ("GET", f"/preferences/{make_token(SECRET, 'preferences', gone)}", None),
        "bad link": ("GET", "/unsubscribe/forged", None),
        "not found": ("GET", "/nothing-here", None),
        "unsubscribed": (
            "POST",
            f"/unsubscribe/{make_token(SECRET, 'unsubscribe', gone)}",
            {"List-Unsubscribe": "One-Click"},
        ),
    }


@pytest.fixture(scope="module")
def pages_html(
    stack: Stack, service_pages: ServicePages, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    """Each service page's HTML as served, saved for the Nu checker."""
    folder = tmp_path_factory.mktemp("service-pages")
    saved = {}
    headers = {"Origin": stack.service}
    with httpx2.Client(base_url=stack.service) as client:
        for number, (name, (method, path, form)) in enumerate(service_pages.items()):
            response = client.request(method, path, data=form, headers=headers)
            assert response.headers["content-type"] == "text/html; charset=utf-8", name
            saved[name] = folder / f"{number:02d}.html"
            saved[name].write_bytes(response.content)
    return saved


def test_service_pages_and_the_form_are_valid_html(
    stack: Stack, pages_html: dict[str, Path], java: str
) -> None:
    """The Nu checker on every service page and on a site page with the sign-up form: one JVM."""
    files = {**pages_html, "post with the form": stack.root / "build/site/p/the-permit-bottleneck/index.html"}
    report = vnu_messages(list(files.values()), java)
    found = {name: vnu_problems(report[path.resolve()]) for name, path in files.items()}
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, listing(found)


# One column at every width: the phone is where layouts break; the desktop gets the form pages.
DESKTOP = ("subscribe", "subscribe with an error", "preferences")
EXPECTED_STATUS = {"subscribe with an error": 400, "bad link": 400, "not found": 404}


def expected(problem: str, status: int | None) -> bool:
    """True for the page's own error status, which is what that page is for."""
    return status is not None and (f"status of {status} " in problem or f"(HTTP {status})" in problem)


def test_service_pages_fit_and_pass_axe(
    stack: Stack, browser: Browser, service_pages: ServicePages, pages_html: dict[str, Path]
) -> None:
    """Each page: no sideways scroll, no failed or outside request, axe in light and dark mode."""
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        # axe is a script injected into the page: the service's CSP (rightly) blocks it
        context = browser.new_context(
            viewport={"width": width, "height": 800}, device_scale_factor=1, bypass_csp=True
        )
        for name, (method, path, _) in service_pages.items():
            if width > WIDTHS[0] and name not in DESKTOP:
                continue
            page = context.new_page()
            log = confine(page, (stack.site, stack.service))
            if method == "GET":
                page.goto(stack.service + path)
            else:  # a POST's answer, as served, on the service's origin
                page.goto(stack.service + "/healthz")
                page.set_content(pages_html[name].read_text(encoding="utf-8"))
            found = [p for p in log.problems() if not expected(p, EXPECTED_STATUS.get(name))]
            found += overflow(page) + axe_violations(page)
            page.emulate_media(color_scheme="dark")
            found += axe_violations(page, rules=COLOUR_RULES)
            if found:
                problems[f"{name} at {width} px"] = found
            page.close()
        context.close()
    assert not problems, listing(problems)


def test_site_pages_with_the_form_pass_axe(stack: Stack, browser: Browser) -> None:
    """The post page with the sign-up form under it, light and dark, phone and desktop."""
    problems: dict[str, list[str]] = {}
    for width in WIDTHS:
        context = browser.new_context(viewport={"width": width, "height": 800}, device_scale_factor=1)
        page = context.new_page()
        log = confine(page, (stack.site, stack.service))
        page.goto(f"{stack.site}/p/the-permit-bottleneck/")
        assert page.locator("form.subscribe-form").count() == 1
        found = overflow(page) + axe_violations(page) + log.problems()
        page.emulate_media(color_scheme="dark")
        found += axe_violations(page, rules=COLOUR_RULES)
        if found:
            problems[f"{width} px"] = found
        context.close()
    assert not problems, listing(problems)
