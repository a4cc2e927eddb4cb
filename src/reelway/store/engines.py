"""Engine state shared by every worker process: circuit breakers, provider back-off, rate
windows and concurrency.

Each decision is one transaction that reads and writes the engine's row (locked with
``FOR UPDATE`` on PostgreSQL; SQLite has a single writer), so two workers on two machines
can never both take the last slot of a window.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.limits import EngineLimits
from reelway.store.database import Database
from reelway.store.pauses import PauseStore
from reelway.store.tables import engine_calls as calls
from reelway.store.tables import engine_state as es
from reelway.store.tables import incidents as inc
from reelway.store.tables import videos as v

WINDOW_MARGIN = 0.02
"""Windows are enforced 2% longer than configured, so clock skew between our count and the
provider's never lets one request too many through."""


INCIDENT_BREAKER = "circuit_open"
"""``incidents.kind`` of a breaker-open period (the only kind recorded today)."""


class Verdict(Enum):
    GO = "go"
    """Submit now; the call is counted."""
    WAIT = "wait"
    """A limit is reached: try again at ``until`` (the job is re-queued, not held)."""
    SKIP = "skip"
    """The circuit breaker is open: use the next engine on the route."""


@dataclass(frozen=True)
class Admission:
    verdict: Verdict
    until: float | None = None
    reason: str = ""
    call_id: int | None = None
    """The counted call (rate-limited engines): ``sent`` moves it to the real send time."""


@dataclass(frozen=True)
class EngineHealth:
    engine: str
    failures: int
    opened_until: float | None
    blocked_until: float | None


class EngineStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def paused(self) -> dict[str, str]:
        """Engines an operator paused (``pauses``), each with what its queued jobs do:
        ``failover`` along their routes or ``wait`` (routing skips them, never tries them)."""
        found = await PauseStore(self.db, self.clock).engines()
        return {name: pause.on_queued or "failover" for name, pause in found.items()}

    async def admit(self, engine: str, video_id: str, limits: EngineLimits) -> Admission:
        """May ``video_id`` be submitted to ``engine`` now?  Counts the call if so."""

        def decide(conn: sa.Connection) -> Admission:
            # The time is read inside the transaction: a write queued behind others must
            # not count its call as made earlier than it is.
            now = self.clock()
            state = _locked_state(conn, engine, now)
            failures, opened_until, blocked_until = state
            if failures >= limits.breaker_failures:
                if opened_until is not None and opened_until > now:
                    return Admission(Verdict.SKIP, opened_until, "circuit breaker open")
                # Half-open: this job probes the engine; others skip it until it answers.
                conn.execute(
                    sa.update(es)
                    .where(es.c.engine == engine)
                    .values(opened_until=now + limits.breaker_cooldown_seconds, updated_at=now)
                )
            if blocked_until is not None and blocked_until > now:
                return Admission(Verdict.WAIT, blocked_until, "provider asked to wait")
            if limits.max_concurrency is not None:
                busy = conn.execute(
                    sa.select(sa.func.count())
                    .select_from(v)
                    .where(
                        v.c.engine == engine,
                        v.c.status == jobs.JobStatus.RUNNING.value,
                        v.c.id != video_id,
                    )
                ).scalar_one()
                if busy >= limits.max_concurrency:
                    return Admission(Verdict.WAIT, now + 1.0, "concurrency limit")
                # Take the slot in this transaction, so the next admission counts it.
                conn.execute(sa.update(v).where(v.c.id == video_id).values(engine=engine))
            for window in limits.windows:
                span = window.seconds * (1 + WINDOW_MARGIN)
                recent = (
                    conn.execute(
                        sa.select(calls.c.at)
                        .where(calls.c.engine == engine, calls.c.at > now - span)
                        .order_by(calls.c.at.desc())
                        .limit(window.requests)
                    )
                    .scalars()
                    .all()
                )
                if len(recent) >= window.requests:
                    # The oldest of the last N calls leaves the window at this time.
                    return Admission(
                        Verdict.WAIT,
                        recent[-1] + span,
                        f"{window.requests} requests per {window.seconds:g} s",
                    )
            call_id = None
            if limits.windows:
                longest = max(w.seconds for w in limits.windows) * (1 + WINDOW_MARGIN)
                call_id = conn.execute(
                    sa.insert(calls).values(engine=engine, at=now).returning(calls.c.id)
                ).scalar_one()
                conn.execute(
                    sa.delete(calls).where(calls.c.engine == engine, calls.c.at < now - longest)
                )
            return Admission(Verdict.GO, call_id=call_id)

        return await self.db.write(decide)

    async def sent(self, call_id: int, at: float) -> None:
        """The call was answered at ``at``: a busy worker or network may deliver it well after
        it was admitted, and the provider counts it when it arrives."""
        await self.db.write(
            lambda conn: conn.execute(
                sa.update(calls).where(calls.c.id == call_id, calls.c.at < at).values(at=at)
            )
        )

    async def record(
        self,
        engine: str,
        limits: EngineLimits,
        *,
        ok: bool,
        retry_after: float | None = None,
    ) -> None:
        """A call's outcome: success closes the breaker; a failure that fails over counts
        towards opening it; ``retry_after`` blocks the engine for every worker."""
        now = self.clock()

        def update(conn: sa.Connection) -> None:
            failures, _, blocked_until = _locked_state(conn, engine, now)
            values: dict[str, Any] = {"updated_at": now}
            if ok:
                values.update(failures=0, opened_until=None)
                if failures:
                    _end_incident(conn, engine, now)
            else:
                values["failures"] = failures + 1
                if failures + 1 >= limits.breaker_failures:
                    values["opened_until"] = now + limits.breaker_cooldown_seconds
                    _open_incident(conn, engine, now)
            if retry_after:
                values["blocked_until"] = max(blocked_until or 0.0, now + retry_after)
            conn.execute(sa.update(es).where(es.c.engine == engine).values(**values))

        await self.db.write(update)

    async def health(self) -> list[EngineHealth]:
        def read(conn: sa.Connection) -> list[EngineHealth]:
            found = conn.execute(
                sa.select(es.c.engine, es.c.failures, es.c.opened_until, es.c.blocked_until)
            ).all()
            return [EngineHealth(*row) for row in found]

        return await self.db.read(read)


