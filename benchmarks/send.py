"""Benchmark `publisher send`: N subscribers, one post, a local SMTP sink.

It builds the bundled sample publication, puts N subscribers in a fresh subscriber database,
and runs `publisher send SLUG --yes` as a subprocess against a fast SMTP sink on 127.0.0.1 in
another process. It reports the messages per second the sink received (first to last message),
the whole command's time, the sender's peak memory (its maximum RSS) and the ledger's size.
As a reference measured in the same run, plain `smtplib` threads send one prepared message
over the same number of connections with no ledger and no personalisation: the ratio says what
exactly-once and per-recipient messages cost, and holds on a noisy machine where rates do not.

    python benchmarks/send.py                          # 10,000 subscribers
    python benchmarks/send.py --subscribers 10000 --subscribers 100000
"""

from __future__ import annotations

import argparse
import os
import shutil
import smtplib
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/send.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.report import machine
from benchmarks.smtp_sink import Sink

REPO = Path(__file__).resolve().parent.parent
SLUG = "the-permit-bottleneck"
SECRET = "benchmark secret, not for real use"
TARGET_RATE = 800.0  # messages per second to a loopback sink, on the project's 2-core machine


@dataclass
class Measure:
    subscribers: int
    rate: float  # messages per second at the sink
    seconds: float  # the whole `publisher send` command
    peak_mb: float  # the sender's maximum resident memory
    ledger_bytes: int  # the database's growth during the send
    reference_rate: float

    @property
    def ratio(self) -> float:
        return self.rate / self.reference_rate if self.reference_rate else 0.0


def prepare(work: Path, connections: int, rate: float | None, dkim: bool = False) -> Path:
    """The sample publication, built, with [subscriptions] and [delivery] for the benchmark."""
    from publisher.build import BuildOptions, build

    root = work / "pub"
    root.mkdir(parents=True)
    shutil.copytree(REPO / "posts", root / "posts")
    config = (REPO / "publication.toml").read_text(encoding="utf-8")
    config += '\n[subscriptions]\nurl = "https://subscribe.civicledger.example"\n'
    config += f"\n[delivery]\nconnections = {connections}\nmessages_per_connection = 1000\n"
    if rate:
        config += f"rate = {rate}\n"
    if dkim:
        config += 'dkim_selector = "bench"\n'
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

        private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = private.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption())
        (work / "dkim.pem").write_bytes(pem)
    (root / "publication.toml").write_text(config, encoding="utf-8")
    build(BuildOptions(root=root, out=root / "build"))
    return root


def fill(root: Path, count: int) -> Path:
    """A fresh database with `count` active subscribers, inserted in one transaction."""
    from publisher.subscribers.store import SubscriberStore, timestamp

    data = root / ".publisher"
    shutil.rmtree(data, ignore_errors=True)
    with SubscriberStore.open(data) as store, store.transaction() as db:
        now = timestamp()
        db.executemany(
            "INSERT INTO subscribers (email, email_key, name, status, created_at, confirmed_at, updated_at,"
            " source) VALUES (?, ?, ?, 'active', ?, ?, ?, 'benchmark')",
            (
                (f"reader{n}@example.org", f"reader{n}@example.org", f"Reader {n}", now, now, now)
                for n in range(count)
            ),
        )
    return data / "subscribers.sqlite3"


def database_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.parent.glob(path.name + "*"))


def run_send(root: Path, sink: Sink) -> tuple[float, float, str]:
    """Run `publisher send` as a subprocess; its wall time, peak RSS in MB and summary line."""
    env = {**os.environ, "PUBLISHER_SMTP_URL": sink.url, "PUBLISHER_SECRET": SECRET, "CI": "true"}
    env.pop("PUBLISHER_DKIM_KEY", None)
    key = root.parent / "dkim.pem"
    if key.exists():
        env["PUBLISHER_DKIM_KEY"] = key.read_text(encoding="ascii")
    command = [sys.executable, "-m", "publisher", "send", SLUG, "--root", str(root), "--yes", "--quiet"]
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=REPO)
    _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    out = process.stdout.read().decode() if process.stdout else ""
    err = process.stderr.read().decode() if process.stderr else ""
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"publisher send failed:\n{out}{err}")
    return seconds, usage.ru_maxrss / 1024, out.strip()


