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


@dataclass(frozen=True)
class EngineCondition:
    """An engine's shared state as it stands at one moment (``engine_condition``)."""

    status: str
    """``circuit_open``, ``backing_off``, ``failing`` (failures counted, breaker shut) or ``ok``."""
    circuit_open_until: float | None = None
    """Set only while the breaker is open: workers skip the engine until then."""
    backoff_until: float | None = None
    """Set only while the provider's ``Retry-After`` holds every worker back."""

    @property
    def circuit_open(self) -> bool:
        return self.circuit_open_until is not None

    @property
    def backoff(self) -> bool:
        return self.backoff_until is not None


def engine_condition(
    failures: int, opened_until: float | None, blocked_until: float | None, *, now: float
) -> EngineCondition:
    """Whether an engine is healthy at ``now``: the one rule the dashboard, ``/metrics`` and
    ``reelway doctor`` share.  A breaker or back-off time that has passed is over (the row
    keeps it until the next call), so it is compared with ``now``, never just tested for
    being set."""
    opened = opened_until if opened_until is not None and opened_until > now else None
    blocked = blocked_until if blocked_until is not None and blocked_until > now else None
    if opened is not None:
        status = "circuit_open"
    elif blocked is not None:
        status = "backing_off"
    elif failures > 0:
        status = "failing"
    else:
        status = "ok"
    return EngineCondition(status, opened, blocked)
