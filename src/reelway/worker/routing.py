"""Which engine takes a job next: the model's route, minus engines that already failed it,
minus engines whose circuit breaker is open, subject to each engine's shared limits.

A failure that may fail over (``errors.ReelwayError.failover``: capacity, outages, timeouts,
upstream rate limits, upstream 5xx...) moves the job to the next engine, whether or not the
provider had accepted it; a moderation or invalid-request failure ends the job where it is.
When an engine's limit is reached the job is re-queued for the moment a slot frees, so no
coroutine sleeps on it.  When every engine on the route failed with something a later try
may fix, the job walks the route again after a pause, up to ``route_passes`` times.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reelway import catalog, errors, jobs
from reelway.engines.directory import EngineDirectory
from reelway.store.engines import EngineStore, Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Defer:
    """Re-queue the job until ``until``."""

    until: float
    reason: str


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
    ) -> None:
        self.video = video
        self.order = model.engine_order(video.id)
        self.engines = engines
        self.store = store
        self.passes = passes
        self.pass_pause_seconds = pass_pause_seconds
        self.is_remote = remote
        self.attempts: list[dict[str, Any]] = list(video.engine_attempts or [])
        self.resume = video.engine if video.operation else None
        self.call_id: int | None = None
        """The rate-window call the current engine was admitted with."""

    @property
    def current_pass(self) -> int:
        return int(self.attempts[-1].get("pass", 0)) if self.attempts else 0

    def _tried(self) -> set[str]:
        """Engines that failed the job in the current pass over the route."""
        current = self.current_pass
        return {a["engine"] for a in self.attempts if a.get("pass", 0) == current and a["engine"]}

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
        for engine in self.order:
            if engine in tried:
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
        if skipped and not tried:
            return Defer(min(skipped), "every engine on the route has an open circuit breaker")
        return None

    async def succeeded(self, engine: str) -> None:
        if self.is_remote(engine):
            await self.store.record(engine, self.engines.spec(engine).limits, ok=True)

    async def failed(self, engine: str, failure: errors.ReelwayError) -> None:
        """Remember the failure on the job; count it towards the engine's breaker."""
        attempt: dict[str, Any] = {
            "engine": engine,
            "code": failure.code,
            "message": failure.message,
            "at": round(time.time(), 3),
            "pass": self.current_pass,
        }
        upstream = getattr(failure, "upstream", None)
        if upstream:
            attempt["upstream"] = upstream
        self.attempts.append(attempt)
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
            {
                "engine": None,
                "code": "route_retry",
                "at": round(time.time(), 3),
                "pass": passes_done,
            }
        )
        return Defer(time.time() + pause, "every engine on the route failed; trying again")

    def explain(self, failure: errors.JobFailure) -> dict[str, Any]:
        """The failed video's ``error``: the last failure, and the route's history for the
        operator (``reelway doctor``; the API shows only code and message)."""
        message = failure.message
        real = [a for a in self.attempts if a["engine"]]
        others = real[:-1]
        if others:
            tried = ", ".join(f"{a['engine']} ({a['code']})" for a in others)
            message = f"{message} Engines tried before: {tried}."
        error: dict[str, Any] = {"code": failure.code, "message": message[:1000]}
        error.update(failure.details)  # a moderation refusal's category and stage
        if self.attempts:
            error["attempts"] = self.attempts
        return error


def remix_source(engine: str, source: jobs.Video | None) -> Any:
    """The source video's operation when the same engine made it (a real upstream remix)."""
    if source is None or source.engine != engine or not source.operation:
        return None
    return source.operation
