"""`publisher send` when things go wrong: the server refuses, drops, restarts; the sender dies.

After every scenario each subscriber holds exactly one copy, except deliveries the sender reports
as unknown (in flight when it died), which hold at most one; nobody is missed.
"""

from __future__ import annotations

import os
import random
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sending import SECRET, SLUG, Sending
from smtp_server import SmtpServer

from publisher.delivery.ledger import Ledger

SUMMARY = r"Sent {sent} of {total} to analyses subscribers in \d+ s"


@pytest.fixture
def server() -> Iterator[SmtpServer]:
    smtp = SmtpServer()
    smtp.start()
    yield smtp
    smtp.stop()


@pytest.fixture
def env(server: SmtpServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PUBLISHER_SMTP_URL", server.url)
    monkeypatch.setenv("PUBLISHER_SECRET", SECRET)
    monkeypatch.delenv("PUBLISHER_DKIM_KEY", raising=False)


def make(tmp_path: Path, sample_out: Path, server: SmtpServer, **delivery: object) -> Sending:
    return Sending(tmp_path / "pub", sample_out, server, **delivery)


def everyone_once(sending: Sending, count: int) -> None:
    assert sending.copies() == {f"reader{n}@example.org": 1 for n in range(count)}


@pytest.mark.usefixtures("env")
def test_421_451_and_connections_cut_in_data_are_retried_until_accepted(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server)
    sending.add(8)
    server.recorder.faults.temporary = 3
    server.recorder.faults.closing = 2
    server.recorder.faults.drop_in_data = 2
    result = sending.send("--yes")
    assert result.exit_code == 0, result.output
    assert re.fullmatch(SUMMARY.format(sent=8, total=8) + "\n", result.stdout)
    everyone_once(sending, 8)


@pytest.mark.usefixtures("env")
def test_unknown_users_fail_bounce_and_are_listed_in_status(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server)
    sending.add(5)
    server.recorder.faults.unknown_users = {"reader1@example.org", "reader3@example.org"}
    result = sending.send("--yes")
    assert result.exit_code == 3
    assert re.fullmatch(
        SUMMARY.format(sent=3, total=5) + rf": 2 failed \(see publisher send {SLUG} --status\)\n",
        result.stdout,
    )
    assert sending.copies() == {f"reader{n}@example.org": 1 for n in (0, 2, 4)}
    assert {s.email for s in sending.store.all(status="bounced")} == {
        "reader1@example.org",
        "reader3@example.org",
    }
    status = sending.send("--status").stdout.splitlines()
    assert status[1] == "  3 sent, 2 failed, 0 pending, 0 unknown, 0 skipped"
    assert status[2:] == [
        "  failed: reader1@example.org: RCPT TO: 550 5.1.1 <reader1@example.org>: "
        "Recipient address rejected: User unknown",
        "  failed: reader3@example.org: RCPT TO: 550 5.1.1 <reader3@example.org>: "
        "Recipient address rejected: User unknown",
    ]
    again = sending.send("--yes")
    assert again.stdout == f"Nothing to send: edition 1 of {SLUG} went to 3 of 5 subscribers.\n"


@pytest.mark.usefixtures("env")
def test_when_retries_run_out_the_next_run_sends_the_rest(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server, retries=1, connections=1)
    sending.add(4)
    server.recorder.faults.temporary = 6  # two attempts each for the first three recipients
    first = sending.send("--yes")
    assert first.exit_code == 3
    assert re.fullmatch(
        SUMMARY.format(sent=1, total=4) + rf": 3 not sent yet \(see publisher send {SLUG} --status\)\n",
        first.stdout,
    )
    assert "deferred: reader0@example.org: end of DATA: 451 4.3.0" in sending.send("--status").stdout
    second = sending.send("--yes")
    assert second.exit_code == 0
    assert re.fullmatch(SUMMARY.format(sent=4, total=4) + "\n", second.stdout)
    everyone_once(sending, 4)


@pytest.mark.usefixtures("env")
def test_a_server_restarted_in_the_middle_of_a_run(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server, rate=80)
    sending.add(40)
    results = []
    worker = threading.Thread(target=lambda: results.append(sending.send("--yes")))
    worker.start()
    wait_for(lambda: len(server.recorder.received) >= 12)
    restarted = server.restarted()
    try:
        worker.join(60)
    finally:
        restarted.stop()
    assert results[0].exit_code == 0, results[0].output
    everyone_once(sending, 40)


@pytest.mark.usefixtures("env")
@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_a_refused_login_or_wrong_tls_stops_before_anything_is_sent(
    tmp_path: Path, sample_out: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*_: object) -> AuthResult:
        return AuthResult(success=False, handled=False)

    locked = SmtpServer(auth_required=True, auth_require_tls=False, authenticator=refuse)
    locked.start()
    try:
        sending = make(tmp_path, sample_out, locked)
        sending.add(3)
        monkeypatch.setenv("PUBLISHER_SMTP_URL", f"smtp://news@127.0.0.1:{locked.port}?starttls=off")
        monkeypatch.setenv("PUBLISHER_SMTP_PASSWORD", "wrong")
        refused = sending.send("--yes")
        assert (refused.exit_code, refused.stdout) == (4, "")
        assert refused.stderr == (
            f"Stopped: 127.0.0.1:{locked.port} refused the login for 'news': "
            "535 5.7.8 Authentication credentials invalid; nothing was sent.\n"
        )
        monkeypatch.setenv("PUBLISHER_SMTP_URL", f"smtps://127.0.0.1:{locked.port}")
        tls = sending.send("--yes")
        assert tls.exit_code == 4
        assert tls.stderr.startswith(f"Stopped: TLS with 127.0.0.1:{locked.port} failed: ")
        assert locked.recorder.received == []
        assert sending.send("--status").stdout == f"{SLUG} has not been sent.\n"
    finally:
        locked.stop()


@pytest.mark.usefixtures("env")
def test_no_server_at_all(
    tmp_path: Path, sample_out: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sending = make(tmp_path, sample_out, server)
    sending.add(2)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("PUBLISHER_SMTP_URL", f"smtp://127.0.0.1:{port}?starttls=off")
    result = sending.send("--yes")
    assert (result.exit_code, result.stderr) == (
        3,
        f"Stopped: cannot connect to 127.0.0.1:{port}: Connection refused; nothing was sent.\n",
    )


@pytest.mark.usefixtures("env")
def test_a_ledger_that_cannot_be_written_stops_the_run_and_nobody_gets_two(
    tmp_path: Path, sample_out: Path, server: SmtpServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    sending = make(tmp_path, sample_out, server, connections=1)
    sending.add(6)
    original = Ledger.advance
    writes = {"sent": 0}

    def disk_fills_up(self: Ledger, edition, sent: int | None, sending: int | None) -> None:  # type: ignore[no-untyped-def]
        if sent is not None:
            writes["sent"] += 1
            if writes["sent"] == 3:
                raise sqlite3.OperationalError("database or disk is full")
        original(self, edition, sent, sending)

    monkeypatch.setattr(Ledger, "advance", disk_fills_up)
    first = sending.send("--yes")
    assert first.exit_code == 3
    assert first.stderr == "Stopped: cannot write the delivery ledger: database or disk is full\n"
    assert re.fullmatch(
        SUMMARY.format(sent=2, total=6)
        + rf": 3 not sent yet, 1 unknown \(see publisher send {SLUG} --status\)\n",
        first.stdout,
    )
    monkeypatch.setattr(Ledger, "advance", original)
    second = sending.send("--yes")
    assert second.exit_code == 3
    assert re.fullmatch(
        SUMMARY.format(sent=5, total=6) + rf": 1 unknown \(see publisher send {SLUG} --status\)\n",
        second.stdout,
    )
    everyone_once(sending, 6)  # the unknown one had in fact been accepted: it is not sent again
    assert "  unknown: reader2@example.org" in sending.send("--status").stdout.splitlines()
    resent = sending.send("--yes", "--resend-unknown")
    assert re.fullmatch(SUMMARY.format(sent=6, total=6) + "\n", resent.stdout)
    assert sending.copies()["reader2@example.org"] == 2  # only when asked


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    temporary=st.integers(0, 4),
    closing=st.integers(0, 3),
    drops=st.integers(0, 3),
    unknown=st.sets(st.integers(0, 9), max_size=3),
)
@pytest.mark.usefixtures("env")
def test_any_mix_of_faults_delivers_exactly_once(
    tmp_path_factory: pytest.TempPathFactory,
    sample_out: Path,
    server: SmtpServer,
    temporary: int,
    closing: int,
    drops: int,
    unknown: set[int],
) -> None:
    sending = make(tmp_path_factory.mktemp("faults"), sample_out, server)
    sending.add(10)
    server.recorder.received.clear()
    faults = server.recorder.faults
    faults.temporary, faults.closing, faults.drop_in_data = temporary, closing, drops
    faults.unknown_users = {f"reader{n}@example.org" for n in unknown}
    result = sending.send("--yes")
    assert result.exit_code == (3 if unknown else 0)
    assert sending.copies() == {f"reader{n}@example.org": 1 for n in range(10) if n not in unknown}


def test_a_sender_killed_at_random_moments_and_run_again(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server, rate=150)
    total = 120
    sending.add(total)
    server.recorder.faults.delay = 0.004  # widen the window a message is in flight
    env = {
        **os.environ,
        "PUBLISHER_SMTP_URL": server.url,
        "PUBLISHER_SECRET": SECRET,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    command = [
        sys.executable,
        "-m",
        "publisher",
        "send",
        SLUG,
        "--root",
        str(sending.root),
        "--yes",
        "--quiet",
    ]
    chance = random.Random(20260317)
    target = 0
    for _ in range(3):
        target += chance.randint(8, 30)
        process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        wait_for(lambda t=target, p=process: len(server.recorder.received) >= t or p.poll() is not None, 90)
        time.sleep(chance.random() * 0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
    final = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    with sqlite3.connect(sending.store.path) as db:
        unknown = {
            row[0]
            for row in db.execute(
                "SELECT s.email FROM deliveries d JOIN subscribers s ON s.id = d.subscriber_id"
                " WHERE d.status = 'unknown'"
            )
        }
        pending = db.execute(
            "SELECT count(*) FROM deliveries WHERE status IN ('pending', 'sending')"
        ).fetchone()[0]
    assert pending == 0, final.stderr
    assert len(unknown) <= 3 * 2  # at most one in flight per connection per kill
    copies = sending.copies()
    assert max(copies.values()) == 1
    missed = {f"reader{n}@example.org" for n in range(total)} - set(copies)
    assert missed <= unknown
    expected_code = 3 if unknown else 0
    assert final.returncode == expected_code, final.stderr


def wait_for(condition, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.005)


def test_sigterm_stops_after_the_messages_in_flight(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server, rate=100)
    sending.add(200)
    env = {
        **os.environ,
        "PUBLISHER_SMTP_URL": server.url,
        "PUBLISHER_SECRET": SECRET,
        "PYTHONPATH": str(Path(__file__).resolve().parent.parent),
    }
    command = [
        sys.executable,
        "-m",
        "publisher",
        "send",
        SLUG,
        "--root",
        str(sending.root),
        "--yes",
        "--quiet",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wait_for(lambda: len(server.recorder.received) >= 20 or process.poll() is not None, 90)
    process.terminate()
    out, err = process.communicate(timeout=60)
    assert process.returncode == 3, err
    assert err == "Stopped: interrupted\n"
    match = re.fullmatch(
        r"Sent (\d+) of 200 to analyses subscribers in \d+ s: "
        rf"(\d+) not sent yet \(see publisher send {SLUG} --status\)\n",
        out,
    )
    assert match, out
    sent, pending = int(match[1]), int(match[2])
    assert sent + pending == 200
    assert sent == len(server.recorder.received)  # nothing in flight was left unknown
    assert max(sending.copies().values()) == 1


@pytest.mark.usefixtures("env")
def test_a_new_edition_replaces_what_the_unfinished_one_had_left(
    tmp_path: Path, sample_out: Path, server: SmtpServer
) -> None:
    sending = make(tmp_path, sample_out, server, retries=0, connections=1)
    sending.add(3)
    server.recorder.faults.temporary = 2  # the first two are deferred
    assert sending.send("--yes").exit_code == 3
    assert sending.copies() == {"reader2@example.org": 1}
    again = sending.send("--yes", "--again")
    assert again.exit_code == 0
    assert sending.copies() == {"reader0@example.org": 1, "reader1@example.org": 1, "reader2@example.org": 2}
    status = sending.send("--status").stdout.splitlines()
    assert status[1] == "  1 sent, 0 failed, 0 pending, 0 unknown, 2 skipped"
    assert status[3] == "  3 sent, 0 failed, 0 pending, 0 unknown, 0 skipped"
