"""The browser checks, as plain functions over a Playwright page or a list of files.

The real tests (built pages and emails) and the broken-fixture tests use the
same functions, so a check that passes the build is also shown to catch what
it is meant to catch.
"""

from __future__ import annotations

import json
import re
import subprocess
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page, Request, Response, Route

REPO = Path(__file__).resolve().parents[2]
AXE_JS = REPO / "node_modules" / "axe-core" / "axe.min.js"
VNU_JAR = REPO / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"

# WCAG 2.1 A and AA, as the issue asks; best-practice rules (landmarks,
# heading order, ...) run too, but only serious and critical findings fail.
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "best-practice"]
FAILING_IMPACTS = {"serious", "critical"}
# The rules whose outcome depends on colours alone: enough for the dark scheme,
# which changes nothing else.
COLOUR_RULES = ["color-contrast", "link-in-text-block"]


@dataclass
class PageLog:
    """What a page did while it loaded: the evidence for "works in a browser"."""

    console_errors: list[str] = field(default_factory=list)
    failed_requests: list[str] = field(default_factory=list)
    blocked_requests: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return (
            [f"console error: {m}" for m in self.console_errors]
            + [f"failed request: {r}" for r in self.failed_requests]
            + [f"request outside the build (blocked): {r}" for r in self.blocked_requests]
        )


def watch(page: Page, origin: str, site_dir: Path, base_url: str) -> PageLog:
    """Confine `page` to the local build and record errors and failed requests.

    Requests to `origin` (the test server) go through. Requests to the
    publication's own `base_url` (emails link their images absolutely) are
    answered from `site_dir`, so they are checked without the network.
    Everything else is aborted and recorded.
    """
    log = PageLog()
    base = base_url.rstrip("/") + "/"

    def local(url: str) -> bool:
        return url.startswith(origin + "/") or url.startswith(base)

    def route(route: Route) -> None:
        url = route.request.url
        if url.startswith(origin + "/"):
            route.continue_()
        elif url.startswith(base):
            relative = urlsplit(url).path[len(urlsplit(base).path) :]
            target = (site_dir / relative).resolve()
            if target.is_dir():
                target = target / "index.html"
            if target.is_file() and target.is_relative_to(site_dir.resolve()):
                route.fulfill(path=target)
            else:
                route.fulfill(status=404, body="not in the build")
        elif url.startswith("data:"):
            route.continue_()
        else:
            log.blocked_requests.append(url)
            route.abort("blockedbyclient")

    def console(message: ConsoleMessage) -> None:
        if message.type == "error":
            log.console_errors.append(message.text)

    def failed(request: Request) -> None:
        # `serve`'s live reload polls /_publisher/version; a click that leaves the page
        # cancels a poll in flight, which is the navigation working, not a failure.
        reload_poll = "/_publisher/" in request.url and "ERR_ABORTED" in (request.failure or "")
        if local(request.url) and not reload_poll:
            log.failed_requests.append(f"{request.url} ({request.failure})")

    def response(response: Response) -> None:
        if local(response.url) and response.status >= 400:
            log.failed_requests.append(f"{response.url} (HTTP {response.status})")

    page.route("**/*", route)
    page.on("console", console)
    page.on("pageerror", lambda error: log.console_errors.append(f"uncaught: {error}"))
    page.on("requestfailed", failed)
    page.on("response", response)
    return log


_OVERFLOW_JS = """
() => {
  const limit = window.innerWidth;
  const root = document.documentElement;
  if (root.scrollWidth <= limit) return [];
  const describe = (el) => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '')
    + Array.from(el.classList).map((c) => '.' + c).join('');
  const out = [`scrollWidth ${root.scrollWidth} > innerWidth ${limit}`];
  for (const el of document.body.querySelectorAll('*')) {
    const right = el.getBoundingClientRect().right;
    const parent = el.parentElement;
    const parentRight = parent ? parent.getBoundingClientRect().right : 0;
    if (right > limit + 0.5 && (parent === document.body || parentRight <= limit + 0.5)) {
      out.push(`${describe(el)} reaches ${Math.round(right)} px`);
    }
  }
  return out.slice(0, 6);
}
"""


