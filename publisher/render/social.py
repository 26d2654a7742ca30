"""Social cards: the 1200x630 PNG that link previews show for a post without a cover.

Drawn with Pillow from the publication's name, the post's section and title,
in the site's own serif (a file under `static/fonts/`, so the card looks the
same on every machine). The PNG carries no timestamp or other metadata, so
the same inputs always give the same bytes.
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from functools import cache, lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from publisher.render.text_lengths import CachedLengths, Lengths, MeasuredLengths

if TYPE_CHECKING:  # Pillow is imported only when a card is drawn
    from collections.abc import Callable

    from PIL import Image, ImageDraw, ImageFont

WIDTH, HEIGHT = 1200, 630
MARGIN = 80
BACKGROUND = "#fdfcf9"  # the site's page colour
TEXT = "#1f2328"  # 15.5:1 on the background
MUTED = "#545b64"  # 6.6:1
ACCENT = "#0b5d6b"  # 7.3:1
RULE = "#d9d5c9"
REGULAR_FONT = "fonts/source-serif-4-latin-400-normal.woff2"
BOLD_FONT = "fonts/source-serif-4-latin-700-normal.woff2"
TITLE_SIZES = (76, 68, 60, 54, 48, 42)  # the largest whose lines fit in the title box wins
TITLE_TOP, TITLE_BOTTOM = 200, HEIGHT - 116
LINE_HEIGHT = 1.18
Box = tuple[float, float, float, float]  # left, top, right, bottom (exclusive), in pixels


@dataclass(frozen=True)
class CardText:
    """What a card says."""

    publication: str
    section: str
    title: str
    footer: str  # the site's address, e.g. civicledger.example


def social_card(text: CardText, static_dirs: list[Path]) -> bytes:
    """The card as PNG bytes. `static_dirs` are searched in order for the fonts.

    Only the title differs between the cards of one section, so the rest of the
    card is drawn and quantised once (`_frame`) and each card adds its title; the
    result is pixel for pixel the card `draw_card` makes, as long as the title
    touches nothing else on the card (otherwise the order of drawing could matter,
    and the card is drawn whole). Where the title's lines also keep clear of each
    other, each title pixel's palette index follows from its glyph coverage alone
    (`_coverage_indices`), so the lines' coverage masks go straight into the
    palette image; where lines overlap, the band they cover is drawn in RGB and
    quantised as `draw_card` would.
    """
    from PIL import Image

    bold = _font_file(static_dirs, BOLD_FONT)
    regular = _font_file(static_dirs, REGULAR_FONT)
    frame = _frame(text.publication, text.section, text.footer, regular, bold)
    title_font, line_height, lines = _title_lines(frame.draw, text.title, bold, _cached_lengths)
    places = [(MARGIN, TITLE_TOP + number * line_height) for number in range(len(lines))]
    words = _word_pieces(title_font, lines, places, frame.boxes)
    if words is not None:
        return _indexed_card(frame, words)
    masks: list[Piece] = []
    for (x, y), line in zip(places, lines, strict=True):
        if line:  # the coverage mask `ImageDraw.text` draws, and where it draws it
            mask, (left, top) = title_font.getmask2(line, "L", anchor="la", start=(0.0, 0.0))
            masks.append((mask, (x + left, y + top, x + left + mask.size[0], y + top + mask.size[1])))
    boxes = [box for _, box in masks]
    if not boxes:
        return _png(frame.palette_image)
    top, bottom = math.floor(min(box[1] for box in boxes)), math.ceil(max(box[3] for box in boxes))
    if any(_overlaps(box, other) for box in boxes for other in frame.boxes) or top < 0 or bottom > HEIGHT:
        return _png(draw_card(text, static_dirs).quantize(palette=_palette(), dither=Image.Dither.NONE))
    apart = not any(_overlaps(box, other) for number, box in enumerate(boxes) for other in boxes[:number])
    if apart and all(_inside(box) for box in boxes) and (table := _coverage_indices()) is not None:
        lines_indices = [
            (mask.point(table, None), box) for mask, box in masks if mask.size[0] and mask.size[1]
        ]
        return _indexed_card(frame, lines_indices)
    band = frame.rgb.crop((0, top, WIDTH, bottom))
    draw = _draw(band)
    for (x, y), line in zip(places, lines, strict=True):
        draw.text((x, y - top), line, font=title_font, fill=TEXT)
    card = frame.palette_image.copy()
    card.paste(band.quantize(palette=_palette(), dither=Image.Dither.NONE), (0, top))
    return _png(card)


Piece = tuple["Image.core.ImagingCore", tuple[int, int, int, int]]  # palette indices, and where they go


def _indexed_card(frame: _Frame, pieces: list[Piece]) -> bytes:
    """The frame with `pieces` of title pasted into its palette indices, as PNG."""
    card = frame.indices.copy()
    for image, box in pieces:
        card.im.paste(image, box)
    card.putpalette(_palette().getpalette() or [])
    return _png(card)


def _word_pieces(
    font: ImageFont.FreeTypeFont, lines: list[str], places: list[tuple[int, int]], frame: list[Box]
) -> list[Piece] | None:
    """The title as its words' palette indices and where each goes; None where that shortcut is off.

    Pillow draws a line glyph by glyph at each glyph's pen position, and a glyph's image
    does not depend on where it is drawn as long as the pen stands on a whole pixel. So a
    word drawn alone and put where the line starts it is what the line draws there, and
    where no two words' boxes overlap, pasting the words one by one is drawing the lines.
    A word starts at the length of its line up to and including it, less its own length
    (`CachedLengths`, exact). The words' indices are cached (`_word_indices`): titles
    share words. The boxes must keep clear of the frame and of each other, on the card.
    """
    if _coverage_indices() is None:
        return None
    lengths = _cached_lengths(font)
    pieces: list[Piece] = []
    for (x, y), line in zip(places, lines, strict=True):
        previous, length = "", 0.0
        for word in line.split(" ") if line else []:
            if not word:
                return None
            length = lengths.joined(previous, length, word) if previous else lengths.length(word)
            pen = length - lengths.length(word)
            if not pen.is_integer():
                return None
            image, (left, top) = _word_indices(font, word)
            if image.size[0] and image.size[1]:
                left, top = x + int(pen) + left, y + top
                pieces.append((image, (left, top, left + image.size[0], top + image.size[1])))
            previous = word
    boxes = [box for _, box in pieces]
    if not boxes or not all(_inside(box) for box in boxes):
        return None
    union = (min(box[0] for box in boxes), min(box[1] for box in boxes))
    union += (max(box[2] for box in boxes), max(box[3] for box in boxes))
    near = [other for other in frame if _overlaps(union, other)]  # usually none
    if any(_overlaps(box, other) for box in boxes for other in near):
        return None
    if any(_overlaps(box, other) for number, box in enumerate(boxes) for other in boxes[:number]):
        return None
    return pieces


@lru_cache(maxsize=256)  # some 14 KB each at the largest size: at most about 4 MB
def _word_indices(font: ImageFont.FreeTypeFont, word: str) -> tuple[Image.core.ImagingCore, tuple[int, int]]:
    """A word's palette indices as `ImageDraw.text` would draw it at a whole pixel, and its offset."""
    mask, offset = font.getmask2(word, "L", anchor="la", start=(0.0, 0.0))
    table = _coverage_indices()
    assert table is not None  # only asked for when there is a table
    return (mask.point(table, None) if mask.size[0] and mask.size[1] else mask), offset


