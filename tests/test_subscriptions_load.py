"""The subscription service under load: 2,000 RFC 8058 one-click POSTs from 50 concurrent clients
against the real `publisher subscriptions serve` on 127.0.0.1. Every one must be answered 200 and
every subscriber end up unsubscribed; nothing lost. Bounded in time, not timed: the figures are
the benchmark's (benchmarks/unsubscribe_load.py) and go in the README."""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

from conftest import REPO

from publisher.subscribers.store import SubscriberStore

sys.path.insert(0, str(REPO))  # the benchmarks are a folder of scripts, not an installed package
from benchmarks.unsubscribe_load import make_publication, one_click_load, running_service

REQUESTS = 2000
CLIENTS = 50
BOUND = 120.0  # seconds: a hung server fails the test instead of the suite


def test_two_thousand_one_click_unsubscribes_from_fifty_clients(tmp_path: Path) -> None:
    root = tmp_path / "pub"
    paths = make_publication(root, REQUESTS)
    with running_service(root) as port:
        result = one_click_load(port, paths, CLIENTS, timeout=BOUND)
        replayed = one_click_load(port, paths[:100], 10, timeout=BOUND)  # idempotent under load too
    assert result.errors == []
    assert result.statuses == Counter({200: REQUESTS})
    assert result.seconds < BOUND
    assert replayed.statuses == Counter({200: 100})
    with SubscriberStore.open(root / ".publisher") as store:
        assert store.counts()["unsubscribed"] == REQUESTS
        assert store.count(status="active") == 0
    print(f"\n{result.table()}")
