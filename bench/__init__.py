"""Benchmarks, run on demand (never in the test suite).

`python -m bench` runs them all; `python -m bench.<name>` runs one.
"""
