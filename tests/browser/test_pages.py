"""Every kind of web page, in Chromium at phone and desktop width, light and dark."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from publisher.content.config import load_publication

from .checks import REPO, VnuMessage, listing, vnu_problems
from .conftest import Inspection, problems

pytestmark = pytest.mark.browser

PAGES = [
    "home",
    *[f"post-{section.folder}" for section in load_publication(REPO).sections],
    "section",
    "tag",
    "tags",
    "archive",
    "404",
]
WIDTHS = (375, 1280)


@pytest.mark.parametrize("name", PAGES)
def test_page_fits_and_loads(
    inspect: Callable[..., Inspection], page_paths: dict[str, str], name: str
) -> None:
    """At each width: no sideways scrolling, console errors, failed or outside requests, broken images."""
    found = problems(inspect(page_paths[name], WIDTHS), "layout")
    assert not found, listing(found)


@pytest.mark.parametrize("name", PAGES)
def test_page_is_accessible(
    inspect: Callable[..., Inspection], page_paths: dict[str, str], name: str
) -> None:
    """axe-core finds nothing serious or critical at either width, in light or dark mode."""
    found = problems(inspect(page_paths[name], WIDTHS), "axe")
    assert not found, listing(found)


def test_every_page_is_valid_html(vnu_report: dict[Path, list[VnuMessage]], sample_site: Path) -> None:
    """The Nu Html Checker finds no error and no warning on any page of the site."""
    pages = sorted(sample_site.rglob("*.html"))
    assert len(pages) > 10
    found = {str(page.relative_to(sample_site)): vnu_problems(vnu_report[page.resolve()]) for page in pages}
    found = {page: lines for page, lines in found.items() if lines}
    assert not found, listing(found)
