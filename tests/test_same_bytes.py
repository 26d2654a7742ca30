"""The build's shortcuts give exactly the bytes of the straightforward way.

Each shortcut taken for speed (cards drawn on a shared frame, inline Markdown
patterns skipped when their text cannot match) is compared here with the
plain computation it replaces, on generated input.
"""

from __future__ import annotations

import markdown
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from publisher.content.inline_skip import REQUIRED, SkippingInlineProcessor, use_skipping_inline
from publisher.content.markup import BodyRenderer
from publisher.render import social
from publisher.render.email.plaintext import wrap
from publisher.render.social import CardText, _palette, _png, draw_card, social_card

STATIC = [REPO / "templates/static"]


def whole_card(text: CardText) -> bytes:
    return _png(draw_card(text, STATIC).quantize(palette=_palette(), dither=Image.Dither.NONE))


TITLES = st.text(
    alphabet=st.characters(categories=["L", "M", "N", "P", "Zs"], exclude_characters="\x00"), max_size=300
)


@settings(max_examples=25, deadline=None)
@given(TITLES, st.sampled_from(["Insight", "Playbook", "Ånalysis", ""]))
def test_a_card_drawn_on_the_shared_frame_is_the_card_drawn_whole(title: str, section: str) -> None:
    text = CardText("The Civic Ledger", section, title, "civicledger.example")
    assert social_card(text, STATIC) == whole_card(text)


def test_a_title_that_reaches_into_the_frame_is_drawn_whole_and_still_right(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Moved up into the section label, the title overlaps it: drawing order matters there."""
    text = CardText("The Civic Ledger", "Insight", "A title of some length", "civicledger.example")
    usual = social_card(text, STATIC)
    monkeypatch.setattr(social, "TITLE_TOP", 130)
    drawn_whole: list[CardText] = []
    monkeypatch.setattr(social, "draw_card", lambda *args: drawn_whole.append(args[0]) or draw_card(*args))
    card = social_card(text, STATIC)
    assert drawn_whole == [text]
    monkeypatch.undo()
    monkeypatch.setattr(social, "TITLE_TOP", 130)
    assert card == whole_card(text)
    assert card != usual


# --- Markdown: inline patterns skipped when their text cannot match ---------------------------------

EXTENSIONS = ["tables", "footnotes", "fenced_code", "codehilite", "toc", "attr_list"]
CONFIGS = {"codehilite": {"guess_lang": False, "css_class": "highlight"}, "toc": {"permalink": False}}
STOCK = markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS, output_format="html")
SKIPPING = markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS, output_format="html")
use_skipping_inline(SKIPPING)

# Pieces that make every inline pattern (and its near misses) turn up in generated text.
PIECES = [
    "word",
    " ",
    "  \n",
    "\n",
    "\n\n",
    "- ",
    "1. ",
    "# ",
    "> ",
    "`",
    "``",
    "\\",
    "\\\\",
    "*",
    "**",
    "_",
    "__",
    "[",
    "]",
    "(",
    ")",
    "[^1]",
    "[^1]: note",
    "![",
    "[a]: https://example.org",
    "<",
    ">",
    "<https://example.org/x>",
    "<me@example.org>",
    "<span>",
    "</span>",
    "<!-- c -->",
    "&amp;",
    "&",
    "&#169;",
    "{: .x }",
    "|",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "```\ncode\n```",
    "é",
    "http://x.org",
]


def convert(md: markdown.Markdown, text: str) -> tuple[str, object]:
    md.reset()
    return md.convert(text), md.toc_tokens  # type: ignore[attr-defined]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(PIECES) | st.text(max_size=5), max_size=16).map("".join))
def test_skipping_inline_patterns_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(SKIPPING, text) == convert(STOCK, text)


# One sample of each inline pattern on its own, so that only its own test lets it through.
SAMPLES = [
    "`code`",
    "\\*not emphasis\\*",
    "a[^1]\n\n[^1]: note",
    "[a][r]\n\n[r]: https://x.org",
    "[a](https://x.org)",
    "![i](x.png)",
    "![i][r]\n\n[r]: x.png",
    "[r]\n\n[r]: https://x.org",
    "![r]\n\n[r]: x.png",
    "<https://x.org>",
    "<me@x.org>",
    "a  \nb",
    "<span>x</span>",
    "a &copy; b",
    "*a*",
    "_a_",
    "__a__",
    "**a**",
    "***a***",
    "a_b_c",
    "- **Lead.** item\n- _other_ item",
]


@pytest.mark.parametrize("text", SAMPLES)
def test_each_inline_pattern_alone_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(SKIPPING, text) == convert(STOCK, text)


def test_every_inline_pattern_of_the_build_is_known_so_none_is_tried_needlessly() -> None:
    """If Python-Markdown changes an expression, the skip is lost for it (still correct, but slow)."""
    renderer = BodyRenderer()
    patterns = list(renderer._md.inlinePatterns)
    assert [p.compiled_re.pattern in REQUIRED for p in patterns] == [True] * len(patterns)
    assert isinstance(renderer._md.treeprocessors["inline"], SkippingInlineProcessor)


def test_the_sample_and_the_readme_convert_as_python_markdown_does() -> None:
    files = [*sorted((REPO / "posts").rglob("*.md")), REPO / "README.md", REPO / "CHANGELOG.md"]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert convert(SKIPPING, text) == convert(STOCK, text), file


# --- plain text: wrapping by searching for spaces, not adding word by word -------------------------


def word_by_word(text: str, width: int, first: str, rest: str) -> str:
    """The wrap the plain-text email had before, one word at a time."""
    lines: list[str] = []
    for part in text.split("\n"):
        line = ""
        for word in part.split():
            if not line:
                line = (rest if lines else first) + word
            elif len(line) + 1 + len(word) <= width:
                line += " " + word
            else:
                lines.append(line)
                line = rest + word
        if line:
            lines.append(line)
    return "\n".join(lines)


WRAP_TEXT = st.lists(
    st.sampled_from(["a", "bb", "word", "x" * 20, "y" * 90, " ", "  ", "\n", "\t", "\u00a0", "é"]),
    max_size=40,
).map("".join)


@settings(max_examples=300, deadline=None)
@given(
    WRAP_TEXT,
    st.integers(0, 100),
    st.sampled_from(["", "- ", "1. " * 30]),
    st.sampled_from(["", "  ", "> " * 40]),
)
def test_wrapping_gives_the_lines_of_word_by_word_wrapping(
    text: str, width: int, first: str, rest: str
) -> None:
    assert wrap(text, width, first, rest) == word_by_word(text, width, first, rest)
