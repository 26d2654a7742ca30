"""RSS, Atom and JSON Feed, as a feed reader and the specs see them."""

from __future__ import annotations

import calendar
import html
import json
import re
import time
from collections.abc import Iterator
from datetime import datetime
from email.utils import parsedate_to_datetime
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from bs4 import BeautifulSoup
from conftest import REPO, Publication
from html_links import fragment_ids, target_file
from lxml import etree

from publisher.build import BuildOptions, build
from publisher.content.config import load_publication
from publisher.content.posts import Post, load_posts

HOST = "civicledger.example"
SITE = f"https://{HOST}/"
SECTIONS = ("analyses", "playbooks", "insights")
XML_FEEDS = ("feed.xml", "atom.xml", *(f"{s}/{name}" for s in SECTIONS for name in ("feed.xml", "atom.xml")))
NS = {
    "atom": "http://www.w3.org/2005/Atom",
    "content": "http://purl.org/rss/1.0/modules/content/",
    "dc": "http://purl.org/dc/elements/1.1/",
    "dcterms": "http://purl.org/dc/terms/",
    "media": "http://search.yahoo.com/mrss/",
}
RFC_822 = re.compile(
    r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4}"
    r" \d{2}:\d{2}:\d{2} [+-]\d{4}$"
)
RFC_3339 = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$")


# ---- what the feeds should hold: the sample's posts, read from their files


def sample_posts(section: str | None = None) -> list[Post]:
    """Published sample posts, newest first, as an author wrote them."""
    publication = load_publication(REPO)
    posts, errors = load_posts(REPO, publication)
    assert errors == []
    chosen = [p for p in posts if not p.meta.draft and (section is None or p.section.folder == section)]
    return sorted(chosen, key=lambda p: (p.meta.date, p.slug), reverse=True)


def permalink(post: Post) -> str:
    return f"{SITE}p/{post.slug}/"


def utc(struct: time.struct_time) -> int:
    return calendar.timegm(struct)


def parse(path: Path) -> feedparser.FeedParserDict:
    """Parse a feed from its bytes: feedparser never goes to the network."""
    return feedparser.parse(path.read_bytes())


def xml(path: Path) -> etree._Element:
    return etree.fromstring(path.read_bytes())


def content_links(html: str) -> Iterator[str]:
    soup = BeautifulSoup(html, "html.parser")
    for tag, attr in (("a", "href"), ("img", "src")):
        for element in soup.find_all(tag):
            yield element[attr]


# ---- acceptance 1: feedparser reads every feed and it matches the posts


@pytest.mark.parametrize("name", XML_FEEDS)
def test_feedparser_reads_every_feed_without_complaint(sample_site: Path, name: str) -> None:
    feed = parse(sample_site / name)
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == ("atom10" if name.endswith("atom.xml") else "rss20")
    assert feed.entries


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_whole_site_feed_lists_every_post_newest_first(sample_site: Path, name: str) -> None:
    feed = parse(sample_site / name)
    posts = sample_posts()
    assert len(feed.entries) == len(posts) == 5
    for entry, post in zip(feed.entries, posts, strict=True):
        assert entry.title == post.meta.title
        assert entry.link == permalink(post)
        assert entry.id == permalink(post)
        assert utc(entry.published_parsed) == int(post.meta.date.timestamp())
        assert [tag.term for tag in entry.tags] == [post.section.name, *post.meta.tags]
        assert [a.name for a in entry.authors] == (post.meta.authors or ["The Civic Ledger desk"])
    published = [utc(e.published_parsed) for e in feed.entries]
    assert published == sorted(published, reverse=True)
    assert feed.feed.title == "The Civic Ledger"
    assert feed.feed.link == SITE


# ---- acceptance 2: the whole post, with absolute links


@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_items_carry_the_full_post_with_absolute_links(sample_site: Path, name: str) -> None:
    checked = 0
    for entry in parse(sample_site / name).entries:
        html = entry.content[0].value
        assert entry.content[0].type == "text/html"
        page = BeautifulSoup(
            (sample_site / urlsplit(entry.link).path.lstrip("/") / "index.html").read_text(), "html.parser"
        )
        body = page.find(class_="post-body")
        for heading in body.find_all(["h2", "h3"]):
            assert heading.get_text() in BeautifulSoup(html, "html.parser").get_text(), heading
        assert len(html) >= len(str(body)) * 0.9, "the whole body, not a summary"
        for url in content_links(html):
            parts = urlsplit(url)
            assert parts.scheme in ("https", "mailto"), url
            if parts.netloc == HOST:
                target = target_file(sample_site, sample_site / "index.html", url)
                assert target.is_file(), url
                if parts.fragment and target.suffix == ".html":
                    assert parts.fragment in fragment_ids(target), url
                checked += 1
    assert checked >= 10


