"""CPU time by stage of one job: claim, submit, poll, download, previews, signing, custody…

Always on, because it is cheap (one ``time.process_time()`` per stage boundary, about a
microsecond) and because "where does a remote job's CPU go" is otherwise a profiling
session: the worker logs the split with each finished job (``cpu_ms``, in JSON logs), and
``bench/bench_remote.py`` adds it up over many jobs.

Process CPU, not thread CPU: a stage's work mostly runs in ``asyncio.to_thread`` (decoding,
signing, copying), which thread time would miss.  So the split is exact for a worker with
one slot; with several slots at once, a stage is also charged what other jobs burn while
it runs (the sum is still the process's CPU, shared out by wall-clock overlap).

Stages do not nest in time: entering one pauses the one that is open, and CPU spent while
no stage is open goes to ``other`` (lease heartbeats, logging, the event loop itself).
Only a job's sequential path opens stages, never a task running beside it.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from contextvars import ContextVar

OTHER = "other"

STAGES = (
    "claim",
    "prepare",
    "route",
    "submit",
    "poll",
    "download",
    "previews",
    "probe",
    "moderation",
    "watermark",
    "signing",
    "custody",
    "complete",
    "cleanup",
    OTHER,
)
"""Every stage a job may report, in the order a remote job passes them: ``prepare`` builds
the engine's request (input files), ``route`` picks the engine and records its outcome
(breaker, rate windows, concurrency), ``previews`` fetches or makes the thumbnail and
spritesheet, ``probe`` reads the file's duration for billing, ``custody`` copies the files
into storage, ``complete`` is the fenced completion (with its webhook outbox row),
``cleanup`` removes the job's render folder."""


class StageClock:
    """Process CPU seconds charged to each stage of one job."""

    def __init__(self) -> None:
        self.cpu: dict[str, float] = {}
        self.wall: dict[str, float] = {}
        """Wall-clock seconds by stage, the same way: where a job's time goes (waits too)."""
        self._open: list[str] = []
        self._mark = time.process_time()
        self._wall_mark = time.perf_counter()

    def _charge(self) -> None:
        now, wall = time.process_time(), time.perf_counter()
        name = self._open[-1] if self._open else OTHER
        self.cpu[name] = self.cpu.get(name, 0.0) + (now - self._mark)
        self.wall[name] = self.wall.get(name, 0.0) + (wall - self._wall_mark)
        self._mark, self._wall_mark = now, wall

    @contextlib.contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Charge the CPU spent inside the block to ``name`` (pausing the stage open now)."""
        self._charge()
        self._open.append(name)
        try:
            yield
        finally:
            self._charge()
            # By name, not position: a stage left by an exception in between stays balanced.
            for index in range(len(self._open) - 1, -1, -1):
                if self._open[index] == name:
                    del self._open[index]
                    break

    def stop(self) -> dict[str, float]:
        """The split so far, in milliseconds, every stage seen and ``other``."""
        self._charge()
        return {name: round(seconds * 1000, 3) for name, seconds in self.cpu.items()}

    def wall_ms(self) -> dict[str, float]:
        """Wall-clock milliseconds by stage, up to the last ``stop``."""
        return {name: round(seconds * 1000, 3) for name, seconds in self.wall.items()}


_current: ContextVar[StageClock | None] = ContextVar("reelway_stage_clock", default=None)


@contextlib.contextmanager
def timing(clock: StageClock) -> Iterator[StageClock]:
    """Make ``clock`` the one ``stage`` charges, for this task and the tasks it starts."""
    reset = _current.set(clock)
    try:
        yield clock
    finally:
        _current.reset(reset)


@contextlib.contextmanager
def stage(name: str) -> Iterator[None]:
    """Charge the block to ``name`` on the current job's clock; nothing when there is none
    (a job run outside a worker slot, such as a test calling ``run_job`` directly)."""
    clock = _current.get()
    if clock is None:
        yield
        return
    with clock.stage(name):
        yield


def split() -> dict[str, float] | None:
    """The current job's split so far, in milliseconds (None outside a timed job)."""
    clock = _current.get()
    return None if clock is None else clock.stop()
