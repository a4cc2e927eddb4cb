"""``/ready``: whether this process can do its work (``/health`` only says it is alive).

It needs no key, and checks, concurrently and each within ``CHECK_SECONDS``:

- ``database``: a trivial query answers (with its latency);
- ``storage``: a probe file can be written and deleted;
- ``workers``: some render slot checked in lately (workers do on every reaper pass, with
  their slot count; an API process serving with ``--workers 0`` has none);
- ``queue``: the deployment's queue is below ``REELWAY_QUEUE_LIMIT`` (at the limit, creates
  answer 503 ``server_busy``);
- ``devices``, only when some live worker reports devices (a resident engine's children):
  each one's engine, device, state, video in progress, jobs, busy seconds and the engine's
  last steps per second and memory; informational, it never fails readiness;
- ``pauses``, only while something is paused (``reelway pause``): whether the deployment
  is, how many projects and which engines; informational, it never fails readiness;
- ``metrics``, only when ``/metrics`` is open to the network (no ``REELWAY_METRICS_TOKEN`` and
  a bind beyond loopback): a warning that never fails readiness, since a balancer taking
  every process out for it would turn a configuration risk into an outage.

The body says what is wrong in words, never an exception's text (it may name hosts and
paths, and the endpoint needs no key): those go to the log.  An answer is reused for
``CACHE_SECONDS`` and concurrent probes share one run, so probing is cheap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reelway import errors
from reelway.api import metrics
from reelway.api.responses import JsonResponse
from reelway.operations import ReadinessChecks
from reelway.pauses import NOTHING_PAUSED
from reelway.storage import Storage

log = logging.getLogger(__name__)

CHECK_SECONDS = 3.0
CACHE_SECONDS = 1.0

Check = dict[str, Any]

DEVICE_KEYS = (
    "worker",
    "engine",
    "device",
    "state",
    "video_id",
    "jobs",
    "busy_seconds",
    "steps_per_second",
    "memory_bytes",
)
"""What the ``devices`` check shows of each device a worker reported."""


@dataclass(frozen=True)
class WorkerPolicy:
    within_seconds: float
    """A worker must have checked in this recently."""
    required: bool = True
    """False: report the workers, but do not fail readiness for them."""


class Readiness:
    def __init__(
        self,
        reads: ReadinessChecks,
        storage: Storage,
        *,
        queue_limit: int,
        workers: WorkerPolicy,
        metrics_open_on: str | None = None,
        clock: Callable[[], float] = time.time,
        pauses: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    ) -> None:
        self.pauses = pauses
        """What is paused now (``pauses.PauseService.summary``), shown while anything is."""
        self.reads = reads
        self.storage = storage
        self.queue_limit = queue_limit
        self.workers = workers
        self.metrics_open_on = metrics_open_on
        """The address served on, when /metrics is unauthenticated beyond loopback."""
        self.clock = clock
        self._last: tuple[float, bool, dict[str, Check]] | None = None
        self._lock = asyncio.Lock()

    async def endpoint(self, _request: Request) -> Response:
        ready, checks = await self.check()
        return JsonResponse(
            {"status": "ready" if ready else "not_ready", "checks": checks},
            status_code=200 if ready else 503,
            headers={"cache-control": "no-store"},
        )

    async def check(self) -> tuple[bool, dict[str, Check]]:
        """Whether every check passes, and what each found (a recent answer is reused)."""
        async with self._lock:
            now = time.monotonic()
            if self._last is not None and now - self._last[0] < CACHE_SECONDS:
                return self._last[1], self._last[2]
            probes = {
                "database": self._database(),
                "storage": self._storage(),
                "workers": self._workers(),
                "queue": self._queue(),
            }
            probes["devices"] = self._devices()
            if self.pauses is not None:
                probes["pauses"] = self._pauses(self.pauses)
            results = await asyncio.gather(*(_bounded(n, p) for n, p in probes.items()))
            checks = dict(zip(probes, results, strict=True))
            devices = checks.pop("devices")
            paused = checks.pop("pauses", None)
            ready = all(check["ok"] for check in checks.values())
            if devices.get("devices"):
                checks["devices"] = devices
            if paused is not None and paused.get("detail") != NOTHING_PAUSED:
                checks["pauses"] = paused
            if self.metrics_open_on is not None:
                checks["metrics"] = {
                    "ok": True,
                    "warning": True,
                    "detail": metrics.OPEN_WARNING.format(host=self.metrics_open_on),
                }
            self._last = (time.monotonic(), ready, checks)
            return ready, checks

    async def _database(self) -> Check:
        latency_ms = round(await self.reads.ping() * 1000, 1)
        return {"ok": True, "detail": f"answered in {latency_ms} ms", "latency_ms": latency_ms}

    async def _storage(self) -> Check:
        await self.storage.check_writable()
        return {"ok": True, "detail": "writable"}

    async def _workers(self) -> Check:
        """Render slots, not processes: an API process serving with ``--workers 0`` checks in
        (it reaps) but renders nothing, so on its own it is not ready for rendering."""
        within = self.workers.within_seconds
        seen = await self.reads.workers_seen(self.clock() - within)
        check: Check = {
            "ok": seen.slots > 0,
            "seen": seen.recent,
            "slots": seen.slots,
            "within_seconds": within,
        }
        if seen.slots:
            check["detail"] = (
                f"{seen.slots} render slot(s) in {seen.recent} worker(s) seen in the last "
                f"{within:g} s"
            )
        elif seen.reapers and seen.last_seen_at is None:
            check["detail"] = (
                f"no render slots: {seen.reapers} process(es) checked in with no render slot "
                "(serve --workers 0 only serves the API); start 'reelway worker' or serve "
                "with --workers N"
            )
        elif seen.last_seen_at is None:
            check["detail"] = (
                "no worker has checked in: start 'reelway worker' (or serve with --workers)"
            )
        else:
            ago = self.clock() - seen.last_seen_at
            check["detail"] = (
                f"no worker seen in the last {within:g} s (the last one {ago:.0f} s ago): "
                "are the workers running and reaching the database?"
            )
        if not check["ok"] and not self.workers.required:
            check["ok"] = True
            check["detail"] += " (not required: REELWAY_READY_REQUIRE_WORKERS=false)"
        return check

    async def _devices(self) -> Check:
        """Informational: what each live worker's devices are doing (never fails)."""
        found = await self.reads.worker_devices(self.clock() - self.workers.within_seconds)
        devices = [{key: device.get(key) for key in DEVICE_KEYS} for device in found]
        busy = sum(1 for device in devices if device["state"] in ("busy", "loading"))
        detail = f"{len(devices)} device(s), {busy} rendering"
        return {"ok": True, "detail": detail, "devices": devices}

    async def _pauses(self, summary: Callable[[], Awaitable[dict[str, Any]]]) -> Check:
        """Informational: a paused deployment, project or engine is not a fault."""
        found = await summary()
        return {"ok": True, **found}

    async def _queue(self) -> Check:
        queued = await self.reads.queued_total()
        check: Check = {"queued": queued, "limit": self.queue_limit}
        if queued >= self.queue_limit:
            check.update(
                ok=False,
                detail=f"the queue is full ({queued} of {self.queue_limit}): creates answer "
                "503 server_busy until workers catch up",
            )
        else:
            check.update(ok=True, detail=f"{queued} queued of {self.queue_limit}")
        return check


_FAILURES = {
    "database": "the database did not answer",
    "storage": "cannot write to storage",
    "workers": "cannot tell: the database did not answer",
    "queue": "cannot tell: the database did not answer",
    "devices": "cannot tell: the database did not answer",
    "pauses": "cannot tell: the database did not answer",
}


async def _bounded(name: str, probe: Awaitable[Check]) -> Check:
    """Run one check within ``CHECK_SECONDS``; a failure is a check that says so."""
    try:
        return await asyncio.wait_for(probe, CHECK_SECONDS)
    except TimeoutError:
        log.warning("ready: the %s check took longer than %.0f s", name, CHECK_SECONDS)
        return {"ok": False, "detail": f"{_FAILURES[name]} within {CHECK_SECONDS:g} s"}
    except Exception as exc:
        log.warning("ready: the %s check failed: %s", name, repr(exc))
        kind = (
            "unavailable"
            if isinstance(exc, errors.DatabaseUnavailable | errors.StorageUnavailable)
            else type(exc).__name__
        )
        return {"ok": False, "detail": f"{_FAILURES[name]} ({kind})"}
