"""The site as a publication: masthead, home lead, bylines with avatars, share links, tags, archive,
the self-hosted serif and the social cards."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, Publication, run
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from publisher.render.social import CardText, social_card

FONTS = REPO / "templates/static/fonts"
STATIC = [REPO / "templates/static"]


def soup(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def contrast(a: tuple[int, ...], b: tuple[int, ...]) -> float:
    """WCAG 2.1 contrast ratio of two sRGB colours."""

    def luminance(rgb: tuple[int, ...]) -> float:
        def channel(c: int) -> float:
            s = c / 255
            return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4

        r, g, b = (channel(c) for c in rgb[:3])
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


# --- social cards -------------------------------------------------------------------------------


def test_posts_without_a_cover_get_a_card_and_posts_with_one_use_it(sample_site: Path) -> None:
    insight = soup(sample_site / "p/budget-hearing-dates/index.html")
    card_url = "https://civicledger.example/p/budget-hearing-dates/card.png"
    assert insight.find("meta", property="og:image")["content"] == card_url
    assert insight.find("meta", attrs={"name": "twitter:image"})["content"] == card_url
    assert insight.find("meta", attrs={"name": "twitter:card"})["content"] == "summary_large_image"
    assert insight.find("meta", property="og:image:width")["content"] == "1200"
    assert insight.find("meta", property="og:image:height")["content"] == "630"
    image = Image.open(sample_site / "p/budget-hearing-dates/card.png")
    assert (image.format, image.size) == ("PNG", (1200, 630))

    analysis = soup(sample_site / "p/the-permit-bottleneck/index.html")
    cover = "https://civicledger.example/media/analyses/permit-wait-times.png"
    assert analysis.find("meta", property="og:image")["content"] == cover
    assert analysis.find("meta", attrs={"name": "twitter:image"})["content"] == cover
    assert not (sample_site / "p/the-permit-bottleneck/card.png").exists()


def test_a_card_is_deterministic_has_no_metadata_and_readable_contrast() -> None:
    text = CardText(
        "The Civic Ledger", "Insight", "The Budget Hearing Calendar for 2026", "civicledger.example"
    )
    first = social_card(text, STATIC)
    assert first == social_card(text, STATIC)
    image = Image.open(io.BytesIO(first))
    assert image.size == (1200, 630)
    assert not image.info.keys() - {"dpi"}  # no text, time or other chunks
    assert b"tIME" not in first and b"tEXt" not in first and b"iTXt" not in first
    colours = sorted(image.convert("RGB").getcolors(1200 * 630), reverse=True)
    background = colours[0][1]
    darkest = min((c for _, c in colours), key=sum)
    assert contrast(background, darkest) >= 7  # the title: AAA even for small text


def test_the_card_shows_a_different_title_differently() -> None:
    one = social_card(CardText("P", "Insight", "One title", "example.org"), STATIC)
    two = social_card(CardText("P", "Insight", "Another title", "example.org"), STATIC)
    assert one != two


@settings(max_examples=15, deadline=None)
@given(
    st.text(
        alphabet=st.characters(codec="latin-1", categories=["L", "N", "P", "Zs"]), min_size=1, max_size=400
    )
)
def test_any_title_makes_a_card_of_the_right_size(title: str) -> None:
    image = Image.open(io.BytesIO(social_card(CardText("P", "Section", title, "example.org"), STATIC)))
    assert image.size == (1200, 630)


def test_cards_are_cached_and_redrawn_when_the_title_changes(publication: Publication) -> None:
    path = publication.post("insights/one.md", title="First title", tags="[a]")
    assert publication.build().exit_code == 0
    card = publication.out / "site/p/one/card.png"
    before, stamp = card.read_bytes(), card.stat().st_mtime_ns
    path.write_text(path.read_text() + "\nMore words.\n")
    assert publication.build("--verbose").exit_code == 0
    assert card.stat().st_mtime_ns == stamp, "a body edit keeps the card"
    path.write_text(path.read_text().replace("First title", "Second title"))
    result = publication.build("--verbose")
    assert "wrote " + (publication.out / "site/p/one/card.png").as_posix() in result.stdout
    assert card.read_bytes() != before
    clean = publication.root / "clean"
    assert run("build", "--root", str(publication.root), "--out", str(clean), "--clean").exit_code == 0
    assert (clean / "site/p/one/card.png").read_bytes() == card.read_bytes()


# --- typography ----------------------------------------------------------------------------------


def test_one_self_hosted_serif_under_100_kb_with_swap(sample_site: Path) -> None:
    fonts = sorted((sample_site / "static/fonts").glob("*.woff2"))
    assert len(fonts) == 3 and sum(f.stat().st_size for f in fonts) < 100_000
    assert (sample_site / "static/fonts/OFL.txt").read_text().count("SIL Open Font License") >= 1
    css = (sample_site / "static/style.css").read_text()
    faces = re.findall(r"@font-face\s*{([^}]*)}", css)
    assert len(faces) == 3 and all("font-display: swap" in face for face in faces)
    for face in faces:
        url = re.search(r'url\("([^"]+)"\)', face).group(1)
        assert (sample_site / "static" / url).is_file()
    assert re.search(r'--serif: "Source Serif 4",', css)


# --- masthead, home, post ------------------------------------------------------------------------


def test_masthead_has_the_name_a_subscribe_button_and_the_sections(sample_site: Path) -> None:
    header = soup(sample_site / "index.html").find("header", class_="site-header")
    assert header.find("a", class_="site-title").get_text(strip=True) == "The Civic Ledger"
    button = header.find("a", class_="subscribe-link")
    assert "button" in button["class"] and button["href"] == "https://subscribe.civicledger.example/"
    nav = [a.get_text() for a in header.find("nav", class_="site-nav").find_all("a")]
    assert nav == ["Analyses", "Playbooks", "Insights", "Archive", "Tags"]


def test_home_says_the_title_once_and_leads_with_the_newest_post(sample_site: Path) -> None:
    home = soup(sample_site / "index.html")
    main = home.find("main")
    assert "The Civic Ledger" not in main.find("h1").get_text()
    assert main.find("h1").get_text() == (
        "Independent, plain-language reporting on how Harbor City's government actually works."
    )
    intro_button = main.find("section", class_="intro").find("a", class_="button")
    assert intro_button["href"] == "https://subscribe.civicledger.example/"
    lead = main.find("article", class_="lead")
    assert lead.h2.a["href"] == "/p/budget-hearing-dates/"
    thumbs = {a["href"]: a.img["src"] for a in main.select("article.card a.card-thumb")}
    assert thumbs == {"/p/the-permit-bottleneck/": "/media/analyses/permit-wait-times.png"}


def test_a_cover_leads_the_home_page_when_the_newest_post_has_one(publication: Publication) -> None:
    publication.write("posts/analyses/chart.png", "")
    (publication.root / "posts/analyses/chart.png").write_bytes(
        (REPO / "posts/analyses/permit-wait-times.png").read_bytes()
    )
    publication.post(
        "analyses/new.md", title="New", date="2026-02-02", cover="chart.png", cover_alt="A chart"
    )
    publication.post("insights/old.md", title="Old", date="2026-01-01")
    assert publication.build().exit_code == 0
    lead = soup(publication.out / "site/index.html").find("article", class_="lead")
    assert lead.find("a", class_="lead-image").img["src"] == "/media/analyses/chart.png"


def test_post_header_has_an_author_line_with_avatars_and_share_links(publication: Publication) -> None:
    config = publication.root / "publication.toml"
    config.write_text(
        config.read_text().replace(
            "posts_per_page = 10\n",
            'posts_per_page = 10\nlogo = "static/logo.png"\n\n'
            '[[authors]]\nname = "Ana Lima"\navatar = "static/ana.png"\n\n'
            '[[authors]]\nname = "Ben Ode"\n',
        )
    )
    publication.write("templates/static/logo.png", "")
    publication.write("templates/static/ana.png", "")
    publication.post("insights/one.md", title="Rates & fees", authors="[Ana Lima, Ben Ode, Cy]")
    assert publication.build().exit_code == 0, publication.build().output
    page = soup(publication.out / "site/p/one/index.html")
    assert page.find("a", class_="site-title").img["src"] == "/static/logo.png"
    byline = page.find(class_="byline")
    assert [img["src"] for img in byline.find_all("img", class_="avatar")] == ["/static/ana.png"]
    assert byline.find(class_="authors").get_text() == "By Ana Lima, Ben Ode, Cy"
    share = {a.get_text(): a["href"] for a in page.select(".share-links a")}
    url = "https://civicledger.example/p/one/"
    assert list(share) == ["Email", "Bluesky", "Mastodon", "LinkedIn"]
    assert (
        share["Email"]
        == "mailto:?subject=Rates%20%26%20fees&body=https%3A%2F%2Fcivicledger.example%2Fp%2Fone%2F"
    )
    assert parse_qs(urlsplit(share["Bluesky"]).query)["text"] == [f"Rates & fees {url}"]
    assert urlsplit(share["Mastodon"]).netloc == "s2f.kytta.dev"
    assert parse_qs(urlsplit(share["Mastodon"]).query)["text"] == [f"Rates & fees {url}"]
    assert unquote(share["LinkedIn"].split("url=", 1)[1]) == url
    assert page.find("details", class_="share-copy").find(class_="share-url").get_text() == url
    assert not page.find("script", src=True) and not page.find("iframe")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('logo = "../secret.png"', "logo: must be a path in the site"),
        ('logo = "http://example.org/a.png"', "logo: must be a path in the site"),
        ('[[authors]]\nname = "A"\navatar = "a b.png"', "authors[0].avatar: must be a path in the site"),
        ('[[authors]]\nname = " "', "authors[0].name: must not be empty"),
        ('[[authors]]\nname = "A"\n[[authors]]\nname = "A"', "two [[authors]] share a name"),
        (
            '[[authors]]\nname = "A"\nphoto = "a.png"',
            "authors[0].photo: unknown field (allowed: name, avatar)",
        ),
    ],
)
def test_logo_and_authors_are_validated(publication: Publication, line: str, message: str) -> None:
    config = publication.root / "publication.toml"
    text = config.read_text()
    if line.startswith("[["):
        config.write_text(text + "\n" + line + "\n")
    else:
        config.write_text(text.replace("posts_per_page = 10\n", f"posts_per_page = 10\n{line}\n"))
    publication.post("insights/one.md", tags="[a]")
    result = publication.build()
    assert result.exit_code == 1
    first = result.stderr.splitlines()[0]
    assert re.match(r"publication\.toml:\d+: ", first) and message in first
    assert result.stderr.endswith("Build failed: 1 error; nothing was written.\n")


def test_one_subscribe_call_at_the_end_of_a_post(sample_site: Path) -> None:
    page = soup(sample_site / "p/the-permit-bottleneck/index.html")
    subscribe = "https://subscribe.civicledger.example/"
    main_links = page.find("main").find_all("a", href=subscribe)
    assert len(main_links) == 1 and main_links[0].find_parent("section", class_="subscribe")
    assert not page.find("footer").find("a", href=subscribe)
    order = [
        el.name + "." + el["class"][0] for el in page.find("main").find_all(["nav", "aside"], recursive=False)
    ]
    assert order == ["nav.keep-reading", "aside.publication-blocks"]
    blocks = page.find("aside", class_="publication-blocks")
    assert [s["class"][0] for s in blocks.find_all("section")] == ["subscribe", "support", "section-guide"]


def test_tags_show_names_with_counts_inside_and_archive_titles_line_up(sample_site: Path) -> None:
    tags = soup(sample_site / "tags/index.html").select(".tag-cloud a")
    budget = next(a for a in tags if a["href"] == "/tags/city-budget/")
    assert budget.get_text(" ", strip=True) == "City budget ( 2 posts)"
    assert budget.find(class_="count")
    archive = soup(sample_site / "archive/index.html").select(".archive-list li")
    for item in archive:
        assert [child.name for child in item.find_all(recursive=False)] == ["time", "a", "span"]


def test_a_logo_or_avatar_missing_from_the_site_is_an_error(publication: Publication) -> None:
    config = publication.root / "publication.toml"
    text = config.read_text().replace(
        "posts_per_page = 10\n", 'posts_per_page = 10\nlogo = "static/logo.png"\n'
    )
    config.write_text(text + '\n[[authors]]\nname = "Ana"\navatar = "ana.png"\n')
    publication.post("insights/one.md", tags="[a]")
    result = publication.build()
    assert result.exit_code == 1
    lines = text.count("\n")
    assert result.stderr == (
        "publication.toml:12: logo: 'static/logo.png' is not in the site: "
        "put the file in templates/static/logo.png\n"
        f"publication.toml:{lines + 4}: authors[0].avatar: 'ana.png' is not in the site: "
        "put the file in templates/static/ and write static/…\n"
        "Build failed: 2 errors; nothing was written.\n"
    )
    publication.write("templates/static/logo.png", "")
    publication.write("templates/ana.png", "")  # a template folder file, but not a static one: not copied
    assert publication.build().exit_code == 1
