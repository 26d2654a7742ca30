"""The `publisher` command: a thin click layer over the library.

Exit codes: 0 success, 1 content errors, 2 usage errors (click's own); `send` adds 3 (not
everyone was sent) and 4 (stopped by an authentication or TLS error).
"""

from __future__ import annotations

import os
import signal
import sys
import threading
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
from publisher.errors import BuildFailed, WarningsFailed
from publisher.incremental import fastpath
from publisher.incremental.outdir import OutputRefused
from publisher.options import BuildOptions, BuildResult, Progress

PROGRESS_MIN = 50  # a bar for fewer posts would flash and vanish

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
    written = "; nothing was written" if what != "Check failed" else ""
    click.echo(f"{what}: {count} error{'s' if count != 1 else ''}{written}.", err=True)
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


def output_options(command: Callable[..., None]) -> Callable[..., None]:
    """Options shared by `build` and `check`."""
    for option in reversed(
        [
            click.option("--strict", is_flag=True, help="Fail on warnings too."),
            click.option("--clean", is_flag=True, help="Ignore what earlier builds cached."),
            click.option(
                "--jobs",
                type=click.IntRange(0),
                default=0,
                help="Worker processes (1: no parallelism).  [default: one per core]",
            ),
            click.option("--quiet", "-q", is_flag=True, help="No progress bar; only the summary line."),
            click.option("--verbose", "-v", is_flag=True, help="List every file written."),
        ]
    ):
        command = option(command)
    return command


@main.command("build")
@build_options
@output_options
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
@build_options
@output_options
def check_command(**flags: Any) -> None:
    """Check every post, link, anchor and image without writing anything."""
    result = run_build(flags["root"] / "build", write=False, **flags)
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
            result = fastpath.build_or_skip(options, full_build, lambda: waiting(out))
        except OutputRefused as exc:
            click.echo(f"Error: {exc}.", err=True)
            sys.exit(2)
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
    for note in result.notes:
        click.echo(note, err=True)
    return result


def waiting(out: Path) -> None:
    click.echo(f"Waiting for another build into {out.as_posix()} to finish…", err=True)


def full_build(options: BuildOptions) -> BuildResult:
    from publisher.build import build_in  # the renderers: imported only when there is work

    return build_in(options)  # build_or_skip has claimed and locked the output folder


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
    from publisher.commands.new import AlreadyExists, UnknownSection, new_post
    from publisher.content.config import load_publication

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
    from publisher.commands.serve import serve

    options = BuildOptions(root=root, out=root / "build", drafts=True, future=future, base_url=base_url)
    try:
        serve(
            options, host, port, lambda line: click.echo(line, err=line.startswith(("posts/", "publication")))
        )
    except BuildFailed as failure:  # no publication to serve
        fail(failure)


@main.command("init")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--title", default=None, help="The publication's name.")
@click.option("--base-url", default=None, help="Where the site will be published, e.g. https://example.org.")
@click.option("--author", default=None, help="The default author of every post.")
@click.option("--timezone", default=None, help="IANA time zone, e.g. Europe/Paris.  [default: the system's]")
@click.option("--from-address", default=None, help="The email's From: 'Name <news@example.org>'.")
@click.option("--force", is_flag=True, help="Write into a folder that is not empty.")
def init_command(directory: Path, force: bool, **given: str | None) -> None:
    """Start a new publication in DIRECTORY: settings, sections, a welcome post, CI."""
    from publisher.commands import init

    settings = init.Settings(**given)
    for name, value in given.items():
        if value is not None and not value.strip():
            raise click.BadParameter("must not be empty", param_hint=f"--{name.replace('_', '-')}")
    try:
        init.check_target(directory, force)  # before asking anything
    except init.NotEmpty as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)

    def ask(prompt: str, default: str, check: Callable[[str], str | None]) -> str:
        def proc(value: str) -> str:
            message = check(value)
            if message is not None:
                raise click.BadParameter(message)
            return value

        return str(click.prompt(prompt, default=default, value_proc=proc))

    interactive = sys.stdin.isatty()
    final = init.complete(settings, ask if interactive else None)
    try:
        written = init.init_publication(directory, final, now_or_usage_error(), force=force)
    except init.InvalidSetting as exc:
        raise click.BadParameter(exc.message, param_hint=exc.flag) from None
    except init.NotEmpty as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    if not interactive:
        for flag, value in init.chosen_defaults(settings, final):
            click.echo(f"Using {flag} {value!r} (not given)")
    click.echo(f"Created a publication in {directory.as_posix()}:")
    for path, what in written:
        click.echo(f"  {path.as_posix()}" + (f" ({what}: it was already there)" if what != "created" else ""))
    click.echo(
        "Next: set postal_address and description in publication.toml, then run "
        f"`publisher build --root {directory.as_posix()}` or `cd {directory.as_posix()} && publisher serve`."
    )


