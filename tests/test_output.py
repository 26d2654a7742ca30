"""Output guarantees: deterministic, escaped, paginated, overridable, inside the output folder."""

from __future__ import annotations

from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import REPO, Publication, output_files

from publisher.build import BuildOptions, build
from publisher.incremental.output import UnsafePath, safe_relative, write_output


def tree(folder: Path) -> dict[str, bytes]:
    """Every output file; the build cache is not output."""
    return output_files(folder)


def test_two_builds_are_byte_identical(tmp_path: Path, sample_out: Path) -> None:
    build(BuildOptions(root=REPO, out=tmp_path / "again"))
    first, second = tree(sample_out), tree(tmp_path / "again")
    assert first.keys() == second.keys()
    assert [name for name in first if first[name] != second[name]] == []
    assert len(first) > 20


def test_hostile_titles_and_tags_render_as_text(publication: Publication) -> None:
    publication.post(
        "insights/hostile.md",
        title="'<script>alert(1)</script>'",
        subtitle="'<img src=x onerror=alert(2)>'",
        tags="['<b>bold</b>', 'a&b']",
        body="Body text.",
    )
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    for page in [site / "p/hostile/index.html", site / "index.html", site / "tags/index.html"]:
        html = page.read_text()
        soup = BeautifulSoup(html, "html.parser")
        assert "<script>alert(1)</script>" not in html
        assert not soup.find("img", src="x")
        assert not soup.find("b")
    post = BeautifulSoup((site / "p/hostile/index.html").read_text(), "html.parser")
    assert post.h1.get_text() == "<script>alert(1)</script>"
    assert [a.get_text() for a in post.select(".post-tags a")] == ["<b>bold</b>", "a&b"]
    assert (site / "tags/b-bold-b/index.html").is_file()


def test_pagination(publication: Publication) -> None:
    text = (publication.root / "publication.toml").read_text()
    (publication.root / "publication.toml").write_text(
        text.replace("posts_per_page = 10", "posts_per_page = 2")
    )
    for day in range(1, 6):
        publication.post(f"insights/post-{day}.md", title=f"Post {day}", date=f"2026-01-0{day}")
    assert publication.build().exit_code == 0
    site = publication.out / "site"

    def titles(page: Path) -> list[str]:
        soup = BeautifulSoup(page.read_text(), "html.parser")
        return [h.get_text(strip=True) for h in soup.select(".lead-title, .card-title")]

    assert titles(site / "index.html") == ["Post 5", "Post 4"]
    assert titles(site / "page/2/index.html") == ["Post 3", "Post 2"]
    assert titles(site / "page/3/index.html") == ["Post 1"]
    assert not (site / "page/4").exists()
    assert titles(site / "insights/page/3/index.html") == ["Post 1"]
    nav = BeautifulSoup((site / "page/2/index.html").read_text(), "html.parser").find(
        "nav", class_="pagination"
    )
    assert nav.find("a", rel="prev")["href"] == "/"
    assert nav.find("a", rel="next")["href"] == "/page/3/"


def test_a_publication_template_overrides_one_default(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One")
    publication.write(
        "templates/post.html",
        """
        {% extends "base.html" %}
        {% block content %}<p id="custom">Custom: {{ entry.title }}</p>{% endblock %}
        """,
    )
    publication.write("templates/static/extra.css", "p { color: red; }")
    assert publication.build().exit_code == 0
    site = publication.out / "site"
    post = BeautifulSoup((site / "p/one/index.html").read_text(), "html.parser")
    assert post.find(id="custom").get_text() == "Custom: One"
    assert post.find("a", class_="skip-link"), "base.html still comes from the defaults"
    home = BeautifulSoup((site / "index.html").read_text(), "html.parser")
    assert home.find("article", class_="lead"), "home.html still comes from the defaults"
    assert (site / "static/extra.css").read_text() == "p { color: red; }"
    assert (site / "static/style.css").is_file()


def test_drafts_only_with_the_flag(publication: Publication) -> None:
    publication.post("analyses/final.md", title="Final")
    publication.post("analyses/wip.md", title="Work in progress", draft="true")
    assert publication.build().exit_code == 0
    assert not (publication.out / "site/p/wip").exists()
    assert "Work in progress" not in (publication.out / "site/index.html").read_text()
    assert publication.build("--drafts").exit_code == 0
    assert (publication.out / "site/p/wip/index.html").is_file()


@pytest.mark.parametrize("path", ["../x", "/etc/passwd", "a/../../b", "", "a\\..\\b"])
def test_unsafe_output_paths_are_refused(path: str) -> None:
    with pytest.raises(UnsafePath):
        safe_relative(path)


def test_a_failing_write_leaves_the_previous_output(tmp_path: Path) -> None:
    out = tmp_path / "build"
    write_output(out, {"site": {"index.html": b"old"}})
    with pytest.raises(UnsafePath):
        write_output(out, {"site": {"index.html": b"new", "../escape.html": b"x"}})
    assert tree(out) == {"site/index.html": b"old"}
    assert not (tmp_path / "escape.html").exists()


def test_a_rebuild_replaces_removed_pages(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One")
    gone = publication.post("analyses/two.md", title="Two")
    assert publication.build().exit_code == 0
    gone.unlink()
    assert publication.build().exit_code == 0
    assert not (publication.out / "site/p/two").exists()
    names = {p.name for p in publication.out.iterdir()}
    assert names == {"site", "email", ".cache", ".current", ".generations", ".lock", ".publisher-output"}
    assert len(list((publication.out / ".generations").iterdir())) == 1, "only the current generation"


def test_template_mistakes_are_reported_with_file_and_line(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One", tags="[a]")
    assert publication.build().exit_code == 0
    before = tree(publication.out)
    publication.write(
        "templates/post.html", '{% extends "base.html" %}\n{% block content %}\n{{ entry.title \n'
    )
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr == (
        "templates/post.html:3: template: TemplateSyntaxError: unexpected end of template, expected 'end of "
        "print statement'.\nBuild failed: 1 error; nothing was written.\n"
    )
    publication.write(
        "templates/post.html",
        '{% extends "base.html" %}\n{% block content %}\n{{ entry.nosuch.thing }}\n{% endblock %}\n',
    )
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr == (
        "templates/post.html:3: template: UndefinedError: 'publisher.content.resolve.Entry object' "
        "has no attribute 'nosuch'\nBuild failed: 1 error; nothing was written.\n"
    )
    assert tree(publication.out) == before


def test_a_disk_problem_is_one_line_not_a_traceback(publication: Publication) -> None:
    publication.post("analyses/one.md", title="One", tags="[a]")
    publication.out.mkdir()
    (publication.out / ".publisher-output").write_text("an output folder publisher made")
    (publication.out / ".generations").write_text("in the way")  # where the build stages its output
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: Not a directory: ")
    assert result.stderr.endswith("; the previous output was left as it was.\n")
    assert "Traceback" not in result.output
