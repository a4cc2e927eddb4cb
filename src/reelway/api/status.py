"""The public status page: ``GET /status`` (HTML, no key) and ``GET /status.json``.

The API, the queue and each shown engine, judged now from what Reelway records (worker
check-ins, the queue's oldest runnable job, each engine's breaker and back-off, its devices,
recent 5xx answers), with availability per UTC day over the last ``DAYS`` days and the
breaker incidents (``store.status``).  The page is keyless, so it shows component names,
states, percentages and incident times only: no counts, projects, prompts or URLs.

The state now is read at most once per ``CACHE_SECONDS`` however many clients poll, and the
per-day counts (a scan of the window's videos) at most once per ``days_cache_seconds``; a
lock makes concurrent misses share one read, so the page cannot be used to load the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway.api.dashboard import load_static, static_response
from reelway.api.responses import JsonResponse
from reelway.operations import StatusAvailability, StatusHistory, StatusStore

DAYS = 90
CACHE_SECONDS = 5.0
RECENT_ERROR_SECONDS = 300.0
"""A 5xx answer within this long makes the API "degraded"."""
QUEUE_DEGRADED_SECONDS = 300.0
"""The queue is "degraded" while a runnable job has waited longer than this."""
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "status.js": "text/javascript; charset=utf-8",
    "status.css": "text/css; charset=utf-8",
}
OPERATIONAL, DEGRADED, DOWN = "operational", "degraded", "down"
_RANK = {OPERATIONAL: 0, DEGRADED: 1, DOWN: 2}


class StatusRoutes:
    def __init__(
        self,
        store: StatusStore,
        engines: Sequence[str],
        *,
        worker_window_seconds: float,
        days_cache_seconds: float = 60.0,
    ) -> None:
        self.store = store
        self.engines = tuple(engines)
        self.worker_window_seconds = worker_window_seconds
        self.days_cache_seconds = days_cache_seconds
        self._static = load_static("status", STATIC_FILES)
        self._cached: tuple[float, dict[str, Any]] | None = None
        self._counted: tuple[float, StatusAvailability] | None = None
        self._lock = asyncio.Lock()

    def routes(self) -> list[Route]:
        return [
            Route("/status", self.page, methods=["GET"]),
            Route("/status.json", self.json, methods=["GET"]),
            Route("/status/{name:str}", self.asset, methods=["GET"]),
        ]

    def _file(self, request: Request, name: str) -> Response:
        return static_response(self._static, request, name)

    async def page(self, request: Request) -> Response:
        return self._file(request, "index.html")

    async def asset(self, request: Request) -> Response:
        return self._file(request, request.path_params["name"])

    async def json(self, _request: Request) -> Response:
        return JsonResponse(await self.summary(), headers={"cache-control": "no-store"})

    async def summary(self) -> dict[str, Any]:
        """The cached answer, or a fresh one when it is older than ``CACHE_SECONDS``."""
        async with self._lock:
            now = time.monotonic()
            if self._cached is None or self._cached[0] <= now:
                if self._counted is None or self._counted[0] <= now:
                    counted = await self.store.availability(self.engines, days=DAYS)
                    self._counted = (now + self.days_cache_seconds, counted)
                history = await self.store.current(
                    self.engines,
                    self._counted[1],
                    recent_seconds=RECENT_ERROR_SECONDS,
                    worker_window_seconds=self.worker_window_seconds,
                )
                self._cached = (now + CACHE_SECONDS, status_record(history))
            return self._cached[1]


def status_record(history: StatusHistory) -> dict[str, Any]:
    """The public JSON: components with their state and days, and the incidents."""
    components = [
        _component("API", "api", _api_state(history), history, history.api),
        _component("Queue", "queue", _queue_state(history), history, history.queue),
    ]
    for name in sorted(history.engines):
        components.append(
            _component(name, "engine", _engine_state(history, name), history, history.engines[name])
        )
    worst = max((c["status"] for c in components), key=_RANK.__getitem__)
    return {
        "object": "status",
        "generated_at": history.at,
        "status": worst,
        "days": history.days,
        "start": history.start,
        "components": components,
        "incidents": [
            {
                "kind": incident.kind,
                "engines": [incident.engine],
                "started_at": incident.started_at,
                "ended_at": incident.ended_at,
                "ongoing": incident.ended_at is None,
            }
            for incident in history.incidents
        ],
    }


def _component(
    name: str, kind: str, state: str, history: StatusHistory, days: dict[int, Any]
) -> dict[str, Any]:
    total = sum(d.total for d in days.values())
    failures = sum(d.failures for d in days.values())
    return {
        "name": name,
        "kind": kind,
        "status": state,
        "availability": _ratio(total, failures),
        "days": [
            {
                "date": _date(history.start, n),
                "availability": _ratio(days[n].total, days[n].failures) if n in days else None,
            }
            for n in range(history.days)
        ],
    }


def _ratio(total: int, failures: int) -> float | None:
    """The share that did not fail, to 4 decimals; None on a day with nothing to count."""
    return None if total <= 0 else round(1.0 - failures / total, 4)


def _date(start: float, n: int) -> str:
    return datetime.fromtimestamp(start + n * 86400 + 1, UTC).strftime("%Y-%m-%d")


def _api_state(history: StatusHistory) -> str:
    return DEGRADED if history.server_errors_recent else OPERATIONAL


def _queue_state(history: StatusHistory) -> str:
    if history.workers_recent == 0:
        return DOWN
    if history.oldest_runnable_age > QUEUE_DEGRADED_SECONDS:
        return DEGRADED
    return OPERATIONAL


def _engine_state(history: StatusHistory, name: str) -> str:
    condition = history.engine_conditions.get(name, "ok")
    states = [state for engine, state in history.devices if engine == name]
    if condition == "circuit_open":
        return DOWN
    if condition != "ok":
        return DEGRADED
    if states and all(state == "down" for state in states):
        return DOWN
    if "down" in states:
        return DEGRADED
    return OPERATIONAL
