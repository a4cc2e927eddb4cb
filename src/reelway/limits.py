"""Limits as data: what Reelway enforces for an engine across all workers, and the request
windows it counts for a project."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class RateWindow:
    """At most ``requests`` submits in any ``seconds``-long window."""

    requests: int
    seconds: float


@dataclass(frozen=True)
class EngineLimits:
    max_concurrency: int | None = None
    """Jobs submitted to the engine and not yet finished there."""
    windows: tuple[RateWindow, ...] = ()
    breaker_failures: int = 5
    """Consecutive failures (of the kinds that fail over) that open the circuit breaker."""
    breaker_cooldown_seconds: float = 30.0
    """How long an open breaker skips the engine before one job probes it again."""

    @property
    def limited(self) -> bool:
        return self.max_concurrency is not None or bool(self.windows)


@dataclass(frozen=True)
class Window:
    """One counter: ``limit`` requests between ``start`` and ``start + seconds``."""

    name: str
    key: str
    start: float
    seconds: float
    limit: int

    @property
    def end(self) -> float:
        return self.start + self.seconds


@dataclass(frozen=True)
class Count:
    window: Window
    count: int

    @property
    def remaining(self) -> int:
        return max(0, self.window.limit - self.count)


@dataclass(frozen=True)
class Decision:
    """Granted: every window counted the request.  Refused: ``refused`` was full, and none
    of the windows counted it."""

    counts: tuple[Count, ...]
    refused: Window | None = None

    @property
    def granted(self) -> bool:
        return self.refused is None
