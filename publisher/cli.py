"""The `publisher` command: a thin click layer over the library.

Exit codes: 0 success, 1 content errors, 2 usage errors (click's own).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

import click

from publisher import __version__
from publisher.build import BuildOptions, build
from publisher.clock import BadEpoch, build_now
from publisher.config import load_publication
from publisher.errors import BuildFailed
from publisher.scaffold import AlreadyExists, UnknownSection, new_post

ROOT_OPTION = click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The publication folder (holds publication.toml and posts/).",
)


def fail(failure: BuildFailed, what: str = "Build failed") -> NoReturn:
    """Print every content error, then exit 1."""
    for error in failure.errors:
        click.echo(str(error), err=True)
    count = len(failure.errors)
    click.echo(f"{what}: {count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
    sys.exit(1)


def now_or_usage_error() -> Any:
    try:
        return build_now()
    except BadEpoch as exc:
        raise click.UsageError(str(exc)) from None


@click.group(name="publisher")
@click.version_option(__version__, prog_name="publisher")
def main() -> None:
    """Turn Markdown posts into a web archive, feeds and newsletter email."""


def build_options(command: Callable[..., None]) -> Callable[..., None]:
    """Options shared by `build` and `serve`."""
    for option in reversed(
        [
            ROOT_OPTION,
            click.option("--drafts", is_flag=True, help="Include posts with draft: true."),
            click.option("--future", is_flag=True, help="Include posts dated in the future."),
            click.option("--base-url", default=None, help="Override base_url from publication.toml."),
        ]
    ):
        command = option(command)
    return command


@main.command("build")
@build_options
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder.  [default: ROOT/build]",
)
def build_command(root: Path, drafts: bool, future: bool, base_url: str | None, out: Path | None) -> None:
    """Build the web archive into OUT/site/ and the email edition into OUT/email/."""
    options = BuildOptions(
        root=root,
        out=out or root / "build",
        drafts=drafts,
        future=future,
        base_url=base_url,
        now=now_or_usage_error(),
    )
    try:
        result = build(options)
    except BuildFailed as failure:
        fail(failure)
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(result.summary())
    if result.emails:
        emails = result.email_dir.as_posix()
        click.echo(f"Emails: {emails}/ (open {emails}/<slug>.html in a browser to preview)")


@main.command("new")
@ROOT_OPTION
@click.argument("section")
@click.argument("title")
def new_command(root: Path, section: str, title: str) -> None:
    """Start a draft post in SECTION with TITLE."""
    try:
        publication = load_publication(root)
    except BuildFailed as failure:
        fail(failure, "Cannot create a post")
    try:
        path = new_post(root, publication, section, title, now_or_usage_error())
    except UnknownSection as exc:
        raise click.BadParameter(str(exc).removeprefix("unknown section "), param_hint="SECTION") from None
    except AlreadyExists as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    click.echo(f"Created {path.relative_to(root).as_posix()} (draft: true; build with --drafts to see it)")


@main.command("serve")
@build_options
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one)."
)
def serve_command(root: Path, drafts: bool, future: bool, base_url: str | None, host: str, port: int) -> None:
    """Preview with drafts, rebuilding and reloading the browser on every change."""
    from publisher.server import serve

    options = BuildOptions(root=root, out=root / "build", drafts=True, future=future, base_url=base_url)
    serve(options, host, port, lambda line: click.echo(line, err=line.startswith(("posts/", "publication"))))


if __name__ == "__main__":
    main()
