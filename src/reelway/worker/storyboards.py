"""A worker's storyboard coordinator: it watches claimed storyboards while slots render shots.

Beside the render slots (never one of them), the coordinator claims storyboard parents
(``claim(..., storyboards=True)``) and runs each as a task: mostly waiting, so one worker holds
many.  Every ``storyboard_poll_seconds`` it reads the shots, renews the parent's lease with
their seconds-weighted progress (0-95 %; the stitch is the rest), releases a waiting
``continue`` shot once the shot before it succeeded, and ends the storyboard: every shot
succeeded -> stitch, previews, sign with each shot as an ingredient, store, complete (no charge
of its own); a shot failed (or was cancelled by someone else) -> cancel the unfinished shots
and fail with ``storyboard_shot_failed``.  A coordinator that dies loses nothing: the parent's
lease lapses, the reaper requeues it and another coordinator picks it up; shots are plain jobs.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
import logging
import shutil
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from reelway import catalog, errors, jobs, logs
from reelway.engines import base
from reelway.media import provenance
from reelway.media import storyboard as joiner
from reelway.store.queue import Heartbeat, LeaseLost
from reelway.worker.context import JobContext
from reelway.worker.waits import wait_event

log = logging.getLogger(__name__)
S = jobs.JobStatus
ENGINE = "storyboard"
"""What a storyboard's ``engine`` says: Reelway joined it (its shots name their engines)."""
SHOTS_SHARE = 95
"""The progress the shots make; the stitch makes the rest."""
OUTPUTS = {
    "video": ("video.mp4", "video/mp4"),
    "thumbnail": ("thumbnail.webp", "image/webp"),
    "spritesheet": ("spritesheet.jpg", "image/jpeg"),
}


class _Stopped(Exception):
    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


async def coordinate(
    ctx: JobContext, worker_id: str, stopping: asyncio.Event, abandon: asyncio.Event
) -> None:
    """Claim storyboards and run each as a task until the worker stops (``stopping``); on the
    way out each hands its storyboard back to the queue, except one being stitched, which may
    finish until the grace period ends (``abandon``)."""
    running: set[asyncio.Task[str]] = set()
    try:
        await _claim_loop(ctx, worker_id, stopping, abandon, running)
    except asyncio.CancelledError:
        for task in running:  # killed: leave the leases to lapse, like a dead process
            task.cancel()
        raise
    finally:
        if running:
            await asyncio.gather(*running, return_exceptions=True)


async def _claim_loop(
    ctx: JobContext,
    worker_id: str,
    stopping: asyncio.Event,
    abandon: asyncio.Event,
    running: set[asyncio.Task[str]],
) -> None:
    poll = ctx.settings.storyboard_poll_seconds
    while not stopping.is_set():
        try:
            claimed = await ctx.store.claim(worker_id, ctx.settings.lease_seconds, storyboards=True)
        except errors.DatabaseUnavailable:
            log.warning("database unavailable; the storyboard coordinator retries shortly")
            claimed = None
        except Exception:
            log.exception("storyboard claim failed; retrying shortly")
            claimed = None
        if claimed is not None:
            task = asyncio.create_task(run_storyboard(ctx, claimed, stopping, abandon))
            running.add(task)
            task.add_done_callback(running.discard)
            continue
        await wait_event(stopping, poll)