@cache
def _coverage_indices() -> list[int] | None:
    """For each glyph coverage value, the palette index of a background pixel inked that much.

    `ImageDraw.text` blends each pixel of the background towards the ink by the glyph
    coverage there, and quantising without dithering maps each pixel on its own, so on a
    plain background a title pixel's index depends on its coverage alone. The table is
    made by doing exactly that to all 256 coverage values at once (`ImageDraw.bitmap` is
    the same blend `ImageDraw.text` ends with). None, and the shortcut off, if zero
    coverage would not keep the background's index (pixels the lines' boxes cover but
    no glyph touches must stay as they are).
    """
    from PIL import Image, ImageDraw

    ramp = Image.new("L", (256, 1))
    ramp.putdata(range(256))
    inked = Image.new("RGB", (256, 1), BACKGROUND)
    ImageDraw.Draw(inked).bitmap((0, 0), ramp, fill=TEXT)
    table = list(inked.quantize(palette=_palette(), dither=Image.Dither.NONE).tobytes())
    plain = Image.new("RGB", (1, 1), BACKGROUND).quantize(palette=_palette(), dither=Image.Dither.NONE)
    return table if table[0] == plain.tobytes()[0] else None


def _inside(box: Box) -> bool:
    return box[0] >= 0 and box[1] >= 0 and box[2] <= WIDTH and box[3] <= HEIGHT


