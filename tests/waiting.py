"""Waits with a deadline: a stuck job fails its test with what was last seen, never hangs CI.

Every loop in the tests that waits for something to happen goes through ``until`` (or
``until_async`` on an event loop) rather than sleeping a fixed time and hoping.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")


def until(
    probe: Callable[[], T],
    done: Callable[[T], bool],
    *,
    limit: float,
    what: str,
    every: float = 0.1,
) -> T:
    """``probe()`` again every ``every`` seconds until ``done`` holds for its answer, which
    is returned; after ``limit`` seconds, an AssertionError naming ``what`` and the last
    answer."""
    deadline = time.monotonic() + limit
    while True:
        value = probe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {limit:g} s; last seen: {value!r}")
        time.sleep(every)


async def until_async(
    probe: Callable[[], Awaitable[T]],
    done: Callable[[T], bool],
    *,
    limit: float,
    what: str,
    every: float = 0.05,
) -> T:
    """``until`` for a coroutine probe, sleeping on the event loop between tries."""
    deadline = time.monotonic() + limit
    while True:
        value = await probe()
        if done(value):
            return value
        if time.monotonic() >= deadline:
            raise AssertionError(f"{what}: not within {limit:g} s; last seen: {value!r}")
        await asyncio.sleep(every)
