"""Paused scopes (``pauses``): the deployment, a project or an engine.

A pause is one row; resuming deletes it.  Pausing a project also marks its queued jobs
``held`` in the same transaction (one UPDATE over the project's index), and migration 0016's
trigger marks the jobs created while it stays paused, so the claim (which reads the
``ix_videos_claim`` range where ``held`` is false) never walks them.  Resuming clears
``held``: the jobs are back in the claim's order (priority, ``run_at``, arrival) untouched.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa

from reelway.store.database import Database
from reelway.store.tables import pauses as pz
from reelway.store.tables import videos as v

DEPLOYMENT_TARGET = ""
"""The deployment's pause row has no target."""


class Scope(Enum):
    DEPLOYMENT = "deployment"
    PROJECT = "project"
    ENGINE = "engine"


@dataclass(frozen=True)
class Pause:
    scope: Scope
    target: str
    paused_by: str
    """``operator``, ``project`` (its own key) or ``budget`` (``pause_at_budget_percent``)."""
    reason: str | None
    on_queued: str | None
    """An engine's queued jobs: ``failover`` along their routes or ``wait``; else None."""
    paused_at: float


def _pause(row: Sequence[Any]) -> Pause:
    scope, target, paused_by, reason, on_queued, paused_at = tuple(row)
    return Pause(Scope(scope), target, paused_by, reason, on_queued, float(paused_at))


_COLUMNS = (pz.c.scope, pz.c.target, pz.c.paused_by, pz.c.reason, pz.c.on_queued, pz.c.paused_at)


def deployment_paused() -> sa.Exists:
    """True while the deployment is paused (uncorrelated: evaluated once per claim)."""
    return sa.exists().where(pz.c.scope == Scope.DEPLOYMENT.value)


def project_paused(project_id: sa.ColumnElement[str]) -> sa.Exists:
    """True while ``project_id``'s project is paused (a primary-key lookup)."""
    return sa.exists().where(pz.c.scope == Scope.PROJECT.value, pz.c.target == project_id)


class PauseStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def pause(
        self,
        scope: Scope,
        target: str,
        *,
        paused_by: str,
        reason: str | None = None,
        on_queued: str | None = None,
    ) -> tuple[Pause, bool]:
        """Pause ``scope``/``target``; (the pause, whether it is new).  Pausing what is already
        paused keeps the first pause (who, when, why) and its options."""
        now = self.clock()

        def run(conn: sa.Connection) -> tuple[Pause, bool]:
            key = (pz.c.scope == scope.value, pz.c.target == target)
            found = conn.execute(sa.select(*_COLUMNS).where(*key)).first()
            if found is not None:
                return _pause(found), False
            conn.execute(
                sa.insert(pz).values(
                    scope=scope.value,
                    target=target,
                    paused_by=paused_by,
                    reason=reason,
                    on_queued=on_queued,
                    paused_at=now,
                )
            )
            if scope is Scope.PROJECT:
                conn.execute(
                    sa.update(v)
                    .where(v.c.project_id == target, v.c.status == "queued", v.c.held.is_(False))
                    .values(held=True)
                )
            return Pause(scope, target, paused_by, reason, on_queued, now), True

        return await self.db.write(run)

    async def resume(self, scope: Scope, target: str) -> Pause | None:
        """Lift the pause; the pause that was lifted, or None when there was none."""

        def run(conn: sa.Connection) -> Pause | None:
            key = (pz.c.scope == scope.value, pz.c.target == target)
            found = conn.execute(sa.delete(pz).where(*key).returning(*_COLUMNS)).first()
            if scope is Scope.PROJECT:
                # Also when no row was found: a job held by a pause lifted half-way is freed.
                conn.execute(
                    sa.update(v)
                    .where(v.c.project_id == target, v.c.held.is_(True))
                    .values(held=False)
                )
            return None if found is None else _pause(found)

        return await self.db.write(run)

    async def get(self, scope: Scope, target: str) -> Pause | None:
        query = sa.select(*_COLUMNS).where(pz.c.scope == scope.value, pz.c.target == target)
        found = await self.db.read(lambda conn: conn.execute(query).first())
        return None if found is None else _pause(found)

    async def all(self) -> list[Pause]:
        """Every pause now, oldest first."""
        query = sa.select(*_COLUMNS).order_by(pz.c.paused_at, pz.c.scope, pz.c.target)
        return await self.db.read(lambda conn: [_pause(r) for r in conn.execute(query)])

    async def engines(self) -> dict[str, Pause]:
        """Paused engines by name (routing reads this before choosing an engine)."""
        query = sa.select(*_COLUMNS).where(pz.c.scope == Scope.ENGINE.value)
        found = await self.db.read(lambda conn: conn.execute(query).all())
        return {row.target: _pause(row) for row in found}

    async def held_count(self, project_id: str) -> int:
        """A paused project's queued jobs waiting for its resume."""
        query = sa.select(sa.func.count()).where(
            v.c.project_id == project_id, v.c.status == "queued", v.c.held.is_(True)
        )
        return int(await self.db.read(lambda conn: conn.execute(query).scalar_one()))
