"""What the subscription-service tests share: a publication that names the service, the service
itself (in-process for HTTP tests, on a real uvicorn for the browser and load tests), and helpers
to pull links out of received email and tokens out of pages."""

from __future__ import annotations

import re
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn
from bs4 import BeautifulSoup
from smtp_server import Received, SmtpServer

from publisher.content.config import load_publication
from publisher.delivery.transport import SmtpTransport, TemporaryFailure, settings_from_environment
from publisher.subscribers.location import data_dir
from publisher.subscribers.store import SubscriberStore
from publisher.subscriptions.app import Service, create_app
from publisher.subscriptions.mail import Outbox
from publisher.subscriptions.ratelimit import Limits

SECRET = "test-secret-for-the-subscription-service"
WELCOME = "Welcome aboard: the next analysis lands on Tuesday."


def free_socket() -> socket.socket:
    """A listening socket on 127.0.0.1 at a free port, bound before anything needs its number."""
    return socket.create_server(("127.0.0.1", 0), backlog=2048)


def configure(root: Path, service_url: str, smtp_url: str, base_url: str | None = None) -> None:
    """Point the publication at `root` to the service and the test SMTP server."""
    toml = root / "publication.toml"
    text = toml.read_text(encoding="utf-8")
    if base_url:
        text = re.sub(r'(?m)^base_url = ".*"$', f'base_url = "{base_url}"', text)
    text += (
        f'\n[delivery]\nsmtp_url = "{smtp_url}"\n'
        f'\n[subscriptions]\nurl = "{service_url}"\nwelcome = "{WELCOME}"\n'
    )
    toml.write_text(text, encoding="utf-8")


def make_service(root: Path, limits: Limits | None = None) -> Service:
    """The service over the publication at `root`, with the real store and SMTP transport."""
    publication = load_publication(root)
    smtp = settings_from_environment(publication.delivery.smtp_url, timeout=5, environ={})
    store = SubscriberStore.open(data_dir(root, publication))
    outbox = Outbox(SmtpTransport(smtp), temporary=(TemporaryFailure,), backoff=0.05)
    return Service(publication, root, SECRET, store, outbox, limits or Limits())


@contextmanager
def served(service: Service, sock: socket.socket) -> Iterator[str]:
    """The app on a real uvicorn in a thread, on `sock`; yields its origin."""
    config = uvicorn.Config(create_app(service), log_config=None, access_log=False, lifespan="on")
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        assert thread.is_alive() and time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(15)
        sock.close()
        service.store.close()


def wait_for_mail(smtp: SmtpServer, count: int, seconds: float = 15.0) -> list[Received]:
    """The messages the server holds once it holds at least `count`."""
    deadline = time.monotonic() + seconds
    while True:
        with smtp.recorder.lock:
            received = list(smtp.recorder.received)
        if len(received) >= count:
            return received
        assert time.monotonic() < deadline, f"expected {count} messages, got {len(received)}"
        time.sleep(0.02)


def link_in(received: Received, path: str) -> str:
    """The first `…/<path>/<token>` URL in a message's text."""
    body = received.message().get_body(("plain",))
    assert body is not None
    match = re.search(rf"https?://\S+/{path}/[A-Za-z0-9_.\-]+", body.get_content())
    assert match, f"no /{path}/ link in the message"
    return match.group(0)


def csrf_field(html: str) -> str:
    field = BeautifulSoup(html, "lxml").select_one('input[name="csrf"]')
    assert field is not None, "the page has no CSRF field"
    return str(field["value"])
