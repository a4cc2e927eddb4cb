"""What a metrics scrape reads: the deployment-wide totals and the state of the queue, the
engines, the workers and the webhook outbox, in one ``Database.read``.

Three statements, each a single snapshot of the database:

1. every ``metric_totals`` row and the unfinished videos counted by model and status, in one
   ``UNION ALL``, so ``reelway_jobs_created_total`` (finished + in flight) never dips when a
   job ends during the scrape: the end moves it from one half of the union to the other
   inside one transaction;
2. the queue, workers and outbox gauges, as scalar subqueries of one ``SELECT``;
3. the engines' breaker and back-off state;
4. the live workers' devices (what each reported on its last check-in).

Each count of unfinished videos reads one of the partial indexes on ``status`` (the status
is written as a literal, so SQLite can prove the index applies), so a scrape costs what is
queued or running, not the whole history.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.limits import engine_condition
from reelway.store import stats
from reelway.store.database import Database
from reelway.store.tables import engine_state as es
from reelway.store.tables import metric_totals as mt
from reelway.store.tables import videos as v
from reelway.store.tables import webhook_deliveries as wd
from reelway.store.tables import workers as w

_IN_FLIGHT = "(in flight)"
"""The first column of the union's in-flight rows (no metric is named like this)."""
_UNFINISHED = (jobs.JobStatus.QUEUED.value, jobs.JobStatus.RUNNING.value)
_PENDING = "pending"
"""A webhook delivery waiting for its next attempt (``store.outbox.PENDING``)."""


def _is(column: sa.ColumnElement[Any], value: str) -> sa.ColumnElement[bool]:
    """``column = 'value'`` with the value inline: a partial index's WHERE must be matched
    literally (SQLite cannot use one for a bound parameter)."""
    return column == sa.literal_column("'" + value.replace("'", "''") + "'")


def _totals_and_in_flight() -> sa.CompoundSelect[Any]:
    totals = sa.select(
        mt.c.name, mt.c.labels, sa.cast(sa.null(), sa.String).label("status"), mt.c.value
    )
    parts: list[sa.Select[Any]] = [totals]
    for status in _UNFINISHED:
        parts.append(
            sa.select(
                sa.literal(_IN_FLIGHT, sa.String),
                v.c.catalog_model,
                sa.literal(status, sa.String),
                sa.cast(sa.func.count(), sa.Float),
            )
            .where(_is(v.c.status, status))
            .group_by(v.c.catalog_model)
        )
    return sa.union_all(*parts)


_TOTALS_AND_IN_FLIGHT = _totals_and_in_flight()


def _gauges(now: float, worker_window_seconds: float) -> sa.Select[Any]:
    queued = _is(v.c.status, jobs.JobStatus.QUEUED.value)
    due = v.c.run_at <= now
    relaxed = v.c.priority <= jobs.RELAXED_PRIORITY

    def count(*where: sa.ColumnElement[bool]) -> sa.ScalarSelect[Any]:
        return sa.select(sa.func.count()).select_from(v).where(queued, *where).scalar_subquery()

    pending = _is(wd.c.status, _PENDING)
    slots = sa.func.coalesce(w.c.slots, 1)  # a worker from before migration 0014 renders
    live_renderers = (w.c.seen_at >= now - worker_window_seconds, slots > 0)
    return sa.select(
        count(due, ~relaxed).label("runnable"),
        count(v.c.run_at > now).label("waiting"),
        count(due, relaxed).label("relaxed"),
        sa.select(sa.func.min(v.c.run_at))
        .where(queued, due, ~relaxed)
        .scalar_subquery()
        .label("oldest_runnable"),
        sa.select(sa.func.count())
        .select_from(w)
        .where(*live_renderers)
        .scalar_subquery()
        .label("workers"),
        sa.select(sa.func.coalesce(sa.func.sum(slots), 0))
        .where(*live_renderers)
        .scalar_subquery()
        .label("slots"),
        sa.select(sa.func.count()).select_from(wd).where(pending).scalar_subquery().label("hooks"),
        sa.select(sa.func.min(wd.c.created_at))
        .where(pending)
        .scalar_subquery()
        .label("oldest_hook"),
    )


@dataclass(frozen=True)
class EngineGauge:
    engine: str
    failures: int
    """Consecutive failures that count towards the circuit breaker."""
    circuit_open: bool
    """The breaker is open now: workers skip the engine until it cools down."""
    backoff: bool
    """The provider asked every worker to wait (``Retry-After``) and the time is not up."""


@dataclass(frozen=True)
class DeviceGauge:
    """One (engine, device) as the live workers reported it on their last check-in; workers
    that name the same pair (two hosts' "cuda:0") are added up, their last readings maxed."""

    engine: str
    device: str
    busy_seconds: float = 0.0
    jobs: int = 0
    steps_per_second: float | None = None
    memory_bytes: float | None = None


