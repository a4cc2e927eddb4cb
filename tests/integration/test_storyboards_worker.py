"""Storyboards through real workers and a real store (SQLite file and PostgreSQL + S3).

A local engine paints each shot in the colour its prompt names (starting from its input image
when it has one), so the stored result can be checked frame by frame: the length is the sum
of the shots, every shot is charged once and the storyboard itself nothing, a ``continue``
shot starts on its predecessor's last frame; a failing shot fails the storyboard by number,
keeps the finished shots, releases the rest, and a retry completes it; cancelling cascades;
a worker killed mid-storyboard loses nothing.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from pathlib import Path

import av
import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from PIL import Image

from reelway import catalog, errors, ids, jobs
from reelway import settings as settings_module
from reelway.cli.provenance import provenance as provenance_cli
from reelway.engines import base
from reelway.media import encode, previews, probe
from reelway.runtime import Runtime
from reelway.store import ledger
from reelway.store.queue import QueueStore
from reelway.store.tables import charges
from reelway.store.videos import NewVideo, VideoStore
from reelway.worker.runner import Worker
from tests.backends import Deployment
from tests.integration.conftest import Clock, new_video

S = jobs.JobStatus
ENGINE = "tests.integration.test_storyboards_worker:ColourEngine"
COLOURS = {"red": (220, 30, 30), "green": (30, 220, 30), "blue": (30, 30, 220)}
CREDITS_PER_SECOND = 4


class ColourEngine:
    """Paints the prompt's colour, fading from the input image when there is one; a prompt
    with "refuse" fails, one with "slow" takes a while."""

    info = base.EngineInfo(name="colour", capabilities=frozenset({catalog.Capability.IMAGE_INPUT}))
    FPS = 12

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        if "refuse" in request.prompt:
            raise errors.EngineRuntimeError("The colour engine refuses this prompt.")
        width, height, fps = request.width, request.height, self.FPS
        colour = next((c for name, c in COLOURS.items() if name in request.prompt), (128,) * 3)
        target = np.empty((height, width, 3), np.float32)
        target[:] = colour
        start = target
        if request.input_image is not None:
            with Image.open(request.input_image) as image:
                start = np.asarray(image.convert("RGB")).astype(np.float32)
        count = request.seconds * fps
        collector = previews.PreviewCollector(count, width, height)
        t = np.arange(request.seconds * encode.AUDIO_RATE) / encode.AUDIO_RATE
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        with encode.Mp4Writer(output.video, width, height, fps) as writer:
            writer.write_audio(np.stack([tone, tone]))
            for index in range(count):
                alpha = min(1.0, index / max(1, fps // 2))
                frame = (start * (1 - alpha) + target * alpha).astype(np.uint8)
                writer.write_frame(frame)
                collector.add(index, frame)
                progress(100 * index // count)
                if "slow" in request.prompt:
                    time.sleep(0.04)
        collector.save(output.thumbnail, output.spritesheet)
        return base.RenderResult(duration=request.seconds, frames=count, fps=fps, has_audio=True)


def _catalog(path: Path) -> Path:
    path.write_text(
        f'[credits_per_second]\n"480p" = {CREDITS_PER_SECOND}\n"720p" = 16\n"1080p" = 40\n'
        '[models."colour"]\nsizes = ["128x72"]\nseconds = [1, 2]\n'
        'default_size = "128x72"\ndefault_seconds = 1\n'
        'capabilities = ["image_input"]\n'
        f'route = ["{ENGINE}"]\n'
        '[models."colour".price_per_second]\n"480p" = 0.01\n'
    )
    return path


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=_catalog(tmp_path / "catalog.toml"),
        claim_poll_seconds=0.05,
        heartbeat_seconds=0.2,
        lease_seconds=2.0,
        reap_interval_seconds=0.5,
        storyboard_poll_seconds=0.1,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


def _reservation(video_id: str, project_id: str, seconds: int) -> ledger.Reservation:
    return ledger.Reservation(
        video_id=video_id,
        project_id=project_id,
        model="colour",
        size="128x72",
        seconds=seconds,
        relaxed=False,
        period_start=0.0,
        period_end=4e9,
        credits_per_second=CREDITS_PER_SECOND,
        usd_micros_per_second=10_000,
        credit_limit=None,
        budget_usd_micros=None,
    )


async def _storyboard(
    rt: Runtime, plan: list[tuple[str, str]], soundtrack: str = "per_shot"
) -> tuple[jobs.Video, list[jobs.Video]]:
    """Insert a storyboard of (prompt, transition) one-second shots, as the API would."""
    project, _ = await rt.keys.ensure_project("storyboards")
    parent_id = ids.new_id("video")
    shot_ids = [ids.new_id("video") for _ in plan]
    shots = []
    for index, ((prompt, transition), shot_id) in enumerate(zip(plan, shot_ids, strict=True)):
        continues = transition == "continue"
        shots.append(
            NewVideo(
                id=shot_id,
                project_id=project.id,
                model="colour",
                catalog_model="colour",
                prompt=prompt,
                size="128x72",
                seconds="1",
                seed=index,
                input_reference=None,
                request_id=None,
                kind=jobs.JobKind.SHOT,
                sources=jobs.Sources(
                    video_id=shot_ids[index - 1] if continues else None,
                    storyboard_id=parent_id,
                    shot_index=index,
                    transition=transition,
                    crossfade_seconds=0.5 if transition == "crossfade" else 0.0,
                ),
                run_at=jobs.WAITING_RUN_AT if continues else None,
                reservation=_reservation(shot_id, project.id, 1),
                storyboard_id=parent_id,
            )
        )
    parent = NewVideo(
        id=parent_id,
        project_id=project.id,
        model="colour",
        catalog_model="colour",
        prompt="\n".join(prompt for prompt, _ in plan),
        size="128x72",
        seconds=str(len(plan)),
        seed=0,
        input_reference=None,
        request_id=None,
        kind=jobs.JobKind.STORYBOARD,
        sources=jobs.Sources(soundtrack=soundtrack, shots=len(plan)),
    )
    made = await rt.videos.insert_storyboard(parent, shots)
    assert isinstance(made, tuple)
    return made


async def _until_ended(rt: Runtime, video_id: str, limit: float = 60) -> jobs.Video:
    deadline = time.monotonic() + limit
    while True:
        video = await rt.videos.get(video_id, include_deleted=True)
        if video is not None and video.is_terminal:
            return video
        assert time.monotonic() < deadline, video
        await asyncio.sleep(0.05)


async def _ended(rt: Runtime, video_id: str, slots: int = 2) -> jobs.Video:
    worker = rt.worker(slots)
    await worker.start()
    try:
        return await _until_ended(rt, video_id)
    finally:
        await worker.stop(5)


async def _charges(rt: Runtime, video_ids: list[str]) -> dict[str, tuple[str, int]]:
    query = sa.select(charges.c.video_id, charges.c.state, charges.c.credits_charged).where(
        charges.c.video_id.in_(video_ids)
    )
    found = await rt.db.read(lambda conn: conn.execute(query).all())
    return {row[0]: (row[1], row[2]) for row in found}


async def _file(rt: Runtime, video: jobs.Video, folder: Path) -> Path:
    asset = video.asset("video")
    assert asset is not None
    path = folder / f"{video.id}.mp4"
    await rt.storage.download(asset.key, path)
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        found: list[np.ndarray] = [
            f.to_ndarray(format="rgb24").astype(np.float64) for f in container.decode(video=0)
        ]
    return found


def _near(frame: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(frame.reshape(-1, 3).mean(axis=0) - np.array(colour)).max() < 15)


async def test_a_storyboard_is_rendered_shot_by_shot_and_joined(
    runtime: Runtime, tmp_path: Path
) -> None:
    plan = [("red", "cut"), ("blue", "crossfade"), ("green then", "continue")]
    parent, shots = await _storyboard(runtime, plan)
    done = await _ended(runtime, parent.id)
    assert done.status is S.SUCCEEDED, done.error
    assert done.progress == 100 and done.engine == "storyboard"

    out = await _file(runtime, done, tmp_path)
    info = probe.probe(out)
    assert (info.width, info.height) == (128, 72) and info.has_audio
    frames = _frames(out)
    assert len(frames) == 36  # 3 x 1 s at 12 fps, the crossfade costs nothing
    assert _near(frames[8], COLOURS["red"]) and _near(frames[20], COLOURS["blue"])
    assert _near(frames[35], COLOURS["green"])
    # The continue shot starts on the blue shot's last frame, then turns green.
    assert _near(frames[24], COLOURS["blue"])
    verified = CliRunner().invoke(provenance_cli, ["verify", str(out), "--json"])
    assert verified.exit_code == 0, verified.output
    parts = json.loads(verified.output)["ingredients"]
    assert [i["title"] for i in parts] == ["shot 1: red", "shot 2: blue", "shot 3: green then"]
    assert all(i["relationship"] == "componentOf" for i in parts)

    ended = await runtime.videos.shots(parent.id)
    assert [s.status for s in ended] == [S.SUCCEEDED] * 3
    billed = await _charges(runtime, [parent.id, *(s.id for s in shots)])
    assert parent.id not in billed  # the storyboard holds nothing of its own
    assert {billed[s.id] for s in shots} == {("settled", CREDITS_PER_SECOND)}

    listed, _ = await runtime.videos.list_page(
        parent.project_id, after=None, limit=50, descending=True
    )
    assert [v.id for v in listed] == [parent.id]  # one entry per request, not its shots


async def test_a_failed_shot_fails_the_storyboard_and_a_retry_completes_it(
    runtime: Runtime, tmp_path: Path
) -> None:
    plan = [("red", "cut"), ("refuse blue", "cut"), ("green", "continue")]
    parent, shots = await _storyboard(runtime, plan)
    # One slot: shot 1 finishes before shot 2 is claimed and fails.  With two, shot 2's
    # failure could land while shot 1 still rendered, and shot 1 was (rightly) cancelled.
    failed = await _ended(runtime, parent.id, slots=1)
    assert failed.status is S.FAILED and failed.error is not None
    assert failed.error.code == "storyboard_shot_failed"
    assert failed.error.message.startswith("Shot 2 of 3 failed: engine_runtime_error:")
    first, second, third = await runtime.videos.shots(parent.id)
    assert (first.status, second.status, third.status) == (S.SUCCEEDED, S.FAILED, S.CANCELLED)
    billed = await _charges(runtime, [s.id for s in shots])
    assert billed[first.id] == ("settled", CREDITS_PER_SECOND)  # finished shots are kept
    assert billed[second.id] == ("released", 0) and billed[third.id] == ("released", 0)

    with pytest.raises(ValueError):
        await runtime.videos.retry_shot(parent.id, 0, None, {})  # shot 1 succeeded
    reservations = {s.id: _reservation(s.id, parent.project_id, 1) for s in shots}
    again = await runtime.videos.retry_shot(parent.id, 1, "blue", reservations)
    assert again.status is S.QUEUED and again.error is None
    done = await _ended(runtime, parent.id)
    assert done.status is S.SUCCEEDED, done.error
    frames = _frames(await _file(runtime, done, tmp_path))
    assert len(frames) == 36 and _near(frames[20], COLOURS["blue"])
    billed = await _charges(runtime, [s.id for s in shots])
    assert {billed[s.id] for s in shots} == {("settled", CREDITS_PER_SECOND)}  # once each


async def test_deleting_a_storyboard_cancels_its_shots_and_releases_them(
    runtime: Runtime,
) -> None:
    parent, shots = await _storyboard(runtime, [("red", "cut"), ("blue", "continue")])
    deleted = await runtime.videos.delete(parent.project_id, parent.id)
    assert deleted is not None and deleted.status is S.CANCELLED
    assert [s.status for s in await runtime.videos.shots(parent.id)] == [S.CANCELLED] * 2
    billed = await _charges(runtime, [s.id for s in shots])
    assert {billed[s.id] for s in shots} == {("released", 0)}


async def test_deleting_a_running_storyboard_cancels_it_not_fails_it(runtime: Runtime) -> None:
    plan = [("slow red", "cut"), ("slow blue", "cut"), ("slow green", "continue")]
    parent, shots = await _storyboard(runtime, plan)
    worker = runtime.worker(1)
    await worker.start()
    try:
        deadline = time.monotonic() + 30
        while True:  # wait until the storyboard is held and its first shot renders
            current = await runtime.videos.shots(parent.id)
            held = await runtime.videos.get(parent.id)
            if held and held.status is S.RUNNING and current[0].status is S.RUNNING:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.02)
        await runtime.videos.delete(parent.project_id, parent.id)
        ended = await _until_ended(runtime, parent.id)
        for shot in shots:
            await _until_ended(runtime, shot.id)
    finally:
        await worker.stop(5)
    assert ended.status is S.CANCELLED, ended.error
    assert [s.status for s in await runtime.videos.shots(parent.id)] == [S.CANCELLED] * 3
    billed = await _charges(runtime, [s.id for s in shots])
    assert {billed[s.id] for s in shots} == {("released", 0)}


def _kill(worker: Worker) -> list[asyncio.Task[None]]:
    """Stop a worker the way a killed process stops: nothing handed back, leases left."""
    tasks = list(worker._tasks)
    for task in tasks:
        task.cancel()
    return tasks


async def test_a_worker_killed_mid_storyboard_loses_nothing(
    runtime: Runtime, tmp_path: Path
) -> None:
    plan = [("slow red", "cut"), ("slow blue", "continue"), ("slow green", "crossfade")]
    parent, shots = await _storyboard(runtime, plan)
    first = runtime.worker(1)
    await first.start()
    deadline = time.monotonic() + 30
    while True:  # kill it once the storyboard is held and a shot is done
        current = await runtime.videos.shots(parent.id)
        held = await runtime.videos.get(parent.id)
        if held and held.status is S.RUNNING and current[0].status is S.SUCCEEDED:
            break
        assert time.monotonic() < deadline
        await asyncio.sleep(0.05)
    killed = _kill(first)
    _, running = await asyncio.wait(killed, timeout=30)
    assert not running, [task.get_name() for task in running]  # a swallowed cancel: issue 20
    await first.ctx.close()

    done = await _ended(runtime, parent.id)
    assert done.status is S.SUCCEEDED, done.error
    assert done.attempts >= 2  # a second coordinator finished it
    assert len(_frames(await _file(runtime, done, tmp_path))) == 36
    billed = await _charges(runtime, [s.id for s in shots])
    assert {billed[s.id] for s in shots} == {("settled", CREDITS_PER_SECOND)}


async def test_a_retried_shot_gets_a_fresh_deadline(
    videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str
) -> None:
    """Retried an hour after it failed, a shot must not meet its first deadline's reaper."""
    parent = new_video(project_id, 1, kind=jobs.JobKind.STORYBOARD)
    shot = new_video(
        project_id,
        2,
        kind=jobs.JobKind.SHOT,
        storyboard_id=parent.id,
        deadline_seconds=600.0,
        sources=jobs.Sources(storyboard_id=parent.id, shot_index=0, transition="cut"),
        reservation=_reservation("video_0002", project_id, 4),
    )
    await videos.insert_storyboard(parent, [shot])
    claimed = await queue.claim("w", 30)
    board = await queue.claim("w", 30, storyboards=True)
    assert claimed is not None and claimed.lease_token and board and board.lease_token
    error = jobs.JobError("engine_runtime_error", "it broke")
    await queue.fail(claimed.id, claimed.lease_token, error)
    await queue.fail(board.id, board.lease_token, jobs.JobError("storyboard_shot_failed", "x"))
    clock.advance(3600)
    again = await videos.retry_shot(
        parent.id, 0, None, {shot.id: _reservation(shot.id, project_id, 4)}
    )
    assert again.status is S.QUEUED
    await queue.reap()
    [retried] = await videos.shots(parent.id)
    assert retried.status is S.QUEUED and retried.deadline_at == clock.now + 600.0
