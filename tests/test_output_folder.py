"""The output folder: owned (refused when it is not ours), locked, and crash-atomic."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from conftest import REPO, Publication, output_files, run

MANY = 20


def listing(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")) if folder.is_dir() else []


def tagged(root: Path) -> Publication:
    publication = Publication(root)
    publication.post("analyses/one.md", title="One", tags="[civic]", body="First.")
    publication.post("insights/two.md", title="Two", date="2026-01-06", tags="[civic]", body="Second.")
    return publication


REFUSED = {
    "the root of the file system": (lambda pub, tmp: Path("/"), "/: it is the root of the file system"),
    "the home folder": (lambda pub, tmp: tmp / "home", "HOME: it is your home folder"),
    "the publication itself": (lambda pub, tmp: pub, "PUB: it is the publication folder itself"),
    "posts/": (lambda pub, tmp: pub / "posts", "PUB/posts: it is the publication's posts/ folder"),
    "a section of posts/": (
        lambda pub, tmp: pub / "posts/insights",
        "PUB/posts/insights: it is inside the publication's posts/ folder",
    ),
    "templates/": (
        lambda pub, tmp: pub / "templates",
        "PUB/templates: it is the publication's templates/ folder",
    ),
    "a folder holding the publication": (lambda pub, tmp: tmp, "TMP: it contains the publication"),
    "a folder of someone else's files": (
        lambda pub, tmp: tmp / "theirs",
        "TMP/theirs: it holds files publisher did not make (.next, email, notes.txt, …); "
        "choose a new or empty folder",
    ),
}


@pytest.mark.parametrize("name", list(REFUSED))
def test_refused_output_folders(name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    where, reason = REFUSED[name]
    publication = tagged(tmp_path / "pub")
    (publication.root / "templates").mkdir()
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    theirs = tmp_path / "theirs"
    for relative in ("notes.txt", "site/index.html", "email/keep.html", ".next/x"):
        (theirs / relative).parent.mkdir(parents=True, exist_ok=True)
        (theirs / relative).write_text("not publisher's")
    out = where(publication.root, tmp_path)
    before = {folder: listing(folder) for folder in (theirs, publication.root, home)}

    result = run("build", "--root", str(publication.root), "--out", str(out), "--quiet")

    shown = reason.replace("PUB", str(publication.root)).replace("TMP", str(tmp_path))
    shown = shown.replace("HOME", str(home))
    assert (result.exit_code, result.stderr) == (2, f"Error: refusing to write into {shown}.\n")
    assert result.stdout == ""
    assert {folder: listing(folder) for folder in before} == before, "nothing created or deleted"


def test_the_build_leaves_what_it_did_not_make(tmp_path: Path) -> None:
    publication = tagged(tmp_path / "pub")
    assert publication.build("--quiet").exit_code == 0
    (publication.out / "README.txt").write_text("my notes")
    publication.post("insights/two.md", title="Two", date="2026-01-06", tags="[civic]", body="Edited.")
    assert publication.build("--quiet").exit_code == 0
    assert publication.build("--quiet", "--clean").exit_code == 0
    assert (publication.out / "README.txt").read_text() == "my notes"
    assert (publication.out / "site").is_symlink() and (publication.out / "email").is_symlink()
    assert b"Edited." in output_files(publication.out)["site/p/two/index.html"]


def test_an_empty_existing_folder_is_claimed(tmp_path: Path) -> None:
    publication = tagged(tmp_path / "pub")
    out = tmp_path / "empty"
    out.mkdir()
    assert run("build", "--root", str(publication.root), "--out", str(out), "--quiet").exit_code == 0
    assert "site/index.html" in output_files(out)


KILLER = textwrap.dedent(
    """
    import os, shutil, signal, sys
    after = int(os.environ["KILL_AFTER"])
    calls = 0

    def counted(function):
        def step(*args, **kwargs):
            global calls
            result = function(*args, **kwargs)
            calls += 1
            if calls == after:
                os.kill(os.getpid(), signal.SIGKILL)
            return result
        return step

    for name in ("replace", "rename", "symlink"):
        setattr(os, name, counted(getattr(os, name)))
    shutil.rmtree = counted(shutil.rmtree)
    from publisher.cli import main
    try:
        main(sys.argv[1:])
    finally:
        print(f"steps={calls}", file=sys.stderr)
    """
)


def faulted_build(root: Path, after: int) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "KILL_AFTER": str(after), "PYTHONPATH": str(REPO)}
    return subprocess.run(
        [sys.executable, "-c", KILLER, "build", "--root", str(root), "--jobs", "1", "--quiet"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
    )


def test_a_kill_after_any_step_leaves_old_or_new_and_the_next_build_recovers(tmp_path: Path) -> None:
    base = tagged(tmp_path / "base")
    assert base.build("--quiet").exit_code == 0
    old = output_files(base.out)
    base.out.rename(tmp_path / "old-build")
    base.post("analyses/one.md", title="One, revised", tags="[civic]", body="First, revised.")
    base.post("insights/three.md", title="Three", date="2026-01-07", tags="[civic]", body="Third.")
    new = run("build", "--root", str(base.root), "--quiet").exit_code == 0 and output_files(base.out)
    assert new and new != old
    shutil.rmtree(base.out)

    def fresh(name: str) -> Publication:
        root = tmp_path / name
        shutil.copytree(base.root, root, symlinks=True)
        shutil.copytree(tmp_path / "old-build", root / "build", symlinks=True)
        return Publication(root)

    probe = faulted_build(fresh("probe").root, after=10**6)
    assert probe.returncode == 0, probe.stderr
    steps = int(probe.stderr.rsplit("steps=", 1)[1])
    assert steps >= 3

    for after in range(1, steps + 1):
        publication = fresh(f"kill-{after}")
        killed = faulted_build(publication.root, after)
        assert killed.returncode == -9, (after, killed.stderr)
        state = output_files(publication.out)
        assert state in (old, new), f"killed after step {after}: a mix of old and new output"
        broken = publication.root / "posts/insights/broken.md"
        broken.write_text("---\ntitle: Broken\n---\n")
        failed = publication.build("--quiet")
        assert failed.exit_code == 1 and failed.stderr.endswith("nothing was written.\n")
        assert output_files(publication.out) == state, f"killed after step {after}: a failed build changed it"
        broken.unlink()
        result = publication.build("--quiet")
        assert result.exit_code == 0, (after, result.output)
        assert output_files(publication.out) == new, f"killed after step {after}: the next build differs"
        generations = os.listdir(publication.out / ".generations")
        assert len(generations) == 1, f"killed after step {after}: {generations} left behind"


def test_two_builds_at_once_wait_for_each_other(tmp_path: Path) -> None:
    publication = tagged(tmp_path / "pub")
    for round in range(2):
        publication.post(
            "insights/two.md", title="Two", date="2026-01-06", tags="[civic]", body=f"Round {round}."
        )
        command = [sys.executable, "-m", "publisher", "build", "--root", str(publication.root), "--jobs", "1"]
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        builds = [
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        ]
        builds.append(
            subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
        )
        outcomes = [(build.wait(timeout=120), *build.communicate()) for build in builds]
        for code, stdout, stderr in outcomes:
            assert code == 0, stderr
            assert stdout.startswith("Built 2 posts"), stdout
            assert stderr in ("", f"Waiting for another build into {publication.out.as_posix()} to finish…\n")
        files = output_files(publication.out)
        clean = tmp_path / f"clean-{round}"
        assert run("build", "--root", str(publication.root), "--out", str(clean), "--quiet").exit_code == 0
        assert files == output_files(clean), "a partial or mixed tree"
        assert f"Round {round}.".encode() in files["site/p/two/index.html"]


def test_an_old_generation_goes_whole_and_its_links_are_removed_not_followed(
    publication: Publication, tmp_path: Path
) -> None:
    """What `remove_tree` removes: files, nested folders, linked files and folders (as links)."""
    tagged(publication.root)
    assert publication.build().exit_code == 0
    outside = tmp_path / "outside"
    (outside / "deep").mkdir(parents=True)
    (outside / "deep/keep.txt").write_text("not the build's")
    old = publication.out / ".generations" / "000000"  # as an older build would have left it
    (old / "site/p/a/b").mkdir(parents=True)
    (old / "site/p/a/b/index.html").write_text("old")
    (old / "site/p/a/c.png").write_bytes(b"old")
    (old / "email").mkdir()
    (old / "email/linked-folder").symlink_to(outside)
    (old / "email/linked-file").symlink_to(outside / "deep/keep.txt")
    (old / "site/p/a/hard").hardlink_to(outside / "deep/keep.txt")
    assert publication.build("--clean").exit_code == 0
    assert sorted(os.listdir(publication.out / ".generations")) == [
        os.readlink(publication.out / ".current")[-6:]
    ]
    assert (outside / "deep/keep.txt").read_text() == "not the build's"
    assert listing(outside) == ["deep", "deep/keep.txt"]
