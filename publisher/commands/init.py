"""`publisher init`: start a new publication that builds and passes `check --strict` at once.

It writes a commented `publication.toml`, one folder per default section with
a welcome post, a `.gitignore` for the build output and the subscriber data,
a `requirements.txt` and a GitHub Actions workflow that publishes to GitHub
Pages. Templates are left out: the defaults apply until the writer copies one.
Every value is validated with the same model a build uses before anything is
written, so a bad flag writes nothing.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime
from email.utils import formataddr, parseaddr
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from pydantic import ValidationError

from publisher import __version__
from publisher.commands.new import yaml_text
from publisher.content.config import CONFIG_NAME, DEFAULT_SECTIONS, Publication
from publisher.content.posts import POSTS_DIR

DATA_DIR = ".publisher"  # where the subscriber database lives (never in git, never published)
WELCOME_SECTION = "insights"
WELCOME_SLUG = "welcome"
WORKFLOW = ".github/workflows/publish.yml"


@dataclass(frozen=True)
class Settings:
    """What `init` asks for; `None` means "not given"."""

    title: str | None = None
    base_url: str | None = None
    author: str | None = None
    timezone: str | None = None
    from_address: str | None = None


# The prompts, in the order asked, with the flag each answers.
QUESTIONS = {
    "title": ("Publication title", "--title"),
    "base_url": ("Base URL (where the site will be published)", "--base-url"),
    "author": ("Author", "--author"),
    "timezone": ("Time zone", "--timezone"),
    "from_address": ("Send email from", "--from-address"),
}


class NotEmpty(FileExistsError):
    """`init` never writes into a folder that has files, unless forced."""


class InvalidSetting(ValueError):
    """A value given to `init` that a build would reject; carries the flag it came from."""

    def __init__(self, flag: str, message: str) -> None:
        super().__init__(f"{flag}: {message}")
        self.flag = flag
        self.message = message


def system_timezone() -> str:
    """The machine's IANA time zone name (tzlocal reads TZ, /etc/timezone, /etc/localtime), or UTC."""
    from tzlocal import get_localzone_name

    try:
        name = get_localzone_name()
    except Exception:  # tzlocal raises several kinds when the system's setting is odd
        return "UTC"
    return name if name and _valid("timezone", name) is None else "UTC"


def defaults(given: Settings) -> Settings:
    """A value for every setting not given: each derived from the ones that were."""
    title = given.title or "My Newsletter"
    base_url = given.base_url or "https://example.org"
    host = urlsplit(base_url).hostname or "example.org"
    host = host.removeprefix("www.")
    return Settings(
        title=title,
        base_url=base_url,
        author=given.author or title,
        timezone=given.timezone or system_timezone(),
        from_address=given.from_address or formataddr((title, f"newsletter@{host}")),
    )


def complete(given: Settings, ask: Callable[[str, str, Callable[[str], str | None]], str] | None) -> Settings:
    """Fill in missing settings: by asking (on a terminal) or with `defaults`.

    `ask(prompt, default, check)` returns an answer; `check` returns an error
    message for an invalid one, so the caller can ask again.
    """
    current = given
    for name in QUESTIONS:
        if getattr(current, name) is not None or ask is None:
            continue
        prompt, _flag = QUESTIONS[name]
        default = getattr(defaults(current), name)
        answer = ask(prompt, default, lambda value, name=name: _valid(name, value))
        current = replace(current, **{name: answer.strip()})
    return defaults(current)


def chosen_defaults(given: Settings, final: Settings) -> list[tuple[str, str]]:
    """(flag, value) for every setting that was neither given nor asked for."""
    return [
        (QUESTIONS[f.name][1], getattr(final, f.name))
        for f in fields(given)
        if getattr(given, f.name) is None
    ]


# Valid values for every setting, against which one value is checked on its own.
VALID_BASE = Settings("My Newsletter", "https://example.org", "Me", "UTC", "Me <newsletter@example.org>")


def _valid(name: str, value: str) -> str | None:
    """The message a build would give for this one value, or None when it is fine."""
    if not value.strip():
        return "must not be empty"
    text = render_config(replace(VALID_BASE, **{name: value.strip()}))
    try:
        Publication.model_validate(tomllib.loads(text))
    except ValidationError as exc:
        return "; ".join(error["msg"].removeprefix("Value error, ") for error in exc.errors())
    except tomllib.TOMLDecodeError as exc:  # cannot happen: values are escaped; said plainly if it does
        return f"cannot be written to {CONFIG_NAME}: {exc}"
    return None


def validate(settings: Settings) -> None:
    """Raise `InvalidSetting` for the first value a build would reject."""
    for name, (_prompt, flag) in QUESTIONS.items():
        value = getattr(settings, name)
        message = _valid(name, value) if value is not None else "missing"
        if message is not None:
            raise InvalidSetting(flag, message)


