"""One rule says whether an engine is healthy now (dashboard, /metrics and doctor share it)."""

from __future__ import annotations

from reelway.limits import engine_condition

NOW = 1_000.0


def test_an_engine_without_failures_is_ok() -> None:
    condition = engine_condition(0, None, None, now=NOW)
    assert condition.status == "ok"
    assert not condition.circuit_open and not condition.backoff


def test_an_open_breaker_and_a_back_off_hold_until_their_time() -> None:
    condition = engine_condition(5, NOW + 30, NOW + 10, now=NOW)
    assert condition.status == "circuit_open"
    assert (condition.circuit_open_until, condition.backoff_until) == (NOW + 30, NOW + 10)
    backing_off = engine_condition(1, None, NOW + 10, now=NOW)
    assert backing_off.status == "backing_off" and not backing_off.circuit_open


def test_a_time_that_has_passed_is_over() -> None:
    """The row keeps the old times until the next call; they no longer count."""
    condition = engine_condition(5, NOW - 1, NOW, now=NOW)
    assert condition.status == "failing"
    assert condition.circuit_open_until is None and condition.backoff_until is None
    assert not condition.circuit_open and not condition.backoff
    assert engine_condition(0, NOW - 1, NOW - 1, now=NOW).status == "ok"
