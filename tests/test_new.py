"""`publisher new`: a draft that builds with --drafts, never an overwrite."""

from __future__ import annotations

import pytest
from conftest import Publication, run


def test_new_post_is_a_draft_that_builds_with_drafts(publication: Publication) -> None:
    result = run("new", "--root", str(publication.root), "playbook", "Fix the bus: a how-to")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "Created posts/playbooks/fix-the-bus-a-how-to.md (draft: true; build with --drafts to see it)\n"
    )
    text = (publication.root / "posts/playbooks/fix-the-bus-a-how-to.md").read_text()
    assert "title: 'Fix the bus: a how-to'\n" in text
    assert "draft: true\n" in text
    assert "\nresponds_to:" in text
    assert "- [ ] " in text
    assert publication.build().exit_code == 0
    assert not (publication.out / "site/p/fix-the-bus-a-how-to").exists()
    assert publication.build("--drafts").exit_code == 0
    page = (publication.out / "site/p/fix-the-bus-a-how-to/index.html").read_text()
    assert '<h1 class="post-title">Fix the bus: a how-to</h1>' in page
    assert 'type="checkbox"' in page


def test_new_uses_the_publication_time_zone(
    publication: Publication, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767268800")  # 2026-01-01T12:00:00Z
    assert run("new", "--root", str(publication.root), "insights", "Quick one").exit_code == 0
    text = (publication.root / "posts/insights/quick-one.md").read_text()
    assert "\ndate: 2026-01-01T07:00\n" in text  # America/New_York, written without an offset


def test_new_refuses_to_overwrite(publication: Publication) -> None:
    assert run("new", "--root", str(publication.root), "analyses", "Same title").exit_code == 0
    path = publication.root / "posts/analyses/same-title.md"
    path.write_text(path.read_text() + "\nMy words.\n")
    before = path.read_text()
    result = run("new", "--root", str(publication.root), "analyses", "Same title")
    assert result.exit_code == 1
    assert result.stderr == "Error: posts/analyses/same-title.md already exists; not overwritten\n"
    assert path.read_text() == before


def test_unknown_section_lists_the_valid_ones(publication: Publication) -> None:
    result = run("new", "--root", str(publication.root), "rants", "Angry")
    assert result.exit_code == 2
    assert result.stderr == (
        "Usage: publisher new [OPTIONS] SECTION TITLE\nTry 'publisher new --help' for help.\n\n"
        "Error: Invalid value for SECTION: 'rants' (sections: analyses, playbooks, insights)\n"
    )
