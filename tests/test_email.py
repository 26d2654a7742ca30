"""The email edition: what a subscriber's mail client and the author's email service get."""

from __future__ import annotations

import email
import re
from email import policy
from email.message import EmailMessage
from pathlib import Path

import pytest
from bs4 import BeautifulSoup, Comment, Tag
from conftest import REPO, Publication, run

from publisher.build import BuildOptions, build
from publisher.content.config import load_publication
from publisher.render.email.renderer import split_stylesheet

SETTINGS = load_publication(REPO)
MERGE_TAGS = {SETTINGS.email.unsubscribe_url, SETTINGS.email.preferences_url}
SLUGS = sorted(p.stem for p in (REPO / "posts").rglob("*.md"))
TEXT_ELEMENTS = ["h1", "h2", "h3", "h4", "h5", "h6", "p", "a", "li", "blockquote", "td", "th", "code", "pre"]


def soup_of(path: Path) -> BeautifulSoup:
    return BeautifulSoup(path.read_text(encoding="utf-8"), "lxml")


def message_of(path: Path) -> EmailMessage:
    message = email.message_from_bytes(path.read_bytes(), policy=policy.default)
    assert isinstance(message, EmailMessage)
    return message


def visible_text(element: Tag) -> str:
    return element.get_text(" ", strip=True)


def own_text(element: Tag) -> bool:
    """True if text (not a comment) sits directly in `element`."""
    strings = element.find_all(string=True, recursive=False)
    return any(str(s).strip() for s in strings if not isinstance(s, Comment))


def style_of(element: Tag) -> dict[str, str]:
    """The inline style as {property: value}."""
    pairs = (d.split(":", 1) for d in str(element.get("style", "")).split(";") if ":" in d)
    return {name.strip().lower(): value.strip() for name, value in pairs}


def without_style_blocks(path: Path) -> BeautifulSoup:
    soup = soup_of(path)
    for style in soup.find_all("style"):
        style.decompose()
    return soup


# 1. Three files per post; the .eml parses into the promised structure --------


def test_every_post_has_html_text_and_a_message(sample_out: Path) -> None:
    assert sorted(p.name for p in (sample_out / "email").iterdir()) == sorted(
        f"{slug}.{ext}" for slug in SLUGS for ext in ("eml", "html", "txt")
    )
    for slug in SLUGS:
        message = message_of(sample_out / "email" / f"{slug}.eml")
        assert message.get_content_type() == "multipart/alternative"
        assert not message.defects
        parts = list(message.iter_parts())
        assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
        for part in parts:
            assert part.get_content_charset() == "utf-8"
            assert not part.defects
        text, html = (p.get_content().replace("\r\n", "\n") for p in parts)
        assert text == (sample_out / "email" / f"{slug}.txt").read_text(encoding="utf-8")
        assert html == (sample_out / "email" / f"{slug}.html").read_text(encoding="utf-8")