def overflow(page: Page) -> list[str]:
    """Why the page scrolls sideways (`scrollWidth > innerWidth`), or [] if it does not.

    Names the outermost elements that stick out, so a failure says where to look.
    """
    return page.evaluate(_OVERFLOW_JS)


_BROKEN_IMAGES_JS = """
async () => {
  const images = Array.from(document.images);
  // Lazy images below the fold have not been asked for yet: ask now.
  images.forEach((img) => { if (img.loading === 'lazy') img.loading = 'eager'; });
  await Promise.all(images.map((img) => img.complete ? null : new Promise((done) => {
    img.addEventListener('load', done, {once: true});
    img.addEventListener('error', done, {once: true});
    setTimeout(done, 5000);
  })));
  return images.filter((img) => !img.complete || img.naturalWidth === 0)
    .map((img) => img.currentSrc || img.src || img.outerHTML);
}
"""


def broken_images(page: Page) -> list[str]:
    """Images that did not load or decoded to nothing, lazy ones included."""
    return page.evaluate(_BROKEN_IMAGES_JS)


def axe_violations(page: Page, rules: list[str] | None = None) -> list[str]:
    """axe-core's serious and critical findings on the page as it is now, one line each.

    Runs the rules tagged `AXE_TAGS`, or only `rules` if given.
    """
    if not page.evaluate("() => typeof window.axe === 'object'"):
        page.add_script_tag(path=AXE_JS)
    only = {"type": "rule", "values": rules} if rules else {"type": "tag", "values": AXE_TAGS}
    result: dict[str, Any] = page.evaluate(
        "(only) => axe.run(document, {runOnly: only, resultTypes: ['violations']})", only
    )
    lines = []
    for violation in result["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        for node in violation["nodes"]:
            summary = " ".join(node.get("failureSummary", "").split())
            lines.append(f"{violation['id']} ({violation['impact']}) at {node['target']}: {summary}")
    return lines


# What "the look" of a text element is, for the <style>-stripping check.
STYLE_PROPERTIES = [
    "color",
    "background-color",
    "font-family",
    "font-size",
    "font-style",
    "font-weight",
    "line-height",
    "letter-spacing",
    "text-align",
    "text-decoration-line",
    "text-transform",
    "display",
    *[f"margin-{side}" for side in ("top", "right", "bottom", "left")],
    *[f"padding-{side}" for side in ("top", "right", "bottom", "left")],
    *[
        f"border-{side}-{part}"
        for side in ("top", "right", "bottom", "left")
        for part in ("width", "style", "color")
    ],
    "border-top-left-radius",
]
STYLED_ELEMENTS = (
    "h1, h2, h3, h4, h5, h6, p, a, blockquote, button, .button, [class*='button'], [role='button']"
)

_STYLE_DEPENDENCE_JS = """
([selector, properties]) => {
  const elements = Array.from(document.querySelectorAll(selector));
  // A border's colour follows the text colour; it only matters where there is a border.
  const value = (style, p) => {
    const side = p.match(/^border-(top|right|bottom|left)-color$/);
    if (side && style.getPropertyValue(`border-${side[1]}-style`) === 'none') return 'no border';
    return style.getPropertyValue(p);
  };
  const snapshot = () => elements.map((el) => {
    const style = getComputedStyle(el);
    return properties.map((p) => value(style, p));
  });
  const describe = (el) => el.tagName.toLowerCase()
    + Array.from(el.classList).map((c) => '.' + c).join('')
    + ` "${(el.textContent || '').trim().replace(/\\s+/g, ' ').slice(0, 30)}"`;
  const before = snapshot();
  document.querySelectorAll('style').forEach((style) => style.remove());
  const after = snapshot();
  const changes = [];
  elements.forEach((el, i) => properties.forEach((p, j) => {
    if (before[i][j] !== after[i][j]) {
      changes.push(`${describe(el)}: ${p} ${before[i][j]} -> ${after[i][j]}`);
    }
  }));
  return changes;
}
"""


def style_dependence(page: Page) -> list[str]:
    """Removes every `<style>` element and lists what that changed in text elements' computed style.

    Some webmail clients drop `<style>`; an email whose headings, paragraphs,
    links, blockquotes or buttons change then depends on it. Mutates the page.
    """
    return page.evaluate(_STYLE_DEPENDENCE_JS, [STYLED_ELEMENTS, STYLE_PROPERTIES])


@dataclass(frozen=True)
class VnuMessage:
    """One Nu Html Checker finding: kind is "error" or "warning"."""

    kind: str
    line: int
    text: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.kind}: {self.text}"