def _locked_state(
    conn: sa.Connection, engine: str, now: float
) -> tuple[int, float | None, float | None]:
    """The engine's row, created on first use and locked for this transaction."""
    query = (
        sa.select(es.c.failures, es.c.opened_until, es.c.blocked_until)
        .where(es.c.engine == engine)
        .with_for_update()
    )
    row = conn.execute(query).first()
    if row is None:
        conn.execute(_insert_ignore(conn).values(engine=engine, failures=0, updated_at=now))
        row = conn.execute(query).first()
        assert row is not None
    return int(row[0]), row[1], row[2]


def _open_incident(conn: sa.Connection, engine: str, now: float) -> None:
    """Start the engine's breaker-open incident unless one is open: called under the engine
    row's lock, so of many workers failing at once exactly one inserts it (a half-open probe
    that fails again keeps the incident it belongs to)."""
    found = conn.execute(
        sa.select(inc.c.id).where(inc.c.engine == engine, inc.c.ended_at.is_(None))
    ).first()
    if found is None:
        conn.execute(sa.insert(inc).values(engine=engine, kind=INCIDENT_BREAKER, started_at=now))


def _end_incident(conn: sa.Connection, engine: str, now: float) -> None:
    """The engine answered: its open incident (if any) ends now."""
    ended = sa.update(inc).where(inc.c.engine == engine, inc.c.ended_at.is_(None))
    conn.execute(ended.values(ended_at=now))


def _insert_ignore(conn: sa.Connection) -> Any:
    if conn.dialect.name == "postgresql":
        from sqlalchemy.dialects import postgresql

        return postgresql.insert(es).on_conflict_do_nothing()
    from sqlalchemy.dialects import sqlite

    return sqlite.insert(es).on_conflict_do_nothing()
