"""Benchmarks: run one with ``python -m bench.<name>``; none of them are tests."""