def check_target(target: Path, force: bool) -> None:
    """Raise `NotEmpty` unless `target` is missing, an empty folder, or `force` is given."""
    if target.exists() and not target.is_dir():
        raise NotEmpty(f"{target} is a file, not a folder")
    if target.is_dir() and any(target.iterdir()) and not force:
        raise NotEmpty(f"{target} is not empty; use --force to add a publication to it anyway")


def init_publication(
    target: Path, settings: Settings, now: datetime, force: bool = False
) -> list[tuple[Path, str]]:
    """Write a new publication into `target`; return each file, relative to it, with what happened.

    With `force`, a file that is already there is kept as it is ("kept"), except a
    `.gitignore`, which gets the lines it lacks ("added to").
    """
    validate(settings)
    check_target(target, force)
    publication = Publication.model_validate(tomllib.loads(render_config(settings)))
    files: dict[str, str] = {
        CONFIG_NAME: render_config(settings),
        ".gitignore": GITIGNORE,
        "requirements.txt": requirements(),
        WORKFLOW: WORKFLOW_TEXT,
        f"{POSTS_DIR}/{WELCOME_SECTION}/{WELCOME_SLUG}.md": welcome_post(settings, publication, now),
    }
    written = []
    target.mkdir(parents=True, exist_ok=True)
    for section in publication.sections:
        (target / POSTS_DIR / section.folder).mkdir(parents=True, exist_ok=True)
    for relative, text in files.items():
        path = target / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if relative == ".gitignore" and path.is_file():
            existing = path.read_text(encoding="utf-8")
            merged = _merged_gitignore(existing)
            if merged != existing:
                path.write_text(merged, encoding="utf-8")
            written.append((Path(relative), "added to" if merged != existing else "kept"))
        elif path.exists():
            written.append((Path(relative), "kept"))
        else:
            path.write_text(text, encoding="utf-8")
            written.append((Path(relative), "created"))
    return written


def _merged_gitignore(existing: str) -> str:
    """An existing .gitignore with the lines publisher needs appended, the writer's own kept."""
    have = {line.strip() for line in existing.splitlines()}
    missing = [
        line for line in GITIGNORE.splitlines() if line and not line.startswith("#") and line not in have
    ]
    if not missing:
        return existing
    return existing.rstrip("\n") + "\n\n# publisher\n" + "\n".join(missing) + "\n"


def toml_string(value: str) -> str:
    """A TOML basic string holding exactly `value`: quotes, backslashes and control characters escaped."""

    def escape(char: str) -> str:
        if char in '"\\':
            return "\\" + char
        if ord(char) < 0x20 or ord(char) == 0x7F:
            return f"\\u{ord(char):04x}"
        return char

    return '"' + "".join(escape(char) for char in value) + '"'


def render_config(settings: Settings) -> str:
    """The commented `publication.toml` for these settings."""
    s = {f.name: toml_string(getattr(settings, f.name) or "") for f in fields(settings)}
    _, address = parseaddr(settings.from_address or "")
    domain = address.rpartition("@")[2] or "example.org"
    mailto = toml_string(f"mailto:{address or 'newsletter@example.org'}")
    sections = "\n".join(
        f"""[[sections]]
folder = {toml_string(section.folder)}
name = {toml_string(section.name)}
singular = {toml_string(section.singular)}
description = {toml_string(section.description)}
subject_prefix = {toml_string(f"[{section.singular}] ")}
"""
        for section in DEFAULT_SECTIONS
    )
    return CONFIG_TEMPLATE.format(
        **s,
        sections=sections,
        mailto=mailto,
        subscribe_mailto=toml_string(f"mailto:{address or 'newsletter@example.org'}?subject=Subscribe"),
        unsubscribe_mailto=toml_string(f"mailto:unsubscribe@{domain}?subject=unsubscribe"),
    )


CONFIG_TEMPLATE = """\
# Settings for `publisher build`. Every key is checked: an unknown key or a
# wrong type stops the build with the line it is on. The README's
# "publication.toml" section describes each one.

title = {title}
description = "A newsletter. Change this line in publication.toml."
base_url = {base_url}  # where build/site/ is published
language = "en"
timezone = {timezone}  # dates in posts without an offset are in this zone
author = {author}  # the default author of every post
posts_per_page = 10
# logo = "static/logo.png"  # shown above the name; put the file in templates/static/

# Authors shown in post bylines; `avatar` is optional (a file in the site or an https URL).
[[authors]]
name = {author}
# avatar = "static/avatar.png"

# One [[sections]] table per kind of post; its posts live in posts/<folder>/.
{sections}
# The note under every post. Point the link at your tip jar or membership page.
[support]
text = "This newsletter is written independently and free to read. If it helps you, tell a friend."
link = {mailto}
link_text = "Write to the author"

# Where readers subscribe: your email service's sign-up page, or a mailto: link.
[subscribe]
url = {subscribe_mailto}
text = "Subscribe"

# The email edition (build/email/). The unsubscribe links are merge tags that
# your email service fills in for each subscriber; see "Email" in the README.
[email]
from_address = {from_address}
postal_address = "Change me: your postal address (anti-spam laws require one in every email)"
unsubscribe_url = "{{{{ unsubscribe_url }}}}"
list_unsubscribe_mailto = {unsubscribe_mailto}

[feeds]
max_items = 50
# icon = "static/icon.png"
"""

