"""The shape-memoised inliner gives exactly what premailer gives element by element."""

from __future__ import annotations

import lxml.html
from premailer import Premailer

from publisher.render.email.inline_memo import ShapeInliner, simple_stylesheet
from publisher.render.email.renderer import INLINER_OPTIONS

CSS = """
.post-body p { color: #222; margin: 0 0 16px; }
.post-body li p { margin: 0; }
.post-body a { color: #0b5d6b; text-decoration: underline; }
.post-body blockquote p { font-style: italic; }
.post-body .task-box { font-family: monospace; }
.post-body td { text-align: left; padding: 4px; }
"""
BODY = """<div class="post-body"><p>One <a href="https://x.example/">link</a></p>
<ul><li><p>Loose <a href="https://y.example/">item</a></p></li>
<li><span class="task-box">x</span> task</li></ul>
<blockquote><p style="font-weight: bold">Quoted</p></blockquote>
<table><tr><td>cell</td><td align="right">right</td></tr></table><p>Two</p></div>"""


def inline(use_memo: bool) -> str:
    premailer = Premailer(css_text=CSS, **INLINER_OPTIONS)
    root = lxml.html.fragment_fromstring(BODY)
    inliner = ShapeInliner(premailer, CSS)
    if use_memo:
        inliner.transform(root)
    else:
        premailer.transform(root)
    return lxml.html.tostring(root, encoding="unicode")


def test_memoised_result_equals_premailer_on_each_element() -> None:
    memoised, direct = inline(True), inline(False)
    assert memoised == direct
    assert memoised.count("color:#0b5d6b") == 2
    assert "font-style:italic" in memoised and "font-weight:bold" in memoised


def test_only_tag_and_class_selectors_are_memoised() -> None:
    assert simple_stylesheet(CSS)
    assert not simple_stylesheet(".post-body p:first-child { margin: 0 }")
    assert not simple_stylesheet(".post-body h2 + p { margin: 0 }")
    assert not simple_stylesheet(".post-body #intro { margin: 0 }")
    assert not simple_stylesheet(".post-body a[href] { color: red }")
