"""One job, start to finish: route -> engine -> files -> storage -> finish, under a lease.

While the engine renders, this loop renews the lease and publishes progress, and stops the
render when the job is cancelled, its deadline passes, the lease is lost or the worker shuts
down.  Files are copied into storage before the job is marked completed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import logging
import shutil
import time
from collections.abc import Awaitable, Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

from reelway import catalog, errors, jobs, logs
from reelway.engines import base
from reelway.media import provenance
from reelway.store.queue import Heartbeat, LeaseLost
from reelway.worker import remote_job, routing, sources, stages
from reelway.worker.context import JobContext

log = logging.getLogger(__name__)
T = TypeVar("T")

PROGRESS_TICK_SECONDS = 0.5
OUTPUTS = {
    "video": ("video.mp4", "video/mp4"),
    "thumbnail": ("thumbnail.webp", "image/webp"),
    "spritesheet": ("spritesheet.jpg", "image/jpeg"),
}


class _Stop(Exception):
    """The job must stop rendering; ``outcome`` says what to record."""

    def __init__(self, outcome: str) -> None:
        super().__init__(outcome)
        self.outcome = outcome


async def run_job(ctx: JobContext, video: jobs.Video, stopping: asyncio.Event) -> str:
    """Process a claimed job; returns what happened (for logs and tests)."""
    assert video.lease_token is not None
    token = video.lease_token
    workdir = ctx.settings.tmp_dir / f"{video.id}-{token[:8]}"
    with logs.bound(video=video.id):  # every line about this job, here and below, names it
        try:
            workdir.mkdir(parents=True, exist_ok=True)
            return await _run(ctx, video, token, workdir, stopping)
        except LeaseLost:
            log.warning("lost the lease on %s; another worker has it now", video.id)
            return "lease_lost"
        finally:
            with stages.stage("cleanup"):
                await asyncio.to_thread(shutil.rmtree, workdir, True)


async def _run(
    ctx: JobContext, video: jobs.Video, token: str, workdir: Path, stopping: asyncio.Event
) -> str:
    model = ctx.catalog.get(video.catalog_model)
    if model is None:
        await _fail(
            ctx,
            video,
            token,
            errors.EngineRuntimeError(
                f"Model {video.catalog_model!r} is no longer in this server's catalogue."
            ),
            None,
        )
        return "failed"
    source_id = video.sources.video_id
    source = await ctx.store.source(source_id) if source_id else None
    if sources.continues(video) and (
        source is None or source.status is not jobs.JobStatus.SUCCEEDED
    ):
        # Taken before the shot it continues succeeded: wait for the storyboard to release it.
        await ctx.store.defer(video.id, token, jobs.WAITING_RUN_AT)
        return "deferred"
    try:
        with stages.stage("prepare"):
            planned = await _request(ctx, video, model, workdir, source)
    except errors.JobFailure as failure:
        await _fail(ctx, video, token, failure, None)
        return "failed"
    route = routing.Route(
        video,
        model,
        ctx.engines,
        ctx.engine_store,
        passes=ctx.settings.route_passes,
        pass_pause_seconds=ctx.settings.route_retry_seconds,
        remote=ctx.is_remote,
        source=source,
    )
    while True:
        with stages.stage("route"):
            step = await route.next_engine()
        if isinstance(step, routing.Defer):
            await ctx.store.defer(video.id, token, step.until, route.attempts)
            log.info("deferred %s: %s", video.id, step.reason)
            return "deferred"
        if step is None:
            await _fail_route(ctx, video, token, route, route.exhausted())
            return "failed"
        engine = step
        kind = route.rendering(engine)
        request = dataclasses.replace(
            planned, kind=kind, source_operation=route.source_operation(engine, kind)
        )
        try:
            if sources.stitched(video, request) or sources.continues(video):
                request = await sources.from_last_frame(request, workdir)
            outcome = await _attempt(
                ctx,
                video,
                token,
                engine,
                request,
                workdir,
                stopping,
                route.call_id,
                marked_seconds=_marked_seconds(ctx, video, engine, request, source),
            )
        except errors.RenderProcessDied as died:
            if video.attempts >= video.max_attempts:
                await route.failed(engine, died)
                await _fail_route(ctx, video, token, route, died, engine)
                return "failed"
            return await _requeue(ctx, video, token, died)
        except errors.JobFailure as failure:
            await route.failed(engine, failure)
            log.warning(
                "%s failed on %s: %s: %s%s",
                video.id,
                engine,
                failure.code,
                failure.message,
                f" (upstream: {upstream})"
                if (upstream := getattr(failure, "upstream", None))
                else "",
            )
            if failure.failover:
                spent = route.spent()
                retry = route.may_retry_later(failure) if spent else None
                if retry is not None:
                    await ctx.store.defer(video.id, token, retry.until, route.attempts)
                    log.info("deferred %s: %s", video.id, retry.reason)
                    return "deferred"
                if not spent:
                    video = await _through_outage(
                        ctx,
                        functools.partial(ctx.store.failover, video.id, token, route.attempts),
                    )
                    log.info("%s fails over from %s", video.id, engine)
                    continue
            await _fail_route(ctx, video, token, route, failure, engine)
            return "failed"
        if outcome == "completed":
            with stages.stage("route"):
                await route.succeeded(engine)
        return outcome


async def _attempt(
    ctx: JobContext,
    video: jobs.Video,
    token: str,
    engine: str,
    request: base.GenerationRequest,
    workdir: Path,
    stopping: asyncio.Event,
    call_id: int | None = None,
    *,
    marked_seconds: float = 0.0,
) -> str:
    """Run the job on one engine; raises ``errors.JobFailure`` when that engine fails it."""
    output = base.RenderOutput(
        video=workdir / OUTPUTS["video"][0],
        thumbnail=workdir / OUTPUTS["thumbnail"][0],
        spritesheet=workdir / OUTPUTS["spritesheet"][0],
    )
    for leftover in (output.video, output.thumbnail, output.spritesheet):
        leftover.unlink(missing_ok=True)
    progress = _Progress()
    rendered: list[base.RenderResult] = []
    remote = ctx.remote_engine(engine)
    remote_run: remote_job.RemoteRun | None = None
    if remote is None:
        await ctx.store.save_operation(video.id, token, engine, None)
        log.info("rendering %s with %s (attempt %d)", video.id, engine, video.attempts)
        executor = ctx.executors.for_engine(engine)
        work: Coroutine[Any, Any, object] = _kept(
            executor.render(ctx.engines.spec(engine), request, output, progress.set), rendered
        )
    else:
        remote_run = remote_job.RemoteRun(ctx, video, token, engine, remote, call_id)
        work = remote_run.run(request, output, progress.set)
    stitched = sources.stitched(video, request)
    if stitched:
        work = _then_stitch(work, request, output)
    render: asyncio.Task[object] = asyncio.create_task(work)
    try:
        await _supervise(ctx, video, token, render, progress, stopping)
        segment = await render
        with stages.stage("probe"):
            billing = None if remote_run is None else await remote_run.billing(output.video)
        _check_outputs(output)
        await ctx.finisher.finish(
            video,
            engine,
            output,
            # A stitched file is Reelway's own; the provider's segment is a component of it.
            remote=remote_run is not None and not stitched,
            components=_components(
                request, stitched, segment if stitched and remote_run is not None else None
            ),
            marked_seconds=marked_seconds,
        )
        with stages.stage("custody"):
            assets = await _store_outputs(ctx, video, token, output)
    except _Stop as stop:
        if stop.outcome in ("cancelled", "deadline") and remote_run is not None:
            await remote_run.cancel()
        return await _stop(ctx, video, token, stop.outcome)
    except errors.JobFailure as failure:
        if remote_run is not None and failure.failover:
            await remote_run.cancel()  # the provider may still be working on it
        raise
    finally:
        if not render.done():
            render.cancel()
            await asyncio.gather(render, return_exceptions=True)
    try:
        with stages.stage("complete"):
            await _through_outage(
                ctx,
                lambda: ctx.store.complete(
                    video.id,
                    token,
                    engine,
                    assets,
                    ctx.settings.retention_seconds,
                    billing,
                    routing.rendered_as(video.kind, request.kind),
                    rendered[0].details if rendered and rendered[0].details else None,
                ),
            )
    except LeaseLost:
        await ctx.storage.delete_prefix(f"videos/{video.id}/{token[:8]}/")
        raise
    log.info("completed %s", video.id)
    return "completed"


async def _kept(
    render: Coroutine[Any, Any, base.RenderResult], into: list[base.RenderResult]
) -> base.RenderResult:
    """A local render whose result is also kept in ``into`` (what the engine reports about
    how it made the video is recorded with it, even when the result is stitched on)."""
    result = await render
    into.append(result)
    return result


async def _then_stitch(
    work: Coroutine[Any, Any, object], request: base.GenerationRequest, output: base.RenderOutput
) -> Path:
    """The render of an extension's new segment, then the stitch onto its source: one
    supervised task, so the lease is renewed and a cancel stops it while it stitches."""
    await work
    return await sources.stitch_on(request, output)


def _marked_seconds(
    ctx: JobContext,
    video: jobs.Video,
    engine: str,
    request: base.GenerationRequest,
    source: jobs.Video | None,
) -> float:
    """How much of an extension's start is its stored source's own frames, already carrying
    the watermark: Reelway stitched it (the fallback) or a local engine did (from the stored
    file).  A provider's own extension returns its own frames, which are marked whole."""
    if video.kind is not jobs.JobKind.EXTEND or not video.watermark:
        return 0.0
    if source is None or not source.watermark or request.source_video is None:
        return 0.0
    if sources.stitched(video, request) or not ctx.is_remote(engine):
        return float(request.source_seconds or 0)
    return 0.0


