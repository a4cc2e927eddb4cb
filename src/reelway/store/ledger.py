"""Money in the job store: reserve with the job row, settle or release with its end.

A reservation is one conditional UPDATE of the project's balance row for the period, so two
processes creating at once cannot both take the last credits (PostgreSQL re-checks the
WHERE clause against the row a concurrent transaction just committed; SQLite has one
writer).  Settlement happens in the same transaction as the job's terminal transition and
only from the ``reserved`` state, so a job is charged once however often workers crash or
fail over.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reelway import errors
from reelway.store import outbox, sqlite, stats
from reelway.store.tables import balances as b
from reelway.store.tables import charges as c
from reelway.store.tables import projects as p

log = logging.getLogger("reelway.events")

BUDGET_ALERTS = (50, 75, 90)
"""Percentages of a project's budget that raise an event, each once per period."""
BUDGET_ALERT_EVENT = outbox.BUDGET_THRESHOLD
RESERVED, SETTLED, RELEASED = "reserved", "settled", "released"
CHARGED_FAILURES = frozenset({"moderation_blocked"})
"""Failure codes that may be charged (``REELWAY_CHARGE_MODERATION_BLOCKED``); every other
failure, and cancellation, releases the reservation."""


@dataclass(frozen=True)
class Reservation:
    """What a new job holds against its project's credits and budget."""

    video_id: str
    project_id: str
    model: str
    size: str
    seconds: int
    relaxed: bool
    period_start: float
    period_end: float
    credits_per_second: int
    usd_micros_per_second: int
    credit_limit: int | None
    """The plan's credits per period; None: credits are counted but not limited."""
    budget_usd_micros: int | None

    @property
    def credits(self) -> int:
        return self.credits_per_second * self.seconds

    @property
    def usd_micros(self) -> int:
        return self.usd_micros_per_second * self.seconds


@dataclass(frozen=True)
class Settlement:
    """How a job ended, for its charge: ``billed_seconds`` (the real duration) and a
    provider-reported cost replace the estimate when known."""

    outcome: str
    billed_seconds: int | None = None
    cost_usd_micros: int | None = None


@dataclass(frozen=True)
class PeriodRow:
    """The period's row as a refusal reads it (``_BALANCE``'s columns)."""

    credits_spent: int
    credits_reserved: int
    usd_micros_spent: int
    usd_micros_reserved: int
    budget_usd_micros: int
    """The budget the hold was refused under (``_BUDGET``; ``NO_LIMIT``: none)."""


def _usd(micros: int) -> str:
    return f"${micros / 1_000_000:,.2f}"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


NO_LIMIT = 2**62
"""Stands for "no credit limit" or "no budget" in the prebuilt reservation statement."""

_BUDGET_NOW = sa.func.coalesce(
    sa.select(p.c.budget_usd_micros).where(p.c.id == sa.bindparam("p_id")).scalar_subquery(),
    NO_LIMIT,
)
"""The project's budget as it stands in this transaction (None: no budget)."""
_BUDGET = sa.case(
    (sa.bindparam("budget", type_=sa.BigInteger) > _BUDGET_NOW, _BUDGET_NOW),
    else_=sa.bindparam("budget", type_=sa.BigInteger),
)
"""The lower of the reservation's budget and the project's current one: a create that read
its project a moment ago (``AccountService.admit`` caches it) is held to a budget lowered
since, and never above the one it was admitted under."""

_CREDITS = sa.bindparam("credits", type_=sa.BigInteger)
_USD = sa.bindparam("usd", type_=sa.BigInteger)
_CREDIT_LIMIT = sa.bindparam("credit_limit", type_=sa.BigInteger)


