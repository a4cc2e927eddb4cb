"""A database write cancelled mid-statement ends its task as cancelled (issue 20's hang).

A worker that is stopped, or killed in the tests, cancels its tasks.  A write cancelled while
its PostgreSQL statement runs leaves SQLAlchemy's connection invalidated; the write's own
cleanup then read ``conn.info``, which on an invalidated connection raises
``PendingRollbackError``: that replaced the cancellation, the worker loop's
``except Exception`` took it for a failed claim, and the "killed" loop went on for ever.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
import sqlalchemy as sa

from reelway.store import stats
from reelway.store.database import Database
from tests.backends import Deployment

TOTAL = "reelway_test_cancelled_total"


@pytest.fixture
async def pg(postgres_deployment: Deployment) -> AsyncIterator[Database]:
    assert postgres_deployment.database_url is not None
    database = Database(postgres_deployment.database_url)
    await database.migrate()
    yield database
    await database.close()


async def test_a_write_cancelled_mid_statement_ends_cancelled(pg: Database) -> None:
    under_way = asyncio.Event()
    failures: list[Exception] = []
    loop = asyncio.get_running_loop()

    def slow(conn: sa.Connection) -> None:
        stats.bump(conn, [(TOTAL, {}, 1.0)])  # applied at the end: never, it is cancelled
        loop.call_soon(under_way.set)
        conn.execute(sa.text("SELECT pg_sleep(60)"))

    stop = asyncio.Event()

    async def worker_loop() -> None:
        while not stop.is_set():  # as a worker loop does: a failed write is retried
            try:
                await pg.write(slow)
            except Exception as exc:
                failures.append(exc)
                await asyncio.sleep(0.05)

    task = asyncio.create_task(worker_loop())
    async with asyncio.timeout(30):
        await under_way.wait()
    await asyncio.sleep(0.3)  # the statement is sleeping on the server now
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=20)
    stop.set()  # ends a loop that swallowed its cancellation, so that the test fails, not hangs
    await asyncio.wait([task], timeout=20)
    assert done, f"the cancelled loop still runs; the cancellation became {failures!r}"
    assert task.cancelled(), failures
    assert failures == []
    # The pool hands out a working connection afterwards; the cancelled write counted nothing.
    totals = await pg.read(stats.read_totals)
    assert [t for t in totals if t[0] == TOTAL] == []


async def test_cleanup_that_fails_after_a_cancel_does_not_replace_it(pg: Database) -> None:
    """Whatever a query's own cleanup raises on the invalidated connection, the task that was
    cancelled ends cancelled (``Database`` re-raises the cancellation)."""
    under_way = asyncio.Event()
    loop = asyncio.get_running_loop()

    def slow_then_tidy(conn: sa.Connection) -> None:
        loop.call_soon(under_way.set)
        try:
            conn.execute(sa.text("SELECT pg_sleep(60)"))
        finally:
            conn.execute(sa.text("SELECT 1"))  # PendingRollbackError after the cancel

    task = asyncio.create_task(pg.write(slow_then_tidy))
    async with asyncio.timeout(30):
        await under_way.wait()
    await asyncio.sleep(0.3)
    task.cancel()
    done, _ = await asyncio.wait([task], timeout=20)
    assert done and task.cancelled(), None if not done else task.exception()
    assert await pg.read(lambda conn: conn.execute(sa.text("SELECT 2")).scalar()) == 2
