"""Hostile and unusual input, as a new user or an attacker would write it.

One table: each row is a publication (the sample's settings, one good post,
plus the row's files and settings), a command, and what must come of it: the
exit code, the exact lines on stderr, and, for builds that succeed, that
every output is valid (pages, feeds, emails). No row may print a traceback
or an "internal error".
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass, field
from email import policy
from email.parser import BytesParser
from pathlib import Path

import pytest
from conftest import Publication, run
from wellformed import EML_HEADERS, output_problems

FAILED = "Build failed: {} error{}; nothing was written."
P = "posts/analyses/t.md"  # the row's post, unless it says otherwise


def post(title: str = "A post", *extra: str, body: str = "Hello.", tags: str = "[civic]") -> str:
    """A post file: title on line 2, date 3, tags 4, `extra` lines from 5, body after the `---`."""
    lines = ["---", f"title: {title}", "date: 2026-01-05", f"tags: {tags}", *extra, "---", "", body, ""]
    return "\n".join(lines)


def fails(*lines: str, what: str = "Build") -> tuple[str, ...]:
    count = len(lines)
    footer = f"{what} failed: {count} error{'s' if count != 1 else ''}"
    return (*lines, footer + ("; nothing was written." if what == "Build" else "."))


@dataclass(frozen=True)
class Case:
    files: dict[str, str | bytes] = field(default_factory=dict)
    toml: dict[str, str] = field(default_factory=dict)  # whole line in publication.toml -> new line(s)
    args: tuple[str, ...] = ("build",)
    code: int = 1
    stderr: tuple[str, ...] | None = None  # exact lines; None: not checked (but no traceback)
    stdout: str | None = None  # a line that must be on stdout
    valid: bool = False  # the build succeeded: check every output
    then: Callable[[Path], None] | None = None  # more checks on the output folder
    headers: list[str] = field(default_factory=lambda: list(EML_HEADERS))


def email_of(out: Path, slug: str = "t") -> tuple[str, bytes]:
    return (out / "email" / f"{slug}.html").read_text(encoding="utf-8"), (
        out / "email" / f"{slug}.eml"
    ).read_bytes()


def header(out: Path, name: str, slug: str = "good") -> str:
    message = BytesParser(policy=policy.default).parsebytes((out / "email" / f"{slug}.eml").read_bytes())
    return str(message[name])


def raw_header(out: Path, name: str, slug: str = "good") -> str:
    raw = (out / "email" / f"{slug}.eml").read_bytes().decode("ascii")
    head = raw.split("\r\n\r\n", 1)[0].replace("\r\n ", " ")
    return next(line for line in head.split("\r\n") if line.startswith(f"{name}: "))


def page(out: Path, slug: str = "t") -> str:
    return (out / "site" / "p" / slug / "index.html").read_text(encoding="utf-8")


def _summary_is(expected: str) -> Callable[[Path], None]:
    def check(out: Path) -> None:
        assert f'<meta name="description" content="{expected}">' in page(out)

    return check


def _no_script_in_mail(out: Path) -> None:
    html, _ = email_of(out)
    feed = (out / "site" / "feed.json").read_text(encoding="utf-8")
    for text in (html, feed):
        assert "<script" not in text and "onerror" not in text and "javascript:" not in text
        assert "<iframe" not in text and "<form" not in text
    assert "<script>" in page(out), "the web page keeps the author's raw HTML"


def _merge_tags_not_forged(out: Path) -> None:
    html, _ = email_of(out)
    assert "publisher-merge-tag-1" in html and "publisher-merge-tag-7" in html
    assert html.count("{{ subscriber_preferences_url }}") == 1  # the footer's, not the post's


WARN = "warning: "
TAGS = "posts/analyses/t.md:4: tags"
IPV6 = "https://[::1]:8443"
RESERVED = "p, page, tags, archive, media, static, search, email, feeds"

CASES: dict[str, Case] = {
    # ---- email header injection through front matter ----
    "title with a line feed": Case(
        {P: post('"Hello\\nBcc: victim@example.org"')},
        stderr=fails(f"{P}:2: title: must be one line: it contains U+000A (LINE FEED)"),
    ),
    "title with CRLF": Case(
        {P: post('"Hello\\r\\nBcc: victim@example.org"')},
        stderr=fails(f"{P}:2: title: must be one line: it contains U+000D (CARRIAGE RETURN)"),
    ),
    "title with a bare CR": Case(
        {P: post('"Hello\\rBcc: victim@example.org"')},
        stderr=fails(f"{P}:2: title: must be one line: it contains U+000D (CARRIAGE RETURN)"),
    ),
    "title with a line separator": Case(
        {P: post('"Hello\\u2028Bcc: victim@example.org"')},
        stderr=fails(f"{P}:2: title: must be one line: it contains U+2028 (LINE SEPARATOR)"),
    ),
    "title with NEL": Case(
        {P: post('"Hello\\NBcc: x@example.org"')},
        stderr=fails(f"{P}:2: title: contains the control character U+0085 (NEXT LINE); remove it"),
    ),
    "title with NUL": Case(
        {P: post('"A\\0B"')},
        stderr=fails(f"{P}:2: title: contains the control character U+0000 (NULL); remove it"),
    ),
    "title with ESC": Case(
        {P: post('"A\\e[31mB"')},
        stderr=fails(f"{P}:2: title: contains the control character U+001B (ESCAPE); remove it"),
    ),
    "title with BEL": Case(
        {P: post('"A\\aB"')},
        stderr=fails(f"{P}:2: title: contains the control character U+0007 (BELL); remove it"),
    ),
    "title with a tab": Case(
        {P: post('"A\\tB"')}, stderr=fails(f"{P}:2: title: must be one line: it contains U+0009 (TAB)")
    ),
    "title too long": Case(
        {P: post("x" * 301)}, stderr=fails(f"{P}:2: title: is 301 characters long; at most 300 are allowed")
    ),
    "title of 300 characters builds": Case({P: post("x" * 300)}, code=0, valid=True),
    "subtitle with a line feed": Case(
        {P: post("A", 'subtitle: "a\\nBcc: x@example.org"')},
        stderr=fails(f"{P}:5: subtitle: must be one line: it contains U+000A (LINE FEED)"),
    ),
    "author with a line feed": Case(
        {P: post("A", 'authors: ["Ann\\nBcc: x@example.org"]')},
        stderr=fails(f"{P}:5: authors: must be one line: it contains U+000A (LINE FEED)"),
    ),
    "tag with a control character": Case(
        {P: post("A", tags='["a\\x07"]')},
        stderr=fails(f"{TAGS}: contains the control character U+0007 (BELL); remove it"),
    ),
    "summary with NUL": Case(
        {P: post("A", 'summary: "a\\0b"')},
        stderr=fails(f"{P}:5: summary: contains the control character U+0000 (NULL); remove it"),
    ),
    "summary over several lines builds": Case({P: post("A", "summary: |\n  one\n  two")}, code=0, valid=True),
    "cover_alt with ESC": Case(
        {P: post("A", 'cover_alt: "x\\e"')},
        stderr=fails(f"{P}:5: cover_alt: contains the control character U+001B (ESCAPE); remove it"),
    ),
    # ---- front matter shapes ----
    "a list as a key": Case(
        {P: post("A", "[a, b]: x")},
        stderr=fails(f"{P}:5: (front matter): a key must be a word such as title: this one is a list"),
    ),
    "a mapping as a key": Case(
        {P: post("A", "{a: 1}: x")},
        stderr=fails(f"{P}:5: (front matter): a key must be a word such as title: this one is a mapping"),
    ),
    "a number as a key": Case(
        {P: post("A", "1: x")},
        stderr=fails(f"{P}:5: (front matter): a key must be a word such as title: this one is not text"),
    ),
    "a key set twice": Case(
        {P: post("A", "title: B")}, stderr=fails(f"{P}:5: title: is set twice (first on line 2)")
    ),
    "a key with ESC is shown escaped": Case(
        {P: post("A", '"\\e[2J": x')},
        stderr=fails(
            f"{P}:5: \\x1b[2J: unknown field (allowed: title, date, updated, subtitle, summary, slug, tags, "
            "authors, cover, cover_alt, draft, responds_to, related)"
        ),
    ),
    "python object tag runs nothing": Case(
        {P: post("A", "summary: !!python/object/apply:os.system ['touch pwned']")},
        stderr=fails(
            f"{P}:5: (front matter): invalid YAML: could not determine a constructor for the tag "
            "'tag:yaml.org,2002:python/object/apply:os.system'"
        ),
    ),
    "date in year 1 with an offset": Case(
        {P: post("A").replace("2026-01-05", "0001-01-01T00:00:00+05:00")},
        stderr=fails(
            f"{P}:3: date: '0001-01-01T00:00:00+05:00' is out of range: the year must be from 1900 to 9998"
        ),
    ),
    "date in year 9999 with an offset": Case(
        {P: post("A").replace("2026-01-05", "9999-12-31T23:59:59-05:00")},
        stderr=fails(
            f"{P}:3: date: '9999-12-31T23:59:59-05:00' is out of range: the year must be from 1900 to 9998"
        ),
    ),
    "date in year 1 without an offset": Case(
        {P: post("A").replace("2026-01-05", "0001-01-01")},
        stderr=fails(f"{P}:3: date: '0001-01-01' is out of range: the year must be from 1900 to 9998"),
    ),
    "updated in year 9999": Case(
        {P: post("A", "updated: 9999-12-31")},
        stderr=fails(f"{P}:5: updated: '9999-12-31' is out of range: the year must be from 1900 to 9998"),
    ),
    "date in 1900 builds": Case(
        {P: post("A").replace("2026-01-05", "1900-01-01T00:00:00+14:00")}, code=0, valid=True
    ),
    "slug too long": Case(
        {P: post("A", "slug: " + "a" * 151)},
        stderr=fails(f"{P}:5: slug: is 151 characters long; at most 150 are allowed"),
    ),
    "file name too long for a slug": Case(
        {f"posts/analyses/{'b' * 200}.md": post("A")},
        stderr=fails(
            f"posts/analyses/{'b' * 200}.md:1: slug: file name is 200 characters long; rename the file or set a "
            "`slug:` of at most 150"
        ),
    ),
    "tag too long": Case(
        {P: post("A", tags="[" + "t" * 101 + "]")},
        stderr=fails(f"{TAGS}: is 101 characters long; at most 100 are allowed"),
    ),
    "tags that share a URL": Case(
        {P: post("A", tags="[C++]"), "posts/insights/c.md": post("B", tags="[C]")},
        stderr=fails(
            "posts/insights/c.md:4: tags: 'C' and 'C++' (in posts/analyses/t.md) would share the page "
            "/tags/c/: use one spelling"
        ),
    ),
    "tags that differ in case share a page": Case(
        {P: post("A", tags="[Permits]"), "posts/insights/c.md": post("B", tags="[permits]")},
        code=0,
        valid=True,
        then=lambda out: (out / "site/tags/permits/index.html").is_file() or pytest.fail("no tag page"),
    ),
    "cover with javascript:": Case(
        {P: post("A", "cover: javascript://x.example/%0aalert(1)")},
        stderr=fails(
            f"{P}:5: cover: 'javascript://x.example/%0aalert(1)' must be an image file next to the post, "
            "or an https:// URL"
        ),
    ),
    "cover with data:": Case(
        {P: post("A", "cover: 'data:image/png;base64,AAAA'")},
        stderr=fails(
            f"{P}:5: cover: 'data:image/png;base64,AAAA' must be an image file next to the post, or an https:// URL"
        ),
    ),
    "cover outside posts": Case(
        {P: post("A", "cover: /etc/hostname")},
        stderr=fails(
            f"{P}:5: cover: '/etc/hostname' must be an image file next to the post, or an https:// URL"
        ),
    ),
    "no tags warns at the front matter": Case(
        {P: post("A", tags="[]")}, code=0, stderr=(f"{WARN}{TAGS}: the post has no tags",), valid=True
    ),
    "no tags key warns at the closing line": Case(
        {P: "---\ntitle: A\ndate: 2026-01-05\n---\n\nHello.\n"},
        code=0,
        stderr=(f"{WARN}{P}:4: tags: the post has no tags",),
        valid=True,
    ),
    # ---- bodies ----
    "summary from an entity": Case(
        {P: post("A", body="AT&amp;T bought it.")},
        code=0,
        valid=True,
        then=_summary_is("AT&amp;T bought it."),
    ),
    "summary from a named entity": Case(
        {P: post("A", body="Wait &mdash; what?")}, code=0, valid=True, then=_summary_is("Wait — what?")
    ),
    "summary from inline HTML": Case(
        {P: post("A", body="Press <kbd>Ctrl</kbd>.")}, code=0, valid=True, then=_summary_is("Press Ctrl.")
    ),
    "summary from a line break": Case(
        {P: post("A", body="One<br>two")}, code=0, valid=True, then=_summary_is("One two")
    ),
    "summary after a raw block": Case(
        {P: post("A", body="<div>\nraw\n</div>\n\nThe first paragraph.")},
        code=0,
        valid=True,
        then=_summary_is("The first paragraph."),
    ),
    "NUL in the body": Case(
        {P: post("A", body="Hello\x00world")},
        stderr=fails(f"{P}:7: body: contains the control character U+0000 (NULL); remove it"),
    ),
    "ESC in the body": Case(
        {P: post("A", body="Line one.\n\nHello \x1b[2J")},
        stderr=fails(f"{P}:9: body: contains the control character U+001B (ESCAPE); remove it"),
    ),
    "BEL in the body": Case(
        {P: post("A", body="Ding\x07")},
        stderr=fails(f"{P}:7: body: contains the control character U+0007 (BELL); remove it"),
    ),
    "a control character by reference": Case(
        {P: post("A", body="Hello &#x1b; there")},
        code=0,
        stderr=(f"{WARN}{P}:7: html: &#x1b; stands for a control character; written as text",),
        valid=True,
    ),
    "lists nested 300 deep": Case(
        {P: post("A", body="\n".join("    " * i + "- x" for i in range(300)))},
        stderr=fails(f"{P}:7: html: lists or quotes are nested more than 100 deep"),
    ),
    "HTML nested 300 deep": Case(
        {P: post("A", body="<div>" * 300 + "x" + "</div>" * 300)},
        stderr=fails(f"{P}:7: html: elements are nested more than 100 deep"),
    ),
    "quotes nested 60 deep build": Case({P: post("A", body=">" * 60 + " deep")}, code=0, valid=True),
    "forged merge tags stay text": Case(
        {P: post("A", body="publisher-merge-tag-7 and [x](publisher-merge-tag-1) publisher-merge-tag-1")},
        code=0,
        valid=True,
        then=_merge_tags_not_forged,
    ),
    "angle brackets in text": Case(
        {P: post("A", body="Unicode check — “quotes” & <angle brackets> in text.")},
        code=0,
        stderr=(f"{WARN}{P}:7: html: <angle brackets> is not an HTML element; written as text",),
        valid=True,
        then=lambda out: "&lt;angle brackets&gt;" in page(out) or pytest.fail("not written as text"),
    ),
    "angle brackets are an error in check": Case(
        {P: post("A", body="a <angle brackets> b")},
        args=("check",),
        stderr=fails(f"{P}:7: html: <angle brackets> is not an HTML element; written as text", what="Check"),
    ),
    "an unclosed div": Case(
        {P: post("A", body="<div class='box'>\n\nText.")},
        code=0,
        stderr=(f"{WARN}{P}:7: html: <div class='box'> is never closed; written as text",),
        valid=True,
    ),
    "a stray end tag": Case(
        {P: post("A", body="Text</span> more.")},
        code=0,
        stderr=(f"{WARN}{P}:7: html: </span> closes no open element; written as text",),
        valid=True,
    ),
    "a div inside a paragraph": Case(
        {P: post("A", body="Text <div>box</div> more.")},
        code=0,
        stderr=(
            f"{WARN}{P}:7: html: <div> cannot stand inside a paragraph (give it lines of its own); written as text",
        ),
        valid=True,
    ),
    "a paragraph inside a paragraph": Case(
        {P: post("A", body="Text <p>inner</p> more.[^1]\n\n[^1]: A note.")},
        code=0,
        stderr=(
            f"{WARN}{P}:7: html: <p> cannot stand inside a paragraph (give it lines of its own); written as text",
        ),
        valid=True,
        then=lambda out: (
            '<div class="footnote">' in page(out) or pytest.fail("the footnotes were written as text")
        ),
    ),
    "backslash escapes in the summary": Case(
        {P: post("A", body="Not \\*bold\\* and \\--")},
        code=0,
        valid=True,
        then=_summary_is("Not *bold* and --"),
    ),
    "thousands of raw-HTML problems are summed up": Case(
        {P: post("A", body="a <x> " * 30)},
        args=("check",),
        stderr=fails(
            f"{P}:6: html: and 10 more raw-HTML problems like these",
            f"{P}:7: html: <x> is not an HTML element; written as text",
            what="Check",
        ),
    ),
    "a link inside a link": Case(
        {P: post("A", body='[a <a href="https://x.example/">b</a> c](https://e.example/)')},
        code=0,
        stderr=(
            f'{WARN}{P}:7: html: <a href="https://x.example/"> cannot stand inside another <a>; written as text',
        ),
        valid=True,
    ),
    "a self-closed div": Case(
        {P: post("A", body="<div/>\n\nText.")},
        code=0,
        stderr=(
            f"{WARN}{P}:7: html: <div/> cannot close itself with />: write its end tag; written as text",
        ),
        valid=True,
    ),
    "a processing instruction": Case(
        {P: post("A", body="Text <?php echo 1; ?> more.")},
        code=0,
        stderr=(f"{WARN}{P}:7: html: <?php echo 1; ?> is not HTML; written as text",),
        valid=True,
    ),
    "details, sup and an unclosed li are fine": Case(
        {
            P: post(
                "A",
                body="<details><summary>More</summary>\n<p>Inside</p>\n</details>\n\nx<sup>2</sup>\n\n<ul><li>a<li>b</ul>",
            )
        },
        code=0,
        valid=True,
    ),
    "script, handler, iframe, form and javascript: in the body": Case(
        {
            P: post(
                "A",
                body=(
                    "<script>alert(1)</script>\n\n"
                    '<p><img src="https://x.example/a.png" alt="a" onerror="alert(2)"></p>\n\n'
                    '<iframe src="https://video.example/embed/1" title="The video"></iframe>\n\n'
                    '<form action="https://x.example/"><button>Go</button></form>\n\n'
                    "[click](javascript:alert(3))"
                ),
            )
        },
        code=0,
        stderr=(
            f"{WARN}{P}:7: html: <script> is removed in the email and feeds (mail clients drop it)",
            f"{WARN}{P}:9: html: the onerror attribute is removed in the email and feeds (event handlers never run there)",
            f"{WARN}{P}:11: html: <iframe> is turned into a link in the email and feeds (mail clients drop it)",
            f"{WARN}{P}:13: html: <button> is removed in the email and feeds (mail clients drop it)",
            f"{WARN}{P}:13: html: <form> is removed in the email and feeds (mail clients drop it)",
            f"{WARN}{P}:15: html: the javascript: URL in href is removed in the email and feeds",
        ),
        valid=True,
        then=_no_script_in_mail,
    ),
    "an iframe becomes a link in the email": Case(
        {P: post("A", body='<iframe src="https://video.example/embed/1" title="The video"></iframe>')},
        code=0,
        stderr=(
            f"{WARN}{P}:7: html: <iframe> is turned into a link in the email and feeds (mail clients drop it)",
        ),
        valid=True,
        then=lambda out: (
            '<a href="https://video.example/embed/1"' in email_of(out)[0] or pytest.fail("no link")
        ),
    ),
    "a very long line": Case({P: post("A", body="word " * 40_000)}, code=0, valid=True),
    # ---- publication.toml ----
    "BOM in publication.toml": Case(toml={"BOM": ""}, code=0, valid=True),
    "subject prefix with a line feed": Case(
        toml={'subject_prefix = "[Analysis] "': 'subject_prefix = "[Analysis]\\nBcc: x@example.org "'},
        stderr=fails(
            "publication.toml:18: sections[0].subject_prefix: must be one line: it contains U+000A (LINE FEED)"
        ),
    ),
    "subject prefix with a bare CR": Case(
        toml={'subject_prefix = "[Analysis] "': 'subject_prefix = "[Analysis]\\r"'},
        stderr=fails(
            "publication.toml:18: sections[0].subject_prefix: must be one line: it contains U+000D (CARRIAGE RETURN)"
        ),
    ),
    "from_address with a bare CR": Case(
        toml={
            'from_address = "The Civic Ledger <newsletter@civicledger.example>"': 'from_address = "a@example.org\\rBcc: x@example.org"'
        },
        stderr=fails(
            "publication.toml:48: email.from_address: must be one line: it contains U+000D (CARRIAGE RETURN)"
        ),
    ),
    "from_address with two addresses": Case(
        toml={
            'from_address = "The Civic Ledger <newsletter@civicledger.example>"': 'from_address = "a@example.org, b@example.org"'
        },
        stderr=fails(
            "publication.toml:48: email.from_address: 'a@example.org, b@example.org' is not an email address, "
            "e.g. Name <news@example.org>"
        ),
    ),
    "reply_to with a bare CR": Case(
        toml={
            'reply_to = "The Civic Ledger desk <desk@civicledger.example>"': 'reply_to = "d@example.org\\rX: y"'
        },
        stderr=fails(
            "publication.toml:49: email.reply_to: must be one line: it contains U+000D (CARRIAGE RETURN)"
        ),
    ),
    "to with a bare CR": Case(
        toml={
            'postal_address = "The Civic Ledger, 418 Harbor Street, Suite 2, Harbor City"': 'postal_address = "Somewhere"\nto = "list@example.org\\rBcc: x@example.org"'
        },
        stderr=fails("publication.toml:51: email.to: must be one line: it contains U+000D (CARRIAGE RETURN)"),
    ),
    "a non-ASCII sender name is encoded": Case(
        toml={
            'from_address = "The Civic Ledger <newsletter@civicledger.example>"': 'from_address = "Zoë Ledger <news@civicledger.example>"'
        },
        code=0,
        valid=True,
        then=lambda out: (
            header(out, "From") == "Zoë Ledger <news@civicledger.example>" or pytest.fail(header(out, "From"))
        ),
    ),
    "unsubscribe_url with a bare CR": Case(
        toml={
            'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "https://u.example/x\\rBcc: x@example.org"'
        },
        stderr=fails(
            "publication.toml:51: email.unsubscribe_url: must be one line: it contains U+000D (CARRIAGE RETURN)"
        ),
    ),
    "unsubscribe_url with a second target": Case(
        toml={
            'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "https://u.example/x>, <https://other.example/y"'
        },
        stderr=fails(
            "publication.toml:51: email.unsubscribe_url: must be one URL: '>' is not allowed in it (percent-encode it)"
        ),
    ),
    "merge tag with a second target": Case(
        toml={
            'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "{{ x }}>, <https://other.example/y"'
        },
        stderr=fails(
            "publication.toml:51: email.unsubscribe_url: a merge tag must not contain a comma or a double quote"
        ),
    ),
    "unsubscribe_url with a non-ASCII path": Case(
        toml={
            'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "https://u.example/désabonner?a=b,c"'
        },
        code=0,
        valid=True,
        then=lambda out: (
            raw_header(out, "List-Unsubscribe").startswith(
                "List-Unsubscribe: <https://u.example/d%C3%A9sabonner?a=b%2Cc>"
            )
            or pytest.fail(raw_header(out, "List-Unsubscribe"))
        ),
    ),
    "unsubscribe_url with a non-ASCII host": Case(
        toml={'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "https://bücher.example/u"'},
        code=0,
        valid=True,
        then=lambda out: (
            "<https://xn--bcher-kva.example/u>" in raw_header(out, "List-Unsubscribe")
            or pytest.fail("not IDNA")
        ),
    ),
    "unsubscribe_url with a bad host": Case(
        toml={'unsubscribe_url = "{{ unsubscribe_url }}"': 'unsubscribe_url = "https://[::1/u"'},
        stderr=fails("publication.toml:51: email.unsubscribe_url: is not a valid URL (Invalid IPv6 URL)"),
    ),
    "mailto with non-ASCII": Case(
        toml={
            'list_unsubscribe_mailto = "mailto:unsubscribe@civicledger.example?subject=unsubscribe"': 'list_unsubscribe_mailto = "mailto:désabo@bücher.example?subject=désabonner"'
        },
        code=0,
        valid=True,
        then=lambda out: (
            "<mailto:d%C3%A9sabo@xn--bcher-kva.example?subject=d%C3%A9sabonner>"
            in raw_header(out, "List-Unsubscribe")
            or pytest.fail("not encoded")
        ),
    ),
    "mailto with two addresses": Case(
        toml={
            'list_unsubscribe_mailto = "mailto:unsubscribe@civicledger.example?subject=unsubscribe"': 'list_unsubscribe_mailto = "mailto:a@example.org,b@example.org"'
        },
        stderr=fails(
            "publication.toml:53: email.list_unsubscribe_mailto: must be a mailto: URL with one address, e.g. mailto:unsubscribe@example.org"
        ),
    ),
    "base_url with a non-ASCII host": Case(
        toml={'base_url = "https://civicledger.example"': 'base_url = "https://bücher.example"'},
        code=0,
        valid=True,
        then=lambda out: (
            header(out, "Message-ID") == "<good@xn--bcher-kva.example>"
            or pytest.fail(header(out, "Message-ID"))
        ),
    ),
    "base_url with a missing bracket": Case(
        toml={'base_url = "https://civicledger.example"': 'base_url = "https://[::1"'},
        stderr=fails("publication.toml:7: base_url: is not a valid URL (Invalid IPv6 URL)"),
    ),
    "base_url with a bad port": Case(
        toml={'base_url = "https://civicledger.example"': 'base_url = "https://civicledger.example:99999"'},
        stderr=fails("publication.toml:7: base_url: is not a valid URL (Port out of range 0-65535)"),
    ),
    "base_url with an IPv6 host builds": Case(
        toml={'base_url = "https://civicledger.example"': f'base_url = "{IPV6}"'}, code=0, valid=True
    ),
    "base_url with javascript:": Case(
        toml={'base_url = "https://civicledger.example"': 'base_url = "javascript:alert(1)"'},
        stderr=fails(
            "publication.toml:7: base_url: must be an absolute http(s) URL, e.g. https://example.org"
        ),
    ),
    "section folder tags": Case(
        toml={'folder = "analyses"': 'folder = "tags"'},
        stderr=fails(
            f"publication.toml:14: sections[0].folder: 'tags' is reserved for the tag pages (reserved: {RESERVED})"
        ),
    ),
    "section folder archive": Case(
        toml={'folder = "analyses"': 'folder = "archive"'},
        stderr=fails(
            f"publication.toml:14: sections[0].folder: 'archive' is reserved for the archive (reserved: {RESERVED})"
        ),
    ),
    "section folder p": Case(
        toml={'folder = "analyses"': 'folder = "p"'},
        stderr=fails(
            f"publication.toml:14: sections[0].folder: 'p' is reserved for the post pages (reserved: {RESERVED})"
        ),
    ),
    "section folder search": Case(
        toml={'folder = "analyses"': 'folder = "search"'},
        stderr=fails(
            f"publication.toml:14: sections[0].folder: 'search' is reserved for the search page (reserved: {RESERVED})"
        ),
    ),
    "a description with a control character": Case(
        toml={"description = ": 'description = "a\\u001bb"'},
        stderr=fails(
            "publication.toml:6: description: contains the control character U+001B (ESCAPE); remove it"
        ),
    ),
    "a language that is not a tag": Case(
        toml={'language = "en"': 'language = "en\\"><script>"'},
        stderr=fails("publication.toml:8: language: 'en\"><script>' is not a language tag, e.g. en or pt-BR"),
    ),
    "a time zone that is a path": Case(
        toml={'timezone = "America/New_York"': 'timezone = "../../etc/passwd"'},
        stderr=fails("publication.toml:9: timezone: unknown IANA time zone '../../etc/passwd'"),
    ),
    "a support link with javascript:": Case(
        toml={'link = "https://support.civicledger.example/one-time"': 'link = "javascript:alert(1)"'},
        stderr=fails(
            "publication.toml:36: support.link: must be an absolute https:// or http:// URL, or a path in the site "
            "such as /subscribe/"
        ),
    ),
    "a feed icon with javascript:": Case(
        toml={'# icon = "static/icon.png"': 'icon = "javascript:alert(1)"'},
        stderr=fails(
            "publication.toml:59: feeds.icon: must be a path in the site, e.g. static/icon.png, or an https:// URL"
        ),
    ),
    # ---- templates and static files ----
    "a template dividing by zero": Case(
        {"templates/post.html": "<!DOCTYPE html>\n<title>x</title>\n{{ 1 // 0 }}\n"},
        stderr=fails(
            "templates/post.html:3: template: ZeroDivisionError: integer division or modulo by zero"
        ),
    ),
    "a template calling itself": Case(
        {"templates/404.html": "{% macro f() %}{{ f() }}{% endmacro %}\n{{ f() }}\n"},
        stderr=fails(
            "templates/404.html:1: template: RecursionError: a macro, include or block calls itself without end"
        ),
    ),
    "an email template dividing by zero": Case(
        {"templates/email/post.html": "<!DOCTYPE html>\n<title>x</title>\n\n{{ 1 / 0 }}\n"},
        stderr=fails("templates/email/post.html:4: template: ZeroDivisionError: division by zero"),
    ),
    "a template that is not UTF-8": Case(
        {"templates/post.html": b"<!DOCTYPE html>\n<title>caf\xe9</title>\n"},
        stderr=fails(
            "templates/post.html:2: template: is not valid UTF-8 (byte 0xe9 at offset 26); save it as UTF-8"
        ),
    ),
    "an email stylesheet that is not UTF-8": Case(
        {"templates/email/email.css": b"p { color: red; }\n/* \xff */\n"},
        stderr=fails(
            "templates/email/email.css:2: template: is not valid UTF-8 (byte 0xff at offset 21); save it as UTF-8"
        ),
    ),
    "a template with a syntax error": Case(
        {"templates/post.html": "{% if %}\n"},
        stderr=fails(
            "templates/post.html:1: template: TemplateSyntaxError: Expected an expression, got 'end of statement block'"
        ),
    ),
    "a template using an unknown variable": Case(
        {"templates/404.html": "{{ nothing_here }}\n"},
        stderr=fails("templates/404.html:1: template: UndefinedError: 'nothing_here' is undefined"),
    ),
    "a binary static file is copied": Case(
        {"templates/static/logo.png": b"\x89PNG\r\n\x1a\n\x00\xff"},
        code=0,
        valid=True,
        then=lambda out: (
            (out / "site/static/logo.png").read_bytes().startswith(b"\x89PNG") or pytest.fail("not copied")
        ),
    ),
    "a static link out of templates/": Case(
        {"templates/static/leak.txt": "LINK:/etc/hostname"},
        stderr=fails(
            "templates/static/leak.txt:1: template: is a link to a file outside the templates folder; copy the file in instead"
        ),
    ),
    # ---- command-line values ----
    "--base-url that is not a URL": Case(
        args=("build", "--base-url", "not a url"),
        code=2,
        stderr=(
            "Usage: publisher build [OPTIONS]",
            "Try 'publisher build --help' for help.",
            "",
            "Error: Invalid value for '--base-url': must be an absolute http(s) URL, e.g. https://example.org",
        ),
    ),
    "--base-url with a missing bracket": Case(
        args=("build", "--base-url", "https://[::1"),
        code=2,
        stderr=(
            "Usage: publisher build [OPTIONS]",
            "Try 'publisher build --help' for help.",
            "",
            "Error: Invalid value for '--base-url': is not a valid URL (Invalid IPv6 URL)",
        ),
    ),
    "--base-url with a line feed": Case(
        args=("check", "--base-url", "https://a.example/\nX: y"),
        code=2,
        stderr=(
            "Usage: publisher check [OPTIONS]",
            "Try 'publisher check --help' for help.",
            "",
            "Error: Invalid value for '--base-url': must be one line: it contains U+000A (LINE FEED)",
        ),
    ),
    "check --verbose is not offered": Case(
        args=("check", "--verbose"),
        code=2,
        stderr=(
            "Usage: publisher check [OPTIONS]",
            "Try 'publisher check --help' for help.",
            "",
            "Error: No such option '--verbose'.",
        ),
    ),
    "serve --drafts is not offered": Case(
        args=("serve", "--drafts"),
        code=2,
        stderr=(
            "Usage: publisher serve [OPTIONS]",
            "Try 'publisher serve --help' for help.",
            "",
            "Error: No such option '--drafts'.",
        ),
    ),
    "new with a title too long for a file name": Case(
        args=("new", "analyses", "word " * 50),
        code=0,
        stdout="Created posts/analyses/"
        + "-".join(["word"] * 16)
        + ".md (draft: true; build with --drafts to see it)",
    ),
    "new with a title over the limit": Case(
        args=("new", "analyses", "x" * 301),
        code=2,
        stderr=(
            "Usage: publisher new [OPTIONS] SECTION TITLE",
            "Try 'publisher new --help' for help.",
            "",
            "Error: Invalid value for TITLE: is 301 characters long; at most 300 are allowed",
        ),
    ),
    "new with a line feed in the title": Case(
        args=("new", "analyses", "Hello\nBcc: x@example.org"),
        code=2,
        stderr=(
            "Usage: publisher new [OPTIONS] SECTION TITLE",
            "Try 'publisher new --help' for help.",
            "",
            "Error: Invalid value for TITLE: must be one line: it contains U+000A (LINE FEED)",
        ),
    ),
    "--jobs below zero": Case(
        args=("build", "--jobs", "-1"),
        code=2,
        stderr=(
            "Usage: publisher build [OPTIONS]",
            "Try 'publisher build --help' for help.",
            "",
            "Error: Invalid value for '--jobs': -1 is not in the range x>=0.",
        ),
    ),
    # ---- what check and build say about the publication as a whole ----
    "check looks at drafts": Case(
        {P: post("A", "draft: true", body="[x](gone.md) ![y](missing.png)")},
        args=("check",),
        stderr=fails(
            f"{P}:8: image: 'missing.png' does not exist next to the post (draft)",
            f"{P}:8: link: links to 'gone.md', which is not a post file (draft)",
            what="Check",
        ),
    ),
    "check looks at scheduled posts": Case(
        {P: post("A", body="[x](gone.md)").replace("2026-01-05", "2999-01-01")},
        args=("check",),
        stderr=fails(f"{P}:7: link: links to 'gone.md', which is not a post file (scheduled)", what="Check"),
    ),
    "check still rejects a link to a draft": Case(
        {P: post("A", body="[x](d.md)"), "posts/analyses/d.md": post("D", "draft: true")},
        args=("check",),
        stderr=fails(
            f"{P}:7: link: links to 'd.md', a draft: publish it or build with --drafts", what="Check"
        ),
    ),
}


def _write(root: Path, relative: str, content: str | bytes) -> None:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, str) and content.startswith("LINK:"):
        os.symlink(content[len("LINK:") :], path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")


def _edit_toml(root: Path, edits: dict[str, str]) -> None:
    path = root / "publication.toml"
    text = path.read_text(encoding="utf-8")
    for old, new in edits.items():
        if old == "BOM":
            text = "\ufeff" + text
            continue
        lines = text.split("\n")
        index = next(i for i, line in enumerate(lines) if line.startswith(old))
        lines[index] = new
        text = "\n".join(lines)
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize("name", list(CASES))
def test_hostile_input(publication: Publication, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    case = CASES[name]
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01: the posts of 2026 are out
    publication.post("insights/good.md", title="Good", tags="[civic]")
    _edit_toml(publication.root, case.toml)
    for relative, content in case.files.items():
        _write(publication.root, relative, content)
    command, *rest = case.args
    args = [command, "--root", str(publication.root), *rest]
    if command in ("build",) and "--jobs" not in rest:
        args += ["--jobs", "1"]
    result = run(*args)
    output = result.stdout + result.stderr
    assert "Traceback" not in output and "internal error" not in output, output
    assert result.exit_code == case.code, output
    if case.stderr is not None:
        assert result.stderr.splitlines() == list(case.stderr)
    if case.stdout is not None:
        assert case.stdout in result.stdout.splitlines(), result.stdout
    if case.valid:
        assert output_problems(publication.out, case.headers) == {}
    if case.then is not None:
        case.then(publication.out)


def test_enough_cases() -> None:
    assert len(CASES) >= 80


def test_a_missing_posts_folder_is_an_error(publication: Publication) -> None:
    for folder in sorted((publication.root / "posts").iterdir()):
        folder.rmdir()
    (publication.root / "posts").rmdir()
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == list(
        fails(
            f"posts/:1: (folder): not found in {publication.root.resolve()}: put each post in posts/<section folder>/"
        )
    )


def test_an_empty_posts_folder_warns_and_its_feeds_carry_no_1970_date(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1798761600")  # 2027-01-01T00:00:00Z
    result = publication.build()
    assert result.exit_code == 0, result.output
    assert (
        result.stderr == "warning: posts/:1: (folder): holds no posts yet: the site and its feeds are empty\n"
    )
    for name in ("feed.xml", "atom.xml", "analyses/atom.xml"):
        text = (publication.out / "site" / name).read_text(encoding="utf-8")
        assert "1970" not in text
        assert "2027" in text
    assert output_problems(publication.out) == {}


def test_an_unexpected_exception_is_one_line_naming_the_file(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fault injection: the feed renderer fails as a bug would."""
    import publisher.render.feeds

    def broken(*args: object, **kwargs: object) -> dict[str, bytes]:
        raise RuntimeError("boom")

    publication.post("insights/good.md", title="Good", tags="[civic]")
    monkeypatch.setattr(publisher.render.feeds, "render_feeds", broken)
    result = publication.build("--jobs", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: internal error while processing site/feed.xml: RuntimeError: boom; run with --debug for details\n"
    )
    debug = run("--debug", "build", "--root", str(publication.root), "--jobs", "1")
    assert debug.exit_code == 1
    assert "Traceback (most recent call last):" in debug.stderr
    assert debug.stderr.endswith("Error: internal error while processing site/feed.xml: RuntimeError: boom\n")