def _components(
    request: base.GenerationRequest, stitched: bool, segment: object
) -> tuple[provenance.Component, ...]:
    """The files the video's manifest lists as its components: the source video of an edit,
    an extension or a real remix (not of a remix rendered as a new generation), and a
    provider's segment that was stitched on."""
    found: list[provenance.Component] = []
    made_from_source = stitched or request.kind is not jobs.JobKind.GENERATE
    if made_from_source and request.source_video is not None and request.source_video.is_file():
        title = request.sources.video_id or "uploaded video"
        found.append(provenance.Component(request.source_video, f"source video {title}"))
    if isinstance(segment, Path) and segment.is_file():
        found.append(provenance.Component(segment, "generated segment"))
    return tuple(found)


class _Progress:
    def __init__(self) -> None:
        self.value = 0

    def set(self, value: int) -> None:
        self.value = max(self.value, min(99, value))


async def _supervise(
    ctx: JobContext,
    video: jobs.Video,
    token: str,
    render: asyncio.Task[Any],
    progress: _Progress,
    stopping: asyncio.Event,
) -> None:
    """Renew the lease and publish progress until the render ends or must be stopped."""
    settings = ctx.settings
    published = -1
    last_beat = time.monotonic()
    while not render.done():
        await asyncio.wait({render}, timeout=PROGRESS_TICK_SECONDS)
        if render.done():
            return
        if stopping.is_set():
            raise _Stop("released")
        if video.deadline_at is not None and time.time() > video.deadline_at:
            raise _Stop("deadline")
        due = time.monotonic() - last_beat >= settings.heartbeat_seconds
        if progress.value == published and not due:
            continue
        try:
            beat = await ctx.store.heartbeat(
                video.id, token, progress.value, settings.lease_seconds
            )
        except errors.DatabaseUnavailable:
            # Keep rendering: the lease covers a short outage, and if it lapses meanwhile the
            # fenced completion below tells us someone else took the job.
            last_beat = time.monotonic()
            continue
        last_beat = time.monotonic()
        published = progress.value
        if beat is Heartbeat.CANCEL:
            raise _Stop("cancelled")
        if beat is Heartbeat.LOST:
            raise LeaseLost()


