"""Projects as accounts (tier, plan, budget, relaxed mode) and what they spent."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import errors, ids, jobs
from reelway.store import rows
from reelway.store.database import Database
from reelway.store.tables import balances as b
from reelway.store.tables import charges as c
from reelway.store.tables import events as e
from reelway.store.tables import projects as p
from reelway.store.tables import queue_counts as qc

EDITABLE = frozenset(
    {
        "tier",
        "plan",
        "budget_usd_micros",
        "relaxed",
        "requests_per_minute",
        "requests_per_day",
        "cycle_anchor",
        "disabled_at",
        "watermark",
        "pause_at_budget_percent",
    }
)
_SELECT_PROJECT = sa.select(*(p.c[name] for name in rows.PROJECT_FIELDS))
_BY_ID = _SELECT_PROJECT.where(p.c.id == sa.bindparam("key"))
_BY_NAME = _SELECT_PROJECT.where(p.c.name == sa.bindparam("key"))


@dataclass(frozen=True)
class Balance:
    """A project's period: credits and money held by unfinished videos, and spent."""

    period_start: float
    credits_reserved: int = 0
    credits_spent: int = 0
    usd_micros_reserved: int = 0
    usd_micros_spent: int = 0
    alert_level: int = 0


@dataclass(frozen=True)
class UsageRow:
    """One day and model of a project's usage report."""

    day: str
    project_id: str
    model: str
    requests: int
    completed: int
    failed: int
    in_progress: int
    relaxed: int
    seconds: int
    credits: int
    usd_micros: int


class AccountStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def create_project(self, name: str, **settings: Any) -> jobs.Project:
        unknown = set(settings) - EDITABLE
        if unknown:
            raise TypeError(f"not a project setting: {sorted(unknown)}")
        now = self.clock()
        values = {"id": ids.new_id("proj"), "name": name, "created_at": now, **settings}

        def create(conn: sa.Connection) -> jobs.Project:
            if conn.execute(sa.select(p.c.id).where(p.c.name == name)).first() is not None:
                raise errors.ProjectExists(
                    f"A project named {errors.show(name)} already exists.", param="name"
                )
            row = conn.execute(sa.insert(p).values(values).returning(*p.c)).one()
            conn.execute(sa.insert(qc).values(project_id=values["id"], queued=0))
            return rows.project_from(row)

        try:
            return await self.db.write(create)
        except sa.exc.IntegrityError:  # a concurrent create with the same name won
            raise errors.ProjectExists(
                f"A project named {errors.show(name)} already exists.", param="name"
            ) from None

    async def update_project(self, project_id: str, changes: Mapping[str, Any]) -> jobs.Project:
        unknown = set(changes) - EDITABLE
        if unknown:
            raise TypeError(f"not a project setting: {sorted(unknown)}")
        if not changes:
            return await self.require(project_id)
        query = sa.update(p).where(p.c.id == project_id).values(dict(changes)).returning(*p.c)
        row = await self.db.write(lambda conn: conn.execute(query).first())
        if row is None:
            raise errors.ProjectNotFound(
                f"No project with id {errors.show(project_id)}.", param="project_id"
            )
        return rows.project_from(row)

    async def get(self, id_or_name: str) -> jobs.Project | None:
        if "\x00" in id_or_name:
            return None  # no id or name has one, and PostgreSQL refuses to even compare it
        for statement in (_BY_ID, _BY_NAME):  # ids first: every create asks by id
            found = await self.db.read_rows(statement, {"key": id_or_name})
            if found:
                return rows.project(found[0])
        return None

    async def require(self, id_or_name: str) -> jobs.Project:
        found = await self.get(id_or_name)
        if found is None:
            raise errors.ProjectNotFound(
                f"No project with id or name {errors.show(id_or_name)}.", param="project_id"
            )
        return found

    async def list_projects(self) -> list[jobs.Project]:
        query = sa.select(p).order_by(p.c.created_at, p.c.name)
        return await self.db.read(
            lambda conn: [rows.project_from(r) for r in conn.execute(query).all()]
        )

    async def balance(self, project_id: str, period_start: float) -> Balance:
        query = sa.select(b).where(b.c.project_id == project_id, b.c.period_start == period_start)
        row = await self.db.read(lambda conn: conn.execute(query).first())
        if row is None:
            return Balance(period_start)
        m = row._mapping
        return Balance(
            period_start=period_start,
            credits_reserved=int(m["credits_reserved"]),
            credits_spent=int(m["credits_spent"]),
            usd_micros_reserved=int(m["usd_micros_reserved"]),
            usd_micros_spent=int(m["usd_micros_spent"]),
            alert_level=int(m["alert_level"]),
        )

    async def usage(self, project_id: str | None, first_day: str, last_day: str) -> list[UsageRow]:
        """Requests, outcomes, seconds, credits and money by UTC day and model (and project
        when ``project_id`` is None: every project)."""
        state = c.c.state
        outcome = c.c.outcome

        def count_if(condition: sa.ColumnElement[bool]) -> Any:
            return sa.func.sum(sa.case((condition, 1), else_=0))

        query = (
            sa.select(
                c.c.day,
                c.c.project_id,
                c.c.model,
                sa.func.count(),
                count_if(outcome == "completed"),
                count_if((state != "reserved") & (sa.func.coalesce(outcome, "") != "completed")),
                count_if(state == "reserved"),
                count_if(c.c.relaxed.is_(True)),
                sa.func.sum(sa.case((outcome == "completed", c.c.seconds), else_=0)),
                sa.func.sum(c.c.credits_charged),
                sa.func.sum(c.c.usd_micros_charged),
            )
            .where(c.c.day >= first_day, c.c.day <= last_day)
            .group_by(c.c.day, c.c.project_id, c.c.model)
            .order_by(c.c.day, c.c.project_id, c.c.model)
        )
        if project_id is not None:
            query = query.where(c.c.project_id == project_id)
        found = await self.db.read(lambda conn: conn.execute(query).all())
        return [
            UsageRow(str(r[0]), str(r[1]), str(r[2]), *(int(x or 0) for x in r[3:])) for r in found
        ]

    async def events(self, project_id: str | None = None, limit: int = 100) -> list[dict[str, Any]]:
        """The newest events, newest first."""
        query = sa.select(e.c.id, e.c.project_id, e.c.type, e.c.data, e.c.created_at)
        if project_id is not None:
            query = query.where(e.c.project_id == project_id)
        ordered = query.order_by(e.c.seq.desc()).limit(limit)
        found = await self.db.read(lambda conn: conn.execute(ordered).all())
        return [dict(r._mapping) for r in found]
