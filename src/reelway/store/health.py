"""What ``/ready`` asks the database: does it answer, and which workers checked in lately."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway.store.database import Database
from reelway.store.tables import workers as w


@dataclass(frozen=True)
class WorkersSeen:
    recent: int
    """Worker loops that render (one slot or more) seen since the time asked about."""
    last_seen_at: float | None
    """The latest check-in of any rendering worker still registered; None: none is."""
    slots: int = 0
    """The render slots of the ``recent`` workers together."""
    reapers: int = 0
    """Processes seen since then that run no render slot (``serve --workers 0``)."""


SLOTS = sa.func.coalesce(w.c.slots, 1)
"""A worker's render slots; a worker from before the column (NULL) counts as one."""


class HealthStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def ping(self) -> float:
        """Run a trivial query; how long it took, in seconds."""
        started = time.perf_counter()
        await self.db.read(lambda conn: conn.execute(sa.text("SELECT 1")).scalar())
        return time.perf_counter() - started

    async def workers_seen(self, since: float) -> WorkersSeen:
        """Workers update ``seen_at`` and ``slots`` on every reaper pass (and deregister when
        they stop); an API process with no render slot checks in too, and is told apart."""
        renders = SLOTS > 0
        recent = w.c.seen_at >= since
        query = sa.select(
            sa.func.coalesce(sa.func.sum(sa.case((recent & renders, 1), else_=0)), 0),
            sa.func.max(sa.case((renders, w.c.seen_at), else_=None)),
            sa.func.coalesce(sa.func.sum(sa.case((recent & renders, SLOTS), else_=0)), 0),
            sa.func.coalesce(sa.func.sum(sa.case((recent & ~renders, 1), else_=0)), 0),
        )
        recent_n, last, slots, reapers = (await self.db.read(lambda c: c.execute(query).one()))[:4]
        return WorkersSeen(
            int(recent_n), None if last is None else float(last), int(slots), int(reapers)
        )

    async def worker_devices(self, since: float) -> list[dict[str, Any]]:
        """The devices of the workers seen since ``since``, each named by its worker."""
        return await worker_devices(self.db, since)


async def worker_devices(db: Database, since: float) -> list[dict[str, Any]]:
    """The devices live workers reported on their last check-in (``workers.devices``), one
    dict each with ``worker`` added, by worker then engine and device."""
    query = (
        sa.select(w.c.id, w.c.devices)
        .where(w.c.seen_at >= since, w.c.devices.is_not(None))
        .order_by(w.c.id)
    )
    rows = await db.read(lambda conn: conn.execute(query).all())
    found: list[dict[str, Any]] = []
    for worker, devices in rows:
        for device in devices or ():
            if isinstance(device, dict):
                found.append({"worker": str(worker), **device})
    return found