async def run_storyboard(
    ctx: JobContext,
    parent: jobs.Video,
    stopping: asyncio.Event,
    abandon: asyncio.Event | None = None,
) -> str:
    """Watch one claimed storyboard to its end; returns what happened (for logs and tests)."""
    assert parent.lease_token is not None
    token = parent.lease_token
    workdir = ctx.settings.tmp_dir / f"{parent.id}-{token[:8]}"
    with logs.bound(video=parent.id):
        try:
            return await _watch(ctx, parent, token, workdir, stopping, abandon or stopping)
        except LeaseLost:
            log.warning("lost the lease on storyboard %s; another worker has it now", parent.id)
            return "lease_lost"
        except _Stopped as stopped:
            return await _stop(ctx, parent, token, stopped.outcome)
        except errors.JobFailure as failure:  # joining the finished shots failed
            log.warning("storyboard %s failed: %s: %s", parent.id, failure.code, failure.message)
            error = jobs.JobError(failure.code, failure.message, dict(failure.details))
            await ctx.store.fail(parent.id, token, error)
            return "failed"
        except Exception:
            log.exception("storyboard %s: coordinator error; its lease will lapse", parent.id)
            return "error"
        finally:
            await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _watch(
    ctx: JobContext,
    parent: jobs.Video,
    token: str,
    workdir: Path,
    stopping: asyncio.Event,
    abandon: asyncio.Event,
) -> str:
    poll = ctx.settings.storyboard_poll_seconds
    while True:
        try:
            shots = await ctx.store.shots(parent.id)
        except errors.DatabaseUnavailable:  # the lease covers a short outage: look again
            await wait_event(stopping, poll)
            continue
        if not shots:
            await _fail(ctx, parent, token, "The storyboard has no shots.")
            return "failed"
        ended = _ended_badly(shots)
        if ended is not None:
            # A delete cancels the shots and flags the storyboard in one transaction: a
            # cancelled shot may mean the storyboard itself was cancelled.
            await _beat(ctx, parent, token, _progress(shots), stopping)
            number = (ended.sources.shot_index or 0) + 1
            await ctx.store.cancel_unfinished_shots(
                parent.id, f"Shot {number} failed, so the storyboard stopped."
            )
            await _fail(ctx, parent, token, _why(ended, len(shots)))
            return "failed"
        if all(shot.status is S.SUCCEEDED for shot in shots):
            return await _finish(ctx, parent, token, shots, workdir, abandon)
        await _release_ready(ctx, shots)
        await _beat(ctx, parent, token, _progress(shots), stopping)
        await wait_event(stopping, poll)


def _ended_badly(shots: Sequence[jobs.Video]) -> jobs.Video | None:
    """The first shot that failed or was cancelled (not by the storyboard: it cancels only
    after a failure, and then it has ended), if any."""
    return next((s for s in shots if s.status in (S.FAILED, S.CANCELLED)), None)


def _why(shot: jobs.Video, total: int) -> str:
    number = (shot.sources.shot_index or 0) + 1
    if shot.status is S.CANCELLED:
        return f"Shot {number} of {total} was cancelled."
    error = shot.error
    cause = f"{error.code}: {error.message}" if error else "failed"
    return f"Shot {number} of {total} failed: {cause}"


def _progress(shots: Sequence[jobs.Video]) -> int:
    """The shots' progress weighted by their seconds, scaled to ``SHOTS_SHARE``."""
    weights = [max(1, int(s.seconds)) if s.seconds.isdigit() else 1 for s in shots]
    done = sum(
        w * (100 if s.status is S.SUCCEEDED else s.progress)
        for w, s in zip(weights, shots, strict=True)
    )
    return int(done * SHOTS_SHARE / (100 * sum(weights)))


async def _release_ready(ctx: JobContext, shots: Sequence[jobs.Video]) -> None:
    """Let each waiting ``continue`` shot run once the shot before it has succeeded."""
    for before, shot in itertools.pairwise(shots):
        waiting = shot.status is S.QUEUED and shot.run_at >= jobs.WAITING_RUN_AT
        if waiting and before.status is S.SUCCEEDED and await ctx.store.release_shot(shot.id):
            log.info("released shot %s (it continues %s)", shot.id, before.id)


async def _beat(
    ctx: JobContext, parent: jobs.Video, token: str, progress: int, stopping: asyncio.Event
) -> None:
    """Renew the lease; raise ``_Stopped`` on a cancel or a worker stopping."""
    if stopping.is_set():
        raise _Stopped("released")
    try:
        beat = await ctx.store.heartbeat(parent.id, token, progress, ctx.settings.lease_seconds)
    except errors.DatabaseUnavailable:
        return  # the lease covers a short outage; the fenced end tells if it lapsed
    if beat is Heartbeat.CANCEL:
        raise _Stopped("cancelled")
    if beat is Heartbeat.LOST:
        raise LeaseLost()


async def _stop(ctx: JobContext, parent: jobs.Video, token: str, outcome: str) -> str:
    if outcome == "cancelled":
        await ctx.store.cancel_unfinished_shots(
            parent.id, "The storyboard was cancelled before this shot finished."
        )
        await ctx.store.acknowledge_cancel(parent.id, token)
        log.info("cancelled storyboard %s", parent.id)
        return outcome
    try:
        await ctx.store.release(parent.id, token)
        log.info("handed storyboard %s back to the queue (worker stopping)", parent.id)
    except LeaseLost:
        await ctx.store.acknowledge_cancel(parent.id, token)
        return "cancelled"
    return outcome


