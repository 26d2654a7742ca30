"""Load on the subscription service: RFC 8058 one-click unsubscribes from many concurrent clients.

Creates a publication with N active subscribers in a temporary folder, starts the real
`publisher subscriptions serve --port 0` (uvicorn) on 127.0.0.1, and sends one
`List-Unsubscribe=One-Click` POST per subscriber from C client threads, each on its own
keep-alive connection, as a mail provider's unsubscribe workers would. Then it checks that every
request was answered 200 and every subscriber is unsubscribed, and prints requests per second
and latency percentiles.

    .venv/bin/python benchmarks/unsubscribe_load.py --requests 2000 --clients 50
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from publisher.subscribers.store import SubscriberStore
from publisher.subscribers.tokens import make_token

REPO = Path(__file__).resolve().parent.parent
SECRET = "benchmark-secret-of-enough-length"
BODY = b"List-Unsubscribe=One-Click"
SERVING = re.compile(r"on http://127\.0\.0\.1:(\d+)/")


@dataclass
class LoadResult:
    requests: int
    clients: int
    seconds: float
    statuses: Counter[int]
    latencies: list[float]  # seconds, one per answered request
    errors: list[str]

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        """Latency at percentile `p` (0-100), in milliseconds."""
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        index = min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))
        return ordered[index] * 1000

    def table(self) -> str:
        rows = [
            ("requests", f"{self.requests:,}"),
            ("concurrent clients", f"{self.clients}"),
            ("answered 200", f"{self.statuses.get(200, 0):,}"),
            ("wall time (s)", f"{self.seconds:.2f}"),
            ("requests per second", f"{self.per_second:,.0f}"),
            ("latency p50 (ms)", f"{self.percentile(50):.1f}"),
            ("latency p99 (ms)", f"{self.percentile(99):.1f}"),
            ("latency max (ms)", f"{max(self.latencies, default=0) * 1000:.1f}"),
        ]
        lines = ["| measure | value |", "|---|---:|"]
        return "\n".join(lines + [f"| {name} | {value} |" for name, value in rows])


def one_click_load(port: int, paths: list[str], clients: int, timeout: float = 30.0) -> LoadResult:
    """POST the one-click body to every path from `clients` threads; never raises for a failure."""
    work: queue.SimpleQueue[str] = queue.SimpleQueue()
    for path in paths:
        work.put(path)
    statuses: Counter[int] = Counter()
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Content-Length": str(len(BODY))}
    start = threading.Barrier(clients + 1)

    def client() -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        start.wait()
        while True:
            try:
                path = work.get_nowait()
            except queue.Empty:
                break
            began = time.perf_counter()
            try:
                connection.request("POST", path, body=BODY, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException) as exc:
                connection.close()
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
                with lock:
                    errors.append(f"{type(exc).__name__}: {exc}")
                continue
            elapsed = time.perf_counter() - began
            with lock:
                statuses[status] += 1
                latencies.append(elapsed)
        connection.close()

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for thread in threads:
        thread.start()
    start.wait()
    began = time.perf_counter()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    return LoadResult(len(paths), clients, seconds, statuses, latencies, errors)


def make_publication(root: Path, subscribers: int) -> list[str]:
    """A copy of the sample's settings naming a local service; returns each subscriber's path."""
    root.mkdir(parents=True, exist_ok=True)
    text = (REPO / "publication.toml").read_text(encoding="utf-8")
    text += '\n[delivery]\nsmtp_url = "smtp://127.0.0.1:1?starttls=off"\n'
    text += '\n[subscriptions]\nurl = "http://127.0.0.1:8025"\n'
    (root / "publication.toml").write_text(text, encoding="utf-8")
    with SubscriberStore.open(root / ".publisher") as store, store.transaction():
        ids = [store.add(f"reader{n}@example.org").id for n in range(subscribers)]
    return [f"/unsubscribe/{make_token(SECRET, 'unsubscribe', i)}" for i in ids]


@contextmanager
def running_service(root: Path, wait: float = 30.0) -> Iterator[int]:
    """`publisher subscriptions serve --port 0` in a subprocess; yields the port it printed."""
    env = {**os.environ, "PUBLISHER_SECRET": SECRET, "PYTHONUNBUFFERED": "1"}
    env.pop("PUBLISHER_SMTP_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "publisher", "subscriptions", "serve", "--root", str(root), "--port", "0"],
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
        env=env,
    )
    assert process.stderr is not None
    lines: list[str] = []
    port = None
    deadline = time.monotonic() + wait
    try:
        while port is None and time.monotonic() < deadline:
            line = process.stderr.readline()
            if not line:
                break
            lines.append(line)
            if match := SERVING.search(line):
                port = int(match.group(1))
        if port is None:
            raise RuntimeError("the service did not start:\n" + "".join(lines))
        drain = threading.Thread(target=lambda: [None for _ in process.stderr], daemon=True)  # type: ignore[union-attr]
        drain.start()
        _wait_until_ready(port, deadline)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _wait_until_ready(port: int, deadline: float) -> None:
    while True:
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            connection.request("GET", "/healthz")
            if connection.getresponse().status == 200:
                return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError("the service did not answer /healthz")
        time.sleep(0.05)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=2000, help="subscribers, one POST each")
    parser.add_argument("--clients", type=int, default=50, help="concurrent client connections")
    parser.add_argument("--workdir", type=Path, help="keep the publication and database here")
    args = parser.parse_args()
    folder = args.workdir or Path(tempfile.mkdtemp(prefix="publisher-load-"))
    try:
        root = folder / "pub"
        paths = make_publication(root, args.requests)
        with running_service(root) as port:
            result = one_click_load(port, paths, args.clients)
        with SubscriberStore.open(root / ".publisher") as store:
            counts = store.counts()
        print(result.table())
        print(f"\nsubscribers: {counts['unsubscribed']:,} unsubscribed, {counts['active']:,} still active")
        for error in result.errors[:10]:
            print("error:", error)
        ok = result.statuses == Counter({200: args.requests}) and counts["active"] == 0
        return 0 if ok else 1
    finally:
        if args.workdir is None:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
