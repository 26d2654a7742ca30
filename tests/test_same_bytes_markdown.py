"""The Markdown shortcuts give exactly Python-Markdown's own HTML.

Each shortcut taken for speed in converting a post body is compared here with
stock Python-Markdown (the same extensions, nothing skipped) on generated
input and on samples that only the shortcut's own check lets through.
"""

from __future__ import annotations

import itertools
from xml.etree.ElementTree import Element

import markdown
import pytest
from conftest import REPO
from hypothesis import given, settings
from hypothesis import strategies as st
from markdown.blockprocessors import BlockProcessor, ReferenceProcessor
from markdown.extensions.fenced_code import FencedBlockPreprocessor
from markdown.extensions.footnotes import FootnoteBlockProcessor
from markdown.preprocessors import HtmlBlockPreprocessor, NormalizeWhitespace

from publisher.content.block_level import BlockLevelNames
from publisher.content.block_skip import (
    KNOWN,
    Needs,
    SkippingBlockParser,
    needs_of,
    use_skipping_blocks,
)
from publisher.content.markup import BodyRenderer, use_shortcuts
from publisher.content.preprocess_skip import Unchanging, use_skipping_preprocessors
from publisher.content.tree_skip import QuickAttrList, QuickToc, use_quick_tree_passes

EXTENSIONS = ["tables", "footnotes", "fenced_code", "codehilite", "toc", "attr_list"]
CONFIGS = {"codehilite": {"guess_lang": False, "css_class": "highlight"}, "toc": {"permalink": False}}


def stock() -> markdown.Markdown:
    return markdown.Markdown(extensions=EXTENSIONS, extension_configs=CONFIGS, output_format="html")


STOCK = stock()
BLOCKS = stock()
use_skipping_blocks(BLOCKS)


def convert(md: markdown.Markdown, text: str) -> tuple[str, object]:
    md.reset()
    return md.convert(text), md.toc_tokens  # type: ignore[attr-defined]


# --- block processors skipped when their block cannot match -----------------------------------------

# Pieces that make every block processor (and its near misses) turn up in generated text.
BLOCK_PIECES = [
    "word",
    " ",
    "   ",
    "    ",
    "\t",
    "\n",
    "\n\n",
    "# ",
    "## h ##",
    "#",
    "\n#",
    "Title\n===",
    "Title\n---",
    "\n=",
    "\n-",
    "=",
    "-",
    "---",
    "- - -",
    "***",
    "* * *",
    "___",
    "_",
    "*",
    "**Lead.** ",
    "- ",
    "* ",
    "+ ",
    "1. ",
    "    - ",
    "> ",
    ">",
    "   > ",
    "[^1]: note",
    "[^1]",
    "[^",
    "]:",
    "[a]: https://example.org",
    '[b]: <https://example.org/b> "Title"',
    "[a]",
    "|",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "a | b\n-- | --",
    "| a |\n|---|",
    "```\ncode\n```",
    "<div>x</div>",
    "{: .x }",
]

BLOCK_TEXT = st.lists(st.sampled_from(BLOCK_PIECES) | st.text(max_size=4), max_size=20).map("".join)


@settings(max_examples=400, deadline=None)
@given(BLOCK_TEXT)
def test_skipping_block_processors_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(BLOCKS, text) == convert(STOCK, text)


# A sample of each checked processor's kind of block, so that only its own check lets it through,
# each also inside a list item, where blocks are parsed again.
BLOCK_SAMPLES = [
    "# Heading",
    "text\n## Heading ##\nmore",
    "Heading\n=======",
    "Heading\n-------\ntext",
    "text\n---",
    "text\n***\nmore",
    "   _ _ _",
    "- - -",
    "---",
    "***",
    "___",
    "text\n- - -",
    "text\n___\nmore",
    "text\n   * * *",
    "> quoted",
    "text\n   > quoted\nmore",
    "text[^1]\n\n[^1]: the note",
    "text[^1]\n[^1]: the note",
    "[a][r]\n\n[r]: https://example.org",
    "[r]\n[r]: https://example.org 'Title'",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "a | b\n--|--\n1 | 2",
    "| one |\n| --- |\n| 1 |",
]


@pytest.mark.parametrize(
    "text", BLOCK_SAMPLES + [f"- item\n\n    {s.replace(chr(10), chr(10) + '    ')}" for s in BLOCK_SAMPLES]
)
def test_each_checked_block_processor_alone_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(BLOCKS, text) == convert(STOCK, text)


def would_take(processor: BlockProcessor, block: str) -> bool:
    """The processor's own answer: its test, or for those whose test is always yes, its search."""
    if isinstance(processor, (FootnoteBlockProcessor, ReferenceProcessor)):
        return processor.RE.search(block) is not None
    return bool(processor.test(Element("div"), block))


CHECKED = [(p, needs) for p in BodyRenderer()._md.parser.blockprocessors if (needs := needs_of(p))]


