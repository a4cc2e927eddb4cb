"""Execution strategies for local engines: a fresh child per job, or one resident child that
keeps its engine built; both report progress, failures and crashes the same way, and stop
when cancelled.  The worker picks the strategy the engine declares."""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import os
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path
from typing import TypeVar

import pytest

from reelway import errors, jobs
from reelway import settings as settings_module
from reelway.engines import base
from reelway.engines.directory import EngineDirectory, EngineSpec
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.worker.execution import STRATEGIES, Executor, Executors
from reelway.worker.render_process import ForkPerJob
from reelway.worker.resident import ResidentProcess
from tests import waiting
from tests.backends import Deployment

COUNTING = "tests.fake_engines:CountingEngine"
DEVICES = "tests.fake_engines:DeviceEngine"
SLOW = "tests.fake_engines:SlowEngine"
FINISHED = {jobs.JobStatus.SUCCEEDED, jobs.JobStatus.FAILED}
T = TypeVar("T")


def _spec(counts: Path, pace: float = 0.0) -> EngineSpec:
    return EngineSpec("counting", COUNTING, {"count_file": str(counts), "pace": pace})


def _request(prompt: str = "a kite") -> base.GenerationRequest:
    return base.GenerationRequest("video_exec", "counting", prompt, 64, 36, 1, 1)


def _output(folder: Path) -> base.RenderOutput:
    folder.mkdir(parents=True, exist_ok=True)
    return base.RenderOutput(folder / "v.mp4", folder / "t.webp", folder / "s.jpg")


def _builders(counts: Path) -> list[int]:
    """The process ids that built the engine, one per construction."""
    return [int(line) for line in counts.read_text().split()] if counts.exists() else []


def _device_builders(counts: Path) -> list[tuple[int, str]]:
    """(process id, REELWAY_DEVICE) of each construction of a ``DeviceEngine``."""
    lines = counts.read_text().splitlines() if counts.exists() else []
    return [(int(pid), device) for pid, _, device in (line.partition(" ") for line in lines)]


def _async(probe: Callable[[Path], T], arg: Path) -> Callable[[], Awaitable[T]]:
    async def probed() -> T:
        return probe(arg)

    return probed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.fixture
async def resident() -> AsyncIterator[ResidentProcess]:
    executor = ResidentProcess(["tests.fake_engines"])
    yield executor
    await executor.close()


@pytest.mark.parametrize("strategy, builds", [(ForkPerJob, 2), (ResidentProcess, 1)])
async def test_engine_builds_per_strategy(
    tmp_path: Path, strategy: type[ForkPerJob] | type[ResidentProcess], builds: int
) -> None:
    executor: Executor = strategy(["tests.fake_engines"])
    counts = tmp_path / "counts"
    try:
        for job in ("one", "two"):
            output = _output(tmp_path / job)
            result = await executor.render(_spec(counts), _request(), output, lambda _: None)
            assert result.duration == 1 and output.video.stat().st_size > 0
    finally:
        await executor.close()
    assert len(_builders(counts)) == builds


