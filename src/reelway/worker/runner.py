"""The worker: claim loops (one per concurrent slot), a reaper, and graceful shutdown.

The reaper's pass (at start-up, then every ``reap_interval_seconds``) recovers lapsed leases,
runs the housekeeping (purges deleted and expired videos, forgets old keys and logs), and sweeps
render folders left behind by killed workers.

A worker runs inside ``reelway serve`` or alone as ``reelway worker``; any number of them
share one database.  Stopping one lets running renders finish for a grace period, then hands
the rest back to the queue, so a restart loses nothing.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
from collections.abc import Callable, Coroutine, Sequence
from typing import Any

from reelway import errors, ids, jobs, logs
from reelway.store.queue import LeaseLost
from reelway.worker import orchestrate, stages, storyboards, sweep
from reelway.worker.context import JobContext
from reelway.worker.housekeeping import Housekeeping
from reelway.worker.waits import wait_event

log = logging.getLogger(__name__)

RETRY_DELAY_SECONDS = 10.0
MAX_BACKOFF_SECONDS = 10.0


class Worker:
    def __init__(
        self,
        ctx: JobContext,
        housekeeping: Housekeeping,
        *,
        concurrency: int,
        reaper: bool = True,
        background: Sequence[Callable[[asyncio.Event], Coroutine[Any, Any, None]]] = (),
        on_job_end: Callable[[], None] | None = None,
    ) -> None:
        self.ctx = ctx
        self.housekeeping = housekeeping
        self.concurrency = concurrency
        self.reaper = reaper
        self.background = tuple(background)
        """Loops that live as long as the worker (webhook delivery), stopped with it."""
        self.on_job_end = on_job_end
        """Called after each job this worker handled (to deliver its webhook at once)."""
        self.id = f"{socket.gethostname()}:{os.getpid()}:{ids.new_id('w')[2:10]}"
        self.started_at = time.time()
        self.wake = asyncio.Event()
        self.stopping = asyncio.Event()
        self._abandon = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []

    def notify(self) -> None:
        """New work was queued in this process: look now instead of at the next poll."""
        self.wake.set()

    async def start(self) -> None:
        await self._check_in()
        self._tasks = [
            asyncio.create_task(self._slot(n), name=f"worker-slot-{n}")
            for n in range(self.concurrency)
        ]
        if self.reaper:
            self._tasks.append(asyncio.create_task(self._reap_loop(), name="worker-reaper"))
        if self.concurrency:  # beside the slots: it waits on shots, it renders nothing
            coordinator = storyboards.coordinate(self.ctx, self.id, self.stopping, self._abandon)
            self._tasks.append(asyncio.create_task(coordinator, name="worker-storyboards"))
        for loop in self.background:
            self._tasks.append(asyncio.create_task(loop(self.stopping), name="worker-background"))
        log.info("worker %s started with %d slot(s)", self.id, self.concurrency)

    async def _check_in(self) -> None:
        """Tell the registry this worker is alive, with its devices' state (``/ready``)."""
        devices = [state.as_dict() for state in self.ctx.executors.device_states()]
        await self.ctx.store.worker_seen(
            self.id, socket.gethostname(), os.getpid(), self.started_at, devices, self.concurrency
        )

    async def stop(self, grace_seconds: float) -> None:
        """Stop claiming; let renders finish for ``grace_seconds``; hand back the rest."""
        self.stopping.set()
        self.wake.set()
        if not self._tasks:
            return
        _, pending = await asyncio.wait(self._tasks, timeout=grace_seconds)
        if pending:
            log.info("grace period over; handing %d job(s) back to the queue", len(pending))
            self._abandon.set()
            await asyncio.wait(pending, timeout=15)
            for task in pending:
                task.cancel()
            await asyncio.gather(*pending, return_exceptions=True)
        await self.ctx.close()
        try:
            await self.ctx.store.worker_gone(self.id)
        except errors.DatabaseUnavailable:
            log.warning("could not deregister worker %s: database unavailable", self.id)
        log.info("worker %s stopped", self.id)

    async def run_until_stopped(self, grace_seconds: float) -> None:
        await self.start()
        try:
            await self.stopping.wait()
        finally:
            await self.stop(grace_seconds)

    async def _slot(self, number: int) -> None:
        backoff = 0.0
        while not self.stopping.is_set():
            clock = stages.StageClock()
            try:
                with clock.stage("claim"):
                    video = await self.ctx.store.claim(self.id, self.ctx.settings.lease_seconds)
                backoff = 0.0
            except errors.DatabaseUnavailable:
                backoff = min(max(backoff * 2, 0.5), MAX_BACKOFF_SECONDS)
                log.warning("database unavailable; slot %d retries in %.1fs", number, backoff)
                await self._sleep(backoff)
                continue
            except Exception:
                log.exception("claim failed; retrying shortly")
                await self._sleep(1.0)
                continue
            if video is None:
                await self._idle()
                continue
            with stages.timing(clock):
                await self._process(video)
            split = clock.stop()
            log.info(
                "%s used %.1f ms of CPU",
                video.id,
                sum(split.values()),
                extra={"video_id": video.id, "cpu_ms": split, "wall_ms": clock.wall_ms()},
            )

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake at once when the worker is stopping."""
        await wait_event(self.stopping, seconds)

    async def _idle(self) -> None:
        if await wait_event(self.wake, self.ctx.settings.claim_poll_seconds):
            self.wake.clear()

    async def _process(self, video: jobs.Video) -> None:
        try:
            with logs.bound(video=video.id):
                await self._run(video)
        finally:
            if self.on_job_end is not None:
                self.on_job_end()

    async def _run(self, video: jobs.Video) -> None:
        try:
            await orchestrate.run_job(self.ctx, video, self._abandon)
        except asyncio.CancelledError:
            raise
        except errors.DatabaseUnavailable as exc:
            log.warning("database unavailable while working on %s; will retry", video.id)
            await self._after_error(video, exc)
        except Exception as exc:
            log.exception("worker error on %s", video.id)
            await self._after_error(video, exc)

    async def _after_error(self, video: jobs.Video, exc: Exception) -> None:
        assert video.lease_token is not None
        try:
            if video.attempts >= video.max_attempts:
                failure = errors.EngineRuntimeError(
                    f"The worker could not finish this video: {type(exc).__name__}: {exc}"[:500]
                )
                await self.ctx.store.fail(
                    video.id, video.lease_token, jobs.JobError(failure.code, failure.message)
                )
            else:
                await self.ctx.store.requeue(video.id, video.lease_token, RETRY_DELAY_SECONDS)
        except LeaseLost:
            pass
        except errors.DatabaseUnavailable:
            log.warning("could not record the error on %s; its lease will lapse", video.id)
        except Exception:
            log.exception("could not record the error on %s; its lease will lapse", video.id)

    async def _reap_loop(self) -> None:
        interval = self.ctx.settings.reap_interval_seconds
        while not self.stopping.is_set():
            try:
                report = await self.ctx.store.reap()
                if report.total:
                    log.info(
                        "reaper: requeued %s, failed %s, cancelled %s",
                        report.requeued,
                        report.failed,
                        report.cancelled,
                    )
                    self.wake.set()
                await self.housekeeping.tidy()
                await self._check_in()
                await sweep.sweep(self.ctx.settings.tmp_dir, self.ctx.store)
            except errors.DatabaseUnavailable:
                log.warning("reaper: database unavailable; trying again in %.0fs", interval)
            except Exception:
                log.exception("reaper pass failed; trying again in %.0fs", interval)
            await wait_event(self.stopping, interval)
