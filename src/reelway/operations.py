"""Read-side services for operators: what ``/ready``, ``/metrics``, the dashboard, the log of
refused requests and ``reelway doctor`` read.

The API and the CLI reach the database only through services (this module, ``service`` and
``accounts``), never through a store (tests/unit/test_architecture.py); ``runtime`` builds
every object here, once.  The types the callers handle are re-exported, so they need no
store import either.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from reelway import jobs
from reelway.engines.directory import EngineDirectory
from reelway.limits import EngineCondition, engine_condition
from reelway.store.dashboard import DashboardStore, RecentVideo
from reelway.store.dashboard import Snapshot as DashboardSnapshot
from reelway.store.diagnosis import (
    Charge,
    Delivery,
    Diagnosis,
    RefusedRequest,
    RequestLog,
    VideoRecord,
)
from reelway.store.engines import EngineStore
from reelway.store.health import HealthStore, WorkersSeen, worker_devices
from reelway.store.observe import ObserveStore
from reelway.store.queue import QueueStore
from reelway.store.status import Availability as StatusAvailability
from reelway.store.status import StatusHistory, StatusStore
from reelway.store.videos import VideoStore

__all__ = [
    "Charge",
    "DashboardReads",
    "DashboardSnapshot",
    "Delivery",
    "Diagnoses",
    "EngineMonitor",
    "EngineStatus",
    "Operations",
    "ReadinessChecks",
    "RecentVideo",
    "RefusalLog",
    "RefusedRequest",
    "StatusAvailability",
    "StatusHistory",
    "StatusStore",
    "VideoRecord",
    "WorkersSeen",
]


class ReadinessChecks:
    """What ``/ready`` asks the database: does it answer, which workers checked in, how
    full the queue is."""

    def __init__(self, health: HealthStore, videos: VideoStore) -> None:
        self.health = health
        self.videos = videos

    async def ping(self) -> float:
        """Seconds a trivial query took."""
        return await self.health.ping()

    async def workers_seen(self, since: float) -> WorkersSeen:
        return await self.health.workers_seen(since)

    async def worker_devices(self, since: float) -> list[dict[str, Any]]:
        """What the workers seen since ``since`` reported about their devices."""
        return await self.health.worker_devices(since)

    async def queued_total(self) -> int:
        return await self.videos.queued_total()


class RefusalLog:
    """The log of refused requests: the API's edge writes it, doctor reads it, the reaper
    prunes it."""

    def __init__(self, store: RequestLog) -> None:
        self.store = store

    async def record(self, entry: RefusedRequest) -> None:
        await self.store.record(entry)

    async def get(self, request_id: str) -> RefusedRequest | None:
        return await self.store.get(request_id)

    async def prune(self, keep_seconds: float) -> int:
        return await self.store.prune(keep_seconds)


@dataclass(frozen=True)
class EngineStatus:
    """One routed engine's health now, as every operator's view reports it."""

    engine: str
    type: str
    recorded: bool
    """False: no call to the engine was ever recorded (no shared state yet)."""
    failures: int
    breaker_failures: int
    condition: EngineCondition


class EngineMonitor:
    """The health of the engines the catalogue routes to, by ``limits.engine_condition``."""

    def __init__(
        self,
        store: EngineStore,
        directory: EngineDirectory,
        engines: Iterable[str],
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.directory = directory
        self.engines = tuple(sorted(set(engines)))
        self.clock = clock

    async def statuses(self, now: float | None = None) -> list[EngineStatus]:
        """Every routed engine, by name, judged at ``now`` (by default the clock's time)."""
        now = self.clock() if now is None else now
        rows = {row.engine: row for row in await self.store.health()}
        found = []
        for name in self.engines:
            spec = self.directory.spec(name)
            row = rows.get(name)
            failures = row.failures if row else 0
            found.append(
                EngineStatus(
                    engine=name,
                    type=spec.type,
                    recorded=row is not None,
                    failures=failures,
                    breaker_failures=spec.limits.breaker_failures,
                    condition=engine_condition(
                        failures,
                        row.opened_until if row else None,
                        row.blocked_until if row else None,
                        now=now,
                    ),
                )
            )
        return found


class DashboardReads:
    """What the operator's dashboard shows from the database."""

    def __init__(self, store: DashboardStore, engines: EngineMonitor) -> None:
        self.store = store
        self.engines = engines

    async def snapshot(
        self,
        now: float,
        start: float,
        bucket_seconds: float,
        buckets: int,
        *,
        project_id: str | None = None,
        recent: int = 24,
    ) -> DashboardSnapshot:
        return await self.store.snapshot(
            now, start, bucket_seconds, buckets, project_id=project_id, recent=recent
        )


class Diagnoses:
    """What ``reelway doctor`` looks up: a video by its id or request id, its charge and
    events, a refused request, the engines' health."""

    def __init__(
        self,
        queue: QueueStore,
        videos: VideoStore,
        diagnosis: Diagnosis,
        refusals: RefusalLog,
        engines: EngineMonitor,
    ) -> None:
        self.queue = queue
        self.videos = videos
        self.diagnosis = diagnosis
        self.refusals = refusals
        self.engines = engines

    async def find_video(self, ident: str) -> jobs.Video | None:
        """The video with this id, or the one this request id created (deleted ones too)."""
        return await self.queue.source(ident) or await self.videos.by_request_id(ident)

    async def video(self, video_id: str) -> VideoRecord:
        return await self.diagnosis.video(video_id)

    async def refused(self, request_id: str) -> RefusedRequest | None:
        return await self.refusals.get(request_id)

    async def devices(self, since: float) -> list[dict[str, Any]]:
        """The devices of the workers seen since ``since`` (resident engines' children)."""
        return await worker_devices(self.queue.db, since)


@dataclass(frozen=True)
class Operations:
    """The operators' read-side services, as ``runtime`` builds them."""

    readiness: ReadinessChecks
    request_log: RefusalLog
    engines: EngineMonitor
    dashboard: DashboardReads
    diagnoses: Diagnoses
    observe: ObserveStore
    """What a ``/metrics`` scrape reads (``metrics.Exporter``)."""

    def status_page(self) -> StatusStore:
        """What the public status page reads (``api.status``): built on the same database."""
        return StatusStore(self.observe.db, self.observe.clock)
