"""The outbox on SQLite and PostgreSQL: events written with the job's end (and never
without it), claims under leases, retries on schedule, giving up, and disabling."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
import sqlalchemy as sa

from reelway import jobs
from reelway.store.database import Database
from reelway.store.queue import QueueStore
from reelway.store.tables import events, usage, webhook_deliveries
from reelway.store.videos import VideoStore
from reelway.store.webhooks import Outcome, WebhookStore
from tests.integration.conftest import Clock, new_video

SCHEDULE = (10.0, 60.0)


@pytest.fixture
def hooks(db: Database, clock: Clock) -> WebhookStore:
    return WebhookStore(db, clock, retry_schedule=SCHEDULE, disable_after_seconds=3600)


async def _endpoint(hooks: WebhookStore, project_id: str, name: str, types: list[str]) -> str:
    endpoint = await hooks.create(
        project_id, f"we_{name}", name, f"http://127.0.0.1:9/{name}", types, "whsec_AAAA"
    )
    return endpoint.id


async def _finish(videos: VideoStore, queue: QueueStore, project_id: str, n: int, ok: bool) -> str:
    await videos.insert(new_video(project_id, n))
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    if ok:
        await queue.complete(job.id, job.lease_token, "animatic", {})
    else:
        await queue.fail(job.id, job.lease_token, jobs.JobError("engine_error", "no"))
    return job.id


async def _rows(db: Database, table: sa.Table) -> list[Any]:
    return await db.read(lambda conn: list(conn.execute(sa.select(table)).all()))


async def test_a_job_end_queues_its_event_for_each_subscribed_endpoint(
    db: Database, videos: VideoStore, queue: QueueStore, hooks: WebhookStore, project_id: str
) -> None:
    await _endpoint(hooks, project_id, "both", ["video.completed", "video.failed"])
    await _endpoint(hooks, project_id, "done", ["video.completed"])
    await _endpoint(hooks, project_id, "money", ["budget.threshold_reached"])
    good = await _finish(videos, queue, project_id, 1, ok=True)
    bad = await _finish(videos, queue, project_id, 2, ok=False)
    found = await _rows(db, webhook_deliveries)
    pairs = sorted((r.endpoint_id, r.event_type) for r in found)
    assert pairs == [
        ("we_both", "video.completed"),
        ("we_both", "video.failed"),
        ("we_done", "video.completed"),
    ]
    for row in found:
        body = json.loads(row.payload)
        assert body["data"] == {"id": good if row.event_type == "video.completed" else bad}
        assert body["object"] == "event" and body["id"] == row.event_id
    assert len({r.id for r in found}) == 3  # one webhook-id per (event, endpoint)
    subjects = {r.subject_id: r.type for r in await _rows(db, events)}
    assert subjects == {good: "video.completed", bad: "video.failed"}


async def test_a_rolled_back_job_end_delivers_nothing(
    db: Database, videos: VideoStore, queue: QueueStore, hooks: WebhookStore, project_id: str
) -> None:
    await _endpoint(hooks, project_id, "both", ["video.completed", "video.failed"])
    await videos.insert(new_video(project_id, 1))
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    # A usage row already there makes the completion's own insert fail: the whole
    # transaction (status, charge, event, outbox rows) rolls back.
    await db.write(
        lambda conn: conn.execute(
            sa.insert(usage).values(
                video_id=job.id,
                project_id=project_id,
                model="sora-2",
                size="720x1280",
                seconds=4,
                engine="x",
                recorded_at=0,
            )
        )
    )
    with pytest.raises(sa.exc.IntegrityError):
        await queue.complete(job.id, job.lease_token, "animatic", {})
    assert (await videos.get(job.id)).status.value == "running"  # type: ignore[union-attr]
    assert await _rows(db, events) == []
    assert await _rows(db, webhook_deliveries) == []
    claimed = await hooks.claim("d", 10, 30)
    assert claimed == []


async def test_claims_lease_retry_on_schedule_then_give_up(
    db: Database,
    videos: VideoStore,
    queue: QueueStore,
    hooks: WebhookStore,
    project_id: str,
    clock: Clock,
) -> None:
    await _endpoint(hooks, project_id, "flaky", ["video.completed"])
    await _finish(videos, queue, project_id, 1, ok=True)
    (first,) = await hooks.claim("d1", 10, 30)
    assert first.delivery.attempts == 1
    assert await hooks.claim("d2", 10, 30) == []  # held under d1's lease
    retry = await hooks.record(first, Outcome(500, "HTTP 500"))
    assert retry is not None and retry.status == "pending"
    assert retry.next_attempt_at == clock.now + SCHEDULE[0]
    assert await hooks.claim("d2", 10, 30) == []  # not due yet
    clock.advance(SCHEDULE[0])
    (second,) = await hooks.claim("d2", 10, 30)
    assert second.delivery.id == first.delivery.id and second.delivery.attempts == 2
    # d2 dies mid-attempt: its lease lapses and another process takes the delivery over.
    clock.advance(31)
    (third,) = await hooks.claim("d3", 10, 30)
    assert third.delivery.attempts == 3
    assert await hooks.record(second, Outcome(200)) is None  # d2's late answer is fenced out
    gave_up = await hooks.record(third, Outcome(None, "timed out"))
    assert gave_up is not None and gave_up.status == "failed"
    clock.advance(3600)
    assert await hooks.claim("d4", 10, 30) == []


async def test_concurrent_claims_never_share_a_delivery(
    videos: VideoStore, queue: QueueStore, hooks: WebhookStore, project_id: str
) -> None:
    await _endpoint(hooks, project_id, "many", ["video.completed"])
    for n in range(12):
        await _finish(videos, queue, project_id, n, ok=True)
    batches = await asyncio.gather(*(hooks.claim(f"d{i}", 3, 30) for i in range(8)))
    taken = [c.delivery.id for batch in batches for c in batch]
    assert len(taken) == 12 and len(set(taken)) == 12


async def test_an_endpoint_failing_past_the_limit_is_disabled_with_an_event(
    db: Database,
    videos: VideoStore,
    queue: QueueStore,
    hooks: WebhookStore,
    project_id: str,
    clock: Clock,
) -> None:
    await _endpoint(hooks, project_id, "down", ["video.completed"])
    await _endpoint(hooks, project_id, "watch", ["webhook_endpoint.disabled"])
    await _finish(videos, queue, project_id, 1, ok=True)
    await _finish(videos, queue, project_id, 2, ok=True)
    first, second = await hooks.claim("d", 1, 30) + await hooks.claim("d", 1, 30)
    await hooks.record(first, Outcome(500))
    clock.advance(3600)
    await hooks.record(second, Outcome(502))
    down = await hooks.get(project_id, "we_down")
    assert down is not None and down.disabled_at == clock.now
    assert "failed" in (down.disabled_reason or "")
    rows = {r.endpoint_id: r for r in await _rows(db, webhook_deliveries)}
    notice = json.loads(rows["we_watch"].payload)
    assert notice["type"] == "webhook_endpoint.disabled" and notice["data"]["id"] == "we_down"
    statuses = sorted(
        r.status for r in await _rows(db, webhook_deliveries) if r.endpoint_id == "we_down"
    )
    assert statuses == ["cancelled", "cancelled"]  # the pending retries are dropped
    enabled = await hooks.update(project_id, "we_down", {}, enable=True)
    assert enabled is not None and enabled.disabled_at is None and enabled.failing_since is None


async def test_a_success_resets_the_failing_clock(
    videos: VideoStore, queue: QueueStore, hooks: WebhookStore, project_id: str, clock: Clock
) -> None:
    await _endpoint(hooks, project_id, "wobbly", ["video.completed"])
    for n in range(3):
        await _finish(videos, queue, project_id, n, ok=True)
    one, two, three = await hooks.claim("d", 3, 30)
    await hooks.record(one, Outcome(500))
    clock.advance(3000)
    await hooks.record(two, Outcome(204))
    clock.advance(3000)
    await hooks.record(three, Outcome(500))
    endpoint = await hooks.get(project_id, "we_wobbly")
    assert endpoint is not None and endpoint.disabled_at is None
    assert endpoint.failing_since == clock.now
