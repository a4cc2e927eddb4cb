"""The default execution strategy: each local render in a child process of its own.

Rendering is CPU-bound Python; in a child it cannot stall the API's event loop (or hold its
GIL), a crash in a codec cannot take the server down, and cancelling is ``kill()``.  Children
come from a fork server that has already imported the engines, so starting one is cheap; the
engine is built afresh in every child.  The helpers below (waiting for a child's report,
rendering and reporting in a child) are shared with the other strategies.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import multiprocessing
import os
import threading
import time
import traceback
from collections.abc import Callable, Iterable, Mapping
from multiprocessing.connection import Connection
from multiprocessing.context import ForkServerContext
from multiprocessing.sharedctypes import Synchronized
from typing import Any, Protocol, cast

from reelway import errors
from reelway.engines import base, registry
from reelway.engines.directory import EngineSpec

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


class RenderCancelled(Exception):
    """Raised in a render child by the engine's progress callback once the job is cancelled:
    the engine stops at its next step (a resident child then keeps its engine built)."""


def fork_server(preload: Iterable[str]) -> ForkServerContext:
    """The fork server's context, with this module and the engines' modules preloaded."""
    ctx = multiprocessing.get_context("forkserver")
    ctx.set_forkserver_preload(["reelway.worker.render_process", *preload])
    return ctx


class Startable(Protocol):
    """A child process as ``start_child`` handles it (``multiprocessing`` processes)."""

    @property
    def pid(self) -> int | None: ...

    def start(self) -> None: ...

    def kill(self) -> None: ...

    def join(self, timeout: float | None = None) -> None: ...


async def start_child(process: Startable) -> None:
    """Start ``process`` (in a thread: the fork server answers in milliseconds, not
    microseconds).  A cancellation meanwhile waits for the start to finish and then kills the
    child, so no child outlives the job that was cancelled while it started: it would go on
    writing into a work folder its worker has already removed."""
    starting = asyncio.ensure_future(asyncio.to_thread(process.start))
    try:
        await asyncio.shield(starting)
    except BaseException:
        with contextlib.suppress(BaseException):
            await starting
        if process.pid is not None:
            process.kill()
            await asyncio.to_thread(process.join, 5)
        raise


class ForkPerJob:
    """Forks a child per job from the fork server; one instance per worker process."""

    def __init__(self, preload: Iterable[str] = ()) -> None:
        self._ctx = fork_server(preload)

    async def render(
        self,
        spec: EngineSpec,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult:
        """Render in a child; cancelling this coroutine kills the child."""
        progress = self._ctx.Value("i", 0, lock=False)
        receiver, sender = self._ctx.Pipe(duplex=False)
        child = self._ctx.Process(
            target=_child_main,
            args=(spec.type, dict(spec.options), request, output, progress, sender, os.getpid()),
            name=f"reelway-render-{request.video_id}",
            daemon=True,
        )
        try:
            await start_child(child)
        except BaseException:
            receiver.close()
            sender.close()
            raise
        sender.close()
        try:
            outcome = await await_report(receiver, progress, on_progress)
        except BaseException:
            child.kill()
            await asyncio.to_thread(child.join, 5)
            raise
        finally:
            receiver.close()
        await asyncio.to_thread(child.join, 30)
        return result_of(outcome, spec.type, request, child.exitcode)

    async def close(self) -> None:
        """Nothing outlives a job here."""


async def await_report(
    receiver: Connection, progress: Synchronized[int], on_progress: Callable[[int], None]
) -> Any:
    """The child's report (None when it died without one), publishing its progress meanwhile.

    Wakes when the child writes its report or dies (its end of the pipe closes), and every
    ``POLL_SECONDS`` meanwhile to publish progress: no fixed sleep after the result.
    """
    loop = asyncio.get_running_loop()
    readable = asyncio.Event()
    loop.add_reader(receiver.fileno(), readable.set)
    try:
        while not receiver.poll():
            on_progress(int(progress.value))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(readable.wait(), POLL_SECONDS)
            readable.clear()
        return _receive(receiver)
    finally:
        loop.remove_reader(receiver.fileno())


def result_of(
    outcome: Any, engine: str, request: base.GenerationRequest, exitcode: int | None
) -> base.RenderResult:
    """The render's result from a child's report, or the failure it reported (raised)."""
    if outcome is None:
        raise errors.EngineRuntimeError(
            f"The {engine} render process exited unexpectedly (exit code {exitcode})."
        )
    if outcome[0] == "ok":
        result: base.RenderResult = outcome[1]
        return result
    _, failure, trace = outcome
    if trace:
        log.error("render of %s failed in engine %s:\n%s", request.video_id, engine, trace)
    raise failure


def _receive(receiver: Connection) -> Any:
    """The child's report, or None when it died without one (the pipe reads as closed)."""
    try:
        return receiver.recv() if receiver.poll() else None
    except (EOFError, OSError):
        return None


def build(engine_name: str, options: Mapping[str, Any]) -> base.LocalEngine:
    """The local engine ``engine_name`` (in a child process)."""
    engine = registry.create(engine_name, options)
    if base.is_remote(engine):
        raise TypeError(f"{engine_name} is a remote engine; it does not render here")
    return cast(base.LocalEngine, engine)


def render_and_report(
    engine_name: str,
    make: Callable[[], base.LocalEngine],
    request: base.GenerationRequest,
    output: base.RenderOutput,
    progress: Synchronized[int],
    sender: Connection,
    cancel: Synchronized[int] | None = None,
) -> None:
    """Render one job in a child and send its report: ("ok", result) or ("error", failure,
    traceback); an engine's own ``JobFailure`` passes through, anything else is wrapped.

    With a ``cancel`` flag, a set flag makes the progress callback raise ``RenderCancelled``,
    and whatever the engine then raises (its own wrapping included) is reported as
    ``("cancelled",)``, not as a failure."""

    def cancelled() -> bool:
        return cancel is not None and bool(cancel.value)

    def report(value: int) -> None:
        if cancelled():
            raise RenderCancelled()
        progress.value = max(0, min(100, int(value)))

    try:
        engine = make()
        if cancelled():
            raise RenderCancelled()
        result = engine.render(request, output, report)
        sender.send(("ok", result))
    except Exception as exc:
        sender.send(("cancelled",) if cancelled() else _failure(engine_name, exc))


def _failure(engine_name: str, exc: Exception) -> tuple[str, errors.JobFailure, str]:
    """The report of a failed render (called while ``exc`` is handled, for its traceback)."""
    if isinstance(exc, errors.JobFailure):
        return ("error", exc, "")
    failure = errors.EngineRuntimeError(
        f"The {engine_name} engine failed: {type(exc).__name__}: {exc}"[:500]
    )
    return ("error", failure, traceback.format_exc())


def _child_main(
    engine_name: str,
    options: dict[str, Any],
    request: base.GenerationRequest,
    output: base.RenderOutput,
    progress: Synchronized[int],
    sender: Connection,
    owner_pid: int,
) -> None:
    exit_with_owner(owner_pid)
    try:
        render_and_report(
            engine_name, lambda: build(engine_name, options), request, output, progress, sender
        )
    finally:
        sender.close()


def exit_with_owner(owner_pid: int) -> None:
    """Stop rendering if the worker that asked for it is gone (killed, not shut down)."""

    def watch() -> None:
        while True:
            time.sleep(1.0)
            try:
                os.kill(owner_pid, 0)
            except ProcessLookupError:
                os._exit(3)
            except PermissionError:
                pass

    threading.Thread(target=watch, name="owner-watch", daemon=True).start()
