"""The publication's settings: `publication.toml`, validated on load.

Unknown keys and wrong types are errors naming the file, the line and the
key; every error in the file is reported at once.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from email.utils import parseaddr
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import ValidationError, field_validator, model_validator

from publisher.content.validation import Loc, StrictModel, to_content_errors
from publisher.errors import BuildFailed, ContentError
from publisher.paths import STATIC_DIR, template_dirs

CONFIG_NAME = "publication.toml"
FOLDER_RE = re.compile(r"^[a-z0-9]+(-[a-z0-9]+)*$")


class Section(StrictModel):
    """One kind of post; its posts live in `posts/<folder>/`."""

    folder: str
    name: str
    singular: str
    description: str
    subject_prefix: str = ""

    @field_validator("folder")
    @classmethod
    def _safe_folder(cls, value: str) -> str:
        if not FOLDER_RE.match(value):
            raise ValueError("must be lowercase letters, digits and single hyphens")
        return value


class Support(StrictModel):
    """The support/transparency note shown under every post."""

    text: str
    link: str
    link_text: str = "Support this work"


class Subscribe(StrictModel):
    """Where a reader subscribes."""

    url: str
    text: str = "Subscribe"


# A merge tag is a per-subscriber placeholder that the email service fills in
# at send time: `{{ unsubscribe_url }}`, `*|UNSUB|*`, `%unsubscribe_url%`.
MERGE_TAG_MARKS = ("{", "*|", "%", "[", "<")
_SCHEME_RE = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*:")
LINK_HELP = "must be an https:// URL or your email service's merge tag, e.g. {{ unsubscribe_url }}"


def is_merge_tag(value: str) -> bool:
    """True for a placeholder such as `*|UNSUB|*`; false for a URL."""
    return not _SCHEME_RE.match(value) and any(mark in value for mark in MERGE_TAG_MARKS)


def _link_or_merge_tag(value: str | None) -> str | None:
    if value is None:
        return None
    value = value.strip()
    if '"' in value or "\n" in value or not (value.startswith("https://") or is_merge_tag(value)):
        raise ValueError(LINK_HELP)
    return value


def _mailbox(value: str | None) -> str | None:
    if value is None:
        return None
    _, address = parseaddr(value)
    if "\n" in value or "@" not in address:
        raise ValueError(f"{value!r} is not an email address, e.g. Name <news@example.org>")
    return value.strip()


class EmailSettings(StrictModel):
    """Who the email edition is from, and where its per-subscriber links point.

    The unsubscribe and preferences links are usually merge tags that the email
    service replaces for each subscriber, so they are kept exactly as written.
    """

    from_address: str
    reply_to: str | None = None
    to: str | None = None
    postal_address: str
    unsubscribe_url: str = "{{ unsubscribe_url }}"
    preferences_url: str | None = None
    list_unsubscribe_url: str | None = None
    list_unsubscribe_mailto: str | None = None
    comment_url: str | None = None

    @field_validator("from_address", "reply_to", "to")
    @classmethod
    def _address(cls, value: str | None) -> str | None:
        return _mailbox(value)

    @field_validator("unsubscribe_url", "preferences_url", "list_unsubscribe_url")
    @classmethod
    def _link(cls, value: str | None) -> str | None:
        return _link_or_merge_tag(value)

    @field_validator("list_unsubscribe_mailto")
    @classmethod
    def _mailto(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^mailto:[^@\s\"]+@[^\s\"]+$", value):
            raise ValueError("must be a mailto: URL, e.g. mailto:unsubscribe@example.org?subject=unsubscribe")
        return value

    @field_validator("comment_url")
    @classmethod
    def _comment(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^(https://|mailto:)[^\s\"]+$", value):
            raise ValueError("must be an https:// or mailto: URL; {url} stands for the post's URL")
        return value

    @field_validator("postal_address")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty: anti-spam laws require a postal address in every email")
        return value.strip()


DEFAULT_SECTIONS = (
    Section(
        folder="analyses",
        name="Analyses",
        singular="Analysis",
        description="In-depth breakdowns of the systems behind events.",
    ),
    Section(
        folder="playbooks",
        name="Playbooks",
        singular="Playbook",
        description="Actionable step-by-step guides, each responding to an analysis.",
    ),
    Section(
        folder="insights",
        name="Insights",
        singular="Insight",
        description="Short, timely pieces on events as they unfold.",
    ),
)


class FeedSettings(StrictModel):
    """How many posts the feeds carry, and the icon feed readers show."""

    max_items: int = 50
    icon: str | None = None  # a file in the built site, e.g. static/icon.png, or an https:// URL

    @field_validator("max_items")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("icon")
    @classmethod
    def _icon(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or re.search(r"[\s\"<>]", value)):
            raise ValueError("must be a path in the site, e.g. static/icon.png, or an https:// URL")
        return value


SITE_FILE_HELP = "must be a path in the site, e.g. static/logo.png (in templates/static/), or an https:// URL"


def _site_file_or_url(value: str | None) -> str | None:
    """A file of the built site such as `static/logo.png`, or an https URL; nothing that breaks out."""
    if value is None:
        return None
    value = value.strip()
    if "://" in value:
        if not re.match(r"^https://[^\s\"<>]+$", value):
            raise ValueError(SITE_FILE_HELP)
        return value
    parts = value.lstrip("/").split("/")
    if not value or re.search(r"[\s\"<>?#\\]", value) or ".." in parts or ":" in value:
        raise ValueError(SITE_FILE_HELP)
    return value.lstrip("/")


class Author(StrictModel):
    """A person in bylines: `name` as posts' `authors` and `author` spell it, and an optional avatar."""

    name: str
    avatar: str | None = None

    @field_validator("name")
    @classmethod
    def _named(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value.strip()

    @field_validator("avatar")
    @classmethod
    def _avatar(cls, value: str | None) -> str | None:
        return _site_file_or_url(value)


class DeliverySettings(StrictModel):
    """How `publisher send` reaches the SMTP server, and where subscribers are kept.

    The SMTP password and the DKIM private key are secrets: they come from the
    environment (`PUBLISHER_SMTP_PASSWORD`, `PUBLISHER_DKIM_KEY`), never from this file.
    """

    smtp_url: str | None = None
    rate: float | None = None  # messages per second over all connections; None: as fast as the server takes
    connections: int = 4
    messages_per_connection: int = 100
    retries: int = 5
    retry_delay: float = 1.0  # seconds before the first retry; doubled for each next one
    timeout: float = 30.0
    data_dir: str = ".publisher"
    dkim_selector: str | None = None
    dkim_domain: str | None = None

    @field_validator("smtp_url")
    @classmethod
    def _smtp_url(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not re.match(r"^smtps?://[^\s/]+(/)?(\?[^\s]*)?$", value):
            raise ValueError("must be smtp://user@host:587 (STARTTLS) or smtps://user@host:465")
        userinfo = value.split("://", 1)[1].split("@", 1)[0] if "@" in value else ""
        if ":" in userinfo:
            raise ValueError("must not hold the password: set PUBLISHER_SMTP_PASSWORD in the environment")
        return value

    @field_validator("rate", "timeout", "retry_delay")
    @classmethod
    def _positive_number(cls, value: float | None) -> float | None:
        if value is not None and not value > 0:
            raise ValueError("must be more than 0")
        return value

    @field_validator("connections", "messages_per_connection")
    @classmethod
    def _at_least_one(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @field_validator("retries")
    @classmethod
    def _not_negative(cls, value: int) -> int:
        if value < 0:
            raise ValueError("must be 0 or more")
        return value

    @field_validator("data_dir")
    @classmethod
    def _relative_folder(cls, value: str) -> str:
        parts = Path(value).parts
        if not value.strip() or (".." in parts and not Path(value).is_absolute()):
            raise ValueError("must be a folder, e.g. .publisher or /var/lib/publisher/civic-ledger")
        if parts and parts[0] in ("posts", "templates", "build"):
            raise ValueError("must not be inside posts/, templates/ or the output: it would be published")
        return value

    @field_validator("dkim_selector", "dkim_domain")
    @classmethod
    def _dns_label(cls, value: str | None) -> str | None:
        if value is not None and not re.match(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", value):
            raise ValueError("must be a DNS name, e.g. news2026 or example.org")
        return value


class SubscriptionSettings(StrictModel):
    """Where the subscription service answers: the base of every per-subscriber link."""

    url: str
    # the service's welcome page, after a reader confirms
    welcome: str = "Thank you for subscribing. The next post will be in your inbox."

    @field_validator("url")
    @classmethod
    def _service_url(cls, value: str) -> str:
        local = re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])(:\d+)?(/[^\s?#\"<>]*)?$", value)
        if not local and not re.match(r"^https://[^/\s?#\"<>]+(/[^\s?#\"<>]*)?$", value):
            raise ValueError("must be an https:// URL without ? or #, e.g. https://subscribe.example.org")
        return value.rstrip("/")


class Publication(StrictModel):
    """Everything a build needs to know about the publication."""

    title: str
    description: str
    base_url: str
    language: str = "en"
    timezone: str = "UTC"
    author: str
    posts_per_page: int = 10
    sections: list[Section] = list(DEFAULT_SECTIONS)
    support: Support
    subscribe: Subscribe
    email: EmailSettings
    feeds: FeedSettings = FeedSettings()
    logo: str | None = None  # a file in the site or an https URL, shown in the masthead
    authors: list[Author] = []

    @field_validator("logo")
    @classmethod
    def _logo(cls, value: str | None) -> str | None:
        return _site_file_or_url(value)

    delivery: DeliverySettings = DeliverySettings()
    subscriptions: SubscriptionSettings | None = None

    @field_validator("base_url")
    @classmethod
    def _absolute_url(cls, value: str) -> str:
        if not re.match(r"^https?://[^/\s]+(/\S*)?$", value):
            raise ValueError("must be an absolute http(s) URL, e.g. https://example.org")
        return value.rstrip("/")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("posts_per_page")
    @classmethod
    def _positive(cls, value: int) -> int:
        if value < 1:
            raise ValueError("must be at least 1")
        return value

    @model_validator(mode="after")
    def _unique_folders(self) -> Publication:
        folders = [s.folder for s in self.sections]
        if len(folders) != len(set(folders)):
            raise ValueError("two sections share a folder")
        names = [a.name for a in self.authors]
        if len(names) != len(set(names)):
            raise ValueError("two [[authors]] share a name")
        return self

    def author_named(self, name: str) -> Author:
        """The `[[authors]]` entry for a byline name, or a plain one without an avatar."""
        return next((a for a in self.authors if a.name == name), Author(name=name))

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    def section(self, folder: str) -> Section | None:
        return next((s for s in self.sections if s.folder == folder), None)


def load_publication(root: Path, base_url: str | None = None) -> Publication:
    """Read and validate `publication.toml`; raise `BuildFailed` with every error."""
    path = root / CONFIG_NAME
    shown = CONFIG_NAME
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise BuildFailed([ContentError(shown, 1, "(file)", "not found in " + str(root))]) from None
    except UnicodeDecodeError:
        raise BuildFailed([ContentError(shown, 1, "(file)", "is not valid UTF-8")]) from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        line = _decode_error_line(str(exc))
        raise BuildFailed([ContentError(shown, line, "(file)", f"invalid TOML: {exc}")]) from None
    if base_url is not None:
        data["base_url"] = base_url
    lines = toml_key_lines(text)

    def line_of(loc: Loc) -> int:
        return _closest_line(lines, loc)

    try:
        publication = Publication.model_validate(data)
    except ValidationError as exc:
        raise BuildFailed(to_content_errors(exc, shown, line_of, Publication)) from None
    missing = missing_site_files(publication, root, line_of)
    if missing:
        raise BuildFailed(missing)
    return publication


def missing_site_files(
    publication: Publication, root: Path, line_of: Callable[[Loc], int]
) -> list[ContentError]:
    """`logo` and avatars that name a site file no template folder holds: a broken image on every page."""
    wanted: list[tuple[Loc, str]] = []
    if publication.logo:
        wanted.append((("logo",), publication.logo))
    wanted += [(("authors", i, "avatar"), a.avatar) for i, a in enumerate(publication.authors) if a.avatar]
    folders = template_dirs(root)
    errors = []
    for loc, path in wanted:
        static = path.startswith(f"{STATIC_DIR}/")  # only templates/static/ is copied into the site
        if "://" in path or (static and any((folder / path).is_file() for folder in folders)):
            continue
        field = f"{loc[0]}[{loc[1]}].{loc[2]}" if len(loc) == 3 else str(loc[0])
        where = f"templates/{path}" if static else f"templates/{STATIC_DIR}/ and write {STATIC_DIR}/…"
        message = f"{path!r} is not in the site: put the file in {where}"
        errors.append(ContentError(CONFIG_NAME, line_of(loc), field, message))
    return errors


def _decode_error_line(message: str) -> int:
    match = re.search(r"line (\d+)", message)
    return int(match.group(1)) if match else 1


def toml_key_lines(text: str) -> dict[Loc, int]:
    """Map each key path in a TOML text to the line that sets it.

    tomllib keeps no positions, so this reads the headers and `key =` lines
    again; it only needs to be right for the files tomllib already accepted.
    """
    lines: dict[Loc, int] = {}
    table: Loc = ()
    counts: dict[Loc, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if line.startswith("[["):
            name = tuple(p.strip().strip('"') for p in line.strip("[] ").split("."))
            index = counts.get(name, 0)
            counts[name] = index + 1
            table = (*name, index)
            lines.setdefault(name, number)
            lines[table] = number
        elif line.startswith("["):
            table = tuple(p.strip().strip('"') for p in line.strip("[] ").split("."))
            lines[table] = number
        elif match := re.match(r'^([A-Za-z0-9_\-."]+)\s*=', line):
            key = tuple(p.strip().strip('"') for p in match.group(1).split("."))
            lines.setdefault((*table, *key), number)
    return lines


def _closest_line(lines: dict[Loc, int], loc: Loc) -> int:
    """The line of `loc`, or of its nearest enclosing table."""
    for end in range(len(loc), 0, -1):
        if loc[:end] in lines:
            return lines[loc[:end]]
    return 1
