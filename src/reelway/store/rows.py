"""Mapping ``videos`` rows to ``jobs.Video`` records, shared by the stores."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reelway import jobs
from reelway.store.tables import videos as v

S = jobs.JobStatus

_COLUMNS = [c.name for c in v.c]
_STATUS = _COLUMNS.index("status")
_CANCEL = _COLUMNS.index("cancel_requested")
_WATERMARK = _COLUMNS.index("watermark")
_HELD = _COLUMNS.index("held")
_ERROR = _COLUMNS.index("error")
_ENGINE_ATTEMPTS = _COLUMNS.index("engine_attempts")
_KIND = _COLUMNS.index("kind")
_SOURCES = _COLUMNS.index("sources")
_GENERATE = jobs.JobKind.GENERATE


def video(row: Sequence[Any]) -> jobs.Video:
    """A row (selected as ``*v.c``, which is the dataclass's field order) as a Video.

    The JSON columns become typed records only when set: most rows on the request path
    have no error, no failover history and no sources, and pay nothing for them.
    """
    values = list(row)
    values[_STATUS] = S(values[_STATUS])
    values[_CANCEL] = bool(values[_CANCEL])
    values[_WATERMARK] = bool(values[_WATERMARK])
    values[_HELD] = bool(values[_HELD])
    if values[_ERROR] is not None:
        values[_ERROR] = jobs.JobError.from_json(values[_ERROR])
    attempts = values[_ENGINE_ATTEMPTS]
    values[_ENGINE_ATTEMPTS] = jobs.attempts_from_json(attempts) if attempts else ()
    kind = values[_KIND]
    values[_KIND] = _GENERATE if kind == "generate" else jobs.JobKind(kind)
    sources = values[_SOURCES]
    values[_SOURCES] = jobs.Sources.from_json(sources) if sources else jobs.NO_SOURCES
    return jobs.video_from_row(values)


def maybe_video(row: sa.Row[Any] | None) -> jobs.Video | None:
    return None if row is None else video(row)


def error(code: str, message: str) -> dict[str, Any]:
    """A failed video's stored ``error`` (the one conversion: ``jobs.JobError.to_json``)."""
    return jobs.JobError(code, message).to_json()


def no_lease() -> dict[str, Any]:
    return {"lease_token": None, "lease_owner": None, "lease_expires_at": None}


def upsert(conn: sa.Connection) -> Any:
    """The dialect's INSERT, which has ``on_conflict_do_*`` (SQLite and PostgreSQL share it)."""
    return sqlite_insert if conn.dialect.name == "sqlite" else postgres_insert


PROJECT_FIELDS = tuple(f.name for f in dataclasses.fields(jobs.Project))


def project(values: Sequence[Any]) -> jobs.Project:
    """A projects row (its columns in ``PROJECT_FIELDS`` order) as a Project."""
    found = dict(zip(PROJECT_FIELDS, values, strict=True))
    for flag in ("relaxed", "watermark"):
        if found[flag] is not None:
            found[flag] = bool(found[flag])  # SQLite gives 0/1
    return jobs.Project(**found)


def project_from(row: sa.Row[Any]) -> jobs.Project:
    """A project from a row selected with (at least) every projects column."""
    return project([row._mapping[name] for name in PROJECT_FIELDS])