def test_post_links_images_and_footnotes_become_absolute(sample_site: Path) -> None:
    entries = {e.link: e for e in parse(sample_site / "feed.xml").entries}
    playbook = entries[f"{SITE}p/get-your-permit-unstuck/"].content[0].value
    assert f'href="{SITE}p/the-permit-bottleneck/#why-the-queue-grows"' in playbook
    analysis = entries[f"{SITE}p/the-permit-bottleneck/"].content[0].value
    assert f'href="{SITE}p/the-permit-bottleneck/#fn:1"' in analysis
    assert f'href="{SITE}p/the-permit-bottleneck/#fnref:1"' in analysis
    assert f'src="{SITE}media/analyses/permit-wait-times.png"' in analysis
    assert 'href="/' not in analysis and 'src="/' not in analysis and 'href="#' not in analysis


def test_cover_image_is_an_enclosure_with_type_and_length(sample_site: Path) -> None:
    cover = sample_site / "media/analyses/permit-wait-times.png"
    url = f"{SITE}media/analyses/permit-wait-times.png"
    size = str(cover.stat().st_size)
    for name in ("feed.xml", "atom.xml", "analyses/feed.xml", "analyses/atom.xml"):
        entries = {e.link: e for e in parse(sample_site / name).entries}
        analysis = entries[f"{SITE}p/the-permit-bottleneck/"]
        assert [(e.href, e.type, e.length) for e in analysis.enclosures] == [(url, "image/png", size)]
        assert analysis.media_content == [
            {"url": url, "filesize": size, "type": "image/png", "medium": "image"}
        ]
        # the cover opens the content too, so readers that ignore enclosures show it
        first = BeautifulSoup(analysis.content[0].value, "html.parser").find()
        assert first.name == "figure" and first.img["src"] == url and first.img["alt"].startswith("Bar chart")
        # posts without a cover have no enclosure
        assert entries[f"{SITE}p/who-reads-public-comments/"].enclosures == []


# ---- the specs, where feedparser is lenient


@pytest.mark.parametrize("folder", ["", *(f"{s}/" for s in SECTIONS)])
def test_rss_follows_the_rss_2_spec(sample_site: Path, folder: str) -> None:
    channel = xml(sample_site / folder / "feed.xml").find("channel")
    home = SITE + folder
    assert channel.findtext("title").startswith("The Civic Ledger")
    assert channel.findtext("description")
    assert channel.findtext("link") == home, "the channel links to the web page, not the feed"
    selves = channel.findall("atom:link[@rel='self']", NS)
    assert [s.get("href") for s in selves] == [f"{home}feed.xml"]
    assert selves[0].get("type") == "application/rss+xml"
    assert channel.findtext("language") == "en"
    items = channel.findall("item")
    assert items
    for item in items:
        guid = item.find("guid")
        assert guid.get("isPermaLink") == "true" and guid.text == item.findtext("link")
        assert RFC_822.match(item.findtext("pubDate")), item.findtext("pubDate")
        assert item.findtext("description")
        assert item.find("content:encoded", NS).text.startswith("<")
        assert item.findall("dc:creator", NS)
        assert item.find("dcterms:modified", NS) is None  # no sample post has `updated`
    newest = max(parsedate_to_datetime(i.findtext("pubDate")) for i in items)
    assert RFC_822.match(channel.findtext("lastBuildDate"))
    assert parsedate_to_datetime(channel.findtext("lastBuildDate")) == newest, (
        "the newest post, not the clock"
    )


