"""Benchmarks: figures and ratios measured side by side in one run, never asserted in tests.

Run each as a module from the repository root, e.g. `.venv/bin/python -m bench.quality`, so that
`bench/connectors.py` and `bench/processors.py` never shadow the packages of the same name.
"""
