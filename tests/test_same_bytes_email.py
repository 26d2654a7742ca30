"""The email edition's shortcuts give exactly the bytes of the straightforward way.

Each shortcut taken for speed is compared here with the plain computation it
replaces, on generated input; each test fails if its shortcut is wrong.
"""

from __future__ import annotations

from types import SimpleNamespace

import lxml.html
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from premailer import Premailer

from publisher.render.email.inline_memo import ShapeInliner
from publisher.render.email.plaintext import _collapse, _collapse_by_pattern, wrap, wrap_inline
from publisher.render.email.renderer import INLINER_OPTIONS, parse_body
from publisher.render.mailsafe import TASK_BOXES, iframes_as_links, mail_safe, only_task_boxes, replace_tags
from publisher.render.urls import absolute_url

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
    try:
        parsed = replace_tags(html)
    except AssertionError:  # HTMLParser gives up on some markup (`<![x`); not the shortcut's to judge
        assume(False)
    assert iframes_as_links(html) == parsed
    if only_task_boxes(html):
        assert parsed == html


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


# --- inlining: one shape per element, asked of lxml once ------------------------------------------

CSS = """
.post-body p { color: #222; margin: 0 0 16px; }
.post-body li p { margin: 0; }
.post-body a { color: #0b5d6b; }
.post-body blockquote p { font-style: italic; }
.post-body .task-box { font-family: monospace; }
.post-body ul > li { padding: 2px; }
.post-body td { text-align: left; }
.post-body .note a { color: #a00; }
"""
PREMAILER = Premailer(css_text=CSS, **INLINER_OPTIONS)


def _element(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.builds(
        lambda tag, classes, attribute, inner: f"<{tag}{classes}{attribute}>{''.join(inner)}</{tag}>",
        st.sampled_from(["p", "li", "ul", "a", "span", "blockquote", "td"]),
        st.sampled_from(["", ' class=""', ' class="task-box"', ' class="note  task-box"', ' class="note"']),
        st.sampled_from(["", ' style="font-weight: bold"', ' align="right"', ' width=""', ' title="t"']),
        st.lists(children, max_size=3),
    )


BODIES = st.recursive(st.sampled_from(["text", ""]), _element, max_leaves=10)


def _inlined(html: str, memo: ShapeInliner | None) -> str:
    root = lxml.html.fragment_fromstring(f'<div class="post-body">{html}</div>')
    if memo is None:
        PREMAILER.transform(root)
    else:
        memo.transform(root)
    return lxml.html.tostring(root, encoding="unicode")


@settings(max_examples=60, deadline=None)
@given(st.lists(BODIES, min_size=1, max_size=3))
def test_shape_memo_inlines_as_premailer_does_on_each_element(bodies: list[str]) -> None:
    memo = ShapeInliner(PREMAILER, CSS)  # shared by the bodies, as by a build's posts
    assert memo.enabled
    for html in bodies:
        assert _inlined(html, memo) == _inlined(html, None)


# --- parse_body: only the elements with a URL are visited --------------------------------------------


def _absolute_by_walking(html: str, base: str) -> str:
    """parse_body as it was: every element of the tree, asked for href and src."""
    safe = mail_safe(html)
    root = (
        lxml.html.fragment_fromstring(safe, create_parent="div") if safe.strip() else lxml.html.Element("div")
    )
    for element in root.iter():
        if isinstance(element.tag, str):
            for attribute in ("href", "src"):
                value = element.get(attribute)
                if value is not None:
                    element.set(attribute, absolute_url(value, base))
    return lxml.html.tostring(root, encoding="unicode")


URL_PIECES = [
    '<a href="/p/x/">',
    '<a HREF="#fn:1" class="footnote-ref">',
    "</a>",
    '<img src="media/a.png" alt="">',
    '<img src="">',
    '<a href="https://x.example/">',
    '<a href="{{ unsubscribe_url }}">',
    "<p>",
    "</p>",
    "<!-- c -->",
    "text",
    "<source src=v.mp4>",
]


@settings(max_examples=60, deadline=None)
@given(st.lists(st.sampled_from(URL_PIECES), max_size=12).map("".join))
def test_parse_body_makes_the_same_urls_absolute_as_a_walk_of_every_element(html: str) -> None:
    base = "https://x.example/p/post/"
    entry = SimpleNamespace(html=html, absolute_url=base)
    assert lxml.html.tostring(parse_body(entry), encoding="unicode") == _absolute_by_walking(html, base)
