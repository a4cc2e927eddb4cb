"""Fixed-window request counters shared by every API process: in the database, or in Redis.

Both take several windows (a project's minute and its UTC day) all or nothing: a request
refused by its day limit does not use up a place in its minute, and the other way round.  In
the database that is one transaction of conditional upserts in key order (no deadlocks on
PostgreSQL; SQLite has one writer); in Redis, one Lua script.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reelway.limits import Count, Decision, Window
from reelway.store import sqlite
from reelway.store.database import Database
from reelway.store.tables import rate_counters as rc

PURGE_EVERY_SECONDS = 300.0


class Counters(Protocol):
    async def take(self, windows: Sequence[Window]) -> Decision: ...

    async def close(self) -> None: ...


class _Full(Exception):
    def __init__(self, window: Window, count: int) -> None:
        super().__init__(window.key)
        self.window = window
        self.count = count


class DatabaseCounters:
    """Counters in the ``rate_counters`` table."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._purged_at = float("-inf")

    async def take(self, windows: Sequence[Window]) -> Decision:
        ordered = sorted(windows, key=lambda w: (w.key, w.start))
        if not ordered:
            return Decision(())
        try:
            counts = await self.db.execute_unit(lambda st: _take(st, ordered))
        except _Full as full:
            return Decision((Count(full.window, full.count),), refused=full.window)
        await self._purge_now_and_then()
        return Decision(tuple(counts))

    async def _purge_now_and_then(self) -> None:
        now = self.clock()
        if now - self._purged_at < PURGE_EVERY_SECONDS:
            return
        self._purged_at = now
        query = sa.delete(rc).where(rc.c.expires_at < now)
        await self.db.write(lambda conn: conn.execute(query))

    async def close(self) -> None:
        return None


_CURRENT = sa.select(rc.c["count"]).where(
    rc.c.key == sa.bindparam("w_key"), rc.c.window_start == sa.bindparam("w_start")
)
# One conditional upsert per dialect, built once: a counted request pays execution only.
_TAKES = {
    name: insert(rc)
    .values({n: sa.bindparam(n, type_=rc.c[n].type) for n in ("key", "window_start", "count")})
    .values(expires_at=sa.bindparam("expires_at", type_=rc.c.expires_at.type))
    .on_conflict_do_update(
        index_elements=[rc.c.key, rc.c.window_start],
        set_={"count": rc.c["count"] + 1},
        where=rc.c["count"] + 1 <= sa.bindparam("limit", type_=sa.Integer),
    )
    .returning(rc.c["count"])
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgres_insert))
}


def _take(st: sqlite.Statements, windows: Sequence[Window]) -> list[Count]:
    statement = _TAKES[st.dialect]
    counts = []
    for window in windows:
        taken = st.rows(
            statement,
            {
                "key": window.key,
                "window_start": window.start,
                "count": 1,
                "expires_at": window.end,
                "limit": window.limit,
            },
        )
        if not taken:
            current = st.rows(_CURRENT, {"w_key": window.key, "w_start": window.start})[0][0]
            raise _Full(window, int(current))  # undoes the windows counted so far
        counts.append(Count(window, int(taken[0][0])))
    return counts


# Checks every window, then counts in all of them; returns the counts, or {-index, count} for
# the first full window.  Keys share a hash tag so the script also runs on Redis Cluster.
_TAKE_SCRIPT = """
local n = #KEYS
for i = 1, n do
  local current = tonumber(redis.call('GET', KEYS[i]) or '0')
  if current + 1 > tonumber(ARGV[i]) then return {-i, current} end
end
local counts = {}
for i = 1, n do
  local count = redis.call('INCR', KEYS[i])
  if count == 1 then redis.call('PEXPIREAT', KEYS[i], ARGV[n + i]) end
  counts[i] = count
end
return counts
"""


class RedisCounters:
    """Counters in Redis (``REELWAY_REDIS_URL``), for deployments with many API processes."""

    def __init__(self, url: str, prefix: str = "reelway:rl:") -> None:
        from redis import asyncio as redis_asyncio  # optional dependency: reelway[redis]

        self._client: Any = redis_asyncio.from_url(url)
        self._script: Any = self._client.register_script(_TAKE_SCRIPT)
        self.prefix = prefix

    def _key(self, window: Window) -> str:
        project, _, kind = window.key.rpartition(":")
        return f"{self.prefix}{{{project}}}:{kind}:{int(window.start)}"

    async def take(self, windows: Sequence[Window]) -> Decision:
        ordered = sorted(windows, key=lambda w: (w.key, w.start))
        if not ordered:
            return Decision(())
        keys = [self._key(w) for w in ordered]
        args = [w.limit for w in ordered] + [int(w.end * 1000) + 1000 for w in ordered]
        result = [int(x) for x in await self._script(keys=keys, args=args)]
        if result and result[0] < 0:
            full = ordered[-result[0] - 1]
            return Decision((Count(full, result[1]),), refused=full)
        return Decision(tuple(Count(w, c) for w, c in zip(ordered, result, strict=True)))

    async def close(self) -> None:
        await self._client.aclose()