@pytest.mark.parametrize(("processor", "needs"), CHECKED, ids=[type(p).__name__ for p, _ in CHECKED])
def test_a_block_a_processor_would_take_always_passes_its_check_short_blocks_all_tried(
    processor: BlockProcessor, needs: Needs
) -> None:
    """Every block of up to five characters from the ones that matter (and a letter)."""
    for length in range(6):
        for chars in itertools.product(" \n-_*x#=>|[^]:"[: 7 if length == 5 else None], repeat=length):
            block = "".join(chars)
            if would_take(processor, block):
                assert needs.admits(block), (type(processor).__name__, block)


@settings(max_examples=500, deadline=None)
@given(st.lists(st.sampled_from(BLOCK_PIECES) | st.text(" \n-_*x#=>|[^]:", max_size=6), max_size=12))
def test_a_block_a_processor_would_take_always_passes_its_check(pieces: list[str]) -> None:
    block = "".join(pieces)
    for processor, needs in CHECKED:
        if would_take(processor, block):
            assert needs.admits(block), (type(processor).__name__, block)


def test_every_searching_block_processor_of_the_build_is_known_so_none_is_tested_needlessly() -> None:
    """If Python-Markdown changes an expression, the skip is lost for it (still correct, but slow)."""
    renderer = BodyRenderer()
    assert type(renderer._md.parser) is SkippingBlockParser
    checked = {type(p).__name__ for p in renderer._md.parser.blockprocessors if needs_of(p) is not None}
    assert checked == {kind.__name__ for kind, _ in KNOWN} | {"TableProcessor"}


def test_the_sample_and_the_readme_convert_as_python_markdown_does() -> None:
    files = [*sorted((REPO / "posts").rglob("*.md")), REPO / "README.md", REPO / "CHANGELOG.md"]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert convert(BLOCKS, text) == convert(STOCK, text), file


# --- preprocessors skipped when the text holds nothing they change ----------------------------------

PREP_PIECES = [
    "word",
    " ",
    "   ",
    "\n",
    "\n\n",
    "\n   \n",
    "   \n",
    "\n  ",
    "\t",
    "\r",
    "\r\n",
    "\x02",
    "\x03",
    "```",
    "~~~",
    "```python\nx = 1\n```",
    "~~~\ncode\n~~~",
    "<",
    ">",
    "<div>\nx\n</div>",
    "<span>x</span>",
    "<!-- c -->",
    "&",
    "&amp;",
    "&#169;",
    "- ",
    "# ",
]
PREP_TEXT = st.lists(st.sampled_from(PREP_PIECES) | st.text(max_size=3), max_size=14).map("".join)
PREPROCESSORS = stock()
use_skipping_preprocessors(PREPROCESSORS)


def assert_each_preprocessor_returns_its_own_lines(text: str) -> None:
    lines = text.split("\n")
    for item in PREPROCESSORS.preprocessors._priority:
        wrapper = PREPROCESSORS.preprocessors[item.name]
        assert isinstance(wrapper, Unchanging)
        PREPROCESSORS.reset()
        fast = wrapper.run(list(lines)), PREPROCESSORS.htmlStash.rawHtmlBlocks[:]
        PREPROCESSORS.reset()
        own = wrapper.inner.run(list(lines)), PREPROCESSORS.htmlStash.rawHtmlBlocks[:]
        assert fast == own, item.name


@settings(max_examples=300, deadline=None)
@given(PREP_TEXT)
def test_each_skipping_preprocessor_returns_the_lines_of_its_own(text: str) -> None:
    assert_each_preprocessor_returns_its_own_lines(text)


@settings(max_examples=200, deadline=None)
@given(PREP_TEXT)
def test_skipping_preprocessors_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(PREPROCESSORS, text) == convert(STOCK, text)


# One sample of each thing a preprocessor changes, so that only its own check lets it through.
PREP_SAMPLES = [
    "",
    "a",
    "a\n",
    "a\n   ",
    "a\n   \nb",
    "a\tb",
    "a\rb",
    "a\x02b",
    "a\x03b",
    "```\nx\n```",
    "~~~\nx\n~~~",
    "<div>\nx\n</div>",
    "<b>x</b>",
    "a &amp; b",
]


@pytest.mark.parametrize("text", PREP_SAMPLES)
def test_each_preprocessor_alone_gives_python_markdowns_own_lines_and_html(text: str) -> None:
    assert_each_preprocessor_returns_its_own_lines(text)
    assert convert(PREPROCESSORS, text) == convert(STOCK, text)


def test_every_preprocessor_of_the_build_is_known_so_none_runs_needlessly() -> None:
    """If Python-Markdown changes one, it is no longer skipped (still correct, but slow)."""
    preprocessors = BodyRenderer()._md.preprocessors
    assert [type(p).__name__ for p in preprocessors] == ["Unchanging"] * 3
    assert [type(p.inner) for p in preprocessors] == [  # type: ignore[attr-defined]
        NormalizeWhitespace,
        FencedBlockPreprocessor,
        HtmlBlockPreprocessor,
    ]


# --- attribute lists and the table-of-contents marker looked for only where they can be -------------

