"""Screenshots for people to look at: the home page and a post (phone and desktop, light and dark), an email.

Saved to build/screenshots/ with `pytest -m browser --screenshots`; without
the option they go to a temp folder, so this code is exercised on every run.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from .conftest import EMAIL_PREFIX, OpenPage

pytestmark = pytest.mark.browser

PHONE = (375, 812)
DESKTOP = (1280, 800)
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def shoot(open_page: OpenPage, path: str, size: tuple[int, int], scheme: str, target: Path) -> None:
    """One viewport-sized (not full-page) screenshot, so the files stay small."""
    page, log = open_page(path, size[0], scheme, height=size[1])
    page.screenshot(path=target)
    assert log.problems() == []
    assert target.read_bytes().startswith(PNG_SIGNATURE)


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize(("device", "size"), [("phone", PHONE), ("desktop", DESKTOP)])
@pytest.mark.parametrize("name", ["home", "post"])
def test_page_screenshot(
    open_page: OpenPage,
    page_paths: dict[str, str],
    screenshot_dir: Path,
    name: str,
    device: str,
    size: tuple[int, int],
    scheme: str,
) -> None:
    shoot(open_page, page_paths[name], size, scheme, screenshot_dir / f"{name}-{device}-{scheme}.png")


def test_email_screenshot(
    open_page: OpenPage, page_paths: dict[str, str], email_files: list[Path], screenshot_dir: Path
) -> None:
    """The email of the same post as above, when there is one; else the first email."""
    slug = page_paths["post"].rstrip("/").rsplit("/", 1)[-1]
    email = next((e for e in email_files if e.stem == slug), email_files[0])
    shoot(open_page, EMAIL_PREFIX + email.name, PHONE, "light", screenshot_dir / "email-phone.png")
