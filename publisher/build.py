"""The build, as a script of named stages: load, resolve, render, write.

Each stage collects errors instead of stopping at the first; the build stops
before writing anything if any stage found one. What an earlier build already
made is reused: parsed posts and rendered bodies come from the cache under
the output folder, and an output file whose key is unchanged is kept as it
is (its modification time too). Posts are converted and emails rendered on
every core.
"""

from __future__ import annotations

import contextlib
import os
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

from jinja2 import TemplateError

from publisher.clock import build_now
from publisher.content.checks import broken_anchors, editorial_warnings, held_back_findings, raw_html_findings
from publisher.content.config import CONFIG_NAME, load_publication
from publisher.content.markup import Body, BodyRenderer
from publisher.content.posts import POSTS_DIR, Post, load_posts, posts_folder_findings
from publisher.content.redirects import read_redirects
from publisher.content.resolve import BodyContext, Entry, Site, render_body, resolve
from publisher.errors import BuildFailed, ContentError, WarningsFailed, processing, run_processing
from publisher.incremental import fastpath
from publisher.incremental.cache import BuildCache, FileDigests
from publisher.incremental.fingerprint import code_digest, digest, entry_page_digest, files_digest
from publisher.incremental.output import Staged, Staging
from publisher.options import BuildOptions, BuildResult, Progress
from publisher.parallel import available_cores, run_in_order
from publisher.paths import STATIC_DIR
from publisher.render.email.parts import GMAIL_CLIP_BYTES
from publisher.render.redirects import redirect_jobs
from publisher.render.site import Job, make_environment, output_path, site_jobs, template_dirs
from publisher.render.template_errors import guarded, template_error, template_file_errors
from publisher.search.documents import search_key

if TYPE_CHECKING:
    from publisher.render.email.renderer import EmailRenderer
    from publisher.search.indexer import PagefindRun

EMAIL_TEMPLATES = "email/"


def build(options: BuildOptions) -> BuildResult:
    """Build the publication at `options.root` into `options.out`, claiming and locking it first."""
    return fastpath.build_or_skip(options, build_in)


