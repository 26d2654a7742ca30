"""One send run: recipients streamed from the ledger to parallel SMTP connections, at a set rate.

The main thread reads pending deliveries a page at a time into a small queue; each worker thread
owns one SMTP connection and takes them one by one. For each recipient it writes `sending`,
hands the message to the server and writes `sent` on the 250, so at most one message per
connection is ever in flight, and a run killed at any moment leaves at most that many `unknown`.

- A 4xx reply or a lost connection puts the row back to `pending` and the worker waits
  (`retry_delay`, doubling, at most a minute) and tries again, `retries` times; then the row is
  `deferred` (the next run tries it again). When the server cannot be reached at all, the run stops.
- A 5xx reply fails that delivery; "user unknown" also marks the subscriber bounced.
- Authentication, TLS or a refused sender stops the run at once: every message would fail.
"""

from __future__ import annotations

import queue
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass

from publisher.delivery.ledger import Delivery, Edition, Ledger
from publisher.delivery.transport import (
    FatalFailure,
    PermanentFailure,
    SmtpTransport,
    TemporaryFailure,
)

MAX_DELAY = 60.0  # seconds: the longest wait between two attempts


@dataclass(frozen=True)
class RunSettings:
    """`[delivery]`: how fast and over how many connections."""

    rate: float | None = None  # messages per second over all connections; None: no limit
    connections: int = 4
    messages_per_connection: int = 100
    retries: int = 5
    retry_delay: float = 1.0


@dataclass
class RunResult:
    """What one run did; `stopped` says why it ended early, if it did."""

    sent: int = 0
    failed: int = 0
    bounced: int = 0
    deferred: int = 0
    skipped: int = 0
    retried: int = 0
    stopped: str | None = None
    fatal: bool = False
    interrupted: bool = False
    seconds: float = 0.0


class RateLimiter:
    """Spaces attempts `1/rate` seconds apart across all threads."""

    def __init__(self, rate: float | None) -> None:
        self._interval = 1.0 / rate if rate else 0.0
        self._next = time.monotonic()
        self._lock = threading.Lock()

    def wait(self, stop: threading.Event) -> None:
        if not self._interval:
            return
        with self._lock:
            now = time.monotonic()
            slot = max(self._next, now)
            self._next = slot + self._interval
        if slot > now:
            stop.wait(slot - now)


class SendRun:
    """Sends one edition to its pending recipients; `run()` returns when they are done or it stopped."""

    def __init__(
        self,
        ledger: Ledger,
        edition: Edition,
        build: Callable[[Delivery], bytes],
        sender: str,
        transport: Callable[[], SmtpTransport],
        settings: RunSettings,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.ledger = ledger
        self.edition = edition
        self.build = build
        self.sender = sender
        self.transport = transport
        self.settings = settings
        self.progress = progress or (lambda _: None)
        self.result = RunResult()
        self.stop = threading.Event()
        self._lock = threading.Lock()
        self._queue: queue.Queue[Delivery | None] = queue.Queue(maxsize=settings.connections * 8)
        self._limiter = RateLimiter(settings.rate)

    def run(self, deliveries: Iterator[Delivery]) -> RunResult:
        started = time.perf_counter()
        workers = [
            threading.Thread(target=self._work, name=f"smtp-{n}", daemon=True)
            for n in range(self.settings.connections)
        ]
        for worker in workers:
            worker.start()
        try:
            for delivery in deliveries:
                if not self._put(delivery):
                    break
            for _ in workers:
                self._put(None, always=True)
            for worker in workers:
                while worker.is_alive():
                    worker.join(0.2)
        except KeyboardInterrupt:
            self._halt("interrupted", interrupted=True)
            for worker in workers:
                worker.join()
        self.result.seconds = time.perf_counter() - started
        return self.result

    def _put(self, item: Delivery | None, always: bool = False) -> bool:
        while always or not self.stop.is_set():
            try:
                self._queue.put(item, timeout=0.2)
                return True
            except queue.Full:
                if self.stop.is_set() and always:
                    return False
        return False

    def _halt(self, reason: str, fatal: bool = False, interrupted: bool = False) -> None:
        with self._lock:
            if self.result.stopped is None:
                self.result.stopped = reason
                self.result.fatal = fatal
                self.result.interrupted = interrupted
        self.stop.set()

    def _count(self, name: str, progress: bool = True) -> None:
        with self._lock:
            setattr(self.result, name, getattr(self.result, name) + 1)
        if progress:
            self.progress(1)

    def _work(self) -> None:
        transport = self.transport()
        accepted: int | None = None  # accepted by the server; its `sent` is written with the next `sending`
        try:
            while not self.stop.is_set():
                item = self._queue.get()
                if item is None:
                    return
                try:
                    accepted = self._deliver(transport, item, accepted)
                except sqlite3.Error as exc:  # the ledger cannot be written: nothing more may be sent
                    accepted = None  # its row stays `sending`: reported as unknown
                    self._halt(f"cannot write the delivery ledger: {exc}")
                except Exception as exc:
                    self._halt(f"{type(exc).__name__}: {exc}")
        finally:
            if accepted is not None:
                try:
                    self.ledger.advance(self.edition, accepted, None)
                except sqlite3.Error as exc:
                    self._halt(f"cannot write the delivery ledger: {exc}")
            transport.close()

    def _deliver(self, transport: SmtpTransport, delivery: Delivery, accepted: int | None) -> int | None:
        """Send one delivery; return its id if the server accepted it (its `sent` not yet written)."""
        ledger, edition, who = self.ledger, self.edition, delivery.subscriber_id
        if accepted is not None and not delivery.active:
            ledger.advance(edition, accepted, None)
            accepted = None
        if not delivery.active:  # unsubscribed (or bounced) since the edition began
            ledger.mark(edition, who, "skipped")
            self._count("skipped")
            return None
        message = self.build(delivery)
        attempt = 0
        while True:
            self._limiter.wait(self.stop)
            if self.stop.is_set():
                if accepted is not None:
                    ledger.advance(edition, accepted, None)
                return None  # still pending: the next run sends it
            ledger.advance(edition, accepted, who)
            accepted = None
            try:
                transport.send(self.sender, delivery.email, message, crlf=True)
            except TemporaryFailure as exc:
                ledger.mark(edition, who, "pending", str(exc))
                attempt += 1
                if attempt > self.settings.retries:
                    if exc.code is None:
                        self._halt(f"the SMTP server could not be reached: {exc}")
                        return None
                    ledger.mark(edition, who, "deferred")
                    self._count("deferred")
                    return None
                self._count("retried", progress=False)
                delay = min(self.settings.retry_delay * 2 ** (attempt - 1), MAX_DELAY)
                if self.stop.wait(delay):
                    return None
                continue
            except PermanentFailure as exc:
                if exc.user_unknown:
                    ledger.bounced(edition, who, str(exc))
                    self._count("bounced", progress=False)
                else:
                    ledger.mark(edition, who, "failed", str(exc))
                self._count("failed")
                return None
            except FatalFailure as exc:
                ledger.mark(edition, who, "pending")
                self._halt(str(exc), fatal=True)
                return None
            self._count("sent")
            if transport.sent_on_connection >= self.settings.messages_per_connection:
                transport.close()
            return who
