"""The ``workers`` check of ``/ready`` counts render slots: a process with none (``serve
--workers 0``) is told apart, a worker from before the slots column counts as one slot, and
the slots of several workers add up."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from reelway.api import health
from reelway.operations import ReadinessChecks
from reelway.storage.local import LocalStorage
from reelway.store.database import Database
from reelway.store.health import HealthStore
from reelway.store.queue import QueueStore
from reelway.store.videos import VideoStore
from tests.integration.conftest import Clock

WITHIN = 15.0


async def _check(db: Database, clock: Clock, root: Path) -> tuple[bool, dict[str, Any]]:
    readiness = health.Readiness(
        ReadinessChecks(HealthStore(db, clock), VideoStore(db, clock)),
        LocalStorage(root),
        queue_limit=100,
        workers=health.WorkerPolicy(WITHIN),
        clock=clock,
    )
    ready, checks = await readiness.check()
    return ready, checks["workers"]


async def test_render_slots_not_processes(db: Database, clock: Clock, tmp_path: Path) -> None:
    queue = QueueStore(db, clock)
    await queue.worker_seen("api", "host", 1, clock.now, slots=0)
    ready, workers = await _check(db, clock, tmp_path / "files")
    assert not ready
    assert (workers["ok"], workers["seen"], workers["slots"]) == (False, 0, 0)
    assert workers["detail"].startswith("no render slots: 1 process(es) checked in"), workers

    await queue.worker_seen("w1", "host", 2, clock.now, slots=4)
    await queue.worker_seen("w2", "host", 3, clock.now, slots=2)
    ready, workers = await _check(db, clock, tmp_path / "files")
    assert ready
    assert (workers["seen"], workers["slots"]) == (2, 6)
    assert workers["detail"] == f"6 render slot(s) in 2 worker(s) seen in the last {WITHIN:g} s"


async def test_a_worker_that_reports_no_slot_count_counts_as_one(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    await QueueStore(db, clock).worker_seen("old", "host", 1, clock.now)
    ready, workers = await _check(db, clock, tmp_path / "files")
    assert ready and (workers["seen"], workers["slots"]) == (1, 1)


async def test_a_stale_worker_beside_an_api_process_is_reported_as_stale(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    queue = QueueStore(db, clock)
    await queue.worker_seen("w1", "host", 2, clock.now, slots=2)
    clock.advance(WITHIN + 10)
    await queue.worker_seen("api", "host", 1, clock.now, slots=0)
    ready, workers = await _check(db, clock, tmp_path / "files")
    assert not ready and workers["slots"] == 0
    assert "no worker seen in the last 15 s (the last one 25 s ago)" in workers["detail"]
