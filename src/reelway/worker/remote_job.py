"""A job on a remote engine: submit once, poll at the worker's cadence, fetch, make previews.

The operation handle is saved on the job row the moment the engine returns it, so a worker
that takes the job over after a crash polls the same operation instead of submitting (and
paying for) it again.  The supervision (lease, progress, cancellation, deadline, shutdown)
is the same as for a local render: this coroutine is the thing being supervised.
"""

from __future__ import annotations

import asyncio
import logging
import math
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from reelway import errors, jobs
from reelway.engines import base
from reelway.media import previews, probe
from reelway.store import ledger
from reelway.worker import stages
from reelway.worker.context import JobContext

log = logging.getLogger(__name__)

POLL_HICCUPS = 5
"""Consecutive failed status checks (outage, timeout, 429) tolerated before the job fails
over; each waits longer (and at least the provider's Retry-After)."""
TRANSIENT = (errors.UpstreamUnavailable, errors.UpstreamTimeout, errors.UpstreamRateLimited)


class RemoteRun:
    """One attempt at a job on a remote engine; ``operation`` is known once submitted."""

    _probed: tuple[tuple[int, int, int], probe.MediaInfo] | None = None
    """The last ``_probe``: the file's (inode, size, mtime) and what it holds."""

    def __init__(
        self,
        ctx: JobContext,
        video: jobs.Video,
        token: str,
        engine: str,
        remote: base.RemoteEngine,
        call_id: int | None = None,
    ) -> None:
        self.ctx = ctx
        self.video = video
        self.token = token
        self.engine = engine
        self.remote = remote
        self.call_id = call_id
        self.cost_usd: float | None = None
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
            with stages.stage("submit"):
                try:
                    operation = await remote.submit(request)
                finally:
                    if self.call_id is not None:
                        # The provider counted the call somewhere between sending and
                        # answering; counting it at the answer can only make the next wait
                        # longer.
                        await self.ctx.engine_store.sent(self.call_id, time.time())
                self.operation = operation
                await self.ctx.store.save_operation(video.id, self.token, engine, operation)
            log.info("submitted %s to %s", video.id, engine)
        poll_seconds = self.ctx.settings.remote_poll_seconds
        hiccups = 0
        while True:
            try:
                with stages.stage("poll"):
                    outcome = await remote.poll(operation)
            except TRANSIENT as exc:
                # The provider still has the job: a failed status check is not a failed job.
                hiccups += 1
                if hiccups > POLL_HICCUPS:
                    raise
                wait = max(poll_seconds * 2 ** min(hiccups, 5), exc.retry_after or 0.0)
                log.info(
                    "status check of %s on %s failed (%s); asking again in %.1f s",
                    video.id,
                    engine,
                    exc.code,
                    wait,
                )
                await asyncio.sleep(wait)
                continue
            hiccups = 0
            if isinstance(outcome, base.Failed):
                raise outcome.error
            if isinstance(outcome, base.Succeeded):
                break
            if outcome.progress is not None:
                progress(outcome.progress)
            await asyncio.sleep(max(poll_seconds, outcome.retry_after or 0.0))
        self.cost_usd = outcome.cost_usd
        with stages.stage("download"):
            await _stream_to(output.video, remote.fetch(operation, outcome.result))
        with stages.stage("previews"):
            if await self._upstream_previews(operation, outcome.result, output):
                return
            try:
                await asyncio.to_thread(
                    previews.previews_from_video,
                    output.video,
                    output.thumbnail,
                    output.spritesheet,
                )
            except Exception as exc:
                raise self._unplayable(exc) from exc

    async def _upstream_previews(
        self, operation: base.Operation, result: dict[str, Any], output: base.RenderOutput
    ) -> bool:
        """Keep the provider's own thumbnail and spritesheet when it serves them; any failure
        falls back to making them from the video (the video itself already checked out)."""
        fetch_preview = base.preview_fetcher(self.remote)
        if fetch_preview is None:
            return False
        targets = {"thumbnail": output.thumbnail, "spritesheet": output.spritesheet}
        try:
            for variant, path in targets.items():
                await _stream_to(path, fetch_preview(operation, result, variant))
                if path.stat().st_size == 0:
                    return False
        except errors.UpstreamError as exc:
            log.info("no upstream previews for %s (%s); making them here", self.video.id, exc.code)
            return False
        try:
            with stages.stage("probe"):
                await self._probe(output.video)
        except Exception as exc:
            raise self._unplayable(exc) from exc
        return True

    async def billing(self, video_file: Path) -> ledger.Settlement:
        """How to charge the finished video: its real duration (a provider may deliver a
        shorter clip than asked for; 0.1 s of slack) and the provider's cost if reported.

        An extension's file is the stitched whole; only its new seconds are charged, so the
        source's length (``Sources.extends_seconds``) is taken off."""
        info = await self._probe(video_file)
        made = info.duration - self.video.sources.extends_seconds
        return ledger.Settlement(
            "completed",
            billed_seconds=max(1, math.ceil(made - 0.1)),
            cost_usd_micros=None if self.cost_usd is None else round(self.cost_usd * 1_000_000),
        )

    async def _probe(self, path: Path) -> probe.MediaInfo:
        """``probe.probe(path)``, read once: the check that the provider's file plays and its
        billing read the same file unless something rewrote it in between (a stitch), which
        a new inode, size or modification time tells."""
        found = await asyncio.to_thread(path.stat)
        key = (found.st_ino, found.st_size, found.st_mtime_ns)
        if self._probed is not None and self._probed[0] == key:
            return self._probed[1]
        info = await asyncio.to_thread(probe.probe, path)
        self._probed = (key, info)
        return info

    def _unplayable(self, exc: Exception) -> errors.UpstreamError:
        return errors.UpstreamGenerationFailed(
            f"The {self.engine} engine returned a file that is not a playable video ({exc})."[:500],
            upstream={"engine": self.engine, "operation": self.operation},
        )

    async def cancel(self) -> None:
        """Ask the provider to stop (best effort: it may not support it, or be unreachable)."""
        cancel = getattr(self.remote, "cancel", None)
        if self.operation is None or cancel is None:
            return
        try:
            await cancel(self.operation)
        except Exception:
            log.warning("could not cancel %s on %s", self.video.id, self.engine, exc_info=True)


async def _stream_to(path: Path, chunks: AsyncIterator[bytes]) -> None:
    """Write a download to a file as it arrives, off the event loop."""
    sink = await asyncio.to_thread(path.open, "wb")
    try:
        async for chunk in chunks:
            await asyncio.to_thread(sink.write, chunk)
    finally:
        await asyncio.to_thread(sink.close)