async def _stop(ctx: JobContext, video: jobs.Video, token: str, outcome: str) -> str:
    if outcome == "cancelled":
        await ctx.store.acknowledge_cancel(video.id, token)
        log.info("cancelled %s", video.id)
    elif outcome == "deadline":
        await _fail(
            ctx,
            video,
            token,
            errors.DeadlineExceeded(errors.DEADLINE_MESSAGE),
            None,
        )
    else:
        try:
            await ctx.store.release(video.id, token)
            log.info("handed %s back to the queue (worker stopping)", video.id)
        except LeaseLost:
            # Cancellation was requested while we stopped: record it instead of requeueing.
            await ctx.store.acknowledge_cancel(video.id, token)
    return outcome


async def _requeue(
    ctx: JobContext, video: jobs.Video, token: str, died: errors.RenderProcessDied
) -> str:
    """As for a crashed worker (the reaper's requeue): back to the queue, the attempt counted;
    the next claim gets a fresh render process."""
    log.warning("%s: %s; back to the queue", video.id, died.message)
    try:
        await _through_outage(ctx, lambda: ctx.store.requeue(video.id, token, 0.0))
    except LeaseLost:
        await ctx.store.acknowledge_cancel(video.id, token)  # cancelled meanwhile
        return "cancelled"
    return "requeued"