# -- subscribers (publisher/commands/subscribers.py)


@main.group("subscribers")
def subscribers_group() -> None:
    """Add, remove, list, count, import and export subscribers."""


@contextmanager
def subscriber_list(root: Path) -> Iterator[Any]:
    """Open the list in the data folder; print its warnings; exit 1 on a settings error."""
    from publisher.commands.subscribers import open_list

    try:
        subscribers = open_list(root)
    except BuildFailed as failure:
        fail(failure, "Cannot open the subscriber list")
    for warning in subscribers.warnings:
        click.echo(f"warning: {warning}", err=True)
    try:
        yield subscribers
    finally:
        subscribers.close()


def data_error(message: str) -> NoReturn:
    click.echo(f"Error: {message}", err=True)
    sys.exit(1)


@subscribers_group.command("add")
@ROOT_OPTION
@click.argument("email")
@click.option("--name", default=None, help="The subscriber's name.")
@click.option(
    "--section",
    "sections",
    multiple=True,
    help="Only posts of this section (repeat for more).  [default: every section]",
)
def subscribers_add(root: Path, email: str, name: str | None, sections: tuple[str, ...]) -> None:
    """Add EMAIL to the list as an active subscriber."""
    from publisher.commands.subscribers import UnknownSection, check_sections, describe_sections
    from publisher.subscribers.addresses import InvalidAddress
    from publisher.subscribers.store import AlreadySubscribed

    with subscriber_list(root) as subscribers:
        try:
            folders = check_sections(subscribers.publication, sections)
        except UnknownSection as exc:
            raise click.BadParameter(str(exc), param_hint="--section") from None
        try:
            added = subscribers.store.add(email, name=name, sections=folders, source="cli")
        except InvalidAddress as exc:
            data_error(f"{email}: {exc}")
        except AlreadySubscribed as exc:
            data_error(str(exc))
    click.echo(f"Added {added.email} ({added.status}, {describe_sections(added)}).")


@subscribers_group.command("remove")
@ROOT_OPTION
@click.argument("email")
def subscribers_remove(root: Path, email: str) -> None:
    """Delete EMAIL and its delivery records from the list."""
    with subscriber_list(root) as subscribers:
        found = subscribers.store.find(email)
        if found is None:
            data_error(f"{email.strip()} is not on the list.")
        subscribers.store.remove(found.id)
    click.echo(f"Removed {found.email}.")


@subscribers_group.command("list")
@ROOT_OPTION
@click.option("--status", type=click.Choice(["pending", "active", "unsubscribed", "bounced", "complained"]))
@click.option("--section", default=None, help="Only those who get posts of this section.")
def subscribers_list(root: Path, status: str | None, section: str | None) -> None:
    """Print subscribers, one a line: email, status, sections, name (tab-separated)."""
    from publisher.commands.subscribers import UnknownSection, check_sections, list_line

    with subscriber_list(root) as subscribers:
        try:
            folders = check_sections(subscribers.publication, (section,) if section else ())
        except UnknownSection as exc:
            raise click.BadParameter(str(exc), param_hint="--section") from None
        for subscriber in subscribers.store.all(status=status, section=folders[0] if folders else None):
            click.echo(list_line(subscriber))


@subscribers_group.command("count")
@ROOT_OPTION
def subscribers_count(root: Path) -> None:
    """Count subscribers by status, and active ones by section."""
    from publisher.commands.subscribers import count_lines

    with subscriber_list(root) as subscribers:
        for line in count_lines(subscribers):
            click.echo(line)


@subscribers_group.command("import")
@ROOT_OPTION
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--skip-invalid", is_flag=True, help="Import the good rows and report the bad ones.")
def subscribers_import(root: Path, file: Path, skip_invalid: bool) -> None:
    """Import a CSV export from Substack, Ghost, Buttondown, Mailchimp, listmonk or publisher."""
    from publisher.commands.subscribers import import_summary
    from publisher.subscribers.transfer import ImportFailed, import_csv

    shown = file.as_posix()
    with subscriber_list(root) as subscribers:
        try:
            result = import_csv(subscribers.store, file, shown, skip_invalid=skip_invalid)
        except ImportFailed as failure:
            for error in failure.errors:
                click.echo(str(error), err=True)
            count = len(failure.errors)
            hint = " (--skip-invalid imports the other rows)" if failure.errors[0].line > 1 else ""
            click.echo(
                f"Import failed: {count} error{'s' if count != 1 else ''}; nothing was imported{hint}.",
                err=True,
            )
            sys.exit(1)
    for error in result.invalid:
        click.echo(f"skipped: {error}", err=True)
    for line in import_summary(shown, result):
        click.echo(line)


