"""A process's batch coordinator: it steps batches (``/v1/batches``) until the process stops.

Every worker and API process runs one beside its render slots.  Each step claims one batch
whose lease has lapsed, advances it (validate its lines, queue a chunk, end it) and lets it
go; the use case (``reelway.batches.BatchService.step``) holds the rules, this loop only
keeps stepping, so that a coordinator that dies loses nothing: the batch's lease lapses and
another process's coordinator takes it up where the database says it was.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from reelway import errors
from reelway.worker.waits import wait_event

log = logging.getLogger(__name__)


class Steps(Protocol):
    async def step(self, owner: str) -> bool:
        """Advance one batch; False when no batch had work."""
        ...


async def coordinate(
    steps: Steps, owner: str, poll_seconds: float, stopping: asyncio.Event
) -> None:
    """Step batches while any has work; otherwise look again every ``poll_seconds``."""
    while not stopping.is_set():
        try:
            worked = await steps.step(owner)
        except errors.DatabaseUnavailable:
            # An outage is expected and answered elsewhere (503, readiness): one line, no
            # traceback, and the next look after the poll interval.
            log.warning("database unavailable; the batch coordinator retries shortly")
            worked = False
        except Exception:
            log.exception("batch step failed; retrying shortly")
            worked = False
        if worked:
            await asyncio.sleep(0)  # let requests in between two batches' steps
            continue
        await wait_event(stopping, poll_seconds)
