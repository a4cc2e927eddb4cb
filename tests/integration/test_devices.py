"""Resident engines on devices: one child per (engine, device), pinned by ``REELWAY_DEVICE``;
jobs take free devices and wait for busy ones; each device's state is tracked, written on the
worker's check-in, shown by ``/ready``, ``reelway doctor`` and ``/metrics``; a child that dies
puts its video back in the queue and a fresh child renders it."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from reelway import errors, jobs
from reelway import settings as settings_module
from reelway.api import health
from reelway.cli.doctor import doctor
from reelway.engines import base
from reelway.engines.directory import EngineSpec
from reelway.operations import ReadinessChecks
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.storage.local import LocalStorage
from reelway.store import tables
from reelway.store.database import Database
from reelway.store.health import HealthStore
from reelway.store.observe import ObserveStore
from reelway.store.queue import QueueStore
from reelway.store.videos import VideoStore
from reelway.worker.resident import DeviceState, ResidentProcess
from tests import waiting
from tests.backends import Deployment
from tests.integration.conftest import Clock

DEVICES = "tests.fake_engines:DeviceEngine"
FINISHED = {jobs.JobStatus.SUCCEEDED, jobs.JobStatus.FAILED}


def _spec(counts: Path, **options: float) -> EngineSpec:
    return EngineSpec("gpu", DEVICES, {"count_file": str(counts), **options})


def _request(video_id: str, prompt: str = "a kite") -> base.GenerationRequest:
    return base.GenerationRequest(video_id, "gpu", prompt, 64, 36, 1, 1)


def _output(folder: Path) -> base.RenderOutput:
    folder.mkdir(parents=True, exist_ok=True)
    return base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")


def _builds(counts: Path) -> list[tuple[int, str]]:
    """(process id, its REELWAY_DEVICE) of each construction of the engine."""
    lines = counts.read_text().splitlines() if counts.exists() else []
    return [(int(pid), device) for pid, _, device in (line.partition(" ") for line in lines)]


def _executor(*devices: str) -> ResidentProcess:
    return ResidentProcess(["tests.fake_engines"], lambda _name: devices)


@pytest.fixture
async def two_devices() -> AsyncIterator[ResidentProcess]:
    executor = _executor("cpu:a", "cpu:b")
    yield executor
    await executor.close()


async def test_two_jobs_render_at_once_on_two_devices_and_a_third_waits(
    tmp_path: Path, two_devices: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    spec = _spec(counts, pace=4.0)  # 20 steps of 0.2 s
    progress: dict[str, list[int]] = {name: [] for name in ("v1", "v2", "v3")}
    renders = [
        asyncio.create_task(
            two_devices.render(spec, _request(name), _output(tmp_path / name), seen.append)
        )
        for name, seen in progress.items()
    ]

    async def rendering() -> list[DeviceState]:
        return [s for s in two_devices.states() if s.video_id is not None]

    busy = await waiting.until_async(
        rendering, lambda found: len(found) == 2, limit=20, what="two devices rendering"
    )
    assert {s.device for s in busy} == {"cpu:a", "cpu:b"}
    assert {s.video_id for s in busy} == {"v1", "v2"}, "first come, first served"
    assert not progress["v3"], "the third job waits for a device"
    results = await asyncio.gather(*renders)
    built = _builds(counts)
    assert sorted(device for _, device in built) == ["cpu:a", "cpu:b"], built
    assert len({pid for pid, _ in built}) == 2, "one child per device"
    by_device = dict((device, pid) for pid, device in built)
    for result in results:
        assert by_device[result.details["device"]] == result.details["pid"]
    assert {r.details["device"] for r in results[:2]} == {"cpu:a", "cpu:b"}
    assert results[2].details["pid"] in by_device.values(), "the third reused a child"


async def test_engines_on_one_device_take_turns(tmp_path: Path) -> None:
    """Two engines configured on the same device never render on it at the same time."""
    executor = _executor("cpu:a")
    try:
        one = _spec(tmp_path / "one", pace=4.0)
        other = EngineSpec("other", DEVICES, {"count_file": str(tmp_path / "other")})
        first = asyncio.create_task(
            executor.render(one, _request("v1"), _output(tmp_path / "1"), lambda _: None)
        )

        async def states() -> list[DeviceState]:
            return executor.states()

        await waiting.until_async(
            states, lambda s: any(x.video_id == "v1" for x in s), limit=20, what="v1 on cpu:a"
        )
        second = asyncio.create_task(
            executor.render(other, _request("v2"), _output(tmp_path / "2"), lambda _: None)
        )
        await asyncio.sleep(0.3)
        assert not second.done() and not (tmp_path / "other").exists(), "it waits its turn"
        await asyncio.gather(first, second)
        assert [device for _, device in _builds(tmp_path / "other")] == ["cpu:a"]
    finally:
        await executor.close()


async def test_a_job_cancelled_while_it_waits_for_a_device_leaves_the_turn_to_the_next(
    tmp_path: Path,
) -> None:
    executor = _executor("cpu:a")
    spec = _spec(tmp_path / "counts", pace=2.0)
    try:
        first = asyncio.create_task(
            executor.render(spec, _request("v1"), _output(tmp_path / "1"), lambda _: None)
        )
        waiting_one = asyncio.create_task(
            executor.render(spec, _request("v2"), _output(tmp_path / "2"), lambda _: None)
        )

        async def states() -> list[DeviceState]:
            return executor.states()

        await waiting.until_async(
            states, lambda s: any(x.video_id == "v1" for x in s), limit=20, what="v1 rendering"
        )
        waiting_one.cancel()
        with pytest.raises(asyncio.CancelledError):
            await waiting_one
        await first
        third = _output(tmp_path / "3")
        await asyncio.wait_for(
            executor.render(spec, _request("v3"), third, lambda _: None), timeout=30
        )
        assert third.video.stat().st_size > 0 and not (tmp_path / "2" / "v.mp4").exists()
    finally:
        await executor.close()


async def test_states_go_idle_loading_busy_idle_and_down_after_a_death(tmp_path: Path) -> None:
    executor = _executor("cpu:a")
    counts = tmp_path / "counts"
    spec = _spec(counts, pace=1.0, load=1.0)
    try:
        [before] = executor.states(["gpu"])
        assert (before.engine, before.device, before.state) == ("gpu", "cpu:a", "idle")
        seen: list[str] = []

        async def watch() -> None:
            while True:
                [state] = executor.states(["gpu"])
                if not seen or seen[-1] != state.state:
                    seen.append(state.state)
                await asyncio.sleep(0.02)

        watcher = asyncio.create_task(watch())
        try:
            await asyncio.sleep(0.1)  # it sees the device idle first
            await executor.render(spec, _request("v1"), _output(tmp_path / "1"), lambda _: None)
            await asyncio.sleep(0.1)
        finally:
            watcher.cancel()
        assert seen == ["idle", "loading", "busy", "idle"], seen
        [after] = executor.states()
        assert (after.jobs, after.video_id, after.steps_per_second) == (1, None, 12.5)
        assert after.memory_bytes == 1 << 20 and after.busy_seconds >= 1.0
        with pytest.raises(errors.RenderProcessDied, match="exited unexpectedly"):
            await executor.render(
                spec, _request("v2", "die once"), _output(tmp_path / "2"), lambda _: None
            )
        [down] = executor.states()
        assert (down.state, down.jobs) == ("down", 1), down
        assert down.as_dict()["state"] == "down"
        await executor.render(
            spec, _request("v3", "die once"), _output(tmp_path / "3"), lambda _: None
        )
        [back] = executor.states()
        assert (back.state, back.jobs) == ("idle", 2), back
        assert len(_builds(counts)) == 2, "a fresh child after the death"
        # Killed while idle (the OOM killer): down until its next job starts a fresh one.
        os.kill(_builds(counts)[-1][0], signal.SIGKILL)
        waiting.until(
            lambda: executor.states()[0].state, lambda s: s == "down", limit=10, what="down"
        )
        await executor.render(spec, _request("v4"), _output(tmp_path / "4"), lambda _: None)
        assert executor.states()[0].state == "idle" and len(_builds(counts)) == 3
    finally:
        await executor.close()


# --------------------------------------------------------------------------- a worker


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."gpu"]\nsizes = ["640x360"]\nseconds = [1]\ndefault_size = "640x360"\n'
        f'default_seconds = 1\nroute = ["{DEVICES}"]\n'
        '[models."gpu".price_per_second]\n"480p" = 0.01\n'
    )
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=catalog,
        engine_options={DEVICES: {"count_file": str(tmp_path / "counts")}},
        claim_poll_seconds=0.1,
        reap_interval_seconds=0.2,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def _finished(rt: Runtime, prompt: str) -> jobs.Video:
    project, _ = await rt.keys.ensure_project("test")
    caller = Caller(project_id=project.id, key_id="test")
    video = (await rt.service.create(caller, {"prompt": prompt, "model": "gpu"})).video
    done = await waiting.until_async(
        functools.partial(rt.videos.get, video.id),
        lambda v: v is not None and v.status in FINISHED,
        limit=30,
        what="the render",
    )
    assert done is not None
    return done


async def _stored_devices(db: Database) -> list[Any]:
    rows = await db.read(lambda conn: conn.execute(sa.select(tables.workers.c.devices)).all())
    return [row.devices for row in rows]


async def test_a_child_that_dies_requeues_its_video_and_a_fresh_child_renders_it(
    tmp_path: Path, runtime: Runtime
) -> None:
    worker = runtime.worker(1)
    await worker.start()
    try:
        done = await _finished(runtime, "die once")
        assert done.status is jobs.JobStatus.SUCCEEDED, done.error
        assert done.attempts == 2, "the death cost one attempt, as a crashed worker's does"
        children = [b for b in _builds(tmp_path / "counts") if b[0] != os.getpid()]
        assert len(children) == 2 and children[0][0] != children[1][0], children

        async def reported() -> list[Any]:
            return await _stored_devices(runtime.db)

        [devices] = await waiting.until_async(
            reported,
            lambda rows: len(rows) == 1 and any(d.get("jobs") == 1 for d in rows[0] or []),
            limit=20,
            what="the check-in with the job done",
        )
    finally:
        await worker.stop(5)
    assert isinstance(devices, list)
    assert sorted(d["device"] for d in devices) == ["cpu:a", "cpu:b"]
    assert all(d["engine"] == DEVICES for d in devices)


async def test_a_death_with_no_attempt_left_fails_the_video(
    tmp_path: Path, deployment: Deployment
) -> None:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."gpu"]\nsizes = ["640x360"]\nseconds = [1]\ndefault_size = "640x360"\n'
        f'default_seconds = 1\nroute = ["{DEVICES}"]\n'
        '[models."gpu".price_per_second]\n"480p" = 0.01\n'
    )
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=catalog,
        engine_options={DEVICES: {"count_file": str(tmp_path / "counts")}},
        claim_poll_seconds=0.1,
        max_attempts=1,
    )
    rt = await Runtime.open(settings, migrate=True)
    worker = rt.worker(1)
    await worker.start()
    try:
        done = await _finished(rt, "die once")
    finally:
        await worker.stop(5)
        await rt.close()
    assert done.status is jobs.JobStatus.FAILED
    assert done.error is not None and done.error.code == "render_process_died"


async def test_check_ins_store_devices_and_ready_doctor_and_metrics_show_them(
    db: Database, clock: Clock, tmp_path: Path, deployment: Deployment
) -> None:
    queue = QueueStore(db, clock)
    busy = DeviceState("wan", "cuda:0", "busy", "video_1", 3, 42.5, 1.25, 2 << 30)
    idle = DeviceState("wan", "cuda:1", "idle", jobs=1, busy_seconds=7.0)
    await queue.worker_seen("w1", "host", 1, clock.now, [busy.as_dict(), idle.as_dict()])
    await queue.worker_seen("w2", "host", 2, clock.now)  # a worker with no resident engine
    readiness = health.Readiness(
        ReadinessChecks(HealthStore(db, clock), VideoStore(db, clock)),
        LocalStorage(tmp_path / "files"),
        queue_limit=100,
        workers=health.WorkerPolicy(15.0),
        clock=clock,
    )
    ready, checks = await readiness.check()
    assert ready, checks
    shown = checks["devices"]
    assert shown["ok"] is True and "2 device(s), 1 rendering" in shown["detail"]
    assert shown["devices"][0] == {
        "worker": "w1",
        "engine": "wan",
        "device": "cuda:0",
        "state": "busy",
        "video_id": "video_1",
        "jobs": 3,
        "busy_seconds": 42.5,
        "steps_per_second": 1.25,
        "memory_bytes": 2 << 30,
    }
    assert shown["devices"][1]["steps_per_second"] is None

    snapshot = await ObserveStore(db, clock).snapshot([], 30.0)
    gauges = {(d.engine, d.device): d for d in snapshot.devices}
    assert gauges["wan", "cuda:0"].busy_seconds == 42.5 and gauges["wan", "cuda:0"].jobs == 3
    assert gauges["wan", "cuda:1"].memory_bytes is None

    # A worker checks in again without devices: they are gone from /ready.
    clock.advance(2.0)
    await queue.worker_seen("w1", "host", 1, clock.now)
    _, checks = await health.Readiness(
        ReadinessChecks(HealthStore(db, clock), VideoStore(db, clock)),
        LocalStorage(tmp_path / "files"),
        queue_limit=100,
        workers=health.WorkerPolicy(15.0),
        clock=clock,
    ).check()
    assert "devices" not in checks


async def test_doctor_prints_the_devices_after_the_engines(
    tmp_path: Path, runtime: Runtime, deployment: Deployment
) -> None:
    busy = DeviceState("wan", "cuda:0", "busy", "video_1", 3, 42.5, 1.25, 2 << 30)
    await runtime.queue.worker_seen("w1", "host", 1, 0.0, [busy.as_dict()])
    runner = CliRunner()
    result = await asyncio.to_thread(
        runner.invoke, doctor, ["--data-dir", str(deployment.data_dir)], env=deployment.env
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert "Devices" in lines, result.output
    line = lines[lines.index("Devices") + 1]
    assert "wan@cuda:0" in line and "busy video_1" in line and "1.25 steps/s" in line, line
    assert "memory 2.00 GiB" in line and "(w1)" in line, line


async def test_the_diffusers_engine_stops_between_steps_and_keeps_its_pipeline(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real engine on a tiny Wan 2.2 pipeline, on device "cpu": a cancel lands between
    denoising steps, the child keeps the loaded pipeline, and the next job loads nothing."""
    pytest.importorskip("diffusers")
    from tests import tiny_models

    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    folder = await asyncio.to_thread(tiny_models.build_wan22, tmp_path / "wan-i2v")
    executor = ResidentProcess(["reelway.engines.diffusers.engine"], lambda _name: ("cpu",))
    options = {"model_path": str(folder), "device": "cpu", "steps": 100, "native_size": "64x32"}
    spec = EngineSpec("wan", "diffusers", {**options, "fps": 8})
    request = base.GenerationRequest("video_a", "wan", "a kite", 64, 32, 2, 1)
    try:
        seen: list[int] = []
        cancelled = _output(tmp_path / "a")
        render = asyncio.create_task(executor.render(spec, request, cancelled, seen.append))

        async def highest() -> int:
            return max(seen, default=0)

        await waiting.until_async(highest, bool, limit=120, what="denoising progress")
        render.cancel()
        with pytest.raises(asyncio.CancelledError):
            await render
        [state] = executor.states()
        assert (state.device, state.state, state.jobs) == ("cpu", "idle", 0), state
        assert not cancelled.video.exists()
        result = await executor.render(
            spec,
            dataclasses.replace(request, video_id="video_b"),
            _output(tmp_path / "b"),
            seen.append,
        )
        assert result.details["load_seconds"] == 0.0, "the pipeline stayed loaded"
        assert result.details["device"] == "cpu"
        [state] = executor.states()
        assert state.jobs == 1 and state.steps_per_second == result.details["steps_per_second"]
    finally:
        await executor.close()