@pytest.mark.parametrize("folder", ["", *(f"{s}/" for s in SECTIONS)])
def test_atom_follows_rfc_4287(sample_site: Path, folder: str) -> None:
    feed = xml(sample_site / folder / "atom.xml")
    assert feed.tag == "{http://www.w3.org/2005/Atom}feed"
    home = SITE + folder
    assert feed.findtext("atom:id", namespaces=NS) == home
    assert feed.findtext("atom:title", namespaces=NS)
    links = {link.get("rel"): link for link in feed.findall("atom:link", NS)}
    assert links["self"].get("href") == f"{home}atom.xml"
    assert links["alternate"].get("href") == home
    entries = feed.findall("atom:entry", NS)
    assert entries
    for entry in entries:
        entry_id = entry.findtext("atom:id", namespaces=NS)
        alternates = entry.findall("atom:link[@rel='alternate']", NS)
        assert [a.get("href") for a in alternates] == [entry_id], "one alternate link: the permalink"
        assert re.fullmatch(rf"{SITE}p/[a-z0-9-]+/", entry_id)
        assert RFC_3339.match(entry.findtext("atom:updated", namespaces=NS))
        assert RFC_3339.match(entry.findtext("atom:published", namespaces=NS))
        content = entry.find("atom:content", NS)
        assert content.get("type") == "html" and content.text.startswith("<")
        assert entry.find("atom:summary", NS).get("type") == "html"
        assert entry.findtext("atom:author/atom:name", namespaces=NS)
        for enclosure in entry.findall("atom:link[@rel='enclosure']", NS):
            assert enclosure.get("type") and int(enclosure.get("length")) > 0
    updated = [datetime.fromisoformat(e.findtext("atom:updated", namespaces=NS)) for e in entries]
    assert datetime.fromisoformat(feed.findtext("atom:updated", namespaces=NS)) == max(updated)


# ---- acceptance 3: JSON Feed 1.1


def json_feed_problems(doc: object) -> list[str]:
    """What keeps `doc` from being a JSON Feed 1.1 (https://jsonfeed.org/version/1.1)."""
    problems: list[str] = []
    if not isinstance(doc, dict):
        return ["the top level is not an object"]
    if doc.get("version") != "https://jsonfeed.org/version/1.1":
        problems.append(f"version is {doc.get('version')!r}")
    if not isinstance(doc.get("title"), str) or not doc["title"]:
        problems.append("title is missing")
    for key in ("home_page_url", "feed_url", "icon", "favicon"):
        if key in doc and not str(doc[key]).startswith("https://"):
            problems.append(f"{key} is not an absolute URL")
    for key in ("description", "language"):
        if key in doc and not isinstance(doc[key], str):
            problems.append(f"{key} is not a string")
    for author in doc.get("authors", []):
        if not isinstance(author, dict) or not isinstance(author.get("name"), str):
            problems.append(f"author {author!r} has no name")
    items = doc.get("items")
    if not isinstance(items, list):
        return [*problems, "items is not an array"]
    ids = [item.get("id") for item in items if isinstance(item, dict)]
    if len(ids) != len(set(ids)):
        problems.append("two items share an id")
    for index, item in enumerate(items):
        where = f"items[{index}]"
        if not isinstance(item, dict):
            problems.append(f"{where} is not an object")
            continue
        if not isinstance(item.get("id"), str) or not item["id"]:
            problems.append(f"{where}.id is not a non-empty string")
        if not isinstance(item.get("content_html"), str) and not isinstance(item.get("content_text"), str):
            problems.append(f"{where} has neither content_html nor content_text")
        for key in ("url", "image", "external_url"):
            if key in item and not str(item[key]).startswith("https://"):
                problems.append(f"{where}.{key} is not an absolute URL")
        for key in ("title", "summary", "content_html"):
            if key in item and not isinstance(item[key], str):
                problems.append(f"{where}.{key} is not a string")
        for key in ("date_published", "date_modified"):
            if key in item and not RFC_3339.match(str(item[key])):
                problems.append(f"{where}.{key} is not RFC 3339: {item[key]!r}")
        if "tags" in item and not all(isinstance(t, str) for t in item["tags"]):
            problems.append(f"{where}.tags holds a non-string")
        for author in item.get("authors", []):
            if not isinstance(author, dict) or not isinstance(author.get("name"), str):
                problems.append(f"{where} author {author!r} has no name")
    return problems


