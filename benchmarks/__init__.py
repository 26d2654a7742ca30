"""Benchmarks: run `python benchmarks/bench.py --help`."""
