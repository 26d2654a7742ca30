"""The `publisher` command: a thin click layer over `publisher.build`.

Exit codes: 0 success, 1 content errors, 2 usage errors (click's own).
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from publisher import __version__
from publisher.build import BuildOptions, build
from publisher.errors import BuildFailed


@click.group(name="publisher")
@click.version_option(__version__, prog_name="publisher")
def main() -> None:
    """Turn Markdown posts into a web archive, feeds and newsletter email."""


@main.command("build")
@click.option(
    "--root",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("."),
    show_default=True,
    help="The publication folder (holds publication.toml and posts/).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Output folder.  [default: ROOT/build]",
)
@click.option("--drafts", is_flag=True, help="Include posts with draft: true.")
@click.option("--base-url", default=None, help="Override base_url from publication.toml.")
def build_command(root: Path, out: Path | None, drafts: bool, base_url: str | None) -> None:
    """Build the web archive into OUT/site/."""
    options = BuildOptions(root=root, out=out or root / "build", drafts=drafts, base_url=base_url)
    try:
        result = build(options)
    except BuildFailed as failure:
        for error in failure.errors:
            click.echo(str(error), err=True)
        count = len(failure.errors)
        click.echo(f"Build failed: {count} error{'s' if count != 1 else ''}; nothing was written.", err=True)
        sys.exit(1)
    click.echo(result.summary())


if __name__ == "__main__":
    main()
