"""`publisher serve`: build with drafts, serve on localhost, rebuild on change.

The build goes to a temporary folder, so a preview never overwrites the real
`build/`. Served HTML gets a small polling script that reloads the tab when a
rebuild finishes; it is added to responses only, never to files on disk.
When the content has errors, every page shows them until they are fixed.
"""

from __future__ import annotations

import mimetypes
import shutil
import signal
import tempfile
import threading
from collections.abc import Callable
from dataclasses import replace
from html import escape
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit

import watchfiles

from publisher.build import BuildOptions, build
from publisher.content.config import CONFIG_NAME, load_publication
from publisher.content.posts import POSTS_DIR
from publisher.errors import BuildFailed
from publisher.incremental.outdir import current_generation

RELOAD_PATH = "/_publisher/version"
EMAIL_PREFIX = "/_email/"
RELOAD_SCRIPT = (
    "<script>/* publisher serve: live reload */(function(){{var v='{version}';"
    "setInterval(function(){{fetch('{path}',{{cache:'no-store'}}).then(function(r){{return r.text()}})"
    ".then(function(t){{if(t!==v)location.reload()}}).catch(function(){{}})}},700)}})();</script>"
)


class LiveBuild:
    """The latest build and its errors, shared by the watcher and the handlers."""

    def __init__(self, options: BuildOptions, log: Callable[[str], None]) -> None:
        self.options = options
        self.log = log
        self.version = 0
        self.errors: list[str] = []
        self._lock = threading.Lock()

    def token(self) -> str:
        """What the open tab compares to know it must reload: the live generation and the error state.

        A rebuild's output is served from the moment it is committed, so the
        token changes with it, not only when `rebuild` returns.
        """
        return f"{current_generation(self.options.out)}.{self.version}"

    @property
    def site(self) -> Path:
        return self.options.out / "site"

    @property
    def email(self) -> Path:
        return self.options.out / "email"

    def rebuild(self) -> None:
        """Build once; on any failure keep the last good output and show the errors.

        Whatever goes wrong (content errors, a disk problem, a bug), the
        watcher keeps running and the next change rebuilds.
        """
        with self._lock:
            try:
                result = build(self.options)
            except BuildFailed as failure:
                self.errors = [str(error) for error in failure.errors]
                for line in self.errors:
                    self.log(line)
                self.log(f"Build failed: {len(self.errors)} error(s); serving them until they are fixed.")
            except Exception as exc:  # the preview must outlive any failure
                self.errors = [f"the build stopped: {type(exc).__name__}: {exc}"]
                self.log(f"Build failed: {self.errors[0]}; serving it until the next change.")
            else:
                self.errors = []
                self.log(result.summary())
            self.version += 1

    def watch(self, stop: threading.Event) -> None:
        """Rebuild whenever posts, templates or the config change."""
        root = self.options.root
        paths = [p for p in (root / POSTS_DIR, root / "templates", root / CONFIG_NAME) if p.exists()]
        for _changes in watchfiles.watch(*paths, stop_event=stop, debounce=200, step=50, rust_timeout=500):
            self.rebuild()


def resolve_request(folder: Path, url_path: str) -> Path | None:
    """The file under `folder` a URL path names, or None.

    Percent-decoding happens first, so `%2e%2e` is caught like `..`; the
    resolved real path must stay inside the folder, which also stops
    symlinks that point out of it.
    """
    decoded = unquote(url_path)
    if "\x00" in decoded or "\\" in decoded:
        return None
    parts = [part for part in decoded.split("/") if part]
    if any(part in (".", "..") for part in parts):
        return None
    try:
        candidate = folder.joinpath(*parts)
        if candidate.is_dir():
            candidate = candidate / "index.html"
        real_root = folder.resolve()
        real = candidate.resolve()
        if not real.is_relative_to(real_root) or not real.is_file():
            return None
    except (OSError, ValueError):  # a name too long for the file system, and the like
        return None
    return real


def read_snapshot(live: LiveBuild, folder: Callable[[], Path], url_path: str) -> tuple[Path, bytes] | None:
    """Resolve and read a file from one complete build.

    `site` and `email` point into the current generation; a rebuild that
    commits while a file is read removes the old one, so the read is tried
    again against the new generation: a page that exists is never a 404.
    """
    for _attempt in range(3):
        generation = current_generation(live.options.out)
        file = resolve_request(folder(), url_path)
        if file is None:
            if current_generation(live.options.out) != generation:
                continue  # resolved into the generation a commit was just removing
            return None
        try:
            return file, file.read_bytes()
        except OSError:
            continue
    return None


