"""Per-engine limits as data: what Reelway enforces for an engine across all workers."""

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
