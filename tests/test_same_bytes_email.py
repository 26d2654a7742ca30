"""The email edition's shortcuts give exactly the bytes of the straightforward way.

Each shortcut taken for speed is compared here with the plain computation it
replaces, on generated input; each test fails if its shortcut is wrong.
"""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

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