def test_json_feed_validator_catches_what_it_should() -> None:
    assert json_feed_problems([]) == ["the top level is not an object"]
    bad = {"version": "1", "items": [{"id": 3, "date_published": "March 3"}, {"id": 3}]}
    assert json_feed_problems(bad) == [
        "version is '1'",
        "title is missing",
        "two items share an id",
        "items[0].id is not a non-empty string",
        "items[0] has neither content_html nor content_text",
        "items[0].date_published is not RFC 3339: 'March 3'",
        "items[1].id is not a non-empty string",
        "items[1] has neither content_html nor content_text",
    ]


def test_json_feed_is_a_valid_json_feed_1_1(sample_site: Path) -> None:
    doc = json.loads((sample_site / "feed.json").read_text(encoding="utf-8"))
    assert json_feed_problems(doc) == []
    assert doc["feed_url"] == f"{SITE}feed.json"
    assert doc["home_page_url"] == SITE
    posts = sample_posts()
    assert [item["id"] for item in doc["items"]] == [permalink(p) for p in posts]
    for item, post in zip(doc["items"], posts, strict=True):
        assert item["url"] == item["id"]
        assert item["title"] == post.meta.title
        assert datetime.fromisoformat(item["date_published"]) == post.meta.date
        assert item["tags"] == [post.section.name, *post.meta.tags]
        assert "date_modified" not in item
        for url in content_links(item["content_html"]):
            assert urlsplit(url).scheme in ("https", "mailto"), url
    analysis = doc["items"][[p.slug for p in posts].index("the-permit-bottleneck")]
    assert analysis["image"] == f"{SITE}media/analyses/permit-wait-times.png"
    assert '<h2 id="the-numbers">The numbers</h2>' in analysis["content_html"]


# ---- acceptance 4: section feeds


@pytest.mark.parametrize("section", SECTIONS)
@pytest.mark.parametrize("name", ["feed.xml", "atom.xml"])
def test_section_feeds_hold_only_their_section(sample_site: Path, section: str, name: str) -> None:
    feed = parse(sample_site / section / name)
    posts = sample_posts(section)
    assert [e.link for e in feed.entries] == [permalink(p) for p in posts]
    assert feed.feed.title == f"The Civic Ledger: {section.capitalize()}"
    assert feed.feed.link == f"{SITE}{section}/"
    assert {e.tags[0].term for e in feed.entries} == {section.capitalize()}


# ---- acceptance 5: deterministic


def test_two_builds_give_byte_identical_feeds(tmp_path: Path) -> None:
    build(BuildOptions(root=REPO, out=tmp_path / "one"))
    time.sleep(1.1)  # a feed dated by the clock would now differ
    build(BuildOptions(root=REPO, out=tmp_path / "two"))
    for name in (*XML_FEEDS, "feed.json"):
        one = (tmp_path / "one/site" / name).read_bytes()
        two = (tmp_path / "two/site" / name).read_bytes()
        assert one == two, name


# ---- drafts, updates, limits and settings, on small throwaway publications


def test_drafts_never_appear_in_a_feed_even_in_a_drafts_build(publication: Publication) -> None:
    publication.post("analyses/out.md", title="Out now", date="2026-01-05")
    publication.post("analyses/secret.md", title="Not yet", date="2026-01-09", draft="true")
    for args in ((), ("--drafts",)):
        assert publication.build(*args).exit_code == 0
        site = publication.out / "site"
        assert (site / "p/secret/index.html").is_file() == bool(args)
        for name in (*XML_FEEDS, "feed.json"):
            text = (site / name).read_text(encoding="utf-8")
            assert "Not yet" not in text and "/p/secret/" not in text, (args, name)
        assert [e.title for e in parse(site / "feed.xml").entries] == ["Out now"]


