"""A poll's answer encoded once (``Routes.poll_response``) is byte for byte the answer
``video_response`` builds, for a video still rendering and for a finished one, and a changed
record is encoded afresh."""

from __future__ import annotations

import dataclasses
from typing import Any, cast

from reelway import jobs
from reelway.api.routes import Routes
from reelway.store.videos import VideoStore
from tests.integration.conftest import new_video


def routes() -> Routes:
    return Routes(cast(Any, None), cast(Any, None), poll_after_ms=750, max_file_bytes=1)


async def test_reads_perf_a_poll_answers_as_video_response_does(
    videos: VideoStore, project_id: str
) -> None:
    await videos.insert(new_video(project_id, 1))
    queued = await videos.get("video_0001", project_id=project_id)
    assert queued is not None
    finished = dataclasses.replace(queued, status=jobs.JobStatus.SUCCEEDED, progress=100)
    answering = routes()
    for video in (queued, finished, queued):
        polled = answering.poll_response(video)
        built = answering.video_response(video)
        assert polled.status_code == built.status_code == 200
        assert polled.body == built.body
        assert polled.raw_headers == built.raw_headers
    assert (b"openai-poll-after-ms", b"750") in answering.poll_response(queued).raw_headers
    assert all(
        name != b"openai-poll-after-ms" for name, _ in answering.poll_response(finished).raw_headers
    )
    assert b'"status":"completed"' in answering.poll_response(finished).body
