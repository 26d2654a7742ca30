"""Shared fixtures: the bundled sample publication, and small throwaway ones."""

from __future__ import annotations

import os
import shutil
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result

from publisher.build import BuildOptions, build
from publisher.cli import main

REPO = Path(__file__).resolve().parent.parent


def pytest_addoption(parser: pytest.Parser) -> None:
    """Options must be added here, in the top-level conftest, to be seen on every run."""
    parser.addoption(
        "--screenshots",
        action="store_true",
        help="browser suite: save screenshots of a post and an email under build/screenshots/",
    )


@pytest.fixture(scope="session")
def sample_out(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundled sample publication, built once per test session."""
    out = tmp_path_factory.mktemp("sample") / "build"
    build(BuildOptions(root=REPO, out=out))
    return out


@pytest.fixture(scope="session")
def sample_site(sample_out: Path) -> Path:
    return sample_out / "site"


def output_files(out: Path) -> dict[str, bytes]:
    """Every file a reader of `out/site/` and `out/email/` sees (through the generation links)."""
    files = {}
    for tree in ("site", "email"):
        folder = out / tree
        if folder.is_dir():
            for directory, _, names in os.walk(folder):
                for name in names:
                    path = Path(directory, name)
                    files[path.relative_to(out).as_posix()] = path.read_bytes()
    return dict(sorted(files.items()))


def run(*args: str) -> Result:
    """Run the CLI in-process, keeping stdout and stderr apart."""
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


class Publication:
    """A small publication in a temp folder, with the sample's config."""

    def __init__(self, root: Path) -> None:
        self.root = root
        root.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / "publication.toml", root / "publication.toml")
        for folder in ("analyses", "playbooks", "insights"):
            (root / "posts" / folder).mkdir(parents=True, exist_ok=True)

    def write(self, relative: str, text: str) -> Path:
        """Write a file under the root; text is dedented."""
        path = self.root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
        return path

    def post(
        self,
        relative: str,
        title: str = "A post",
        date: str = "2026-01-05",
        body: str = "Hello.",
        **extra: str,
    ) -> Path:
        """Write `posts/<relative>` with a valid front matter plus `extra` lines."""
        lines = ["---", f"title: {title}", f"date: {date}"]
        lines += [f"{key}: {value}" for key, value in extra.items()]
        lines += ["---", "", textwrap.dedent(body).strip(), ""]
        path = self.root / "posts" / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines), encoding="utf-8")
        return path

    def build(self, *args: str) -> Result:
        return run("build", "--root", str(self.root), *args)

    @property
    def out(self) -> Path:
        return self.root / "build"


@pytest.fixture
def publication(tmp_path: Path) -> Publication:
    return Publication(tmp_path / "pub")


@pytest.fixture
def make_publication(tmp_path: Path) -> Callable[[str], Publication]:
    return lambda name: Publication(tmp_path / name)
