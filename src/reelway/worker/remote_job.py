"""A job on a remote engine: submit once, poll at the worker's cadence, fetch, make previews.

The operation handle is saved on the job row the moment the engine returns it, so a worker
that takes the job over after a crash polls the same operation instead of submitting (and
paying for) it again.  The supervision (lease, progress, cancellation, deadline, shutdown)
is the same as for a local render: this coroutine is the thing being supervised.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

from reelway import errors, jobs
from reelway.engines import base
from reelway.media import previews

if TYPE_CHECKING:
    from reelway.worker.orchestrate import JobContext

log = logging.getLogger(__name__)


class RemoteRun:
    """One attempt at a job on a remote engine; ``operation`` is known once submitted."""

    def __init__(
        self,
        ctx: JobContext,
        video: jobs.Video,
        token: str,
        engine: str,
        remote: base.RemoteEngine,
    ) -> None:
        self.ctx = ctx
        self.video = video
        self.token = token
        self.engine = engine
        self.remote = remote
        self.operation: base.Operation | None = (
            video.operation if video.engine == engine and video.operation else None
        )

    async def run(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> None:
        video, engine, remote = self.video, self.engine, self.remote
        if self.operation is not None:
            log.info("resuming %s on %s with its stored operation", video.id, engine)
            operation = self.operation
        else:
            operation = await remote.submit(request)
            self.operation = operation
            await self.ctx.store.save_operation(video.id, self.token, engine, operation)
            log.info("submitted %s to %s", video.id, engine)
        poll_seconds = self.ctx.settings.remote_poll_seconds
        while True:
            outcome = await remote.poll(operation)
            if isinstance(outcome, base.Failed):
                raise outcome.error
            if isinstance(outcome, base.Succeeded):
                break
            if outcome.progress is not None:
                progress(outcome.progress)
            await asyncio.sleep(max(poll_seconds, outcome.retry_after or 0.0))
        sink = await asyncio.to_thread(output.video.open, "wb")
        try:
            async for chunk in remote.fetch(operation, outcome.result):
                await asyncio.to_thread(sink.write, chunk)
        finally:
            await asyncio.to_thread(sink.close)
        try:
            await asyncio.to_thread(
                previews.previews_from_video, output.video, output.thumbnail, output.spritesheet
            )
        except Exception as exc:
            raise errors.EngineRuntimeError(
                f"The {engine} engine returned a file that is not a playable video ({exc})."[:500]
            ) from exc

    async def cancel(self) -> None:
        """Ask the provider to stop (best effort: it may not support it, or be unreachable)."""
        cancel = getattr(self.remote, "cancel", None)
        if self.operation is None or cancel is None:
            return
        try:
            await cancel(self.operation)
        except Exception:
            log.warning("could not cancel %s on %s", self.video.id, self.engine, exc_info=True)