@subscribers_group.command("export")
@ROOT_OPTION
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
def subscribers_export(root: Path, file: Path) -> None:
    """Write every subscriber, every column, to a CSV file that `import` reads back."""
    from publisher.subscribers.transfer import export_csv

    with subscriber_list(root) as subscribers:
        try:
            count = export_csv(subscribers.store, file)
        except OSError as exc:
            data_error(f"cannot write {file.as_posix()}: {exc.strerror or exc}")
    click.echo(f"Exported {count:,} subscriber{'s' if count != 1 else ''} to {file.as_posix()}.")


# -- send (publisher/commands/send.py)


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def on_terminal() -> bool:
    """Whether someone can answer a question (not CI, not a pipe)."""
    return sys.stdin.isatty()


@main.command("send")
@ROOT_OPTION
@click.argument("slug")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="The build output holding email/SLUG.eml.  [default: ROOT/build]",
)
@click.option(
    "--to", "to", multiple=True, help="Send a test, marked [Test], to this address only (repeatable)."
)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation (for CI).")
@click.option("--dry-run", is_flag=True, help="Show what would be sent; send nothing.")
@click.option("--status", is_flag=True, help="Show sent, failed, pending and unknown counts.")
@click.option(
    "--again", is_flag=True, help="Send a new edition to every subscriber, after editing a sent post."
)
@click.option(
    "--resend-unknown", is_flag=True, help="Also send to those whose delivery is unknown after a crash."
)
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
def send_command(root: Path, slug: str, out: Path | None, to: tuple[str, ...], **flags: bool) -> None:
    """Send the built email of the post SLUG to its section's active subscribers, exactly once."""
    from publisher.commands import send as sending
    from publisher.delivery.run import RunSettings

    try:
        prepared = sending.prepare(root, out or root / "build", slug, test=bool(to), now=now_or_usage_error())
    except BuildFailed as failure:
        fail(failure, "Cannot send")
    except sending.SendError as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(exc.code)
    try:
        for warning in prepared.warnings:
            click.echo(f"warning: {warning}", err=True)
        if to:
            for line in sending.test_send(prepared, to):
                click.echo(line)
            return
        if flags["status"]:
            for line in sending.status_lines(prepared):
                click.echo(line)
            return
        chosen = sending.plan(prepared, flags["again"], flags["resend_unknown"])
        if chosen.note:
            click.echo(chosen.note + ".")
            return
        if flags["dry_run"]:
            for line in sending.dry_run_lines(prepared, chosen):
                click.echo(line)
            return
        if not flags["yes"]:
            if not on_terminal():
                raise click.UsageError("not on a terminal: pass --yes to send without confirmation")
            if not click.confirm(sending.confirmation(prepared, chosen), default=False, err=True):
                click.echo("Nothing was sent.", err=True)
                sys.exit(1)
        # CI cancelling a job sends SIGTERM: stop like Ctrl-C, after the messages in flight
        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _interrupt)
        sending.check_server(prepared)
        delivery = prepared.subscribers.publication.delivery
        settings = RunSettings(
            delivery.rate,
            delivery.connections,
            delivery.messages_per_connection,
            delivery.retries,
            delivery.retry_delay,
        )
        with progress_bar(enabled=not flags["quiet"]) as progress:
            start = (lambda total: progress("Sending", total)) if progress else None
            outcome = sending.send(prepared, settings, flags["again"], flags["resend_unknown"], start)
        if outcome.run.stopped:
            click.echo(f"Stopped: {outcome.run.stopped}", err=True)
        line, code = sending.summary(prepared, outcome)
        click.echo(line)
        if code:
            sys.exit(code)
    except sending.SendError as exc:
        click.echo(str(exc) if str(exc).startswith("Stopped") else f"Error: {exc}", err=True)
        sys.exit(exc.code)
    finally:
        prepared.close()


@main.group("subscriptions")
def subscriptions_group() -> None:
    """The subscription service: sign-up, confirmation, unsubscribe and preferences pages."""


