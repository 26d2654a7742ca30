"""Run independent render tasks on every core, results in input order.

Workers are forked, so they start with the parent's resolved publication,
template environment and renderers already in memory; only a task's index
goes to a worker and only its result comes back. Results arrive in input
order, so a parallel build writes exactly what a serial one does.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections.abc import Callable, Iterator, Sequence
from typing import TypeVar

T = TypeVar("T")
MIN_PARALLEL_TASKS = 24  # below this, starting workers costs more than it saves

_tasks: Sequence[Callable[[], object]] = ()


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def _worker_start() -> None:
    """Workers die on SIGTERM: `Pool` stops them with it, and a handler inherited from the
    parent (`serve` and `send` install one to stop cleanly) would keep a worker alive."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(index: int) -> object:
    return _tasks[index]()


def run_in_order(tasks: Sequence[Callable[[], T]], jobs: int) -> Iterator[T]:
    """Yield each task's result, in order; in worker processes when it pays."""
    global _tasks
    if jobs <= 1 or len(tasks) < MIN_PARALLEL_TASKS or "fork" not in multiprocessing.get_all_start_methods():
        for task in tasks:
            yield task()
        return
    _tasks = tasks
    try:
        context = multiprocessing.get_context("fork")
        chunk = max(1, min(16, len(tasks) // (jobs * 8)))
        gc.freeze()  # the parent's objects to a permanent generation: no collection in a worker
        # touches (and so copies) the pages they share with the parent
        try:
            with context.Pool(jobs, initializer=_worker_start) as pool:
                yield from pool.imap(_run, range(len(tasks)), chunksize=chunk)  # type: ignore[misc]
        finally:
            gc.unfreeze()
    finally:
        _tasks = ()