def test_updated_posts_say_so_and_date_the_feed(publication: Publication) -> None:
    publication.post(
        "analyses/old.md",
        title="Fees & “Fines” <2026>",
        date="2026-01-05T09:00:00",
        updated="2026-02-01T10:30:00",
    )
    publication.post("insights/new.md", title="Newer", date="2026-01-20T09:00:00")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    updated = datetime.fromisoformat("2026-02-01T10:30:00-05:00")

    atom = parse(site / "atom.xml")
    assert [e.title for e in atom.entries] == ["Newer", "Fees & “Fines” <2026>"]
    old = atom.entries[1]
    assert utc(old.updated_parsed) == int(updated.timestamp())
    assert utc(old.published_parsed) == int(datetime.fromisoformat("2026-01-05T09:00:00-05:00").timestamp())
    assert utc(atom.feed.updated_parsed) == int(updated.timestamp()), "the feed changed when the post did"

    rss = xml(site / "feed.xml").find("channel")
    item = rss.findall("item")[1]
    assert item.findtext("title") == "Fees & “Fines” <2026>"
    assert datetime.fromisoformat(item.findtext("dcterms:modified", namespaces=NS)) == updated
    assert parsedate_to_datetime(rss.findtext("lastBuildDate")) == updated
    assert utc(parse(site / "feed.xml").entries[1].updated_parsed) == int(updated.timestamp())

    doc = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert datetime.fromisoformat(doc["items"][1]["date_modified"]) == updated
    assert "date_modified" not in doc["items"][0]


def set_feeds(publication: Publication, lines: str) -> None:
    """Replace the sample's `[feeds]` table with `lines`."""
    config = publication.root / "publication.toml"
    text = config.read_text(encoding="utf-8")
    head, _, _ = text.partition("[feeds]")
    assert head != text, "the sample publication.toml has a [feeds] table"
    config.write_text(head + "[feeds]\n" + lines + "\n", encoding="utf-8")


def test_max_items_keeps_the_newest_posts_in_every_feed(publication: Publication) -> None:
    set_feeds(publication, "max_items = 2")
    for day in range(1, 5):
        publication.post(f"analyses/a{day}.md", title=f"Analysis {day}", date=f"2026-01-0{day}")
    publication.post("insights/i.md", title="Insight", date="2026-01-10")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    for name in ("feed.xml", "atom.xml"):
        assert [e.title for e in parse(site / name).entries] == ["Insight", "Analysis 4"]
        assert [e.title for e in parse(site / "analyses" / name).entries] == ["Analysis 4", "Analysis 3"]
    items = json.loads((site / "feed.json").read_text(encoding="utf-8"))["items"]
    assert [i["title"] for i in items] == ["Insight", "Analysis 4"]


def test_an_icon_shows_in_every_format(publication: Publication) -> None:
    set_feeds(publication, 'icon = "static/style.css"')  # any file in the site will do here
    publication.post("analyses/a.md")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    icon = f"{SITE}static/style.css"
    assert (site / "static/style.css").is_file()
    image = xml(site / "feed.xml").find("channel/image")
    assert (image.findtext("url"), image.findtext("title"), image.findtext("link")) == (
        icon,
        "The Civic Ledger",
        SITE,
    )
    assert xml(site / "analyses/atom.xml").findtext("atom:icon", namespaces=NS) == icon
    doc = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert doc["icon"] == doc["favicon"] == icon


def test_no_icon_means_no_image_elements(sample_site: Path) -> None:
    assert xml(sample_site / "feed.xml").find("channel/image") is None
    assert xml(sample_site / "atom.xml").find("atom:icon", NS) is None
    assert "icon" not in json.loads((sample_site / "feed.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ("max_items = 0", "feeds.max_items: must be at least 1"),
        ('max_items = "10"', "feeds.max_items: must be a whole number"),
        (
            'icon = "my icon.png"',
            "feeds.icon: must be a path in the site, e.g. static/icon.png, or an https:// URL",
        ),
        ("items = 3", "feeds.items: unknown field (allowed: max_items, icon)"),
    ],
)
def test_bad_feed_settings_stop_the_build_with_the_line(
    publication: Publication, lines: str, message: str
) -> None:
    set_feeds(publication, lines)
    publication.post("analyses/a.md")
    result = publication.build()
    assert result.exit_code == 1
    line = (publication.root / "publication.toml").read_text(encoding="utf-8").splitlines().index(lines) + 1
    assert f"publication.toml:{line}: {message}" in result.stderr


def test_an_empty_section_still_has_valid_feeds_dated_by_the_site(publication: Publication) -> None:
    publication.post("analyses/a.md", date="2026-01-05T08:00:00")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    for name in ("feed.xml", "atom.xml"):
        feed = parse(site / "playbooks" / name)
        assert feed.bozo == 0 and feed.entries == []
        assert utc(feed.feed.updated_parsed) == int(
            datetime.fromisoformat("2026-01-05T08:00:00-05:00").timestamp()
        )


