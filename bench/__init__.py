"""Benchmarks (`make bench`): ticketbot against the bare frameworks, at scale, and its start-up and memory.

Not part of the test suite: it prints tables and never fails a build. See bench/README.md.
"""
