"""A remote job's CPU split by stage, and what the cheaper remote path keeps: one probe of
the provider's file, a signed video whose manifest keeps the provider's file as its parent.

The job runs on the real ``openai_compat`` engine against the fake OpenAI server, through a
real worker slot, on each backend.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelway.media import probe, provenance
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.worker import stages
from tests.backends import Deployment
from tests.fake_provider import REMOTE
from tests.fakes.openai import FakeOpenAI
from tests.remote_runtime import remote_runtime

KEY = "sk-upstream-test-key-000000000000"
REMOTE_PATH_STAGES = {
    "claim",
    "route",
    "submit",
    "poll",
    "download",
    "previews",
    "probe",
    "signing",
    "custody",
    "complete",
    "cleanup",
}


@pytest.fixture
def upstream(clip: bytes) -> Iterator[FakeOpenAI]:
    fake = FakeOpenAI(clip, KEY, offer=REMOTE)
    yield fake
    fake.close()


@pytest.fixture
async def runtime(
    tmp_path: Path, deployment: Deployment, upstream: FakeOpenAI
) -> AsyncIterator[Runtime]:
    options = {"base_url": upstream.v1, "api_key": KEY}
    async with remote_runtime(deployment, "openai_compat", options, tmp_path) as rt:
        yield rt


async def _completed(rt: Runtime, video_id: str, limit: float = 30.0) -> None:
    deadline = time.monotonic() + limit
    while True:
        video = await rt.videos.get(video_id)
        assert video is not None
        if video.status in ("succeeded", "failed"):
            assert video.status == "succeeded", video.error
            return
        assert time.monotonic() < deadline, video.status
        await asyncio.sleep(0.05)


async def _cpu_record(caplog: pytest.LogCaptureFixture, video_id: str) -> dict[str, Any]:
    """The worker's ``cpu_ms`` line for the job (logged just after it completes)."""
    deadline = time.monotonic() + 10
    while True:
        for record in caplog.records:
            split = getattr(record, "cpu_ms", None)
            if split is not None and getattr(record, "video_id", None) == video_id:
                found: dict[str, Any] = split
                return found
        assert time.monotonic() < deadline, "the worker logged no cpu_ms for the job"
        await asyncio.sleep(0.05)


async def test_a_remote_job_logs_its_cpu_by_stage_and_probes_the_file_once(
    runtime: Runtime,
    upstream: FakeOpenAI,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog.set_level(logging.INFO, logger="reelway.worker.runner")
    probed: list[str] = []
    real_probe = probe.probe

    def counting(path: Path | str) -> probe.MediaInfo:
        probed.append(Path(path).name)
        return real_probe(path)

    monkeypatch.setattr(probe, "probe", counting)
    project, _ = await runtime.keys.ensure_project("stages")
    caller = Caller(project_id=project.id, key_id="k")
    worker = runtime.worker(1)
    await worker.start()
    try:
        created = await runtime.service.create(caller, {"prompt": "a kite", "model": "remote"})
        video_id = created.video.id
        await _completed(runtime, video_id)
        split = await _cpu_record(caplog, video_id)
    finally:
        await worker.stop(5)

    assert set(split) >= REMOTE_PATH_STAGES, split
    assert set(split) <= set(stages.STAGES), split
    assert all(isinstance(v, float) and v >= 0 for v in split.values()), split
    assert sum(split.values()) > 0
    # The playability check of the provider's file and its billing share one read.
    assert probed.count("video.mp4") == 1, probed
    assert upstream.calls["download"] >= 1

    found = await runtime.service.content(caller, video_id, "video")
    stored = runtime.settings.data_dir / "stored.mp4"
    await runtime.storage.download(found.asset.key, stored)
    report = provenance.read(stored)
    assert report.ok, report.failures
    assert [i["relationship"] for i in report.ingredients] == ["parentOf"]
    for variant, name in (("thumbnail", "t.webp"), ("spritesheet", "s.jpg")):
        preview = runtime.settings.data_dir / name
        asset = (await runtime.service.content(caller, video_id, variant)).asset
        await runtime.storage.download(asset.key, preview)
        assert provenance.read(preview).ok, variant
