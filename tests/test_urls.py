"""Relative URLs in post HTML become absolute, and nothing else changes."""

from __future__ import annotations

import pytest
from bs4 import BeautifulSoup

from publisher.render.urls import absolute_srcset, absolute_url, absolutize

BASE = "https://civicledger.example/p/the-permit-bottleneck/"


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/p/other/", "https://civicledger.example/p/other/"),
        ("/p/other/#why", "https://civicledger.example/p/other/#why"),
        ("/media/analyses/chart.png", "https://civicledger.example/media/analyses/chart.png"),
        ("#fn:1", BASE + "#fn:1"),
        ("#fnref:1", BASE + "#fnref:1"),
        ("chart.png", BASE + "chart.png"),
        ("../other/", "https://civicledger.example/p/other/"),
        ("//cdn.example/x.png", "https://cdn.example/x.png"),
        ("?page=2", BASE + "?page=2"),
        ("  /p/padded/  ", "https://civicledger.example/p/padded/"),
    ],
)
def test_relative_urls_are_joined_with_the_base(url: str, expected: str) -> None:
    assert absolute_url(url, BASE) == expected


@pytest.mark.parametrize(
    "url",
    [
        "mailto:desk@civicledger.example",
        "tel:+15551234567",
        "https://other.example/page?a=1&b=2",
        "http://other.example/",
        "data:image/png;base64,iVBORw0KGgo=",
        "{{ unsubscribe_url }}",
        "*|UNSUB|*",
    ],
)
def test_absolute_urls_and_placeholders_are_left_alone(url: str) -> None:
    assert absolute_url(url, BASE) == url


def test_a_fragment_keeps_every_byte_but_its_relative_urls() -> None:
    html = (
        '<h2 id="the-numbers">The numbers</h2>\n'
        '<p>See <a href="/p/other/#queue">the queue</a>, '
        '<a href="mailto:desk@civicledger.example">write to us</a> or '
        '<a href="https://example.org/x?a=1&amp;b=2">the source</a>.'
        '<sup id="fnref:1"><a class="footnote-ref" href="#fn:1">1</a></sup></p>\n'
        '<p><img alt="A chart &amp; its &quot;key&quot;" src="/media/analyses/chart.png"'
        ' loading="lazy"></p>\n'
        '<pre><code>&lt;a href="/not/a/link"&gt;</code></pre>\n'
        '<!-- <a href="/in/a/comment"> -->\n'
    )
    out = absolutize(html, BASE)
    expected = (
        html.replace('href="/p/other/#queue"', 'href="https://civicledger.example/p/other/#queue"')
        .replace('href="#fn:1"', f'href="{BASE}#fn:1"')
        .replace(
            'src="/media/analyses/chart.png"', 'src="https://civicledger.example/media/analyses/chart.png"'
        )
    )
    assert out == expected


def test_escaped_characters_in_rewritten_tags_stay_escaped() -> None:
    out = absolutize('<a title="Fish &amp; &quot;chips&quot;" href="/search?a=1&amp;b=&lt;2&gt;">x</a>', BASE)
    link = BeautifulSoup(out, "html.parser").a
    assert link["href"] == "https://civicledger.example/search?a=1&b=<2>"
    assert link["title"] == 'Fish & "chips"'


def test_multi_line_tags_boolean_attributes_and_self_closing_tags() -> None:
    box = '<input type="checkbox" disabled checked>\n'
    html = 'a\n<p>b</p>\n<img\n  src="x.png"\n  alt="x" />\n' + box
    out = absolutize(html, BASE)
    assert out == f'a\n<p>b</p>\n<img src="{BASE}x.png" alt="x" />\n' + box


def test_every_url_attribute_and_srcset() -> None:
    html = (
        '<video src="/v.mp4" poster="/poster.jpg"></video>'
        '<blockquote cite="/p/source/">q</blockquote>'
        '<picture><source srcset="/a.webp 1x, /a@2x.webp 2x">'
        '<img src="/a.png" srcset="/a.png 600w"></picture>'
    )
    soup = BeautifulSoup(absolutize(html, BASE), "html.parser")
    assert soup.video["src"] == "https://civicledger.example/v.mp4"
    assert soup.video["poster"] == "https://civicledger.example/poster.jpg"
    assert soup.blockquote["cite"] == "https://civicledger.example/p/source/"
    assert soup.source["srcset"] == (
        "https://civicledger.example/a.webp 1x, https://civicledger.example/a@2x.webp 2x"
    )
    assert soup.img["srcset"] == "https://civicledger.example/a.png 600w"


def test_srcset_candidates_may_hold_commas() -> None:
    value = "data:image/png;base64,AAA= 1x,/b.png 2x,c.png"
    assert absolute_srcset(value, BASE) == (
        f"data:image/png;base64,AAA= 1x, https://civicledger.example/b.png 2x, {BASE}c.png"
    )


def test_script_and_style_contents_are_not_tags() -> None:
    html = '<script>var s = "<a href=\'/x\'>";</script><style>a[href="/y"] {}</style>'
    assert absolutize(html, BASE) == html


def test_nothing_to_change_returns_the_same_text() -> None:
    html = "<p>Plain <em>text</em> &amp; <a href='https://example.org/'>a link</a></p>"
    assert absolutize(html, BASE) == html
    assert absolutize("", BASE) == ""


def test_a_base_with_a_path_prefix() -> None:
    base = "https://example.org/newsletter/p/slug/"
    out = absolutize('<a href="/newsletter/p/other/">o</a><a href="#top">t</a>', base)
    assert out == '<a href="https://example.org/newsletter/p/other/">o</a><a href="' + base + '#top">t</a>'