def test_a_base_url_with_a_path_keeps_it_everywhere(publication: Publication) -> None:
    publication.post("analyses/a.md", body="See [the other](b.md#part) and [notes](#fn).")
    publication.post("analyses/b.md", title="B", body="## Part\n\nText.")
    base = "https://example.org/newsletter/"
    assert publication.build("--base-url", base.rstrip("/")).exit_code == 0
    site = publication.out / "site"
    channel = xml(site / "analyses/feed.xml").find("channel")
    assert channel.findtext("link") == f"{base}analyses/"
    assert channel.find("atom:link", NS).get("href") == f"{base}analyses/feed.xml"
    entry = next(e for e in parse(site / "feed.xml").entries if e.title == "A post")
    assert entry.link == f"{base}p/a/"
    assert f'href="{base}p/b/#part"' in entry.content[0].value
    assert f'href="{base}p/a/#fn"' in entry.content[0].value
    head = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "html.parser")
    assert head.find("link", type="application/rss+xml")["href"] == f"{base}feed.xml"


def test_the_build_summary_counts_feeds(publication: Publication) -> None:
    publication.post("analyses/a.md")
    result = publication.build()
    assert re.match(r"Built 1 posts: \d+ pages, 9 feeds\b", result.stdout), result.stdout


# ---- autodiscovery and the visible link


SITE_FEEDS = [
    ("application/rss+xml", "The Civic Ledger (RSS)", f"{SITE}feed.xml"),
    ("application/atom+xml", "The Civic Ledger (Atom)", f"{SITE}atom.xml"),
    ("application/feed+json", "The Civic Ledger (JSON Feed)", f"{SITE}feed.json"),
]


def alternates(page: Path) -> list[tuple[str, str, str]]:
    head = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").head
    return [(link["type"], link["title"], link["href"]) for link in head.find_all("link", rel="alternate")]


def test_every_page_announces_the_site_feeds(sample_site: Path) -> None:
    pages = sorted(sample_site.rglob("*.html"))
    assert len(pages) > 15
    for page in pages:
        found = alternates(page)
        assert found[-3:] == SITE_FEEDS, page
        for _, _, href in found:
            assert (sample_site / urlsplit(href).path.lstrip("/")).is_file(), (page, href)
        footer = BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser").find("footer")
        assert footer.find("a", href="/feed.xml", type="application/rss+xml"), page


@pytest.mark.parametrize("section", SECTIONS)
def test_section_pages_announce_their_own_feeds_first(sample_site: Path, section: str) -> None:
    name = section.capitalize()
    assert alternates(sample_site / section / "index.html") == [
        ("application/rss+xml", f"The Civic Ledger: {name} (RSS)", f"{SITE}{section}/feed.xml"),
        ("application/atom+xml", f"The Civic Ledger: {name} (Atom)", f"{SITE}{section}/atom.xml"),
        *SITE_FEEDS,
    ]
    visible = BeautifulSoup((sample_site / section / "index.html").read_text(), "html.parser").find(
        class_="feed-link"
    )
    assert [a["href"] for a in visible.find_all("a")] == [f"/{section}/feed.xml", f"/{section}/atom.xml"]
    # other pages do not announce a section's feed
    assert alternates(sample_site / "index.html") == SITE_FEEDS


def test_summaries_are_text_readers_show_as_written(publication: Publication) -> None:
    publication.post("analyses/a.md", title="A", summary="'Fees < costs & <b>more</b>'")
    publication.post("analyses/b.md", title="B", date="2026-01-06", body="- only\n- a list")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    for name in ("feed.xml", "atom.xml"):
        b, a = parse(site / name).entries
        assert html.unescape(a.summary) == "Fees < costs & <b>more</b>", "shown as text, not as markup"
        assert b.summary == "only a list", "a post without a paragraph gets one from its text"
        assert "<li>only</li>" in b.content[0].value
    items = xml(site / "feed.xml").findall("channel/item")
    assert items[1].findtext("description") == "Fees &lt; costs &amp; &lt;b&gt;more&lt;/b&gt;"
    assert all(item.find("content:encoded", NS) is not None for item in items)
    doc = json.loads((site / "feed.json").read_text(encoding="utf-8"))
    assert [i["summary"] for i in doc["items"]] == ["only a list", "Fees < costs & <b>more</b>"]
