"""A project's request windows, and the ``x-ratelimit-*`` headers that describe them.

Windows are fixed: the UTC minute and the UTC day.  A fixed window is what the seed's tiers
describe ("N requests per minute", "a daily limit") and what a client can reason about from
the reset header; every process computes the same window from the clock alone.
"""

from __future__ import annotations

import math

from reelway import jobs
from reelway.limits import Count, Decision, Window
from reelway.policy.tiers import Tier

MINUTE = 60.0
DAY = 86_400.0


def windows(project: jobs.Project, tier: Tier, now: float) -> list[Window]:
    """The windows a generation request of this project counts in (none when unlimited)."""
    found = []
    per_minute = project.requests_per_minute or tier.requests_per_minute
    per_day = project.requests_per_day or tier.requests_per_day
    if per_minute is not None:
        start = math.floor(now / MINUTE) * MINUTE
        found.append(Window("minute", f"{project.id}:rpm", start, MINUTE, per_minute))
    if per_day is not None:
        start = math.floor(now / DAY) * DAY
        found.append(Window("day", f"{project.id}:rpd", start, DAY, per_day))
    return found


def duration(seconds: float) -> str:
    """A reset time as OpenAI writes it: ``1s``, ``6m0s``, ``12.5s``, ``3h20m0s``."""
    seconds = max(0.0, seconds)
    if seconds < MINUTE:
        text = f"{seconds:.3f}".rstrip("0").rstrip(".")
        return f"{text}s"
    whole = math.ceil(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h{minutes}m{secs}s" if hours else f"{minutes}m{secs}s"


def headers(decision: Decision, now: float) -> dict[str, str]:
    """The minute window in OpenAI's ``x-ratelimit-*-requests`` headers, the day window in
    the same headers with a ``-day`` suffix."""
    found: dict[str, str] = {}
    for count in decision.counts:
        found.update(_window_headers(count, now))
    return found


def _window_headers(count: Count, now: float) -> dict[str, str]:
    suffix = "" if count.window.name == "minute" else "-day"
    return {
        f"x-ratelimit-limit-requests{suffix}": str(count.window.limit),
        f"x-ratelimit-remaining-requests{suffix}": str(count.remaining),
        f"x-ratelimit-reset-requests{suffix}": duration(count.window.end - now),
    }


def refused_headers(window: Window, count: int, now: float) -> dict[str, str]:
    return _window_headers(Count(window, max(count, window.limit)), now)
