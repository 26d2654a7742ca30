"""Builds you can trust: the cases that used to break, each with exit code, message and output state.

Every case runs the command line in-process on a small publication, after a
first good build, and checks the exit code, the exact stderr and what the
output folder holds afterwards (the previous output, or one equal to a clean
build of the same input).
"""

from __future__ import annotations

import os
import pickle
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from conftest import REPO, Publication, output_files, run

PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d4948445200000001000000010806000000"
    "1f15c4890000000d49444154789c63f8cfc0f01f0005000201a5f3d4a40000000049454e44ae426082"
)


class Tagged(Publication):
    """Posts with a tag, so the build has no warnings to print."""

    def post(
        self,
        relative: str,
        title: str = "A post",
        date: str = "2026-01-05",
        body: str = "Hello.",
        **extra: str,
    ) -> Path:
        return super().post(relative, title, date, body, **{"tags": "[civic]", **extra})


def small(root: Path) -> Publication:
    """Two posts sharing one image (one as its cover, one in the body), plus a third post."""
    publication = Tagged(root)
    (root / "posts/analyses").mkdir(parents=True, exist_ok=True)
    (root / "posts/analyses/chart.png").write_bytes(PNG)
    publication.post("analyses/one.md", title="One", body="![A chart](chart.png)\n\nFirst text.")
    publication.post(
        "analyses/two.md", title="Two", date="2026-01-06", cover="chart.png", cover_alt="A chart", body="Two."
    )
    publication.post("insights/three.md", title="Three", date="2026-01-07", body="Third text.")
    return publication


def clean(publication: Publication, scratch: Path) -> dict[str, bytes]:
    out = scratch / "clean-build"
    shutil.rmtree(out, ignore_errors=True)
    result = run("build", "--root", str(publication.root), "--out", str(out), "--clean", "--quiet")
    assert result.exit_code == 0, result.output
    return output_files(out)


def stderr_lines(text: str, publication: Publication) -> str:
    return text.replace(str(publication.root), "PUB")


@dataclass
class Case:
    """Change something after a good build, build again, and say what must come out."""

    change: Callable[[Publication, Path], Publication]
    exit_code: int
    stderr: str
    output: str  # "previous": untouched; "clean": equal to a clean build of the new input
    args: tuple[str, ...] = ()


def edit(publication: Publication, _: Path) -> Publication:
    publication.post("insights/three.md", title="Three", date="2026-01-07", body="Third text, edited.")
    return publication


def move(publication: Publication, scratch: Path) -> Publication:
    target = scratch / "moved"
    shutil.move(publication.root, target)
    return edit(Tagged(target), scratch)


def copy_then_edit_original(publication: Publication, scratch: Path) -> Publication:
    target = scratch / "copy"
    shutil.copytree(publication.root, target, symlinks=True)
    copied = Tagged(target)
    copied.post("insights/three.md", title="Three", date="2026-01-07", body="Text of the copy.")
    publication.post("insights/three.md", title="Three", date="2026-01-07", body="Text of the original.")
    return copied


def swap_image_for_symlink(publication: Publication, scratch: Path) -> Publication:
    secret = scratch / "secret.png"
    secret.write_bytes(b"root:x:0:0:secret")
    image = publication.root / "posts/analyses/chart.png"
    image.unlink()
    image.symlink_to(secret)
    return publication


def symlinked_post(publication: Publication, scratch: Path) -> Publication:
    outside = scratch / "outside.md"
    outside.write_text("---\ntitle: Outside\ndate: 2026-01-01\n---\n\nNot ours.\n")
    (publication.root / "posts/insights/outside.md").symlink_to(outside)
    return publication


def symlinked_static(publication: Publication, scratch: Path) -> Publication:
    secret = scratch / "secret.txt"
    secret.write_text("secret")
    static = publication.root / "templates/static"
    static.mkdir(parents=True)
    (static / "leak.txt").symlink_to(secret)
    return publication


