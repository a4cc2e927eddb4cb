"""What the operator's dashboard reads: queue depth, outcomes over a window, generation times,
errors and the newest videos, for the whole deployment or one project.

Every windowed query ranges over ``completed_at`` (``ix_videos_completed_at``), so its cost
follows the videos that ended in the window, not the table; the newest videos are the last
``limit`` by ``seq``.  One snapshot is one read (one connection, one round of statements).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.store.database import Database
from reelway.store.tables import projects as p
from reelway.store.tables import videos as v

S = jobs.JobStatus
ENDED = (S.SUCCEEDED.value, S.FAILED.value, S.CANCELLED.value)
QUANTILES = (0.5, 0.95)


@dataclass(frozen=True)
class QueueDepth:
    queued_runnable: int
    """Queued and due now (``run_at`` reached): waiting only for a free worker."""
    queued_waiting: int
    """Queued for later: a relaxed job before its window, a deferred or retried job."""
    running: int


@dataclass(frozen=True)
class Bucket:
    """Videos that ended in ``[start, start + width)``."""

    start: float
    completed: int = 0
    failed: int = 0
    cancelled: int = 0


@dataclass(frozen=True)
class ErrorGroup:
    """Failed videos of one error code on one engine (None: failed before any engine ran)."""

    code: str
    engine: str | None
    count: int


@dataclass(frozen=True)
class RecentVideo:
    id: str
    project_id: str
    project_name: str
    model: str
    seconds: str
    status: jobs.JobStatus
    error_code: str | None
    created_at: float
    started_at: float | None
    completed_at: float | None
    has_thumbnail: bool
    """A finished video whose thumbnail is still stored (not expired)."""
    has_video: bool
    kind: jobs.JobKind = jobs.JobKind.GENERATE
    source_video_id: str | None = None
    """What a remix, edit or extension started from (None: a new video, or an upload)."""


@dataclass(frozen=True)
class Window:
    """Outcomes of the videos that ended in a window, by bucket."""

    start: float
    bucket_seconds: float
    buckets: list[Bucket]
    generation_count: int
    """Completed videos with a start time: what the quantiles are taken over."""
    generation_seconds: dict[float, float]
    """Quantile (0.5, 0.95) -> seconds from started to completed (nearest rank)."""
    errors: list[ErrorGroup]


@dataclass(frozen=True)
class Snapshot:
    queue: QueueDepth
    window: Window
    recent: list[RecentVideo]


class DashboardStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def snapshot(
        self,
        now: float,
        start: float,
        bucket_seconds: float,
        buckets: int,
        *,
        project_id: str | None = None,
        recent: int = 24,
    ) -> Snapshot:
        """Everything the dashboard shows from the videos table, in one read."""

        def read(conn: sa.Connection) -> Snapshot:
            return Snapshot(
                queue=_queue(conn, now, project_id),
                window=_window(conn, start, bucket_seconds, buckets, project_id),
                recent=_recent(conn, recent, project_id),
            )

        return await self.db.read(read)

    async def queue_depth(self, now: float, project_id: str | None = None) -> QueueDepth:
        return await self.db.read(lambda conn: _queue(conn, now, project_id))

    async def window(
        self, start: float, bucket_seconds: float, buckets: int, project_id: str | None = None
    ) -> Window:
        return await self.db.read(
            lambda conn: _window(conn, start, bucket_seconds, buckets, project_id)
        )

    async def recent(self, limit: int = 24, project_id: str | None = None) -> list[RecentVideo]:
        return await self.db.read(lambda conn: _recent(conn, limit, project_id))


def _scoped(query: Any, project_id: str | None) -> Any:
    return query if project_id is None else query.where(v.c.project_id == project_id)


def _queue(conn: sa.Connection, now: float, project_id: str | None) -> QueueDepth:
    # Two statements, so each can read its partial index (status = 'queued' / 'running').
    due = sa.case((v.c.run_at <= now, 1), else_=0)
    queued = _scoped(
        sa.select(sa.func.count(), sa.func.sum(due)).where(v.c.status == S.QUEUED.value),
        project_id,
    )
    total, runnable = conn.execute(queued).one()
    running = _scoped(sa.select(sa.func.count()).where(v.c.status == S.RUNNING.value), project_id)
    return QueueDepth(
        queued_runnable=int(runnable or 0),
        queued_waiting=int(total or 0) - int(runnable or 0),
        running=int(conn.execute(running).scalar_one()),
    )


def _bucket_index(conn: sa.Connection, start: float, width: float) -> Any:
    offset = (v.c.completed_at - start) / width
    if conn.dialect.name == "postgresql":
        return sa.cast(sa.func.floor(offset), sa.Integer)
    return sa.cast(offset, sa.Integer)  # SQLite truncates, and offset >= 0 here


def _window(
    conn: sa.Connection, start: float, width: float, count: int, project_id: str | None
) -> Window:
    """Two scans of the window's rows: outcomes and errors grouped together, then the
    generation times of the completed videos (sorted here: SQLite has no percentiles)."""
    end = start + width * count
    ended = (v.c.completed_at >= start) & (v.c.completed_at < end)
    index = _bucket_index(conn, start, width).label("bucket")
    code = v.c.error["code"].as_string().label("code")
    outcomes = _scoped(
        sa.select(index, v.c.status, code, v.c.engine, sa.func.count())
        .where(ended, v.c.status.in_(ENDED))
        .group_by(index, v.c.status, code, v.c.engine),
        project_id,
    )
    tallies: list[dict[str, int]] = [{} for _ in range(count)]
    errors: dict[tuple[str, str | None], int] = {}
    for n, status, error_code, engine, found in conn.execute(outcomes):
        if 0 <= int(n) < count:
            tally = tallies[int(n)]
            tally[str(status)] = tally.get(str(status), 0) + int(found)
        if status == S.FAILED.value:
            key = (str(error_code or "unknown"), None if engine is None else str(engine))
            errors[key] = errors.get(key, 0) + int(found)
    buckets = [
        Bucket(
            start=start + i * width,
            completed=t.get(S.SUCCEEDED.value, 0),
            failed=t.get(S.FAILED.value, 0),
            cancelled=t.get(S.CANCELLED.value, 0),
        )
        for i, t in enumerate(tallies)
    ]
    took = _scoped(
        sa.select(v.c.completed_at - v.c.started_at).where(
            ended, v.c.status == S.SUCCEEDED.value, v.c.started_at.is_not(None)
        ),
        project_id,
    )
    durations = sorted(max(0.0, float(t)) for t in conn.execute(took).scalars())
    return Window(
        start=start,
        bucket_seconds=width,
        buckets=buckets,
        generation_count=len(durations),
        generation_seconds=_quantiles(durations),
        errors=sorted(
            (ErrorGroup(c, e, n) for (c, e), n in errors.items()),
            key=lambda g: (-g.count, g.code, g.engine or ""),
        ),
    )


def _quantiles(ordered: list[float]) -> dict[float, float]:
    """Nearest-rank quantiles of sorted values."""
    if not ordered:
        return {}
    return {q: ordered[max(1, math.ceil(q * len(ordered))) - 1] for q in QUANTILES}


def _recent(conn: sa.Connection, limit: int, project_id: str | None) -> list[RecentVideo]:
    query = _scoped(
        sa.select(
            v.c.id,
            v.c.project_id,
            p.c.name,
            v.c.catalog_model,
            v.c.seconds,
            v.c.status,
            v.c.error,
            v.c.created_at,
            v.c.started_at,
            v.c.completed_at,
            v.c.assets,
            v.c.assets_deleted_at,
            v.c.kind,
            v.c.sources,
        )
        .select_from(v.join(p, p.c.id == v.c.project_id))
        .where(v.c.deleted_at.is_(None), v.c.kind != jobs.JobKind.SHOT.value)
        .order_by(v.c.seq.desc())
        .limit(limit),
        project_id,
    )
    return [_recent_video(row) for row in conn.execute(query)]


def _recent_video(row: Sequence[Any]) -> RecentVideo:
    (id_, project_id, name, model, seconds, status, error, created, started, completed) = row[:10]
    assets, assets_deleted_at, kind, sources = row[10], row[11], row[12], row[13]
    code = jobs.JobError.from_json(error).code if isinstance(error, dict) else None
    stored = (
        set(assets)
        if status == S.SUCCEEDED.value and assets_deleted_at is None and isinstance(assets, dict)
        else set()
    )
    return RecentVideo(
        id=str(id_),
        project_id=str(project_id),
        project_name=str(name),
        model=str(model),
        seconds=str(seconds),
        status=S(status),
        error_code=None if code is None else str(code),
        created_at=float(created),
        started_at=None if started is None else float(started),
        completed_at=None if completed is None else float(completed),
        has_thumbnail="thumbnail" in stored,
        has_video="video" in stored,
        kind=jobs.JobKind(kind),
        source_video_id=jobs.Sources.from_json(
            sources if isinstance(sources, dict) else None
        ).video_id,
    )
