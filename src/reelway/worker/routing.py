"""Which engine takes a job next: the model's route, minus engines that already failed it,
minus engines whose circuit breaker is open, subject to each engine's shared limits.

A failure that may fail over (``errors.ReelwayError.failover``: capacity, outages, timeouts,
upstream rate limits, upstream 5xx...) moves the job to the next engine, whether or not the
provider had accepted it; a moderation or invalid-request failure ends the job where it is.
When an engine's limit is reached the job is re-queued for the moment a slot frees, so no
coroutine sleeps on it.  When every engine on the route failed with something a later try
may fix, the job walks the route again after a pause, up to ``route_passes`` times.

Routing reads each engine's ``EngineInfo``: an engine that cannot serve the job (its input
image, its size or length, its characters) is skipped rather than tried, and a remix goes
first to the engines that can really remix its source; one that cannot renders it as a new
generation, and the video records that (``rendered_as``).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelway import catalog, errors, jobs
from reelway.capabilities import EngineInfo, Needs, unmet
from reelway.engines.directory import EngineDirectory
from reelway.store.engines import EngineStore, Verdict

log = logging.getLogger(__name__)


PAUSED_RECHECK_SECONDS = 5.0
"""How long a job waits before it looks again at an engine that is paused."""


@dataclass(frozen=True)
class Defer:
    """Re-queue the job until ``until``."""

    until: float
    reason: str


def needs(video: jobs.Video) -> Needs:
    """What the job asks of the engine that renders it.  An extension's engine makes only the
    new segment, so ``seconds`` is that segment's length."""
    wanted: set[catalog.Capability] = set()
    if video.input_reference:
        wanted.add(catalog.Capability.IMAGE_INPUT)
    if video.sources.characters:
        wanted.add(catalog.Capability.CHARACTERS)
    if video.kind is jobs.JobKind.EDIT:
        wanted.add(catalog.Capability.EDITS)
    if video.kind is jobs.JobKind.SHOT and video.sources.video_id is not None:
        wanted.add(catalog.Capability.IMAGE_INPUT)  # a continue shot: from the last frame
    if video.kind is jobs.JobKind.EXTEND:
        # Served natively, or from the source's last frame and stitched (capabilities.serves).
        wanted.add(catalog.Capability.EXTENSIONS)
    return Needs(size=video.size, seconds=video.new_seconds, capabilities=frozenset(wanted))


def rendered_as(job: jobs.JobKind, rendered: jobs.JobKind) -> str | None:
    """What the finished video records when its engine made something other than the job's
    kind: ``"generation"`` for a remix rendered as a new video; else None.  An extension
    whose segment was generated from the source's last frame and stitched on is still an
    extension."""
    if rendered is jobs.JobKind.GENERATE and job not in (
        jobs.JobKind.GENERATE,
        jobs.JobKind.EXTEND,
        jobs.JobKind.SHOT,
    ):
        return "generation"
    return None