def same_size_and_mtime(publication: Publication, _: Path) -> Publication:
    post = publication.root / "posts/insights/three.md"
    stat = post.stat()
    post.write_text(post.read_text().replace("Third text.", "Other text."))
    os.utime(post, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    assert post.stat().st_size == stat.st_size
    return publication


def evil_pickles(publication: Publication, scratch: Path) -> Publication:
    cache = publication.out / ".cache"
    for name in ("state.json", "fast.json", "state.pickle", "fast.pickle"):
        (cache / name).write_bytes(pickle.dumps(_Boom(scratch / "pwned")))
    return edit(publication, scratch)


def random_bytes(publication: Publication, scratch: Path) -> Publication:
    cache = publication.out / ".cache"
    for file in [cache / "state.json", cache / "fast.json", *(cache / "html").iterdir()]:
        file.write_bytes(os.urandom(300))
    return publication


def edited_cached_html(publication: Publication, scratch: Path) -> Publication:
    for file in (publication.out / ".cache/html").iterdir():
        file.write_text(file.read_text().replace("First text.", "Injected <script>alert(1)</script>"))
    (publication.out / ".cache/fast.json").unlink()
    publication.post("insights/four.md", title="Four", date="2026-01-08", body="Fourth.")
    return publication


def foreign_cache(publication: Publication, scratch: Path) -> Publication:
    other = small(scratch / "other")
    other.post("analyses/one.md", title="One", body="![A chart](chart.png)\n\nForeign text.")
    other.post("insights/three.md", title="Three", date="2026-01-07", body="Foreign third.")
    assert other.build("--quiet").exit_code == 0
    shutil.rmtree(publication.out / ".cache")
    shutil.copytree(other.out / ".cache", publication.out / ".cache")
    return publication


def cache_cannot_be_saved(publication: Publication, scratch: Path) -> Publication:
    html = publication.out / ".cache/html"
    shutil.rmtree(html)
    html.write_text("in the way")
    return edit(publication, scratch)


class _Boom:
    """Unpickling this would create a file: proof that code ran."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def __reduce__(self) -> tuple[object, ...]:
        return (Path.write_text, (self.path, "pwned"))


IMAGE_ERROR = (
    "posts/analyses/one.md:7: image: 'chart.png' does not exist next to the post\n"
    "posts/analyses/two.md:5: cover: 'chart.png' does not exist next to the post\n"
    "Build failed: 2 errors; nothing was written.\n"
)
IGNORED = "note: ignored the build cache in PUB/build/.cache (unreadable or not written by this build)\n"

CASES = {
    "a shared image builds again": (lambda p, s: p, 0, "", "clean"),
    "a shared image builds again with --clean": (lambda p, s: p, 0, "", "clean", ("--clean",)),
    "a moved publication": (move, 0, "", "clean"),
    "a copied publication reads its own files": (copy_then_edit_original, 0, "", "clean"),
    "an image swapped for a symlink out of posts/": (swap_image_for_symlink, 1, IMAGE_ERROR, "previous"),
    "a post that is a symlink out of posts/": (
        symlinked_post,
        1,
        "posts/insights/outside.md:1: (file): is a symbolic link to a file outside posts/; only files "
        "inside posts/ are published\nBuild failed: 1 error; nothing was written.\n",
        "previous",
    ),
    "a static file that is a symlink out of templates/static/": (
        symlinked_static,
        1,
        "templates/static/leak.txt:1: (file): is a symbolic link to a file outside posts/ and "
        "templates/static/; refusing to publish it\nBuild failed: 1 error; nothing was written.\n",
        "previous",
    ),
    "an edit that keeps size and mtime": (same_size_and_mtime, 0, "", "clean"),
    "a cache of pickles that run code": (evil_pickles, 0, IGNORED, "clean"),
    "a cache of random bytes": (random_bytes, 0, IGNORED, "clean"),
    "edited cached HTML": (edited_cached_html, 0, "", "clean"),
    "a cache from another publication": (foreign_cache, 0, "", "clean"),
    "a cache that cannot be saved after the output is in place": (
        cache_cannot_be_saved,
        0,
        "warning: the build cache could not be saved (File exists: PUB/build/.cache/html); "
        "the new output is in place; the next build may render more than it needs to\n",
        "clean",
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_a_rebuild_after(name: str, tmp_path: Path) -> None:
    case = Case(*CASES[name])  # type: ignore[arg-type]
    publication = small(tmp_path / "pub")
    first = publication.build("--quiet")
    assert first.exit_code == 0, first.output
    previous = output_files(publication.out)
    assert "site/media/analyses/chart.png" in previous

    publication = case.change(publication, tmp_path)
    result = publication.build("--quiet", *case.args)

    assert (result.exit_code, stderr_lines(result.stderr, publication)) == (case.exit_code, case.stderr)
    after = output_files(publication.out)
    if case.output == "previous":
        assert after == previous
    else:
        assert after == clean(publication, tmp_path)
    assert not (tmp_path / "pwned").exists(), "the cache ran code"
    published = b"".join(after.values())
    assert b"secret" not in published and b"Injected" not in published and b"Foreign" not in published
    assert b"Text of the original" not in published
    check = run("check", "--root", str(publication.root), "--quiet")
    assert check.exit_code == case.exit_code


def test_a_ci_restored_build_folder_in_a_new_path_builds_incrementally(tmp_path: Path) -> None:
    """CI restores the publication and its build/ into another path; one edited post is all it renders."""
    original = Tagged(tmp_path / "checkout-1")
    shutil.copytree(REPO / "posts", original.root / "posts", dirs_exist_ok=True)
    assert original.build("--quiet").exit_code == 0
    restored = Tagged(tmp_path / "runner/checkout-2")
    shutil.copytree(original.root, restored.root, symlinks=True, dirs_exist_ok=True)
    post = restored.root / "posts/insights/budget-hearing-dates.md"
    post.write_text(post.read_text() + "\nA sentence Revised in CI.\n")  # the body only: no list shows it

    result = restored.build("--verbose")

    assert result.exit_code == 0, result.output
    assert "(1 rebuilt, 4 cached)" in result.stdout
    written = {
        line.split("/build/", 1)[1] for line in result.stdout.splitlines() if line.startswith("wrote ")
    }
    assert "site/p/budget-hearing-dates/index.html" in written and "site/feed.xml" in written
    assert "site/p/the-permit-bottleneck/index.html" not in written and "site/index.html" not in written
    assert output_files(restored.out) == clean(restored, tmp_path)
    assert b"Revised " in output_files(restored.out)["site/p/budget-hearing-dates/index.html"]


def test_a_ci_restored_cache_alone_is_taken_over(tmp_path: Path) -> None:
    """CI that caches only build/.cache restores it into a fresh checkout with no output yet."""
    original = small(tmp_path / "checkout-1")
    assert original.build("--quiet").exit_code == 0
    restored = small(tmp_path / "checkout-2")
    shutil.copytree(original.out / ".cache", restored.out / ".cache")
    edit(restored, tmp_path)

    result = restored.build("--quiet")

    assert (result.exit_code, result.stderr) == (0, "")
    assert output_files(restored.out) == clean(restored, tmp_path)


def test_a_cache_written_with_another_key_is_ignored(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    publication = small(tmp_path / "pub")
    monkeypatch.setenv("PUBLISHER_CACHE_KEY", "the CI secret")
    assert publication.build("--quiet").exit_code == 0
    edit(publication, tmp_path)
    assert (publication.build("--quiet").exit_code, publication.build("--quiet").stderr) == (0, "")

    monkeypatch.setenv("PUBLISHER_CACHE_KEY", "someone else's key")
    edit(publication, tmp_path)
    publication.post("insights/three.md", title="Three", date="2026-01-07", body="Third, again.")
    result = publication.build("--quiet")
    assert (result.exit_code, stderr_lines(result.stderr, publication)) == (0, IGNORED)
    assert output_files(publication.out) == clean(publication, tmp_path)


def test_check_never_runs_code_from_the_cache(tmp_path: Path) -> None:
    publication = small(tmp_path / "pub")
    assert publication.build("--quiet").exit_code == 0
    evil_pickles(publication, tmp_path)
    result = run("check", "--root", str(publication.root), "--quiet")
    assert result.exit_code == 0 and result.stdout == "Checked 3 posts: no errors, 0 warnings.\n"
    assert not (tmp_path / "pwned").exists()
