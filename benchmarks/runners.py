"""Run each build as a subprocess and measure wall time, CPU seconds and peak memory."""

from __future__ import annotations

import contextlib
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from benchmarks.convert import to_hugo, to_pelican
from benchmarks.generator import generate


@dataclass
class Run:
    """One timed build: wall seconds, CPU seconds (user + system, all threads and waited-for
    children: steadier than wall time on a busy machine) and memory in MB: the peak of the
    process tree's summed RSS (`peak_mb`, which counts pages shared by forked workers once per
    process), of its summed PSS (`peak_pss_mb`, which counts a shared page once, divided among
    the processes sharing it) and the largest single process's RSS (`peak_single_mb`)."""

    seconds: float
    cpu_seconds: float
    peak_mb: float
    peak_pss_mb: float = 0.0
    peak_single_mb: float = 0.0


@dataclass
class Measure:
    """Repeated runs of one build, summarised by their medians."""

    runs: list[Run] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        return statistics.median(r.seconds for r in self.runs)

    @property
    def cpu_seconds(self) -> float:
        return statistics.median(r.cpu_seconds for r in self.runs)

    @property
    def peak_mb(self) -> float:
        return statistics.median(r.peak_mb for r in self.runs)

    @property
    def peak_pss_mb(self) -> float:
        return statistics.median(r.peak_pss_mb for r in self.runs)

    @property
    def peak_single_mb(self) -> float:
        return statistics.median(r.peak_single_mb for r in self.runs)

    def as_json(self) -> dict[str, Any]:
        return {
            "median_seconds": self.seconds,
            "median_cpu_seconds": self.cpu_seconds,
            "median_peak_mb": self.peak_mb,
            "median_peak_pss_mb": self.peak_pss_mb,
            "median_peak_single_mb": self.peak_single_mb,
            "runs": [asdict(r) for r in self.runs],
        }


def pss_bytes(pid: int) -> int | None:
    """The process's proportional set size from /proc/<pid>/smaps_rollup (Linux 4.14+), or None."""
    try:
        with open(f"/proc/{pid}/smaps_rollup", "rb") as rollup:
            for line in rollup:
                if line.startswith(b"Pss:"):
                    return int(line.split()[1]) * 1024
    except (OSError, ValueError, IndexError):
        return None
    return None


