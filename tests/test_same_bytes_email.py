"""The email edition's shortcuts give exactly the bytes of the straightforward way.

Each shortcut taken for speed is compared here with the plain computation it
replaces, on generated input; each test fails if its shortcut is wrong.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.render.email.plaintext import _collapse, _collapse_by_pattern, wrap, wrap_inline
from publisher.render.mailsafe import TASK_BOXES, iframes_as_links, only_task_boxes, replace_tags

# --- mail_safe: HTML with nothing but task boxes is not parsed ---------------------------------------

HTML_PIECES = [
    *TASK_BOXES,
    "<p>",
    "</p>",
    "text ",
    "<INPUT",
    "<Input",
    "<input",
    "<input>",
    '<input type="checkbox">',
    '<input type="checkbox" disabled>',
    '<input aria-label="To do" disabled type="text">',
    '<iframe src="https://v.example/e">',
    "<iframe>",
    "</iframe>",
    "<IFRAME src=x>",
    "<!-- ",
    " -->",
    "<script>",
    "</script>",
    '<a title="',
    '">',
    "'",
    '"',
    "<",
    ">",
    "\n",
    "ı",
    "İ",
]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from(HTML_PIECES) | st.text(max_size=4), max_size=14).map("".join))
def test_html_with_only_task_boxes_is_returned_as_parsing_would_return_it(html: str) -> None:
    assert iframes_as_links(html) == replace_tags(html)
    if only_task_boxes(html):
        assert replace_tags(html) == html


def test_a_task_box_is_the_only_input_the_shortcut_lets_through() -> None:
    assert only_task_boxes(f"<ul><li>{TASK_BOXES[0]} a</li><li>{TASK_BOXES[1]} b</li></ul>")
    assert not only_task_boxes('<input type="text">')
    assert not only_task_boxes('<IFRAME src="https://v.example/">')
    assert iframes_as_links('<p><input type="text" name="q"></p>') == "<p></p>"


# --- plain text: whitespace collapsed by str.split() when the text allows it -------------------------

# Every character str.split() or the collapsing pattern treats as whitespace, <br>'s stand-in, and words.
SPACES = [chr(c) for c in range(0x3001) if chr(c).isspace()] + ["\x00", "\u200b", "\ufeff"]
WORDS = [" ", "  ", "word", "https://x.example/a-b"]
TEXT = st.lists(st.sampled_from([*SPACES, *WORDS, "é", "—"]), max_size=40).map("".join) | st.lists(
    st.sampled_from([char for char in SPACES if char.isascii()] + WORDS), max_size=40
).map("".join)


@settings(max_examples=300, deadline=None)
@given(TEXT, st.integers(min_value=1, max_value=30))
def test_collapsing_and_wrapping_by_str_split_is_collapsing_by_the_pattern(text: str, width: int) -> None:
    assert _collapse(text) == _collapse_by_pattern(text)
    assert wrap_inline(text, width) == wrap(_collapse_by_pattern(text), width)
