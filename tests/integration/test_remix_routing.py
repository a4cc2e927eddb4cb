"""A remix on an engine that cannot remix is rendered as a new generation, and the video says
so instead of pretending (against real fake providers on loopback and a real store)."""

from __future__ import annotations

import asyncio
import time

from reelway import jobs
from reelway.api import wire
from reelway.runtime import Runtime
from reelway.service import Caller
from tests.fakes.openai import FakeOpenAI
from tests.integration.conftest import Open


async def _finished(rt: Runtime, video_id: str, limit: float = 30) -> jobs.Video:
    worker = rt.worker(1)
    await worker.start()
    try:
        deadline = time.monotonic() + limit
        while True:
            video = await rt.videos.get(video_id, include_deleted=True)
            if video is not None and video.is_terminal:
                return video
            assert time.monotonic() < deadline, video
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(5)


async def _source_and_remix(rt: Runtime) -> tuple[jobs.Video, jobs.Video]:
    project, _ = await rt.keys.ensure_project("remixing")
    caller = Caller(project_id=project.id, key_id="k")
    made = await rt.service.create(caller, {"prompt": "a boat", "model": "remote"})
    source = await _finished(rt, made.video.id)
    assert source.status is jobs.JobStatus.SUCCEEDED, source.error
    asked = await rt.service.remix(caller, source.id, {"prompt": "the boat at night"})
    assert asked.video.kind is jobs.JobKind.REMIX
    return source, await _finished(rt, asked.video.id)


async def test_a_remix_on_an_engine_without_remix_records_it_was_rendered_as_a_generation(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, _ = providers
    rt = await open_runtime(["p1", "p2"], p1_extra="capabilities = []")
    source, remix = await _source_and_remix(rt)
    assert source.engine == remix.engine == "p1"
    assert remix.status is jobs.JobStatus.SUCCEEDED, remix.error
    assert remix.rendered_as == "generation"
    assert not [job for job in p1.jobs.values() if job.body.get("remix_of")]
    shown = wire.video(remix)
    assert shown["rendered_as"] == "generation" and shown["remixed_from_video_id"] == source.id
    assert "rendered_as" not in wire.video(source)


async def test_a_remix_on_the_engine_that_made_its_source_is_a_real_remix(
    open_runtime: Open, providers: tuple[FakeOpenAI, FakeOpenAI]
) -> None:
    p1, _ = providers
    rt = await open_runtime(["p1", "p2"])
    source, remix = await _source_and_remix(rt)
    assert remix.status is jobs.JobStatus.SUCCEEDED and remix.engine == "p1", remix.error
    assert remix.rendered_as is None and "rendered_as" not in wire.video(remix)
    assert [job.body["remix_of"] for job in p1.jobs.values() if job.body.get("remix_of")] == [
        source.operation and source.operation["id"]
    ]
