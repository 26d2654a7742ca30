"""The web archive of the bundled sample publication, as a reader meets it."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from pathlib import Path
from urllib.parse import urlsplit

from bs4 import BeautifulSoup
from conftest import REPO
from html_links import fragment_ids, internal_links, target_file

from publisher.content.posts import find_post_files

HOST = "civicledger.example"


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def test_home_and_a_page_per_sample_post(sample_site: Path) -> None:
    assert (sample_site / "index.html").is_file()
    posts = find_post_files(REPO)
    assert len(posts) >= 4
    for file in posts:
        page = sample_site / "p" / file.stem / "index.html"
        assert page.is_file(), page
        assert soup(page).h1.get_text(strip=True)


def test_every_internal_link_resolves_to_a_file(sample_site: Path) -> None:
    checked = 0
    broken = []
    for page, url in internal_links(sample_site, HOST):
        target = target_file(sample_site, page, url)
        fragment = urlsplit(url).fragment
        if not target.is_file():
            broken.append(f"{page.relative_to(sample_site)} -> {url}")
        elif fragment and target.suffix == ".html" and fragment not in fragment_ids(target):
            broken.append(f"{page.relative_to(sample_site)} -> {url} (no such anchor)")
        checked += 1
    assert broken == []
    assert checked > 200


def test_archive_pages_exist(sample_site: Path) -> None:
    for path in (
        "analyses/index.html",
        "playbooks/index.html",
        "insights/index.html",
        "tags/index.html",
        "tags/permits/index.html",
        "archive/index.html",
        "404.html",
        "sitemap.xml",
        "robots.txt",
        "static/style.css",
        "media/analyses/permit-wait-times.png",
    ):
        assert (sample_site / path).is_file(), path


def test_sitemap_lists_every_page_and_robots_points_at_it(sample_site: Path) -> None:
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9"}
    locs = {loc.text for loc in ET.parse(sample_site / "sitemap.xml").getroot().findall("s:url/s:loc", ns)}
    pages = {
        "https://civicledger.example/" + str(p.relative_to(sample_site).parent).replace(".", "") + "/"
        for p in sample_site.rglob("index.html")
    }
    assert {u.replace("example//", "example/") for u in pages} == locs
    assert "Sitemap: https://civicledger.example/sitemap.xml" in (sample_site / "robots.txt").read_text()


def test_every_page_has_the_head_a_reader_and_a_crawler_need(sample_site: Path) -> None:
    for page in sample_site.rglob("*.html"):
        html = soup(page)
        assert html.html["lang"] == "en"
        assert html.title.get_text(strip=True)
        assert html.find("meta", attrs={"name": "description"})["content"]
        assert html.find("meta", attrs={"name": "viewport"})
        assert html.find("link", rel="canonical")["href"].startswith("https://civicledger.example/")
        for prop in ("og:title", "og:description", "og:url", "og:type"):
            assert html.find("meta", property=prop), (page, prop)
        assert html.find("meta", attrs={"name": "twitter:card"})
        for landmark in ("header", "main", "nav", "footer"):
            assert html.find(landmark), (page, landmark)
        skip = html.find("a", class_="skip-link")
        assert skip["href"] == "#content" and html.find(id="content").name == "main"
        assert not html.find("script", src=True), "no JavaScript is needed to read"


def test_post_page_shows_everything_about_the_post(sample_site: Path) -> None:
    html = soup(sample_site / "p/the-permit-bottleneck/index.html")
    article = html.find("article", class_="post")
    assert article.find(class_="label").get_text(strip=True) == "Analysis"
    assert article.h1.get_text(strip=True) == "The Permit Bottleneck"
    assert article.find(class_="subtitle").get_text(strip=True)
    assert "By Maya Okafor" in article.find(class_="meta").get_text()
    time = article.find("time")
    assert time["datetime"] == "2026-03-10T07:00:00-04:00"
    assert time.get_text() == "March 10, 2026"
    assert "min read" in article.find(class_="meta").get_text()
    cover = article.find("figure", class_="cover").img
    assert cover["src"] == "/media/analyses/permit-wait-times.png" and cover["alt"]
    assert [a.get_text() for a in article.select(".post-tags a")] == ["Permits", "Housing", "City budget"]
    # after the post, one "Keep reading" list: the playbooks that respond to it, then related posts
    keep = html.find("nav", class_="keep-reading")
    assert keep.h2.get_text() == "Keep reading"
    items = [(li.find(class_="label").get_text(), li.a["href"]) for li in keep.find_all("li")]
    assert items == [
        ("Playbook for this analysis", "/p/get-your-permit-unstuck/"),
        ("Also read · Analysis", "/p/who-reads-public-comments/"),
    ]  # the previous analysis is the related one: listed once
    blocks = html.find("aside", class_="publication-blocks")
    assert [dt.get_text(strip=True) for dt in blocks.find_all("dt")] == ["Analyses", "Playbooks", "Insights"]
    assert blocks.find("a", href="https://support.civicledger.example/one-time")
    assert blocks.find("a", href="https://subscribe.civicledger.example/")
    data = json.loads(html.find("script", type="application/ld+json").string)
    assert data["@type"] == "Article"
    assert data["headline"] == "The Permit Bottleneck"
    assert data["author"] == [{"@type": "Person", "name": "Maya Okafor"}]
    assert data["image"] == "https://civicledger.example/media/analyses/permit-wait-times.png"


def test_playbook_links_to_the_analysis_it_responds_to(sample_site: Path) -> None:
    html = soup(sample_site / "p/get-your-permit-unstuck/index.html")
    responds = html.find(class_="responds-to")
    assert responds.get_text(" ", strip=True) == "In response to: The Permit Bottleneck"
    assert responds.a["href"] == "/p/the-permit-bottleneck/"


def test_markdown_features_render(sample_site: Path) -> None:
    analysis = soup(sample_site / "p/the-permit-bottleneck/index.html").find(class_="post-body")
    assert analysis.find("table").find("th")
    box = analysis.find("table").parent
    assert box["class"] == ["table-scroll"] and box["tabindex"] == "0" and box["role"] == "region"
    assert analysis.find("blockquote")
    assert analysis.find("div", class_="footnote").find("li", id="fn:1")
    assert analysis.find("h2", id="why-the-queue-grows")
    assert not analysis.find("img", src="/media/analyses/permit-wait-times.png"), (
        "the cover, not again in the body"
    )
    comments = soup(sample_site / "p/who-reads-public-comments/index.html").find(class_="post-body")
    assert comments.find("img", src="/media/analyses/comment-arrival-times.png")["alt"]
    playbook = soup(sample_site / "p/get-your-permit-unstuck/index.html").find(class_="post-body")
    boxes = playbook.select("li.task-list-item > input[type=checkbox]")
    assert len(boxes) >= 5 and all(box.has_attr("disabled") and box["aria-label"] for box in boxes)
    assert any(box.has_attr("checked") for box in boxes)
    assert playbook.find("div", class_="highlight").pre


def test_md_links_are_rewritten_to_post_urls_keeping_fragments(sample_site: Path) -> None:
    playbook = soup(sample_site / "p/get-your-permit-unstuck/index.html").find(class_="post-body")
    hrefs = [a["href"] for a in playbook.find_all("a")]
    assert "/p/the-permit-bottleneck/#why-the-queue-grows" in hrefs
    assert not [h for h in hrefs if ".md" in h]
    for page in sample_site.rglob("*.html"):
        assert ".md" not in "".join(a.get("href", "") for a in soup(page).find_all("a")), page


def test_previous_and_next_stay_within_the_section(sample_site: Path) -> None:
    newest = soup(sample_site / "p/budget-hearing-dates/index.html").find("nav", class_="keep-reading")
    assert newest.find("a", rel="prev")["href"] == "/p/council-vote-on-permit-fees/"
    assert newest.find("a", rel="next") is None
    older = soup(sample_site / "p/council-vote-on-permit-fees/index.html").find("nav", class_="keep-reading")
    assert older.find("a", rel="next")["href"] == "/p/budget-hearing-dates/"
    assert older.find("a", rel="prev") is None
    playbook = soup(sample_site / "p/get-your-permit-unstuck/index.html").find("nav", class_="keep-reading")
    assert playbook.find("a", rel=["prev", "next"]) is None  # the only playbook has no neighbours


def test_home_lists_newest_first_and_archive_groups_by_year(sample_site: Path) -> None:
    cards = soup(sample_site / "index.html").find_all("article", class_=["lead", "card"])
    titles = [c.find(class_=["lead-title", "card-title"]).get_text(strip=True) for c in cards]
    assert titles[0] == "The Budget Hearing Calendar for 2026"
    assert cards[0]["class"] == ["lead"] and cards[0].h2
    assert len(titles) == 5
    dates = [c.find("time")["datetime"] for c in cards]
    assert dates == sorted(dates, reverse=True)
    first = cards[0]
    assert first.find(class_="label").get_text(strip=True) == "Insight"
    assert first.find(class_="summary").get_text(strip=True)
    archive = soup(sample_site / "archive/index.html")
    assert [h.get_text() for h in archive.find_all("h2")] == ["2026"]


def test_section_pages_hold_only_their_section(sample_site: Path) -> None:
    page = soup(sample_site / "playbooks/index.html")
    assert (
        page.find(class_="lede").get_text()
        == "Actionable step-by-step guides, each responding to an analysis."
    )
    labels = {c.find(class_="label").get_text(strip=True) for c in page.find_all("article", class_="card")}
    assert labels == {"Playbook"}