def draw_card(text: CardText, static_dirs: list[Path]) -> Image.Image:
    """The whole card in RGB, drawn element by element (what `social_card` must equal)."""
    from PIL import Image, ImageDraw

    regular = _font_file(static_dirs, REGULAR_FONT)
    bold = _font_file(static_dirs, BOLD_FONT)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    _draw_header(draw, text.publication, text.section, regular, bold)
    title_font, line_height, lines = _title_lines(draw, text.title, bold)
    for number, line in enumerate(lines):
        draw.text((MARGIN, TITLE_TOP + number * line_height), line, font=title_font, fill=TEXT)
    _draw_footer(draw, text.footer, regular)
    return image


def _draw_header(
    draw: ImageDraw.ImageDraw, publication: str, section: str, regular: Path, bold: Path
) -> list[Box]:
    """The accent bar, the publication's name and the section; returns the boxes drawn on."""
    boxes: list[Box] = [(0, 0, WIDTH + 1, 15)]
    draw.rectangle((0, 0, WIDTH, 14), fill=ACCENT)
    name_font = _font(bold, 34)
    name = _fit(draw, publication, name_font, WIDTH - 2 * MARGIN)
    boxes.append(draw.textbbox((MARGIN, 70), name, font=name_font))
    draw.text((MARGIN, 70), name, font=name_font, fill=ACCENT)
    label_font = _font(regular, 28)
    label = _fit(draw, section.upper(), label_font, WIDTH - 2 * MARGIN)
    boxes.append(draw.textbbox((MARGIN, 136), label, font=label_font))
    draw.text((MARGIN, 136), label, font=label_font, fill=MUTED)
    return boxes


def _draw_footer(draw: ImageDraw.ImageDraw, footer: str, regular: Path) -> list[Box]:
    """The rule and the site's address; returns the boxes drawn on."""
    width = WIDTH - 2 * MARGIN
    boxes: list[Box] = [(MARGIN - 2, HEIGHT - 98, WIDTH - MARGIN + 3, HEIGHT - 93)]
    draw.line((MARGIN, HEIGHT - 96, WIDTH - MARGIN, HEIGHT - 96), fill=RULE, width=2)
    footer_font = _font(regular, 28)
    address = _fit(draw, footer, footer_font, width)
    boxes.append(draw.textbbox((MARGIN, HEIGHT - 76), address, font=footer_font))
    draw.text((MARGIN, HEIGHT - 76), address, font=footer_font, fill=MUTED)
    return boxes


def _title_lines(
    draw: ImageDraw.ImageDraw,
    title: str,
    bold: Path,
    lengths: Callable[[ImageFont.FreeTypeFont], Lengths] | None = None,
) -> tuple[ImageFont.FreeTypeFont, int, list[str]]:
    """The largest title size whose lines fit the title box, its line height and the lines.

    `lengths` measures the candidate lines (by default each is measured whole)."""
    width = WIDTH - 2 * MARGIN
    for size in TITLE_SIZES:
        title_font = _font(bold, size)
        line_height = round(size * LINE_HEIGHT)
        room = (TITLE_BOTTOM - TITLE_TOP) // line_height
        measure = MeasuredLengths(draw, title_font) if lengths is None else lengths(title_font)
        lines = _wrap(measure, title, width)
        if len(lines) <= room:
            break
    if len(lines) > room:  # even the smallest size is too big: end the last line with an ellipsis
        lines = [*lines[: room - 1], _fit(draw, " ".join(lines[room - 1 :]), title_font, width, force=True)]
    return title_font, line_height, lines


@cache
def _cached_lengths(font: ImageFont.FreeTypeFont) -> Lengths:
    from PIL import Image

    return CachedLengths(_draw(Image.new("RGB", (1, 1))), font)


