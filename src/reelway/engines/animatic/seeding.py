"""Seeds and hashes that are the same in every process, so renders are reproducible.

Python's ``hash`` of a string changes per process and the global numpy RNG is shared state;
neither is used.  Every random choice draws from its own generator, derived from the
request's seed and a tag naming what it is for.
"""

from __future__ import annotations

import hashlib

import numpy as np


def stable_hash(*parts: object) -> int:
    """A 64-bit hash that is the same in every process (unlike ``hash``)."""
    digest = hashlib.blake2b("\x1f".join(map(str, parts)).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big")


def rng(seed: int, *tags: object) -> np.random.Generator:
    """A generator for one purpose, derived from the seed and a tag; never global state."""
    return np.random.default_rng([seed & 0xFFFFFFFF, (seed >> 32) & 0xFFFFFFFF, stable_hash(*tags)])
