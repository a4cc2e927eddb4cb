"""Request counters shared by every API process, in the database (SQLite and PostgreSQL) and in
Redis: exactly the limit is granted, a request counts in all of its windows or in none, and
that holds with several OS processes taking from one window at once."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import queue
import secrets
import time
from collections.abc import AsyncIterator, Iterator
from multiprocessing.synchronize import Barrier
from typing import Any

import pytest
import sqlalchemy as sa

from reelway.limits import Count, Window
from reelway.store.database import Database
from reelway.store.ratelimits import PURGE_EVERY_SECONDS, Counters, DatabaseCounters, RedisCounters
from reelway.store.tables import rate_counters
from tests.backends import Deployment
from tests.integration.conftest import Clock

REDIS_URL = os.environ.get("REELWAY_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
# A UTC day a year ahead, so that Redis keys (which expire when their window ends) outlive
# the test, and a minute in it.
DAY_START = float((int(time.time()) // 86_400 + 365) * 86_400)
MINUTE_START = DAY_START + 8 * 3600 + 20 * 60
PROCESS_SECONDS = 120.0
CONCURRENT_TAKES = 5  # per process, so that takes also overlap within each process


def minute(limit: int, start: float = MINUTE_START, project: str = "proj_a") -> Window:
    return Window("minute", f"{project}:rpm", start, 60.0, limit)


def day(limit: int, start: float = DAY_START, project: str = "proj_a") -> Window:
    return Window("day", f"{project}:rpd", start, 86_400.0, limit)


def database_url(deployment: Deployment) -> str:
    """The URL the ``db`` fixture opened, for other processes to open too."""
    return deployment.database_url or f"sqlite:///{deployment.data_dir / 'reelway.db'}"


# ---------------------------------------------------------------------- checks both stores pass


async def exactly_the_limit_is_granted(counters: Counters) -> None:
    window = minute(5)
    decisions = [await counters.take([window]) for _ in range(8)]
    granted = [d for d in decisions if d.granted]
    assert [d.counts for d in granted] == [(Count(window, n),) for n in range(1, 6)]
    assert [d.counts[0].remaining for d in granted] == [4, 3, 2, 1, 0]
    for refused in decisions[5:]:
        assert not refused.granted
        assert refused.refused == window
        assert refused.counts == (Count(window, 5),)
        assert refused.counts[0].remaining == 0


async def concurrent_takes_grant_exactly_the_limit(counters: Counters) -> None:
    window = minute(7, project="proj_c")
    decisions = await asyncio.gather(*(counters.take([window]) for _ in range(20)))
    granted = sorted(d.counts[0].count for d in decisions if d.granted)
    assert granted == [1, 2, 3, 4, 5, 6, 7]
    assert all(d.refused == window for d in decisions if not d.granted)


async def a_full_minute_does_not_use_up_the_day(counters: Counters) -> None:
    """The day window is counted before the minute (key order), so the refusal must undo the
    day's count: after three refusals by the minute the day still has two places, and the
    next minute gets exactly those two."""
    for n in range(1, 4):
        decision = await counters.take([minute(3), day(5)])
        assert decision.granted
        assert sorted(decision.counts, key=lambda c: c.window.name) == [
            Count(day(5), n),
            Count(minute(3), n),
        ]
    for _ in range(3):
        decision = await counters.take([minute(3), day(5)])
        assert decision.refused == minute(3)
        assert decision.counts == (Count(minute(3), 3),)
    later = MINUTE_START + 60
    for n in (4, 5):
        decision = await counters.take([minute(3, later), day(5)])
        assert decision.granted
        assert Count(day(5), n) in decision.counts
        assert Count(minute(3, later), n - 3) in decision.counts
    decision = await counters.take([minute(3, later), day(5)])
    assert decision.refused == day(5)
    assert decision.counts == (Count(day(5), 5),)
    # ... and that refusal did not count in the new minute either
    decision = await counters.take([minute(3, later)])
    assert decision.counts == (Count(minute(3, later), 3),)


async def a_full_day_does_not_use_up_the_minute(counters: Counters) -> None:
    """The brief's example: a minute of 5, a day of 3; the fourth request is refused by the
    day and the minute stays at 3 (the next day's first request is the minute's fourth)."""
    for _ in range(3):
        assert (await counters.take([minute(5), day(3)])).granted
    for _ in range(2):
        decision = await counters.take([minute(5), day(3)])
        assert decision.refused == day(3)
        assert decision.counts == (Count(day(3), 3),)
    tomorrow = day(3, DAY_START + 86_400)
    decision = await counters.take([minute(5), tomorrow])
    assert decision.granted
    assert set(decision.counts) == {Count(minute(5), 4), Count(tomorrow, 1)}


async def a_new_window_starts_from_zero(counters: Counters) -> None:
    for _ in range(2):
        assert (await counters.take([minute(2)])).granted
    assert (await counters.take([minute(2)])).refused == minute(2)
    next_minute = minute(2, MINUTE_START + 60)
    assert (await counters.take([next_minute])).counts == (Count(next_minute, 1),)
    other_project = minute(2, project="proj_b")
    assert (await counters.take([other_project])).counts == (Count(other_project, 1),)
    assert (await counters.take([minute(2)])).refused == minute(2)
    assert (await counters.take([])).granted


CHECKS = [
    exactly_the_limit_is_granted,
    concurrent_takes_grant_exactly_the_limit,
    a_full_minute_does_not_use_up_the_day,
    a_full_day_does_not_use_up_the_minute,
    a_new_window_starts_from_zero,
]


# ---------------------------------------------------------------------- several processes


def _take_in_child(
    kind: str,
    url: str,
    prefix: str,
    requests: list[list[Window]],
    tries: int,
    barrier: Barrier,
    results: Any,
) -> None:
    """One process's share of the contention: ``tries`` of each request, a few at a time."""
    try:
        granted = asyncio.run(_take_repeatedly(kind, url, prefix, requests, tries, barrier))
        results.put(("ok", granted))
    except BaseException as exc:
        results.put(("error", f"{type(exc).__name__}: {exc}"))