def vnu_messages(files: list[Path], java: str = "java") -> dict[Path, list[VnuMessage]]:
    """Errors and warnings for each file, from ONE run of vnu.jar (the JVM starts slowly)."""
    found: dict[Path, list[VnuMessage]] = {file.resolve(): [] for file in files}
    if not files:
        return found
    proc = subprocess.run(
        [java, "-jar", str(VNU_JAR), "--format", "json", *map(str, files)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    # vnu writes its JSON report to stderr and exits 1 when it found errors.
    try:
        report = json.loads(proc.stderr or proc.stdout)
    except json.JSONDecodeError as error:
        raise RuntimeError(
            f"vnu.jar gave no JSON report (exit {proc.returncode}): {proc.stderr[:500]}"
        ) from error
    for message in report["messages"]:
        kind = message["type"]
        if kind == "info":
            if message.get("subType") != "warning":
                continue
            kind = "warning"
        path = Path(urlsplit(message.get("url", "")).path).resolve()
        found.setdefault(path, []).append(VnuMessage(kind, message.get("lastLine", 0), message["message"]))
    return found


# Attributes that HTML calls obsolete but that email needs, because Outlook's
# Word engine and some webmail ignore the CSS equivalent. Only these, and only
# on these elements: anything else (<center>, <font>, a missing alt) still fails.
EMAIL_ATTRIBUTES = {
    "table": {"width", "height", "align", "bgcolor", "border", "cellpadding", "cellspacing"},
    "tr": {"align", "valign", "bgcolor"},
    "td": {"width", "height", "align", "valign", "bgcolor"},
    "th": {"width", "height", "align", "valign", "bgcolor"},
    "body": {"bgcolor"},
    "img": {"border"},
}
_OBSOLETE_ATTRIBUTE = re.compile(
    r"^The “(?P<attribute>[a-z]+)” attribute on the “(?P<element>[a-z]+)” element is obsolete\."
)


_BAD_HREF = re.compile(r"^Bad value “(?P<value>[^”]*)” for attribute “href” on element “a”: ")


def presentational_email_attribute(message: VnuMessage) -> bool:
    """True for an "obsolete attribute" message about an attribute email needs."""
    match = _OBSOLETE_ATTRIBUTE.match(message.text)
    return bool(match) and match["attribute"] in EMAIL_ATTRIBUTES.get(match["element"], set())


def email_merge_tags(root: Path = REPO) -> frozenset[str]:
    """The `[email]` URLs of publication.toml, e.g. `{{ unsubscribe_url }}`.

    The email service replaces them per subscriber, so they are not URLs yet.
    """
    with (root / "publication.toml").open("rb") as file:
        email = tomllib.load(file).get("email", {})
    return frozenset(v for k, v in email.items() if k.endswith("_url") and isinstance(v, str))


def vnu_problems(
    messages: list[VnuMessage], email: bool = False, merge_tags: frozenset[str] = frozenset()
) -> list[str]:
    """What must be fixed: every error and warning, less on emails what email needs.

    That is the presentational attributes above, and links whose whole value
    is one of `merge_tags`; nothing else.
    """

    def needed_by_email(message: VnuMessage) -> bool:
        href = _BAD_HREF.match(message.text)
        return presentational_email_attribute(message) or bool(href and href["value"] in merge_tags)

    return [str(m) for m in messages if not (email and needed_by_email(m))]


def listing(problems: dict[str, list[str]] | list[str]) -> str:
    """Problems as readable lines for an assertion message (pytest would cut a dict short)."""
    if isinstance(problems, list):
        return "\n" + "\n".join(problems)
    return "".join(
        f"\n{name}:" + "".join(f"\n  {line}" for line in lines) for name, lines in problems.items()
    )
