"""The social cards' shortcuts give exactly the bytes of the straightforward way.

`social_card` turns a title's glyph coverage straight into palette indices,
pastes the title word by word (each word drawn once per process), and wraps it
with lengths added up from cached word lengths; each is compared here with what
it replaces (drawing the lines in RGB and quantising; `ImageDraw.textlength` on
every candidate line) on generated input. `tests/test_same_bytes.py` compares
whole cards with `draw_card` too.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image, ImageDraw

from publisher.render import social
from publisher.render.social import BACKGROUND, TEXT, CardText, _palette, _png, draw_card, social_card
from publisher.render.text_lengths import CachedLengths, MeasuredLengths

STATIC = [REPO / "templates/static"]
BOLD = REPO / "templates/static" / social.BOLD_FONT
KERNED = Path("/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf")  # a kern table: basic layout kerns


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


def test_each_title_path_is_taken_and_right(monkeypatch: pytest.MonkeyPatch) -> None:
    """Words pasted one by one; failing that, lines from coverage to index; lines that overlap in RGB."""
    taken: list[str] = []
    word_pieces, table = social._word_pieces, social._coverage_indices

    def words(*args: Any) -> Any:
        pieces = word_pieces(*args)
        taken.append("no words" if pieces is None else "words")
        return pieces

    monkeypatch.setattr(social, "_word_pieces", words)
    drawn_whole: list[CardText] = []
    monkeypatch.setattr(social, "draw_card", lambda *args: drawn_whole.append(args[0]) or draw_card(*args))
    text = CardText(
        "The Civic Ledger", "Insight", "Quietly, the Ångström Budget Grows gjpqy", "civicledger.example"
    )
    assert social_card(text, STATIC) == whole_card(text)
    assert taken == ["words"]
    taken.clear()
    monkeypatch.setattr(social, "_word_pieces", lambda *args: None)
    monkeypatch.setattr(social, "_coverage_indices", lambda: taken.append("lines") or table())
    assert social_card(text, STATIC) == whole_card(text)
    assert taken == ["lines"]  # lines from coverage to index
    taken.clear()
    monkeypatch.setattr(social, "LINE_HEIGHT", 0.8)  # the descenders of one line reach into the next
    assert social_card(text, STATIC) == whole_card(text)
    assert taken == []
    assert drawn_whole == []  # the band, drawn in RGB


# Words whose glyphs reach past their advance or sit on odd marks, next to each other.
ODD_WORDS = st.lists(
    st.sampled_from(["fj", "ƒ", "“Quoted”", "—", "f", "j", "W.", "‘’", "Ǻ", "ſ", "ff", "x̧", "T", "y,", "…"]),
    min_size=1,
    max_size=30,
).map(" ".join)


@settings(max_examples=20, deadline=None)
@given(ODD_WORDS)
def test_cards_of_titles_of_odd_words_are_the_cards_drawn_whole(title: str) -> None:
    text = CardText("The Civic Ledger", "Analysis", title, "civicledger.example")
    assert social_card(text, STATIC) == whole_card(text)


# --- Word wrap: lengths from cached words ----------------------------------------------------------

WORDS = st.text(alphabet=st.characters(categories=["L", "M", "N", "P", "S"]), min_size=1, max_size=14)
KERNING = st.sampled_from(["AV", "To", "Wa", "f.", "T,", "LT", "Yo", "r."])  # pairs fonts kern
LINES = st.lists(WORDS | KERNING, max_size=30).map(" ".join)


@settings(max_examples=25, deadline=None)
@given(LINES, st.sampled_from(social.TITLE_SIZES), st.integers(min_value=120, max_value=1040))
def test_wrapping_with_cached_lengths_is_wrapping_with_measured_ones(
    text: str, size: int, width: int
) -> None:
    font = social._font(BOLD, size)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cached = social._wrap(CachedLengths(draw, font), text, width)
    assert cached == social._wrap(MeasuredLengths(draw, font), text, width)


def need_kerned_font() -> None:
    """Skip on a developer's machine without DejaVu Serif; fail in CI, which installs it."""
    if not KERNED.is_file():
        reason = "needs DejaVu Serif, a font with a kern table (apt-get install fonts-dejavu-core)"
        if os.environ.get("CI") == "true":
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)


@settings(max_examples=25, deadline=None)
@given(st.lists(WORDS | KERNING, min_size=2, max_size=8), st.integers(min_value=20, max_value=90))
def test_cached_lengths_hold_for_a_font_that_kerns(words: list[str], size: int) -> None:
    need_kerned_font()
    from PIL import ImageFont

    font = ImageFont.truetype(str(KERNED), size, layout_engine=ImageFont.Layout.BASIC)
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    cached, measured = CachedLengths(draw, font), MeasuredLengths(draw, font)
    line, length = words[0], cached.length(words[0])
    for word in words[1:]:
        length = cached.joined(line, length, word)
        line = f"{line} {word}"
        assert length == measured.length(line)
    assert social._wrap(cached, line, 300) == social._wrap(measured, line, 300)


def test_kerning_is_there_to_be_missed() -> None:
    """A sum of character lengths would be wrong for this font (so the test above means something)."""
    need_kerned_font()
    from PIL import ImageFont

    font = ImageFont.truetype(str(KERNED), 60, layout_engine=ImageFont.Layout.BASIC)
    assert font.getlength("AV To") != sum(font.getlength(character) for character in "AV To")