async def _take_repeatedly(
    kind: str, url: str, prefix: str, requests: list[list[Window]], tries: int, barrier: Barrier
) -> list[list[dict[str, int]]]:
    db = Database(url) if kind == "database" else None
    counters: Counters = DatabaseCounters(db) if db is not None else RedisCounters(url, prefix)
    try:
        # Connect before the start line, so that every process takes at the same time.
        await counters.take([Window("warm-up", f"warmup-{os.getpid()}:rpm", 0.0, 60.0, 1)])
        await asyncio.to_thread(barrier.wait, 60)
        granted: list[list[dict[str, int]]] = [[] for _ in requests]
        for batch in range(0, tries, CONCURRENT_TAKES):
            taking = min(CONCURRENT_TAKES, tries - batch)
            decisions = await asyncio.gather(
                *(counters.take(windows) for _ in range(taking) for windows in requests)
            )
            for n, decision in enumerate(decisions):
                if decision.granted:
                    counts = {c.window.name: c.count for c in decision.counts}
                    granted[n % len(requests)].append(counts)
        return granted
    finally:
        await counters.close()
        if db is not None:
            await db.close()


def _take_in_processes(
    kind: str, url: str, prefix: str, requests: list[list[Window]], processes: int, tries: int
) -> list[list[dict[str, int]]]:
    """Every grant made by ``processes`` spawned processes, per request, as {window: count}."""
    context = multiprocessing.get_context("spawn")
    barrier = context.Barrier(processes)
    results = context.Queue()
    children = [
        context.Process(
            target=_take_in_child,
            args=(kind, url, prefix, requests, tries, barrier, results),
            daemon=True,
        )
        for _ in range(processes)
    ]
    for child in children:
        child.start()
    try:
        outcomes = [results.get(timeout=PROCESS_SECONDS) for _ in children]
    except queue.Empty:
        pytest.fail(f"the {kind} processes did not finish in {PROCESS_SECONDS:.0f} s")
    finally:
        for child in children:
            child.join(timeout=10)
            if child.is_alive():
                child.kill()
                child.join()
    failures = [detail for status, detail in outcomes if status == "error"]
    assert not failures, failures
    return [
        [grant for _, per_request in outcomes for grant in per_request[n]]
        for n in range(len(requests))
    ]


async def many_processes_grant_exactly_the_limit(
    counters: Counters, kind: str, url: str, prefix: str = ""
) -> None:
    """4 processes x 15 tries of two requests, at once:

    - windows of 20, 14, 9 and 5 alone: exactly the limit granted in each, each grant with its
      own count (a check-then-count race would grant more, at the moment a limit is reached);
    - a minute of 20 with a day of 100, which is counted first (key order) and so holds its
      row lock or key while the minute is checked: again exactly 20, and the 40 refusals by
      the minute left no trace in the day.
    """
    alone = [[minute(limit, project=f"proj_one_{limit}")] for limit in (20, 14, 9, 5)]
    both = [minute(20, project="proj_mp"), day(100, project="proj_mp")]
    *singles, paired = await asyncio.to_thread(
        _take_in_processes, kind, url, prefix, [*alone, both], 4, 15
    )
    for (window,), single in zip(alone, singles, strict=True):
        assert sorted(g["minute"] for g in single) == list(range(1, window.limit + 1))
        assert (await counters.take([window])).refused == window
    assert sorted(g["minute"] for g in paired) == list(range(1, 21))
    assert sorted(g["day"] for g in paired) == list(range(1, 21))
    assert (await counters.take([both[1]])).counts == (Count(both[1], 21),)
    assert (await counters.take([both[0]])).refused == both[0]


