"""Run a local engine's render in a child process.

Rendering is CPU-bound Python; in a child it cannot stall the API's event loop (or hold its
GIL), a crash in a codec cannot take the server down, and cancelling is ``kill()``.  Children
come from a fork server that has already imported the engines, so starting one is cheap.
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
from multiprocessing.sharedctypes import Synchronized
from typing import Any, cast

from reelway import errors
from reelway.engines import base, registry

log = logging.getLogger(__name__)

POLL_SECONDS = 0.25


class RenderProcesses:
    """Starts render children; one instance per worker process."""

    def __init__(self, preload: Iterable[str] = ()) -> None:
        self._ctx = multiprocessing.get_context("forkserver")
        modules = ["reelway.worker.render_process", *preload]
        self._ctx.set_forkserver_preload(modules)

    async def render(
        self,
        engine: str,
        options: Mapping[str, Any],
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult:
        """Render in a child; cancelling this coroutine kills the child."""
        progress = self._ctx.Value("i", 0, lock=False)
        receiver, sender = self._ctx.Pipe(duplex=False)
        child = self._ctx.Process(
            target=_child_main,
            args=(engine, dict(options), request, output, progress, sender, os.getpid()),
            name=f"reelway-render-{request.video_id}",
            daemon=True,
        )
        await asyncio.to_thread(child.start)
        sender.close()
        # Wake when the child writes its report or dies (its end of the pipe closes), and
        # every POLL_SECONDS meanwhile to publish progress: no fixed sleep after the result.
        loop = asyncio.get_running_loop()
        readable = asyncio.Event()
        loop.add_reader(receiver.fileno(), readable.set)
        try:
            while not receiver.poll():
                on_progress(int(progress.value))
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(readable.wait(), POLL_SECONDS)
                readable.clear()
            outcome = _receive(receiver)
        except BaseException:
            child.kill()
            await asyncio.to_thread(child.join, 5)
            raise
        finally:
            loop.remove_reader(receiver.fileno())
            receiver.close()
        await asyncio.to_thread(child.join, 30)
        if outcome is None:
            raise errors.EngineRuntimeError(
                f"The {engine} render process exited unexpectedly (exit code {child.exitcode})."
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


def _child_main(
    engine_name: str,
    options: dict[str, Any],
    request: base.GenerationRequest,
    output: base.RenderOutput,
    progress: Synchronized[int],
    sender: Connection,
    owner_pid: int,
) -> None:
    _exit_with_owner(owner_pid)

    def report(value: int) -> None:
        progress.value = max(0, min(100, int(value)))

    try:
        engine = registry.create(engine_name, options)
        if base.is_remote(engine):
            raise TypeError(f"{engine_name} is a remote engine; it does not render here")
        result = cast(base.LocalEngine, engine).render(request, output, report)
        sender.send(("ok", result))
    except errors.JobFailure as exc:
        sender.send(("error", exc, ""))
    except Exception as exc:
        failure = errors.EngineRuntimeError(
            f"The {engine_name} engine failed: {type(exc).__name__}: {exc}"[:500]
        )
        sender.send(("error", failure, traceback.format_exc()))
    finally:
        sender.close()


def _exit_with_owner(owner_pid: int) -> None:
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