def build_in(options: BuildOptions) -> BuildResult:
    """Build into an output folder the caller has claimed and locked (see `build`)."""
    started = time.perf_counter()
    now = options.now or build_now()
    inputs = fastpath.inputs_digest(options.root, options.out, fastpath.options_key(options))
    jobs = options.jobs or available_cores()

    # 1. load: files -> validated posts
    publication = load_publication(options.root, options.base_url)
    cache = BuildCache() if options.clean else BuildCache.load(options.out, options.root, publication)
    cache.code = code_digest()
    files = FileDigests(options.root, cache.files)
    posts, errors = load_posts(options.root, publication, cache.posts)
    redirects = read_redirects(options.root)
    errors.extend(redirects.errors() + redirects.unknown_posts({post.slug for post in posts}))

    # 2. resolve: links, sections, related posts, rendered bodies
    bodies = _BodyCache(cache, options.out, jobs, options.progress)
    site, resolve_errors = resolve(
        options.root,
        publication,
        posts,
        include_drafts=options.drafts,
        include_future=options.future,
        now=now,
        render_bodies=bodies.render,
    )
    errors.extend(resolve_errors)
    anchors = broken_anchors(site)
    invalid_html, dropped_html, fatal_html = raw_html_findings(site)
    errors.extend(fatal_html)
    if not options.write:  # `check` rejects what `build` only warns about, in drafts too
        errors.extend(anchors + invalid_html)
    warnings = editorial_warnings(site) + dropped_html + (anchors + invalid_html if options.write else [])
    warnings += posts_folder_findings(options.root, posts, errors)
    if not options.write:
        held = partial(resolve, options.root, publication, posts, True, True, now, bodies.render)
        held_errors, held_warnings = held_back_findings(held, posts, now)
        errors.extend(held_errors)
        warnings.extend(held_warnings)
    if errors:
        raise BuildFailed(errors)

    # 3. render web pages, feeds and emails, keeping what is unchanged
    template_errors = template_file_errors(options.root, template_dirs(options.root), STATIC_DIR)
    if template_errors:
        raise BuildFailed(template_errors)
    env = make_environment(options.root)
    config = (options.root / CONFIG_NAME).read_bytes()
    settings = digest(code_digest(), config, publication.model_dump_json())
    web = digest(settings, files_digest(template_dirs(options.root), exclude=EMAIL_TEMPLATES))
    mail = digest(settings, files_digest(template_dirs(options.root), include=EMAIL_TEMPLATES))
    staging = Staging(options.out, ["site", "email"], cache.outputs.files) if options.write else None
    notes = [cache.note] if cache.note else []
    search: _SearchStage | None = None
    try:
        writer = _Writer(staging, cache, options.out, options.root)
        if publication.search.enabled and options.write:  # Pagefind checks nothing of the author's
            search = _SearchStage(site, search_key(site, settings), writer)  # indexes while we render
        page_jobs = site_jobs(site, env, web)
        moved, clashes = redirect_jobs(site, redirects.entries, {job.name for job in page_jobs}, web)
        if clashes:
            raise BuildFailed(clashes)
        pages = writer.jobs("site/", page_jobs + moved, jobs, options.progress)
        moved_names = {job.name for job in moved}  # redirect pages are not pages of the site
        feed_key = _feed_key(site, web, files, now)
        feeds = writer.many("site/", feed_key, lambda: _render_feeds(site, cache, now))
        emails = _EmailStage(site, env, mail, writer, jobs, options.progress, files)
        emails.run()
        if search is not None:
            search.collect()
        warnings.extend(emails.warnings)
        if options.strict and warnings:
            raise WarningsFailed(warnings)

        # 4. write: everything at once, or nothing
        if staging is not None:
            fastpath.forget(options.out)  # the record describes the output about to be replaced
            staging.commit()
    except TemplateError as exc:
        if staging is not None:
            staging.abort()
        raise BuildFailed([template_error(exc, options.root)]) from None
    except BaseException:
        if staging is not None:
            staging.abort()
        raise
    finally:
        if search is not None:
            search.cancel()

    rebuilt = {*bodies.rebuilt, *writer.rebuilt_pages(site), *emails.rebuilt}
    warnings.sort()
    result = BuildResult(
        posts=len(site.entries) if options.write else len(posts),  # check covers drafts and scheduled too
        pages=sum(1 for name in pages if name.endswith(".html") and name not in moved_names),
        files=len(writer.outputs),
        seconds=time.perf_counter() - started,
        out=options.out,
        feeds=sum(1 for name in feeds if name.endswith((".xml", ".json"))),
        emails=len(site.entries),
        warnings=warnings,
        rebuilt=len(rebuilt & {e.slug for e in site.entries}),
        written=staging.written if staging is not None else [],
        notes=notes,
    )
    if staging is not None:
        # The new output is in place: a failure from here on costs the next build time, nothing else.
        try:
            parsed = {post.digest: post for post in posts}
            if (
                staging.started
                or cache.note
                or parsed.keys() != cache.posts.keys()
                or bodies.kept.keys() != cache.bodies.keys()
                or files.used != cache.files
            ):
                cache.outputs.files = writer.outputs
                cache.posts = parsed
                cache.bodies = bodies.kept
                cache.files = files.used
                cache.save(options.out, options.root)
            fastpath.save(options.out, _record(inputs, options, now, posts, site, writer, result))
        except OSError as exc:
            where = f": {exc.filename}" if exc.filename else ""
            result.notes.append(
                f"warning: the build cache could not be saved ({exc.strerror or exc}{where}); "
                "the new output is in place; the next build may render more than it needs to"
            )
    return result


def _record(
    inputs: str,
    options: BuildOptions,
    now: datetime,
    posts: list[Post],
    site: Site,
    writer: _Writer,
    result: BuildResult,
) -> fastpath.Record:
    """What the next build compares with to know it has nothing to do."""
    due_from = due_until = None
    if not options.future:
        due_from = max((e.date.timestamp() for e in site.entries), default=None)
        scheduled = [
            p.meta.date.timestamp()
            for p in posts
            if p.meta.date > now and (options.drafts or not p.meta.draft)
        ]
        due_until = min(scheduled, default=None)
    counts = {"posts": result.posts, "pages": result.pages, "feeds": result.feeds, "emails": result.emails}
    return fastpath.Record(inputs, due_from, due_until, dict(writer.outputs), list(result.warnings), counts)