GITIGNORE = f"""\
# publisher: the build output, and the subscriber data (never publish or commit it)
/build/
/{DATA_DIR}/
.venv/
__pycache__/
"""


def requirements() -> str:
    """How CI installs this very publisher: from where it was installed, or by version."""
    spec = f"publisher=={__version__}"
    try:
        direct = metadata.distribution("publisher").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        direct = None
    if direct:
        info = json.loads(direct)
        vcs = info.get("vcs_info")
        if vcs and info.get("url", "").startswith("https://"):
            spec = f"publisher @ {vcs['vcs']}+{info['url']}@{vcs['commit_id']}"
    return f"# What the publish workflow installs: the publisher this publication was made with.\n{spec}\n"


def welcome_post(settings: Settings, publication: Publication, now: datetime) -> str:
    """The first post: it says what to do next, and builds cleanly under `check --strict`."""
    local = now.astimezone(publication.zone).replace(tzinfo=None, second=0, microsecond=0)
    title = f"Welcome to {settings.title}"
    return "\n".join(
        [
            "---",
            "title: " + yaml_text(title),
            f"date: {local.isoformat(timespec='minutes')}",
            "subtitle: What this newsletter is about, and how often it arrives",
            "tags: [welcome]",
            "---",
            "",
            WELCOME_BODY,
        ]
    )


WELCOME_BODY = """\
This is the first post. Replace it with a few lines about what you will write
and how often, and publish it as your introduction.

## Writing the next post

Run `publisher new insights "A title"` to start a draft, `publisher serve` to
see it in your browser as you write, and `publisher build` to make the site,
the feeds and the email edition in `build/`.

## Publishing

Push this folder to GitHub and turn on Pages with "GitHub Actions" as the
source: `.github/workflows/publish.yml` builds and publishes the site on
every push.
"""

WORKFLOW_TEXT = """\
# Build the publication on every push to main and publish build/site/ to
# GitHub Pages. In the repository's Settings > Pages, choose "GitHub Actions"
# as the source. Set base_url in publication.toml to the Pages address,
# e.g. https://USER.github.io/REPOSITORY.
name: Publish

on:
  push:
    branches: [main]
  workflow_dispatch:
  # Scheduled posts (dated in the future) appear in the first build after
  # their date: uncomment to build every day at 06:00 UTC as well.
  # schedule:
  #   - cron: "0 6 * * *"

permissions:
  contents: read
  pages: write
  id-token: write

concurrency:
  group: pages
  cancel-in-progress: false

jobs:
  build:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
        with:
          fetch-depth: 0  # the send step compares this push with the one before
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install publisher
        run: pip install -r requirements.txt
      - name: Build
        run: publisher build --strict
      - uses: actions/upload-pages-artifact@v3
        with:
          path: build/site
      # Send posts added by this push to your subscribers, once each. Needs
      # the subscriber data on the runner and the SMTP settings as secrets;
      # off until you set the repository variable PUBLISHER_SEND to "true".
      - name: Send new posts
        if: ${{ vars.PUBLISHER_SEND == 'true' && github.event_name == 'push' }}
        env:
          PUBLISHER_SMTP_URL: ${{ secrets.PUBLISHER_SMTP_URL }}
          PUBLISHER_SMTP_PASSWORD: ${{ secrets.PUBLISHER_SMTP_PASSWORD }}
          BEFORE: ${{ github.event.before }}
        run: |
          git diff --name-only --diff-filter=A "$BEFORE" HEAD -- 'posts/*.md' 'posts/**/*.md' |
          while read -r file; do
            slug=$(sed -n 's/^slug: *//p' "$file" | head -n 1)
            slug=${slug:-$(basename "$file" .md)}
            if [ -f "build/email/$slug.eml" ]; then  # drafts and scheduled posts have no email yet
              publisher send "$slug" --yes
            fi
          done

  deploy:
    needs: build
    runs-on: ubuntu-latest
    environment:
      name: github-pages
      url: ${{ steps.deployment.outputs.page_url }}
    steps:
      - id: deployment
        uses: actions/deploy-pages@v4
"""
