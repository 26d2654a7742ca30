"""Benchmark publisher against Pelican and Hugo on the same synthetic publication.

Absolute timings depend on the machine, so every figure is also given as a
ratio to Pelican's and Hugo's builds of the same posts, run in the same
invocation and interleaved with ours: the ratios hold on a noisy machine.

    python benchmarks/bench.py --posts 200
    python benchmarks/bench.py --posts 1000 --runs 5 --json results.json

Needs the `bench` extra (`pip install -e '.[bench]'`: Pelican, psutil);
Hugo is measured when a `hugo` binary is on the PATH. Every build runs as a
subprocess, and its peak memory is the largest summed RSS of its process tree.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import shutil
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

if __package__ in (None, ""):  # run as `python benchmarks/bench.py`
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.generator import NAMES, SHAPES
from benchmarks.report import (
    has_no_search,
    machine,
    scaling,
    search_cost,
    search_line,
    table,
    targets,
    versions,
)
from benchmarks.runners import Bench, measure


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=1000, help="posts to generate (default 1000)")
    parser.add_argument("--runs", type=int, default=3, help="runs per measure; the median is reported")
    parser.add_argument("--seed", type=int, default=1, help="seed of the generated posts")
    parser.add_argument("--json", type=Path, metavar="FILE", help="also write every run and median here")
    parser.add_argument("--skip", action="append", choices=["pelican", "hugo"], default=[], help="leave out")
    parser.add_argument("--workdir", type=Path, help="generate and build here, and keep it (default: temp)")
    parser.add_argument(
        "--scaling", action="store_true", help="also time our cold and no-change builds at 10 × --posts"
    )
    parser.add_argument(
        "--shape",
        action="append",
        choices=sorted(SHAPES),
        help="post shape: mixed (lists, tables, quotes, footnotes) or lists (list-heavy, like a "
        "civic-affairs newsletter); repeat for both (default: both)",
    )
    args = parser.parse_args(argv)
    if args.posts < 1 or args.runs < 1:
        parser.error("--posts and --runs must be at least 1")

    use_pelican = "pelican" not in args.skip
    if use_pelican and importlib.util.find_spec("pelican") is None:
        parser.error("Pelican is not installed: pip install -e '.[bench]' (or pass --skip pelican)")
    if importlib.util.find_spec("psutil") is None:
        parser.error("psutil is not installed: pip install -e '.[bench]'")
    use_hugo = "hugo" not in args.skip and shutil.which("hugo") is not None

    shapes = args.shape or ["mixed", "lists"]
    reports = []
    with tempfile.TemporaryDirectory(prefix="publisher-bench-") as temp:
        work = args.workdir or Path(temp)
        if args.workdir:
            shutil.rmtree(work, ignore_errors=True)
        started = time.perf_counter()
        for shape in shapes:
            print(f"Generating {args.posts:,} {shape} posts in {work / shape}", file=sys.stderr, flush=True)
            bench = Bench(work / shape, args.posts, args.seed, use_pelican, use_hugo, shape)
            markdown_mb = sum(f.stat().st_size for f in bench.files) / 1_000_000
            results = measure(bench, args.runs)
            cold = results["publisher"]["cold"]
            reports.append(
                {
                    "shape": shape,
                    "markdown_mb": markdown_mb,
                    "results": results,
                    "targets": targets(results, shape),
                    "targets_search_off": targets(results, shape, search=False)
                    if has_no_search(results)
                    else None,
                    "search": search_cost(results, bench),
                    "scaling": scaling(work / shape, args.posts, args.seed, args.runs, cold, shape)
                    if args.scaling
                    else None,
                }
            )
        total = time.perf_counter() - started

    about = machine()
    found = versions(use_pelican, use_hugo)
    print()
    print(
        f"{args.posts:,} posts, median of {args.runs} runs; "
        f"{about['cpu']}, {about['cores']} cores, Python {about['python']}, {about['system']}"
    )
    print(
        ", ".join(f"{NAMES[tool]} {v}" for tool, v in found.items())
        + ("" if use_hugo else "; Hugo not measured")
    )
    for report in reports:
        results = report["results"]
        print(f"\n### Shape: {report['shape']} ({report['markdown_mb']:.1f} MB of Markdown)\n")
        print(table(results, report["targets"], report["targets_search_off"]))
        if report["targets_search_off"]:
            print(
                "\nResults read: with search (the default) / with `[search] enabled = false`; "
                "ratios likewise."
            )
        cpu = [
            f"{NAMES[tool]} {kind.replace('_', '-')} {m.cpu_seconds:.2f}"
            for tool, measures in results.items()
            for kind, m in measures.items()
        ]
        print(f"\nCPU seconds, user + system (medians): {', '.join(cpu)}")
        if report["search"]:
            print(f"\n{search_line(report['search'], results, args.posts)}")
        scaled = report["scaling"]
        if scaled:
            no_change = scaled["no_change"]["median_seconds"]
            verdicts = ", ".join(f"{c['name']}: {c['result']}" for c in scaled["targets"])
            print(
                f"\nScaling, publisher at {scaled['posts']:,} vs {args.posts:,} posts: cold time "
                f"× {scaled['time_ratio']:.1f}, no-change rebuild {no_change:.2f} s ({verdicts})"
            )
    print(f"\nWhole benchmark: {total:.0f} s")
    if args.json:
        document = {
            "posts": args.posts,
            "runs": args.runs,
            "seed": args.seed,
            "machine": about,
            "versions": found,
            "shapes": [
                {
                    "shape": r["shape"],
                    "markdown_mb": r["markdown_mb"],
                    "results": {
                        tool: {k: m.as_json() for k, m in ms.items()} for tool, ms in r["results"].items()
                    },
                    "targets": [
                        {"name": c.name, "value": c.value, "limit": c.limit, "result": c.result}
                        for c in r["targets"]
                    ],
                    "targets_search_off": [
                        {"name": c.name, "value": c.value, "limit": c.limit, "result": c.result}
                        for c in r["targets_search_off"] or []
                    ],
                    "search": r["search"],
                    "scaling": r["scaling"],
                }
                for r in reports
            ],
            "total_seconds": total,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
