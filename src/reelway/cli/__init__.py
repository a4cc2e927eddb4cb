"""The ``reelway`` command line: serve, worker, keys, generate, migrate."""
