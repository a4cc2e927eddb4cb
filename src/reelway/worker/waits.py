"""Waiting for an event with a time limit, in a way a cancellation always gets through.

Python 3.11's ``asyncio.wait_for`` can swallow a cancellation that arrives just as its time
runs out (fixed in 3.12), and a worker loop that swallows one keeps claiming jobs after it was
told to stop: a "killed" slot went on polling and its task never ended.  ``asyncio.timeout``
tells its own cancellation from the caller's, so every loop in the worker waits with it.
"""

from __future__ import annotations

import asyncio


async def wait_event(event: asyncio.Event, seconds: float) -> bool:
    """Whether ``event`` was set within ``seconds``."""
    try:
        async with asyncio.timeout(seconds):
            await event.wait()
    except TimeoutError:
        return False
    return True
