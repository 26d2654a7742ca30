"""`publisher init`: a new publication that builds and passes `check --strict` straight away."""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path

import pexpect
import pytest
import yaml
from conftest import REPO, run
from hypothesis import given, settings
from hypothesis import strategies as st

from publisher.commands.init import Settings, render_config, toml_string
from publisher.content.config import load_publication

FLAGS = [
    "--title",
    "Harbor Notes",
    "--base-url",
    "https://notes.example/letters",
    "--author",
    "Ana Lima",
    "--timezone",
    "Europe/Lisbon",
    "--from-address",
    "Harbor Notes <hello@notes.example>",
]
CREATED = [
    "  publication.toml",
    "  .gitignore",
    "  requirements.txt",
    "  .github/workflows/publish.yml",
    "  posts/insights/welcome.md",
]


def builds_and_passes_strict_check(root: Path) -> None:
    built = run("build", "--root", str(root), "--quiet")
    assert built.exit_code == 0, built.output
    assert built.stderr == ""
    checked = run("check", "--root", str(root), "--strict")
    assert checked.exit_code == 0, checked.output
    assert checked.stdout == "Checked 1 posts: no errors, 0 warnings.\n"
    assert (root / "build/site/p/welcome/index.html").is_file()
    assert (root / "build/email/welcome.eml").is_file()


def test_init_with_every_flag_writes_a_publication_that_builds(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    result = run("init", str(root), *FLAGS)
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        f"Created a publication in {root.as_posix()}:",
        *CREATED,
        "Next: set postal_address and description in publication.toml, then run "
        f"`publisher build --root {root.as_posix()}` or `cd {root.as_posix()} && publisher serve`.",
    ]
    publication = load_publication(root)
    assert publication.title == "Harbor Notes"
    assert publication.base_url == "https://notes.example/letters"
    assert publication.author == "Ana Lima"
    assert publication.timezone == "Europe/Lisbon"
    assert publication.email.from_address == "Harbor Notes <hello@notes.example>"
    assert [s.folder for s in publication.sections] == ["analyses", "playbooks", "insights"]
    assert [a.name for a in publication.authors] == ["Ana Lima"]
    for folder in ("analyses", "playbooks", "insights"):
        assert (root / "posts" / folder).is_dir()
    assert not (root / "templates").exists()  # the defaults apply
    config = (root / "publication.toml").read_text()
    assert "[support]" in config and "[subscribe]" in config and "[email]" in config and "[feeds]" in config
    assert config.count("\n# ") >= 5  # commented
    builds_and_passes_strict_check(root)
    page = (root / "build/site/p/welcome/index.html").read_text()
    assert "https://notes.example/letters/p/welcome/" in page


