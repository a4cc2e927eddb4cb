"""Routing across engines: failover after acceptance, moderation that stays put, shared rate
windows with zero upstream 429s, circuit breakers, Retry-After, each against real fake
providers on loopback and a real store (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import time

from reelway import jobs
from reelway.runtime import Runtime
from reelway.service import Caller
from tests import harness
from tests.backends import Deployment
from tests.fakes import server
from tests.fakes.openai import FakeOpenAI
from tests.integration.conftest import Open


async def _create(rt: Runtime, n: int = 1) -> list[str]:
    project, _ = await rt.keys.ensure_project("routing")
    caller = Caller(project_id=project.id, key_id="k")
    return [
        (await rt.service.create(caller, {"prompt": f"shot {i}", "model": "remote"})).video.id
        for i in range(n)
    ]


async def _finish(
    rt: Runtime, ids: list[str], slots: int = 1, limit: float = 30
) -> list[jobs.Video]:
    worker = rt.worker(slots)
    await worker.start()
    try:
        deadline = time.monotonic() + limit
        while True:
            videos = [await rt.videos.get(i, include_deleted=True) for i in ids]
            if all(v is not None and v.is_terminal for v in videos):
                return [v for v in videos if v is not None]
            assert time.monotonic() < deadline, [v.status for v in videos if v]
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(5)


async def test_a_capacity_failure_after_acceptance_completes_on_the_next_provider(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, p2 = providers
    p1.next_outcome(server.Outcome("fail", code="server_busy", after=0.3))
    rt = await open_runtime(["p1", "p2"])
    (video,) = await _finish(rt, await _create(rt))
    assert video.status == jobs.JobStatus.SUCCEEDED, video.error
    assert video.engine == "p2", "the video records which engine made it"
    assert p1.creates() == 1 and p2.creates() == 1
    (attempt,) = video.engine_attempts
    assert attempt.engine == "p1" and attempt.code == "upstream_capacity"
    assert attempt.upstream is not None and attempt.upstream["provider_code"] == "server_busy"
    assert p1.calls["poll"] >= 1, "p1 had accepted the job before it failed"
    # What the engine sent is what a strict /v1/videos server takes, key and all.
    (job,) = p2.jobs.values()
    assert job.body == {
        "prompt": "shot 0",
        "model": "remote",
        "size": "320x180",
        "seconds": "1",
        "encoding": "application/json",
    }
    assert p1.answered.keys() == p2.answered.keys() == {200}
    # One charge for the video, though two providers had it.
    project = await rt.accounts.accounts.require("routing")
    summary = await rt.accounts.summary(project)
    assert summary.balance.credits_spent > 0 and summary.balance.credits_reserved == 0
    (row,) = await rt.accounts.usage(project.id, None, None)
    assert (row.requests, row.completed, row.credits) == (1, 1, summary.balance.credits_spent)


async def test_moderation_on_the_first_provider_never_touches_the_second(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, p2 = providers
    p1.next_outcome(server.Outcome("moderated"))
    rt = await open_runtime(["p1", "p2"])
    (video,) = await _finish(rt, await _create(rt))
    assert video.status == jobs.JobStatus.FAILED
    assert video.error is not None and video.error.code == "moderation_blocked"
    assert p2.creates() == 0 and p2.calls["poll"] == 0


async def test_a_rate_limited_provider_gets_its_jobs_spread_over_time_with_no_429(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, _ = providers
    p1.rate_limit = (3, 2.0)  # the provider's account limit
    rt = await open_runtime(["p1"], "rate_limits = [{requests = 3, seconds = 2}]")
    started = time.monotonic()
    videos = await _finish(rt, await _create(rt, 7), slots=4, limit=40)
    assert all(v.status == jobs.JobStatus.SUCCEEDED for v in videos), [v.error for v in videos]
    assert p1.answered[429] == 0, "Reelway kept under the provider's limit"
    assert p1.creates() == 7
    creates = sorted(at for at, endpoint, _ in p1.log if endpoint == "create")
    assert creates[3] - creates[0] >= 2.0, "the fourth submit waited for the window"
    assert creates[6] - creates[0] >= 4.0
    assert time.monotonic() - started >= 4.0


async def test_an_open_circuit_breaker_skips_a_failing_provider(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, p2 = providers
    p1.script("create", *[server.fault(503, {"error": {"message": "overloaded"}})] * 10)
    rt = await open_runtime(["p1", "p2"], "breaker_failures = 2\nbreaker_cooldown_seconds = 600")
    for _ in range(4):
        (video,) = await _finish(rt, await _create(rt))
        assert video.status == jobs.JobStatus.SUCCEEDED and video.engine == "p2"
    assert p1.creates() == 2, "after two failures p1 was skipped"
    assert p2.creates() == 4
    (health,) = [h for h in await rt.engine_store.health() if h.engine == "p1"]
    assert health.failures == 2 and health.opened_until is not None


async def test_retry_after_is_honoured_when_there_is_no_other_engine(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, _ = providers
    p1.script("create", server.fault(429, {"error": {"message": "slow down"}}, retry_after=1))
    rt = await open_runtime(["p1"])
    started = time.monotonic()
    (video,) = await _finish(rt, await _create(rt))
    assert video.status == jobs.JobStatus.SUCCEEDED, video.error
    assert p1.creates() == 2
    creates = [at for at, endpoint, _ in p1.log if endpoint == "create"]
    assert creates[1] - creates[0] >= 1.0, "the second submit waited for Retry-After"
    assert time.monotonic() - started >= 1.0


async def test_a_route_that_keeps_failing_ends_with_the_last_code_and_the_history(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI], deployment: Deployment
) -> None:
    p1, p2 = providers
    p1.script("create", *[server.fault(503, {})] * 2)
    p2.script("create", *[server.DROP] * 2)
    rt = await open_runtime(["p1", "p2"], route_passes=2)
    (video,) = await _finish(rt, await _create(rt))
    assert video.status == jobs.JobStatus.FAILED
    assert video.error is not None
    assert video.error.code == "upstream_unavailable"
    assert "p1 (upstream_unavailable)" in video.error.message
    assert [a.engine for a in video.error.attempts if a.engine] == ["p1", "p2"] * 2
    assert p1.creates() == 2 and p2.creates() == 2

    # The operator's view: every attempt, with what the provider said.
    report = await asyncio.to_thread(
        harness.run_cli, "doctor", video.id, data_dir=deployment.data_dir, env=deployment.env
    )
    assert "status     failed (API: failed)" in report
    assert "attempt 1  p1: upstream_unavailable" in report
    assert "http_status=503" in report and "request_id=req_" in report
    assert "attempt 4  p2: upstream_unavailable" in report and "transport=" in report
    health = await asyncio.to_thread(
        harness.run_cli, "doctor", data_dir=deployment.data_dir, env=deployment.env
    )
    assert "animatic" in health


async def test_max_concurrency_bounds_the_jobs_out_at_a_provider(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, _ = providers
    for _ in range(5):
        p1.next_outcome(server.Outcome("succeed", after=0.6))
    rt = await open_runtime(["p1"], "max_concurrency = 2")
    videos = await _finish(rt, await _create(rt, 5), slots=5, limit=40)
    assert all(v.status == jobs.JobStatus.SUCCEEDED for v in videos), [v.error for v in videos]
    creates = sorted(at for at, endpoint, _ in p1.log if endpoint == "create")
    # Each job takes 0.6 s at the provider: with two at a time, five need three rounds.
    assert creates[2] - creates[0] >= 0.6 and creates[4] - creates[0] >= 1.2


async def test_failed_status_checks_are_asked_again_not_failed_over(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, p2 = providers
    p1.next_outcome(server.Outcome("succeed", after=0.3))
    p1.script(
        "poll",
        server.fault(503, {"error": {"message": "overloaded"}}),
        server.DROP,
        server.fault(429, {}, retry_after=0.2),
    )
    rt = await open_runtime(["p1", "p2"])
    (video,) = await _finish(rt, await _create(rt))
    assert video.status == jobs.JobStatus.SUCCEEDED, video.error
    assert video.engine == "p1" and not video.engine_attempts
    assert p1.creates() == 1 and p2.creates() == 0
    assert p1.calls["poll"] >= 4