def test_an_unexpected_exception_in_a_post_names_the_post(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.content.markup import BodyRenderer

    def broken(*args: object, **kwargs: object) -> None:
        raise KeyError("nope")

    publication.post("insights/good.md", title="Good", tags="[civic]")
    monkeypatch.setattr(BodyRenderer, "render", broken)
    result = publication.build("--clean", "--jobs", "1")
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: internal error while processing posts/insights/good.md: KeyError: 'nope'; "
        "run with --debug for details\n"
    )


def test_the_build_is_byte_identical_with_raw_html_and_merge_tags(
    make_publication: Callable[[str], Publication],
) -> None:
    """The merge-tag marker is random per build; the output must not be."""
    outputs = []
    for name in ("one", "two"):
        publication = make_publication(name)
        publication.post(
            "analyses/t.md",
            title="A",
            tags="[civic]",
            body="a <angle brackets> <iframe src='https://v.example/e'></iframe> publisher-merge-tag-0",
        )
        assert publication.build("--jobs", "1").exit_code == 0
        outputs.append(
            {
                str(p.relative_to(publication.out)): p.read_bytes()
                for p in sorted(publication.out.rglob("*"))
                if p.is_file() and ".cache" not in p.parts
            }
        )
    assert outputs[0] == outputs[1]
