"""`publisher import`: real exports in, posts that check and build out, nothing of the text lost."""

from __future__ import annotations

import json
import re
import shutil
import zipfile
from collections import Counter
from html import escape as html_escape
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, Publication, run
from defusedxml.ElementTree import parse
from hypothesis import example, given, settings
from hypothesis import strategies as st

from publisher.content.markup import BodyRenderer
from publisher.importers.html_to_markdown import escape_markdown, html_to_markdown, wordpress_autop

FIXTURES = REPO / "tests" / "fixtures" / "import"
SUBSTACK = FIXTURES / "substack"
GHOST = FIXTURES / "ghost.json"
WORDPRESS = FIXTURES / "wordpress.xml"

# What an import is meant to leave out of the text: platform widgets and buttons, and markup
# that is not text. Everything else in the source must reach the built page.
MEANT_TO_GO = (
    "script, style, form, button, .button-wrapper, .subscription-widget-wrap-editor, "
    ".kg-signup-card, .kg-button-card, .image-link-expand, .footnote-number, .footnote-backref, "
    "a[href^='#fnref'], a[href$='-link'], .wp-block-embed__wrapper"
)


def render(markdown_text: str) -> BeautifulSoup:
    body = BodyRenderer().render(markdown_text, Path("/x/posts/a/p.md"), Path("/x/posts"), {}, "/media/")
    return BeautifulSoup(body.html, "html.parser")


def words(text: str) -> Counter[str]:
    return Counter(re.findall(r"\w+", text.casefold()))


def import_into(pub: Publication, platform: str, export: Path | str, *args: str) -> str:
    result = run("import", platform, str(export), "--root", str(pub.root), *args)
    assert result.exit_code == 0, result.output + result.stderr
    return result.stdout


def page_text(pub: Publication, slug: str) -> str:
    page = BeautifulSoup((pub.out / "site" / "p" / slug / "index.html").read_text(), "html.parser")
    body = page.select_one(".post-body")
    assert body is not None
    return body.get_text(" ")


def source_words(html: str) -> Counter[str]:
    soup = BeautifulSoup(html, "html.parser")
    for tag in soup.select(MEANT_TO_GO):
        tag.decompose()
    return words(soup.get_text(" "))


# --- the converter ----------------------------------------------------------------------------


@settings(max_examples=80, deadline=None)
@given(st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=1, max_size=60))
def test_escaped_text_renders_as_the_same_text(text: str) -> None:
    """Whatever characters a post holds, Markdown shows them as written and adds no markup."""
    text = " ".join(text.split())
    if not text:
        return
    soup = render(escape_markdown(text) + "\n")
    assert " ".join(soup.get_text().split()) == text
    assert soup.find(lambda tag: tag.name not in ("p",)) is None


def test_nested_lists_tables_and_footnotes_survive_conversion() -> None:
    html = (
        "<ol><li><p>Intake.</p><ul><li><p>Missing.</p></li><li><p>Complete.</p></li></ul></li>"
        "<li><p>Zoning.</p></li></ol>"
        "<table><tr><th>A</th><th>B</th></tr><tr><td>1 | 2</td><td>x</td></tr></table>"
        '<p>Note<sup class="footnote-ref"><a href="#fn1" id="fnref1">[1]</a></sup>.</p>'
        '<section class="footnotes"><ol><li id="fn1" class="footnote-item"><p>Said. '
        '<a href="#fnref1" class="footnote-backref">↩︎</a></p></li></ol></section>'
    )
    converted = html_to_markdown(html)
    soup = render(converted.markdown)
    outer = soup.find("ol")
    assert [li.find("p").get_text() for li in outer.find_all("li", recursive=False)] == ["Intake.", "Zoning."]
    assert [li.get_text() for li in outer.find("ul").find_all("li")] == ["Missing.", "Complete."]
    assert [td.get_text() for td in soup.find("table").find_all("td")] == ["1 | 2", "x"]
    assert soup.find("sup", id="fnref:1") is not None
    assert soup.select_one(".footnote li").get_text().strip().startswith("Said.")
    assert converted.notes == []


