"""Search: the Pagefind index of the published posts, its page, and when it is rebuilt.

The index files are read back the way Pagefind's own script reads them
(gzip, a signature, then JSON for a post's fragment or CBOR for the rest), so
these tests check what a reader's browser would get. The browser side is in
tests/browser/test_search.py.
"""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from conftest import Publication, run
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.search.canonical import SIGNATURE, canonical_bundle, decode, encode
from publisher.search.indexer import IndexFailed, run_pagefind

SEARCH = "build/site/search"


def fragments(site: Path) -> dict[str, dict]:
    """Every post Pagefind indexed, by URL: its text, filters and metadata."""
    found = {}
    for file in sorted((site / "search/pagefind/fragment").glob("*.pf_fragment")):
        raw = gzip.decompress(file.read_bytes())
        assert raw.startswith(SIGNATURE)
        fragment = json.loads(raw[len(SIGNATURE) :])
        found[fragment["url"]] = fragment
    return found


def index_files(out: Path) -> dict[str, bytes]:
    folder = out / "site/search/pagefind"
    return {
        p.relative_to(folder).as_posix(): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


def mtimes(out: Path) -> dict[str, int]:
    folder = out / "site/search"
    return {p.relative_to(folder).as_posix(): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


@pytest.fixture
def harbor(publication: Publication) -> Publication:
    """Posts in three sections with tags, and a draft that must stay out of the index."""
    publication.post(
        "analyses/tides.md",
        title="Reading the Harbor Tides",
        subtitle="What the gauges say",
        tags="[harbor, data]",
        date="2026-02-01",
        body="## Gauges\n\nThe harbor gauges log a zeppelin-free sky.",
    )
    publication.post(
        "insights/ferry.md", title="Ferry Fares Rise", tags="[harbor, transit, fares]", body="Harbor fares."
    )
    publication.post(
        "playbooks/dock.md", title="How to Rent a Dock", tags="[transit]", body="Ask the harbor."
    )
    publication.post("insights/secret.md", title="Not Yet", draft="true", body="A harbor secret: marmalade.")
    return publication


def test_the_index_holds_every_published_post_with_its_filters_and_nothing_else(harbor: Publication) -> None:
    assert harbor.build().exit_code == 0
    site = harbor.out / "site"
    indexed = fragments(site)
    assert sorted(indexed) == ["/p/dock/", "/p/ferry/", "/p/tides/"], "published posts only: no draft"
    tides = indexed["/p/tides/"]
    assert tides["meta"] == {
        "title": "Reading the Harbor Tides",
        "subtitle": "What the gauges say",
        "section": "Analysis",
        "date": "2026-02-01",
    }
    assert tides["filters"] == {"section": ["Analyses"], "tag": ["harbor", "data"]}
    assert tides["content"].startswith("Reading the Harbor Tides. What the gauges say. Gauges.")
    assert "zeppelin" in tides["content"] and "Analyses" not in tides["content"], "filters are not text"
    assert [a["id"] for a in tides["anchors"]] == ["gauges"], "headings give results inside the post"
    assert indexed["/p/ferry/"]["filters"] == {"section": ["Insights"], "tag": ["harbor", "transit", "fares"]}
    assert not any("marmalade" in f["content"] for f in indexed.values())
    assert not any(name.startswith("pagefind-ui") for name in index_files(harbor.out)), (
        "our own page, not theirs"
    )

    page = BeautifulSoup((site / "search/index.html").read_text(encoding="utf-8"), "lxml")
    form = page.find("form", role="search")
    assert form["data-bundle"] == "/search/pagefind/" and form["data-base"] == "/"
    assert page.find("label", attrs={"for": "search-query"}).get_text() == "Search the archive"
    assert [o["value"] for o in page.select("#search-section option")] == [
        "",
        "Analyses",
        "Playbooks",
        "Insights",
    ]
    assert page.find(id="search-status")["role"] == "status"
    assert page.find(id="search-results").has_attr("hidden")
    fallback = page.find(id="search-fallback")
    assert fallback.find("a")["href"] == "/archive/", "without JavaScript: the archive"
    home = BeautifulSoup((site / "index.html").read_text(encoding="utf-8"), "lxml")
    assert home.select_one(".site-header").find("a", string="Search")["href"] == "/search/"
    assert not home.find("script"), "only the search page has a script"


def test_under_a_base_url_path_the_page_points_into_the_path(harbor: Publication) -> None:
    assert harbor.build("--base-url", "https://example.org/newsletter/").exit_code == 0
    site = harbor.out / "site"
    page = BeautifulSoup((site / "search/index.html").read_text(encoding="utf-8"), "lxml")
    form = page.find("form", role="search")
    assert (form["data-bundle"], form["data-base"]) == ("/newsletter/search/pagefind/", "/newsletter/")
    assert page.find("script", src=True)["src"] == "/newsletter/static/search.js"
    # Result URLs are relative to the base: the page hands Pagefind the path to put in front.
    assert sorted(fragments(site)) == ["/p/dock/", "/p/ferry/", "/p/tides/"]


def test_nothing_published_builds_a_search_page_that_says_so(publication: Publication) -> None:
    publication.post("insights/later.md", title="Later", draft="true")
    assert publication.build().exit_code == 0
    page = BeautifulSoup((publication.out / "site/search/index.html").read_text(encoding="utf-8"), "lxml")
    assert page.find("main").find("p").get_text() == "Nothing published yet."
    assert not page.find("script") and not (publication.out / "site/search/pagefind").exists()
    assert publication.build("--drafts").exit_code == 0
    assert sorted(fragments(publication.out / "site")) == ["/p/later/"], "--drafts indexes drafts"


def test_two_clean_builds_give_identical_index_files(
    harbor: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    first, second = tmp_path / "one", tmp_path / "two"
    assert harbor.build("--out", str(first)).exit_code == 0
    monkeypatch.setenv("PAGEFIND_KEEP_INDEX_URL", "true")  # Pagefind's own settings do not leak in
    assert harbor.build("--out", str(second)).exit_code == 0
    assert index_files(first) == index_files(second)


def test_a_no_change_rebuild_keeps_the_index_and_an_edit_updates_it(
    harbor: Publication, tmp_path: Path
) -> None:
    assert harbor.build().exit_code == 0
    before = mtimes(harbor.out)
    assert harbor.build("--verbose").stdout.count("wrote ") == 0
    assert mtimes(harbor.out) == before, "no-change: not one search file rewritten"

    # A template change renders the pages again, but the index is made from the posts alone.
    harbor.write("templates/base.html", _base_with_comment())
    assert harbor.build().exit_code == 0
    after_template = mtimes(harbor.out)
    assert after_template["index.html"] != before["index.html"], "the search page is a page"
    assert {k: v for k, v in after_template.items() if k != "index.html"} == {
        k: v for k, v in before.items() if k != "index.html"
    }

    harbor.post("playbooks/dock.md", title="How to Rent a Dock", tags="[transit]", body="Ask about gondolas.")
    assert harbor.build().exit_code == 0
    indexed = fragments(harbor.out / "site")
    assert "gondolas" in indexed["/p/dock/"]["content"]
    assert "harbor" not in indexed["/p/dock/"]["content"]
    after_edit = mtimes(harbor.out)
    untouched = {name for name in before if name.startswith("pagefind/fragment/") and name in after_edit}
    assert len(untouched) == 2 and all(after_edit[n] == before[n] for n in untouched), (
        "other posts' files kept"
    )
    assert index_files(harbor.out) == index_files(_clean(harbor, tmp_path))


def _base_with_comment() -> str:
    from publisher.paths import default_templates

    base = (default_templates() / "base.html").read_text(encoding="utf-8")
    return base.replace("</footer>", "</footer>\n<!-- edited -->")


def _clean(publication: Publication, tmp_path: Path) -> Path:
    out = tmp_path / "clean"
    assert publication.build("--out", str(out), "--clean").exit_code == 0
    return out


def test_enabled_false_writes_no_search_and_removes_an_earlier_one(harbor: Publication) -> None:
    assert harbor.build().exit_code == 0
    assert (harbor.out / "site/search/pagefind/pagefind.js").is_file()
    config = harbor.root / "publication.toml"
    config.write_text(config.read_text(encoding="utf-8") + "\n[search]\nenabled = false\n", encoding="utf-8")
    assert harbor.build().exit_code == 0
    assert not (harbor.out / "site/search").exists()
    home = (harbor.out / "site/index.html").read_text(encoding="utf-8")
    assert "/search/" not in home


def test_search_settings_and_the_reserved_folder_are_checked(publication: Publication) -> None:
    config = publication.root / "publication.toml"
    text = config.read_text(encoding="utf-8")
    lines = len(text.splitlines())
    config.write_text(text + "\n[search]\nenabled = 'yes'\nlimit = 3\n", encoding="utf-8")
    result = publication.build()
    assert result.exit_code == 1
    assert result.stderr.splitlines()[:2] == [
        f"publication.toml:{lines + 3}: search.enabled: must be true or false",
        f"publication.toml:{lines + 4}: search.limit: unknown field (allowed: enabled)",
    ]

    config.write_text(text.replace('folder = "insights"', 'folder = "search"'), encoding="utf-8")
    result = publication.build()
    assert result.exit_code == 1
    line = text.splitlines().index('folder = "insights"') + 1
    assert f"publication.toml:{line}: sections[2].folder: 'search' is reserved for the search page (" in (
        result.stderr
    )


def test_a_missing_pagefind_fails_the_build_cleanly(
    harbor: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(harbor.root / "no-such-pagefind"))
    result = harbor.build()
    assert result.exit_code == 1
    assert result.stderr == (
        f"publication.toml:1: search: the Pagefind binary is missing ({harbor.root / 'no-such-pagefind'}); "
        "reinstall publisher, which brings Pagefind, or turn search off: enabled = false\n"
        "Build failed: 1 error; nothing was written.\n"
    )
    assert not harbor.out.exists() or not (harbor.out / "site").exists()
    assert run("check", "--root", str(harbor.root)).exit_code == 0, "check does not run Pagefind"


def test_a_pagefind_that_dies_or_hangs_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    documents = {"p/a/index.html": "<html><body><h1>A</h1></body></html>"}
    dies = tmp_path / "dies"
    dies.write_text("#!/bin/sh\necho it broke >&2\nexit 3\n")
    dies.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(dies))
    with pytest.raises(IndexFailed, match=r"^Pagefind exited with status 3: it broke$"):
        run_pagefind(documents, "en", timeout=30)
    hangs = tmp_path / "hangs"
    hangs.write_text("#!/bin/sh\nexec sleep 30\n")
    hangs.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(hangs))
    with pytest.raises(IndexFailed, match=r"^Pagefind did not finish within 1 s$"):
        run_pagefind(documents, "en", timeout=1)


@pytest.fixture(scope="module")
def bundle() -> dict[str, bytes]:
    """A real Pagefind bundle with two filters of several values each."""
    documents = {
        f"p/post-{n}/index.html": (
            f'<html lang="en"><body><main data-pagefind-body><h1>Post {n}</h1><p>word{n}</p>'
            f'<span data-pagefind-filter="section">{"ABC"[n % 3]}</span>'
            + "".join(f'<span data-pagefind-filter="tag">t{t}</span>' for t in range(n % 4 + 1))
            + "</main></body></html>"
        )
        for n in range(8)
    }
    return run_pagefind(documents, "en")


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_canonical_order_does_not_depend_on_pagefinds_hash_map_order(
    bundle: dict[str, bytes], seed: int
) -> None:
    """Shuffle what Pagefind writes in hash-map order: the canonical bundle stays the same bytes."""
    shuffle = random.Random(seed).shuffle
    shuffled = dict(bundle)
    for name, data in bundle.items():
        if name.startswith("filter/"):
            filter_name, values = decode(data)  # type: ignore[misc]
            shuffle(values)
            shuffled[name] = encode([filter_name, values])
    entry = json.loads(bundle["pagefind-entry.json"])
    meta_name = f"pagefind.{entry['languages']['en']['hash']}.pf_meta"
    meta = decode(bundle[meta_name])
    shuffle(meta[3])  # type: ignore[index]
    shuffled[meta_name] = encode(meta)
    assert canonical_bundle(shuffled) == bundle


def test_canonical_bundle_sorts_filters_and_points_the_entry_at_the_new_metadata(
    bundle: dict[str, bytes],
) -> None:
    entry = json.loads(bundle["pagefind-entry.json"])
    meta = decode(bundle[f"pagefind.{entry['languages']['en']['hash']}.pf_meta"])
    filters = meta[3]  # type: ignore[index]
    assert [name for name, _ in filters] == ["section", "tag"]
    for name, file_hash in filters:
        filter_name, values = decode(bundle[f"filter/{file_hash}.pf_filter"])  # type: ignore[misc]
        assert filter_name == name
        assert [value for value, _ in values] == sorted(value for value, _ in values)
    assert {v for _, h in filters for v, _ in decode(bundle[f"filter/{h}.pf_filter"])[1]} == {  # type: ignore[index]
        "A",
        "B",
        "C",
        "t0",
        "t1",
        "t2",
        "t3",
    }


def _pagefind_binary() -> Path:
    from pagefind.service import get_executable

    binary = get_executable()
    assert binary is not None and binary.is_file()
    return binary


def test_pagefind_indexes_while_the_emails_render(
    harbor: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A Pagefind that starts indexing only once the first email is staged: a build that ran
    search after the emails (or before them, waiting for it) would never see one and fail."""
    waits = tmp_path / "waits-for-emails"
    emails = f"{harbor.out}/.generations/*/email/*.eml"
    waits.write_text(
        "#!/bin/sh\n"
        "for i in $(seq 400); do\n"
        f'  if ls {emails} >/dev/null 2>&1; then exec {_pagefind_binary()} "$@"; fi\n'
        "  sleep 0.05\n"
        "done\n"
        "echo no email was rendered while Pagefind ran >&2\n"
        "exit 1\n"
    )
    waits.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(waits))
    result = harbor.build()
    assert result.stderr == ""
    assert result.exit_code == 0
    assert sorted(fragments(harbor.out / "site")) == ["/p/dock/", "/p/ferry/", "/p/tides/"]


def test_a_build_that_fails_while_pagefind_runs_stops_it_and_leaves_no_scratch(
    harbor: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An email template fails after Pagefind started: the run is killed and its folder removed."""
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    pid_file = tmp_path / "pagefind.pid"
    slow = tmp_path / "slow-pagefind"
    slow.write_text(f"#!/bin/sh\necho $$ > {pid_file}\nexec sleep 5\n")
    slow.chmod(0o755)
    monkeypatch.setenv("PAGEFIND_BINARY_PATH", str(slow))
    harbor.write("templates/email/post.html", "{{ entry.nosuch.thing }}\n")
    result = harbor.build()
    assert result.stderr == (
        "templates/email/post.html:1: template: UndefinedError: 'publisher.content.resolve.Entry object' "
        "has no attribute 'nosuch'\nBuild failed: 1 error; nothing was written.\n"
    )
    assert result.exit_code == 1
    assert not Path(f"/proc/{pid_file.read_text().strip()}").exists(), "Pagefind was stopped"
    assert list(scratch.iterdir()) == [], "the scratch folder went with the run"
