"""Every email, in Chromium at phone and email width, with and without its <style>."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from .checks import VnuMessage, email_merge_tags, listing, vnu_problems
from .conftest import EMAIL_PREFIX, Inspection, problems

pytestmark = pytest.mark.browser

WIDTHS = (375, 600)


def each_email(inspect: Callable[..., Inspection], emails: list[Path], what: str) -> Inspection:
    """Problems of kind `what` in every email, keyed "<email> at <width> px ..."."""
    found: Inspection = {}
    for email in emails:
        inspection = inspect(EMAIL_PREFIX + email.name, WIDTHS, strip_styles=True)
        found |= {f"{email.name} at {key}": lines for key, lines in problems(inspection, what).items()}
    return found


def test_email_fits_and_loads(inspect: Callable[..., Inspection], email_files: list[Path]) -> None:
    """No sideways scrolling, console errors, failed or outside requests, or broken images."""
    found = each_email(inspect, email_files, "layout")
    assert not found, listing(found)


def test_email_looks_the_same_without_style_elements(
    inspect: Callable[..., Inspection], email_files: list[Path]
) -> None:
    """Webmail that drops <style> shows the same headings, text, links, quotes and buttons."""
    found = each_email(inspect, email_files, "without <style>")
    assert not found, listing(found)


def test_email_is_accessible(inspect: Callable[..., Inspection], email_files: list[Path]) -> None:
    """axe-core finds nothing serious or critical in an email either, light or dark."""
    found = each_email(inspect, email_files, "axe")
    assert not found, listing(found)


def test_every_email_is_valid_html(vnu_report: dict[Path, list[VnuMessage]], email_files: list[Path]) -> None:
    """No vnu error or warning except the presentational attributes and merge tags email needs."""
    tags = email_merge_tags()
    found = {email.name: vnu_problems(vnu_report[email.resolve()], True, tags) for email in email_files}
    found = {name: lines for name, lines in found.items() if lines}
    assert not found, listing(found)
