"""What ``reelway doctor`` reads beside the video row, and the log of refused requests.

- ``RequestLog``: every API answer with status 400 and up (the error's code, param and
  message, and the caller's project when known), kept ``REELWAY_REQUEST_LOG_DAYS`` days so
  a request id that created no video can still be explained.
- ``Diagnosis``: a video's charge, its events and their webhook deliveries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import sqlalchemy as sa

from reelway.store import rows
from reelway.store.database import Database
from reelway.store.tables import charges as c
from reelway.store.tables import events as e
from reelway.store.tables import request_log as r
from reelway.store.tables import webhook_deliveries as d

LIMITS = {"method": 10, "path": 300, "code": 100, "param": 200, "message": 2000}
"""Column widths (and a cap on the message): longer values are cut, never refused."""


@dataclass(frozen=True)
class RefusedRequest:
    request_id: str
    at: float
    method: str
    path: str
    status: int
    project_id: str | None = None
    code: str | None = None
    param: str | None = None
    message: str | None = None


@dataclass(frozen=True)
class Charge:
    state: str
    """``reserved`` (held until the video ends), ``settled`` (charged) or ``released``."""
    outcome: str | None
    relaxed: bool
    credits_reserved: int
    credits_charged: int
    usd_micros_reserved: int
    usd_micros_charged: int
    created_at: float
    settled_at: float | None


@dataclass(frozen=True)
class Delivery:
    id: str
    event_id: str
    endpoint_id: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: float
    last_attempt_at: float | None
    finished_at: float | None


@dataclass(frozen=True)
class Event:
    id: str
    type: str
    created_at: float
    deliveries: tuple[Delivery, ...]


@dataclass(frozen=True)
class VideoRecord:
    charge: Charge | None
    events: tuple[Event, ...]


def _cut(entry: RefusedRequest) -> dict[str, Any]:
    values = {f.name: getattr(entry, f.name) for f in fields(entry)}
    for name, limit in LIMITS.items():
        if isinstance(values[name], str):
            values[name] = values[name][:limit]
    return values


class RequestLog:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def record(self, entry: RefusedRequest) -> None:
        """Insert one refusal (a request id already there is left as it is)."""
        values = _cut(entry)

        def insert(conn: sa.Connection) -> None:
            conn.execute(
                rows.upsert(conn)(r)
                .values(values)
                .on_conflict_do_nothing(index_elements=[r.c.request_id])
            )

        await self.db.write(insert)

    async def get(self, request_id: str) -> RefusedRequest | None:
        query = sa.select(*r.c).where(r.c.request_id == request_id)
        row = await self.db.read(lambda conn: conn.execute(query).first())
        return None if row is None else RefusedRequest(**row._mapping)

    async def prune(self, keep_seconds: float) -> int:
        """Delete refusals older than ``keep_seconds``; how many went."""
        query = sa.delete(r).where(r.c.at < self.clock() - keep_seconds)
        return int(await self.db.write(lambda conn: conn.execute(query).rowcount))


class Diagnosis:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def video(self, video_id: str) -> VideoRecord:
        """The video's charge, and its events (oldest first) with their deliveries."""

        def read(conn: sa.Connection) -> VideoRecord:
            charge_row = conn.execute(
                sa.select(*(c.c[f.name] for f in fields(Charge))).where(c.c.video_id == video_id)
            ).first()
            event_rows = conn.execute(
                sa.select(e.c.id, e.c.type, e.c.created_at)
                .where(e.c.subject_id == video_id)
                .order_by(e.c.seq)
            ).all()
            deliveries = _deliveries(conn, [row[0] for row in event_rows])
            events = tuple(
                Event(row[0], row[1], row[2], tuple(x for x in deliveries if x.event_id == row[0]))
                for row in event_rows
            )
            charge = None
            if charge_row is not None:
                values = dict(charge_row._mapping)
                values["relaxed"] = bool(values["relaxed"])
                charge = Charge(**values)
            return VideoRecord(charge, events)

        return await self.db.read(read)


def _deliveries(conn: sa.Connection, event_ids: Sequence[str]) -> list[Delivery]:
    if not event_ids:
        return []
    query = (
        sa.select(*(d.c[f.name] for f in fields(Delivery)))
        .where(d.c.event_id.in_(event_ids))
        .order_by(d.c.seq)
    )
    return [Delivery(**row._mapping) for row in conn.execute(query)]
