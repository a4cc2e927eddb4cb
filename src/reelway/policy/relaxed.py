"""Relaxed mode's off-peak window (the seed: 22:00-06:00 America/Los_Angeles).

Relaxed jobs cost no credits, wait for the window to open, and run at the lowest priority;
a relaxed job still queued when the window closes waits for the next one.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from reelway import jobs

PRIORITY = jobs.RELAXED_PRIORITY

_WINDOW = re.compile(r"^(\d\d):(\d\d)-(\d\d):(\d\d)$")


@dataclass(frozen=True)
class RelaxedWindow:
    """A daily local-time window; it may cross midnight (start later than end)."""

    start: time
    end: time
    zone: ZoneInfo

    @classmethod
    def parse(cls, window: str, timezone: str) -> RelaxedWindow:
        match = _WINDOW.match(window.strip())
        if not match:
            raise ValueError(f"relaxed window {window!r} must look like '22:00-06:00'")
        h1, m1, h2, m2 = (int(g) for g in match.groups())
        if h1 > 23 or h2 > 23 or m1 > 59 or m2 > 59 or (h1, m1) == (h2, m2):
            raise ValueError(f"relaxed window {window!r} is not a valid span of the day")
        try:
            zone = ZoneInfo(timezone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown time zone {timezone!r} for the relaxed window") from None
        return cls(time(h1, m1), time(h2, m2), zone)

    def describe(self) -> str:
        return f"{self.start:%H:%M}-{self.end:%H:%M} {self.zone.key}"

    def is_open(self, ts: float) -> bool:
        local = datetime.fromtimestamp(ts, self.zone).time()
        if self.start < self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def next_open(self, ts: float) -> float:
        """``ts`` itself when the window is open, else when it next opens."""
        if self.is_open(ts):
            return ts
        return min(c for c in self._instants(ts, self.start) if self.is_open(c))

    def closes_after(self, ts: float) -> float:
        """When the window that is open at ``ts`` closes."""
        return min(self._instants(ts, self.end))

    def _instants(self, ts: float, at: time) -> list[float]:
        """Every instant after ``ts`` in the next two days whose local time is ``at``.

        Both readings of a wall-clock time in the hour that repeats when clocks go back are
        included (comparing aware datetimes of one zone ignores ``fold``), so the answer is
        never in the past.
        """
        local = datetime.fromtimestamp(ts, self.zone)
        found = (
            datetime.combine(local.date() + timedelta(days=days), at, self.zone)
            .replace(fold=fold)
            .timestamp()
            for days in (0, 1, 2)
            for fold in (0, 1)
        )
        return [c for c in found if c > ts]
