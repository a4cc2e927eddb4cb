"""What the public status page reads: per-day outcomes over the last days, the breaker
incidents, and the few numbers that judge each component now, in one ``Database.read``.

Availability is counted in SQL, grouped by UTC day (docs/api.md, "Status page"):

- an engine's day: the videos that ended on it that day (succeeded or failed, by
  ``completed_at``) plus the attempts it failed before a video failed over to another engine
  (``engine_attempts``, by the attempt's time); a failure is one of ``ENGINE_FAULTS``;
- the queue's day: the videos that ended that day; a failure is one of ``QUEUE_FAULTS``;
- the API's day: the videos created that day plus the refused requests logged that day
  (``request_log``); a failure is a logged answer of 500 or more.

Each statement reads an indexed time range (``completed_at``, ``created_at``,
``request_log.at``, ``incidents.started_at``), so the cost follows the window's traffic.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.limits import engine_condition
from reelway.store.database import Database
from reelway.store.health import SLOTS
from reelway.store.tables import engine_state as es
from reelway.store.tables import incidents as inc
from reelway.store.tables import request_log as rl
from reelway.store.tables import videos as v
from reelway.store.tables import workers as w

DAY_SECONDS = 86400.0
ENGINE_FAULTS = (
    "engine_runtime_error",
    "render_process_died",
    "engine_out_of_memory",
    "upstream_error",
    "upstream_unavailable",
    "upstream_timeout",
    "upstream_rate_limited",
    "upstream_capacity",
    "upstream_generation_failed",
    "upstream_protocol_error",
    "upstream_result_expired",
    "upstream_auth_failed",
)
"""Failure codes an engine is to blame for; a refused prompt, a request the engine cannot
serve, a cancel or a lost worker are not the engine's."""
QUEUE_FAULTS = ("deadline_exceeded", "worker_lost", "no_engine_available")
"""Failure codes the queue is to blame for: no worker ran the job in time, its worker
vanished and attempts ran out, or no engine on the route could take it."""
_ENDED = (jobs.JobStatus.SUCCEEDED.value, jobs.JobStatus.FAILED.value)
_FAILED = jobs.JobStatus.FAILED.value
MAX_INCIDENTS = 200


@dataclass(frozen=True)
class DayCount:
    """One component's day: what counted and how much of it failed."""

    total: int = 0
    failures: int = 0


@dataclass(frozen=True)
class Incident:
    engine: str
    kind: str
    started_at: float
    ended_at: float | None
    """None: still open."""


@dataclass(frozen=True)
class Availability:
    """Outcomes per day, by day index from ``start``."""

    start: float
    days: int
    api: dict[int, DayCount]
    queue: dict[int, DayCount]
    engines: dict[str, dict[int, DayCount]]


@dataclass(frozen=True)
class StatusHistory:
    """Everything the status page shows, read at ``at``; days are indexes from ``start``."""

    at: float
    start: float
    days: int
    api: dict[int, DayCount]
    queue: dict[int, DayCount]
    engines: dict[str, dict[int, DayCount]]
    incidents: list[Incident]
    engine_conditions: dict[str, str]
    """``limits.engine_condition``'s status of each engine with a recorded state."""
    server_errors_recent: int = 0
    """Answers of 500 or more logged since the ``recent`` time asked about."""
    workers_recent: int = 0
    """Workers with a render slot seen within the window (``serve --workers 0`` has none)."""
    oldest_runnable_age: float = 0.0
    devices: list[tuple[str, str]] = field(default_factory=list)
    """(engine, state) of each device the live workers reported."""