def _feed_key(site: Site, web: str, files: FileDigests, now: datetime) -> str:
    """Feeds show every post's full HTML and its cover's size; with no post at all they are
    dated by the build's "now" (Atom requires a date), so then "now" is part of the key."""
    entries = site.entries
    return digest(
        web,
        "feeds",
        "" if entries else now.isoformat(),
        [(entry_page_digest(e), [(files.relative(p), files(p)) for p in sorted(e.assets)]) for e in entries],
    )


class _BodyCache:
    """Converts post bodies, reusing those whose inputs have not changed."""

    def __init__(self, cache: BuildCache, out: Path, jobs: int, progress: Progress | None) -> None:
        self.cache = cache
        self.out = out
        self.jobs = jobs
        self.progress = progress
        self.kept: dict[str, Body] = {}
        self.rebuilt: set[str] = set()

    def render(self, entries: list[Entry], context: BodyContext) -> list[Body]:
        results: list[Body | None] = []
        missing: list[int] = []
        for index, entry in enumerate(entries):
            key = self._key(entry, context)
            cached = self.cache.bodies.get(key)
            if cached is not None and self._still_valid(cached, context) and self._has_html(cached):
                results.append(cached)
            else:
                results.append(None)
                missing.append(index)
        renderer = BodyRenderer()
        tasks = [partial(render_body, entries[i], context, renderer) for i in missing]
        advance = self.progress("Converting posts", len(tasks)) if self.progress and tasks else None
        for index, body in zip(missing, run_in_order(tasks, self.jobs), strict=True):
            results[index] = body
            self.rebuilt.add(entries[index].slug)
            if advance:
                advance(1)
        bodies = [body for body in results if body is not None]
        for entry, body in zip(entries, bodies, strict=True):
            self.kept[self._key(entry, context)] = body
        return bodies

    def _has_html(self, cached: Body) -> bool:
        """Read a cached body's HTML from disk; only a file that passes its digest is used."""
        if cached.html_text is None:
            cached.html_text = BuildCache.read_html(self.out, cached)
        return cached.html_text is not None

    @staticmethod
    def _key(entry: Entry, context: BodyContext) -> str:
        """The post's bytes and where media go; paths are relative, so a moved publication keeps it."""
        return digest(entry.post.digest, context.media_url)

    @staticmethod
    def _still_valid(cached: Body, context: BodyContext) -> bool:
        """Links still point where they did; each image is still a usable file inside posts/."""
        urls = context.urls_by_name
        return all(urls.get(target) == url for target, url in cached.links.items()) and all(
            _usable_image(target, context.posts_root) == existed
            for target, existed in cached.checked_images.items()
        )


def _usable_image(target: str, posts_root: Path) -> bool:
    """As `asset_url` decides it: a file whose real path is inside posts/ (no symlink out)."""
    return os.path.isfile(target) and Path(target).resolve().is_relative_to(posts_root)


