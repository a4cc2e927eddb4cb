"""``reelway doctor ID`` explains, in words, what happened to a video or a refused request:
a completed one, one that failed over, one that failed (with what to do), a refused request,
and an id it does not know; against real fake providers and a real store."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
import sqlalchemy as sa
from click.testing import CliRunner, Result

from reelway import jobs
from reelway.cli import doctor as doctor_module
from reelway.cli.doctor import doctor
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.store import tables
from reelway.store.diagnosis import RefusedRequest, RequestLog
from tests.backends import Deployment
from tests.fakes import server
from tests.fakes.openai import FakeOpenAI
from tests.integration.conftest import Open


async def _make(rt: Runtime, request_id: str, webhook: bool = False) -> jobs.Video:
    """One video of model ``remote``, run to its end by a worker."""
    project, _ = await rt.keys.ensure_project("doctor")
    if webhook:
        now = time.time()
        endpoint = {
            "id": "we_doctor",
            "project_id": project.id,
            "name": "receiver",
            "url": "http://127.0.0.1:9/hook",
            "event_types": ["video.completed", "video.failed"],
            "secret": "whsec_dGVzdHNlY3JldHRlc3RzZWNyZXQ=",
            "created_at": now,
            "updated_at": now,
        }
        await rt.db.write(
            lambda conn: conn.execute(sa.insert(tables.webhook_endpoints).values(endpoint))
        )
    caller = Caller(project_id=project.id, key_id="k")
    created = await rt.service.create(caller, {"prompt": "a kite", "model": "remote"}, request_id)
    worker = rt.worker(1)
    await worker.start()
    try:
        deadline = time.monotonic() + 30
        while True:
            video = await rt.videos.get(created.video.id)
            if video is not None and video.is_terminal:
                return video
            assert time.monotonic() < deadline, video
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(5)


async def _doctor(deployment: Deployment, *args: str) -> Result:
    """``reelway doctor ARGS`` in this process (its own event loop, in a thread)."""
    runner = CliRunner()
    return await asyncio.to_thread(
        runner.invoke,
        doctor,
        [*args, "--data-dir", str(deployment.data_dir)],
        env=deployment.env,
    )


async def test_a_completed_video_tells_its_story(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI], deployment: Deployment
) -> None:
    rt = await open_runtime(["p1"], route_passes=1)
    video = await _make(rt, "req_doctor_completed", webhook=True)
    assert video.status is jobs.JobStatus.SUCCEEDED, video.error
    for ident in (video.id, "req_doctor_completed"):
        result = await _doctor(deployment, ident)
        assert result.exit_code == 0, result.output
        out = result.output
        assert f"video      {video.id}" in out
        assert "status     succeeded (API: completed)" in out
        assert "created (request req_doctor_completed)" in out
        assert "started by a worker after" in out and "in the queue" in out
        assert "completed on p1" in out
        assert "result     completed" in out
        assert "charge     charged 4 credits" in out
        assert "video.completed" in out
        assert "webhook wh_" in out and "endpoint we_doctor" in out
        assert "whsec_" not in out

    report = json.loads((await _doctor(deployment, video.id, "--json")).output)
    assert report["id"] == video.id and report["status"] == "succeeded"
    assert [step["event"] for step in report["timeline"]] == ["created", "started", "finished"]
    assert report["timeline"][1]["queued_seconds"] >= 0
    assert report["charge"]["state"] == "settled" and report["charge"]["credits_charged"] == 4
    (event,) = report["events"]
    assert event["type"] == "video.completed"
    assert event["deliveries"][0]["endpoint_id"] == "we_doctor"
    assert report["error"] is None and report["remedy"] is None


async def test_a_remix_names_its_source(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI], deployment: Deployment
) -> None:
    rt = await open_runtime(["p1"], route_passes=1)
    source = await _make(rt, "req_doctor_source")
    assert source.status is jobs.JobStatus.SUCCEEDED, source.error
    caller = Caller(project_id=source.project_id, key_id="k")
    asked = await rt.service.remix(caller, source.id, {"prompt": "the same kite at night"})
    result = await _doctor(deployment, asked.video.id)
    assert result.exit_code == 0, result.output
    assert f"made as    remix of {source.id}\n" in result.output
    report = json.loads((await _doctor(deployment, asked.video.id, "--json")).output)
    assert report["kind"] == "remix"
    assert report["sources"]["video_id"] == source.id


async def test_a_failed_over_video_shows_each_engine_and_what_its_provider_said(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI], deployment: Deployment
) -> None:
    p1, _ = providers
    p1.script("create", server.fault(503, {"error": {"message": "overloaded, try later"}}))
    rt = await open_runtime(["p1", "p2"], route_passes=1)
    video = await _make(rt, "req_doctor_failover")
    assert video.status is jobs.JobStatus.SUCCEEDED and video.engine == "p2", video.error
    result = await _doctor(deployment, video.id)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "attempt 1  p1: upstream_unavailable" in out
    assert "http_status=503" in out and "provider said: overloaded, try later" in out
    assert "completed on p2" in out
    assert out.index("attempt 1  p1") < out.index("completed on p2")


async def test_a_failed_video_gets_its_cause_and_what_to_do(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI], deployment: Deployment
) -> None:
    p1, _ = providers
    p1.script("create", server.fault(401, {"error": {"message": "Incorrect API key provided"}}))
    rt = await open_runtime(["p1"], route_passes=1)
    video = await _make(rt, "req_doctor_failed")
    assert video.status is jobs.JobStatus.FAILED
    assert video.error is not None and video.error.code == "upstream_auth_failed"
    result = await _doctor(deployment, "req_doctor_failed")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "status     failed (API: failed)" in out
    assert "attempt 1  p1: upstream_auth_failed" in out and "http_status=401" in out
    assert "failed: upstream_auth_failed" in out
    assert "error      upstream_auth_failed:" in out
    assert "cause      The provider refused this server's credentials" in out
    assert "what to do Check the engine's api_key in the config file" in out
    assert "charge     nothing charged (upstream_auth_failed)" in out

    report = json.loads((await _doctor(deployment, video.id, "--json")).output)
    assert report["remedy"].startswith("Check the engine's api_key")
    assert report["cause"].startswith("The provider refused this server's credentials")
    assert report["charge"]["state"] == "released"


async def test_a_refused_request_is_explained(open_runtime: Open, deployment: Deployment) -> None:
    rt = await open_runtime(["p1"], route_passes=1)
    await RequestLog(rt.db).record(
        RefusedRequest(
            request_id="req_doctor_refused",
            at=time.time(),
            method="POST",
            path="/v1/videos",
            status=400,
            project_id="proj_x",
            code="invalid_value",
            param="size",
            message="Invalid size '999x999' for model 'remote'. Allowed sizes: 320x180.",
        )
    )
    result = await _doctor(deployment, "req_doctor_refused")
    assert result.exit_code == 0, result.output
    out = result.output
    assert "request    req_doctor_refused  refused, no video was created" in out
    assert "call       POST /v1/videos" in out
    assert "answer     400 invalid_value (param size)" in out
    assert "project    proj_x" in out
    assert "message    Invalid size '999x999'" in out
    assert "cause      " in out
    assert "what to do A parameter has a value the server does not allow" in out

    report = json.loads((await _doctor(deployment, "req_doctor_refused", "--json")).output)
    assert (report["status"], report["code"], report["param"]) == (400, "invalid_value", "size")
    assert report["remedy"]


async def test_an_unknown_id_is_a_clear_error(open_runtime: Open, deployment: Deployment) -> None:
    await open_runtime(["p1"], route_passes=1)
    result = await _doctor(deployment, "req_nobody_knows")
    assert result.exit_code == 1
    assert "no video and no refused request with id 'req_nobody_knows'" in result.output
    assert "REELWAY_REQUEST_LOG_DAYS" in result.output


async def test_engine_health_is_judged_at_the_current_time(
    open_runtime: Open, capsys: pytest.CaptureFixture[str]
) -> None:
    """A breaker or back-off whose time has passed is over: doctor said "open" while the row
    still held the old time (the dashboard and /metrics compared it with now)."""
    rt = await open_runtime(["p1", "p2"], route_passes=1)
    now = time.time()
    rows = [
        {"engine": "p1", "failures": 5, "opened_until": now - 60, "blocked_until": now - 30},
        {"engine": "p2", "failures": 5, "opened_until": now + 600, "blocked_until": now + 300},
    ]
    await rt.db.write(
        lambda conn: conn.execute(
            sa.insert(tables.engine_state), [{**row, "updated_at": now} for row in rows]
        )
    )
    capsys.readouterr()
    doctor_module._health(await rt.operations.diagnoses.engines.statuses())
    out = capsys.readouterr().out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert lines["p1"].endswith("consecutive failures 5; healthy"), out
    assert "breaker open until" in lines["p2"] and "provider back-off until" in lines["p2"], out