def timed(command: Sequence[str], cwd: Path | None = None) -> Run:
    """Run `command`, polling its process tree's RSS and PSS every 10 ms; raise if it fails.

    The polled peak can miss a spike shorter than the interval, so it is
    combined with the kernel's exact peak of the largest single process
    (`wait4`'s ru_maxrss), which is all of it for a one-process build.
    """
    import psutil

    with tempfile.TemporaryFile() as log:
        started = time.perf_counter()
        proc = subprocess.Popen(command, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        peak = peak_pss = peak_single = 0
        done = threading.Event()

        def poll() -> None:
            # Finding the children scans every process (milliseconds), so it runs every
            # 10th poll; reading a known process's RSS is cheap and runs every 10 ms.
            nonlocal peak, peak_pss, peak_single
            try:
                root = psutil.Process(proc.pid)
            except psutil.Error:
                return
            members, tick = [root], 0
            while not done.is_set():
                if tick % 10 == 0:
                    with contextlib.suppress(psutil.Error):
                        members = [root, *root.children(recursive=True)]
                total = total_pss = 0
                for member in members:
                    with contextlib.suppress(psutil.Error):
                        rss = member.memory_info().rss
                        total += rss
                        peak_single = max(peak_single, rss)
                        pss = pss_bytes(member.pid)
                        total_pss += rss if pss is None else pss
                peak, peak_pss, tick = max(peak, total), max(peak_pss, total_pss), tick + 1
                done.wait(0.01)

        poller = threading.Thread(target=poll, daemon=True)
        poller.start()
        if hasattr(os, "wait4"):
            _, status, usage = os.wait4(proc.pid, 0)
            proc.returncode = os.waitstatus_to_exitcode(status)
            single_peak = usage.ru_maxrss * (1 if sys.platform == "darwin" else 1024)
            cpu = usage.ru_utime + usage.ru_stime
        else:  # pragma: no cover (Windows)
            proc.wait()
            single_peak, cpu = 0, 0.0
        seconds = time.perf_counter() - started
        done.set()
        poller.join()
        if proc.returncode != 0:
            log.seek(0)
            output = log.read().decode("utf-8", "replace")[-3000:]
            raise RuntimeError(f"{' '.join(map(str, command))} exited {proc.returncode}:\n{output}")
    mb = 1_000_000
    return Run(
        seconds,
        cpu,
        max(peak, single_peak) / mb,
        (peak_pss or single_peak) / mb,  # a build too short to poll: its one process's peak
        max(peak_single, single_peak) / mb,
    )


def count_post_pages(site: Path) -> int:
    return sum(1 for _ in site.glob("p/*/index.html"))


SEARCH_OFF = "\n[search]\nenabled = false\n"


class Bench:
    """The three tools' builds of one generated publication, under a work folder.

    With `search_cost`, publisher also builds a copy of the publication with search turned off,
    so the report can say what the search index adds.
    """

    def __init__(
        self,
        work: Path,
        posts: int,
        seed: int,
        use_pelican: bool,
        use_hugo: bool,
        shape: str = "mixed",
        search_cost: bool = True,
    ) -> None:
        self.work = work
        self.posts = posts
        self.pub = work / "publisher"
        self.files = generate(self.pub, posts, seed, shape)
        self.plain: Path | None = None
        if search_cost:
            self.plain = work / "publisher-no-search"
            shutil.copytree(self.pub, self.plain)
            with (self.plain / "publication.toml").open("a", encoding="utf-8") as config:
                config.write(SEARCH_OFF)
        self.pelican = to_pelican(self.pub, work / "pelican") if use_pelican else None
        self.hugo = to_hugo(self.pub, work / "hugo") if use_hugo else None
        self.out = work / "out"

    def publisher(self, search: bool = True) -> Run:
        root, name = (self.pub, "publisher") if search else (self.plain, "publisher-no-search")
        assert root is not None
        command = [sys.executable, "-m", "publisher", "build", "--root", str(root), "--out"]
        run = timed([*command, str(self.out / name)])
        self.check("publisher", self.out / name / "site")
        return run

    def publisher_cold(self, search: bool = True) -> Run:
        shutil.rmtree(self.out / ("publisher" if search else "publisher-no-search"), ignore_errors=True)
        return self.publisher(search)  # the cache went with the output folder

    def edit_one_post(self, number: int) -> None:
        """Append a sentence to the middle post, as an author fixing a typo would (in both copies)."""
        middle = self.files[len(self.files) // 2]
        copies = [middle] + ([self.plain / middle.relative_to(self.pub)] if self.plain else [])
        for post in copies:
            with post.open("a", encoding="utf-8") as file:
                file.write(f"\nEdited for the benchmark, pass {number}: one more sentence at the end.\n")

    def search_index(self) -> tuple[int, int]:
        """Files and bytes of the search index of the last build with search."""
        files = [p for p in (self.out / "publisher" / "site" / "search").rglob("*") if p.is_file()]
        return len(files), sum(p.stat().st_size for p in files)

    def publisher_restored(self, number: int, search: bool = True) -> Run:
        """CI's case: a fresh checkout at another path (every file newly written, so no mtime
        matches) with the last build's `build/` restored from a cache, and one post changed."""
        root, name = (self.pub, "publisher") if search else (self.plain, "publisher-no-search")
        assert root is not None
        restored = self.work / ("restored" if search else "restored-no-search")
        shutil.rmtree(restored, ignore_errors=True)
        shutil.copytree(root, restored, copy_function=shutil.copy)  # new mtimes, as a checkout
        shutil.copytree(self.out / name, restored / "build", symlinks=True)
        edited = restored / self.files[len(self.files) // 3].relative_to(self.pub)
        with edited.open("a", encoding="utf-8") as file:
            file.write(f"\nEdited in a new checkout, pass {number}.\n")
        run = timed([sys.executable, "-m", "publisher", "build", "--root", str(restored)])
        self.check("publisher (restored cache)", restored / "build" / "site")
        return run

    def pelican_cold(self) -> Run:
        assert self.pelican is not None
        out = self.out / "pelican"
        shutil.rmtree(out, ignore_errors=True)
        command = [sys.executable, "-m", "pelican", "content", "-o", str(out), "-s", "pelicanconf.py"]
        run = timed(command, cwd=self.pelican)
        self.check("Pelican", out)
        return run

    def hugo_cold(self) -> Run:
        assert self.hugo is not None
        out = self.out / "hugo"
        shutil.rmtree(out, ignore_errors=True)
        hugo = shutil.which("hugo") or "hugo"
        run = timed([hugo, "--source", str(self.hugo), "--destination", str(out), "--quiet"])
        self.check("Hugo", out)
        return run

    def check(self, tool: str, site: Path) -> None:
        """Every tool must render one page per post, or the comparison is meaningless."""
        pages = count_post_pages(site)
        if pages != self.posts:
            raise RuntimeError(f"{tool} wrote {pages} post pages for {self.posts} posts, under {site}")


def progress(label: str, run: Run) -> None:
    print(
        f"  {label:<34} {run.seconds:8.2f} s {run.cpu_seconds:8.2f} s CPU {run.peak_mb:6.0f} MB RSS "
        f"{run.peak_pss_mb:6.0f} MB PSS",
        file=sys.stderr,
        flush=True,
    )


def measure(bench: Bench, runs: int) -> dict[str, dict[str, Measure]]:
    """Cold builds interleaved across tools (drift hits all alike), then publisher's rebuilds."""
    results: dict[str, dict[str, Measure]] = {"publisher": {"cold": Measure()}}
    tools: list[tuple[str, Callable[[], Run]]] = [("publisher", bench.publisher_cold)]
    if bench.pelican is not None:
        results["pelican"] = {"cold": Measure()}
        tools.append(("pelican", bench.pelican_cold))
    if bench.hugo is not None:
        results["hugo"] = {"cold": Measure()}
        tools.append(("hugo", bench.hugo_cold))
    if bench.plain is not None:
        results["publisher"]["cold_no_search"] = Measure()
    for number in range(1, runs + 1):
        for name, build in tools:
            run = build()
            results[name]["cold"].runs.append(run)
            progress(f"{name} cold {number}/{runs}", run)
        if bench.plain is not None:
            run = bench.publisher_cold(search=False)
            results["publisher"]["cold_no_search"].runs.append(run)
            progress(f"publisher cold, no search {number}/{runs}", run)
    results["publisher"]["no_change"] = Measure()
    for number in range(1, runs + 1):
        run = bench.publisher()
        results["publisher"]["no_change"].runs.append(run)
        progress(f"publisher no-change {number}/{runs}", run)
    results["publisher"]["one_edit"] = Measure()
    if bench.plain is not None:
        results["publisher"]["one_edit_no_search"] = Measure()
    for number in range(1, runs + 1):
        bench.edit_one_post(number)
        run = bench.publisher()
        results["publisher"]["one_edit"].runs.append(run)
        progress(f"publisher one-post edit {number}/{runs}", run)
        if bench.plain is not None:
            run = bench.publisher(search=False)
            results["publisher"]["one_edit_no_search"].runs.append(run)
            progress(f"publisher one-post edit, no search {number}/{runs}", run)
    results["publisher"]["restored"] = Measure()
    if bench.plain is not None:
        results["publisher"]["restored_no_search"] = Measure()
    for number in range(1, runs + 1):
        run = bench.publisher_restored(number)
        results["publisher"]["restored"].runs.append(run)
        progress(f"publisher restored cache {number}/{runs}", run)
        if bench.plain is not None:
            run = bench.publisher_restored(number, search=False)
            results["publisher"]["restored_no_search"].runs.append(run)
            progress(f"publisher restored cache, no search {number}/{runs}", run)
    return results


# --- reporting -------------------------------------------------------------------------------------
