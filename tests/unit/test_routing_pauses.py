"""Routing around a paused engine: skipped and never tried with ``failover``, waited for with
``wait``, and waited for either way when nothing else on the route can take the job; and the
budget threshold's arithmetic."""

from __future__ import annotations

import dataclasses
from typing import Any

from reelway import catalog, errors, jobs, pauses
from reelway.capabilities import EngineInfo
from reelway.store.accounts import Balance
from reelway.worker import routing
from tests.unit.test_routing_capabilities import Directory, _video


class Paused:
    """The engine store as routing asks it: which engines are paused (nothing is limited)."""

    def __init__(self, **paused: str) -> None:
        self.paused_engines = paused

    async def paused(self) -> dict[str, str]:
        return dict(self.paused_engines)


def _route(store: Paused, *names: str) -> routing.Route:
    model = catalog.load(None).get("sora-2")
    assert model is not None
    model = dataclasses.replace(model, route=names, weights={})
    infos = [EngineInfo(name) for name in names]
    return routing.Route(
        _video(),
        model,
        Directory(*infos),
        store,  # type: ignore[arg-type]
        passes=1,
        pass_pause_seconds=0.0,
        remote=lambda _: False,
    )


async def test_a_paused_engine_is_skipped_for_the_next_one_and_never_tried() -> None:
    route = _route(Paused(p1="failover"), "p1", "p2")
    assert await route.next_engine() == "p2"
    assert route.attempts == []  # skipping is not a failure on the job's record


async def test_a_paused_engine_with_wait_holds_its_jobs_back() -> None:
    found = await _route(Paused(p1="wait"), "p1", "p2").next_engine()
    assert isinstance(found, routing.Defer) and "p1: paused" in found.reason
    # A later engine paused with wait does not hold back a job the first one takes.
    assert await _route(Paused(p2="wait"), "p1", "p2").next_engine() == "p1"


async def test_a_job_whose_other_engines_failed_waits_for_the_paused_one() -> None:
    route = _route(Paused(p2="failover"), "p1", "p2")
    await route.failed("p1", errors.UpstreamUnavailable("p1 is down."))
    found = await route.next_engine()
    assert isinstance(found, routing.Defer) and "p2" in found.reason
    only = await _route(Paused(p1="failover"), "p1").next_engine()
    assert isinstance(only, routing.Defer)


def test_the_budget_threshold_counts_spend_and_reservations() -> None:
    project = jobs.Project(
        id="p", name="p", created_at=0, budget_usd_micros=1_000_000, pause_at_budget_percent=50
    )
    assert not pauses.budget_reached(project, Balance(0, usd_micros_spent=499_999))
    assert pauses.budget_reached(
        project, Balance(0, usd_micros_spent=300_000, usd_micros_reserved=200_000)
    )
    off: Any = dataclasses.replace(project, pause_at_budget_percent=None)
    assert not pauses.budget_reached(off, Balance(0, usd_micros_spent=10_000_000))
    no_budget = dataclasses.replace(project, budget_usd_micros=None)
    assert not pauses.budget_reached(no_budget, Balance(0, usd_micros_spent=10_000_000))
