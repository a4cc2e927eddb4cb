"""Billing cycles: monthly periods anchored on a project's cycle start.

A project whose cycle started on the 31st renews on the last day of shorter months and on
the 31st again when the month has one (the anchor's day is kept, clamped to the month).
"""

from __future__ import annotations

import calendar
from datetime import UTC, datetime


def _month_start(anchor: datetime, year: int, month: int) -> datetime:
    day = min(anchor.day, calendar.monthrange(year, month)[1])
    return anchor.replace(year=year, month=month, day=day)


def _shift(anchor: datetime, months: int) -> datetime:
    index = anchor.year * 12 + (anchor.month - 1) + months
    return _month_start(anchor, index // 12, index % 12 + 1)


def cycle(anchor: float, now: float) -> tuple[float, float]:
    """The monthly period containing ``now``: its start and end (UNIX seconds)."""
    start = datetime.fromtimestamp(anchor, UTC)
    at = datetime.fromtimestamp(now, UTC)
    months = (at.year - start.year) * 12 + (at.month - start.month)
    begin = _shift(start, months)
    if begin > at:
        months -= 1
        begin = _shift(start, months)
    return begin.timestamp(), _shift(start, months + 1).timestamp()


def utc_day(ts: float) -> str:
    """The UTC calendar day of a timestamp, as the usage report groups it."""
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")
