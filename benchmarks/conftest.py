"""Benchmarks run with ``make bench`` (pytest-benchmark); figures go into the issue notes."""
