"""A render child whose job is cancelled while the child is still starting is killed once it
has started, instead of running on into a work folder its worker has removed."""

from __future__ import annotations

import asyncio
import threading

import pytest

from reelway.worker.render_process import start_child


class SlowStart:
    """Starts in half a second, the way a busy fork server may answer."""

    def __init__(self) -> None:
        self.pid: int | None = None
        self.started = threading.Event()
        self.killed_after_start: bool | None = None
        self.joined = False

    def start(self) -> None:
        self.started.wait(0.5)
        self.pid = 4242

    def kill(self) -> None:
        self.killed_after_start = self.pid is not None

    def join(self, timeout: float | None = None) -> None:
        self.joined = True


async def test_cancelled_while_starting_the_child_is_killed_once_started() -> None:
    child = SlowStart()
    task = asyncio.create_task(start_child(child))
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await asyncio.wait_for(task, 5)
    assert child.killed_after_start is True and child.joined


async def test_a_start_that_completes_leaves_the_child_running() -> None:
    child = SlowStart()
    child.started.set()
    await asyncio.wait_for(start_child(child), 5)
    assert child.pid == 4242 and child.killed_after_start is None
