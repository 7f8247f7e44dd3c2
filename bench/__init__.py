"""Benchmarks of Model Service against a hand-written Flask endpoint (``make bench``)."""
