"""Mapping ``videos`` rows to ``jobs.Video`` records, shared by the stores."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.store.tables import videos as v

S = jobs.JobStatus

_COLUMNS = [c.name for c in v.c]
_STATUS = _COLUMNS.index("status")
_CANCEL = _COLUMNS.index("cancel_requested")


def video(row: Sequence[Any]) -> jobs.Video:
    """A row (selected as ``*v.c``, which is the dataclass's field order) as a Video."""
    values = list(row)
    values[_STATUS] = S(values[_STATUS])
    values[_CANCEL] = bool(values[_CANCEL])
    return jobs.video_from_row(values)


def maybe_video(row: sa.Row[Any] | None) -> jobs.Video | None:
    return None if row is None else video(row)


def error(code: str, message: str) -> dict[str, Any]:
    """A failed video's ``error`` object."""
    return {"code": code, "message": message}


def no_lease() -> dict[str, Any]:
    return {"lease_token": None, "lease_owner": None, "lease_expires_at": None}
