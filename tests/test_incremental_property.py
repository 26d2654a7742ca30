"""Property: after any sequence of edits, an incremental build equals a clean build, byte for byte."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from conftest import REPO, Publication, output_files, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

PNG = (REPO / "posts/analyses").glob("*.png")
IMAGE = next(PNG).read_bytes()
OPERATIONS = [
    "add",
    "delete",
    "edit",
    "rename",
    "move_section",
    "image",
    "cover",
    "symlink",
    "template",
    "setting",
    "touch_old",
    "move_publication",
]


def post(root: Path, relative: str, title: str, body: str, **extra: str) -> None:
    lines = ["---", f"title: {title}", "date: 2026-01-05", "tags: [civic]"]
    lines += [f"{key}: {value}" for key, value in extra.items()] + ["---", "", body, ""]
    path = root / "posts" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines), encoding="utf-8")


def apply(root: Path, operation: str, n: int, scratch: Path) -> Path:
    """Change the publication at `root`; return where it is now."""
    posts = sorted((root / "posts").rglob("*.md"))
    pick = posts[n % len(posts)] if posts else None
    image = root / f"posts/analyses/img{n % 2}.png"
    if operation == "add":
        post(root, f"insights/p{n}.md", f"Post {n}", f"Body {n}.")
    elif operation == "delete" and pick is not None:
        pick.unlink()
    elif operation == "edit" and pick is not None:
        pick.write_text(pick.read_text() + f"\nMore text {n}.\n")
    elif operation == "rename" and pick is not None:
        pick.rename(pick.with_name(f"renamed-{n}-{pick.name}"))
    elif operation == "move_section" and pick is not None:
        section = "playbooks" if pick.parent.name != "playbooks" else "insights"
        (root / "posts" / section).mkdir(exist_ok=True)
        pick.rename(root / "posts" / section / pick.name)
    elif operation == "image":
        if not image.is_symlink():
            image.write_bytes(IMAGE)
        post(root, f"analyses/a{n}.md", f"Chart {n}", f"![Chart](img{n % 2}.png)\n\nText {n}.")
    elif operation == "cover":
        if not image.is_symlink():
            image.write_bytes(IMAGE)
        post(root, f"analyses/c{n}.md", f"Cover {n}", "With a cover.", cover=f"img{n % 2}.png", cover_alt="A")
    elif operation == "symlink":
        outside = scratch / "outside.png"
        outside.write_bytes(b"secret")
        if image.exists() or image.is_symlink():
            image.unlink()
        image.symlink_to(outside)
    elif operation == "template":
        card = (REPO / "templates/_card.html").read_text()
        (root / "templates").mkdir(exist_ok=True)
        (root / "templates/_card.html").write_text(card.replace("min read", f"minutes ({n})"))
    elif operation == "setting":
        config = root / "publication.toml"
        config.write_text(
            config.read_text().replace('title = "The Civic Ledger', f'title = "The Civic Ledger {n}', 1)
        )
    elif operation == "touch_old" and pick is not None:
        stat = pick.stat()
        text = pick.read_text()
        pick.write_text(text[:-2] + ("X" if text[-2] != "X" else "Y") + text[-1])
        os.utime(pick, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    elif operation == "move_publication":
        target = root.with_name(f"{root.name}-moved")
        shutil.move(root, target)
        return target
    return root


@settings(max_examples=15, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.sampled_from(OPERATIONS), st.integers(0, 5)), min_size=1, max_size=3),
)
def test_incremental_equals_clean_after_any_edits(steps: list[tuple[str, int]]) -> None:
    with tempfile.TemporaryDirectory() as temporary:
        scratch = Path(temporary)
        publication = Publication(scratch / "pub")
        post(publication.root, "insights/first.md", "First", "Hello.")
        assert run("build", "--root", str(publication.root), "--quiet", "--jobs", "1").exit_code == 0
        root = publication.root
        for operation, n in steps:
            root = apply(root, operation, n, scratch)
            incremental = run("build", "--root", str(root), "--quiet", "--jobs", "1")
            clean_out = scratch / "clean"
            shutil.rmtree(clean_out, ignore_errors=True)
            clean = run(
                "build", "--root", str(root), "--out", str(clean_out), "--clean", "--quiet", "--jobs", "1"
            )
            assert (incremental.exit_code, incremental.stderr) == (clean.exit_code, clean.stderr), operation
            if clean.exit_code == 0:
                assert output_files(root / "build") == output_files(clean_out), operation
