"""Bad content: every problem reported as path:line: field: message, exit 1,
and the previous build left exactly as it was."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import Publication

ALLOWED = (
    "title, date, updated, subtitle, summary, slug, tags, authors, cover, cover_alt, "
    "draft, responds_to, related"
)
FOOTER = "Build failed: 1 error; nothing was written."

CASES = {
    "broken YAML": (
        "analyses/broken.md",
        "---\ntitle: [unclosed\ndate: 2026-01-01\n---\nbody\n",
        "posts/analyses/broken.md:3: (front matter): invalid YAML: did not find expected ',' or ']'"
        " (while parsing a flow sequence on line 2)",
    ),
    "missing title": (
        "analyses/untitled.md",
        "---\ndate: 2026-01-01\n---\nbody\n",
        "posts/analyses/untitled.md:1: title: required field is missing",
    ),
    "empty title": (
        "analyses/untitled.md",
        "---\ntitle: '  '\ndate: 2026-01-01\n---\nbody\n",
        "posts/analyses/untitled.md:2: title: must not be empty",
    ),
    "bad date": (
        "analyses/bad-date.md",
        "---\ntitle: Bad date\ndate: 2026-13-45\n---\nbody\n",
        "posts/analyses/bad-date.md:3: date: '2026-13-45' must be a date like 2025-04-22, "
        "2025-04-22T08:30:00 or 2025-04-22T08:30:00-04:00",
    ),
    "unknown key": (
        "analyses/typo.md",
        "---\ntitle: Typo\ndate: 2026-01-01\ntag: [a]\n---\nbody\n",
        f"posts/analyses/typo.md:4: tag: unknown field (allowed: {ALLOWED})",
    ),
    "wrong type": (
        "analyses/typed.md",
        "---\ntitle: Typed\ndate: 2026-01-01\n\ntags: permits\n---\nbody\n",
        "posts/analyses/typed.md:5: tags: must be a list: [a, b], or one `- item` per line",
    ),
    "wrong type in a list": (
        "analyses/typed.md",
        "---\ntitle: Typed\ndate: 2026-01-01\ntags:\n  - permits\n  - 42\n---\nbody\n",
        "posts/analyses/typed.md:6: tags[1]: must be text (quote it if it looks like a number, "
        "date or true/false)",
    ),
    "unknown section folder": (
        "rants/rant.md",
        "---\ntitle: Rant\ndate: 2026-01-01\n---\nbody\n",
        "posts/rants/rant.md:1: section: folder 'rants' is not a section "
        "(sections: analyses, playbooks, insights)",
    ),
    "file outside any section": (
        "loose.md",
        "---\ntitle: Loose\ndate: 2026-01-01\n---\nbody\n",
        "posts/loose.md:1: section: posts/ itself is not a section (sections: analyses, playbooks, insights)",
    ),
    "missing responds_to target": (
        "playbooks/play.md",
        "---\ntitle: Play\ndate: 2026-01-01\nresponds_to: nothing-here\n---\nbody\n",
        "posts/playbooks/play.md:4: responds_to: no post has the slug 'nothing-here'",
    ),
    "missing related target": (
        "playbooks/play.md",
        "---\ntitle: Play\ndate: 2026-01-01\nrelated:\n  - existing\n  - also-nothing\n---\nbody\n",
        "posts/playbooks/play.md:6: related: no post has the slug 'also-nothing'",
    ),
    "unsafe slug": (
        "insights/unsafe.md",
        "---\ntitle: Unsafe\ndate: 2026-01-01\nslug: ../../etc/passwd\n---\nbody\n",
        "posts/insights/unsafe.md:4: slug: '../../etc/passwd' is not a slug: use lowercase letters, "
        "digits and hyphens",
    ),
    "file name that is no slug": (
        "insights/Bad Name.md",
        "---\ntitle: Bad name\ndate: 2026-01-01\n---\nbody\n",
        "posts/insights/Bad Name.md:1: slug: file name 'Bad Name' is not a valid slug: rename the file "
        "or set `slug:` (lowercase letters, digits and hyphens)",
    ),
    "link to a missing post": (
        "insights/links.md",
        "---\ntitle: Links\ndate: 2026-01-01\n---\n\nFirst line.\n\nSee [this](../analyses/gone.md#x).\n",
        "posts/insights/links.md:8: link: links to '../analyses/gone.md#x', which is not a post file",
    ),
    "missing image": (
        "insights/pic.md",
        "---\ntitle: Pic\ndate: 2026-01-01\n---\n\n![A chart](chart.png)\n",
        "posts/insights/pic.md:6: image: 'chart.png' does not exist next to the post",
    ),
    "image outside posts/": (
        "insights/pic.md",
        "---\ntitle: Pic\ndate: 2026-01-01\n---\n\n![Secrets](../../publication.toml)\n",
        "posts/insights/pic.md:6: image: '../../publication.toml' does not exist next to the post",
    ),
    "missing cover": (
        "insights/pic.md",
        "---\ntitle: Pic\ndate: 2026-01-01\ncover: cover.jpg\n---\nbody\n",
        "posts/insights/pic.md:4: cover: 'cover.jpg' does not exist next to the post",
    ),
    "no front matter": (
        "insights/bare.md",
        "Just text.\n",
        "posts/insights/bare.md:1: (front matter): missing: the file must start with a `---` line",
    ),
    "unclosed front matter": (
        "insights/open.md",
        "---\ntitle: Open\n",
        "posts/insights/open.md:1: (front matter): not closed: add a `---` line after the front matter",
    ),
}


@pytest.fixture
def built(publication: Publication) -> Publication:
    """A publication with one good post, built once: the output to protect."""
    publication.post("analyses/existing.md", title="Existing", body="A good post.")
    result = publication.build()
    assert result.exit_code == 0, result.output
    return publication


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    return {
        str(p.relative_to(folder)): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.mark.parametrize("case", list(CASES))
def test_bad_input_names_file_and_line_and_keeps_the_old_build(built: Publication, case: str) -> None:
    relative, text, message = CASES[case]
    before = snapshot(built.out)
    built.write(f"posts/{relative}", text)
    result = built.build()
    assert result.exit_code == 1
    assert result.stderr == f"{message}\n{FOOTER}\n"
    assert result.stdout == ""
    assert snapshot(built.out) == before


def test_non_utf8_file_is_named(built: Publication) -> None:
    before = snapshot(built.out)
    (built.root / "posts/insights/latin1.md").write_bytes(
        b"---\ntitle: Latin\ndate: 2026-01-01\n---\nCaf\xe9\n"
    )
    result = built.build()
    assert result.exit_code == 1
    assert result.stderr == (
        "posts/insights/latin1.md:5: (file): is not valid UTF-8 (byte 0xe9 at offset 41); "
        f"save it as UTF-8\n{FOOTER}\n"
    )
    assert snapshot(built.out) == before


def test_duplicate_slug_names_both_files(built: Publication) -> None:
    built.post("insights/one.md", slug="same")
    built.post("insights/two.md", slug="same")
    result = built.build()
    assert result.exit_code == 1
    assert result.stderr == (
        "posts/insights/one.md:4: slug: 'same' is also the slug of posts/insights/two.md\n"
        "posts/insights/two.md:4: slug: 'same' is also the slug of posts/insights/one.md\n"
        "Build failed: 2 errors; nothing was written.\n"
    )


def test_every_error_of_every_file_is_reported_at_once(built: Publication) -> None:
    built.write("posts/analyses/a.md", "---\ntitle: A\ndate: yesterday\nmood: grim\n---\n")
    built.write("posts/insights/b.md", "---\ndate: 2026-01-01\n---\n[x](nope.md)\n")
    result = built.build()
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        "posts/analyses/a.md:3: date: 'yesterday' must be a date like 2025-04-22, "
        "2025-04-22T08:30:00 or 2025-04-22T08:30:00-04:00",
        f"posts/analyses/a.md:4: mood: unknown field (allowed: {ALLOWED})",
        "posts/insights/b.md:1: title: required field is missing",
        "Build failed: 3 errors; nothing was written.",
    ]


def test_link_to_a_draft_says_so(built: Publication) -> None:
    built.post("analyses/later.md", title="Later", draft="true")
    built.post("insights/teaser.md", body="Soon: [the analysis](../analyses/later.md).")
    result = built.build()
    assert result.exit_code == 1
    assert "posts/insights/teaser.md:6: link: links to '../analyses/later.md', a draft: publish it or " in (
        result.stderr
    )
    assert built.build("--drafts").exit_code == 0


def test_hostile_slug_never_writes_outside_the_output(built: Publication, tmp_path: Path) -> None:
    built.post("insights/evil.md", slug='"../../../escaped"')
    result = built.build()
    assert result.exit_code == 1
    assert not list(tmp_path.rglob("escaped*"))