@subscriptions_group.command("serve")
@ROOT_OPTION
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on.")
@click.option(
    "--port", default=8025, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one)."
)
def subscriptions_serve_command(root: Path, host: str, port: int) -> None:
    """Run the subscription service (needs PUBLISHER_SECRET and an SMTP server for confirmations)."""
    from publisher.commands.subscriptions import CannotServe, serve

    try:
        serve(root, host, port, lambda line: click.echo(line, err=True))
    except BuildFailed as failure:
        for error in failure.errors:
            click.echo(str(error), err=True)
        click.echo("Error: cannot start the subscription service; fix the errors above first.", err=True)
        sys.exit(1)
    except CannotServe as exc:
        click.echo(f"Error: {exc}", err=True)
        sys.exit(1)
    except OSError as exc:
        click.echo(f"Error: cannot listen on {host}:{port}: {exc.strerror or exc}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()


@main.group("import")
def import_group() -> None:
    """Bring an archive from Substack, Ghost or WordPress into posts/."""


def import_options(command: Callable[..., None]) -> Callable[..., None]:
    """Options shared by the three importers."""
    for option in reversed(
        [
            ROOT_OPTION,
            click.option("--section", default=None, help="Section folder for posts no --map rule places."),
            click.option(
                "--map",
                "rules",
                multiple=True,
                help="tag:NAME=FOLDER, category:NAME=FOLDER, type:NAME=FOLDER.",
            ),
            click.option(
                "--copy-images",
                type=click.Path(file_okay=False, path_type=Path),
                default=None,
                help="A folder of the export's downloaded images to copy next to the posts.",
            ),
            click.option(
                "--site-url",
                default=None,
                help="The old site's address: for /path links and images, links between posts "
                "and Ghost's __GHOST_URL__.",
            ),
            click.option("--force", is_flag=True, help="Overwrite posts an earlier import wrote."),
            click.option("--dry-run", is_flag=True, help="Print the plan; write nothing."),
        ]
    ):
        command = option(command)
    return command


EXPORT_ARGUMENT = click.argument("export", type=click.Path(exists=True, path_type=Path))


@import_group.command("substack")
@import_options
@click.option(
    "--include",
    multiple=True,
    type=click.Choice(["podcast", "thread", "page"]),
    help="Also import these types.",
)
@EXPORT_ARGUMENT
def import_substack(export: Path, include: tuple[str, ...], **flags: Any) -> None:
    """Import a Substack export: its .zip, or the folder it unpacks to."""
    run_import_command("substack", export, set(include), **flags)


@import_group.command("ghost")
@import_options
@click.option("--include", multiple=True, type=click.Choice(["page"]), help="Also import pages.")
@EXPORT_ARGUMENT
def import_ghost(export: Path, include: tuple[str, ...], **flags: Any) -> None:
    """Import a Ghost JSON export."""
    run_import_command("ghost", export, set(include), **flags)


@import_group.command("wordpress")
@import_options
@click.option("--include", multiple=True, type=click.Choice(["page"]), help="Also import pages.")
@EXPORT_ARGUMENT
def import_wordpress(export: Path, include: tuple[str, ...], **flags: Any) -> None:
    """Import a WordPress export (WXR .xml)."""
    run_import_command("wordpress", export, set(include), **flags)


def run_import_command(platform: str, export: Path, include: set[str], **flags: Any) -> None:
    from publisher.commands.import_archive import read_export, run_import
    from publisher.content.config import load_publication
    from publisher.importers.model import ExportUnreadable
    from publisher.importers.plan import BadOption, Rule, Settings, check_settings

    root: Path = flags["root"]
    try:
        publication = load_publication(root)
    except BuildFailed as failure:
        fail(failure, "Cannot import")
    try:
        rules = [Rule.parse(rule) for rule in flags["rules"]]
    except BadOption as exc:
        raise click.BadParameter(str(exc), param_hint="--map") from None
    settings = Settings(
        root=root,
        publication=publication,
        now=now_or_usage_error(),
        section=flags["section"],
        rules=rules,
        copy_images=flags["copy_images"],
        force=flags["force"],
    )
    try:
        check_settings(settings)
        exported = read_export(platform, export, include, flags["site_url"])
        report = run_import(exported, settings, flags["dry_run"])
    except ExportUnreadable as exc:
        click.echo(f"Error: {export}: {exc}", err=True)
        sys.exit(1)
    except BadOption as exc:
        raise click.UsageError(str(exc)) from None
    except OSError as exc:
        where = f": {exc.filename}" if exc.filename else ""
        click.echo(f"Error: {exc.strerror or exc}{where}", err=True)
        sys.exit(1)
    for line in report.lines:
        click.echo(line, err=line.startswith(("warning:", "error:")))
    if report.problems:
        sys.exit(1)
