"""Batches (``/v1/batches``): the batch rows, their lines, the coordinator's lease, and the
end of a batch's unfinished lines.

A batch is stepped by one coordinator at a time: ``claim`` takes a batch whose lease has
lapsed (``lease_until`` doubles as "look again at": ``release`` sets it a poll ahead), and
every write to the batch row is fenced on the lease's owner, so a coordinator that lost its
lease changes nothing.  Lines are written idempotently (a line's video is found again through
its Idempotency-Key), so a second coordinator redoing a step never queues a line twice.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import jobs
from reelway.store import ledger, outbox, rows
from reelway.store.database import Database
from reelway.store.tables import batch_lines as bl
from reelway.store.tables import batches as b
from reelway.store.tables import videos as v

S = jobs.JobStatus
ACTIVE = ("validating", "in_progress", "finalizing", "cancelling")
"""The statuses a coordinator still has work for."""
ENDED = ("completed", "failed", "expired", "cancelled")
EVENTS = {
    "completed": "batch.completed",
    "failed": "batch.failed",
    "expired": "batch.expired",
    "cancelled": "batch.cancelled",
}
"""The webhook event each end raises (the SDK's ``Batch*WebhookEvent`` types)."""
STAMPS = {
    "in_progress": "in_progress_at",
    "finalizing": "finalizing_at",
    "completed": "completed_at",
    "failed": "failed_at",
    "expired": "expired_at",
    "cancelling": "cancelling_at",
    "cancelled": "cancelled_at",
}


@dataclass(frozen=True)
class Batch:
    """A batch row, in the table's column order."""

    seq: int
    id: str
    project_id: str
    status: str
    endpoint: str
    completion_window: str
    input_file_id: str
    metadata: dict[str, str] | None
    errors: list[dict[str, Any]] | None
    request_id: str | None
    created_at: float
    expires_at: float
    in_progress_at: float | None
    finalizing_at: float | None
    completed_at: float | None
    failed_at: float | None
    expired_at: float | None
    cancelling_at: float | None
    cancelled_at: float | None
    output_file_id: str | None
    error_file_id: str | None
    total: int
    completed: int
    failed: int
    lease_owner: str | None
    lease_until: float


@dataclass(frozen=True)
class Line:
    """One input line: its request until queued, then its video or its refusal."""

    batch_id: str
    line: int
    custom_id: str | None
    body: dict[str, Any] | None
    video_id: str | None = None
    status_code: int | None = None
    error: dict[str, Any] | None = None
    """The refusal's error object (``{"code", "message", ...}``) or an end's (expired)."""
    video: jobs.Video | None = None
    """The line's video as it is now (read by ``lines``)."""


_LINE_COLUMNS = len(bl.c)


def _batch(row: Sequence[Any]) -> Batch:
    return Batch(*row)


def _line(row: Sequence[Any]) -> Line:
    joined = len(row) > _LINE_COLUMNS and row[_LINE_COLUMNS] is not None
    video = rows.video(row[_LINE_COLUMNS:]) if joined else None
    batch_id, line, custom_id, body, video_id, status_code, error = row[:_LINE_COLUMNS]
    return Line(batch_id, line, custom_id, body, video_id, status_code, error, video)


class BatchStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    # ------------------------------------------------------------------ API side

    async def insert(self, values: dict[str, Any]) -> Batch:
        def add(conn: sa.Connection) -> Batch:
            conn.execute(sa.insert(b).values(**values))
            return _batch(conn.execute(sa.select(b).where(b.c.id == values["id"])).one())

        return await self.db.write(add)

    async def get(self, project_id: str, batch_id: str) -> Batch | None:
        query = sa.select(b).where(b.c.id == batch_id, b.c.project_id == project_id)
        found = await self.db.read(lambda conn: conn.execute(query).first())
        return None if found is None else _batch(found)

    async def list_page(
        self, project_id: str, *, after: str | None, limit: int
    ) -> tuple[list[Batch], bool]:
        """Newest first; ``LookupError`` when ``after`` names none of the project's batches."""

        def page(conn: sa.Connection) -> tuple[list[Batch], bool]:
            query = sa.select(b).where(b.c.project_id == project_id)
            if after is not None:
                cursor = conn.execute(
                    sa.select(b.c.seq).where(b.c.id == after, b.c.project_id == project_id)
                ).scalar()
                if cursor is None:
                    raise LookupError(after)
                query = query.where(b.c.seq < cursor)
            found = conn.execute(query.order_by(b.c.seq.desc()).limit(limit + 1)).all()
            return [_batch(r) for r in found[:limit]], len(found) > limit

        return await self.db.read(page)

    async def request_cancel(self, project_id: str, batch_id: str) -> Batch | None:
        """Move a running batch to ``cancelling`` (its coordinator ends its lines), and make it
        due at once; a batch that is cancelling already or has ended is returned as it is."""
        now = self.clock()

        def cancel(conn: sa.Connection) -> Batch | None:
            conn.execute(
                sa.update(b)
                .where(
                    b.c.id == batch_id,
                    b.c.project_id == project_id,
                    b.c.status.in_(("validating", "in_progress")),
                )
                .values(
                    status="cancelling",
                    cancelling_at=now,
                    lease_until=sa.case((b.c.lease_owner.is_(None), now), else_=b.c.lease_until),
                )
            )
            found = conn.execute(
                sa.select(b).where(b.c.id == batch_id, b.c.project_id == project_id)
            ).first()
            return None if found is None else _batch(found)

        return await self.db.write(cancel)

    # ------------------------------------------------------------------ the coordinator's lease

    async def claim(self, owner: str, lease_seconds: float) -> Batch | None:
        """A batch with work to do whose lease has lapsed (or which was released), now held
        by ``owner``; None when there is none."""
        now = self.clock()

        def take(conn: sa.Connection) -> Batch | None:
            candidates = conn.execute(
                sa.select(b.c.id)
                .where(b.c.status.in_(ACTIVE), b.c.lease_until <= now)
                .order_by(b.c.lease_until)
                .limit(5)
            ).all()
            for (batch_id,) in candidates:
                taken = conn.execute(
                    sa.update(b)
                    .where(b.c.id == batch_id, b.c.status.in_(ACTIVE), b.c.lease_until <= now)
                    .values(lease_owner=owner, lease_until=now + lease_seconds)
                    .returning(*b.c)
                ).first()
                if taken is not None:
                    return _batch(taken)
            return None

        return await self.db.write(take)

    async def renew(self, batch_id: str, owner: str, lease_seconds: float) -> Batch | None:
        """Extend the lease; None if ``owner`` no longer holds it."""
        query = (
            sa.update(b)
            .where(b.c.id == batch_id, b.c.lease_owner == owner)
            .values(lease_until=self.clock() + lease_seconds)
            .returning(*b.c)
        )
        found = await self.db.write(lambda conn: conn.execute(query).first())
        return None if found is None else _batch(found)

    async def release(self, batch_id: str, owner: str, delay_seconds: float) -> None:
        """Let go of the batch; any coordinator may take it again ``delay_seconds`` from now."""
        query = (
            sa.update(b)
            .where(b.c.id == batch_id, b.c.lease_owner == owner)
            .values(lease_owner=None, lease_until=self.clock() + delay_seconds)
        )
        await self.db.write(lambda conn: conn.execute(query))

    # ------------------------------------------------------------------ steps

    async def add_lines(self, batch_id: str, owner: str, lines: Sequence[Line]) -> bool:
        """Store the parsed lines and move the batch to ``in_progress`` in one transaction
        (a cancelled one stays ``cancelling``); False if ``owner`` lost the lease first."""
        now = self.clock()
        values = [
            {
                "batch_id": batch_id,
                "line": line.line,
                "custom_id": line.custom_id,
                "body": line.body,
                "video_id": None,
                "status_code": line.status_code,
                "error": line.error,
            }
            for line in lines
        ]

        def add(conn: sa.Connection) -> bool:
            held = conn.execute(
                sa.select(b.c.status).where(b.c.id == batch_id, b.c.lease_owner == owner)
            ).scalar()
            if held is None:
                return False
            conn.execute(sa.delete(bl).where(bl.c.batch_id == batch_id))
            for start in range(0, len(values), 1000):
                conn.execute(sa.insert(bl), values[start : start + 1000])
            update = sa.update(b).where(b.c.id == batch_id).values(total=len(values))
            if held == "validating":
                update = update.values(status="in_progress", in_progress_at=now)
            conn.execute(update)
            return True

        return await self.db.write(add)

    async def pending(self, batch_id: str, limit: int) -> list[Line]:
        """Lines not yet queued nor refused, in order."""
        query = (
            sa.select(bl)
            .where(bl.c.batch_id == batch_id, bl.c.video_id.is_(None), bl.c.error.is_(None))
            .order_by(bl.c.line)
            .limit(limit)
        )
        found = await self.db.read(lambda conn: conn.execute(query).all())
        return [_line(r) for r in found]

    async def set_outcomes(self, batch_id: str, outcomes: Sequence[Line]) -> None:
        """Record what each line became: its video, or its refusal (the request no longer
        needed: the body is dropped)."""

        def write(conn: sa.Connection) -> None:
            for line in outcomes:
                conn.execute(
                    sa.update(bl)
                    .where(bl.c.batch_id == batch_id, bl.c.line == line.line)
                    .values(
                        video_id=line.video_id,
                        status_code=line.status_code,
                        error=line.error,
                        body=None,
                    )
                )

        await self.db.write(write)

    async def lines(self, batch_id: str) -> list[Line]:
        """Every line with its video as it is now, in order."""
        query = (
            sa.select(bl, v)
            .select_from(bl.outerjoin(v, v.c.id == bl.c.video_id))
            .where(bl.c.batch_id == batch_id)
            .order_by(bl.c.line)
        )
        found = await self.db.read(lambda conn: conn.execute(query).all())
        return [_line(r) for r in found]

    async def unfinished(self, batch_id: str) -> int:
        """Lines not yet ended: not queued yet, or whose video has not ended."""
        query = (
            sa.select(sa.func.count())
            .select_from(bl.outerjoin(v, v.c.id == bl.c.video_id))
            .where(
                bl.c.batch_id == batch_id,
                sa.or_(
                    sa.and_(bl.c.video_id.is_(None), bl.c.error.is_(None)),
                    v.c.status.in_((S.QUEUED.value, S.RUNNING.value)),
                ),
            )
        )
        return int(await self.db.read(lambda conn: conn.execute(query).scalar() or 0))

    async def end_unfinished(self, batch_id: str, code: str, message: str) -> int:
        """The window ended or the batch was cancelled: lines not yet queued end with
        ``code``; queued videos are cancelled and their holds refunded; running ones stop at
        their worker's next heartbeat.  Returns how many videos are still running."""
        now = self.clock()
        error = rows.error(code, message)
        of_batch = v.c.id.in_(
            sa.select(bl.c.video_id).where(bl.c.batch_id == batch_id, bl.c.video_id.isnot(None))
        )

        def end(conn: sa.Connection) -> int:
            conn.execute(
                sa.update(bl)
                .where(bl.c.batch_id == batch_id, bl.c.video_id.is_(None), bl.c.error.is_(None))
                .values(error=error, body=None)
            )
            queued = conn.execute(
                sa.update(v)
                .where(of_batch, v.c.status == S.QUEUED.value)
                .values(status=S.CANCELLED.value, completed_at=now, error=error, **rows.no_lease())
                .returning(*v.c)
            ).all()
            for row in queued:
                video = rows.video(row)
                ledger.settle(conn, video.id, ledger.Settlement("cancelled"), now)
                outbox.video_ended(conn, video, now)
            running = conn.execute(
                sa.update(v)
                .where(of_batch, v.c.status == S.RUNNING.value)
                .values(cancel_requested=True)
                .returning(v.c.id)
            ).all()
            return len(running)

        return await self.db.write(end)

    async def move(self, batch_id: str, owner: str, status: str) -> bool:
        """A fenced status change (``finalizing``), stamped."""
        query = (
            sa.update(b)
            .where(b.c.id == batch_id, b.c.lease_owner == owner)
            .values(status=status, **{STAMPS[status]: self.clock()})
        )
        done = await self.db.write(lambda conn: conn.execute(query).rowcount)
        return bool(done)

    async def finish(
        self,
        batch: Batch,
        owner: str,
        status: str,
        *,
        counts: tuple[int, int, int] | None = None,
        output_file_id: str | None = None,
        error_file_id: str | None = None,
        failures: list[dict[str, Any]] | None = None,
    ) -> bool:
        """End the batch (fenced on the lease) and raise its webhook event in the same
        transaction.  ``counts``: total, completed, failed."""
        now = self.clock()
        values: dict[str, Any] = {
            "status": status,
            STAMPS[status]: now,
            "output_file_id": output_file_id,
            "error_file_id": error_file_id,
            "lease_owner": None,
        }
        if counts is not None:
            values.update(total=counts[0], completed=counts[1], failed=counts[2])
        if failures is not None:
            values["errors"] = failures

        def end(conn: sa.Connection) -> bool:
            done = conn.execute(
                sa.update(b)
                .where(b.c.id == batch.id, b.c.lease_owner == owner, b.c.status.in_(ACTIVE))
                .values(**values)
            ).rowcount
            if not done:
                return False
            outbox.emit(
                conn,
                project_id=batch.project_id,
                event_type=EVENTS[status],
                data={"id": batch.id},
                now=now,
                subject_id=batch.id,
            )
            return True

        return await self.db.write(end)
