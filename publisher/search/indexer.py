"""Run Pagefind over the posts' search documents and collect the bundle it writes.

The documents go to a scratch folder, the Pagefind binary (from the
`pagefind[bin]` package, found the way its Python API finds it) indexes that
folder in one run and writes the bundle to another scratch folder, and the
bundle is read back: nothing touches the output folder, which the build
stages as usual.

Pagefind's Python `PagefindIndex` is not used: it drives the binary's service
mode, which answers "files written" while its writes are still in flight and
is then killed by the API, so under load a file could be read, or left,
empty (this suite saw an empty `pagefind-entry.json`). Its answers are also
read 0.1 s apart, so one request per post would cost 100 s for 1,000 posts.
The command line finishes every write before it exits.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import tempfile
import time
from pathlib import Path

from publisher.content.resolve import Site
from publisher.incremental.output import safe_relative
from publisher.search.canonical import ENTRY, UnexpectedFormat, canonical_bundle
from publisher.search.documents import BUNDLE, index_documents

# Pagefind's ready-made interfaces: the search page uses its JavaScript API with its own markup.
UI_FILES = re.compile(r"^pagefind-(ui|modular-ui|component-ui|highlight)\.(js|css)$")
TIMEOUT_SECONDS = 600.0


class IndexFailed(Exception):
    """Pagefind could not be started, failed, or wrote something unexpected."""


def start_search(site: Site) -> PagefindRun:
    """Start indexing the posts in the background; `result()` waits for the bundle, by path
    in the site (`search/pagefind/pagefind.js`, ...).

    The build starts this before it renders pages and emails, so Pagefind (a
    separate process) indexes while the build's own workers render.
    """
    return PagefindRun(index_documents(site), site.publication.language, prefix=BUNDLE)


def run_pagefind(
    documents: dict[str, str], language: str, timeout: float = TIMEOUT_SECONDS
) -> dict[str, bytes]:
    """Index `documents` (path -> HTML) and return the bundle (path inside it -> bytes).

    No documents, no bundle: Pagefind refuses an empty folder, and the search page
    of a publication with nothing published loads no script.
    """
    return PagefindRun(documents, language, timeout).result()


class PagefindRun:
    """One Pagefind process indexing `documents`, from start to collected bundle.

    Its documents, bundle and output go to a scratch folder, removed by
    `result` or `cancel` (the build cancels a run it no longer needs, e.g.
    when a template fails after indexing started).
    """

    def __init__(
        self, documents: dict[str, str], language: str, timeout: float = TIMEOUT_SECONDS, prefix: str = ""
    ) -> None:
        self.documents = len(documents)
        self.timeout = timeout
        self.prefix = prefix
        self.started = time.monotonic()
        self.process: subprocess.Popen[bytes] | None = None
        self.scratch: tempfile.TemporaryDirectory[str] | None = None
        if not documents:
            return
        from pagefind.service import get_executable  # PAGEFIND_BINARY_PATH, else the pagefind[bin] package

        binary = get_executable()
        if binary is None or not binary.is_file():
            raise IndexFailed(f"the Pagefind binary is missing{f' ({binary})' if binary else ''}")
        self.scratch = tempfile.TemporaryDirectory(prefix="publisher-search-")
        scratch = Path(self.scratch.name)
        pages, bundle = scratch / "pages", scratch / "bundle"
        pages.mkdir()
        for name, html in documents.items():
            target = pages / safe_relative(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(html, encoding="utf-8")
        command = [str(binary), "--site", str(pages), "--output-path", str(bundle)]
        command += ["--force-language", language, "--quiet"]
        # Pagefind reads settings from PAGEFIND_* variables and pagefind.yml in its folder;
        # neither may change what a build writes.
        env = {key: value for key, value in os.environ.items() if not key.startswith("PAGEFIND_")}
        # Its output goes to a file, not a pipe: nobody reads a pipe while the build renders.
        with (scratch / "output").open("wb") as output:
            try:
                self.process = subprocess.Popen(
                    command, cwd=scratch, env=env, stdin=subprocess.DEVNULL, stdout=output, stderr=output
                )
            except OSError as error:
                self.cancel()
                raise IndexFailed(f"Pagefind could not start: {error}") from None

    def result(self) -> dict[str, bytes]:
        """Wait for Pagefind and return the canonical bundle (path -> bytes), prefixed."""
        if self.process is None or self.scratch is None:
            return {}
        try:
            remaining = self.timeout - (time.monotonic() - self.started)
            try:
                status = self.process.wait(timeout=max(remaining, 0.001))
            except subprocess.TimeoutExpired:
                raise IndexFailed(f"Pagefind did not finish within {self.timeout:g} s") from None
            scratch = Path(self.scratch.name)
            if status != 0:
                said = (scratch / "output").read_text(errors="replace").strip().splitlines()
                raise IndexFailed(f"Pagefind exited with status {status}{': ' + said[-1] if said else ''}")
            bundle = scratch / "bundle"
            files = {
                path.relative_to(bundle).as_posix(): path.read_bytes()
                for path in sorted(bundle.rglob("*"))
                if path.is_file() and not UI_FILES.match(path.name)
            }
        finally:
            self.cancel()
        try:
            canonical = canonical_bundle(files)
        except UnexpectedFormat as error:
            reason = f"Pagefind wrote an index this version of publisher cannot read: {error}"
            raise IndexFailed(reason) from None
        indexed = sum(info["page_count"] for info in json.loads(canonical[ENTRY])["languages"].values())
        if indexed != self.documents:
            raise IndexFailed(f"Pagefind indexed {indexed} of {self.documents} posts")
        return {self.prefix + name: data for name, data in canonical.items()}

    def cancel(self) -> None:
        """Stop Pagefind if it still runs and remove the scratch folder; safe to call twice."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        if self.scratch is not None:
            self.scratch.cleanup()
            self.scratch = None
