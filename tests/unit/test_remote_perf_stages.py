"""The per-stage CPU clock (``worker/stages.py``): an exact partition of the process's CPU."""

from __future__ import annotations

import asyncio
import time

import pytest

from reelway.worker import stages


def _burn(seconds: float) -> None:
    """Spend ``seconds`` of this process's CPU."""
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass


def test_the_stages_share_out_the_cpu_between_start_and_stop_exactly() -> None:
    before = time.process_time()
    clock = stages.StageClock()
    with clock.stage("a"):
        _burn(0.02)
        with clock.stage("b"):  # pauses "a"
            _burn(0.02)
        _burn(0.01)
    _burn(0.01)  # no stage open: "other"
    split = clock.stop()
    after = time.process_time()
    assert set(split) == {"a", "b", stages.OTHER}
    assert split["b"] >= 20.0
    assert split["a"] >= 30.0
    assert split[stages.OTHER] >= 10.0
    # Nothing counted twice, nothing lost: the parts add up to what the process spent.
    assert sum(split.values()) <= (after - before) * 1000 + 0.01
    assert sum(split.values()) >= (after - before) * 1000 - 1.0


def test_a_stage_left_by_an_exception_leaves_the_open_stages_balanced() -> None:
    clock = stages.StageClock()
    with clock.stage("outer"):
        with pytest.raises(ValueError), clock.stage("inner"):
            raise ValueError("boom")
        _burn(0.01)  # charged to "outer" again, not to "inner"
    split = clock.stop()
    assert split["outer"] >= 10.0
    assert split["inner"] < split["outer"]


def test_stage_without_a_clock_does_nothing() -> None:
    with stages.stage("submit"):
        _burn(0.001)
    assert stages.split() is None


async def test_the_clock_follows_the_job_into_its_tasks_and_threads() -> None:
    clock = stages.StageClock()

    async def render() -> None:
        with stages.stage("download"):
            await asyncio.to_thread(_burn, 0.02)  # thread CPU is process CPU too

    with stages.timing(clock):
        await asyncio.create_task(render())
        with stages.stage("signing"):
            _burn(0.01)
        during = stages.split()
    assert stages.split() is None
    assert during is not None and during["download"] >= 20.0
    assert clock.stop()["signing"] >= 10.0
