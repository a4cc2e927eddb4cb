"""Pauses in the job store, on SQLite and PostgreSQL: the claim skips a paused project's jobs
(held, outside the claim index's range) and everything while the deployment is paused; a
resume gives them back in queue order."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.pauses import DEPLOYMENT_TARGET, PauseStore, Scope
from reelway.store.queue import QueueStore
from reelway.store.tables import videos as v
from reelway.store.videos import VideoStore
from tests.integration.conftest import Clock, new_video


@pytest.fixture
def pauses(db: Database, clock: Clock) -> PauseStore:
    return PauseStore(db, clock)


async def _claim_all(queue: QueueStore) -> list[str]:
    claimed = []
    while (job := await queue.claim("w", 30)) is not None:
        claimed.append(job.id)
    return claimed


async def test_a_paused_projects_jobs_wait_and_come_back_in_order(
    db: Database,
    videos: VideoStore,
    queue: QueueStore,
    pauses: PauseStore,
    project_id: str,
    clock: Clock,
) -> None:
    other, _ = await KeyStore(db).ensure_project("other")
    await videos.insert(new_video(project_id, 1))
    clock.advance(1)
    _, new = await pauses.pause(Scope.PROJECT, project_id, paused_by="operator", reason="r")
    assert new
    again, new = await pauses.pause(Scope.PROJECT, project_id, paused_by="project")
    assert not new and again.paused_by == "operator" and again.reason == "r"
    # Created while paused: held by the trigger, not by the pause's UPDATE.
    await videos.insert(new_video(project_id, 2))
    clock.advance(1)
    await videos.insert(new_video(other.id, 3))
    clock.advance(1)
    await videos.insert(new_video(project_id, 4, priority=5))
    assert await pauses.held_count(project_id) == 3
    assert await _claim_all(queue) == ["video_0003"]
    lifted = await pauses.resume(Scope.PROJECT, project_id)
    assert lifted is not None and lifted.paused_by == "operator"
    assert await pauses.held_count(project_id) == 0
    assert await _claim_all(queue) == ["video_0004", "video_0001", "video_0002"]
    assert await pauses.resume(Scope.PROJECT, project_id) is None


async def test_a_job_queued_again_while_its_project_is_paused_is_not_claimed(
    videos: VideoStore, queue: QueueStore, pauses: PauseStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    await pauses.pause(Scope.PROJECT, project_id, paused_by="operator")
    await queue.release(job.id, job.lease_token)  # back to queued, not held
    assert await queue.claim("w", 30) is None
    await pauses.resume(Scope.PROJECT, project_id)
    assert await _claim_all(queue) == ["video_0001"]


async def test_a_deployment_pause_stops_every_claim(
    videos: VideoStore, queue: QueueStore, pauses: PauseStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    await videos.insert(new_video(project_id, 2))
    await pauses.pause(Scope.DEPLOYMENT, DEPLOYMENT_TARGET, paused_by="operator")
    assert await queue.claim("w", 30) is None
    assert [p.scope for p in await pauses.all()] == [Scope.DEPLOYMENT]
    await pauses.resume(Scope.DEPLOYMENT, DEPLOYMENT_TARGET)
    assert await _claim_all(queue) == ["video_0001", "video_0002"]


async def test_engine_pauses_are_listed_with_their_option(pauses: PauseStore) -> None:
    await pauses.pause(Scope.ENGINE, "remote-a", paused_by="operator", on_queued="wait")
    found = await pauses.engines()
    assert list(found) == ["remote-a"] and found["remote-a"].on_queued == "wait"
    await pauses.resume(Scope.ENGINE, "remote-a")
    assert await pauses.engines() == {}


def _rows(project_id: str, start: int, count: int, now: float) -> list[dict[str, Any]]:
    return [
        {
            "id": f"video_bulk_{n:06d}",
            "project_id": project_id,
            "model": "sora-2",
            "catalog_model": "sora-2",
            "prompt": "p",
            "size": "720x1280",
            "seconds": "4",
            "seed": n,
            "status": "queued",
            "created_at": now,
            "run_at": now,
        }
        for n in range(start, start + count)
    ]


async def test_the_claim_does_not_walk_ten_thousand_held_jobs(
    db: Database,
    videos: VideoStore,
    queue: QueueStore,
    pauses: PauseStore,
    project_id: str,
    clock: Clock,
) -> None:
    """10,000 queued jobs of a paused project ahead of another project's one: the claim takes
    the other's job, and the plan reads the claim index from its ``held = false`` range."""
    other, _ = await KeyStore(db).ensure_project("other")
    await pauses.pause(Scope.PROJECT, project_id, paused_by="operator")
    rows = _rows(project_id, 0, 10_000, clock())
    await db.write(lambda conn: conn.execute(sa.insert(v), rows))
    assert await pauses.held_count(project_id) == 10_000
    clock.advance(1)
    await videos.insert(new_video(other.id, 1))
    job = await queue.claim("w", 30)
    assert job is not None and job.id == "video_0001"
    plan = await db.read(lambda conn: _claim_plan(conn, clock()))
    assert "ix_videos_claim" in plan, plan


def _claim_plan(conn: sa.Connection, now: float) -> str:
    pick = (
        sa.select(v.c.seq)
        .where(v.c.status == "queued", v.c.run_at <= now, v.c.held == sa.false())
        .order_by(v.c.priority.desc(), v.c.run_at, v.c.seq)
        .limit(1)
    )
    sql = str(pick.compile(conn, compile_kwargs={"literal_binds": True}))
    if conn.dialect.name == "sqlite":
        return " ".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
    conn.exec_driver_sql("ANALYZE videos")
    return " ".join(str(r[0]) for r in conn.exec_driver_sql("EXPLAIN " + sql))
