"""Each check, run on a deliberately broken fixture, must flag it: a check that never fails proves nothing."""

from __future__ import annotations

from pathlib import Path

import pytest

from .checks import (
    VnuMessage,
    axe_violations,
    broken_images,
    email_merge_tags,
    listing,
    overflow,
    presentational_email_attribute,
    style_dependence,
    vnu_problems,
)
from .conftest import FIXTURE_PREFIX, FIXTURES, OpenPage

pytestmark = pytest.mark.browser


def test_overflow_flags_a_600px_element_at_375px(open_page: OpenPage) -> None:
    page, _ = open_page(FIXTURE_PREFIX + "overflow.html", 375)
    found = overflow(page)
    assert found and found[0].startswith("scrollWidth")
    assert any(line.startswith("div.wide reaches") for line in found), found


def test_overflow_accepts_the_same_page_when_it_fits(open_page: OpenPage) -> None:
    page, _ = open_page(FIXTURE_PREFIX + "overflow.html", 1280)
    assert overflow(page) == []


def test_axe_flags_missing_alt_text_and_low_contrast(open_page: OpenPage) -> None:
    page, _ = open_page(FIXTURE_PREFIX + "axe-violation.html", 1280)
    found = axe_violations(page)
    assert any(line.startswith("image-alt (critical)") for line in found), found
    assert any(line.startswith("color-contrast (serious)") for line in found), found


def test_page_log_flags_errors_failed_and_outside_requests_and_broken_images(open_page: OpenPage) -> None:
    page, log = open_page(FIXTURE_PREFIX + "broken.html", 1280)
    assert [src for src in broken_images(page) if src.endswith("/_fixtures/missing.png")]
    assert any("undefinedFunction" in error for error in log.console_errors), log.console_errors
    assert any("missing.png (HTTP 404)" in request for request in log.failed_requests), log.failed_requests
    assert log.blocked_requests == ["https://cdn.example.org/style.css"]


def test_style_stripping_flags_an_email_styled_only_by_its_style_element(open_page: OpenPage) -> None:
    page, _ = open_page(FIXTURE_PREFIX + "style-only-email.html", 600)
    changes = style_dependence(page)
    for expected in ('h1 "', 'p "Body', 'a.button "', 'blockquote "'):
        assert any(change.startswith(expected) for change in changes), (expected, changes)


def test_style_stripping_accepts_an_email_with_inline_styles(open_page: OpenPage) -> None:
    page, _ = open_page(FIXTURE_PREFIX + "inlined-email.html", 600)
    assert style_dependence(page) == []


def test_vnu_flags_invalid_html(vnu_report: dict[Path, list[VnuMessage]]) -> None:
    found = vnu_problems(vnu_report[(FIXTURES / "invalid.html").resolve()])
    assert any("missing a required instance of child element “title”" in line for line in found), found
    assert any("No “p” element in scope" in line for line in found), found
    assert any("Duplicate attribute “href”" in line for line in found), found


def test_vnu_lets_emails_keep_what_email_needs_and_nothing_else(
    vnu_report: dict[Path, list[VnuMessage]],
) -> None:
    messages = vnu_report[(FIXTURES / "email-presentational.html").resolve()]
    as_page = vnu_problems(messages)
    assert any("“cellpadding” attribute on the “table” element is obsolete" in line for line in as_page)
    assert any("Bad value “{{ unsubscribe_url }}”" in line for line in as_page)
    as_email = vnu_problems(messages, email=True, merge_tags=frozenset({"{{ unsubscribe_url }}"}))
    assert len(as_email) == 2, listing(as_email)
    assert "An “img” element must have an “alt” attribute" in as_email[0]
    assert "Bad value “{{ not_configured }}”" in as_email[1]


def test_merge_tags_are_the_email_urls_of_publication_toml(tmp_path: Path) -> None:
    (tmp_path / "publication.toml").write_text(
        '[email]\nfrom_address = "x@example.org"\nunsubscribe_url = "*|UNSUB|*"\n'
        'preferences_url = "{{ subscriber_preferences_url }}"\n',
        encoding="utf-8",
    )
    assert email_merge_tags(tmp_path) == {"*|UNSUB|*", "{{ subscriber_preferences_url }}"}
    (tmp_path / "publication.toml").write_text('title = "No email table"\n', encoding="utf-8")
    assert email_merge_tags(tmp_path) == frozenset()


@pytest.mark.parametrize(
    ("text", "allowed"),
    [
        ("The “bgcolor” attribute on the “td” element is obsolete. Use CSS instead.", True),
        ("The “cellspacing” attribute on the “table” element is obsolete. Use CSS instead.", True),
        ("The “border” attribute on the “img” element is obsolete. Consider specifying CSS.", True),
        ("The “align” attribute on the “p” element is obsolete. Use CSS instead.", False),
        ("The “center” element is obsolete. Use CSS instead.", False),
        ("The “font” element is obsolete. Use CSS instead.", False),
        ("An “img” element must have an “alt” attribute, except under certain conditions.", False),
    ],
)
def test_the_email_filter_is_narrow(text: str, allowed: bool) -> None:
    assert presentational_email_attribute(VnuMessage("error", 1, text)) is allowed
