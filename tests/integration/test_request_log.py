"""Refused API requests are recorded for ``reelway doctor``: what, by whom and why, cheaply,
never at the cost of the request, and pruned by the worker's reaper."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from reelway import errors
from reelway import settings as settings_module
from reelway.api.app import create_app
from reelway.api.middleware import Refusals
from reelway.runtime import Runtime
from reelway.store.diagnosis import RefusedRequest, RequestLog
from tests.backends import Deployment


@pytest.fixture
async def runtime(deployment: Deployment) -> AsyncIterator[Runtime]:
    settings = settings_module.from_env(
        deployment.env, data_dir=deployment.data_dir, reap_interval_seconds=0.2
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


@pytest.fixture
async def key(runtime: Runtime) -> str:
    project, _ = await runtime.keys.ensure_project("refusals")
    _, secret = await runtime.keys.create_key(project.id, name="test")
    return secret


@pytest.fixture
async def http(runtime: Runtime) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(runtime))
    async with httpx.AsyncClient(transport=transport, base_url="http://reelway.test") as client:
        yield client


async def test_refusals_are_recorded_with_their_code_param_and_project(
    runtime: Runtime, http: httpx.AsyncClient, key: str
) -> None:
    auth = {"Authorization": f"Bearer {key}"}
    no_key = await http.post("/v1/videos", json={"prompt": "a kite"})
    bad_size = await http.post(
        "/v1/videos", json={"prompt": "a kite", "size": "999x999"}, headers=auth
    )
    missing = await http.get("/v1/videos/video_nope", headers=auth)
    nowhere = await http.get("/v1/nowhere")
    assert [r.status_code for r in (no_key, bad_size, missing, nowhere)] == [401, 400, 404, 404]
    # Operators' endpoints and successes are not recorded.
    for path in ("/health", "/ready", "/metrics", "/dashboard", "/dashboard/anything"):
        await http.get(path)
    assert (await http.get("/v1/videos", headers=auth)).status_code == 200

    log = RequestLog(runtime.db)
    project = await runtime.keys.ensure_project("refusals")
    rows = [await log.get(r.headers["x-request-id"]) for r in (no_key, bad_size, missing, nowhere)]
    assert all(row is not None for row in rows)
    first, second, third, fourth = (row for row in rows if row is not None)
    assert (first.method, first.path, first.status, first.code, first.project_id) == (
        "POST",
        "/v1/videos",
        401,
        "missing_api_key",
        None,
    )
    assert (second.status, second.code, second.param) == (400, "invalid_value", "size")
    assert second.project_id == project[0].id and second.message and "999x999" in second.message
    assert (third.code, third.project_id) == ("video_not_found", project[0].id)
    assert (fourth.code, fourth.path) == ("unknown_url", "/v1/nowhere")
    assert await log.prune(-60) == 4, "nothing else was recorded"


async def test_a_failing_write_never_fails_the_request(
    http: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(self: RequestLog, entry: RefusedRequest) -> None:
        raise errors.DatabaseUnavailable()

    monkeypatch.setattr(RequestLog, "record", broken)
    with caplog.at_level(logging.WARNING, logger="reelway.api.middleware"):
        answer = await http.post("/v1/videos", json={"prompt": "a kite"})
        again = await http.get("/v1/nowhere")
    assert (answer.status_code, again.status_code) == (401, 404)
    assert answer.json()["error"]["code"] == "missing_api_key"
    warnings = [r for r in caplog.records if "could not record" in r.getMessage()]
    assert len(warnings) == 1, "one warning a minute, not one per request"


class _Store:
    def __init__(self) -> None:
        self.entries: list[RefusedRequest] = []

    async def record(self, entry: RefusedRequest) -> None:
        self.entries.append(entry)


class _Clock:
    now = 1000.0

    def __call__(self) -> float:
        return self.now


async def test_a_flood_of_429s_costs_one_write_per_project_code_and_second() -> None:
    store, clock = _Store(), _Clock()
    refusals = Refusals(store, clock=clock)  # type: ignore[arg-type]
    limited = errors.RequestsPerMinuteExceeded()
    for n in range(200):
        state = {"request_id": f"req_{n}", "error": limited, "project_id": "proj_a"}
        await refusals.record({"path": "/v1/videos", "method": "POST"}, state, 429)
    other = {"request_id": "req_b", "error": limited, "project_id": "proj_b"}
    await refusals.record({"path": "/v1/videos", "method": "POST"}, other, 429)
    assert [e.request_id for e in store.entries] == ["req_0", "req_b"]
    clock.now += 1
    await refusals.record({"path": "/v1/videos", "method": "POST"}, other, 429)
    assert len(store.entries) == 3
    assert refusals.skipped == 199


async def test_refusals_beyond_the_write_budget_are_counted_not_written() -> None:
    store, clock = _Store(), _Clock()
    refusals = Refusals(store, rate=2.0, burst=5.0, clock=clock)  # type: ignore[arg-type]
    scope = {"path": "/v1/nowhere", "method": "GET"}
    for n in range(20):
        await refusals.record(scope, {"request_id": f"req_{n}"}, 404)
    assert len(store.entries) == 5 and refusals.skipped == 15
    clock.now += 1.0
    for n in range(20, 25):
        await refusals.record(scope, {"request_id": f"req_{n}"}, 404)
    assert len(store.entries) == 7, "the budget refills at its rate"


async def test_secrets_in_a_recorded_message_are_masked() -> None:
    store = _Store()
    refusals = Refusals(store)  # type: ignore[arg-type]
    state = {
        "request_id": "req_1",
        "error": errors.InvalidValue("Invalid model 'whsec_abcdefabcdef'.", param="model"),
    }
    await refusals.record({"path": "/v1/videos", "method": "POST"}, state, 400)
    (entry,) = store.entries
    assert entry.message is not None and "abcdefabcdef" not in entry.message


async def test_the_request_log_keeps_one_row_per_request_and_cuts_long_values(
    runtime: Runtime,
) -> None:
    log = RequestLog(runtime.db)
    entry = RefusedRequest("req_x", time.time(), "GET", "/v1/" + "x" * 500, 404, code="unknown_url")
    await log.record(entry)
    await log.record(entry)  # a retried write is harmless
    found = await log.get("req_x")
    assert found is not None and len(found.path) == 300 and found.code == "unknown_url"
    assert await log.get("req_other") is None


async def test_the_reaper_prunes_refusals_older_than_the_setting(
    deployment: Deployment,
) -> None:
    settings = settings_module.from_env(
        deployment.env, data_dir=deployment.data_dir, request_log_days=1, workers=0
    )
    rt = await Runtime.open(settings, migrate=True)
    try:
        log = RequestLog(rt.db)
        now = time.time()
        await log.record(RefusedRequest("req_old", now - 2 * 86400, "GET", "/v1/x", 404))
        await log.record(RefusedRequest("req_new", now - 3600, "GET", "/v1/x", 404))
        worker = rt.worker(1)
        await worker.start()
        try:
            deadline = time.monotonic() + 10
            while await log.get("req_old") is not None:
                assert time.monotonic() < deadline, "the reaper did not prune"
                await asyncio.sleep(0.05)
        finally:
            await worker.stop(5)
        assert await log.get("req_new") is not None
    finally:
        await rt.close()