def _hold_statement(insert: Any, after: Any = None) -> Any:
    """Open the period's balance row holding the reservation, or add it to the row there:
    one upsert, each branch only within the credit limit and the budget (and, given a CTE
    ``after``, only when that made a row)."""
    fits_alone = sa.and_(
        sa.or_(_CREDITS == 0, _CREDITS <= _CREDIT_LIMIT), sa.or_(_USD == 0, _USD <= _BUDGET)
    )
    fits_beside = sa.and_(
        sa.or_(_CREDITS == 0, b.c.credits_reserved + b.c.credits_spent + _CREDITS <= _CREDIT_LIMIT),
        sa.or_(_USD == 0, b.c.usd_micros_reserved + b.c.usd_micros_spent + _USD <= _BUDGET),
    )
    columns = ["project_id", "period_start", "credits_reserved", "usd_micros_reserved"]
    opened = sa.select(
        sa.bindparam("p_id", type_=b.c.project_id.type),
        sa.bindparam("p_start", type_=b.c.period_start.type),
        _CREDITS,
        _USD,
    ).where(fits_alone)  # SQLite needs a WHERE here to read ON CONFLICT as the upsert's
    if after is not None:
        opened = opened.select_from(after)
    return (
        insert(b)
        .from_select(columns, opened)
        .on_conflict_do_update(
            index_elements=[b.c.project_id, b.c.period_start],
            set_={
                "credits_reserved": b.c.credits_reserved + _CREDITS,
                "usd_micros_reserved": b.c.usd_micros_reserved + _USD,
            },
            where=fits_beside,
        )
        .returning(b.c.project_id)
    )


# Built once: SQLAlchemy then compiles each once, and a create pays for execution only.
_HOLD = {
    name: _hold_statement(insert)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgres_insert))
}
_CHARGE_COLUMNS = (
    "video_id", "project_id", "model", "size", "seconds", "relaxed", "day", "period_start",
    "credits_per_second", "usd_micros_per_second", "credits_reserved", "usd_micros_reserved",
    "state", "created_at",
)  # fmt: skip
_CHARGE = sa.insert(c).values({n: sa.bindparam(n, type_=c.c[n].type) for n in _CHARGE_COLUMNS})
_PERIOD = (b.c.project_id == sa.bindparam("p_id"), b.c.period_start == sa.bindparam("p_start"))
_BALANCE = sa.select(
    *(
        sa.func.coalesce(sa.select(column).where(*_PERIOD).scalar_subquery(), 0)
        for column in (
            b.c.credits_spent,
            b.c.credits_reserved,
            b.c.usd_micros_spent,
            b.c.usd_micros_reserved,
        )
    ),
    _BUDGET,
)
"""The period's row as a refusal explains it (zeros when a refusal left no row)."""


def charged_after(inserted: Any) -> Any:
    """PostgreSQL: the hold and the charge row as CTEs that run only when the CTE
    ``inserted`` (the job row's) made a row, so a create is one statement; the CTE of the
    charge rows made (none: refused, see ``refuse``).  Parameters: ``reserve_params``."""
    held = _hold_statement(postgres_insert, inserted).cte("held")
    charge = sa.select(
        *(sa.bindparam(f"c_{n}", type_=c.c[n].type) for n in _CHARGE_COLUMNS)
    ).select_from(held)
    made = sa.insert(c).from_select(list(_CHARGE_COLUMNS), charge).returning(c.c.video_id)
    return made.cte("charged")


def reserve_params(r: Reservation, now: float) -> dict[str, Any]:
    """The parameters of ``charged_after``'s statements."""
    charge = {"video_id": r.video_id, **_charge_row(r, now)}
    return {**_hold_params(r), **{f"c_{name}": value for name, value in charge.items()}}


def refuse(st: sqlite.Statements, r: Reservation) -> None:
    """Raise why the reservation did not fit (``charged_after`` made no charge row)."""
    _refuse(r, st.rows(_BALANCE, _hold_params(r))[0])


def reserve(conn: sa.Connection, r: Reservation, now: float) -> None:
    """``reserve_in`` on a connection (inside the caller's transaction)."""
    reserve_in(sqlite.ConnectionStatements(conn), r, now)