TREES = stock()
use_quick_tree_passes(TREES)

TREE_PIECES = [
    "word",
    " ",
    "\n",
    "\n\n",
    "# Heading",
    "## Heading ##",
    "{: #id }",
    "{: .class }",
    "{.c}",
    "{",
    "}",
    "{:",
    "[TOC]",
    " [TOC] ",
    "[TOC",
    "*em*",
    "**strong**",
    "`code`",
    "- ",
    "> ",
    "| a | b |\n|---|---|\n| 1 | 2 |",
    "a[^1]",
    "[^1]: note",
    "```\n[TOC] {: .x }\n```",
]


@settings(max_examples=250, deadline=None)
@given(st.lists(st.sampled_from(TREE_PIECES) | st.text(max_size=3), max_size=14).map("".join))
def test_quick_attribute_list_and_toc_passes_give_python_markdowns_own_html(text: str) -> None:
    assert convert(TREES, text) == convert(STOCK, text)


# Where an attribute list or the marker can be, so that only the pass's own check lets it through.
TREE_SAMPLES = [
    "# Heading {: #mine }",
    "Heading {: .c }\n=======",
    "A paragraph\n{: .c }",
    "*em*{: .c } after",
    "[link](https://x.org){: rel=nofollow }",
    "- item\n{: .c }",
    "- item *em*\n    {: .c }\n\n    - inner",
    "| a | b {: .c } |\n|---|---|\n| 1 | 2 |",
    "[TOC]\n\n# One\n\n## Two",
    "Text\n\n   [TOC]   \n\n# One",
    "- [TOC]\n\n# One",
]


@pytest.mark.parametrize("text", TREE_SAMPLES)
def test_each_quick_tree_pass_alone_gives_python_markdowns_own_html(text: str) -> None:
    assert convert(TREES, text) == convert(STOCK, text)


def test_the_attribute_list_and_toc_passes_of_the_build_are_the_quick_ones() -> None:
    """If Python-Markdown changes the expression, the quick pass is not used (correct, but slow)."""
    treeprocessors = BodyRenderer()._md.treeprocessors
    assert type(treeprocessors["attr_list"]) is QuickAttrList
    assert type(treeprocessors["toc"]) is QuickToc


# --- block-level names looked up in a set -----------------------------------------------------------

TAGS = st.sampled_from(
    [*markdown.Markdown().block_level_elements, "strong", "em", "a", "span", "LI", "p/", "x"]
)


@settings(max_examples=200, deadline=None)
@given(
    st.lists(TAGS | st.text(max_size=4), max_size=5),
    st.lists(
        st.tuples(
            st.sampled_from(
                ["append", "insert", "remove", "pop", "set", "del", "extend", "iadd", "imul", "clear"]
            ),
            TAGS,
        )
    ),
)
def test_block_level_names_answer_as_the_list_does_through_changes(
    start: list[str], changes: list[tuple[str, str]]
) -> None:
    names, plain = BlockLevelNames(start), list(start)
    for change, tag in changes:
        for each in (names, plain):
            if change == "append":
                each.append(tag)
            elif change == "insert":
                each.insert(1, tag)
            elif change == "extend":
                each.extend([tag, tag.upper()])
            elif change == "iadd":
                each += [tag]
            elif change == "imul":
                each *= 2
            elif change == "clear":
                each.clear()
            elif tag in each:
                index = each.index(tag)
                if change == "remove":
                    each.remove(tag)
                elif change == "pop":
                    each.pop(index)
                elif change == "set":
                    each[index] = tag + "x"
                else:
                    del each[index]
        assert names == plain
        for probe in {tag, tag + "x", tag.upper(), "p", "strong", *plain}:
            assert (probe in names) == (probe in plain)


def test_a_name_that_cannot_be_hashed_is_answered_as_the_list_would() -> None:
    names = BlockLevelNames(["p"])
    assert [] not in names
    names.append([])  # type: ignore[arg-type]
    assert [] in names
    assert "p" in names


# --- every shortcut together ------------------------------------------------------------------------

ALL = stock()
use_shortcuts(ALL)
EVERY_PIECE = sorted({*BLOCK_PIECES, *PREP_PIECES, *TREE_PIECES})


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(EVERY_PIECE) | st.text(max_size=4), max_size=18).map("".join))
def test_all_the_shortcuts_together_give_python_markdowns_own_html(text: str) -> None:
    assert convert(ALL, text) == convert(STOCK, text)


@pytest.mark.parametrize("text", BLOCK_SAMPLES + PREP_SAMPLES + TREE_SAMPLES)
def test_every_sample_converts_with_all_the_shortcuts_as_python_markdown_does(text: str) -> None:
    assert convert(ALL, text) == convert(STOCK, text)


def test_the_sample_publication_and_the_readme_convert_with_all_the_shortcuts_as_python_markdown_does() -> (
    None
):
    files = [*sorted((REPO / "posts").rglob("*.md")), REPO / "README.md", REPO / "CHANGELOG.md"]
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert convert(ALL, text) == convert(STOCK, text), file
