"""``Database.read_long``: a read that scans for seconds must not hold the event loop (the
status page's 90-day counts on a large SQLite file), and it answers what ``read`` answers."""

from __future__ import annotations

import asyncio
import time

import sqlalchemy as sa

from reelway.store.database import Database

READ_SECONDS = 0.4


def _slow_count(conn: sa.Connection) -> int:
    # Stands in for a long scan.  On SQLite the scan runs in this process and holds its thread,
    # as time.sleep does; on PostgreSQL it runs in the server while the driver awaits it.
    if conn.dialect.name == "postgresql":
        conn.execute(sa.text("SELECT pg_sleep(:s)"), {"s": READ_SECONDS})
    else:
        time.sleep(READ_SECONDS)
    return int(conn.execute(sa.text("SELECT count(*) FROM videos")).scalar_one())


async def _ticks_during(read: asyncio.Future[int] | asyncio.Task[int]) -> int:
    ticks = 0
    while not read.done():
        ticks += 1
        await asyncio.sleep(0.01)
    return ticks


async def test_a_long_read_leaves_the_event_loop_free(db: Database) -> None:
    read = asyncio.ensure_future(db.read_long(_slow_count))
    ticks = await _ticks_during(read)
    assert read.result() == await db.read(_slow_count) == 0
    # Ten-millisecond ticks over a 0.4 s read: an inline read would allow none at all.
    assert ticks >= 5, ticks


async def test_an_inline_read_on_sqlite_does_hold_it(sqlite_db: Database) -> None:
    # The reason read_long exists: the plain read runs on the calling thread on SQLite.
    read = asyncio.ensure_future(_inline(sqlite_db))
    ticks = await _ticks_during(read)
    assert read.result() == 0
    assert ticks <= 2, ticks


async def _inline(db: Database) -> int:
    return await db.read(_slow_count)