def day_start(now: float, days: int) -> float:
    """UTC midnight ``days - 1`` days before today's: the first of ``days`` whole days."""
    return (now // DAY_SECONDS - (days - 1)) * DAY_SECONDS


class StatusStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def history(
        self,
        engines: Iterable[str],
        *,
        days: int,
        recent_seconds: float,
        worker_window_seconds: float,
        now: float | None = None,
    ) -> StatusHistory:
        """The last ``days`` UTC days (today included) and the state now, for the named
        engines."""
        at = self.clock() if now is None else now
        counted = await self.availability(engines, days=days, now=at)
        return await self.current(
            engines,
            counted,
            recent_seconds=recent_seconds,
            worker_window_seconds=worker_window_seconds,
            now=at,
        )

    async def availability(
        self, engines: Iterable[str], *, days: int, now: float | None = None
    ) -> Availability:
        """Outcomes per UTC day: the costly part (it scans the window's videos), which a
        caller may keep longer than the state now."""
        names = sorted(set(engines))
        at = self.clock() if now is None else now
        start = day_start(at, days)

        def read(conn: sa.Connection) -> Availability:
            engine_days: dict[str, dict[int, DayCount]] = {name: {} for name in names}
            queue: dict[int, DayCount] = {}
            for engine, day, total, engine_faults, queue_faults in conn.execute(
                _outcomes(conn, start)
            ):
                _add(queue, int(day), int(total), int(queue_faults or 0))
                if engine is not None and str(engine) in engine_days:
                    _add(engine_days[str(engine)], int(day), int(total), int(engine_faults or 0))
            for engine, day, total in conn.execute(*_failed_over(conn, start)):
                if str(engine) in engine_days:
                    _add(engine_days[str(engine)], int(day), int(total), int(total))
            api: dict[int, DayCount] = {}
            for day, total, failures in conn.execute(_api_requests(conn, start)):
                _add(api, int(day), int(total), int(failures or 0))
            return Availability(start, days, api, queue, engine_days)

        return await self.db.read_long(read)

    async def current(
        self,
        engines: Iterable[str],
        counted: Availability,
        *,
        recent_seconds: float,
        worker_window_seconds: float,
        now: float | None = None,
    ) -> StatusHistory:
        """The state now (cheap: indexed lookups and the few live rows) beside ``counted``."""
        names = sorted(set(engines))
        at = self.clock() if now is None else now

        def read(conn: sa.Connection) -> StatusHistory:
            now_row = conn.execute(_now(at, recent_seconds, worker_window_seconds)).one()
            rows = conn.execute(
                sa.select(es.c.engine, es.c.failures, es.c.opened_until, es.c.blocked_until).where(
                    es.c.engine.in_(names)
                )
            )
            devices = conn.execute(
                sa.select(w.c.devices).where(
                    w.c.seen_at >= at - worker_window_seconds, w.c.devices.is_not(None)
                )
            )
            return StatusHistory(
                at=at,
                start=counted.start,
                days=counted.days,
                api=counted.api,
                queue=counted.queue,
                engines={name: counted.engines.get(name, {}) for name in names},
                incidents=_incidents(conn, counted.start, names),
                engine_conditions={
                    str(r.engine): engine_condition(
                        int(r.failures), r.opened_until, r.blocked_until, now=at
                    ).status
                    for r in rows
                },
                server_errors_recent=int(now_row.errors),
                workers_recent=int(now_row.workers),
                oldest_runnable_age=(
                    0.0 if now_row.oldest is None else max(0.0, at - float(now_row.oldest))
                ),
                devices=_device_states(r.devices for r in devices),
            )

        return await self.db.read(read)


def _add(found: dict[int, DayCount], day: int, total: int, failures: int) -> None:
    seen = found.get(day, DayCount())
    found[day] = DayCount(seen.total + total, seen.failures + failures)


def _day(conn: sa.Connection, column: Any, start: float) -> Any:
    """The day index of ``column`` (>= start here): floor on PostgreSQL (its cast rounds),
    a cast on SQLite (which truncates)."""
    offset = (column - start) / DAY_SECONDS
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(offset), sa.Integer)
    return sa.cast(offset, sa.Integer)


def _failures(where: sa.ColumnElement[bool]) -> Any:
    return sa.func.sum(sa.case((where, 1), else_=0))


def _outcomes(conn: sa.Connection, start: float) -> sa.Select[Any]:
    """The videos ended since ``start`` by engine and day, with the engine's and the
    queue's failures among them: one scan of the ``completed_at`` range."""
    day = _day(conn, v.c.completed_at, start).label("day")
    code = v.c.error["code"].as_string()
    failed = v.c.status == _FAILED
    return (
        sa.select(
            v.c.engine,
            day,
            sa.func.count(),
            _failures(sa.and_(failed, code.in_(ENGINE_FAULTS))),
            _failures(sa.and_(failed, code.in_(QUEUE_FAULTS))),
        )
        .where(v.c.completed_at >= start, v.c.status.in_(_ENDED))
        .group_by(v.c.engine, day)
    )