# ---------------------------------------------------------------------- the database


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_database_counters(db: Database, check: Any) -> None:
    await check(DatabaseCounters(db))


async def _rows(db: Database) -> set[tuple[str, float, int]]:
    query = sa.select(rate_counters.c.key, rate_counters.c.window_start, rate_counters.c["count"])
    return {
        (str(r[0]), float(r[1]), int(r[2]))
        for r in await db.read(lambda conn: conn.execute(query).all())
    }


async def test_the_table_holds_only_granted_requests(db: Database) -> None:
    """Read back the ``rate_counters`` rows: refusals left nothing behind in either order."""
    await a_full_minute_does_not_use_up_the_day(DatabaseCounters(db))
    assert await _rows(db) == {
        ("proj_a:rpd", DAY_START, 5),
        ("proj_a:rpm", MINUTE_START, 3),
        ("proj_a:rpm", MINUTE_START + 60, 3),
    }
    await db.write(lambda conn: conn.execute(sa.delete(rate_counters)))
    await a_full_day_does_not_use_up_the_minute(DatabaseCounters(db))
    assert await _rows(db) == {
        ("proj_a:rpd", DAY_START, 3),
        ("proj_a:rpd", DAY_START + 86_400, 1),
        ("proj_a:rpm", MINUTE_START, 4),
    }


async def test_lapsed_windows_are_purged_now_and_then(db: Database, clock: Clock) -> None:
    """Counters of windows that have ended are deleted, at most once per purge interval."""
    counters = DatabaseCounters(db, clock)
    clock.now = MINUTE_START + 10
    await counters.take([minute(5)])  # the first grant purges (nothing yet)
    clock.now = MINUTE_START + 70  # the first minute has ended, but a purge ran just now
    await counters.take([minute(5, MINUTE_START + 60)])
    assert {key[1] for key in await _rows(db)} == {MINUTE_START, MINUTE_START + 60}
    clock.now = MINUTE_START + 10 + PURGE_EVERY_SECONDS
    await counters.take([minute(5, MINUTE_START + 300)])
    assert {key[1] for key in await _rows(db)} == {MINUTE_START + 300}


async def test_database_counters_across_processes(db: Database, deployment: Deployment) -> None:
    await many_processes_grant_exactly_the_limit(
        DatabaseCounters(db), "database", database_url(deployment)
    )


# ---------------------------------------------------------------------- Redis


@pytest.fixture
def redis_prefix() -> Iterator[str]:
    """A key prefix of this test's own in Redis database 15; its keys are deleted after."""
    import redis

    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.RedisError as exc:
        client.close()
        pytest.skip(f"Redis is not reachable at {REDIS_URL} ({exc.__class__.__name__})")
    prefix = f"reelway-test-{secrets.token_hex(4)}:"
    yield prefix
    keys = list(client.scan_iter(match=f"{prefix}*"))
    if keys:
        client.delete(*keys)
    client.close()


@pytest.fixture
async def redis_counters(redis_prefix: str) -> AsyncIterator[RedisCounters]:
    counters = RedisCounters(REDIS_URL, prefix=redis_prefix)
    yield counters
    await counters.close()


@pytest.mark.parametrize("check", CHECKS, ids=lambda check: check.__name__)
async def test_redis_counters(redis_counters: RedisCounters, check: Any) -> None:
    await check(redis_counters)


async def test_redis_keys_expire_a_second_after_their_window(
    redis_counters: RedisCounters, redis_prefix: str
) -> None:
    """Counters do not pile up in Redis: each key expires just after its window ends, and a
    refused request neither creates a key nor moves the expiry."""
    import redis

    await redis_counters.take([minute(1), day(10)])
    assert (await redis_counters.take([minute(1), day(10)])).refused == minute(1)
    await redis_counters.take([minute(1, project="proj_z")])
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = sorted(k.decode() for k in client.scan_iter(match=f"{redis_prefix}*"))
        assert len(keys) == 3
        expiries = sorted(int(client.pexpiretime(k)) for k in keys)
    finally:
        client.close()
    minute_end = int((MINUTE_START + 60) * 1000) + 1000
    day_end = int((DAY_START + 86_400) * 1000) + 1000
    assert expiries == [minute_end, minute_end, day_end]


async def test_redis_counters_across_processes(
    redis_counters: RedisCounters, redis_prefix: str
) -> None:
    await many_processes_grant_exactly_the_limit(redis_counters, "redis", REDIS_URL, redis_prefix)
