"""The targets, the machine and versions, and the table the README shows."""

from __future__ import annotations

import os
import platform
import re
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from benchmarks.generator import REPO
from benchmarks.runners import Bench, Measure, progress


@dataclass
class Target:
    """One of the issue's performance targets, with the figures it was judged on."""

    name: str
    value: float
    limit: float | None  # None: the tool to compare with was not measured
    strict: bool = False  # "faster than" rather than "at most"

    @property
    def result(self) -> str:
        if self.limit is None:
            return "n/a"
        passed = self.value < self.limit if self.strict else self.value <= self.limit
        return "PASS" if passed else "FAIL"


COLD_LIMITS = {"mixed": 0.5, "lists": 0.6}  # publisher cold ≤ this × Pelican cold, per shape


def targets(results: dict[str, dict[str, Measure]], shape: str, search: bool = True) -> list[Target]:
    """The performance issue's targets for one shape, in the order the table's rows cite them.

    With `search=False`, judged on the copy built with `[search] enabled = false`: the issue's
    targets were set before the search index existed, and neither Pelican nor Hugo makes one.
    """
    pub = results["publisher"]
    suffix = "" if search else "_no_search"
    cold, one_edit, restored = (pub[kind + suffix] for kind in ("cold", "one_edit", "restored"))
    pelican = results.get("pelican", {}).get("cold")
    hugo = results.get("hugo", {}).get("cold")
    pelican_s = None if pelican is None else pelican.seconds
    limit = COLD_LIMITS.get(shape, 0.5)
    return [
        Target(f"cold ≤ {limit} × Pelican cold", cold.seconds, pelican_s and limit * pelican_s),
        Target("no-change ≤ 0.05 × Pelican cold", pub["no_change"].seconds, pelican_s and 0.05 * pelican_s),
        Target(
            "no-change < Hugo cold",
            pub["no_change"].seconds,
            None if hugo is None else hugo.seconds,
            strict=True,
        ),
        Target("one-edit ≤ 0.15 × publisher cold", one_edit.seconds, 0.15 * cold.seconds),
        Target("peak PSS ≤ Pelican peak RSS", cold.peak_pss_mb, None if pelican is None else pelican.peak_mb),
        Target(
            "cold CPU ≤ Pelican cold CPU", cold.cpu_seconds, None if pelican is None else pelican.cpu_seconds
        ),
        Target("restored ≤ 0.1 × publisher cold", restored.seconds, 0.1 * cold.seconds),
    ]


def has_no_search(results: dict[str, dict[str, Measure]]) -> bool:
    pub = results["publisher"]
    return all(kind in pub for kind in ("cold_no_search", "one_edit_no_search", "restored_no_search"))


def machine() -> dict[str, Any]:
    cpu = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        names = re.findall(r"^model name\s*:\s*(.+)$", cpuinfo.read_text(), re.M)
        cpu = names[0] if names else cpu
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "system": f"{platform.system()} {platform.release()}",
    }


def git_state() -> str:
    """The commit measured, and whether the code differed from it: figures are compared across commits."""

    def git(*args: str) -> str:
        return subprocess.run(
            ["git", "-C", str(REPO), *args], capture_output=True, text=True, check=True
        ).stdout

    try:
        commit = git("rev-parse", "--short", "HEAD").strip()
        changed = git("status", "--porcelain", "--", "publisher", "templates", "pyproject.toml").strip()
    except (OSError, subprocess.CalledProcessError):
        return ""
    return f" (git {commit}{', with uncommitted changes' if changed else ''})"


def versions(use_pelican: bool, use_hugo: bool) -> dict[str, str]:
    from importlib.metadata import version

    found = {"publisher": version("publisher") + git_state()}
    if use_pelican:
        found["pelican"] = version("pelican")
    if use_hugo:
        hugo = subprocess.run(["hugo", "version"], capture_output=True, text=True, check=False).stdout
        found["hugo"] = hugo.split()[1] if hugo.strip() else "?"
    return found


