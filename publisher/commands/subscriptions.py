"""`publisher subscriptions serve`: run the subscription service with uvicorn.

One process, one event loop and one database writer thread: enough for thousands of requests a
second (see the README's load figures), and what keeps the rate limits and the SQLite writes in
one place. Behind a reverse proxy, uvicorn takes the client address from `X-Forwarded-For` only
when the proxy is at an address in `FORWARDED_ALLOW_IPS` (default 127.0.0.1).
"""

from __future__ import annotations

import logging
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import uvicorn

from publisher.content.config import Publication, load_publication
from publisher.delivery.transport import (
    SmtpConfigError,
    SmtpTransport,
    TemporaryFailure,
    settings_from_environment,
)
from publisher.errors import BuildFailed
from publisher.subscribers.location import data_dir
from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import MissingSecret, secret_from_environment
from publisher.subscriptions.app import Service, create_app
from publisher.subscriptions.mail import Outbox

LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class CannotServe(Exception):
    """A setting or the environment is missing; the message is the one line to show."""


def prepare(root: Path) -> tuple[Publication, Service]:
    """Check settings and secrets, open the database: everything that can fail before serving."""
    publication = load_publication(root)  # raises BuildFailed with every error of the file
    if publication.subscriptions is None:
        raise CannotServe(
            "publication.toml has no [subscriptions] table: add url = the service's public address, "
            'e.g. [subscriptions] url = "https://subscribe.example.org"'
        )
    try:
        secret = secret_from_environment()
    except MissingSecret as exc:
        raise CannotServe(str(exc)) from None
    try:
        smtp = settings_from_environment(publication.delivery.smtp_url, timeout=publication.delivery.timeout)
    except SmtpConfigError as exc:
        raise CannotServe(f"confirmation emails cannot be sent: {exc}") from None
    store = SubscriberStore.open(data_dir(root, publication))
    outbox = Outbox(SmtpTransport(smtp), temporary=(TemporaryFailure,))
    service = Service(publication, root, secret, store, outbox)
    errors = service.template_errors()
    if errors:
        store.close()
        raise BuildFailed(errors)
    return publication, service


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (its number is in the first log line)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    return socket.create_server((host, port), family=family, backlog=2048)


def serve(root: Path, host: str, port: int, echo: Callable[[str], None]) -> None:
    """Serve until interrupted. Raises `CannotServe`, `BuildFailed` or `OSError` before it starts."""
    publication, service = prepare(root)
    try:
        sock = bind(host, port)
    except OSError:
        service.store.close()
        raise
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT, stream=sys.stderr)
    bound = sock.getsockname()
    shown = f"[{bound[0]}]" if sock.family == socket.AF_INET6 else bound[0]
    assert publication.subscriptions is not None
    echo(
        f"Serving subscriptions for {publication.title} on http://{shown}:{bound[1]}/ "
        f"(public address {publication.subscriptions.url}); Ctrl+C to stop"
    )
    config = uvicorn.Config(
        create_app(service),
        log_config=None,  # our logging: no access log with tokens in it (see middleware.AccessLog)
        access_log=False,
        server_header=False,
        proxy_headers=True,
        timeout_graceful_shutdown=10,
    )
    try:
        uvicorn.Server(config).run(sockets=[sock])
    finally:
        sock.close()
        service.store.close()
