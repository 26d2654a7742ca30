"""The social cards' shortcuts give exactly the bytes of the straightforward way.

`social_card` turns a title's glyph coverage straight into palette indices, and
measures text from cached word lengths; each is compared here with what it
replaces (drawing in RGB and quantising; `ImageDraw.textlength` on every
candidate line) on generated input. `tests/test_same_bytes.py` compares whole
cards with `draw_card`.
"""

from __future__ import annotations

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from publisher.render import social
from publisher.render.social import BACKGROUND, TEXT, CardText, _palette, _png, draw_card, social_card

STATIC = [REPO / "templates/static"]
BOLD = REPO / "templates/static" / social.BOLD_FONT


def whole_card(text: CardText) -> bytes:
    return _png(draw_card(text, STATIC).quantize(palette=_palette(), dither=Image.Dither.NONE))


def quantised(image: Image.Image) -> bytes:
    return image.quantize(palette=_palette(), dither=Image.Dither.NONE).tobytes()


def test_the_coverage_table_is_each_coverage_value_drawn_and_quantised() -> None:
    """All 256 values, one pixel at a time: the table is what drawing and quantising give."""
    table = social._coverage_indices()
    assert table is not None
    for coverage in range(256):
        pixel = Image.new("RGB", (1, 1), BACKGROUND)
        ImageDraw.Draw(pixel).bitmap((0, 0), Image.new("L", (1, 1), coverage), fill=TEXT)
        assert table[coverage] == quantised(pixel)[0], coverage


@settings(max_examples=10, deadline=None)
@given(st.text(alphabet="AÅÉÇgjpqyQW fiÑ,;'", min_size=1, max_size=40), st.sampled_from(social.TITLE_SIZES))
def test_a_line_drawn_in_rgb_and_quantised_is_its_mask_through_the_table(line: str, size: int) -> None:
    """The title's own glyphs: `ImageDraw.text` then quantising equals table[coverage] per pixel."""
    font = social._font(BOLD, size)
    mask, (left, top) = font.getmask2(line, "L", anchor="la", start=(0.0, 0.0))
    width, height = mask.size
    band = Image.new("RGB", (width + 20, height + 20), BACKGROUND)
    ImageDraw.Draw(band).text((10, 10), line, font=font, fill=TEXT)
    assert ImageDraw.Draw(band).textbbox((10, 10), line, font=font) == (
        10 + left,
        10 + top,
        10 + left + width,
        10 + top + height,
    )
    table = social._coverage_indices()
    assert table is not None
    expected = Image.new("L", band.size, table[0])
    if width and height:
        expected.im.paste(
            mask.point(table, None), (10 + left, 10 + top, 10 + left + width, 10 + top + height)
        )
    assert quantised(band) == expected.tobytes()


# Titles that wrap onto several lines, with tall accents and deep descenders, so that lines
# come as close as they can.
TALL_TITLES = st.lists(
    st.sampled_from(["Ångström", "ǺÉÊ", "gjpqy", "Quorum", "of", "the", "W", "ÇÑ", "jÅ", "Budget", "—"]),
    min_size=1,
    max_size=40,
).map(" ".join)


@settings(max_examples=20, deadline=None)
@given(TALL_TITLES)
def test_cards_of_tall_many_line_titles_are_the_cards_drawn_whole(title: str) -> None:
    text = CardText("The Civic Ledger", "Insight", title, "civicledger.example")
    assert social_card(text, STATIC) == whole_card(text)


def test_both_title_paths_are_taken_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """An ordinary title goes from coverage to index; lines that overlap go through RGB."""
    fast: list[bool] = []
    table = social._coverage_indices
    monkeypatch.setattr(social, "_coverage_indices", lambda: fast.append(True) or table())
    drawn_whole: list[CardText] = []
    monkeypatch.setattr(social, "draw_card", lambda *args: drawn_whole.append(args[0]) or draw_card(*args))
    title = "Quietly, the Ångström Budget Grows gjpqy"
    text = CardText("The Civic Ledger", "Insight", title, "civicledger.example")
    assert social_card(text, STATIC) == whole_card(text)
    assert fast == [True]
    monkeypatch.setattr(social, "LINE_HEIGHT", 0.8)  # the descenders of one line reach into the next
    assert social_card(text, STATIC) == whole_card(text)
    assert fast == [True]
    assert drawn_whole == []  # the band, drawn in RGB
