"""The `publisher` command: a thin click layer over the library.

Exit codes: 0 success, 1 content errors, 2 usage errors (click's own).
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, TextColumn
from rich.progress import Progress as RichProgress

from publisher import __version__
from publisher.clock import BadEpoch, build_now
from publisher.errors import BuildFailed, WarningsFailed, printable
from publisher.incremental import fastpath
from publisher.options import BuildOptions, BuildResult, Progress

PROGRESS_MIN = 50  # a bar for fewer posts would flash and vanish

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The publication folder (holds publication.toml and posts/).",
)


class GuardedGroup(click.Group):
    """The last guard: an unexpected exception becomes one line and exit 1.

    Every problem an author can cause has its own message; anything else is
    a bug in publisher, reported as "internal error" with the file it was
    processing. `publisher --debug …` prints the traceback too.
    """

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except Exception as exc:
            if ctx.params.get("debug"):
                traceback.print_exc()
            where = getattr(exc, "publisher_file", None) or "(no file)"
            detail = printable(f"{type(exc).__name__}: {exc}")
            hint = "" if ctx.params.get("debug") else "; run with --debug for details"
            click.echo(f"Error: internal error while processing {printable(where)}: {detail}{hint}", err=True)
            sys.exit(1)


def base_url_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """`--base-url` is checked as the setting is, and blamed on the option, not on publication.toml."""
    from publisher.content.config import check_base_url

    if value is None:
        return None
    try:
        return check_base_url(value)
    except ValueError as exc:
        raise click.BadParameter(printable(str(exc))) from None


def fail(failure: BuildFailed, what: str = "Build failed") -> NoReturn:
    """Print every content error, then exit 1."""
    for error in failure.errors:
        click.echo(str(error), err=True)
    count = len(failure.errors)
    written = "; nothing was written" if what != "Check failed" else ""
    click.echo(f"{what}: {count} error{'s' if count != 1 else ''}{written}.", err=True)
    sys.exit(1)


def now_or_usage_error() -> Any:
    try:
        return build_now()
    except BadEpoch as exc:
        raise click.UsageError(str(exc)) from None


@click.group(name="publisher", cls=GuardedGroup)
@click.version_option(__version__, prog_name="publisher")
@click.option("--debug", is_flag=True, help="Show the traceback of an internal error.")
def main(debug: bool) -> None:
    """Turn Markdown posts into a web archive, feeds and newsletter email."""


DRAFTS_OPTION = click.option("--drafts", is_flag=True, help="Include posts with draft: true.")
FUTURE_OPTION = click.option("--future", is_flag=True, help="Include posts dated in the future.")
BASE_URL_OPTION = click.option(
    "--base-url", default=None, callback=base_url_option, help="Override base_url from publication.toml."
)
VERBOSE_OPTION = click.option("--verbose", "-v", is_flag=True, help="List every file written.")


def check_options(command: Callable[..., None]) -> Callable[..., None]:
    """Options shared by `build` and `check`."""
    for option in reversed(
        [
            ROOT_OPTION,
            BASE_URL_OPTION,
            click.option("--strict", is_flag=True, help="Fail on warnings too."),
            click.option("--clean", is_flag=True, help="Ignore what earlier builds cached."),
            click.option(
                "--jobs",
                type=click.IntRange(0),
                default=0,
                help="Worker processes (1: no parallelism).  [default: one per core]",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the summary line."),
        ]
    ):
        command = option(command)
    return command


@main.command("build")
@check_options
@DRAFTS_OPTION
@FUTURE_OPTION
@VERBOSE_OPTION
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder.  [default: ROOT/build]",
)
def build_command(out: Path | None, **flags: Any) -> None:
    """Build the web archive into OUT/site/ and the email edition into OUT/email/."""
    result = run_build(out or flags["root"] / "build", write=True, **flags)
    if flags["verbose"]:
        for name in result.written:
            click.echo(f"wrote {(result.out / name).as_posix()}")
    click.echo(result.summary())
    if result.emails and not flags["quiet"]:
        emails = result.email_dir.as_posix()
        click.echo(f"Emails: {emails}/ (open {emails}/<slug>.html in a browser to preview)")


@main.command("check")
@check_options
def check_command(**flags: Any) -> None:
    """Check every post, drafts and scheduled ones too, without writing anything."""
    result = run_build(flags["root"] / "build", write=False, drafts=False, future=False, **flags)
    warnings = len(result.warnings)
    click.echo(
        f"Checked {result.posts:,} posts: no errors, {warnings} warning{'s' if warnings != 1 else ''}."
    )


def run_build(out: Path, write: bool, **flags: Any) -> BuildResult:
    """Run a build or a check; print warnings; exit 1 on content errors."""
    quiet = flags["quiet"]
    with progress_bar(enabled=not quiet) as progress:
        options = BuildOptions(
            root=flags["root"],
            out=out,
            drafts=flags["drafts"],
            future=flags["future"],
            base_url=flags["base_url"],
            now=now_or_usage_error(),
            clean=flags["clean"],
            jobs=flags["jobs"],
            strict=flags["strict"],
            write=write,
            progress=progress,
        )
        try:
            result = fastpath.try_skip(options, options.now) or full_build(options)
        except WarningsFailed as failure:
            for warning in failure.errors:
                click.echo(f"warning: {warning}", err=True)
            count = len(failure.errors)
            what = "Build" if write else "Check"
            plural = "s" if count != 1 else ""
            message = f"{what} failed: {count} warning{plural} with --strict; nothing was written."
            click.echo(message, err=True)
            sys.exit(1)
        except BuildFailed as failure:
            fail(failure, "Build failed" if write else "Check failed")
        except OSError as exc:  # a disk or permission problem, not a content one
            where = f": {exc.filename}" if exc.filename else ""
            click.echo(
                f"Error: {exc.strerror or exc}{where}; the previous output was left as it was.", err=True
            )
            sys.exit(1)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    return result


def full_build(options: BuildOptions) -> BuildResult:
    from publisher.build import build  # the renderers: imported only when there is work

    return build(options)


@contextmanager
def progress_bar(enabled: bool) -> Iterator[Progress | None]:
    """A rich progress bar on a terminal; nothing in CI, pipes or with --quiet."""
    console = Console(stderr=True)
    if not enabled or not console.is_terminal or os.environ.get("CI"):
        yield None
        return
    with RichProgress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), console=console, transient=True
    ) as bar:

        def start(stage: str, total: int) -> Callable[[int], None]:
            if total < PROGRESS_MIN:
                return lambda _: None
            task = bar.add_task(stage, total=total)
            return lambda n: bar.advance(task, n)

        yield start


@main.command("new")
@ROOT_OPTION
@click.argument("section")
@click.argument("title")
def new_command(root: Path, section: str, title: str) -> None:
    """Start a draft post in SECTION with TITLE."""
    from publisher.commands.new import AlreadyExists, BadTitle, UnknownSection, new_post
    from publisher.content.config import load_publication

    try:
        publication = load_publication(root)
    except BuildFailed as failure:
        fail(failure, "Cannot create a post")
    try:
        path = new_post(root, publication, section, title, now_or_usage_error())
    except UnknownSection as exc:
        raise click.BadParameter(str(exc).removeprefix("unknown section "), param_hint="SECTION") from None
    except BadTitle as exc:
        raise click.BadParameter(str(exc), param_hint="TITLE") from None
    except AlreadyExists as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Created {path.relative_to(root).as_posix()} (draft: true; build with --drafts to see it)")


@main.command("serve")
@ROOT_OPTION
@FUTURE_OPTION
@BASE_URL_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one)."
)
def serve_command(root: Path, future: bool, base_url: str | None, host: str, port: int) -> None:
    """Preview with drafts, rebuilding and reloading the browser on every change."""
    from publisher.commands.serve import serve

    options = BuildOptions(root=root, out=root / "build", drafts=True, future=future, base_url=base_url)
    serve(options, host, port, lambda line: click.echo(line, err=line.startswith(("posts/", "publication"))))


if __name__ == "__main__":
    main()
