"""Create's guarantees under 50-way concurrency, on SQLite and PostgreSQL.

On SQLite the 50 creates (or rate-limit takes) of one event-loop turn share one group commit,
each a savepoint of its own (``store.sqlite``): these tests check that one create's refusal
undoes only its own statements, that a budget, a rate window and an Idempotency-Key each hold
exactly however many arrive at once, and that what was acknowledged is in the database file
when it is opened afresh.  On PostgreSQL the same units are ordinary concurrent transactions.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from datetime import time
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from reelway import errors, jobs
from reelway.accounts import AccountService
from reelway.limits import Window
from reelway.policy import tiers
from reelway.policy.relaxed import RelaxedWindow
from reelway.store import ledger
from reelway.store.accounts import AccountStore
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.ratelimits import DatabaseCounters
from reelway.store.tables import charges, rate_counters, videos
from reelway.store.videos import IdempotencyKey, KeyTaken, VideoStore
from tests.backends import Deployment
from tests.integration.conftest import Clock, new_video

WAY = 50
PERIOD = (1_799_000_000.0, 1_801_000_000.0)
USD = 1_000_000
COST = 400_000
"""Each test video's price: 4 s at $0.10 a second."""


def reservation(
    project_id: str, video_id: str, budget: int | None, credit_limit: int | None = None
) -> ledger.Reservation:
    return ledger.Reservation(
        video_id=video_id,
        project_id=project_id,
        model="sora-2",
        size="720x1280",
        seconds=4,
        relaxed=False,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        credits_per_second=16,
        usd_micros_per_second=COST // 4,
        credit_limit=credit_limit,
        budget_usd_micros=budget,
    )


async def project_with_budget(db: Database, name: str, budget: int | None) -> str:
    project = await AccountStore(db).create_project(name, budget_usd_micros=budget)
    return project.id


async def rows(db: Database, query: sa.Select[Any]) -> int:
    return int(await db.read(lambda conn: conn.execute(query).scalar_one()))


def count_of(table: sa.Table, project_id: str) -> sa.Select[Any]:
    return sa.select(sa.func.count()).select_from(table).where(table.c.project_id == project_id)


def reopened(db: Database, deployment: Deployment) -> Database:
    """A second connection to the same database, as another process would open it."""
    return Database(deployment.database_url or str(db.url))


async def create_all(
    store: VideoStore, project_id: str, budgets: Sequence[int | None], first: int = 0
) -> list[jobs.Video | BaseException]:
    """``len(budgets)`` creates at once, each reserving under its own budget."""

    async def one(n: int, budget: int | None) -> jobs.Video:
        video = new_video(
            project_id, n, reservation=reservation(project_id, f"video_{n:04d}", budget)
        )
        return await store.insert(video)

    return await asyncio.gather(
        *(one(first + i, budget) for i, budget in enumerate(budgets)), return_exceptions=True
    )


async def test_fifty_creates_at_once_fit_a_budget_for_seven_exactly_and_stay_committed(
    db: Database, deployment: Deployment, clock: Clock
) -> None:
    project_id = await project_with_budget(db, "seven", 7 * COST)
    store = VideoStore(db, clock)
    outcomes = await create_all(store, project_id, [7 * COST] * WAY)
    made = [o for o in outcomes if isinstance(o, jobs.Video)]
    refused = [o for o in outcomes if not isinstance(o, jobs.Video)]
    assert len(made) == 7
    assert len(refused) == WAY - 7
    assert all(isinstance(o, errors.BudgetExceeded) for o in refused), refused[:1]
    assert "$0.00 of $2.80 left" in str(refused[0])
    # A refused create left nothing behind: no job row, no charge, no queued count.
    second = reopened(db, deployment)
    try:
        assert await rows(second, count_of(videos, project_id)) == 7
        assert await rows(second, count_of(charges, project_id)) == 7
        found = await AccountStore(second).balance(project_id, PERIOD[0])
        assert found.usd_micros_reserved == 7 * COST
        assert await VideoStore(second).queued_total() == 7
        for video in made:  # what was acknowledged is there for another connection
            assert await VideoStore(second).get(video.id) is not None
    finally:
        await second.close()


async def test_a_budget_lowered_after_admission_holds_for_creates_already_past_it(
    db: Database, clock: Clock
) -> None:
    """A create admitted under the budget it read a moment ago (the account service caches
    the project row) is held to the project's budget as it stands when it commits."""
    project_id = await project_with_budget(db, "lowered", 100 * COST)
    await AccountStore(db).update_project(project_id, {"budget_usd_micros": 2 * COST})
    outcomes = await create_all(VideoStore(db, clock), project_id, [100 * COST] * WAY)
    assert sum(isinstance(o, jobs.Video) for o in outcomes) == 2
    refused = [o for o in outcomes if not isinstance(o, jobs.Video)]
    assert all(isinstance(o, errors.BudgetExceeded) for o in refused)
    assert "$0.00 of $0.80 left" in str(refused[0])
    # Raised again, the lower of the two still holds (never more than either allows).
    await AccountStore(db).update_project(project_id, {"budget_usd_micros": 100 * COST})
    more = await create_all(VideoStore(db, clock), project_id, [3 * COST] * WAY, first=WAY)
    assert sum(isinstance(o, jobs.Video) for o in more) == 1


