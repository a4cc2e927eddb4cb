"""A catalogue model routed to the diffusers engine renders through the worker's resident
executor, and the video records how the open model made it (``rendered_with``)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from reelway import jobs
from reelway import settings as settings_module
from reelway.api import wire
from reelway.runtime import Runtime
from reelway.service import Caller
from tests import tiny_models
from tests.backends import Deployment

FPS = 8


@pytest.fixture(scope="module")
def wan_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_wan22(tmp_path_factory.mktemp("models") / "wan")


@pytest.fixture(scope="module")
def ltx_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tiny_models.build_ltx(tmp_path_factory.mktemp("models") / "ltx")


@pytest.fixture
async def runtime(
    tmp_path: Path, deployment: Deployment, wan_folder: Path, ltx_folder: Path
) -> AsyncIterator[Runtime]:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."wan-tiny"]\nsizes = ["160x90", "96x96"]\nseconds = [2, 4]\n'
        'default_size = "160x90"\ndefault_seconds = 2\ncapabilities = ["image_input"]\n'
        'route = ["wan"]\n[models."wan-tiny".price_per_second]\n"480p" = 0.01\n'
        '[models."ltx-tiny"]\nsizes = ["160x90"]\nseconds = [2]\ndefault_size = "160x90"\n'
        'default_seconds = 2\ncapabilities = ["remix", "edits"]\nroute = ["ltx"]\n'
        '[models."ltx-tiny".price_per_second]\n"480p" = 0.01\n'
    )
    config = tmp_path / "reelway.toml"
    config.write_text(
        f'[engines.wan]\ntype = "diffusers"\nmodel_path = "{wan_folder}"\ndevice = "cpu"\n'
        f'native_size = "64x32"\nsteps = 2\nfps = {FPS}\n'
        f'[engines.ltx]\ntype = "diffusers"\nmodel_path = "{ltx_folder}"\ndevice = "cpu"\n'
        f'native_size = "64x32"\nsteps = 2\nfps = {FPS}\n'
    )
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=catalog,
        config=config,
        claim_poll_seconds=0.05,
        heartbeat_seconds=0.2,
    )
    rt = await Runtime.open(settings, migrate=True)
    try:
        yield rt
    finally:
        await rt.close()


async def _finished(rt: Runtime, ids: list[str], limit: float = 120) -> list[jobs.Video]:
    deadline = time.monotonic() + limit
    while True:
        found = [await rt.videos.get(i, include_deleted=True) for i in ids]
        if all(v is not None and v.is_terminal for v in found):
            return [v for v in found if v is not None]
        assert time.monotonic() < deadline, found
        await asyncio.sleep(0.05)


async def test_videos_record_how_the_open_model_made_them_and_load_it_once(
    runtime: Runtime,
) -> None:
    project, _ = await runtime.keys.ensure_project("open-models")
    caller = Caller(project_id=project.id, key_id="k")

    def create(body: dict[str, Any]) -> Any:
        return runtime.service.create(caller, body)

    first = await create({"prompt": "a lighthouse at night", "model": "wan-tiny"})
    second = await create({"prompt": "a fox", "model": "wan-tiny", "size": "96x96", "seconds": "4"})
    worker = runtime.worker(1)
    await worker.start()
    try:
        one, two = await _finished(runtime, [first.video.id, second.video.id])
    finally:
        await worker.stop(5)
    assert one.status is jobs.JobStatus.SUCCEEDED, one.error
    assert two.status is jobs.JobStatus.SUCCEEDED, two.error
    assert one.rendered_with is not None and two.rendered_with is not None
    assert one.rendered_with["native_size"] == "64x32"  # 16:9 at the configured native area
    assert two.rendered_with["native_size"] == "32x32"  # 1:1 at about that area, multiples of 32
    assert (one.rendered_with["frames"], two.rendered_with["frames"]) == (2 * FPS, 4 * FPS)
    assert one.rendered_with["steps"] == two.rendered_with["steps"] == 2
    assert one.rendered_with["device"] == "cpu"
    # One resident process loaded the weights for the first job; the second paid nothing.
    assert one.rendered_with["load_seconds"] > 0
    assert two.rendered_with["load_seconds"] == 0
    shown = wire.video(two)
    assert shown["rendered_with"] == two.rendered_with and shown["size"] == "96x96"


async def test_a_remix_on_ltx_is_a_real_video_to_video_remix(runtime: Runtime) -> None:
    """LTX has a video-to-video pipeline: a remix of its video is remade from the source's
    frames (not rendered as a new generation), and the video says how."""
    project, _ = await runtime.keys.ensure_project("open-remix")
    caller = Caller(project_id=project.id, key_id="k")
    worker = runtime.worker(1)
    await worker.start()
    try:
        made = await runtime.service.create(caller, {"prompt": "a fox", "model": "ltx-tiny"})
        (source,) = await _finished(runtime, [made.video.id])
        assert source.status is jobs.JobStatus.SUCCEEDED, source.error
        asked = await runtime.service.remix(caller, source.id, {"prompt": "a fox at night"})
        (remix,) = await _finished(runtime, [asked.video.id])
    finally:
        await worker.stop(5)
    assert remix.status is jobs.JobStatus.SUCCEEDED, remix.error
    assert remix.rendered_as is None  # a real remix, not a fresh generation
    assert remix.rendered_with is not None
    assert remix.rendered_with["remade_from"] == "video"
    assert remix.rendered_with["model"] == "ltx"
    assert wire.video(remix)["remixed_from_video_id"] == source.id
