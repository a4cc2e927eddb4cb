"""Deployment-wide metric totals, bumped in the transaction of what they count.

Counters and histograms of the job lifecycle live in the database (``metric_totals``), not
in one process's memory: the API process that accepted a video, the worker that finished
it on another machine and the one that delivered its webhook all add to the same rows, and
any API process reports the exact totals at scrape time.  A rolled-back job counts nothing.

Histogram observations are stored per bucket (not cumulative); ``metrics`` adds them up.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypeVar

import sqlalchemy as sa

from reelway import jobs
from reelway.store import rows
from reelway.store.tables import metric_totals as mt

DURATION_BUCKETS: tuple[float, ...] = (
    0.5,
    1,
    2.5,
    5,
    10,
    30,
    60,
    120,
    300,
    600,
    1800,
    3600,
    float("inf"),
)
"""Upper bounds (seconds) of the job duration histograms: renders take seconds, hosted
providers minutes, and a queue can hold a job for an hour."""

JOBS_FINISHED = "reelway_jobs_finished_total"
QUEUED_SECONDS = "reelway_job_queued_seconds"
GENERATING_SECONDS = "reelway_job_generating_seconds"
TOTAL_SECONDS = "reelway_job_total_seconds"
COST_USD = "reelway_cost_usd_total"
CREDITS = "reelway_credits_charged_total"
WEBHOOK_ATTEMPTS = "reelway_webhook_attempts_total"
WEBHOOK_EVENTS = "reelway_webhook_events_total"

T = TypeVar("T")

HISTOGRAMS = (QUEUED_SECONDS, GENERATING_SECONDS, TOTAL_SECONDS)


def label_key(labels: Mapping[str, str]) -> str:
    """Labels as the table's key: canonical JSON, so one label set is one row."""
    return json.dumps(dict(sorted(labels.items())), separators=(",", ":"))


_PENDING = "reelway.pending_totals"


def bump(conn: sa.Connection, increments: Iterable[tuple[str, Mapping[str, str], float]]) -> None:
    """Add to totals in this transaction.

    Inside ``Database.write`` the increments are gathered and applied once, sorted, just
    before the commit: every transaction then locks total rows in one global order, so two
    job ends (or the reaper ending many) can never deadlock on them.
    """
    pending: dict[tuple[str, str], float] | None = conn.info.get(_PENDING)
    merged: dict[tuple[str, str], float] = {} if pending is None else pending
    for name, labels, amount in increments:
        key = (name, label_key(labels))
        merged[key] = merged.get(key, 0.0) + amount
    if pending is None:
        _apply(conn, merged)


def gathering(query: Callable[[sa.Connection], T]) -> Callable[[sa.Connection], T]:
    """``query`` with its totals applied in one sorted batch at its end."""

    def run(conn: sa.Connection) -> T:
        # The dict itself, held from the start: a statement cancelled under way leaves the
        # connection invalidated, and reading ``conn.info`` then raises PendingRollbackError,
        # which in ``finally`` would replace the cancellation (a killed worker loop would take
        # it for a failed write and go on; issue 20).
        info = conn.info
        info[_PENDING] = {}
        try:
            result = query(conn)
            _apply(conn, info[_PENDING])
            return result
        finally:
            info.pop(_PENDING, None)

    return run


def _apply(conn: sa.Connection, merged: dict[tuple[str, str], float]) -> None:
    for (name, labels_json), amount in sorted(merged.items()):
        statement = rows.upsert(conn)(mt).values(name=name, labels=labels_json, value=amount)
        conn.execute(
            statement.on_conflict_do_update(
                index_elements=[mt.c.name, mt.c.labels],
                set_={"value": mt.c.value + statement.excluded.value},
            )
        )


def bucket_bound(seconds: float) -> str:
    """The ``le`` label of the one bucket a duration falls in."""
    for bound in DURATION_BUCKETS:
        if seconds <= bound:
            return "+Inf" if bound == float("inf") else repr(float(bound))
    return "+Inf"


def _observe(
    name: str, labels: Mapping[str, str], seconds: float
) -> list[tuple[str, Mapping[str, str], float]]:
    seconds = max(0.0, seconds)
    return [
        (name + "_bucket", {**labels, "le": bucket_bound(seconds)}, 1.0),
        (name + "_sum", labels, seconds),
        (name + "_count", labels, 1.0),
    ]


def video_ended(conn: sa.Connection, video: jobs.Video, now: float) -> None:
    """Count a video that reached a terminal state, and how long each stage took."""
    code = ""
    if video.status is not jobs.JobStatus.SUCCEEDED:
        code = (video.error.code if video.error else "") or video.status.value
    outcome = {
        jobs.JobStatus.SUCCEEDED: "completed",
        jobs.JobStatus.CANCELLED: "cancelled",
    }.get(video.status, "failed")
    engine = video.engine or ""
    labels = {"model": video.catalog_model, "engine": engine}
    increments: list[tuple[str, Mapping[str, str], float]] = [
        (JOBS_FINISHED, {**labels, "status": outcome, "code": code}, 1.0)
    ]
    ended = video.completed_at if video.completed_at is not None else now
    stage = {**labels, "status": outcome}
    if video.started_at is not None:
        increments += _observe(QUEUED_SECONDS, stage, video.started_at - video.created_at)
        increments += _observe(GENERATING_SECONDS, stage, ended - video.started_at)
    increments += _observe(TOTAL_SECONDS, stage, ended - video.created_at)
    bump(conn, increments)


def charged(conn: sa.Connection, model: str, credits: int, usd_micros: int) -> None:
    if credits or usd_micros:
        bump(
            conn,
            [
                (COST_USD, {"model": model}, usd_micros / 1_000_000),
                (CREDITS, {"model": model}, float(credits)),
            ],
        )


def webhook_attempt(conn: sa.Connection, event_type: str, outcome: str) -> None:
    """One delivery attempt: ``outcome`` is ``delivered``, ``failed`` (will be retried) or
    ``gave_up`` (the last attempt failed)."""
    bump(conn, [(WEBHOOK_ATTEMPTS, {"event_type": event_type, "outcome": outcome}, 1.0)])


def webhook_event(conn: sa.Connection, event_type: str) -> None:
    bump(conn, [(WEBHOOK_EVENTS, {"event_type": event_type}, 1.0)])


def parse_labels(labels: str) -> dict[str, str]:
    """A row's ``labels`` column back as a dict (the inverse of ``label_key``)."""
    parsed: Any = json.loads(labels)
    return {str(k): str(v) for k, v in parsed.items()}


def read_totals(conn: sa.Connection) -> list[tuple[str, dict[str, str], float]]:
    """Every total as (name, labels, value)."""
    return [
        (str(name), parse_labels(labels), float(value))
        for name, labels, value in conn.execute(sa.select(mt.c.name, mt.c.labels, mt.c.value))
    ]
