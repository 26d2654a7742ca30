"""How long a line of text is in one font, as the social cards' word wrap asks it.

Wrapping a title asks for the length of each candidate line, the line so far plus
one more word, at each title size tried: measured whole, every candidate makes
FreeType load every glyph again. `CachedLengths` answers from lengths it has
measured once, and gives the same numbers as measuring whole.
"""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont


class Lengths(Protocol):
    """`ImageDraw.textlength` of text in one font."""

    def length(self, text: str) -> float: ...

    def joined(self, line: str, line_length: float, word: str) -> float:
        """The length of `f"{line} {word}"`, given the length of the non-empty `line`."""
        ...


class MeasuredLengths:
    """Every length measured whole: the straightforward way."""

    def __init__(self, draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont) -> None:
        self.draw = draw
        self.font = font

    def length(self, text: str) -> float:
        return self.draw.textlength(text, font=self.font)

    def joined(self, line: str, line_length: float, word: str) -> float:
        return self.length(f"{line} {word}")


class CachedLengths:
    """Lengths from cached pieces: a line's from the line so far and the next word's.

    Why they are the same numbers: with Pillow's basic layout (the one the cards use)
    a text's length is the sum of its characters' advances plus, for each pair of
    neighbouring characters, the font's kerning for that pair (FreeType's pair
    kerning looks at two glyphs and nothing else). So for non-empty `a` and `b`,
    length(a + b) = length(a) + length(b) + kern(a[-1], b[0]), where
    kern(x, y) = length(x + y) - length(x) - length(y). Every one of these is a
    whole number of 1/64 pixels, so a float holds them, and adds them, exactly.
    """

    def __init__(self, draw: ImageDraw.ImageDraw, font: ImageFont.FreeTypeFont) -> None:
        self._measured = lru_cache(maxsize=8192)(MeasuredLengths(draw, font).length)  # words, " " + word
        self._kern = lru_cache(maxsize=1024)(self._measure_kern)

    def length(self, text: str) -> float:
        return self._measured(text)

    def joined(self, line: str, line_length: float, word: str) -> float:
        return line_length + self._kern(line[-1], " ") + self._measured(" " + word)

    def _measure_kern(self, left: str, right: str) -> float:
        return self._measured(left + right) - self._measured(left) - self._measured(right)