@dataclass(frozen=True)
class Snapshot:
    """Everything one scrape reports, read at ``at``."""

    at: float
    totals: list[tuple[str, dict[str, str], float]]
    """Every ``metric_totals`` row, as ``stats.read_totals`` returns them."""
    in_flight: dict[tuple[str, str], int]
    """Unfinished videos by (model, status): status ``queued`` or ``running``."""
    created: dict[str, float]
    """Videos ever accepted, by model: finished totals plus those in flight (same snapshot)."""
    queue_runnable: int = 0
    """Queued and due now (``run_at`` passed), not relaxed."""
    queue_waiting: int = 0
    """Queued for later: a retry's or an engine limit's delay, not yet due."""
    queue_relaxed: int = 0
    """Relaxed-mode jobs that are due; they start only inside the relaxed window."""
    oldest_runnable_age: float = 0.0
    """Seconds the longest-waiting runnable job has been due (0 when none is)."""
    workers: int = 0
    """Worker loops with a render slot seen within the window (``serve --workers 0`` runs
    none)."""
    worker_slots: int = 0
    """Their render slots together."""
    webhooks_pending: int = 0
    oldest_webhook_age: float = 0.0
    engines: list[EngineGauge] = field(default_factory=list)
    devices: list[DeviceGauge] = field(default_factory=list)
    """The live workers' resident devices (``workers.devices``)."""


class ObserveStore:
    """Reads for ``/metrics``: one method, one ``Database.read``."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def snapshot(self, engines: Iterable[str], worker_window_seconds: float) -> Snapshot:
        """The scrape's numbers, for the named engines (those the catalogue routes to) and
        the workers seen within the last ``worker_window_seconds``."""
        names = sorted(set(engines))
        now = self.clock()
        gauges = _gauges(now, worker_window_seconds)
        engine_rows = sa.select(
            es.c.engine, es.c.failures, es.c.opened_until, es.c.blocked_until
        ).where(es.c.engine.in_(names))
        device_rows = sa.select(w.c.devices).where(
            w.c.seen_at >= now - worker_window_seconds, w.c.devices.is_not(None)
        )

        def read(conn: sa.Connection) -> Snapshot:
            totals: list[tuple[str, dict[str, str], float]] = []
            in_flight: dict[tuple[str, str], int] = {}
            for name, labels, status, value in conn.execute(_TOTALS_AND_IN_FLIGHT):
                if name == _IN_FLIGHT:
                    in_flight[(str(labels), str(status))] = int(value)
                else:
                    totals.append((str(name), stats.parse_labels(labels), float(value)))
            row = conn.execute(gauges).one()
            found = {r.engine: r for r in conn.execute(engine_rows)}
            reported = [r.devices for r in conn.execute(device_rows)]
            return Snapshot(
                at=now,
                totals=totals,
                in_flight=in_flight,
                created=_created(totals, in_flight),
                queue_runnable=int(row.runnable),
                queue_waiting=int(row.waiting),
                queue_relaxed=int(row.relaxed),
                oldest_runnable_age=_age(now, row.oldest_runnable),
                workers=int(row.workers),
                worker_slots=int(row.slots),
                webhooks_pending=int(row.hooks),
                oldest_webhook_age=_age(now, row.oldest_hook),
                engines=[_engine(name, found.get(name), now) for name in names],
                devices=_devices(reported),
            )

        return await self.db.read(read)


def _created(
    totals: list[tuple[str, dict[str, str], float]], in_flight: dict[tuple[str, str], int]
) -> dict[str, float]:
    created: dict[str, float] = {}
    for name, labels, value in totals:
        if name == stats.JOBS_FINISHED:
            model = labels.get("model", "")
            created[model] = created.get(model, 0.0) + value
    for (model, _status), count in in_flight.items():
        created[model] = created.get(model, 0.0) + count
    return created


def _age(now: float, since: float | None) -> float:
    return 0.0 if since is None else max(0.0, now - float(since))


def _engine(name: str, row: Any, now: float) -> EngineGauge:
    if row is None:
        return EngineGauge(name, 0, False, False)
    condition = engine_condition(int(row.failures), row.opened_until, row.blocked_until, now=now)
    return EngineGauge(name, int(row.failures), condition.circuit_open, condition.backoff)


def _devices(reported: Iterable[Any]) -> list[DeviceGauge]:
    """Each (engine, device) the workers reported, added up over workers."""
    found: dict[tuple[str, str], DeviceGauge] = {}
    for devices in reported:
        for device in devices if isinstance(devices, list) else ():
            if not isinstance(device, dict):
                continue
            key = (str(device.get("engine", "")), str(device.get("device", "")))
            seen = found.get(key, DeviceGauge(*key))
            found[key] = DeviceGauge(
                *key,
                busy_seconds=seen.busy_seconds + _float(device.get("busy_seconds"), 0.0),
                jobs=seen.jobs + int(_float(device.get("jobs"), 0.0)),
                steps_per_second=_most(seen.steps_per_second, device.get("steps_per_second")),
                memory_bytes=_most(seen.memory_bytes, device.get("memory_bytes")),
            )
    return [found[key] for key in sorted(found)]


def _float(value: Any, default: float) -> float:
    return (
        float(value) if isinstance(value, int | float) and not isinstance(value, bool) else default
    )


def _most(kept: float | None, value: Any) -> float | None:
    """The larger of a kept reading and a new one; None when neither is a number."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return kept
    return float(value) if kept is None else max(kept, float(value))