def table(
    results: dict[str, dict[str, Measure]], checks: list[Target], plain: list[Target] | None = None
) -> str:
    """The Markdown table the README shows: figures, ratios, targets.

    With `plain` (the targets judged on the build without search), a second publisher column
    shows that build, and each result reads "with search; without".
    """
    pub = results["publisher"]
    pelican = results.get("pelican", {}).get("cold")
    hugo = results.get("hugo", {}).get("cold")

    def secs(measure: Measure | None, note: str = "") -> str:
        return "–" if measure is None else f"{measure.seconds:.2f}{note}"

    def cpu(measure: Measure | None) -> str:
        return "–" if measure is None else f"{measure.cpu_seconds:.2f}"

    def ratio(a: float, b: float | None) -> str:
        return "–" if not b else f"{a / b:.2f}"

    def verdicts(*indexes: int) -> list[str]:
        names = "; ".join(checks[i].name for i in indexes)
        results = [checks[i].result + ("" if plain is None else f" / {plain[i].result}") for i in indexes]
        return [names, "; ".join(results)]

    def mb(value: float | None) -> str:
        return "–" if value is None else f"{value:.0f}"

    def both(kind: str, show: Any) -> list[str]:
        """The figure with search, and without it when measured."""
        return [show(pub[kind])] + ([show(pub[kind + "_no_search"])] if plain is not None else [])

    def ratios(kind: str, value: Callable[[Measure], float], base: float | None) -> str:
        """publisher's figure over `base`, with search and (after a slash) without."""
        shown = ratio(value(pub[kind]), base)
        if plain is not None and base:
            shown += f" / {ratio(value(pub[kind + '_no_search']), base)}"
        return shown

    def seconds(m: Measure) -> float:
        return m.seconds

    def cpu_seconds(m: Measure) -> float:
        return m.cpu_seconds

    def pss(m: Measure) -> float:
        return m.peak_pss_mb

    no = [] if plain is None else ["–"]
    header = ["measure", "publisher"] + ([] if plain is None else ["publisher, search off"])
    rows = [
        [*header, "Pelican", "Hugo", "publisher/Pelican", "publisher/Hugo", "target", "result"],
        [
            "cold build (s)",
            *both("cold", secs),
            secs(pelican),
            secs(hugo),
            ratios("cold", seconds, pelican and pelican.seconds),
            ratios("cold", seconds, hugo and hugo.seconds),
            *verdicts(0),
        ],
        [
            "cold build, CPU (s)",
            *both("cold", cpu),
            cpu(pelican),
            cpu(hugo),
            ratios("cold", cpu_seconds, pelican and pelican.cpu_seconds),
            ratios("cold", cpu_seconds, hugo and hugo.cpu_seconds),
            *verdicts(5),
        ],
        [
            "no-change rebuild (s)",
            secs(pub["no_change"]),
            *no,
            secs(pelican, " (cold)"),
            secs(hugo, " (cold)"),
            ratio(pub["no_change"].seconds, pelican and pelican.seconds),
            ratio(pub["no_change"].seconds, hugo and hugo.seconds),
            "; ".join(checks[i].name for i in (1, 2)),
            "; ".join(checks[i].result for i in (1, 2)),
        ],
        ["one-post-edit rebuild (s)", *both("one_edit", secs), "–", "–", "–", "–", *verdicts(3)],
        [
            "new checkout, restored cache, one post edited (s)",
            *both("restored", secs),
            "–",
            "–",
            "–",
            "–",
            *verdicts(6),
        ],
        [
            "peak memory, cold: summed PSS (MB)",
            *both("cold", lambda m: mb(m.peak_pss_mb)),
            mb(pelican and pelican.peak_mb),
            mb(hugo and hugo.peak_mb),
            ratios("cold", pss, pelican and pelican.peak_mb),
            ratios("cold", pss, hugo and hugo.peak_mb),
            *verdicts(4),
        ],
        [
            "peak memory, cold: summed RSS / largest process RSS (MB)",
            *both("cold", lambda m: f"{m.peak_mb:.0f} / {m.peak_single_mb:.0f}"),
            mb(pelican and pelican.peak_mb),
            mb(hugo and hugo.peak_mb),
            "–",
            "–",
            "(for comparison; Pelican and Hugo: peak RSS)",
            "",
        ],
    ]
    lines = ["| " + " | ".join(row) + " |" for row in rows]
    lines.insert(1, "|---|" + "---:|" * (5 + (plain is not None)) + "---|---|")
    return "\n".join(lines)


def search_cost(results: dict[str, dict[str, Measure]], bench: Bench) -> dict[str, Any] | None:
    """What the search index adds: time to a cold build and to a one-post edit, and its size."""
    pub = results["publisher"]
    if "cold_no_search" not in pub:
        return None
    files, size = bench.search_index()
    return {
        "cold_seconds": pub["cold"].seconds - pub["cold_no_search"].seconds,
        "one_edit_seconds": pub["one_edit"].seconds - pub["one_edit_no_search"].seconds,
        "files": files,
        "bytes": size,
    }


def search_line(cost: dict[str, Any], results: dict[str, dict[str, Measure]], posts: int) -> str:
    pub = results["publisher"]
    return (
        f"Search index (Pagefind), {posts:,} posts: cold build {pub['cold'].seconds:.2f} s with search, "
        f"{pub['cold_no_search'].seconds:.2f} s without (+{cost['cold_seconds']:.2f} s); one-post edit "
        f"{pub['one_edit'].seconds:.2f} s with, {pub['one_edit_no_search'].seconds:.2f} s without "
        f"(+{cost['one_edit_seconds']:.2f} s); search/ holds {cost['files']:,} files, "
        f"{cost['bytes'] / 1_000_000:.1f} MB"
    )


def scaling(work: Path, posts: int, seed: int, runs: int, base: Measure, shape: str) -> dict[str, Any]:
    """publisher's cold and no-change builds at 10 × the posts, against the cold build just measured."""
    print(f"Scaling: generating {10 * posts:,} {shape} posts", file=sys.stderr, flush=True)
    big = Bench(
        work / "scaling", 10 * posts, seed, use_pelican=False, use_hugo=False, shape=shape, search_cost=False
    )
    cold, no_change = Measure(), Measure()
    for number in range(1, runs + 1):
        cold.runs.append(big.publisher_cold())
        progress(f"publisher cold ×10 {number}/{runs}", cold.runs[-1])
        no_change.runs.append(big.publisher())
        progress(f"publisher no-change ×10 {number}/{runs}", no_change.runs[-1])
    checks = [
        Target("cold at 10× posts ≤ 11 × cold", cold.seconds / base.seconds, 11.0),
        Target("no-change at 10× posts < 2 s", no_change.seconds, 2.0, strict=True),
    ]
    return {
        "posts": 10 * posts,
        "shape": shape,
        "cold": cold.as_json(),
        "no_change": no_change.as_json(),
        "time_ratio": cold.seconds / base.seconds,
        "memory_ratio": cold.peak_pss_mb / base.peak_pss_mb if base.peak_pss_mb else None,
        "targets": [{"name": c.name, "value": c.value, "limit": c.limit, "result": c.result} for c in checks],
    }
