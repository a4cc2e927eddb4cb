"""The /metrics snapshot on SQLite and PostgreSQL: jobs ended through the real store
transitions, read back by ``ObserveStore`` and rendered by the collector, with exact numbers."""

from __future__ import annotations

from collections.abc import Iterable

import pytest
import sqlalchemy as sa
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from reelway import jobs, metrics
from reelway.limits import EngineLimits
from reelway.store import ledger, stats
from reelway.store.database import Database
from reelway.store.engines import EngineStore
from reelway.store.observe import ObserveStore
from reelway.store.queue import QueueStore
from reelway.store.tables import webhook_deliveries
from reelway.store.videos import VideoStore
from tests.integration.conftest import Clock, new_video

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(collector: metrics.DeploymentCollector) -> Samples:
    text = generate_latest(collector).decode()
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def at(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def named(samples: Samples, name: str) -> dict[frozenset[tuple[str, str]], float]:
    return {labels: value for (n, labels), value in samples.items() if n == name}


def reservation(project_id: str, video_id: str, clock: Clock) -> ledger.Reservation:
    return ledger.Reservation(
        video_id=video_id,
        project_id=project_id,
        model="sora-2",
        size="720x1280",
        seconds=4,
        relaxed=False,
        period_start=clock.now - 100,
        period_end=clock.now + 30 * 86400,
        credits_per_second=10,
        usd_micros_per_second=125_000,
        credit_limit=None,
        budget_usd_micros=None,
    )


def buckets(samples: Samples, name: str, **labels: str) -> dict[str, float]:
    found: dict[str, float] = {}
    for key, value in named(samples, name + "_bucket").items():
        rest = dict(key)
        le = rest.pop("le")
        if rest == labels:
            found[le] = value
    return found


def cumulative(bounds: Iterable[float], total: float, first: float) -> dict[str, float]:
    """Expected cumulative buckets of one observation per bound from ``first`` on."""
    return {
        ("+Inf" if b == float("inf") else repr(float(b))): (total if b >= first else 0.0)
        for b in bounds
    }


async def test_a_scrape_reports_what_the_store_did(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock
) -> None:
    t0 = clock.now
    await videos.insert(
        new_video(project_id, 1, reservation=reservation(project_id, "video_0001", clock))
    )
    await videos.insert(
        new_video(project_id, 2, reservation=reservation(project_id, "video_0002", clock))
    )
    for n in range(3, 7):
        await videos.insert(new_video(project_id, n))
    await videos.insert(new_video(project_id, 7, priority=-100))  # relaxed
    await videos.insert(new_video(project_id, 8, catalog_model="sora-2-pro", model="sora-2-pro"))
    clock.advance(2)
    first, second = await queue.claim("w", 60), await queue.claim("w", 60)
    assert first is not None and second is not None and first.lease_token and second.lease_token
    clock.advance(3)
    await queue.complete(first.id, first.lease_token, "animatic", {})
    await queue.fail(second.id, second.lease_token, jobs.JobError("engine_error", "x"), "animatic")
    await videos.delete(project_id, "video_0003")  # queued: cancelled at once
    running = await queue.claim("w", 60)
    later = await queue.claim("w", 60)
    assert running is not None and later is not None and later.lease_token
    await queue.requeue(later.id, later.lease_token, 100)  # waits 100 s
    engine_store = EngineStore(db, clock)
    limits = EngineLimits(breaker_failures=2, breaker_cooldown_seconds=30)
    await engine_store.record("animatic", limits, ok=False, retry_after=60)
    await engine_store.record("animatic", limits, ok=False)
    await engine_store.record("flaky", limits, ok=False)
    await queue.worker_seen("w1", "host", 1, t0)
    clock.advance(40)
    await queue.worker_seen("w2", "host", 2, t0)
    await db.write(
        lambda conn: conn.execute(
            sa.insert(webhook_deliveries).values(
                id="wh_1",
                endpoint_id="we_1",
                project_id=project_id,
                event_id="evt_1",
                event_type="video.completed",
                payload="{}",
                status="pending",
                attempts=1,
                next_attempt_at=clock.now + 5,
                created_at=t0 + 5,
            )
        )
    )
    await db.write(lambda conn: stats.webhook_attempt(conn, "video.completed", "failed"))

    snapshot = await ObserveStore(db, clock).snapshot(["animatic", "flaky", "idle"], 30)
    samples = scrape(metrics.DeploymentCollector(snapshot, ["sora-2", "sora-2-pro", "unused"]))

    assert named(samples, "reelway_jobs_created_total") == {
        frozenset({("model", "sora-2")}): 7.0,
        frozenset({("model", "sora-2-pro")}): 1.0,
        frozenset({("model", "unused")}): 0.0,
    }
    finished = named(samples, "reelway_jobs_finished_total")
    base = {"model": "sora-2"}
    assert finished == {
        frozenset({**base, "engine": "animatic", "status": "completed", "code": ""}.items()): 1.0,
        frozenset(
            {**base, "engine": "animatic", "status": "failed", "code": "engine_error"}.items()
        ): 1.0,
        frozenset({**base, "engine": "", "status": "cancelled", "code": "cancelled"}.items()): 1.0,
    }
    assert at(samples, "reelway_jobs_in_flight", model="sora-2", status="queued") == 3
    assert at(samples, "reelway_jobs_in_flight", model="sora-2", status="running") == 1
    assert at(samples, "reelway_jobs_in_flight", model="sora-2-pro", status="queued") == 1
    assert at(samples, "reelway_jobs_in_flight", model="unused", status="running") == 0
    # video_0006 and the sora-2-pro one are due; video_0005 waits, video_0007 is relaxed.
    assert at(samples, "reelway_queue_depth", state="runnable") == 2
    assert at(samples, "reelway_queue_depth", state="waiting") == 1
    assert at(samples, "reelway_queue_depth", state="relaxed") == 1
    assert at(samples, "reelway_queue_oldest_runnable_age_seconds") == 45.0

    # Histograms: the completed and the failed one waited 2 s and ran 3 s; the cancelled one
    # never started (no queued or generating observation), 5 s in all.
    bounds = stats.DURATION_BUCKETS
    done = {**base, "engine": "animatic", "status": "completed"}
    assert buckets(samples, "reelway_job_queued_seconds", **done) == cumulative(bounds, 1, 2.5)
    assert buckets(samples, "reelway_job_generating_seconds", **done) == cumulative(bounds, 1, 5)
    assert buckets(samples, "reelway_job_total_seconds", **done) == cumulative(bounds, 1, 5)
    assert at(samples, "reelway_job_queued_seconds_sum", **done) == 2.0
    assert at(samples, "reelway_job_generating_seconds_sum", **done) == 3.0
    assert at(samples, "reelway_job_total_seconds_count", **done) == 1.0
    cancelled = {**base, "engine": "", "status": "cancelled"}
    assert at(samples, "reelway_job_total_seconds_count", **cancelled) == 1.0
    assert (
        "reelway_job_queued_seconds_count",
        frozenset(cancelled.items()),
    ) not in samples
    assert sum(named(samples, "reelway_job_total_seconds_count").values()) == 3.0

    # Only the completed video is charged: 4 s at 10 credits and $0.125 a second.
    assert named(samples, "reelway_cost_usd_total") == {frozenset({("model", "sora-2")}): 0.5}
    assert at(samples, "reelway_credits_charged_total", model="sora-2") == 40.0
    assert named(samples, "reelway_webhook_events_total") == {
        frozenset({("event_type", "video.completed")}): 1.0,
        frozenset({("event_type", "video.failed")}): 1.0,
    }
    assert at(
        samples, "reelway_webhook_attempts_total", event_type="video.completed", outcome="failed"
    ) == (1.0)

    # animatic: two failures opened the breaker 40 s ago for 30 s (closed again), and its
    # Retry-After of 60 s still holds; flaky: one failure; idle: never used.
    assert named(samples, "reelway_engine_consecutive_failures") == {
        frozenset({("engine", "animatic")}): 2.0,
        frozenset({("engine", "flaky")}): 1.0,
        frozenset({("engine", "idle")}): 0.0,
    }
    assert set(named(samples, "reelway_engine_circuit_open").values()) == {0.0}
    assert at(samples, "reelway_engine_provider_backoff", engine="animatic") == 1.0
    assert at(samples, "reelway_engine_provider_backoff", engine="flaky") == 0.0
    assert at(samples, "reelway_workers_seen") == 1.0
    assert at(samples, "reelway_webhook_outbox_pending") == 1.0
    assert at(samples, "reelway_webhook_outbox_oldest_pending_age_seconds") == 40.0


async def test_an_open_breaker_and_an_empty_deployment(db: Database, clock: Clock) -> None:
    engine_store = EngineStore(db, clock)
    limits = EngineLimits(breaker_failures=1, breaker_cooldown_seconds=30)
    await engine_store.record("animatic", limits, ok=False)
    samples = scrape(
        metrics.DeploymentCollector(
            await ObserveStore(db, clock).snapshot(["animatic"], 30), ["sora-2"]
        )
    )
    assert at(samples, "reelway_engine_circuit_open", engine="animatic") == 1.0
    assert at(samples, "reelway_jobs_created_total", model="sora-2") == 0.0
    assert at(samples, "reelway_queue_depth", state="runnable") == 0.0
    assert at(samples, "reelway_queue_oldest_runnable_age_seconds") == 0.0
    assert at(samples, "reelway_webhook_outbox_oldest_pending_age_seconds") == 0.0
    assert named(samples, "reelway_jobs_finished_total") == {}


@pytest.mark.parametrize("ending", ["complete", "fail", "reap"])
async def test_created_never_dips_when_a_job_ends(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str, clock: Clock, ending: str
) -> None:
    observe = ObserveStore(db, clock)
    await videos.insert(new_video(project_id, 1, max_attempts=1))
    job = await queue.claim("w", 10)
    assert job is not None and job.lease_token
    before = (await observe.snapshot([], 30)).created
    if ending == "complete":
        await queue.complete(job.id, job.lease_token, "animatic", {})
    elif ending == "fail":
        await queue.fail(job.id, job.lease_token, jobs.JobError("x", "y"))
    else:
        clock.advance(11)
        assert (await queue.reap()).failed == (job.id,)
    after = await observe.snapshot([], 30)
    assert before == after.created == {"sora-2": 1.0}
    assert after.in_flight == {}