def test_what_markdown_cannot_hold_is_clean_allow_listed_html() -> None:
    html = (
        '<table><tr><th colspan="2" onclick="steal()" style="x">Merged</th></tr>'
        '<tr><td><script>bad()</script>1</td><td><a href="javascript:x()">2</a> &lt;b&gt;</td></tr></table>'
        '<p>Watch <iframe src="https://www.youtube.com/embed/abcDEF12345"></iframe></p>'
        '<p class="button-wrapper"><a class="button" href="https://x.substack.com/subscribe?">Subscribe</a></p>'
    )
    converted = html_to_markdown(html)
    soup = render(converted.markdown)
    cell = soup.find("th")
    assert cell.attrs == {"colspan": "2"}
    assert soup.find("script") is None and soup.find("iframe") is None
    assert soup.find("a", href=re.compile("javascript")) is None
    assert soup.find("td", string=re.compile("<b>")) is not None
    assert soup.find("a", href="https://www.youtube.com/watch?v=abcDEF12345") is not None
    assert "Subscribe" not in soup.get_text()
    assert converted.notes == [
        "embedded content turned into a link",
        "subscribe or share button",
        "table kept as HTML (merged cells)",
    ]


WORD = st.text(alphabet="abcdefghijklmnopqrstuvwxyzäéß0123456789*_#[]<>&`|-+.!", min_size=1, max_size=8).map(
    html_escape
)
INLINE = st.recursive(
    st.lists(WORD, min_size=1, max_size=4).map(" ".join),
    lambda inner: st.one_of(
        inner.map(lambda t: f"<strong>{t}</strong>"),
        inner.map(lambda t: f"<em>{t}</em>"),
        inner.map(lambda t: f'<a href="https://example.org/x">{t}</a>'),
        st.tuples(inner, inner).map(lambda p: f"{p[0]} {p[1]}"),
    ),
    max_leaves=4,
)


