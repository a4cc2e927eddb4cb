"""Remote engines: submitted once, polled by whichever worker holds the job, fetched, stored."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelway.runtime import Runtime
from reelway.service import Caller
from tests import media_checks
from tests.backends import Deployment
from tests.fake_provider import FakeProvider
from tests.remote_runtime import remote_runtime

ENGINE = "tests.fake_engines:FakeRemoteEngine"


@pytest.fixture
def provider(clip: bytes) -> Iterator[FakeProvider]:
    fake = FakeProvider(clip, seconds_per_job=1.0)
    yield fake
    fake.close()


@pytest.fixture
async def runtime(
    tmp_path: Path, deployment: Deployment, provider: FakeProvider
) -> AsyncIterator[Runtime]:
    options = {"base_url": provider.base_url, "api_key": provider.api_key}
    async with remote_runtime(deployment, ENGINE, options, tmp_path) as rt:
        yield rt


async def _submitted(provider: FakeProvider) -> None:
    for _ in range(500):
        if provider.submits:
            return
        await asyncio.sleep(0.02)
    raise AssertionError("nothing was submitted to the provider")


async def _caller(rt: Runtime) -> Caller:
    project, _ = await rt.keys.ensure_project("remote")
    return Caller(project_id=project.id, key_id="k")


async def _wait(rt: Runtime, video_id: str, statuses: set[str], limit: float = 20.0):
    deadline = time.monotonic() + limit
    while True:
        video = await rt.videos.get(video_id, include_deleted=True)
        assert video is not None
        if video.status in statuses:
            return video
        assert time.monotonic() < deadline, video.status
        await asyncio.sleep(0.05)


async def test_a_remote_job_is_submitted_once_and_its_files_kept(
    runtime: Runtime, provider: FakeProvider
) -> None:
    caller = await _caller(runtime)
    worker = runtime.worker(1)
    await worker.start()
    try:
        video = (
            await runtime.service.create(caller, {"prompt": "a kite", "model": "remote"})
        ).video
        done = await _wait(runtime, video.id, {"succeeded", "failed"})
        assert done.status == "succeeded", done.error
        assert done.engine == ENGINE and done.operation == {"job": "job_1"}
        assert provider.submits == {video.id: 1}
        assert provider.refused == [], "the provider accepted every call the engine made"
        found = await runtime.service.content(caller, video.id, "video")
        stored = runtime.settings.data_dir / "video.mp4"
        await runtime.storage.download(found.asset.key, stored)
        facts = media_checks.decode_mp4(stored.read_bytes())
        assert (facts.width, facts.height) == (320, 180)
        thumb = await runtime.service.content(caller, video.id, "thumbnail")
        assert thumb.asset.size > 0
    finally:
        await worker.stop(5)


async def test_a_worker_that_takes_over_resumes_the_stored_operation(
    runtime: Runtime, provider: FakeProvider
) -> None:
    caller = await _caller(runtime)
    first = runtime.worker(1)
    await first.start()
    video = (await runtime.service.create(caller, {"prompt": "a kite", "model": "remote"})).video
    await _submitted(provider)
    await first.stop(0)  # hands the job back with its operation still on the row
    handed_back = await runtime.videos.get(video.id)
    assert handed_back is not None and handed_back.operation == {"job": "job_1"}
    polls_before = provider.polls
    second = runtime.worker(1)
    await second.start()
    try:
        done = await _wait(runtime, video.id, {"succeeded", "failed"})
        assert done.status == "succeeded", done.error
        assert provider.submits == {video.id: 1}, "resumed, not resubmitted"
        assert provider.polls > polls_before
    finally:
        await second.stop(5)


async def test_deleting_a_remote_job_cancels_it_at_the_provider(
    runtime: Runtime, provider: FakeProvider
) -> None:
    provider.seconds_per_job = 30
    caller = await _caller(runtime)
    worker = runtime.worker(1)
    await worker.start()
    try:
        video = (
            await runtime.service.create(caller, {"prompt": "a kite", "model": "remote"})
        ).video
        await _submitted(provider)
        await runtime.service.delete(caller, video.id)
        await _wait(runtime, video.id, {"cancelled"})
        assert provider.cancels == 1
    finally:
        await worker.stop(5)


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        ({"key": "sk-wrong", "json": {"prompt": "a kite", "reference": "v"}}, 401, "unauthorized"),
        ({"key": None, "json": {"prompt": "a kite", "reference": "v"}}, 401, "unauthorized"),
        ({"json": {"reference": "video_1"}}, 400, "invalid_field"),
        ({"json": {"prompt": "", "reference": "video_1"}}, 400, "invalid_field"),
        ({"json": {"prompt": "a kite", "reference": "v", "seed": 1}}, 400, "invalid_field"),
        ({"data": {"prompt": "a kite", "reference": "video_1"}}, 400, "invalid_body"),
        ({"content": b"{not json", "path": "/jobs"}, 400, "invalid_body"),
        ({"method": "GET", "path": "/jobs/job_404"}, 404, "job_not_found"),
        ({"path": "/jobs/job_404/cancel"}, 404, "job_not_found"),
    ],
    ids=[
        "wrong key",
        "no key",
        "no prompt",
        "empty prompt",
        "unknown field",
        "form-encoded body",
        "malformed JSON",
        "unknown job",
        "cancel unknown job",
    ],
)
def test_the_fake_provider_refuses_what_its_api_does_not_take(
    provider: FakeProvider, call: dict[str, Any], status: int, code: str
) -> None:
    method, path = call.pop("method", "POST"), call.pop("path", "/jobs")
    key = call.pop("key", provider.api_key)
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    with httpx.Client(timeout=5) as client:
        answer = client.request(method, provider.base_url + path, headers=headers, **call)
    assert (answer.status_code, answer.json()["error"]["code"]) == (status, code)
    assert provider.submits == {} and provider.refused == [(status, code)]