async def _fail(ctx: JobContext, parent: jobs.Video, token: str, message: str) -> None:
    failure = errors.StoryboardShotFailed(message)
    log.warning("storyboard %s failed: %s", parent.id, message)
    await ctx.store.fail(parent.id, token, jobs.JobError(failure.code, failure.message))


async def _finish(
    ctx: JobContext,
    parent: jobs.Video,
    token: str,
    shots: Sequence[jobs.Video],
    workdir: Path,
    stopping: asyncio.Event,
) -> str:
    """Every shot succeeded: join them, finish (sign) and store the whole, complete."""
    await asyncio.to_thread(workdir.mkdir, parents=True, exist_ok=True)
    files = await _download(ctx, shots, workdir)
    output = base.RenderOutput(
        video=workdir / OUTPUTS["video"][0],
        thumbnail=workdir / OUTPUTS["thumbnail"][0],
        spritesheet=workdir / OUTPUTS["spritesheet"][0],
    )
    width, height = catalog.parse_size(parent.size)
    parts = [
        joiner.Shot(path, shot.sources.transition or "cut", shot.sources.crossfade_seconds)
        for path, shot in zip(files, shots, strict=True)
    ]
    started = time.monotonic()
    work = asyncio.create_task(
        asyncio.to_thread(
            joiner.stitch,
            parts,
            output.video,
            width=width,
            height=height,
            soundtrack=parent.sources.soundtrack or "per_shot",
            thumbnail=output.thumbnail,
            spritesheet=output.spritesheet,
        )
    )
    await _while_beating(ctx, parent, token, work, stopping)
    try:
        joined = work.result()
    except Exception as exc:
        raise errors.EngineRuntimeError(
            f"Joining the storyboard's shots failed: {type(exc).__name__}: {exc}"[:500]
        ) from exc
    log.info(
        "stitched storyboard %s: %d shots, %.2f s in %.2f s",
        parent.id,
        len(shots),
        joined.seconds,
        time.monotonic() - started,
    )
    # The shots carry the watermark already (their own finish marked them).
    unmarked = dataclasses.replace(parent, watermark=False)
    components = tuple(
        provenance.Component(path, f"shot {i + 1}: {(shot.prompt or '')[:80]}")
        for i, (path, shot) in enumerate(zip(files, shots, strict=True))
    )
    await ctx.finisher.finish(unmarked, ENGINE, output, remote=False, components=components)
    assets: dict[str, jobs.Asset] = {}
    for name, path in (
        ("video", output.video),
        ("thumbnail", output.thumbnail),
        ("spritesheet", output.spritesheet),
    ):
        filename, content_type = OUTPUTS[name]
        key = f"videos/{parent.id}/{token[:8]}/{filename}"
        assets[name] = await ctx.storage.put_file(key, path, content_type)
    try:
        await ctx.store.complete(
            parent.id, token, ENGINE, assets, ctx.settings.retention_seconds, usage=False
        )
    except LeaseLost:
        await ctx.storage.delete_prefix(f"videos/{parent.id}/{token[:8]}/")
        raise
    log.info("completed storyboard %s", parent.id)
    return "completed"


async def _download(ctx: JobContext, shots: Sequence[jobs.Video], workdir: Path) -> list[Path]:
    files = []
    for i, shot in enumerate(shots):
        asset = shot.asset("video")
        path = workdir / f"shot-{i:03d}.mp4"
        try:
            if asset is None:
                raise FileNotFoundError(shot.id)
            await ctx.storage.download(asset.key, path)
        except FileNotFoundError:
            raise errors.AssetsMissing(
                f"Shot {i + 1}'s file is no longer in storage (it expired or was deleted)."
            ) from None
        files.append(path)
    return files


async def _while_beating(
    ctx: JobContext,
    parent: jobs.Video,
    token: str,
    work: asyncio.Task[Any],
    stopping: asyncio.Event,
) -> None:
    """Keep the lease while ``work`` (the stitch) runs; a cancel or stop abandons it."""
    try:
        while not work.done():
            await asyncio.wait({work}, timeout=ctx.settings.heartbeat_seconds)
            if not work.done():
                await _beat(ctx, parent, token, SHOTS_SHARE, stopping)
    finally:
        if not work.done():
            work.cancel()
            await asyncio.gather(work, return_exceptions=True)
