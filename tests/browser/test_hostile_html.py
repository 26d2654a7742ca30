"""A post full of raw-HTML trouble still gives valid pages, emails and feeds.

The Nu Html Checker (vnu.jar, one run) reads every page and email built from
a fixture post holding each raw-HTML case of the hostile-input issue; the
feeds' HTML content is parsed strictly (html5lib raises on the first parse
error) and the feeds themselves as XML.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import feedparser
import html5lib
import lxml.etree
import pytest

from publisher.build import BuildOptions, build

from .checks import REPO, email_merge_tags, listing, vnu_messages, vnu_problems

pytestmark = pytest.mark.browser

RAW_HTML_POST = """\
---
title: "Raw HTML: every case <at once> & more"
date: 2026-01-05
tags: [civic, "C#"]
---

Unicode check — “quotes” & <angle brackets> in text, AT&amp;T, &mdash;, <kbd>Ctrl</kbd> and<br>a break.

Text</span> with a stray end tag, and a <div>block</div> inside a paragraph.

<script>alert(1)</script>

<p><img src="https://civicledger.example/x.png" alt="An image" onerror="alert(2)"></p>

<iframe src="https://video.example/embed/1" title="The council meeting"></iframe>

<form action="https://civicledger.example/"><button>Go</button></form>

[A link that runs code](javascript:alert(3)) and [a fine one](https://civicledger.example/).

<details><summary>More</summary>
<p>Inside the details, x<sup>2</sup>.</p>
</details>

A bogus &bogus; reference, a control &#x1b; reference and publisher-merge-tag-1 as text.

Text <?php echo 1; ?> and <svg width="10" height="10" aria-hidden="true"><circle r="4" cx="5" cy="5"/></svg>.

<div class="box">

Never closed (Markdown reads the rest of the post as part of it).

<!-- an unclosed comment
"""


@pytest.fixture(scope="module")
def hostile_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("hostile") / "pub"
    (root / "posts/analyses").mkdir(parents=True)
    shutil.copy(REPO / "publication.toml", root / "publication.toml")
    (root / "posts/analyses/raw.md").write_text(RAW_HTML_POST, encoding="utf-8")
    out = root / "build"
    result = build(BuildOptions(root=root, out=out, jobs=1))
    assert any(warning.field == "html" for warning in result.warnings)
    return out


def test_pages_and_emails_built_from_raw_html_pass_the_nu_checker(java: str, hostile_out: Path) -> None:
    pages = sorted((hostile_out / "site").rglob("*.html"))
    emails = sorted((hostile_out / "email").glob("*.html"))
    report = vnu_messages(pages + emails, java)
    found = {str(p.relative_to(hostile_out)): vnu_problems(report[p.resolve()]) for p in pages}
    tags = email_merge_tags()
    found |= {str(e.relative_to(hostile_out)): vnu_problems(report[e.resolve()], True, tags) for e in emails}
    assert {name: problems for name, problems in found.items() if problems} == {}, listing(
        {name: problems for name, problems in found.items() if problems}
    )


def _strict(fragment: str) -> None:
    html5lib.HTMLParser(strict=True).parseFragment(fragment)


def test_feed_content_built_from_raw_html_parses_strictly(hostile_out: Path) -> None:
    site = hostile_out / "site"
    contents = []
    for name in ("feed.xml", "atom.xml", "analyses/feed.xml", "analyses/atom.xml"):
        raw = (site / name).read_bytes()
        lxml.etree.fromstring(raw)  # well-formed XML
        parsed = feedparser.parse(raw)
        assert not parsed.bozo, (name, parsed.bozo_exception)
        contents += [content.value for entry in parsed.entries for content in entry.content]
    contents += [item["content_html"] for item in json.loads((site / "feed.json").read_text())["items"]]
    assert len(contents) == 5
    for content in contents:
        _strict(content)
        assert "<script" not in content and "onerror" not in content and 'href="javascript:' not in content
        assert "<iframe" not in content and "<form" not in content
        assert 'href="https://video.example/embed/1"' in content  # the iframe, as a link


def test_the_strict_parse_catches_what_it_must() -> None:
    with pytest.raises(html5lib.html5parser.ParseError):
        _strict("<p>a <angle brackets> b</div>")