def reference(sink: Sink, message: bytes, count: int, connections: int) -> float:
    """Plain smtplib threads, one prepared message, no ledger: messages per second at the sink."""
    sink.stats(reset=True)
    share = [count // connections + (1 if n < count % connections else 0) for n in range(connections)]

    def work(n: int) -> None:
        with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
            for _ in range(n):
                smtp.sendmail("newsletter@civicledger.example", ["reader@example.org"], message)

    threads = [threading.Thread(target=work, args=(n,)) for n in share]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sink.stats().rate


def measure(root: Path, sink: Sink, count: int, connections: int) -> Measure:
    database = fill(root, count)
    before = database_size(database)
    sink.stats(reset=True)
    seconds, peak, summary = run_send(root, sink)
    stats = sink.stats()
    print(f"  {summary}", file=sys.stderr, flush=True)
    if stats.messages != count:
        raise SystemExit(f"the sink received {stats.messages:,} messages, not {count:,}")
    message = (root / "build" / "email" / f"{SLUG}.eml").read_bytes()
    reference_rate = reference(sink, message, min(count, 10_000), connections)
    return Measure(count, stats.rate, seconds, peak, database_size(database) - before, reference_rate)


def table(measures: list[Measure]) -> str:
    lines = [
        "| subscribers | messages/s | reference (smtplib) msg/s | publisher/reference | `publisher send` (s) "
        "| peak memory (MB) | ledger growth (bytes/delivery) | target | result |",
        "|---:|---:|---:|---:|---:|---:|---:|---|---|",
    ]
    for m in measures:
        verdict = "PASS" if m.rate >= TARGET_RATE else "FAIL"
        cells = [
            f"{m.subscribers:,}",
            f"{m.rate:,.0f}",
            f"{m.reference_rate:,.0f}",
            f"{m.ratio:.2f}",
            f"{m.seconds:.1f}",
            f"{m.peak_mb:.0f}",
            f"{m.ledger_bytes / m.subscribers:.0f}",
            f"≥ {TARGET_RATE:.0f} msg/s",
            verdict,
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--subscribers", type=int, action="append", help="subscribers to send to (repeatable; default 10000)"
    )
    parser.add_argument("--connections", type=int, default=4, help="parallel SMTP connections (default 4)")
    parser.add_argument("--rate", type=float, default=None, help="[delivery] rate, messages per second")
    parser.add_argument("--dkim", action="store_true", help="sign every message with a generated DKIM key")
    parser.add_argument("--workdir", type=Path, help="work here and keep it (default: a temporary folder)")
    args = parser.parse_args(argv)
    sizes = args.subscribers or [10_000]
    if min(sizes) < 1 or args.connections < 1:
        parser.error("--subscribers and --connections must be at least 1")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="publisher-send-bench-") as temp:
        work = args.workdir or Path(temp)
        if args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        print(f"Building the sample publication in {work}", file=sys.stderr, flush=True)
        root = prepare(work, args.connections, args.rate, args.dkim)
        sink = Sink()
        try:
            measures = []
            for count in sizes:
                print(f"Sending to {count:,} subscribers", file=sys.stderr, flush=True)
                measures.append(measure(root, sink, count, args.connections))
        finally:
            sink.stop()
    about = machine()
    command = " ".join(["python", "benchmarks/send.py", *(sys.argv[1:] if argv is None else argv)])
    signed = ", DKIM-signed" if args.dkim else ""
    print(
        f"`{command}` on {about['cores']} cores ({about['cpu']}, Python {about['python']}), "
        f"{args.connections} connections{signed}; the whole benchmark took "
        f"{time.perf_counter() - started:.0f} s:\n"
    )
    print(table(measures))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