async def _request(
    ctx: JobContext,
    video: jobs.Video,
    model: catalog.ModelSpec,
    workdir: Path,
    source: jobs.Video | None = None,
) -> base.GenerationRequest:
    """The job as an engine sees it, its files downloaded into ``workdir``.  For an
    extension ``seconds`` is the new segment's length (the row holds the stitched total)."""
    width, height = catalog.parse_size(video.size)
    image: Path | None = None
    if video.input_reference:
        image = workdir / ("input" + Path(video.input_reference).suffix)
        try:
            await ctx.storage.download(video.input_reference, image)
        except FileNotFoundError:
            raise errors.AssetsMissing(
                "The video's input_reference image is missing from storage."
            ) from None
    found = await sources.source(ctx, video, source, workdir)
    return base.GenerationRequest(
        video_id=video.id,
        model=model.name,
        prompt=video.prompt or "",
        width=width,
        height=height,
        seconds=video.new_seconds,
        seed=video.seed,
        input_image=image,
        kind=video.kind,
        sources=video.sources,
        source_video=found.video,
        source_prompt=found.prompt,
        source_seconds=found.seconds,
        characters=await sources.characters(ctx, video, workdir),
    )


def _files(output: base.RenderOutput) -> dict[str, Path]:
    """The engine's files by variant name (the keys of ``OUTPUTS``)."""
    return {"video": output.video, "thumbnail": output.thumbnail, "spritesheet": output.spritesheet}


def _check_outputs(output: base.RenderOutput) -> None:
    for name, path in _files(output).items():
        if not path.is_file():
            raise errors.EngineRuntimeError(f"The engine did not write its {name} file.")


async def _store_outputs(
    ctx: JobContext, video: jobs.Video, token: str, output: base.RenderOutput
) -> dict[str, jobs.Asset]:
    """The three files copied into storage at once: each local copy ends with an fsync
    (8-40 ms on a busy disk), and one at a time they were most of a remote job's wall time.
    A failure raises the first error, as before; the job's prefix is left as a failed copy
    one at a time left it."""
    files = _files(output)

    async def put(name: str, path: Path) -> jobs.Asset:
        filename, content_type = OUTPUTS[name]
        return await ctx.storage.put_file(
            f"videos/{video.id}/{token[:8]}/{filename}", path, content_type
        )

    stored = await asyncio.gather(*(put(name, path) for name, path in files.items()))
    return dict(zip(files, stored, strict=True))


async def _through_outage(ctx: JobContext, operation: Callable[[], Awaitable[T]]) -> T:
    """Retry a fenced transition while the database is unreachable, for up to one lease."""
    deadline = time.monotonic() + ctx.settings.lease_seconds
    delay = 0.5
    while True:
        try:
            return await operation()
        except errors.DatabaseUnavailable:
            if time.monotonic() + delay > deadline:
                raise
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)


async def _fail_route(
    ctx: JobContext,
    video: jobs.Video,
    token: str,
    route: routing.Route,
    failure: errors.JobFailure,
    engine: str | None = None,
) -> None:
    error = route.explain(failure)
    log.warning("video %s failed: %s: %s", video.id, error.code, error.message)
    await _through_outage(ctx, lambda: ctx.store.fail(video.id, token, error, engine))


async def _fail(
    ctx: JobContext,
    video: jobs.Video,
    token: str,
    failure: errors.ReelwayError,
    engine: str | None,
) -> None:
    error = jobs.JobError(failure.code, failure.message, dict(failure.details))
    log.warning("video %s failed: %s: %s", video.id, failure.code, failure.message)
    await _through_outage(ctx, lambda: ctx.store.fail(video.id, token, error, engine))
