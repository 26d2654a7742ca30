"""Social cards: the 1200x630 PNG that link previews show for a post without a cover.

Drawn with Pillow from the publication's name, the post's section and title,
in the site's own serif (a file under `static/fonts/`, so the card looks the
same on every machine). The PNG carries no timestamp or other metadata, so
the same inputs always give the same bytes.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # Pillow is imported only when a card is drawn
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


@dataclass(frozen=True)
class CardText:
    """What a card says."""

    publication: str
    section: str
    title: str
    footer: str  # the site's address, e.g. civicledger.example


def social_card(text: CardText, static_dirs: list[Path]) -> bytes:
    """The card as PNG bytes. `static_dirs` are searched in order for the fonts."""
    from PIL import Image, ImageDraw

    regular = _font_file(static_dirs, REGULAR_FONT)
    bold = _font_file(static_dirs, BOLD_FONT)
    image = Image.new("RGB", (WIDTH, HEIGHT), BACKGROUND)
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, WIDTH, 14), fill=ACCENT)

    name_font = _font(bold, 34)
    draw.text(
        (MARGIN, 70), _fit(draw, text.publication, name_font, WIDTH - 2 * MARGIN), font=name_font, fill=ACCENT
    )
    label_font = _font(regular, 28)
    label = text.section.upper()
    draw.text((MARGIN, 136), _fit(draw, label, label_font, WIDTH - 2 * MARGIN), font=label_font, fill=MUTED)

    width = WIDTH - 2 * MARGIN
    for size in TITLE_SIZES:
        title_font = _font(bold, size)
        line_height = round(size * LINE_HEIGHT)
        room = (TITLE_BOTTOM - TITLE_TOP) // line_height
        lines = _wrap(draw, text.title, title_font, width)
        if len(lines) <= room:
            break
    if len(lines) > room:  # even the smallest size is too big: end the last line with an ellipsis
        lines = [*lines[: room - 1], _fit(draw, " ".join(lines[room - 1 :]), title_font, width, force=True)]
    for number, line in enumerate(lines):
        draw.text((MARGIN, TITLE_TOP + number * line_height), line, font=title_font, fill=TEXT)

    draw.line((MARGIN, HEIGHT - 96, WIDTH - MARGIN, HEIGHT - 96), fill=RULE, width=2)
    footer_font = _font(regular, 28)
    draw.text(
        (MARGIN, HEIGHT - 76), _fit(draw, text.footer, footer_font, width), font=footer_font, fill=MUTED
    )

    # The card has five colours and their anti-aliasing steps: as a palette PNG it is a third
    # of the size and several times faster to encode than as RGB. No tEXt, tIME or pHYs chunks.
    out = io.BytesIO()
    image.quantize(palette=_palette(), dither=Image.Dither.NONE).save(out, format="PNG", compress_level=3)
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


def _wrap(draw: ImageDraw.ImageDraw, text: str, font: ImageFont.FreeTypeFont, width: int) -> list[str]:
    """Greedy word wrap; a word wider than a line is cut where it must be."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}".strip()
        if draw.textlength(candidate, font=font) <= width:
            current = candidate
            continue
        if current:
            lines.append(current)
        while draw.textlength(word, font=font) > width:
            cut = max(
                1, next(i for i in range(len(word), 0, -1) if draw.textlength(word[:i], font=font) <= width)
            )
            lines.append(word[:cut])
            word = word[cut:]
        current = word
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