async def test_refusals_in_one_commit_undo_only_their_own_create(
    db: Database, clock: Clock
) -> None:
    """Creates of two projects interleaved in one turn: one project's budget refuses most
    of its creates, the other's are all made."""
    tight = await project_with_budget(db, "tight", 3 * COST)
    free = await project_with_budget(db, "free", None)
    store = VideoStore(db, clock)

    async def one(n: int) -> jobs.Video:
        project_id = tight if n % 2 else free
        budget = 3 * COST if n % 2 else None
        video = new_video(
            project_id, n, reservation=reservation(project_id, f"video_{n:04d}", budget)
        )
        return await store.insert(video)

    outcomes = await asyncio.gather(*(one(n) for n in range(WAY)), return_exceptions=True)
    made = [o for o in outcomes if isinstance(o, jobs.Video)]
    assert sorted(v.project_id for v in made).count(tight) == 3
    assert sorted(v.project_id for v in made).count(free) == WAY // 2
    assert await rows(db, count_of(videos, tight)) == 3
    assert await rows(db, count_of(videos, free)) == WAY // 2
    assert await rows(db, count_of(charges, free)) == WAY // 2


async def test_fifty_takes_at_once_count_exactly_the_limit_in_every_window(db: Database) -> None:
    counters = DatabaseCounters(db)
    windows = [
        Window("minute", "proj_x:rpm", 1_800_000_000.0, 60.0, 9),
        Window("day", "proj_x:rpd", 1_799_971_200.0, 86_400.0, 1_000),
    ]
    decisions = await asyncio.gather(*(counters.take(windows) for _ in range(WAY)))
    granted = [d for d in decisions if d.granted]
    assert len(granted) == 9
    minute = sorted(next(c.count for c in d.counts if c.window.name == "minute") for d in granted)
    assert minute == list(range(1, 10))
    refused = [d.refused for d in decisions if d.refused is not None]
    assert len(refused) == WAY - 9
    assert {window.name for window in refused} == {"minute"}
    # A request the minute refused did not use up a place in the day.
    stored = sa.select(rate_counters.c.key, rate_counters.c["count"]).order_by(rate_counters.c.key)
    found = await db.read(lambda conn: [tuple(r) for r in conn.execute(stored)])
    assert found == [("proj_x:rpd", 9), ("proj_x:rpm", 9)]


async def test_fifty_creates_with_one_key_make_one_video_and_one_charge(
    db: Database, clock: Clock
) -> None:
    project_id = await project_with_budget(db, "keyed", None)
    store = VideoStore(db, clock)
    key = IdempotencyKey("same-key", "hash-1", 3600)

    async def one(n: int) -> jobs.Video | KeyTaken:
        video = new_video(
            project_id, n, reservation=reservation(project_id, f"video_{n:04d}", None)
        )
        return await store.insert_keyed(video, key)

    outcomes = await asyncio.gather(*(one(n) for n in range(WAY)))
    made = [o for o in outcomes if isinstance(o, jobs.Video)]
    taken = [o for o in outcomes if isinstance(o, KeyTaken)]
    assert len(made) == 1
    assert len(taken) == WAY - 1
    assert {t.video_id for t in taken} == {made[0].id}
    assert await rows(db, count_of(videos, project_id)) == 1
    assert await rows(db, count_of(charges, project_id)) == 1


def account_service(db: Database) -> AccountService:
    window = RelaxedWindow(time(22), time(6), ZoneInfo("UTC"))
    store = AccountStore(db)
    counters = DatabaseCounters(db)
    return AccountService(tiers.load(), store, KeyStore(db), counters, window)


async def test_admit_reads_the_project_within_the_cache_window_and_own_changes_at_once(
    db: Database,
) -> None:
    service = account_service(db)
    project = await AccountStore(db).create_project("cached")
    assert (await service.admit(project.id, cache_seconds=3600)).project.disabled_at is None
    # Another process disables it: this one sees it after its window, or at once without one.
    await AccountStore(db).update_project(project.id, {"disabled_at": 1.0})
    assert (await service.admit(project.id, cache_seconds=3600)).project.disabled_at is None
    try:
        await service.admit(project.id)
        raise AssertionError("a disabled project was admitted without a cache")
    except errors.ProjectDisabled:
        pass
    # A change made through this process's own service shows at once, cache or not.
    await service.update_project(project.id, {"disabled": False})
    assert (await service.admit(project.id, cache_seconds=3600)).project.disabled_at is None
    await service.update_project(project.id, {"disabled": True})
    try:
        await service.admit(project.id, cache_seconds=3600)
        raise AssertionError("this process's own disable did not show at once")
    except errors.ProjectDisabled:
        pass
