"""A resident execution strategy: one long-lived child per engine that keeps it built.

For an engine whose construction is the expensive part (an open model's GPU pipeline, where
loading the weights takes longer than rendering a clip), building it per job as ``ForkPerJob``
does wastes most of every job.  What a resident executor must do, and this one does:

- start one child per (engine, device) on first use, from the fork server, and keep it; the
  child builds the engine once, on its first job, and renders jobs one after another;
- send each job (request and output paths) over a pipe and read the report as for a forked
  render (``("ok", result)`` or ``("error", failure, traceback)``; progress in shared memory);
- let the jobs for one child wait their turn: a device renders one job at a time;
- cancel a job by killing the child (a render cannot be interrupted safely mid-frame); the next
  job starts a fresh child, which builds the engine again;
- fail the job in flight when the child dies (crash, out of memory) with the same message as a
  forked render, and start a fresh child for the next job;
- end the children when the executor closes, or when the worker that owns them dies.

Devices: this executor runs one child per engine.  A GPU engine with several devices would key
children by (engine, device), pick a free device per job, and pin each child to its device
before the engine is built (e.g. ``CUDA_VISIBLE_DEVICES`` in the child).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from multiprocessing.sharedctypes import Synchronized
from typing import Any

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


@dataclass
class _Child:
    process: BaseProcess
    conn: Connection
    progress: Synchronized[int]


class ResidentProcess:
    """Keeps one render child per engine, which builds the engine once and renders its jobs."""

    def __init__(self, preload: Iterable[str] = ()) -> None:
        self._ctx = fork_server(preload)
        self._children: dict[str, _Child] = {}
        self._turns: dict[str, asyncio.Lock] = {}

    async def render(
        self,
        spec: EngineSpec,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult:
        """Render in the engine's child; cancelling this coroutine kills (and so restarts) it."""
        async with self._turns.setdefault(spec.name, asyncio.Lock()):
            child = await self._child(spec)
            child.progress.value = 0
            try:
                try:
                    child.conn.send((request, output))
                except OSError:  # it died while idle: report it as a death mid-job
                    outcome = None
                else:
                    outcome = await await_report(child.conn, child.progress, on_progress)
            except BaseException:
                await self._discard(spec.name)
                raise
            exitcode = None if outcome is not None else await self._discard(spec.name)
            return result_of(outcome, spec.type, request, exitcode)

    async def _child(self, spec: EngineSpec) -> _Child:
        """The engine's running child, started now if it has none (or its child died)."""
        child = self._children.get(spec.name)
        if child is not None and child.process.is_alive():
            return child
        if child is not None:
            await self._discard(spec.name)
        progress = self._ctx.Value("i", 0, lock=False)
        ours, theirs = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_resident_main,
            args=(spec.type, dict(spec.options), theirs, progress, os.getpid()),
            name=f"reelway-resident-{spec.name}",
            daemon=True,
        )
        try:
            await start_child(process)
        except BaseException:
            ours.close()
            raise
        finally:
            theirs.close()
        child = self._children[spec.name] = _Child(process, ours, progress)
        return child

    async def _discard(self, name: str) -> int | None:
        """Kill an engine's child and forget it; its exit code."""
        child = self._children.pop(name, None)
        if child is None:
            return None
        child.process.kill()
        await asyncio.to_thread(child.process.join, 5)
        child.conn.close()
        return child.process.exitcode

    async def close(self) -> None:
        """Ask every idle child to exit (its pipe closes), and kill those that do not."""
        for name, child in list(self._children.items()):
            child.conn.close()
            await asyncio.to_thread(child.process.join, CLOSE_SECONDS)
            if child.process.is_alive():
                await self._discard(name)
            self._children.pop(name, None)


def _resident_main(
    engine_name: str,
    options: dict[str, Any],
    conn: Connection,
    progress: Synchronized[int],
    owner_pid: int,
) -> None:
    """The child: build the engine on the first job, then render jobs until the pipe closes."""
    exit_with_owner(owner_pid)
    engine: base.LocalEngine | None = None

    def make() -> base.LocalEngine:
        nonlocal engine
        if engine is None:
            engine = build(engine_name, options)
        return engine

    try:
        while True:
            try:
                request, output = conn.recv()
            except (EOFError, OSError):
                return
            render_and_report(engine_name, make, request, output, progress, conn)
    finally:
        conn.close()