def test_message_headers(sample_out: Path) -> None:
    raw = (sample_out / "email/council-vote-on-permit-fees.eml").read_bytes()
    message = message_of(sample_out / "email/council-vote-on-permit-fees.eml")
    assert message["Subject"] == "[Insight] Tonight’s Council Vote on Permit Fees, Explained"
    assert message["From"] == "The Civic Ledger <newsletter@civicledger.example>"
    assert message["Reply-To"] == "The Civic Ledger desk <desk@civicledger.example>"
    assert message["Date"] == "Tue, 03 Mar 2026 00:00:00 -0500"
    assert message["Message-ID"] == "<council-vote-on-permit-fees@civicledger.example>"
    assert message["List-Unsubscribe"] == (
        "<{{ unsubscribe_url }}>, <mailto:unsubscribe@civicledger.example?subject=unsubscribe>"
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert message["MIME-Version"] == "1.0"
    # On the wire: 7-bit clean, CRLF line ends, the curly apostrophe RFC 2047-encoded.
    assert raw.isascii()
    assert b"\n" not in raw.replace(b"\r\n", b"")
    assert b"=?utf-8?q?Tonight=E2=80=99s?=" in raw
    assert max(len(line) for line in raw.split(b"\r\n")) <= 78


@pytest.mark.parametrize(
    ("slug", "subject"),
    [
        ("the-permit-bottleneck", "[Analysis] The Permit Bottleneck"),
        ("get-your-permit-unstuck", "[Playbook] How to Get a Stuck Permit Moving"),
        ("budget-hearing-dates", "[Insight] The Budget Hearing Calendar for 2026"),
    ],
)
def test_subject_has_the_section_prefix(sample_out: Path, slug: str, subject: str) -> None:
    assert message_of(sample_out / "email" / f"{slug}.eml")["Subject"] == subject


def test_every_message_has_every_header(sample_out: Path) -> None:
    for slug in SLUGS:
        message = message_of(sample_out / "email" / f"{slug}.eml")
        for name in ("Subject", "From", "Reply-To", "Date", "Message-ID", "List-Unsubscribe"):
            assert message[name], (slug, name)
        assert message["Message-ID"] == f"<{slug}@civicledger.example>"
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"


def test_two_builds_give_identical_bytes(sample_out: Path, tmp_path: Path) -> None:
    again = tmp_path / "again"
    build(BuildOptions(root=REPO, out=again))
    for file in sorted((sample_out / "email").iterdir()):
        assert (again / "email" / file.name).read_bytes() == file.read_bytes(), file.name


def test_build_prints_the_count_and_where_the_emails_are(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One")
    result = publication.build()
    assert result.exit_code == 0, result.output
    summary, preview = result.stdout.splitlines()
    assert re.fullmatch(r"Built 1 posts: \d+ pages(, \d+ feeds)?, 1 emails in \d+\.\d s", summary)
    where = (publication.out / "email").as_posix()
    assert preview == f"Emails: {where}/ (open {where}/<slug>.html in a browser to preview)"
    assert (publication.out / "email/one.html").is_file()
    assert not (publication.out / "site/email").exists()


# 2. What the HTML is made of ------------------------------------------------


def test_text_elements_carry_their_own_style(sample_out: Path) -> None:
    for slug in SLUGS:
        soup = soup_of(sample_out / "email" / f"{slug}.html")
        for element in soup.body.find_all(TEXT_ELEMENTS):
            if visible_text(element):
                assert style_of(element), (slug, str(element)[:80])
        # No element that shows text relies on a class alone.
        for element in soup.body.find_all(class_=True):
            if own_text(element):
                assert style_of(element), (slug, str(element)[:80])


def test_every_url_is_absolute_or_a_merge_tag(sample_out: Path) -> None:
    for slug in SLUGS:
        soup = soup_of(sample_out / "email" / f"{slug}.html")
        for element in soup.find_all(href=True) + soup.find_all(src=True):
            url = element.get("href") or element.get("src")
            assert url.startswith(("https://", "mailto:")) or url in MERGE_TAGS, (slug, url)


def test_links_to_other_posts_point_at_their_pages(sample_out: Path) -> None:
    soup = soup_of(sample_out / "email/the-permit-bottleneck.html")
    hrefs = {a["href"] for a in soup.find_all("a", href=True)}
    assert "https://civicledger.example/p/council-vote-on-permit-fees/" in hrefs
    assert "https://civicledger.example/p/the-permit-bottleneck/#fn:1" in hrefs
    assert not any(".md" in href for href in hrefs)


def test_nothing_a_mail_client_would_block(sample_out: Path) -> None:
    for slug in SLUGS:
        soup = soup_of(sample_out / "email" / f"{slug}.html")
        for tag in ("script", "form", "input", "iframe", "object", "embed", "button", "svg"):
            assert not soup.find(tag), (slug, tag)
        assert not soup.find("link", rel="stylesheet"), slug


def test_images_have_alt_width_and_shrink_to_fit(sample_out: Path) -> None:
    expected = {
        "the-permit-bottleneck": ["permit-wait-times.png"],  # the cover
        "who-reads-public-comments": ["comment-arrival-times.png"],  # a chart in the body
    }
    for slug, names in expected.items():
        images = soup_of(sample_out / f"email/{slug}.html").find_all("img")
        assert [image["src"] for image in images] == [
            f"https://civicledger.example/media/analyses/{name}" for name in names
        ]
        for image in images:
            assert image.get("alt"), image
            assert image["width"] == "536"  # the 1200 px chart, at the column's width
            assert style_of(image)["max-width"] == "100%"
            assert style_of(image)["height"] == "auto"


def test_task_list_checkboxes_become_characters(sample_out: Path) -> None:
    soup = soup_of(sample_out / "email/get-your-permit-unstuck.html")
    items = [li for li in soup.find_all("li") if li.find(attrs={"role": "img"})]
    assert [li.get_text(" ", strip=True)[:1] for li in items] == ["☑"] + ["☐"] * 5
    assert items[0].find(attrs={"role": "img"})["aria-label"] == "Done"
    assert style_of(items[0].parent)["list-style-type"] == "none"


def test_layout_is_a_centred_600px_table(sample_out: Path) -> None:
    html = (sample_out / "email/the-permit-bottleneck.html").read_text(encoding="utf-8")
    soup = BeautifulSoup(html, "lxml")
    container = soup.find("table", class_="container")
    assert style_of(container)["max-width"] == "600px"
    layout = [t for t in soup.find_all("table") if not t.find_parent(class_="post-body")]
    assert layout and all(t.get("role") == "presentation" for t in layout)
    assert not any(t.get("role") for t in soup.select(".post-body table"))  # data tables stay tables
    assert '<!--[if mso]><table role="presentation" width="600" align="center"' in html
    assert "<!--[if mso]></td></tr></table><![endif]-->" in html


def test_parts_come_in_order(sample_out: Path) -> None:
    soup = without_style_blocks(sample_out / "email/the-permit-bottleneck.html")
    text = soup.body.get_text(" ", strip=True)
    order = [
        "In 2019, a Harbor City homeowner",  # the preheader: the summary
        "View in browser",
        "The Civic Ledger",
        "Analysis",
        "The Permit Bottleneck",
        "Why a deck, a sign or a small shop fit-out",
        "By Maya Okafor · March 10, 2026",
        "What counts as a small permit",
        "How The Civic Ledger is organised",
        "Support and transparency",
        "Make a one-time contribution",
        "Reply to this email or write to desk@civicledger.example",
        "418 Harbor Street",
        "Unsubscribe",
        "Manage preferences",
    ]
    positions = [text.find(needle) for needle in order]
    assert -1 not in positions, [n for n, p in zip(order, positions, strict=True) if p == -1]
    assert positions == sorted(positions)
    cover = soup.find("img")
    assert cover["alt"].startswith("Bar chart of median days")
    assert (
        soup.find("a", string="View in browser")["href"]
        == "https://civicledger.example/p/the-permit-bottleneck/"
    )


def test_preheader_is_hidden_and_padded(sample_out: Path) -> None:
    soup = soup_of(sample_out / "email/council-vote-on-permit-fees.html")
    preheader = soup.body.find("div")
    assert style_of(preheader)["display"] == "none"
    text = preheader.get_text()
    assert text.startswith("The council votes tonight on raising permit fees 22 percent")
    assert text.count("\u034f") >= 100  # filler, so the body does not leak into the preview


# 3. Styled without the <style> block ---------------------------------------


def test_content_is_styled_without_the_style_block(sample_out: Path) -> None:
    for slug in SLUGS:
        soup = without_style_blocks(sample_out / "email" / f"{slug}.html")
        checked = 0
        for element in soup.body.find_all(TEXT_ELEMENTS):
            if not visible_text(element) or (element.name in ("td", "th") and not own_text(element)):
                continue  # layout cells hold styled paragraphs, not text
            style = style_of(element)
            if element.name == "a":
                assert "color" in style, (slug, str(element)[:80])
            else:
                assert "font-family" in style and "font-size" in style and "color" in style, (
                    slug,
                    str(element)[:80],
                )
            checked += 1
        assert checked > 20, slug


def test_style_block_holds_only_media_queries_and_dark_mode(sample_out: Path) -> None:
    soup = soup_of(sample_out / "email/the-permit-bottleneck.html")
    styles = soup.find_all("style")
    assert len(styles) == 1
    css = styles[0].string
    assert "prefers-color-scheme: dark" in css and "max-width: 620px" in css
    top_level = re.sub(r"@media[^{]*\{(?:[^{}]*\{[^{}]*\})*[^{}]*\}", "", css)
    assert top_level.strip() == ""
    assert soup.find("meta", attrs={"name": "color-scheme"})["content"] == "light dark"
    assert len(css.encode()) < 16 * 1024  # Gmail drops larger <style> blocks


# 4. The plain text -------------------------------------------------------------


def test_text_has_every_heading_and_link_and_no_html(sample_out: Path) -> None:
    for slug in SLUGS:
        text = (sample_out / "email" / f"{slug}.txt").read_text(encoding="utf-8")
        page = soup_of(sample_out / "site/p" / slug / "index.html")
        body = page.find(class_="post-body")
        for heading in body.find_all(["h2", "h3", "h4"]):
            assert f"\n{heading.get_text(strip=True)}\n" in text, (slug, heading.get_text())
        for link in body.find_all("a", href=True):
            if "footnote-ref" in link.get("class", []) or "footnote-backref" in link.get("class", []):
                continue
            url = link["href"]
            absolute = url if url.startswith("https://") else f"https://civicledger.example{url}"
            assert absolute in text, (slug, absolute)
        assert not re.search(r"<[a-zA-Z/!]", text), slug
        assert not re.search(r"&(#\d+|#x[0-9a-f]+|[a-z]+);", text, re.I), slug
        for line in text.splitlines():
            code = line.startswith("    ")
            one_word = len(line.split()) == 1 or line.startswith("[")
            assert len(line) <= 78 or code or one_word, (slug, line)


def test_text_shows_structure(sample_out: Path) -> None:
    text = (sample_out / "email/get-your-permit-unstuck.txt").read_text(encoding="utf-8")
    assert text.startswith(
        "The Civic Ledger · Playbook\n\nHow to Get a Stuck Permit Moving\n================================\n"
    )
    assert "\nKnow where you stand\n--------------------\n" in text
    assert "\n- [x] Application accepted at intake" in text
    assert "\n- [ ] Zoning review complete\n" in text
    assert "\n1. Answer every correction comment in writing." in text
    assert "\n    Subject: Status request, permit BLD-2026-01184, 418 Alder Street\n" in text
    assert "As the queue section of the analysis [1] explains" in text
    assert "\n[1] https://civicledger.example/p/the-permit-bottleneck/#why-the-queue-grows\n" in text
    assert "View this post in your browser:\nhttps://civicledger.example/p/get-your-permit-unstuck/" in text
    assert text.endswith(
        "Unsubscribe: {{ unsubscribe_url }}\nManage preferences: {{ subscriber_preferences_url }}\n"
    )
    quote = (sample_out / "email/the-permit-bottleneck.txt").read_text(encoding="utf-8")
    assert "\n> When a resubmittal comes in, it doesn't go back to the person who wrote the\n> comments." in (
        quote
    )
    assert "\n>\n> — a plan reviewer, at the March council work session\n" in quote
    assert "March work\nsession.¹\n" in quote and "\nNotes\n-----\n\n1. Medians were calculated" in quote


# 5. Gmail's clipping limit -----------------------------------------------------


def test_a_huge_email_is_a_warning_not_a_failure(publication: Publication) -> None:
    sentence = "the queue grows and the wait gets longer " * 6
    paragraphs = "\n\n".join(f"Paragraph {n}: {sentence}" for n in range(500))
    assert len(paragraphs) > 120_000
    publication.post("analyses/huge.md", title="Huge", body=paragraphs, tags="[big]")
    publication.post("insights/small.md", title="Small", tags="[small]")
    result = publication.build()
    assert result.exit_code == 0
    size = (publication.out / "email/huge.html").stat().st_size
    assert size > 100 * 1024
    assert result.stderr == (
        f"warning: posts/analyses/huge.md:1: email: is {round(size / 1024)} KB, "
        "over Gmail's 102 KB clipping limit\n"
    )
    strict = publication.build("--strict")
    assert strict.exit_code == 1
    assert strict.stderr.endswith("Build failed: 1 warning with --strict; nothing was written.\n")


def test_the_samples_are_well_under_the_limit(tmp_path: Path) -> None:
    result = run("build", "--root", str(REPO), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0
    assert result.stderr == ""
    for slug in SLUGS:
        assert (tmp_path / "out/email" / f"{slug}.html").stat().st_size < 60 * 1024


# 6. Merge tags survive verbatim ---------------------------------------------------


def set_email(publication: Publication, **values: str) -> None:
    path = publication.root / "publication.toml"
    text = path.read_text(encoding="utf-8")
    for key, value in values.items():
        line = f"{key} = {value!r}".replace("'", '"')
        text, count = re.subn(rf"(?m)^{key} = .*$", lambda _m, line=line: line, text)
        if not count:
            text = text.replace("[email]\n", f"[email]\n{line}\n")
    path.write_text(text, encoding="utf-8")


@pytest.mark.parametrize(
    ("unsubscribe", "preferences"),
    [
        ("*|UNSUB|*", "*|UPDATE_PROFILE|*"),  # Mailchimp
        ("{{ unsubscribe_url }}", "{{ subscriber_preferences_url }}"),  # Kit
        ("%unsubscribe_url%", None),  # Mailgun
        ("{{{ pm:unsubscribe }}}", None),  # Postmark
        ("{{ UnsubscribeURL }}", "{{ ManageURL }}"),  # listmonk
    ],
)
def test_merge_tags_appear_verbatim(
    publication: Publication, unsubscribe: str, preferences: str | None
) -> None:
    settings = {"unsubscribe_url": unsubscribe}
    if preferences:
        settings["preferences_url"] = preferences
    else:
        text = (publication.root / "publication.toml").read_text(encoding="utf-8")
        (publication.root / "publication.toml").write_text(re.sub(r"(?m)^preferences_url = .*\n", "", text))
    set_email(publication, **settings)
    publication.post("analyses/one.md", title="One", body="See [the site](https://civicledger.example/).")
    result = publication.build()
    assert result.exit_code == 0, result.output
    html = (publication.out / "email/one.html").read_text(encoding="utf-8")
    text = (publication.out / "email/one.txt").read_text(encoding="utf-8")
    message = message_of(publication.out / "email/one.eml")
    for tag in [unsubscribe, preferences] if preferences else [unsubscribe]:
        assert f'href="{tag}"' in html
        assert tag in text
    assert f"Unsubscribe: {unsubscribe}\n" in text
    assert message["List-Unsubscribe"].startswith(f"<{unsubscribe}>, <mailto:")
    assert "%7B" not in html and "%7C" not in html  # nothing URL-encoded


def test_list_unsubscribe_url_of_its_own(publication: Publication) -> None:
    set_email(publication, list_unsubscribe_url="https://civicledger.example/unsubscribe?list=main")
    publication.post("analyses/one.md")
    assert publication.build().exit_code == 0
    message = message_of(publication.out / "email/one.eml")
    assert message["List-Unsubscribe"] == (
        "<https://civicledger.example/unsubscribe?list=main>, "
        "<mailto:unsubscribe@civicledger.example?subject=unsubscribe>"
    )
    html = (publication.out / "email/one.html").read_text(encoding="utf-8")
    assert 'href="{{ unsubscribe_url }}"' in html  # the footer link keeps the merge tag


def test_comment_url_replaces_the_reply_link(publication: Publication) -> None:
    set_email(publication, comment_url="{url}#comments")
    text = (publication.root / "publication.toml").read_text(encoding="utf-8")
    (publication.root / "publication.toml").write_text(
        text.replace('comment_url = "{url}#comments"', 'comment_url = "https://talk.example/t/{slug}"')
    )
    publication.post("analyses/one.md")
    assert publication.build().exit_code == 0
    soup = soup_of(publication.out / "email/one.html")
    assert soup.find("a", string="Leave a comment")["href"] == "https://talk.example/t/one"
    assert "https://talk.example/t/one" in (publication.out / "email/one.txt").read_text(encoding="utf-8")


# Configuration and templates -----------------------------------------------------


def test_bad_email_settings_name_the_line(publication: Publication) -> None:
    set_email(publication, unsubscribe_url="http://civicledger.example/unsubscribe", from_address="nobody")
    lines = (publication.root / "publication.toml").read_text(encoding="utf-8").splitlines()
    result = publication.build()
    assert result.exit_code == 1
    unsubscribe = lines.index('unsubscribe_url = "http://civicledger.example/unsubscribe"') + 1
    sender = lines.index('from_address = "nobody"') + 1
    assert f"publication.toml:{sender}: email.from_address: 'nobody' is not an email address" in result.stderr
    assert (
        f"publication.toml:{unsubscribe}: email.unsubscribe_url: must be an https:// URL or your "
        "email service's merge tag, e.g. {{ unsubscribe_url }}"
    ) in result.stderr


def test_email_settings_are_required(publication: Publication) -> None:
    path = publication.root / "publication.toml"
    path.write_text(path.read_text(encoding="utf-8").split("[email]")[0].rsplit("\n#", 4)[0] + "\n")
    result = publication.build()
    assert result.exit_code == 1
    assert ": email: required field is missing\n" in result.stderr


def test_a_publication_can_override_the_email_stylesheet_and_template(publication: Publication) -> None:
    css = (REPO / "templates/email/email.css").read_text(encoding="utf-8")
    publication.write("templates/email/email.css", css.replace("color: #1f2328; }", "color: #112233; }"))
    template = (REPO / "templates/email/post.html").read_text(encoding="utf-8")
    template = template.replace("View in browser</a>", "Read online</a>", 1)
    publication.write("templates/email/post.html", template)
    publication.post("analyses/one.md", body="Hello.")
    assert publication.build().exit_code == 0
    soup = soup_of(publication.out / "email/one.html")
    paragraph = soup.select_one(".post-body p")
    assert style_of(paragraph)["color"] == "#112233"
    assert soup.find("a", string="Read online")


def test_stylesheet_rules_are_sorted_into_frame_body_and_media() -> None:
    sheet = split_stylesheet(
        "/* note */ .post-body { padding: 1px; }\n"
        ".post-body p, .title { color: #111111; }\n"
        ".post-body > ul { margin: 0; }\n"
        "@media (max-width: 600px) { .card { padding: 0 !important; } }\n"
    )
    assert sheet.frame == ".post-body{padding: 1px;}\n.title{color: #111111;}"
    assert sheet.body == ".post-body p{color: #111111;}\n.post-body > ul{margin: 0;}"
    assert sheet.media == "@media (max-width: 600px){.card{padding: 0 !important;}}"


def test_non_ascii_subject_is_encoded(publication: Publication) -> None:
    publication.post("insights/cafe.md", title="Café zoning — what changes")
    assert publication.build().exit_code == 0
    raw = (publication.out / "email/cafe.eml").read_bytes()
    assert raw.isascii()
    assert message_of(publication.out / "email/cafe.eml")["Subject"] == "[Insight] Café zoning — what changes"
