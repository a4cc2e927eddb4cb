"""``wait_event``: set, timed out, and cancelled.  The race it exists for (a cancel landing as
the time runs out, swallowed by 3.11's ``wait_for``) is caught by
``tests/integration/test_storyboards_worker.py``'s killed worker, which hung about one run in
three with ``wait_for``."""

from __future__ import annotations

import asyncio

import pytest

from reelway.worker.waits import wait_event


async def test_it_says_whether_the_event_was_set_in_time() -> None:
    event = asyncio.Event()
    assert await wait_event(event, 0.01) is False
    asyncio.get_running_loop().call_later(0.01, event.set)
    assert await wait_event(event, 5) is True


async def test_a_cancel_reaches_the_waiter() -> None:
    task = asyncio.create_task(wait_event(asyncio.Event(), 5))
    await asyncio.sleep(0)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