class _Writer:
    """Stages outputs, rendering only those whose key changed since the last build."""

    def __init__(self, staging: Staging | None, cache: BuildCache, out: Path, root: Path) -> None:
        self.staging = staging
        self.root = root
        self.previous = cache.outputs
        self.out = out
        self.outputs: dict[str, tuple[str, int, int]] = {}
        self.rendered: set[str] = set()
        # where copied files may really come from: posts/ and each templates/static/
        self.allowed = [(root / POSTS_DIR).resolve()]
        self.allowed += [(folder / STATIC_DIR).resolve() for folder in template_dirs(root)]

    def unchanged(self, name: str, key: str) -> bool:
        return self.staging is not None and self.previous.unchanged(self.out, name, key)

    def keep(self, name: str, key: str) -> None:
        """Keep a file `unchanged` just vouched for; its size and time are as recorded."""
        assert self.staging is not None
        self.staging.keep(name)
        self.outputs[name] = self.previous.files[name]

    def put(self, name: str, key: str, data: bytes) -> None:
        if self.staging is not None:
            self.note(key, self.staging.write(name, data))
        self.rendered.add(name)

    def note(self, key: str, staged: Staged) -> None:
        """Record a file a worker staged (`stage_rendered`)."""
        assert self.staging is not None
        self.staging.record(staged)
        self.outputs[staged.name] = (key, staged.size, staged.mtime_ns)

    def jobs(self, prefix: str, jobs: list[Job], workers: int, progress: Progress | None) -> list[str]:
        """Keep or render each job; the ones to render go to worker processes."""
        todo = []
        seen: set[str] = set()
        unique = []
        for job in jobs:
            if job.name not in seen:  # two posts may show the same image: copy it once
                seen.add(job.name)
                unique.append(job)
        jobs = unique
        outside = [self._outside(job) for job in jobs if job.source is not None]
        if any(outside):
            raise BuildFailed([problem for problem in outside if problem is not None])
        for job in jobs:
            if self.unchanged(prefix + job.name, job.key):
                self.keep(prefix + job.name, job.key)
            else:
                todo.append(job)
        advance = progress("Rendering pages", len(todo)) if progress and len(todo) > 1 else None
        tasks = [
            partial(
                run_processing,
                prefix + job.name,
                partial(_stage_rendered, self.staging, [prefix + job.name], guarded(job.render, self.root)),
            )
            for job in todo
        ]
        problems = []
        for job, done in zip(todo, run_in_order(tasks, workers), strict=True):
            if isinstance(done, ContentError):
                problems.append(done)
            else:
                for staged in done[0]:
                    self.note(job.key, staged)
                self.rendered.add(prefix + job.name)
            if advance:
                advance(1)
        if problems:
            raise BuildFailed(problems)
        return [job.name for job in jobs]

    def _outside(self, job: Job) -> ContentError | None:
        """A copied file must really be inside posts/ or a templates/static/ folder, every build."""
        assert job.source is not None
        real = job.source.resolve()
        if any(real.is_relative_to(folder) for folder in self.allowed) and real.is_file():
            return None
        try:
            shown = job.source.relative_to(self.root).as_posix()
        except ValueError:
            shown = str(job.source)
        message = "is a symbolic link to a file outside posts/ and templates/static/; refusing to publish it"
        return ContentError(shown, 1, "(file)", message)

    def kept_together(self, key: str) -> list[str]:
        """The files last made in one go under `key`, if all are still there as made; else []."""
        previous = sorted(name for name, known in self.previous.files.items() if known[0] == key)
        return previous if previous and all(self.unchanged(name, key) for name in previous) else []

    def many(self, prefix: str, key: str, render: Callable[[], dict[str, bytes]]) -> list[str]:
        """Several files made in one go (the feeds), kept or rendered together."""
        previous = self.kept_together(key)
        if previous:
            for name in previous:
                self.keep(name, key)
            return [name.removeprefix(prefix) for name in previous]
        files = render()
        for name, data in sorted(files.items()):
            self.put(prefix + name, key, data)
        return sorted(files)

    def rebuilt_pages(self, site: Site) -> Iterator[str]:
        for entry in site.entries:
            if "site/" + output_path(site, entry.url) in self.rendered:
                yield entry.slug