def _items(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    """List items as exports write them: text first (bare or in a <p>), then any nested blocks."""
    first = st.one_of(INLINE, INLINE.map(lambda t: f"<p>{t}</p>"))
    item = st.tuples(first, st.lists(inner, max_size=2)).map(lambda p: f"<li>{p[0]}{''.join(p[1])}</li>")
    return st.lists(item, min_size=1, max_size=3).map("".join)


BLOCK = st.recursive(
    st.one_of(INLINE.map(lambda t: f"<p>{t}</p>"), INLINE.map(lambda t: f"<h2>{t}</h2>")),
    lambda inner: st.one_of(
        _items(inner).map(lambda items: f"<ul>{items}</ul>"),
        _items(inner).map(lambda items: f"<ol>{items}</ol>"),
        st.lists(inner, min_size=1, max_size=2).map(lambda b: "<blockquote>" + "".join(b) + "</blockquote>"),
    ),
    max_leaves=5,
)


def escaped_text(html: str) -> str:
    return BeautifulSoup(html, "html.parser").get_text(" ")


@settings(max_examples=60, deadline=None)
@given(st.lists(BLOCK, min_size=1, max_size=4).map("".join))
@example("<p>&amp;#0</p>")  # a numeric reference without its ; is still one to Python-Markdown
def test_converted_html_keeps_every_word_in_order(html: str) -> None:
    """Whatever the nesting of lists, quotes and inline markup, the words arrive in order."""
    rendered = render(html_to_markdown(html).markdown)
    assert re.findall(r"\w+", rendered.get_text(" ")) == re.findall(r"\w+", escaped_text(html))


# --- Substack ---------------------------------------------------------------------------------

TAKEN = "slug 'the-permit-queue' is taken by posts/insights/the-permit-queue.md"
SUBSTACK_REPORT = f"""\
Imported posts/insights/the-permit-queue.md (substack 101.the-permit-queue)
  note: embedded post turned into a quote with a link
  note: embedded video turned into a link
  note: subscribe or share button (2)
  note: subscribe or share widget
Imported posts/insights/members-only-numbers.md as a draft (substack 102.members-only-numbers)
  note: Substack audience only_paid: imported as a draft; remove `draft: true` to publish it to everyone
Imported posts/insights/an-idea.md as a draft (substack 104.an-idea)
  note: no date in the export; dated at the time of the import
Imported posts/insights/quiet-week.md (substack 105.quiet-week)
  note: empty body
Imported posts/insights/cafe-society.md (substack 106.café-society)
  note: slug 'café-society' is not a URL slug here; imported as 'cafe-society'
  note: table kept as HTML (merged cells)
Imported posts/insights/the-permit-queue-2.md (substack 107.the-permit-queue)
  note: {TAKEN}; imported as 'the-permit-queue-2'
  note: 1 link(s) to the old site now point at the imported post's file
Skipped substack 103.episode-one: a podcast (use --include podcast to import it)
Skipped substack 108.open-thread: a thread (use --include thread to import it)
Imported 6 posts (2 drafts), 2 skipped, 11 notes, 1 redirect for redirects.txt.
"""


@pytest.fixture(scope="module")
def substack_zip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixture folder as Substack ships it: a zip with posts.csv and posts/ at the top."""
    path = tmp_path_factory.mktemp("zip") / "export.zip"
    with zipfile.ZipFile(path, "w") as archive:
        for file in sorted(SUBSTACK.rglob("*")):
            if file.is_file():
                archive.write(file, file.relative_to(SUBSTACK).as_posix())
    return path


@pytest.mark.parametrize("form", ["folder", "zip"])
def test_substack_export_imports_checks_and_builds(
    form: str, substack_zip: Path, publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01: the undated draft's date
    export = SUBSTACK if form == "folder" else substack_zip
    output = import_into(
        publication,
        "substack",
        export,
        "--section",
        "insights",
        "--site-url",
        "https://civicledger.substack.com",
    )
    assert output == SUBSTACK_REPORT

    paid = (publication.root / "posts/insights/members-only-numbers.md").read_text()
    assert paid.startswith("---\n# imported from substack 102.members-only-numbers\n")
    assert "\ndraft: true\n" in paid and "# Substack audience only_paid" in paid
    first = (publication.root / "posts/insights/the-permit-queue.md").read_text()
    assert "\ndate: 2024-03-05T08:30:00-05:00\n" in first
    assert "\nsubtitle: Why applications wait “under review”\n" in first
    undated = (publication.root / "posts/insights/an-idea.md").read_text()
    assert "\ndate: 2025-12-31T19:00:00-05:00\n" in undated

    check = run("check", "--root", str(publication.root))
    assert check.exit_code == 0, check.stderr
    assert check.stdout.startswith("Checked 6 posts: no errors")
    assert publication.build("--quiet").exit_code == 0
    built = sorted(p.name for p in (publication.out / "site/p").iterdir())
    assert built == ["cafe-society", "café-society", "quiet-week", "the-permit-queue", "the-permit-queue-2"]

    # Round trip: every word of each source body is on the built page.
    for key, slug in [("101.the-permit-queue", "the-permit-queue"), ("106.café-society", "cafe-society")]:
        source = (SUBSTACK / "posts" / f"{key}.html").read_text()
        missing = source_words(source) - words(page_text(publication, slug))
        assert missing == Counter(), (slug, missing)
    page = BeautifulSoup((publication.out / "site/p/the-permit-queue/index.html").read_text(), "html.parser")
    body = page.select_one(".post-body")
    assert [h.get_text() for h in body.find_all(["h2", "h3"])] == ["How the queue works", "The numbers"]
    assert body.find("img")["alt"] == "Median days in the queue, by desk"
    assert (
        body.find("img")
        .find_parent("p")
        .find_next_sibling("p")
        .find("em")
        .get_text()
        .startswith("Median days")
    )
    assert "Subscribe" not in body.get_text() and body.find(["form", "iframe", "button"]) is None
    # A link to the old address of another imported post leads to that post here.
    second = BeautifulSoup(
        (publication.out / "site/p/the-permit-queue-2/index.html").read_text(), "html.parser"
    )
    assert second.select_one(".post-body a")["href"] == "/p/the-permit-queue/#how-the-queue-works"


def test_other_substack_types_with_include_and_a_type_rule(publication: Publication) -> None:
    output = import_into(
        publication, "substack", SUBSTACK, "--include", "podcast", "--map", "type:podcast=playbooks"
    )
    assert "Imported posts/playbooks/episode-one.md (substack 103.episode-one)" in output
    assert "Skipped substack 108.open-thread: a thread (use --include thread to import it)" in output
    episode = (publication.root / "posts/playbooks/episode-one.md").read_text()
    assert episode.endswith("\n---\n\n[Listen to the episode](https://example.com/ep1.mp3)\n\nShow notes.\n")


def test_a_second_import_reports_already_imported_and_force_overwrites(publication: Publication) -> None:
    import_into(publication, "substack", SUBSTACK, "--section", "insights")
    post = publication.root / "posts/insights/the-permit-queue.md"
    post.write_text(post.read_text().replace("Harbor City", "EDITED"))
    again = import_into(publication, "substack", SUBSTACK, "--section", "playbooks")
    assert (
        "Skipped substack 101.the-permit-queue: already imported as posts/insights/the-permit-queue.md"
        in again
    )
    assert again.endswith("Imported 0 posts (0 drafts), 8 skipped, 0 notes, 0 redirects for redirects.txt.\n")
    assert "EDITED" in post.read_text()
    assert not list((publication.root / "posts/playbooks").iterdir())

    forced = import_into(publication, "substack", SUBSTACK, "--force")
    assert (
        "Imported posts/insights/the-permit-queue.md again (--force) (substack 101.the-permit-queue)"
        in forced
    )
    assert "EDITED" not in post.read_text()
    assert len(list(publication.root.glob("posts/*/*.md"))) == 6


def test_dry_run_writes_nothing(publication: Publication) -> None:
    before = sorted(p.relative_to(publication.root) for p in publication.root.rglob("*"))
    output = import_into(publication, "substack", SUBSTACK, "--dry-run")
    assert (
        output.splitlines()[0]
        == "Would import posts/analyses/the-permit-queue.md (substack 101.the-permit-queue)"
    )
    assert output.endswith(
        "Dry run: would import 6 posts (2 drafts), 2 skipped, 10 notes, 1 redirect for redirects.txt; "
        "nothing was written.\n"
    )
    assert sorted(p.relative_to(publication.root) for p in publication.root.rglob("*")) == before


def test_an_existing_post_keeps_its_slug(publication: Publication) -> None:
    publication.post("analyses/mine.md", slug="the-permit-queue")
    output = import_into(publication, "substack", SUBSTACK, "--section", "analyses")
    assert (
        "  note: slug 'the-permit-queue' is taken by posts/analyses/mine.md; imported as 'the-permit-queue-2'"
        in output
    )
    assert "imported as 'the-permit-queue-3'" in output
    assert run("check", "--root", str(publication.root)).exit_code == 0


def test_copy_images_points_posts_at_copies(publication: Publication) -> None:
    output = import_into(publication, "substack", SUBSTACK, "--copy-images", str(FIXTURES / "images"))
    copy = publication.root / "posts/analyses/images/the-permit-queue/queue-chart_1200x800.png"
    assert copy.read_bytes() == (FIXTURES / "images/public/images/queue-chart_1200x800.png").read_bytes()
    assert "  copy queue-chart_1200x800.png to posts/analyses/images/the-permit-queue/" in output
    post = (publication.root / "posts/analyses/the-permit-queue.md").read_text()
    assert "](images/the-permit-queue/queue-chart_1200x800.png)" in post
    assert publication.build("--quiet").exit_code == 0
    page = BeautifulSoup((publication.out / "site/p/the-permit-queue/index.html").read_text(), "html.parser")
    src = page.select_one(".post-body img")["src"]
    assert src.startswith("/media/") and (publication.out / "site" / src.lstrip("/")).is_file()


# --- Ghost ------------------------------------------------------------------------------------


def test_ghost_export_with_tags_authors_sections_and_redirects(publication: Publication) -> None:
    output = import_into(
        publication,
        "ghost",
        GHOST,
        "--site-url",
        "https://ledger.ghost.io/",
        "--section",
        "analyses",
        "--map",
        "tag:Playbook=playbooks",
    )
    assert output.splitlines()[-2:] == [
        "Skipped ghost 65f0a1b2c3d4e5f601000005: a page (use --include page to import it)",
        "Imported 5 posts (2 drafts), 1 skipped, 7 notes, 5 redirects for redirects.txt.",
    ]
    text = (publication.root / "posts/analyses/reading-the-budget-book.md").read_text()
    header = text.split("\n---\n", 1)[0]
    assert header.splitlines()[1:] == [
        "# imported from ghost 65f0a1b2c3d4e5f601000001",
        "title: Reading the Budget Book",
        "date: 2024-05-14T07:00:00-04:00",
        "updated: 2024-05-15T06:00:00-04:00",
        "slug: reading-the-budget-book",
        "summary: 'Four pages out of 900: where to start with the city budget.'",
        "tags: [Budget, City Hall]",
        "authors: [Dana Ortiz, Sam Lee]",
        "cover: https://ledger.ghost.io/content/images/2024/05/budget-cover.png",
        "cover_alt: The budget book on a desk",
    ]
    assert "__GHOST_URL__" not in text
    assert (publication.root / "posts/playbooks/how-to-speak-at-a-hearing.md").is_file()
    assert "Ghost visibility paid" in (publication.root / "posts/analyses/line-item-tracker.md").read_text()

    assert run("check", "--root", str(publication.root)).exit_code == 0
    assert publication.build("--quiet").exit_code == 0
    source = json.loads(GHOST.read_text())["db"][0]["data"]["posts"][0]["html"]
    missing = source_words(source) - words(page_text(publication, "reading-the-budget-book"))
    assert missing == Counter()
    moved = BeautifulSoup(
        (publication.out / "site/reading-the-budget-book/index.html").read_text(), "html.parser"
    )
    target = "https://civicledger.example/p/reading-the-budget-book/"
    assert moved.find("meta", attrs={"http-equiv": "refresh"})["content"] == f"0; url={target}"
    assert moved.find("link", rel="canonical")["href"] == target
    redirects = (publication.out / "site/_redirects").read_text().splitlines()
    assert "/reading-the-budget-book/ /p/reading-the-budget-book/ 301" in redirects
    # The paid post and the draft are not built, and neither are their redirects.
    assert not (publication.out / "site/line-item-tracker").exists()
    assert len(redirects) == 3
    hearing = BeautifulSoup(
        (publication.out / "site/p/how-to-speak-at-a-hearing/index.html").read_text(), "html.parser"
    )
    assert hearing.select_one(".post-body a")["href"] == "/p/reading-the-budget-book/"


# --- WordPress --------------------------------------------------------------------------------


def test_wordpress_export_imports_with_date_based_redirects(publication: Publication) -> None:
    output = import_into(publication, "wordpress", WORDPRESS, "--map", "category:Guides=playbooks")
    assert output.splitlines()[-5:] == [
        "Skipped wordpress 33: in the trash",
        "Skipped wordpress 40: a page (use --include page to import it)",
        "Skipped wordpress 1 attachment item: not posts",
        "Skipped wordpress 1 nav_menu_item item: not posts",
        "Imported 5 posts (3 drafts), 4 skipped, 7 notes, 4 redirects for redirects.txt.",
    ]
    ferry = (publication.root / "posts/playbooks/ferry-schedules-explained.md").read_text()
    assert "\nauthors: [Min Kim]\n" in ferry and "\ntags: [ferries, transit]\n" in ferry
    assert "\ncover: https://harbornotes.example/wp-content/uploads/2019/05/ferry.jpg\n" in ferry
    assert "\ndate: 2019-05-03T10:00:00-04:00\n" in ferry
    assert (
        "WordPress password-protected post"
        in (publication.root / "posts/analyses/supporters-update.md").read_text()
    )
    lines = (publication.root / "redirects.txt").read_text().splitlines()
    assert ["/2020/01/15/港の予算/", "/p/gang-noyu-suan/"] in [line.split() for line in lines]

    assert run("check", "--root", str(publication.root)).exit_code == 0
    assert publication.build("--quiet").exit_code == 0
    root = parse(str(WORDPRESS)).getroot()
    bodies = {
        item.findtext("{http://wordpress.org/export/1.2/}post_id"): item.findtext(
            "{http://purl.org/rss/1.0/modules/content/}encoded"
        )
        for item in root.iter("item")
    }
    for slug, key in [("ferry-schedules-explained", "11"), ("gang-noyu-suan", "20")]:
        source = bodies[key]
        html = wordpress_autop(source)  # shortcodes are markup, not text
        missing = source_words(html) - words(page_text(publication, slug))
        assert missing == Counter(), (slug, missing)
    ferry_page = BeautifulSoup(
        (publication.out / "site/p/ferry-schedules-explained/index.html").read_text(), "html.parser"
    )
    assert ferry_page.find("a", href="https://www.youtube.com/watch?v=M7lc1UVf-VE") is not None
    assert ferry_page.find("a", string="the harbor budget")["href"] == "/p/gang-noyu-suan/"
    page = publication.out / "site/2020/01/15/港の予算/index.html"
    assert "url=https://civicledger.example/p/gang-noyu-suan/" in page.read_text()
    assert (
        "/2020/01/15/%E6%B8%AF%E3%81%AE%E4%BA%88%E7%AE%97/ /p/gang-noyu-suan/ 301"
        in (publication.out / "site/_redirects").read_text()
    )


def test_a_hostile_wxr_is_refused_without_a_traceback(tmp_path: Path, publication: Publication) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaa">]><rss><channel>&a;</channel></rss>')
    result = run("import", "wordpress", str(bomb), "--root", str(publication.root))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {bomb}: not a WordPress export (WXR): ")
    assert list(publication.root.rglob("*.md")) == []


# --- errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("platform", "content", "message"),
    [
        ("substack", b"not a zip", "not a Substack export (.zip or its folder): File is not a zip file"),
        ("ghost", b"{}", "no db[0].data.posts in the file: is this a Ghost JSON export?"),
        (
            "ghost",
            b"{",
            "not a Ghost JSON export: Expecting property name enclosed in double quotes: "
            "line 1 column 2 (char 1)",
        ),
    ],
)
def test_an_unreadable_export_is_one_error_line(
    platform: str, content: bytes, message: str, tmp_path: Path, publication: Publication
) -> None:
    export = tmp_path / "export"
    export.write_bytes(content)
    result = run("import", platform, str(export), "--root", str(publication.root))
    assert (result.exit_code, result.stderr) == (1, f"Error: {export}: {message}\n")


def test_ghost_links_need_the_site_url(publication: Publication) -> None:
    result = run("import", "ghost", str(GHOST), "--root", str(publication.root))
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: {GHOST}: its links and images start with __GHOST_URL__: "
        "give the Ghost site's address with --site-url\n",
    )


def test_unknown_sections_and_bad_rules_are_usage_errors(publication: Publication) -> None:
    result = run("import", "ghost", str(GHOST), "--root", str(publication.root), "--section", "news")
    assert result.exit_code == 2
    assert (
        "Error: no section 'news' in publication.toml (sections: analyses, playbooks, insights)"
        in result.stderr
    )
    result = run("import", "ghost", str(GHOST), "--root", str(publication.root), "--map", "author:x=analyses")
    assert result.exit_code == 2
    assert "is not a rule like tag:NAME=FOLDER" in result.stderr


def test_every_import_option_is_documented() -> None:
    from publisher.cli import import_group

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    for name, command in import_group.commands.items():
        assert "publisher import substack|ghost|wordpress" in readme, name
        for param in command.params:
            for opt in param.opts:
                if opt.startswith("--"):
                    assert f"`{opt}" in readme, (name, opt)


# --- redirects.txt in the build ---------------------------------------------------------------


def test_bad_redirects_are_errors_with_their_lines(publication: Publication) -> None:
    publication.post("analyses/hello.md")
    publication.write(
        "redirects.txt",
        """\
        # comment
        /old/ /p/hello/
        /two words/ /p/hello/
        /../x/ /p/hello/
        /old/ /p/hello/
        /gone/ /p/nobody/
        /tags/ /p/hello/
        """,
    )
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:-1] == [
        "redirects.txt:3: redirect: write one redirect a line: OLD-PATH NEW-PATH",
        "redirects.txt:4: redirect: '/../x/' is not a path to a page: "
        "no empty, . or .. parts, and not / itself",
        "redirects.txt:5: redirect: '/old/' is already redirected on line 2",
        "redirects.txt:6: redirect: no post has the slug 'nobody'",
    ]
    publication.write("redirects.txt", "/old/ /p/hello/\n/tags/ /p/hello/\n")
    result = publication.build()
    assert result.stderr.splitlines()[0] == "redirects.txt:2: redirect: '/tags/' is a page of this site"
    publication.write("redirects.txt", "/old/ /p/hello/\n")
    assert publication.build("--quiet").exit_code == 0
    assert (publication.out / "site/_redirects").read_text() == "/old/ /p/hello/ 301\n"
    assert publication.build("--quiet").stdout.startswith("Built 1 posts: 9 pages")  # not counting redirects


# --- an imported archive builds like any other ------------------------------------------------


def import_all(pub: Publication) -> None:
    """The three fixture exports into one publication, as a writer moving everything would."""
    import_into(
        pub, "substack", SUBSTACK, "--section", "insights", "--site-url", "https://civicledger.substack.com"
    )
    import_into(
        pub, "ghost", GHOST, "--site-url", "https://ledger.ghost.io", "--map", "tag:Playbook=playbooks"
    )
    import_into(pub, "wordpress", WORDPRESS, "--map", "category:Guides=playbooks")


def test_feeds_of_an_imported_archive_are_valid(publication: Publication) -> None:
    import feedparser
    from test_feeds import json_feed_problems

    import_all(publication)
    assert publication.build("--quiet").exit_code == 0
    site = publication.out / "site"
    for name in ("feed.xml", "atom.xml"):
        feed = feedparser.parse((site / name).read_bytes())
        assert feed.bozo == 0, (name, feed.get("bozo_exception"))
        titles = [entry.title for entry in feed.entries]
        assert len(titles) == 9  # 4 from Substack, 3 from Ghost, 2 from WordPress: no draft, nothing paid
        assert not any(
            t.startswith(("Members-Only", "Paid:", "Board", "Supporters", "An Idea")) for t in titles
        )
    assert json_feed_problems(json.loads((site / "feed.json").read_text())) == []


def test_a_disk_failure_midway_leaves_whole_posts_and_a_rerun_finishes(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno
    import os

    from publisher.importers import write

    calls = []
    real_link = os.link

    def failing_link(source: str, target: str) -> None:
        calls.append(target)
        if len(calls) == 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(target))
        real_link(source, target)

    monkeypatch.setattr(write.os, "link", failing_link)
    result = run("import", "substack", str(SUBSTACK), "--root", str(publication.root))
    assert result.exit_code == 1
    assert result.stderr == f"Error: No space left on device: {calls[2]}\n"
    written = sorted(p.name for p in publication.root.rglob("*") if p.is_file() and "posts" in p.parts)
    assert written == ["members-only-numbers.md", "the-permit-queue.md"]  # whole files, no temporary ones
    assert not (publication.root / "redirects.txt").exists()

    monkeypatch.setattr(write.os, "link", real_link)
    again = import_into(publication, "substack", str(SUBSTACK))
    assert (
        "Skipped substack 101.the-permit-queue: already imported as posts/analyses/the-permit-queue.md"
        in again
    )
    assert again.endswith("Imported 4 posts (1 draft), 4 skipped, 5 notes, 1 redirect for redirects.txt.\n")
    assert run("check", "--root", str(publication.root)).exit_code == 0


def test_a_folder_export_is_read_only_inside_itself(tmp_path: Path, publication: Publication) -> None:
    export = tmp_path / "export"
    shutil.copytree(SUBSTACK, export)
    secret = tmp_path / "secret.html"
    secret.write_text("<p>private words</p>")
    (export / "posts/105.quiet-week.html").unlink()
    (export / "posts/105.quiet-week.html").symlink_to(secret)
    with (export / "posts.csv").open("a") as csv:
        csv.write("109.../../secret,2024-04-09T13:30:00.000Z,true,,,newsletter,everyone,Escape,,,everyone\n")
    output = run("import", "substack", str(export), "--root", str(publication.root))
    assert output.exit_code == 0
    assert "warning: substack 109.../../secret: no posts/109.../../secret.html in the export" in output.stderr
    assert "private words" not in "".join(p.read_text() for p in publication.root.rglob("*.md"))