def reserve_in(st: sqlite.Statements, r: Reservation, now: float) -> None:
    """Hold the job's estimated cost, or raise InsufficientCredits / BudgetExceeded (the
    caller's transaction or unit then rolls back, job row included).  A free video (relaxed
    mode) fits even in an overspent period."""
    _hold(st, r)
    st.rows(_CHARGE, {"video_id": r.video_id, **_charge_row(r, now)})


def reserve_again(conn: sa.Connection, r: Reservation, now: float) -> None:
    """Hold a retried job's cost again (a storyboard's shot): its charge row, released or
    settled by the attempt that ended, is reserved anew; what it was charged stays (settling
    adds to it), so nothing is charged twice and nothing is forgotten."""
    _hold(sqlite.ConnectionStatements(conn), r)
    reopened = conn.execute(
        sa.update(c)
        .where(c.c.video_id == r.video_id, c.c.state != RESERVED)
        .values(**_charge_row(r, now), outcome=None, settled_at=None)
    )
    if reopened.rowcount != 1:
        raise ValueError(f"video {r.video_id} has no settled charge to reserve again")


def _hold(st: sqlite.Statements, r: Reservation) -> None:
    """Take the reservation from the period's balance, or refuse it."""
    if not st.rows(_HOLD[st.dialect], _hold_params(r)):
        refuse(st, r)


def _hold_params(r: Reservation) -> dict[str, Any]:
    return {
        "p_id": r.project_id,
        "p_start": r.period_start,
        "credits": r.credits,
        "usd": r.usd_micros,
        "credit_limit": NO_LIMIT if r.credit_limit is None else r.credit_limit,
        "budget": NO_LIMIT if r.budget_usd_micros is None else r.budget_usd_micros,
    }


def _charge_row(r: Reservation, now: float) -> dict[str, Any]:
    """A reserved charge row's columns (all but its video id)."""
    return {
        "project_id": r.project_id,
        "model": r.model,
        "size": r.size,
        "seconds": r.seconds,
        "relaxed": r.relaxed,
        "day": _day(now),
        "period_start": r.period_start,
        "credits_per_second": r.credits_per_second,
        "usd_micros_per_second": r.usd_micros_per_second,
        "credits_reserved": r.credits,
        "usd_micros_reserved": r.usd_micros,
        "state": RESERVED,
        "created_at": now,
    }


def _refuse(r: Reservation, balance: tuple[Any, ...]) -> None:
    """Raise the refusal a reservation met: ``balance`` is the period's row (``_BALANCE``)."""
    row = PeriodRow(*balance)
    renews = _day(r.period_end)
    if r.credit_limit is not None:
        left = r.credit_limit - row.credits_spent - row.credits_reserved
        if r.credits > left:
            held = f", {row.credits_reserved:,} of them held by unfinished videos" * bool(
                row.credits_reserved
            )
            raise errors.InsufficientCredits(
                f"This video needs {r.credits:,} credits ({r.seconds}s at "
                f"{r.credits_per_second}/s); your plan has {max(0, left):,} of "
                f"{r.credit_limit:,} left this period{held}. Credits renew on {renews}. "
                "Try a shorter or smaller video, or relaxed mode if your plan has it.",
                param="seconds",
            )
    budget = row.budget_usd_micros
    left = budget - row.usd_micros_spent - row.usd_micros_reserved
    held = f", {_usd(row.usd_micros_reserved)} of it held by unfinished videos" * bool(
        row.usd_micros_reserved
    )
    raise errors.BudgetExceeded(
        f"This video costs {_usd(r.usd_micros)}; your project's budget has {_usd(max(0, left))} "
        f"of {_usd(budget)} left this period{held}. The budget renews on "
        f"{renews}; ask the operator to raise it.",
        param="seconds",
    )


