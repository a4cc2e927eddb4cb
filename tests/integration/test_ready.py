"""``/ready``: each check passes on a healthy deployment and says in words what is wrong when
it fails (database gone, storage unwritable, no worker seen, queue at its bound)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

from starlette.requests import Request

from reelway.api import health
from reelway.operations import ReadinessChecks
from reelway.storage.local import LocalStorage
from reelway.store.database import Database
from reelway.store.health import HealthStore
from reelway.store.queue import QueueStore
from reelway.store.videos import VideoStore
from tests import backends
from tests.integration.conftest import Clock, new_video

WITHIN = 15.0


def _readiness(
    db: Database,
    clock: Clock,
    storage_root: Path,
    *,
    queue_limit: int = 100,
    required: bool = True,
) -> health.Readiness:
    return health.Readiness(
        ReadinessChecks(HealthStore(db, clock), VideoStore(db, clock)),
        LocalStorage(storage_root),
        queue_limit=queue_limit,
        workers=health.WorkerPolicy(WITHIN, required),
        clock=clock,
    )


async def _worker_seen(db: Database, clock: Clock, worker_id: str = "w1") -> None:
    await QueueStore(db, clock).worker_seen(worker_id, "host", 1, clock.now)


async def test_a_healthy_deployment_is_ready(db: Database, clock: Clock, tmp_path: Path) -> None:
    await _worker_seen(db, clock)
    ready, checks = await _readiness(db, clock, tmp_path / "files").check()
    assert ready, checks
    assert set(checks) == {"database", "storage", "workers", "queue"}
    assert all(check["ok"] for check in checks.values())
    assert checks["database"]["latency_ms"] >= 0
    assert checks["workers"]["seen"] == 1
    assert checks["queue"] == {"ok": True, "queued": 0, "limit": 100, "detail": "0 queued of 100"}


async def test_the_endpoint_answers_200_or_503_with_the_checks(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    readiness = _readiness(db, clock, tmp_path / "files")
    request = Request({"type": "http", "method": "GET", "path": "/ready", "headers": []})
    response = await readiness.endpoint(request)
    assert response.status_code == 503, "no worker has checked in yet"
    body = json.loads(bytes(response.body))
    assert body["status"] == "not_ready"
    assert body["checks"]["workers"]["ok"] is False
    assert "no worker has checked in" in body["checks"]["workers"]["detail"]
    await _worker_seen(db, clock)
    readiness = _readiness(db, clock, tmp_path / "files")  # a fresh one: no cached answer
    response = await readiness.endpoint(request)
    assert response.status_code == 200
    assert json.loads(bytes(response.body))["status"] == "ready"


async def test_a_closed_database_is_not_ready(tmp_path: Path, clock: Clock) -> None:
    db = Database(f"sqlite:///{tmp_path / 'reelway.db'}")
    await db.migrate()
    await _worker_seen(db, clock)
    readiness = _readiness(db, clock, tmp_path / "files")
    await db.close()
    ready, checks = await readiness.check()
    assert not ready
    assert checks["database"]["ok"] is False
    assert checks["database"]["detail"].startswith("the database did not answer")
    assert checks["workers"]["detail"].startswith("cannot tell: the database did not answer")
    assert checks["storage"]["ok"] is True, "storage does not depend on the database"


async def test_an_unreachable_database_is_not_ready(tmp_path: Path, clock: Clock) -> None:
    """PostgreSQL on a port where nothing listens (no server needed for this one)."""
    db = Database(f"postgresql+asyncpg://postgres@127.0.0.1:{backends.free_port()}/none")
    try:
        ready, checks = await _readiness(db, clock, tmp_path / "files").check()
    finally:
        await db.close()
    assert not ready
    assert checks["database"] == {
        "ok": False,
        "detail": "the database did not answer (unavailable)",
    }


async def test_unwritable_storage_is_not_ready(db: Database, clock: Clock, tmp_path: Path) -> None:
    await _worker_seen(db, clock)
    root = tmp_path / "files"
    readiness = _readiness(db, clock, root)
    if os.geteuid() == 0:
        # root writes through permissions: put a file where the directory was instead.
        shutil.rmtree(root)
        root.write_text("not a directory")
    else:
        root.chmod(0o555)
    try:
        ready, checks = await readiness.check()
    finally:
        if root.is_dir():
            root.chmod(0o755)
    assert not ready
    assert checks["storage"]["ok"] is False
    assert checks["storage"]["detail"].startswith("cannot write to storage")
    assert str(root) not in json.dumps(checks), "no paths in an unauthenticated answer"


async def test_no_worker_seen_lately_is_not_ready_unless_not_required(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    await _worker_seen(db, clock)
    clock.advance(WITHIN + 10)
    ready, checks = await _readiness(db, clock, tmp_path / "files").check()
    assert not ready
    assert checks["workers"]["ok"] is False and checks["workers"]["seen"] == 0
    assert "no worker seen in the last 15 s (the last one 25 s ago)" in checks["workers"]["detail"]

    ready, checks = await _readiness(db, clock, tmp_path / "files", required=False).check()
    assert ready, checks
    assert "not required" in checks["workers"]["detail"]

    await _worker_seen(db, clock, "w2")
    ready, checks = await _readiness(db, clock, tmp_path / "files").check()
    assert ready and checks["workers"]["seen"] == 1


async def test_a_queue_at_its_bound_is_not_ready(
    db: Database, clock: Clock, tmp_path: Path, project_id: str
) -> None:
    await _worker_seen(db, clock)
    videos = VideoStore(db, clock)
    for n in range(2):
        await videos.insert(new_video(project_id, n))
    ready, checks = await _readiness(db, clock, tmp_path / "files", queue_limit=2).check()
    assert not ready
    assert checks["queue"]["ok"] is False
    assert checks["queue"]["detail"].startswith("the queue is full (2 of 2)")
    ready, checks = await _readiness(db, clock, tmp_path / "files", queue_limit=3).check()
    assert ready and checks["queue"]["queued"] == 2


async def test_open_metrics_on_a_public_bind_is_a_warning_that_does_not_fail_readiness(
    db: Database, clock: Clock, tmp_path: Path
) -> None:
    await _worker_seen(db, clock)
    quiet = await _readiness(db, clock, tmp_path / "files").check()
    assert "metrics" not in quiet[1], "no entry while /metrics is protected or on loopback"
    readiness = health.Readiness(
        ReadinessChecks(HealthStore(db, clock), VideoStore(db, clock)),
        LocalStorage(tmp_path / "files"),
        queue_limit=100,
        workers=health.WorkerPolicy(WITHIN),
        metrics_open_on="0.0.0.0",
        clock=clock,
    )
    ready, checks = await readiness.check()
    assert ready, checks
    assert checks["metrics"]["ok"] is True and checks["metrics"]["warning"] is True
    assert "unauthenticated" in checks["metrics"]["detail"]
    assert "0.0.0.0" in checks["metrics"]["detail"]
    assert "REELWAY_METRICS_TOKEN" in checks["metrics"]["detail"]
