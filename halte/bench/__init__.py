"""The benchmark tool (`make bench`): a synthetic population, the measured paths, their floors.

Not an installed app and never imported by the application: `python -m halte.bench` runs it against a
database of its own, with the production settings plus `halte.bench.settings` (one extra URL, the
one-INSERT floor view). See docs/benchmarks.md.
"""
