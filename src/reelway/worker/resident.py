"""A resident execution strategy: long-lived children that keep their engine built.

For an engine whose construction is the expensive part (an open model's GPU pipeline, where
loading the weights takes longer than rendering a clip), building it per job as ``ForkPerJob``
does wastes most of every job.  This executor:

- keeps one child per (engine, device), started from the fork server on first use; the child
  builds the engine once, on its first job, and renders jobs one after another;
- pins each child to its device before the engine is built: the child's environment has
  ``REELWAY_DEVICE`` set to the device string ("cuda:1").  That variable is the whole
  contract: a resident engine with devices reads ``REELWAY_DEVICE`` in its child (nothing else
  is changed, ``CUDA_VISIBLE_DEVICES`` included, so the engine addresses "cuda:N" itself).  An
  engine that lists no devices gets one child and no ``REELWAY_DEVICE``;
- gives a job one of its engine's free devices: a device renders one job at a time, shared by
  every engine configured on it (an engine without devices has a turn of its own); when all
  are busy the job waits for the first to free up, first come first served;
- sends each job over a pipe and reads the report as for a forked render (``("ok", result)``
  or ``("error", failure, traceback)``; progress in shared memory);
- cancels between steps: cancelling ``render`` raises a shared flag, and the engine's progress
  callback raises ``RenderCancelled`` in the child at its next report (an engine that reports
  every denoising step stops within one step); the child answers ``("cancelled",)`` and stays,
  engine built.  A child that does not answer within ``CANCEL_GRACE_SECONDS`` is killed;
- raises ``errors.RenderProcessDied`` when a child dies mid-job (crash, OOM killer), which the
  worker treats as for a crashed worker (the job goes back to the queue while attempts
  remain); the next job starts a fresh child;
- keeps each (engine, device)'s state for the worker's check-in (``states``);
- ends the children when the executor closes, or when the worker that owns them dies.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import time
from collections import deque
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from typing import Any

from reelway import errors
from reelway.engines import base
from reelway.engines.directory import EngineSpec
from reelway.worker.render_process import (
    await_report,
    build,
    exit_with_owner,
    fork_server,
    render_and_report,
    result_of,
    start_child,
)

CLOSE_SECONDS = 5.0
"""How long a closing executor waits for an idle child to exit before killing it."""

CANCEL_GRACE_SECONDS = 10.0
"""How long a cancelled render may take to reach its next step before its child is killed."""

DEVICE_ENV = "REELWAY_DEVICE"
"""The variable that tells a resident child which device it serves."""

IDLE, LOADING, BUSY, DOWN = "idle", "loading", "busy", "down"


@dataclass(frozen=True)
class DeviceState:
    """One (engine, device) as the worker reports it on check-in."""

    engine: str
    device: str
    """Empty for an engine that names no devices."""
    state: str
    """``idle``, ``loading`` (building the engine for its first job), ``busy``, or ``down``
    (its child died and none runs now)."""
    video_id: str | None = None
    jobs: int = 0
    """Jobs that ran to a report (rendered or failed), not cancelled or crashed ones."""
    busy_seconds: float = 0.0
    steps_per_second: float | None = None
    """The last value the engine reported in ``RenderResult.details``."""
    memory_bytes: int | None = None
    """The last value the engine reported in ``RenderResult.details``."""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Child:
    process: BaseProcess
    conn: Connection
    progress: Synchronized[int]
    cancel: Synchronized[int]
    """Set by the parent to stop the job in flight at its next progress report."""
    built: Synchronized[int]
    """Set by the child once its engine is built."""


@dataclass
class _Slot:
    """The bookkeeping of one (engine, device)."""

    child: _Child | None = None
    video_id: str | None = None
    died: bool = False
    jobs: int = 0
    busy_seconds: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)


class _Turns:
    """Which devices are rendering; a job waits, first come first served, for one of its own."""

    def __init__(self) -> None:
        self._busy: set[str] = set()
        self._waiting: deque[tuple[frozenset[str], asyncio.Future[str]]] = deque()

    async def take(self, keys: Sequence[str]) -> str:
        for key in keys:
            if key not in self._busy:
                self._busy.add(key)
                return key
        granted: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        entry = (frozenset(keys), granted)
        self._waiting.append(entry)
        try:
            return await granted
        except BaseException:
            if entry in self._waiting:
                self._waiting.remove(entry)
            elif granted.done() and not granted.cancelled():
                self.give(granted.result())  # granted as it was cancelled: pass it on
            raise

    def give(self, key: str) -> None:
        for entry in self._waiting:
            if key in entry[0] and not entry[1].done():
                self._waiting.remove(entry)
                entry[1].set_result(key)
                return
        self._busy.discard(key)


class ResidentProcess:
    """Keeps one render child per (engine, device), which builds the engine once."""

    def __init__(
        self,
        preload: Iterable[str] = (),
        devices: Callable[[str], Sequence[str]] | None = None,
        *,
        cancel_grace_seconds: float = CANCEL_GRACE_SECONDS,
    ) -> None:
        """``devices`` names each engine's devices (``EngineInfo.devices``); none: no devices."""
        self._ctx = fork_server(preload)
        self._devices = devices or (lambda _name: ())
        self._grace = cancel_grace_seconds
        self._slots: dict[tuple[str, str], _Slot] = {}
        self._turns = _Turns()

    async def render(
        self,
        spec: EngineSpec,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult:
        """Render on a free device's child; cancelling stops the job between steps."""
        devices = tuple(self._devices(spec.name))
        turn = await self._turns.take(devices or (f"engine:{spec.name}",))
        device = turn if devices else ""
        slot = self._slots.setdefault((spec.name, device), _Slot())
        started = time.monotonic()
        try:
            slot.video_id = request.video_id
            return await self._render(spec, device, slot, request, output, on_progress)
        finally:
            slot.video_id = None
            slot.busy_seconds += time.monotonic() - started
            self._turns.give(turn)

    async def _render(
        self,
        spec: EngineSpec,
        device: str,
        slot: _Slot,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult:
        child = await self._child(spec, device, slot)
        child.progress.value = 0
        child.cancel.value = 0
        try:
            try:
                child.conn.send((request, output))
            except OSError:  # it died while idle: report it as a death mid-job
                outcome = None
            else:
                outcome = await await_report(child.conn, child.progress, on_progress)
        except asyncio.CancelledError:
            await self._cancel(slot)
            raise
        except BaseException:
            await self._discard(slot)
            raise
        if outcome is None:
            exitcode = await self._discard(slot)
            slot.died = True
            raise errors.RenderProcessDied(
                f"The {spec.type} render process exited unexpectedly (exit code {exitcode})."
            )
        slot.jobs += 1
        result = result_of(outcome, spec.type, request, None)
        slot.details.update(
            {
                k: result.details[k]
                for k in ("steps_per_second", "memory_bytes")
                if k in result.details
            }
        )
        return result

    async def _cancel(self, slot: _Slot) -> None:
        """Ask the job in flight to stop at its next step; kill the child if it does not."""
        child = slot.child
        if child is None:
            return
        child.cancel.value = 1
        try:
            answer = await asyncio.wait_for(
                await_report(child.conn, child.progress, lambda _: None), self._grace
            )
        except BaseException:  # out of grace, or cancelled again meanwhile
            answer = None
        if answer is None:
            await self._discard(slot)

    async def _child(self, spec: EngineSpec, device: str, slot: _Slot) -> _Child:
        """The slot's running child, started now if it has none (or its child died)."""
        child = slot.child
        if child is not None and child.process.is_alive():
            return child
        if child is not None:
            await self._discard(slot)
        progress = self._ctx.Value("i", 0, lock=False)
        cancel = self._ctx.Value("i", 0, lock=False)
        built = self._ctx.Value("i", 0, lock=False)
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_resident_main,
            args=(
                spec.type,
                dict(spec.options),
                device,
                theirs,
                progress,
                cancel,
                built,
                os.getpid(),
            ),
            name=f"reelway-resident-{spec.name}{'-' + device if device else ''}",
            daemon=True,
        )
        try:
            await start_child(process)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        slot.child = _Child(process, ours, progress, cancel, built)
        slot.died = False
        return slot.child

    async def _discard(self, slot: _Slot) -> int | None:
        """Kill a slot's child and forget it; its exit code."""
        child, slot.child = slot.child, None
        if child is None:
            return None
        child.process.kill()
        await asyncio.to_thread(child.process.join, 5)
        child.conn.close()
        return child.process.exitcode

    def states(self, engines: Iterable[str] = ()) -> list[DeviceState]:
        """Every (engine, device) this executor has served, plus ``engines``' devices not
        used yet (idle), sorted by engine and device."""
        keys = set(self._slots)
        for name in engines:
            keys.update((name, device) for device in (self._devices(name) or ("",)))
        return [self._state(key, self._slots.get(key)) for key in sorted(keys)]

    def _state(self, key: tuple[str, str], slot: _Slot | None) -> DeviceState:
        if slot is None:
            return DeviceState(key[0], key[1], IDLE)
        child = slot.child
        if slot.video_id is not None:
            state = LOADING if child is None or not child.built.value else BUSY
        elif (slot.died and child is None) or (child is not None and not child.process.is_alive()):
            state = DOWN  # died in a job, or while idle (replaced when its next job starts)
        else:
            state = IDLE
        return DeviceState(
            key[0],
            key[1],
            state,
            slot.video_id,
            slot.jobs,
            round(slot.busy_seconds, 3),
            _number(slot.details.get("steps_per_second"), float),
            _number(slot.details.get("memory_bytes"), int),
        )

    async def close(self) -> None:
        """Ask every idle child to exit (its pipe closes), and kill those that do not."""
        for slot in self._slots.values():
            child = slot.child
            if child is None:
                continue
            child.conn.close()
            await asyncio.to_thread(child.process.join, CLOSE_SECONDS)
            if child.process.is_alive():
                child.process.kill()
                await asyncio.to_thread(child.process.join, 5)
            slot.child = None


def _number(value: Any, kind: Callable[[Any], Any]) -> Any:
    """An engine's reported number as ``kind``, or None when absent or not a number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return kind(value)


def _resident_main(
    engine_name: str,
    options: dict[str, Any],
    device: str,
    conn: Connection,
    progress: Synchronized[int],
    cancel: Synchronized[int],
    built: Synchronized[int],
    owner_pid: int,
) -> None:
    """The child: pin the device, build the engine on the first job, then render jobs until
    the pipe closes."""
    exit_with_owner(owner_pid)
    if device:
        os.environ[DEVICE_ENV] = device
    engine: base.LocalEngine | None = None

    def make() -> base.LocalEngine:
        nonlocal engine
        if engine is None:
            engine = build(engine_name, options)
            built.value = 1
        return engine

    try:
        while True:
            try:
                request, output = conn.recv()
            except (EOFError, OSError):
                return
            render_and_report(engine_name, make, request, output, progress, conn, cancel)
    finally:
        with contextlib.suppress(OSError):
            conn.close()
