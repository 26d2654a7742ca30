"""A publication ready to send: the sample's built emails, a subscriber list, an SMTP server.

Each test gets its own copy of the settings, posts and built `email/` folder, its own subscriber
database and its own aiosmtpd server on a free port, so tests can run side by side.
"""

from __future__ import annotations

import email
import re
import shutil
from collections import Counter
from email.message import EmailMessage
from email.policy import default
from pathlib import Path

from click.testing import Result
from conftest import REPO, run
from smtp_server import Received, SmtpServer

from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import read_token

SECRET = "a test secret that is long enough"
SERVICE = "https://subscribe.civicledger.example"
SLUG = "the-permit-bottleneck"  # an analysis


class Sending:
    """One publication, its list and its server."""

    def __init__(self, root: Path, built: Path, server: SmtpServer, **delivery: object) -> None:
        self.root = root
        self.server = server
        root.mkdir(parents=True)
        shutil.copytree(REPO / "posts", root / "posts")
        config = (REPO / "publication.toml").read_text(encoding="utf-8")
        config += f'\n[subscriptions]\nurl = "{SERVICE}"\n\n[delivery]\n'
        for key, value in {"retry_delay": 0.01, "connections": 2, **delivery}.items():
            config += f"{key} = {value!r}\n".replace("'", '"')
        (root / "publication.toml").write_text(config, encoding="utf-8")
        self.out = root / "build"
        shutil.copytree(built / "email", self.out / "email")
        self.store = SubscriberStore.open(root / ".publisher")

    def add(self, count: int, prefix: str = "reader", **kwargs: object) -> list[int]:
        with self.store.transaction():
            return [self.store.add(f"{prefix}{n}@example.org", **kwargs).id for n in range(count)]  # type: ignore[arg-type]

    def send(self, *args: str) -> Result:
        return run("send", SLUG, "--root", str(self.root), *args)

    def copies(self) -> Counter[str]:
        return self.server.recorder.copies()

    def received(self) -> list[Received]:
        return list(self.server.recorder.received)


def parse(data: bytes) -> EmailMessage:
    parsed = email.message_from_bytes(data, policy=default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def links_of(message: EmailMessage) -> dict[str, set[str]]:
    """Every unsubscribe/preferences URL in the headers, the text and the HTML."""
    text = message.get_body(("plain",))
    html = message.get_body(("html",))
    assert text is not None and html is not None
    found: dict[str, set[str]] = {"header": set(), "text": set(), "html": set()}
    found["header"] = set(re.findall(r"<(https://[^>]+)>", str(message["List-Unsubscribe"])))
    pattern = re.escape(SERVICE) + r"/(?:unsubscribe|preferences)/[A-Za-z0-9_.-]+"
    found["text"] = set(re.findall(pattern, text.get_content()))
    found["html"] = set(re.findall(pattern, html.get_content()))
    return found


def token_owner(url: str) -> int:
    purpose, token = url.removeprefix(SERVICE + "/").split("/", 1)
    return read_token(SECRET, purpose, token)
