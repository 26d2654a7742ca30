"""`publisher serve`: live preview that rebuilds, reloads, survives errors and
never serves a file outside the output folder."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from conftest import Publication, run

from publisher.commands.serve import resolve_request


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def get(port: int, path: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    connection.request("GET", path)  # sent as is: no client-side normalising of ../
    response = connection.getresponse()
    return response.status, response.read().decode("utf-8", "replace")


def wait_for(check: Callable[[], bool], seconds: float = 15.0) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.1)
    raise AssertionError("timed out")


@pytest.fixture
def server(publication: Publication) -> Iterator[tuple[Publication, int, subprocess.Popen[str]]]:
    publication.post("insights/hello.md", title="Hello", body="First version of the text.")
    publication.post("analyses/wip.md", title="Unfinished", draft="true")
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", "--root", str(publication.root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        wait_for(lambda: get(port, "/")[0] == 200)
        yield publication, port, process
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serves_pages_with_drafts_and_the_reload_script(
    server: tuple[Publication, int, subprocess.Popen[str]],
) -> None:
    _, port, _ = server
    status, home = get(port, "/")
    assert status == 200 and "/_publisher/version" in home
    status, page = get(port, "/p/hello/")
    assert status == 200 and "First version of the text." in page
    assert get(port, "/p/wip/")[0] == 200, "serve includes drafts"
    assert get(port, "/static/style.css")[0] == 200
    status, email = get(port, "/_email/hello/")
    assert status == 200 and "First version of the text." in email and 'role="presentation"' in email
    assert get(port, "/_email/nope/")[0] == 404


def test_an_edit_is_served_within_seconds(server: tuple[Publication, int, subprocess.Popen[str]]) -> None:
    publication, port, _ = server
    version = get(port, "/_publisher/version")[1]
    publication.post("insights/hello.md", title="Hello", body="Second version, edited.")
    wait_for(lambda: "Second version, edited." in get(port, "/p/hello/")[1], seconds=30)
    # the page is on disk a moment before the rebuild ends and bumps the version the tab polls
    wait_for(lambda: get(port, "/_publisher/version")[1] != version, seconds=10)


def test_a_broken_post_shows_the_error_and_the_server_stays_up(
    server: tuple[Publication, int, subprocess.Popen[str]],
) -> None:
    publication, port, process = server
    publication.write("posts/insights/hello.md", "---\ntitle: Hello\ndate: someday\n---\nBody.\n")
    wait_for(lambda: get(port, "/p/hello/")[0] == 500, seconds=30)
    status, page = get(port, "/")
    assert status == 500
    assert "posts/insights/hello.md:3: date: &#x27;someday&#x27; must be a date" in page
    assert "/_publisher/version" in page, "the error page reloads itself once fixed"
    assert process.poll() is None
    publication.post("insights/hello.md", title="Hello", body="Fixed again.")
    wait_for(lambda: "Fixed again." in get(port, "/p/hello/")[1], seconds=30)


@pytest.mark.parametrize(
    "path",
    [
        "/../publication.toml",
        "/%2e%2e/publication.toml",
        "/p/%2E%2E/%2e%2e/%2e%2e/publication.toml",
        "/..%2fx",
    ],
)
def test_path_traversal_is_refused(server: tuple[Publication, int, subprocess.Popen[str]], path: str) -> None:
    _, port, _ = server
    status, body = get(port, path)
    assert status in (403, 404)
    assert "[subscribe]" not in body


def test_symlinks_out_of_the_folder_are_not_followed(tmp_path: Path) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (tmp_path / "secret.txt").write_text("secret")
    (site / "leak.txt").symlink_to(tmp_path / "secret.txt")
    (site / "ok.txt").write_text("ok")
    assert resolve_request(site, "/leak.txt") is None
    assert resolve_request(site, "/ok.txt") == (site / "ok.txt").resolve()


def test_the_reload_script_never_reaches_build_output(publication: Publication) -> None:
    publication.post("insights/hello.md", title="Hello")
    assert run("build", "--root", str(publication.root)).exit_code == 0
    for file in publication.out.rglob("*"):
        if file.is_file():
            assert b"_publisher/version" not in file.read_bytes(), file


def test_an_over_long_path_is_a_404_not_a_traceback(
    server: tuple[Publication, int, subprocess.Popen[str]],
) -> None:
    _, port, process = server
    assert get(port, "/" + "a" * 300 + "/")[0] == 404
    assert get(port, "/p/" + "%C3%A9" * 200)[0] == 404
    assert get(port, "/p/hello/")[0] == 200
    process.terminate()
    output = process.communicate(timeout=10)[0]
    assert "Traceback" not in output


def test_pages_that_exist_are_never_404_during_rebuilds(
    server: tuple[Publication, int, subprocess.Popen[str]],
) -> None:
    publication, port, _ = server
    statuses = set()
    for round in range(4):
        publication.post("insights/hello.md", title="Hello", body=f"Version {round}.")
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            status, page = get(port, "/p/hello/")
            statuses.add(status)
            statuses.add(get(port, "/static/style.css")[0])
            if f"Version {round}." in page:
                break
    assert statuses == {200}


def test_sigterm_removes_the_temporary_folder(publication: Publication, tmp_path: Path) -> None:
    publication.post("insights/hello.md", title="Hello")
    scratch = tmp_path / "tmp"
    scratch.mkdir()
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "serve", "--root", str(publication.root), "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "TMPDIR": str(scratch)},
    )
    try:
        wait_for(lambda: get(port, "/")[0] == 200)
        assert [p.name[:16] for p in scratch.iterdir()] == ["publisher-serve-"]
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert list(scratch.iterdir()) == []


def test_serving_a_missing_publication_exits_1(tmp_path: Path) -> None:
    result = run("serve", "--root", str(tmp_path / "nothing"), "--port", "0")
    assert result.exit_code == 1
    assert result.stderr == (
        f"publication.toml:1: (file): not found in {tmp_path / 'nothing'}\n"
        "Build failed: 1 error; nothing was written.\n"
    )


def test_any_failure_during_a_rebuild_is_shown_and_the_next_change_rebuilds(
    publication: Publication, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from publisher.commands import serve as serving
    from publisher.options import BuildOptions

    publication.post("insights/hello.md", title="Hello")
    lines: list[str] = []
    live = serving.LiveBuild(BuildOptions(root=publication.root, out=tmp_path / "out"), lines.append)
    real_build = serving.build

    def failing(options: BuildOptions) -> object:
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(serving, "build", failing)
    live.rebuild()
    assert live.errors == ["the build stopped: RuntimeError: disk on fire"]
    assert lines == [
        "Build failed: the build stopped: RuntimeError: disk on fire; serving it until the next change."
    ]
    monkeypatch.setattr(serving, "build", real_build)
    live.rebuild()
    assert live.errors == [] and lines[-1].startswith("Built 1 posts")