def make_handler(live: LiveBuild) -> type[BaseHTTPRequestHandler]:
    """A request handler bound to one live build."""

    class Handler(BaseHTTPRequestHandler):
        server_version = "publisher-serve"

        def log_message(self, format: str, *args: object) -> None:
            """Keep the terminal for build messages."""

        def do_HEAD(self) -> None:
            self.do_GET(head=True)

        def do_GET(self, head: bool = False) -> None:
            path = urlsplit(self.path).path
            if path == RELOAD_PATH:
                self._send(HTTPStatus.OK, live.token().encode(), "text/plain", head)
                return
            if live.errors:
                self._send(
                    HTTPStatus.INTERNAL_SERVER_ERROR,
                    self._inject(_error_page(live.errors)),
                    "text/html",
                    head,
                )
                return
            if path.startswith(EMAIL_PREFIX):
                slug = path[len(EMAIL_PREFIX) :].strip("/")
                found = read_snapshot(live, lambda: live.email, f"{slug}.html") if slug else None
            else:
                found = read_snapshot(live, lambda: live.site, path)
            if found is None:
                not_found = read_snapshot(live, lambda: live.site, "404.html")
                body = not_found[1] if not_found else b"<!doctype html><title>Not found</title>"
                status = HTTPStatus.FORBIDDEN if ".." in unquote(path) else HTTPStatus.NOT_FOUND
                self._send(status, self._inject(body), "text/html", head)
                return
            file, data = found
            kind = mimetypes.guess_type(file.name)[0] or "application/octet-stream"
            if kind == "text/html":
                data = self._inject(data)
            self._send(HTTPStatus.OK, data, kind, head)

        def _inject(self, html: bytes) -> bytes:
            script = RELOAD_SCRIPT.format(version=live.token(), path=RELOAD_PATH).encode()
            if b"</body>" in html:
                return html.replace(b"</body>", script + b"</body>", 1)
            return html + script

        def _send(self, status: HTTPStatus, data: bytes, kind: str, head: bool) -> None:
            self.send_response(status)
            charset = "; charset=utf-8" if kind.startswith("text/") or kind.endswith(("xml", "json")) else ""
            self.send_header("Content-Type", kind + charset)
            self.send_header("Content-Length", str(len(data)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if not head:
                self.wfile.write(data)

    return Handler


def _error_page(errors: list[str]) -> bytes:
    items = "\n".join(f"<li><code>{escape(error)}</code></li>" for error in errors)
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Build failed</title>'
        '<meta name="viewport" content="width=device-width, initial-scale=1"></head>'
        '<body style="font:16px/1.5 system-ui,sans-serif;max-width:50rem;margin:2rem auto;padding:0 1rem">'
        f"<h1>The build failed</h1><p>Fix these and save; this page reloads by itself.</p><ul>{items}</ul>"
        "</body></html>"
    ).encode()


def serve(options: BuildOptions, host: str, port: int, log: Callable[[str], None]) -> None:
    """Build, serve and watch until interrupted (Ctrl+C or SIGTERM); the temporary folder goes too."""
    load_publication(options.root, options.base_url)  # no publication: BuildFailed, before anything starts
    scratch = Path(tempfile.mkdtemp(prefix="publisher-serve-"))
    live = LiveBuild(replace(options, out=scratch, drafts=True), log)
    main = threading.current_thread() is threading.main_thread()  # signals are the main thread's
    previous = signal.signal(signal.SIGTERM, _interrupt) if main else None
    try:
        server = ThreadingHTTPServer((host, port), make_handler(live))
        server.daemon_threads = True
        actual_port = server.server_address[1]
        if options.base_url is None:
            live.options = replace(live.options, base_url=f"http://{_url_host(host)}:{actual_port}")
        live.rebuild()
        stop = threading.Event()
        watcher = threading.Thread(target=live.watch, args=(stop,), daemon=True)
        watcher.start()
        address = f"http://{_url_host(host)}:{actual_port}"
        log(f"Serving {address}/ (drafts included); emails at {address}{EMAIL_PREFIX}<slug>/")
        log("Watching posts/, templates/ and publication.toml; press Ctrl+C to stop.")
        try:
            server.serve_forever(poll_interval=0.25)
        except KeyboardInterrupt:
            pass
        finally:
            stop.set()
            server.server_close()
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
        shutil.rmtree(scratch, ignore_errors=True)


def _interrupt(signum: int, frame: object) -> None:
    """SIGTERM stops the server the way Ctrl+C does, so the temporary folder is removed."""
    raise KeyboardInterrupt


def _url_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host