def settle(
    conn: sa.Connection,
    video_id: str,
    settlement: Settlement,
    now: float,
    *,
    charge_moderation: bool = False,
) -> list[dict[str, Any]]:
    """Charge or release a job's reservation; the budget alerts this raised, if any.

    Does nothing for a job that has no open reservation (already settled, or made before
    the ledger existed).
    """
    charge = conn.execute(
        sa.select(c).where(c.c.video_id == video_id, c.c.state == RESERVED)
    ).first()
    if charge is None:
        return []
    charged = settlement.outcome == "completed" or (
        charge_moderation and settlement.outcome in CHARGED_FAILURES
    )
    credits = usd = 0
    if charged:
        seconds = charge.seconds
        if settlement.billed_seconds is not None:
            seconds = max(0, min(seconds, settlement.billed_seconds))
        credits = charge.credits_per_second * seconds
        usd = charge.usd_micros_per_second * seconds
        if settlement.cost_usd_micros is not None and not charge.relaxed:
            usd = settlement.cost_usd_micros
    done = conn.execute(
        sa.update(c)
        .where(c.c.video_id == video_id, c.c.state == RESERVED)
        .values(
            state=SETTLED if charged else RELEASED,
            credits_charged=c.c.credits_charged + credits,  # a retried shot's adds up
            usd_micros_charged=c.c.usd_micros_charged + usd,
            outcome=settlement.outcome[:64],
            settled_at=now,
        )
    )
    if done.rowcount != 1:
        return []
    stats.charged(conn, charge.model, credits, usd)
    spent = conn.execute(
        sa.update(b)
        .where(b.c.project_id == charge.project_id, b.c.period_start == charge.period_start)
        .values(
            credits_reserved=b.c.credits_reserved - charge.credits_reserved,
            usd_micros_reserved=b.c.usd_micros_reserved - charge.usd_micros_reserved,
            credits_spent=b.c.credits_spent + credits,
            usd_micros_spent=b.c.usd_micros_spent + usd,
        )
        .returning(b.c.usd_micros_spent, b.c.alert_level)
    ).first()
    if spent is None or usd == 0:
        return []
    return _budget_alerts(conn, charge.project_id, charge.period_start, spent, now)


def _budget_alerts(
    conn: sa.Connection, project_id: str, period_start: float, spent: Any, now: float
) -> list[dict[str, Any]]:
    budget = conn.execute(
        sa.select(p.c.budget_usd_micros).where(p.c.id == project_id)
    ).scalar_one_or_none()
    if not budget:
        return []
    percent = spent.usd_micros_spent * 100 / budget
    crossed = [t for t in BUDGET_ALERTS if spent.alert_level < t <= percent]
    if not crossed:
        return []
    conn.execute(
        sa.update(b)
        .where(b.c.project_id == project_id, b.c.period_start == period_start)
        .values(alert_level=max(crossed))
    )
    return [
        outbox.emit(
            conn,
            project_id=project_id,
            event_type=BUDGET_ALERT_EVENT,
            data={
                "project_id": project_id,
                "threshold_percent": threshold,
                "budget_usd": budget / 1_000_000,
                "spent_usd": spent.usd_micros_spent / 1_000_000,
                "period_start": period_start,
            },
            now=now,
            subject_id=project_id,
        )
        for threshold in crossed
    ]


def settle_many(
    conn: sa.Connection, settlements: Iterable[tuple[str, str]], now: float, **options: Any
) -> list[dict[str, Any]]:
    """Settle (video id, outcome) pairs; for bulk transitions such as the reaper's."""
    raised: list[dict[str, Any]] = []
    for video_id, outcome in settlements:
        raised.extend(settle(conn, video_id, Settlement(outcome), now, **options))
    return raised


def log_events(raised: Iterable[dict[str, Any]]) -> None:
    """Say what was raised, once it is committed (webhooks will deliver it too)."""
    for event in raised:
        data = event["data"]
        log.warning(
            "%s: project %s has spent %.2f USD, %d%% of its %.2f USD budget (event %s)",
            event["type"],
            event["project_id"],
            data["spent_usd"],
            data["threshold_percent"],
            data["budget_usd"],
            event["id"],
        )
