"""The command line: exit codes, messages and options."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from conftest import REPO, Publication, run


def test_summary_line(publication: Publication) -> None:
    publication.post("analyses/one.md", tags="[a]")
    publication.post("insights/two.md", title="Two", tags="[b]")
    result = publication.build()
    assert result.exit_code == 0
    assert re.fullmatch(r"Built 2 posts: \d+ pages[^\n]* in \d+\.\d s\n(.*\n)*", result.stdout)
    assert result.stderr == ""


def test_python_dash_m_works(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "publisher", "build", "--root", str(REPO), "--out", str(tmp_path / "o")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("Built 5 posts: ")
    assert (tmp_path / "o/site/index.html").is_file()


def test_usage_error_exits_2() -> None:
    result = run("build", "--no-such-option")
    assert result.exit_code == 2
    assert result.stderr == (
        "Usage: publisher build [OPTIONS]\nTry 'publisher build --help' for help.\n\n"
        "Error: No such option '--no-such-option'.\n"
    )


def test_missing_config_is_a_content_error(tmp_path: Path) -> None:
    result = run("build", "--root", str(tmp_path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"publication.toml:1: (file): not found in {tmp_path}\n")


def test_out_and_base_url_options(publication: Publication, tmp_path: Path) -> None:
    publication.post("analyses/one.md")
    out = tmp_path / "elsewhere"
    result = publication.build("--out", str(out), "--base-url", "https://news.example.net/letters/")
    assert result.exit_code == 0, result.output
    page = (out / "site/p/one/index.html").read_text()
    assert '<link rel="canonical" href="https://news.example.net/letters/p/one/">' in page
    assert 'href="/letters/static/style.css"' in page
    assert not publication.out.exists()


def test_bad_base_url_option_is_reported(publication: Publication) -> None:
    result = publication.build("--base-url", "not a url")
    assert result.exit_code == 2  # a usage error, blamed on the option and not on publication.toml
    assert result.stderr.endswith(
        "Error: Invalid value for '--base-url': must be an absolute http(s) URL, e.g. https://example.org\n"
    )