class _EmailStage:
    """Each post's email HTML, text and MIME message; unchanged ones kept."""

    SUFFIXES = (".html", ".txt", ".eml")

    def __init__(
        self,
        site: Site,
        env: object,
        mail: str,
        writer: _Writer,
        jobs: int,
        progress: Progress | None,
        files: FileDigests,
    ) -> None:
        self.files = files
        self.site = site
        self.env = env
        self.mail = mail
        self.writer = writer
        self.jobs = jobs
        self.progress = progress
        self.warnings: list[ContentError] = []
        self.rebuilt: set[str] = set()

    def key(self, entry: Entry) -> str:
        images = [(self.files.relative(p), self.files(p)) for p in sorted(entry.assets)]
        return digest(self.mail, entry_page_digest(entry), images)

    def run(self) -> None:
        todo: list[tuple[Entry, str]] = []
        sizes: dict[str, int] = {}
        for entry in self.site.entries:
            key = self.key(entry)
            names = [f"email/{entry.slug}{suffix}" for suffix in self.SUFFIXES]
            if all(self.writer.unchanged(name, key) for name in names):
                for name in names:
                    self.writer.keep(name, key)
                sizes[entry.slug] = self.writer.outputs[names[0]][1]
            else:
                todo.append((entry, key))
        if todo:
            from publisher.render.email.renderer import (
                EmailRenderer,  # premailer and friends: 0.2 s to import
            )

            renderer = EmailRenderer(self.site, self.env)  # type: ignore[arg-type]
            staging = self.writer.staging
            tasks = [
                partial(
                    _stage_rendered,
                    staging,
                    [f"email/{entry.slug}{suffix}" for suffix in self.SUFFIXES],
                    guarded(partial(_render_email, renderer, entry), self.writer.root),
                )
                for entry, _ in todo
            ]
            advance = (
                self.progress("Rendering emails", len(tasks)) if self.progress and len(tasks) > 1 else None
            )
            for (entry, key), done in zip(todo, run_in_order(tasks, self.jobs), strict=True):
                if isinstance(done, ContentError):
                    raise BuildFailed([done])
                staged, html_size = done
                for file in staged:
                    self.writer.note(key, file)
                for suffix in self.SUFFIXES:
                    self.writer.rendered.add(f"email/{entry.slug}{suffix}")
                sizes[entry.slug] = html_size
                self.rebuilt.add(entry.slug)
                if advance:
                    advance(1)
        for entry in self.site.entries:
            if sizes[entry.slug] > GMAIL_CLIP_BYTES:
                self.warnings.append(
                    ContentError(
                        entry.post.source,
                        1,
                        "email",
                        f"is {round(sizes[entry.slug] / 1024)} KB, over Gmail's 102 KB clipping limit",
                    )
                )


def _render_feeds(site: Site, cache: BuildCache, now: datetime) -> dict[str, bytes]:
    from publisher.render.feeds import render_feeds  # feedgen and lxml: imported only when feeds change

    used: dict[str, str] = {}
    with processing("site/feed.xml"):
        files = render_feeds(site, cache.feed_html, used, empty_date=now)
    cache.feed_html = used  # keep what these feeds hold, nothing older
    return files


class _SearchStage:
    """The search index. Pagefind is a process of its own, so it is started before the pages
    and emails render and collected after them: it indexes while the build's workers render."""

    def __init__(self, site: Site, key: str, writer: _Writer) -> None:
        self.key = key
        self.writer = writer
        self.run: PagefindRun | None = None
        if not writer.kept_together(key):  # Pagefind runs only when posts changed
            from publisher.search.indexer import start_search

            with _search_failure():
                self.run = start_search(site)

    def collect(self) -> None:
        self.writer.many("site/", self.key, self._bundle)

    def _bundle(self) -> dict[str, bytes]:
        assert self.run is not None, "kept_together said the index was up to date"
        with _search_failure():
            return self.run.result()

    def cancel(self) -> None:
        if self.run is not None:
            self.run.cancel()


@contextlib.contextmanager
def _search_failure() -> Iterator[None]:
    from publisher.search.indexer import IndexFailed

    try:
        yield
    except IndexFailed as error:
        reason = f"{error}; reinstall publisher, which brings Pagefind, or turn search off: enabled = false"
        raise BuildFailed([ContentError(CONFIG_NAME, 1, "search", reason)]) from None


def _stage_rendered(
    staging: Staging | None, names: list[str], render: Callable[[], bytes | tuple[bytes, ...] | ContentError]
) -> tuple[list[Staged], int] | ContentError:
    """Render one task's files and stage them, in the worker that rendered them: the bytes
    never travel back to the parent, only what was staged and the first file's size.
    Without staging (`check`), nothing is written."""
    result = render()
    if isinstance(result, ContentError):
        return result
    files = [result] if isinstance(result, bytes) else list(result)
    if staging is None:
        return [], len(files[0])
    return [staging.write(name, data) for name, data in zip(names, files, strict=True)], len(files[0])


def _render_email(renderer: EmailRenderer, entry: Entry) -> tuple[bytes, bytes, bytes]:
    with processing(entry.post.source):
        email = renderer.render(entry)
    return email.html.encode("utf-8"), email.text.encode("utf-8"), email.message
