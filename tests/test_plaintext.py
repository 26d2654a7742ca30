"""The plain-text renderer, on the HTML shapes Markdown produces."""

from __future__ import annotations

import lxml.html

from publisher.render.email.plaintext import BodyText, wrap


def render(html: str) -> tuple[str, list[str]]:
    renderer = BodyText()
    text = renderer.render(lxml.html.fragment_fromstring(html, create_parent="div"))
    return text, renderer.links.urls


def test_wrap_never_breaks_a_url_or_a_hyphenated_word() -> None:
    url = "https://civicledger.example/p/" + "a-very-long-slug-" * 6
    text = wrap(f"Read it at {url} before the well-known deadline-driven vote.", 40)
    assert text.split("\n") == ["Read it at", url, "before the well-known deadline-driven", "vote."]


def test_headings_are_underlined() -> None:
    text, _ = render("<h1>Top</h1><h2>Second level</h2><h3>Third</h3><p>Body.</p>")
    assert text == "Top\n===\n\nSecond level\n------------\n\nThird\n~~~~~\n\nBody."


def test_links_become_numbered_references_once_per_url() -> None:
    text, urls = render(
        '<p>See <a href="https://a.example/x">the report</a>, <a href="https://b.example/">this</a> '
        'and <a href="https://a.example/x">the report again</a>; '
        'mail <a href="mailto:desk@example.org">desk@example.org</a> or visit '
        '<a href="https://c.example/">https://c.example/</a>.</p>'
    )
    assert text == (
        "See the report [1], this [2] and the report again [1]; mail\n"
        "mailto:desk@example.org or visit https://c.example/."
    )
    assert urls == ["https://a.example/x", "https://b.example/"]


def test_nested_and_numbered_lists() -> None:
    text, _ = render(
        "<ul><li>One<ul><li>One a</li><li>One b</li></ul></li><li>Two</li></ul>"
        '<ol start="9"><li>Nine</li><li>Ten, which is long enough to wrap onto a second line of this '
        "plain text email body</li></ol>"
    )
    assert text == (
        "- One\n  - One a\n  - One b\n- Two\n\n"
        " 9. Nine\n"
        "10. Ten, which is long enough to wrap onto a second line of this plain text\n"
        "    email body"
    )


def test_task_lists_and_loose_lists() -> None:
    text, _ = render(
        '<ul><li><input type="checkbox" disabled checked> Done thing</li>'
        '<li><input type="checkbox" disabled> Open thing</li></ul>'
        "<ol><li><p>First paragraph.</p><p>Second paragraph.</p></li><li><p>Next.</p></li></ol>"
    )
    assert text == (
        "- [x] Done thing\n- [ ] Open thing\n\n1. First paragraph.\n\n   Second paragraph.\n\n2. Next."
    )


def test_blockquotes_code_and_rules() -> None:
    text, _ = render(
        "<blockquote><p>Quoted.</p><blockquote><p>Nested.</p></blockquote></blockquote>"
        "<pre><code>line one\n  indented  line\n</code></pre><hr><p>After<br>a break.</p>"
    )
    assert text == (
        "> Quoted.\n>\n> > Nested.\n\n    line one\n      indented  line\n\n* * *\n\nAfter\na break."
    )


def test_tables_line_up_or_become_records() -> None:
    narrow, _ = render(
        "<table><thead><tr><th>Type</th><th style='text-align: right;'>2019</th></tr></thead>"
        "<tbody><tr><td>Fence</td><td style='text-align: right;'>12</td></tr>"
        "<tr><td>Accessory unit</td><td style='text-align: right;'>168</td></tr></tbody></table>"
    )
    assert narrow == "Type            2019\n--------------  ----\nFence             12\nAccessory unit   168"
    wide, _ = render(
        "<table><tr><th>Date</th><th>Agenda</th></tr>"
        "<tr><td>Tue, April 14</td><td>"
        + "Overview of the proposed budget and revenue forecast "
        * 2
        + "</td></tr>"
        "</table>"
    )
    assert wide.split("\n") == [
        "Date: Tue, April 14",
        "Agenda: Overview of the proposed budget and revenue forecast Overview of the",
        "  proposed budget and revenue forecast",
    ]


def test_images_footnotes_and_entities() -> None:
    text, urls = render(
        '<p><img alt="A chart &amp; its caption" src="https://x.example/a.png"></p>'
        '<p>Claim &lt;here&gt;.<sup id="fnref:1"><a class="footnote-ref" href="https://x.example/p/#fn:1">1</a></sup></p>'
        '<div class="footnote"><hr><ol><li id="fn:1"><p>Source.&#160;'
        '<a class="footnote-backref" href="https://x.example/p/#fnref:1">&#8617;</a></p></li></ol></div>'
    )
    assert text == "[Image: A chart & its caption]\n\nClaim <here>.¹\n\nNotes\n-----\n\n1. Source."
    assert urls == []
