"""The sending benchmark must keep running, or it rots; no timings are asserted here."""

from __future__ import annotations

import re
import sys

import pytest
from conftest import REPO

sys.path.insert(0, str(REPO))  # the benchmark is a folder of scripts, not an installed package
from benchmarks import send
from benchmarks.smtp_sink import Sink


def test_the_benchmark_sends_to_every_subscriber_and_prints_its_table(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert send.main(["--subscribers", "40", "--connections", "2"]) == 0
    table = capsys.readouterr().out.splitlines()
    assert table[0].startswith("`python benchmarks/send.py --subscribers 40 --connections 2` on ")
    assert table[2].startswith("| subscribers | messages/s | reference (smtplib) msg/s |")
    assert re.match(
        r"^\| 40 \| [\d,]+ \| [\d,]+ \| [\d.]+ \| [\d.]+ \| \d+ \| \d+ \| ≥ 800 msg/s \| (PASS|FAIL) \|$",
        table[4],
    )


def test_the_sink_counts_what_it_accepts() -> None:
    import smtplib

    sink = Sink()
    try:
        with smtplib.SMTP("127.0.0.1", sink.port) as smtp:
            smtp.ehlo()
            assert smtp.has_extn("pipelining")
            for n in range(3):
                smtp.sendmail("a@example.org", ["b@example.org"], f"Subject: {n}\r\n\r\n.leading dot\r\n")
        stats = sink.stats()
    finally:
        sink.stop()
    assert stats.messages == 3
