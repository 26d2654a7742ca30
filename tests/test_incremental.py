"""Incremental and parallel builds: same bytes as a clean, serial build, always."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from conftest import REPO, Publication, output_files, run


def outputs(out: Path) -> dict[str, bytes]:
    return output_files(out)


def mtimes(out: Path) -> dict[str, int]:
    return {name: (out / name).stat().st_mtime_ns for name in outputs(out)}


@pytest.fixture
def sample(tmp_path: Path) -> Publication:
    """A copy of the bundled sample publication, built once."""
    publication = Publication(tmp_path / "pub")
    shutil.copytree(REPO / "posts", publication.root / "posts", dirs_exist_ok=True)
    assert publication.build().exit_code == 0
    return publication


def clean_build(publication: Publication, tmp_path: Path, *args: str) -> dict[str, bytes]:
    out = tmp_path / "clean"
    shutil.rmtree(out, ignore_errors=True)
    result = run("build", "--root", str(publication.root), "--out", str(out), "--clean", *args)
    assert result.exit_code == 0, result.output
    return outputs(out)


def assert_same(incremental: dict[str, bytes], clean: dict[str, bytes]) -> None:
    assert sorted(incremental) == sorted(clean)
    assert [name for name in clean if incremental[name] != clean[name]] == []


def test_a_no_change_rebuild_touches_nothing(sample: Publication) -> None:
    before = mtimes(sample.out)
    result = sample.build("--verbose")
    assert result.exit_code == 0
    assert "wrote " not in result.stdout
    assert result.stdout.startswith("Built 5 posts: 20 pages, 9 feeds, 5 emails in ")
    assert "s (0 rebuilt, 5 cached)\n" in result.stdout
    assert mtimes(sample.out) == before


def test_editing_one_post_renders_it_and_its_lists_and_equals_a_clean_build(
    sample: Publication, tmp_path: Path
) -> None:
    post = sample.root / "posts/insights/budget-hearing-dates.md"
    text = post.read_text()
    title = next(line for line in text.splitlines() if line.startswith("title: "))
    post.write_text(text.replace(title, "title: Budget hearings, updated"))
    before = mtimes(sample.out)
    result = sample.build("--verbose")
    assert result.exit_code == 0, result.output
    written = {
        line.split("/build/", 1)[1] for line in result.stdout.splitlines() if line.startswith("wrote ")
    }
    assert "site/p/budget-hearing-dates/index.html" in written
    assert "site/index.html" in written and "site/insights/index.html" in written
    assert "site/feed.xml" in written and "email/budget-hearing-dates.eml" in written
    assert "site/p/the-permit-bottleneck/index.html" not in written, "an unrelated post is left alone"
    assert "email/the-permit-bottleneck.html" not in written
    after = mtimes(sample.out)
    assert {name for name in after if after[name] != before.get(name)} == written
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))


def test_a_body_edit_and_a_new_post_equal_a_clean_build(sample: Publication, tmp_path: Path) -> None:
    analysis = sample.root / "posts/analyses/the-permit-bottleneck.md"
    analysis.write_text(analysis.read_text() + "\nA new closing line with a [link](../insights/fresh.md).\n")
    sample.post("insights/fresh.md", title="Fresh", date="2026-04-10", tags="[permits]")
    assert sample.build().exit_code == 0
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))
    html = (sample.out / "site/p/the-permit-bottleneck/index.html").read_text()
    assert 'href="/p/fresh/"' in html


def test_a_deleted_post_disappears_from_every_output(sample: Publication, tmp_path: Path) -> None:
    (sample.root / "posts/insights/budget-hearing-dates.md").unlink()
    result = sample.build()
    assert result.exit_code == 0
    for name, data in outputs(sample.out).items():
        assert b"budget-hearing-dates" not in data, name
    assert not (sample.out / "email/budget-hearing-dates.eml").exists()
    assert not (sample.out / "site/p/budget-hearing-dates").exists()
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))


def test_template_and_config_changes_invalidate_what_they_affect(sample: Publication, tmp_path: Path) -> None:
    sample.write(
        "templates/_card.html", (REPO / "templates/_card.html").read_text().replace("min read", "minutes")
    )
    result = sample.build("--verbose")
    assert result.exit_code == 0
    assert "site/index.html" in result.stdout
    assert "/build/email/" not in "".join(x for x in result.stdout.splitlines() if x.startswith("wrote "))
    assert "minutes" in (sample.out / "site/index.html").read_text()
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))

    config = sample.root / "publication.toml"
    config.write_text(
        config.read_text().replace('title = "The Civic Ledger"', 'title = "The Civic Register"')
    )
    assert sample.build().exit_code == 0
    assert "The Civic Register" in (sample.out / "email/the-permit-bottleneck.html").read_text()
    assert "The Civic Register" in (sample.out / "site/p/the-permit-bottleneck/index.html").read_text()
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))

    css = sample.root / "templates/email/email.css"
    css.parent.mkdir(parents=True, exist_ok=True)
    css.write_text(
        (REPO / "templates/email/email.css").read_text().replace("#", "#", 1) + "\n.x { color: red; }\n"
    )
    result = sample.build("--verbose")
    assert "email/the-permit-bottleneck.html" in result.stdout or "wrote" not in result.stdout
    assert_same(outputs(sample.out), clean_build(sample, tmp_path))


def test_an_output_file_changed_by_hand_is_rendered_again(sample: Publication) -> None:
    page = sample.out / "site/p/the-permit-bottleneck/index.html"
    original = page.read_bytes()
    page.write_bytes(b"vandalised")
    assert sample.build().exit_code == 0
    assert page.read_bytes() == original


def test_clean_ignores_the_cache(sample: Publication) -> None:
    result = sample.build("--clean")
    assert result.exit_code == 0
    assert "cached" not in result.stdout


def many_posts(publication: Publication, count: int) -> None:
    for n in range(count):
        section = ("analyses", "playbooks", "insights")[n % 3]
        link = (
            f"See [the one before](../{('analyses', 'playbooks', 'insights')[(n - 1) % 3]}/post-{n - 1}.md)."
        )
        body = f"## Part {n}\n\nParagraph {n} with **bold** text.\n\n- [ ] a task\n\n{link if n else ''}\n"
        publication.post(
            f"{section}/post-{n}.md",
            title=f"Post {n}",
            date=f"2025-01-{n % 28 + 1:02d}T{n % 24:02d}:00:00",
            tags=f"[t{n % 5}]",
            body=body,
        )


def test_parallel_and_serial_builds_are_byte_identical(publication: Publication, tmp_path: Path) -> None:
    many_posts(publication, 60)
    serial = run("build", "--root", str(publication.root), "--out", str(tmp_path / "serial"), "--jobs", "1")
    parallel = run(
        "build", "--root", str(publication.root), "--out", str(tmp_path / "parallel"), "--jobs", "2"
    )
    assert serial.exit_code == 0 and parallel.exit_code == 0, serial.output + parallel.output
    assert_same(outputs(tmp_path / "parallel"), outputs(tmp_path / "serial"))
    assert len(outputs(tmp_path / "serial")) > 250


def test_workers_keep_unchanged_bytes_and_a_failed_parallel_build_leaves_no_generation(
    publication: Publication, tmp_path: Path
) -> None:
    """Workers stage the files they render: re-rendered identical bytes keep the old file
    (and its time), and files a worker wrote before another task failed go with the build."""
    many_posts(publication, 40)
    out = tmp_path / "out"
    build = ("build", "--root", str(publication.root), "--out", str(out), "--jobs", "2")
    assert run(*build).exit_code == 0
    generations = sorted((out / ".generations").iterdir())
    before = {p: p.stat().st_mtime_ns for p in (out / "site").resolve().rglob("*") if p.is_file()}
    publication.write("templates/post.html", (REPO / "templates/post.html").read_text() + "{# same page #}\n")
    result = run(*build, "--verbose")
    assert result.exit_code == 0 and "wrote " not in result.stdout, "every page re-rendered, none changed"
    assert sorted((out / ".generations").iterdir()) == generations, "no new generation"
    assert {p: p.stat().st_mtime_ns for p in before} == before
    publication.write(
        "templates/post.html",
        '{% extends "base.html" %}{% block content %}'
        "{% if entry.slug == 'post-29' %}{{ entry.nosuch.thing }}{% endif %}{{ entry.title }}"
        "{% endblock %}\n",
    )
    tree = outputs(out)
    result = run(*build)
    assert result.exit_code == 1
    assert result.stderr.startswith("templates/post.html:1: template: UndefinedError: ")
    assert sorted((out / ".generations").iterdir()) == generations, "the unfinished generation is gone"
    assert outputs(out) == tree


def test_quiet_prints_only_the_summary(sample: Publication) -> None:
    result = sample.build("--quiet")
    assert result.exit_code == 0
    assert result.stdout.count("\n") == 1 and result.stdout.startswith("Built 5 posts")
    assert result.stderr == ""


def test_a_parallel_build_finishes_under_an_inherited_sigterm_handler(
    publication: Publication, tmp_path: Path
) -> None:
    """Workers are forked: a Python SIGTERM handler of the parent (`serve` and `send` install
    one) must not keep them alive when the pool stops them with SIGTERM."""
    import subprocess
    import sys

    many_posts(publication, 30)
    script = (
        "import signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *_: None)\n"
        "from publisher.cli import main\n"
        "root, out = sys.argv[1:]\n"
        "sys.argv = ['publisher', 'build', '--quiet', '--jobs', '2', '--root', root, '--out', out]\n"
        "main()\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(publication.root), str(tmp_path / "out")],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("Built 30 posts")
