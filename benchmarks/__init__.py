"""Benchmarks of anakinra-kg against its peers (scripts, not timed tests): see benchmarks/run.py."""
