"""The design in Chromium: the masthead, the home lead, share links, the serif, the social card."""

from __future__ import annotations

import pytest

from .conftest import OpenPage

pytestmark = pytest.mark.browser

BOX_JS = """(selector) => Array.from(document.querySelectorAll(selector)).map((el) => {
  const r = el.getBoundingClientRect();
  return {top: r.top, bottom: r.bottom, left: r.left, right: r.right, width: r.width};
})"""


def boxes(page: object, selector: str) -> list[dict[str, float]]:
    found = page.evaluate(BOX_JS, selector)  # type: ignore[attr-defined]
    assert found, f"nothing matches {selector}"
    return found


@pytest.mark.parametrize(("path", "width"), [("/", 320), ("/p/the-permit-bottleneck/", 375)])
def test_phone_masthead_is_one_line_with_a_sideways_section_row(
    open_page: OpenPage, path: str, width: int
) -> None:
    page, log = open_page(path, width, height=700)
    [title] = boxes(page, ".site-title")
    [button] = boxes(page, ".masthead .subscribe-link")
    assert button["top"] < title["bottom"] and title["top"] < button["bottom"], "name and button share a row"
    assert button["right"] <= width and title["left"] >= 0
    links = boxes(page, ".site-nav a")
    assert len({round(link["top"]) for link in links}) == 1, "the sections stay on one line"
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "only the section row scrolls"
    nav = page.locator(".site-nav")
    assert nav.evaluate("el => getComputedStyle(el).overflowX") == "auto"
    # the last section is reachable: by keyboard, and in full once the row is scrolled
    page.locator(".site-nav a", has_text="Archive").focus()
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Tags"
    [tags] = boxes(page, ".site-nav a:focus")
    assert tags["left"] < width, "the focused section is on screen"
    nav.evaluate("el => { el.scrollLeft = el.scrollWidth; }")
    [tags] = boxes(page, ".site-nav a:focus")
    assert tags["left"] >= 0 and tags["right"] <= width
    assert log.problems() == []


def test_desktop_masthead_centres_the_name_with_the_button_at_the_right(open_page: OpenPage) -> None:
    page, log = open_page("/", 1280)
    [title] = boxes(page, ".site-title")
    [button] = boxes(page, ".masthead .subscribe-link")
    assert abs((title["left"] + title["right"]) / 2 - 640) <= 2
    assert button["left"] > title["right"] and button["right"] > 1280 - 120
    assert (
        page.locator(".masthead .subscribe-link").evaluate("el => getComputedStyle(el).borderRadius") != "0px"
    )
    assert log.problems() == []


@pytest.mark.parametrize("width", [375, 1280])
def test_home_calls_to_subscribe_above_the_fold_then_leads_with_the_newest_post(
    open_page: OpenPage, width: int
) -> None:
    page, log = open_page("/", width, height=812)
    [intro_button] = boxes(page, ".intro .button")
    assert intro_button["bottom"] <= 812, "the call to subscribe is visible without scrolling"
    lead = page.locator(".lead-title")
    card = page.locator(".card-title").first

    def size(locator: object) -> float:
        return float(locator.evaluate("el => parseFloat(getComputedStyle(el).fontSize)"))  # type: ignore[attr-defined]

    assert size(lead) > size(card) * 1.2, "the lead post's title is larger than the others"
    assert lead.inner_text() == "The Budget Hearing Calendar for 2026"
    thumb = page.locator("article.card .card-thumb img")
    assert thumb.count() == 1
    assert thumb.evaluate("img => img.complete && img.naturalWidth") == 1200
    assert log.problems() == []


def test_share_links_need_no_script_and_the_link_shows_on_click(open_page: OpenPage) -> None:
    page, log = open_page("/p/budget-hearing-dates/", 375)
    names = page.locator(".post-header .share-links a").all_inner_texts()
    assert names == ["Email", "Bluesky", "Mastodon", "LinkedIn"]
    assert page.evaluate("document.scripts.length") == 1  # the JSON-LD data block, which does not run
    assert page.evaluate("document.scripts[0].type") == "application/ld+json"
    url = page.locator(".share-url")
    assert not url.is_visible()
    page.locator(".share-copy summary").click()
    assert url.is_visible()
    assert url.inner_text() == "https://civicledger.example/p/budget-hearing-dates/"
    assert url.evaluate("el => getComputedStyle(el).userSelect") == "all"
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert log.problems() == []


def test_the_byline_and_the_serif_are_loaded(open_page: OpenPage) -> None:
    page, log = open_page("/p/the-permit-bottleneck/", 1280)
    assert page.locator(".byline .authors").inner_text() == "By Maya Okafor"
    page.evaluate("document.fonts.ready")
    loaded = page.evaluate(
        "Array.from(document.fonts).filter(f => f.status === 'loaded').map(f => f.family + ' ' + f.style)"
    )
    assert '"Source Serif 4" normal' in loaded or "Source Serif 4 normal" in loaded
    body_font = page.locator(".post-body p").first.evaluate("el => getComputedStyle(el).fontFamily")
    assert body_font.startswith('"Source Serif 4"')
    meta_font = page.locator(".byline .meta").evaluate("el => getComputedStyle(el).fontFamily")
    assert meta_font.startswith("system-ui")
    assert log.problems() == []


def test_the_social_card_is_a_1200_by_630_png_that_loads(open_page: OpenPage) -> None:
    page, log = open_page("/p/budget-hearing-dates/", 1280)
    image = page.locator('meta[property="og:image"]').get_attribute("content")
    assert image == page.locator('meta[name="twitter:image"]').get_attribute("content")
    assert image is not None and image.endswith("/p/budget-hearing-dates/card.png")
    size = page.evaluate(
        """(src) => new Promise((done) => {
             const img = new Image();
             img.onload = () => done([img.naturalWidth, img.naturalHeight]);
             img.onerror = () => done(null);
             img.src = src;
           })""",
        image,
    )
    assert size == [1200, 630]
    assert log.problems() == []
