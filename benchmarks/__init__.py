"""Benchmark scripts: each prints figures, run as ``python -m benchmarks.<name>``."""