async def test_closing_a_resident_executor_ends_its_child(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    await resident.render(_spec(counts), _request(), _output(tmp_path / "a"), lambda _: None)
    [pid] = _builders(counts)
    assert _alive(pid)
    await resident.close()
    waiting.until(lambda: _alive(pid), lambda alive: not alive, limit=10, what="its exit")


async def _cancel_when_it_reports(render: asyncio.Task[base.RenderResult], seen: list[int]) -> None:
    """Wait for the render's first progress, then cancel it and see it end cancelled."""

    async def highest() -> int:
        return max(seen, default=0)

    await waiting.until_async(
        highest, lambda top: top > 0, limit=20, what="progress from the resident render"
    )
    render.cancel()
    with pytest.raises(asyncio.CancelledError):
        await render


async def test_cancelling_a_resident_render_stops_it_between_steps_and_keeps_the_child(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    seen: list[int] = []
    # 20 steps of 0.3 s each; it stops at its next step, without writing its files.
    cancelled = _output(tmp_path / "a")
    render = asyncio.create_task(
        resident.render(_spec(counts, pace=6.0), _request(), cancelled, seen.append)
    )
    await _cancel_when_it_reports(render, seen)
    [pid] = _builders(counts)
    assert not cancelled.video.exists(), "the render stopped before its end"
    assert _alive(pid), "the child answered the cancel and stays"
    assert seen == sorted(seen), seen
    # The next job is rendered by the same child (its engine keeps its pace): not built again.
    output = _output(tmp_path / "b")
    await resident.render(_spec(counts), _request(), output, lambda _: None)
    assert _builders(counts) == [pid] and output.video.stat().st_size > 0


async def test_a_cancelled_render_that_reports_no_step_is_killed_after_the_grace(
    tmp_path: Path,
) -> None:
    """An engine busy in one long step (no progress report) cannot see the flag: its child
    is killed once the grace is over, and the next job starts a fresh one."""
    executor = ResidentProcess(["tests.fake_engines"], cancel_grace_seconds=0.5)
    counts = tmp_path / "counts"
    spec = EngineSpec("devices", DEVICES, {"count_file": str(counts), "pace": 60.0})
    try:
        render = asyncio.create_task(
            executor.render(spec, _request("stuck"), _output(tmp_path / "a"), lambda _: None)
        )
        [(pid, _)] = await waiting.until_async(
            _async(_device_builders, counts), bool, limit=20, what="the child's engine"
        )
        await asyncio.sleep(0.3)  # let it enter its long step
        render.cancel()
        with pytest.raises(asyncio.CancelledError):
            await render
        assert not _alive(pid), "no answer within the grace: the child is killed"
        await executor.render(
            dataclasses.replace(spec, options={"count_file": str(counts)}),
            _request(),
            _output(tmp_path / "b"),
            lambda _: None,
        )
        assert len(_device_builders(counts)) == 2, "a fresh child built the engine again"
    finally:
        await executor.close()


async def test_resident_failures_are_reported_and_the_child_is_kept(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    with pytest.raises(errors.EngineRuntimeError, match="ZeroDivisionError: the counting engine"):
        await resident.render(
            _spec(counts), _request("fail"), _output(tmp_path / "a"), lambda _: None
        )
    await resident.render(_spec(counts), _request(), _output(tmp_path / "b"), lambda _: None)
    assert len(_builders(counts)) == 1, "an engine's error does not cost its child"


async def test_a_resident_child_that_dies_fails_the_job_and_is_restarted(
    tmp_path: Path, resident: ResidentProcess
) -> None:
    counts = tmp_path / "counts"
    with pytest.raises(errors.RenderProcessDied, match="exited unexpectedly"):
        await resident.render(
            _spec(counts), _request("crash"), _output(tmp_path / "a"), lambda _: None
        )
    await resident.render(_spec(counts), _request(), _output(tmp_path / "b"), lambda _: None)
    assert len(_builders(counts)) == 2


def test_the_executor_table_follows_what_each_engine_declares() -> None:
    directory = EngineDirectory(default_options={COUNTING: {"count_file": os.devnull}})
    table = Executors(directory, [COUNTING, SLOW])
    assert isinstance(table.for_engine(COUNTING), ResidentProcess)
    assert isinstance(table.for_engine(SLOW), ForkPerJob)
    with pytest.raises(ValueError, match=r"engine '.*CountingEngine' declares execution 'resid"):
        Executors(
            directory, [COUNTING, SLOW], strategies={"fork_per_job": STRATEGIES["fork_per_job"]}
        )


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    catalog = tmp_path / "catalog.toml"
    catalog.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."counting"]\nsizes = ["640x360"]\nseconds = [1]\ndefault_size = "640x360"\n'
        f'default_seconds = 1\nroute = ["{COUNTING}"]\n'
        '[models."counting".price_per_second]\n"480p" = 0.01\n'
    )
    settings = settings_module.from_env(
        deployment.env,
        data_dir=deployment.data_dir,
        catalog=catalog,
        engine_options={COUNTING: {"count_file": str(tmp_path / "counts")}},
        claim_poll_seconds=0.1,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def test_the_worker_renders_a_resident_engines_jobs_in_one_child(
    tmp_path: Path, runtime: Runtime
) -> None:
    worker = runtime.worker(1)
    await worker.start()
    try:
        project, _ = await runtime.keys.ensure_project("test")
        caller = Caller(project_id=project.id, key_id="test")
        for _ in range(2):
            video = (
                await runtime.service.create(caller, {"prompt": "p", "model": "counting"})
            ).video
            done = await waiting.until_async(
                functools.partial(runtime.videos.get, video.id),
                lambda v: v is not None and v.status in FINISHED,
                limit=30,
                what="the render",
            )
            assert done is not None and done.status is jobs.JobStatus.SUCCEEDED
    finally:
        await worker.stop(5)
    in_children = [pid for pid in _builders(tmp_path / "counts") if pid != os.getpid()]
    assert len(in_children) == 1, "start-up reads its info here; one child renders both jobs"