class Route:
    """The engines one job may still use, in order, and what happened on each."""

    def __init__(
        self,
        video: jobs.Video,
        model: catalog.ModelSpec,
        engines: EngineDirectory,
        store: EngineStore,
        *,
        passes: int,
        pass_pause_seconds: float,
        remote: Callable[[str], bool],
        source: jobs.Video | None = None,
    ) -> None:
        self.video = video
        self.source = source
        """The video a remix (or edit, or extension) starts from, when it has one."""
        self.engines = engines
        self.infos: dict[str, EngineInfo] = {}
        self.skipped: dict[str, str] = {}
        """Engines that cannot serve this job, with the parameter each cannot serve."""
        wanted = needs(video)
        order: list[str] = []
        for engine in model.engine_order(video.id):
            info = self.infos[engine] = engines.info(engine)
            gap = unmet(info, wanted)
            if gap is None:
                order.append(engine)
            else:
                self.skipped[engine] = gap
                log.info("%s skips %s: it cannot serve this video's %s", video.id, engine, gap)
        if video.kind is jobs.JobKind.REMIX:
            # Engines that can really remix the source first; sorted() keeps route order.
            order = sorted(order, key=lambda engine: not self._remixes(engine))
        self.order = tuple(order)
        self.store = store
        self.passes = passes
        self.pass_pause_seconds = pass_pause_seconds
        self.is_remote = remote
        self.attempts: list[jobs.EngineAttempt] = list(video.engine_attempts)
        self.resume = video.engine if video.operation else None
        self.call_id: int | None = None
        """The rate-window call the current engine was admitted with."""

    def _remixes(self, engine: str) -> bool:
        return self.infos[engine].can_remix(None if self.source is None else self.source.engine)

    def rendering(self, engine: str) -> jobs.JobKind:
        """The kind ``engine`` is asked to render: a remix on an engine that cannot remix
        its source becomes a new generation from the remix's prompt (``rendered_as``); an
        extension on an engine that cannot extend becomes a generation of the new segment from
        the source's last frame, which the worker stitches on."""
        if self.video.kind is jobs.JobKind.SHOT:
            return jobs.JobKind.GENERATE  # a storyboard's shot is a generation of its own
        if self.video.kind is jobs.JobKind.REMIX and not self._remixes(engine):
            return jobs.JobKind.GENERATE
        if self.video.kind is jobs.JobKind.EXTEND and not self.infos[engine].has(
            catalog.Capability.EXTENSIONS
        ):
            return jobs.JobKind.GENERATE
        return self.video.kind

    def exhausted(self) -> errors.NoEngineAvailable:
        """Why no engine is left: every engine on the route was skipped (naming what none of
        them can serve: the configuration changed since the video was created), or each one
        was tried."""
        if self.skipped and not self.order:
            gaps = ", ".join(f"{engine} ({gap})" for engine, gap in self.skipped.items())
            param = next(iter(self.skipped.values()))
            return errors.NoEngineAvailable(
                f"No engine on this model's route can serve this video's {param}: {gaps}.",
                param=param,
            )
        return errors.NoEngineAvailable(
            "No engine on this model's route could take the video; try again later."
        )

    @property
    def current_pass(self) -> int:
        return self.attempts[-1].pass_number if self.attempts else 0

    def _tried(self) -> set[str]:
        """Engines that failed the job in the current pass over the route."""
        current = self.current_pass
        return {
            a.engine for a in self.attempts if a.pass_number == current and a.engine is not None
        }

    def spent(self) -> bool:
        """Every engine on the route has failed the job in this pass."""
        return set(self.order) <= self._tried()

    async def next_engine(self) -> str | Defer | None:
        """The engine to run now; a ``Defer`` to wait for one; None when the route is spent."""
        self.call_id = None
        if self.resume is not None and self.resume in self.order:
            engine, self.resume = self.resume, None
            return engine  # already submitted there: resume, don't count a new call
        tried = self._tried()
        skipped: list[float] = []
        paused = await self.store.paused()
        waiting_for: str | None = None
        for engine in self.order:
            if engine in tried:
                continue
            if engine in paused:  # drained by the operator: skipped, never tried
                if paused[engine] == "wait":
                    log.info("%s waits for %s: it is paused", self.video.id, engine)
                    return Defer(time.time() + PAUSED_RECHECK_SECONDS, f"{engine}: paused")
                log.info("%s skips %s: it is paused", self.video.id, engine)
                waiting_for = waiting_for or engine
                continue
            spec = self.engines.spec(engine)
            if not (spec.limits.limited or self.is_remote(engine)):
                return engine
            admission = await self.store.admit(engine, self.video.id, spec.limits)
            if admission.verdict is Verdict.GO:
                self.call_id = admission.call_id
                return engine
            assert admission.until is not None
            if admission.verdict is Verdict.WAIT:
                log.info(
                    "%s waits for %s (%s) until %.1f s from now",
                    self.video.id,
                    engine,
                    admission.reason,
                    admission.until - time.time(),
                )
                return Defer(admission.until, f"{engine}: {admission.reason}")
            log.info("%s skips %s: its circuit breaker is open", self.video.id, engine)
            skipped.append(admission.until)
        if waiting_for is not None:  # nothing else could take it: wait for the paused one
            until = min([time.time() + PAUSED_RECHECK_SECONDS, *skipped])
            return Defer(until, f"{waiting_for}: paused, and no other engine can take the job")
        if skipped and not tried:
            return Defer(min(skipped), "every engine on the route has an open circuit breaker")
        return None

    async def succeeded(self, engine: str) -> None:
        if self.is_remote(engine):
            await self.store.record(engine, self.engines.spec(engine).limits, ok=True)

    async def failed(self, engine: str, failure: errors.ReelwayError) -> None:
        """Remember the failure on the job; count it towards the engine's breaker."""
        self.attempts.append(
            jobs.EngineAttempt(
                engine=engine,
                code=failure.code,
                at=round(time.time(), 3),
                pass_number=self.current_pass,
                message=failure.message,
                upstream=getattr(failure, "upstream", None) or None,
            )
        )
        if self.is_remote(engine) and (failure.failover or failure.retry_after):
            # A 429 says "not so fast", not "broken": it blocks the engine for its
            # Retry-After but does not count towards opening the breaker.
            unhealthy = failure.failover and not isinstance(failure, errors.UpstreamRateLimited)
            await self.store.record(
                engine,
                self.engines.spec(engine).limits,
                ok=not unhealthy,
                retry_after=failure.retry_after,
            )

    def may_retry_later(self, failure: errors.ReelwayError) -> Defer | None:
        """After a full pass of retryable failures: walk the route again later, if allowed."""
        if not (failure.failover and failure.retryable):
            return None
        passes_done = self.current_pass + 1
        if passes_done >= self.passes:
            return None
        pause = max(self.pass_pause_seconds * passes_done, failure.retry_after or 0.0)
        # A marker starts the next pass: the engines it lists as tried are forgotten.
        self.attempts.append(
            jobs.EngineAttempt(
                engine=None, code="route_retry", at=round(time.time(), 3), pass_number=passes_done
            )
        )
        return Defer(time.time() + pause, "every engine on the route failed; trying again")

    def explain(self, failure: errors.JobFailure) -> jobs.JobError:
        """The failed video's ``error``: the last failure, and the route's history for the
        operator (``reelway doctor``; the API shows only code and message)."""
        message = failure.message
        real = [a for a in self.attempts if a.engine]
        others = real[:-1]
        if others:
            tried = ", ".join(f"{a.engine} ({a.code})" for a in others)
            message = f"{message} Engines tried before: {tried}."
        return jobs.JobError(
            code=failure.code,
            message=message[:1000],
            details=dict(failure.details),  # a moderation refusal's category and stage
            attempts=tuple(self.attempts),
        )

    def source_operation(self, engine: str, kind: jobs.JobKind) -> Any:
        """The source video's operation when ``engine`` made it and renders the job as what it
        is (a real upstream remix, edit or extension of its own result); else None."""
        source = self.source
        if kind is jobs.JobKind.GENERATE or source is None:
            return None
        if source.engine != engine or not source.operation:
            return None
        return source.operation