@dataclass
class _Frame:
    """Everything on a card but its title, in RGB and quantised, and where it was drawn."""

    rgb: Image.Image
    palette_image: Image.Image
    indices: Image.Image  # palette_image's indices as an "L" image, to paste a title's indices into
    draw: ImageDraw.ImageDraw  # for measuring text
    boxes: list[Box]


@lru_cache(maxsize=16)
def _frame(publication: str, section: str, footer: str, regular: Path, bold: Path) -> _Frame:
    from PIL import Image

    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = _draw(image)
    boxes = _draw_header(draw, publication, section, regular, bold) + _draw_footer(draw, footer, regular)
    # And every pixel that differs from the background, in strips: the title must not touch them.
    background = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    from PIL import ImageChops

    difference = ImageChops.difference(image, background)
    for row_top in range(0, HEIGHT, 10):  # in strips, so boxes stay tight
        strip = difference.crop((0, row_top, WIDTH, min(HEIGHT, row_top + 10)))
        box = strip.getbbox()
        if box is not None:
            boxes.append((box[0], row_top + box[1], box[2], row_top + box[3]))
    palette_image = image.quantize(palette=_palette(), dither=Image.Dither.NONE)
    indices = Image.frombytes("L", palette_image.size, palette_image.tobytes())
    return _Frame(image, palette_image, indices, draw, boxes)


def _draw(image: Image.Image) -> ImageDraw.ImageDraw:
    from PIL import ImageDraw

    return ImageDraw.Draw(image)


def _overlaps(one: Box, two: Box) -> bool:
    return one[0] < two[2] and two[0] < one[2] and one[1] < two[3] and two[1] < one[3]


def _png(image: Image.Image) -> bytes:
    # The card has five colours and their anti-aliasing steps: as a palette PNG it is a third
    # of the size and several times faster to encode than as RGB. No tEXt, tIME or pHYs chunks.
    out = io.BytesIO()
    image.save(out, format="PNG", compress_level=3)
    return out.getvalue()


STEPS = 16  # anti-aliasing levels kept between the background and each ink


@cache
def _palette() -> Image.Image:
    """The background, then STEPS blends from it to each ink colour."""
    from PIL import Image, ImageColor

    background = ImageColor.getrgb(BACKGROUND)
    colours = [background]
    for ink in (TEXT, MUTED, ACCENT, RULE):
        rgb = ImageColor.getrgb(ink)
        for step in range(1, STEPS + 1):
            colours.append(
                tuple(round(b + (i - b) * step / STEPS) for b, i in zip(background, rgb, strict=True))
            )
    palette = Image.new("P", (1, 1))
    palette.putpalette([channel for colour in colours for channel in colour])
    return palette


def _font_file(static_dirs: list[Path], name: str) -> Path:
    for folder in static_dirs:
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"templates/static/{name} not found: the social cards are drawn with it")


@cache
def _font(path: Path, size: int) -> ImageFont.FreeTypeFont:
    from PIL import ImageFont

    # The basic layout engine: the same glyph positions whether or not libraqm is installed.
    return ImageFont.truetype(str(path), size, layout_engine=ImageFont.Layout.BASIC)


def _wrap(lengths: Lengths, text: str, width: int) -> list[str]:
    """Greedy word wrap; a word wider than a line is cut where it must be."""
    lines: list[str] = []
    current = ""
    current_length = 0.0
    for word in text.split():
        length = lengths.joined(current, current_length, word) if current else lengths.length(word)
        if length <= width:
            current = f"{current} {word}" if current else word
            current_length = length
            continue
        if current:
            lines.append(current)
        while lengths.length(word) > width:
            cut = max(1, next(i for i in range(len(word), 0, -1) if lengths.length(word[:i]) <= width))
            lines.append(word[:cut])
            word = word[cut:]
        current = word
        current_length = lengths.length(word)
    if current:
        lines.append(current)
    return lines or [""]


def _fit(
    draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int, force: bool = False
) -> str:
    """`text` on one line, shortened with an ellipsis if it is too wide (or if `force`)."""
    text = " ".join(text.split())
    if not force and draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"