def test_gitignore_covers_the_build_and_the_subscriber_data(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    assert run("init", str(root), *FLAGS).exit_code == 0
    lines = (root / ".gitignore").read_text().splitlines()
    assert "/build/" in lines
    assert "/.publisher/" in lines


def test_workflow_builds_deploys_pages_and_sends_with_yes(tmp_path: Path) -> None:
    root = tmp_path / "notes"
    assert run("init", str(root), *FLAGS).exit_code == 0
    workflow = yaml.safe_load((root / ".github/workflows/publish.yml").read_text())
    assert workflow[True]["push"]["branches"] == ["main"]  # YAML 1.1 reads the key `on` as true
    assert workflow["permissions"] == {"contents": "read", "pages": "write", "id-token": "write"}
    steps = workflow["jobs"]["build"]["steps"]
    runs = [step.get("run", "") for step in steps]
    assert "pip install -r requirements.txt" in runs
    assert "publisher build --strict" in runs
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-pages-artifact"))
    assert upload["with"]["path"] == "build/site"
    send = next(step for step in steps if step.get("name") == "Send new posts")
    assert 'publisher send "$slug" --yes' in send["run"]
    deploy = workflow["jobs"]["deploy"]
    assert deploy["needs"] == "build"
    assert deploy["steps"][0]["uses"].startswith("actions/deploy-pages")
    requirement = (root / "requirements.txt").read_text().splitlines()[-1]
    assert requirement.startswith("publisher")


def test_without_a_terminal_it_says_which_defaults_it_chose(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TZ", "America/Chicago")  # the "system" time zone, as tzlocal reads it
    root = tmp_path / "mine"
    result = run("init", str(root), "--title", "Field Notes")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[:4] == [
        "Using --base-url 'https://example.org' (not given)",
        "Using --author 'Field Notes' (not given)",
        "Using --timezone 'America/Chicago' (not given)",
        "Using --from-address 'Field Notes <newsletter@example.org>' (not given)",
    ]
    assert load_publication(root).timezone == "America/Chicago"
    builds_and_passes_strict_check(root)


def test_refuses_a_folder_that_is_not_empty(tmp_path: Path) -> None:
    root = tmp_path / "busy"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    result = run("init", str(root), *FLAGS)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {root} is not empty; use --force to add a publication to it anyway\n"
    assert sorted(p.name for p in root.iterdir()) == ["notes.txt"]


def test_force_adds_a_publication_and_keeps_the_writers_files(tmp_path: Path) -> None:
    root = tmp_path / "repo"
    root.mkdir()
    (root / "notes.txt").write_text("mine")
    (root / ".gitignore").write_text("*.log\n/build/\n")
    (root / "requirements.txt").write_text("publisher @ git+https://example.org/publisher@main\n")
    result = run("init", str(root), *FLAGS, "--force")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[1:6] == [
        "  publication.toml",
        "  .gitignore (added to: it was already there)",
        "  requirements.txt (kept: it was already there)",
        "  .github/workflows/publish.yml",
        "  posts/insights/welcome.md",
    ]
    assert (root / "requirements.txt").read_text() == "publisher @ git+https://example.org/publisher@main\n"
    assert (root / "notes.txt").read_text() == "mine"
    merged = "*.log\n/build/\n\n# publisher\n/.publisher/\n.venv/\n__pycache__/\n"
    assert (root / ".gitignore").read_text() == merged
    builds_and_passes_strict_check(root)


@pytest.mark.parametrize(
    ("flag", "value", "message"),
    [
        ("--base-url", "notes.example", "must be an absolute http(s) URL, e.g. https://example.org"),
        ("--timezone", "Mars/Olympus", "unknown IANA time zone 'Mars/Olympus'"),
        ("--from-address", "nobody", "'nobody' is not an email address, e.g. Name <news@example.org>"),
        ("--title", "  ", "must not be empty"),
    ],
)
def test_a_bad_flag_is_a_usage_error_and_writes_nothing(
    tmp_path: Path, flag: str, value: str, message: str
) -> None:
    root = tmp_path / "bad"
    result = run("init", str(root), "--title", "T", flag, value)
    assert result.exit_code == 2
    assert result.stderr == (
        "Usage: publisher init [OPTIONS] DIRECTORY\nTry 'publisher init --help' for help.\n\n"
        f"Error: Invalid value for {flag}: {message}\n"
    )
    assert not root.exists()


def test_prompts_on_a_terminal_and_asks_again_after_a_bad_answer(tmp_path: Path) -> None:
    """A real pseudo-terminal: the questions, their defaults, a rejected answer, the result."""
    root = tmp_path / "asked"
    env = {**os.environ, "TZ": "Asia/Tokyo", "NO_COLOR": "1", "PYTHONPATH": str(REPO)}
    env.pop("CI", None)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "publisher", "init", str(root), "--author", "Ana Lima"],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 200),
    )
    try:
        child.expect_exact("Publication title [My Newsletter]: ")
        child.sendline("Harbor Notes")
        child.expect_exact("Base URL (where the site will be published) [https://example.org]: ")
        child.sendline("notes.example")
        child.expect_exact("Error: must be an absolute http(s) URL, e.g. https://example.org")
        child.expect_exact("Base URL (where the site will be published) [https://example.org]: ")
        child.sendline("https://notes.example")
        child.expect_exact("Time zone [Asia/Tokyo]: ")  # --author was given: not asked
        child.sendline("")
        child.expect_exact("Send email from [Harbor Notes <newsletter@notes.example>]: ")
        child.sendline("")
        child.expect_exact(f"Created a publication in {root.as_posix()}:")
        child.expect(pexpect.EOF)
    finally:
        child.close()
    assert child.exitstatus == 0, child.before
    assert "Using --" not in (child.before or "")
    publication = load_publication(root)
    assert (publication.title, publication.base_url, publication.author, publication.timezone) == (
        "Harbor Notes",
        "https://notes.example",
        "Ana Lima",
        "Asia/Tokyo",
    )
    assert publication.email.from_address == "Harbor Notes <newsletter@notes.example>"
    builds_and_passes_strict_check(root)


@settings(max_examples=60, deadline=None)
@given(st.text(min_size=1).filter(lambda s: s.strip()))
def test_any_title_is_written_as_valid_toml_that_reads_back_the_same(title: str) -> None:
    assert tomllib.loads(f"x = {toml_string(title)}")["x"] == title
    base = Settings("T", "https://example.org", "Me", "UTC", "Me <me@example.org>")
    config = tomllib.loads(render_config(Settings(title, *list(base.__dict__.values())[1:])))
    assert config["title"] == title


def test_readme_starts_your_own_publication_after_the_quick_start() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    headings = [line for line in readme.splitlines() if line.startswith("## ")]
    assert headings[headings.index("## Quick start") + 1] == "## Start your own publication"
