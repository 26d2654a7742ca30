"""The benchmark's generated publication must keep building, or the benchmark rots.

No timings here: only that publisher builds the synthetic posts, one page per
post, with every link between posts resolved, and that the converters for
Pelican and Hugo rewrite every such link (neither tool is run).
"""

from __future__ import annotations

import sys
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from conftest import REPO, run
from html_links import fragment_ids, internal_links, target_file

POSTS = 9


sys.path.insert(0, str(REPO))  # the benchmark is a folder of scripts, not an installed package
from benchmarks import convert, generator  # noqa: E402


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    root = tmp_path_factory.mktemp("bench") / "pub"
    return root, generator.generate(root, POSTS, seed=7)


def test_generator_writes_realistic_posts_in_every_section(generated: tuple[Path, list[Path]]) -> None:
    _, files = generated
    assert len(files) == POSTS
    assert {f.parent.name for f in files} == {"analyses", "playbooks", "insights"}
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert 13_000 <= len(text.encode()) <= 19_000, file
        for marker in ("\n## ", "\n- **", "\n|---|", "\n> ", "[^1]: ", "](../"):
            assert marker in text, (file.name, marker)


def test_generator_is_deterministic(generated: tuple[Path, list[Path]], tmp_path: Path) -> None:
    _, files = generated
    again = generator.generate(tmp_path / "again", POSTS, seed=7)
    assert [f.read_bytes() for f in again] == [f.read_bytes() for f in files]


def test_publisher_builds_one_page_per_post_with_links_resolved(
    generated: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, files = generated
    out = tmp_path / "out"
    result = run("build", "--root", str(root), "--out", str(out))
    assert result.exit_code == 0, result.output
    site = out / "site"
    pages = sorted(site.glob("p/*/index.html"))
    assert sorted(p.parent.name for p in pages) == sorted(f.stem for f in files)
    ids: dict[Path, set[str]] = {}
    between_posts = 0
    for page, url in internal_links(site, "civicledger.example"):
        if page.parent.parent != site / "p":
            continue
        assert ".md" not in url, (page, url)
        target = target_file(site, page, url)
        assert target.is_file(), (page, url)
        fragment = urlsplit(url).fragment
        if fragment:
            assert fragment in ids.setdefault(target, fragment_ids(target)), (page, url)
        between_posts += urlsplit(url).path.startswith("/p/") and target != page
    assert between_posts >= 3 * POSTS


def test_converters_rewrite_every_link_between_posts(
    generated: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, files = generated
    pelican = convert.to_pelican(root, tmp_path / "pelican")
    hugo = convert.to_hugo(root, tmp_path / "hugo")
    compile((pelican / "pelicanconf.py").read_text(encoding="utf-8"), "pelicanconf.py", "exec")
    assert (hugo / "layouts" / "_default" / "single.html").is_file()
    for site, marker in ((pelican, "]({filename}/"), (hugo, ']({{< relref "/')):
        converted = [f for f in sorted((site / "content").glob("*/*.md")) if f.name != "_index.md"]
        assert sorted(f.name for f in converted) == sorted(f.name for f in files)
        for file in converted:
            text = file.read_text(encoding="utf-8")
            assert "](../" not in text and marker in text, file


def test_list_heavy_shape_builds_with_its_own_shape(tmp_path: Path) -> None:
    """The list-heavy shape: seven headings, twenty-one bold-lead items, no tables or quotes."""
    root = tmp_path / "lists"
    files = generator.generate(root, POSTS, seed=7, shape="lists")
    for file in files:
        text = file.read_text(encoding="utf-8")
        assert 13_000 <= len(text.encode()) <= 19_000, file
        assert text.count("\n## ") == 7 and text.count("\n- **") == 21, file
        assert "\n|---|" not in text and "\n> " not in text, file
    result = run("build", "--root", str(root), "--out", str(tmp_path / "out"))
    assert result.exit_code == 0, result.output
    assert len(list((tmp_path / "out" / "site").glob("p/*/index.html"))) == POSTS