def _failed_over(conn: sa.Connection, start: float) -> tuple[sa.TextClause, dict[str, Any]]:
    """Attempts engines failed before their video moved on, by engine and day: each one with
    a code of ``ENGINE_FAULTS`` is both a job and a failure of that engine."""
    if conn.dialect.name == "postgresql":
        source = (
            "jsonb_array_elements(CASE WHEN jsonb_typeof(videos.engine_attempts) = 'array' "
            "THEN videos.engine_attempts ELSE '[]'::jsonb END) AS a(value)"
        )
        engine = "a.value->>'engine'"
        code = "a.value->>'code'"
        at = "CAST(a.value->>'at' AS DOUBLE PRECISION)"
        day = "CAST(floor((at - :start) / :day) AS INTEGER)"
    else:
        source = (
            "json_each(CASE WHEN json_type(videos.engine_attempts) = 'array' "
            "THEN videos.engine_attempts ELSE '[]' END) AS a"
        )
        engine = "json_extract(a.value, '$.engine')"
        code = "json_extract(a.value, '$.code')"
        at = "CAST(json_extract(a.value, '$.at') AS REAL)"
        day = "CAST((at - :start) / :day AS INTEGER)"
    faults = ", ".join(f"'{fault}'" for fault in ENGINE_FAULTS)  # constants, no quotes
    text = (
        f"SELECT engine, {day} AS day, count(*) FROM ("
        f"SELECT {engine} AS engine, {at} AS at FROM videos, {source} "
        "WHERE videos.completed_at >= :start AND videos.engine_attempts IS NOT NULL "
        f"AND {code} IN ({faults})"
        ") AS attempts WHERE at >= :start GROUP BY engine, 2"
    )
    return sa.text(text), {"start": start, "day": DAY_SECONDS}


def _api_requests(conn: sa.Connection, start: float) -> sa.CompoundSelect[Any]:
    created = _day(conn, v.c.created_at, start).label("day")
    logged = _day(conn, rl.c.at, start).label("day")
    return sa.union_all(
        sa.select(created, sa.func.count(), sa.literal(0))
        .where(v.c.created_at >= start)
        .group_by(created),
        sa.select(logged, sa.func.count(), _failures(rl.c.status >= 500))
        .where(rl.c.at >= start)
        .group_by(logged),
    )


def _now(at: float, recent_seconds: float, worker_window_seconds: float) -> sa.Select[Any]:
    queued = v.c.status == sa.literal_column(f"'{jobs.JobStatus.QUEUED.value}'")
    return sa.select(
        sa.select(sa.func.count())
        .select_from(rl)
        .where(rl.c.at >= at - recent_seconds, rl.c.status >= 500)
        .scalar_subquery()
        .label("errors"),
        sa.select(sa.func.count())
        .select_from(w)
        .where(w.c.seen_at >= at - worker_window_seconds, SLOTS > 0)
        .scalar_subquery()
        .label("workers"),
        sa.select(sa.func.min(v.c.run_at))
        .where(queued, v.c.run_at <= at, v.c.priority > jobs.RELAXED_PRIORITY)
        .scalar_subquery()
        .label("oldest"),
    )


def _incidents(conn: sa.Connection, start: float, names: list[str]) -> list[Incident]:
    """Incidents of the named engines open at any time since ``start``, newest first."""
    query = (
        sa.select(inc.c.engine, inc.c.kind, inc.c.started_at, inc.c.ended_at)
        .where(
            inc.c.engine.in_(names),
            sa.or_(inc.c.started_at >= start, inc.c.ended_at.is_(None), inc.c.ended_at >= start),
        )
        .order_by(inc.c.started_at.desc(), inc.c.id.desc())
        .limit(MAX_INCIDENTS)
    )
    return [
        Incident(str(r.engine), str(r.kind), float(r.started_at), r.ended_at)
        for r in conn.execute(query)
    ]


def _device_states(reported: Iterable[Any]) -> list[tuple[str, str]]:
    found: list[tuple[str, str]] = []
    for devices in reported:
        for device in devices if isinstance(devices, list) else ():
            if isinstance(device, dict) and device.get("engine"):
                found.append((str(device["engine"]), str(device.get("state", ""))))
    return sorted(found)
