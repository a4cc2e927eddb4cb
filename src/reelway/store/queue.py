"""The worker side of the job store: claims, leases, fenced transitions, the reaper.

Each transition is one conditional UPDATE whose WHERE clause names the states (and the lease
token) it may start from; the returned row tells whether it happened.  A worker whose lease
was taken over can therefore never overwrite the new owner's work (fencing).
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from enum import Enum
from typing import Any

import sqlalchemy as sa

from reelway import errors, jobs
from reelway.store import ledger, outbox, pauses, rows, storyboards
from reelway.store.database import Database
from reelway.store.tables import usage as u
from reelway.store.tables import videos as v
from reelway.store.tables import workers as w

S = jobs.JobStatus


class LeaseLost(Exception):
    """This worker no longer holds the job's lease: another worker or the reaper took it."""


class Heartbeat(Enum):
    OK = "ok"
    CANCEL = "cancel"
    LOST = "lost"


@dataclass(frozen=True)
class ReapReport:
    requeued: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()
    cancelled: tuple[str, ...] = ()

    @property
    def total(self) -> int:
        return len(self.requeued) + len(self.failed) + len(self.cancelled)


_HEARTBEAT = (
    sa.update(v)
    .where(
        v.c.id == sa.bindparam("video_id"),
        v.c.lease_token == sa.bindparam("token"),
        v.c.status == S.RUNNING.value,
    )
    .values(lease_expires_at=sa.bindparam("expires"), progress=sa.bindparam("progress"))
    .returning(v.c.cancel_requested)
)


def _stored(attempts: Sequence[jobs.EngineAttempt]) -> list[dict[str, Any]]:
    """The ``engine_attempts`` column's JSON (the one conversion: ``EngineAttempt.to_json``)."""
    return [attempt.to_json() for attempt in attempts]


class QueueStore:
    """Claims and fenced transitions of video jobs, as workers drive them."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        *,
        charge_moderation: bool = False,
        relaxed_open: Callable[[float], bool] | None = None,
    ) -> None:
        self.db = db
        self.clock = clock
        self.charge_moderation = charge_moderation
        """Whether a video refused by output moderation is charged (the operator's choice)."""
        self.relaxed_open = relaxed_open
        """Whether relaxed jobs may start at a given time; None: always."""

    async def claim(
        self, worker_id: str, lease_seconds: float, *, storyboards: bool = False
    ) -> jobs.Video | None:
        """Take the most urgent runnable job under a fresh lease, or None.  Render slots take
        every kind but storyboards; a worker's storyboard coordinator takes only those."""
        now = self.clock()
        storyboard = jobs.JobKind.STORYBOARD.value
        runnable = [
            v.c.status == S.QUEUED.value,
            v.c.run_at <= now,
            v.c.cancel_requested.is_(False),
            v.c.kind == storyboard if storyboards else v.c.kind != storyboard,
            # Pauses (store/pauses.py): a paused project's jobs are held, outside the claim
            # index's range; the NOT EXISTS catches one queued just as its project paused.
            v.c.held == sa.false(),
            ~pauses.deployment_paused(),
            ~pauses.project_paused(v.c.project_id),
        ]
        if self.relaxed_open is not None and not self.relaxed_open(now):
            runnable.append(v.c.priority > jobs.RELAXED_PRIORITY)
        pick = (
            sa.select(v.c.seq)
            .where(*runnable)
            .order_by(v.c.priority.desc(), v.c.run_at, v.c.seq)
            .limit(1)
            .with_for_update(skip_locked=True)
            .cte("pick")
            .prefix_with("MATERIALIZED")
        )
        query = (
            sa.update(v)
            .where(v.c.seq == pick.c.seq, v.c.status == S.QUEUED.value)
            .values(
                status=S.RUNNING.value,
                lease_token=secrets.token_hex(16),
                lease_owner=worker_id,
                lease_expires_at=now + lease_seconds,
                attempts=v.c.attempts + 1,
                progress=0,
                started_at=sa.func.coalesce(v.c.started_at, now),
            )
        )
        return await self._returning(query)

    def _held(self, video_id: str, lease_token: str) -> sa.Update:
        return sa.update(v).where(
            v.c.id == video_id, v.c.lease_token == lease_token, v.c.status == S.RUNNING.value
        )

    async def heartbeat(
        self, video_id: str, lease_token: str, progress: int, lease_seconds: float
    ) -> Heartbeat:
        params = {
            "video_id": video_id,
            "token": lease_token,
            "expires": self.clock() + lease_seconds,
            "progress": progress,
        }
        beat = await self.db.execute(_HEARTBEAT, params)
        if not beat:
            return Heartbeat.LOST
        return Heartbeat.CANCEL if beat[0][0] else Heartbeat.OK

    async def save_operation(
        self, video_id: str, lease_token: str, engine: str, operation: dict[str, Any] | None
    ) -> None:
        """Record which engine holds the job (and its resumable handle) before waiting on it."""
        await self._finish(
            self._held(video_id, lease_token).values(engine=engine, operation=operation)
        )

    async def complete(
        self,
        video_id: str,
        lease_token: str,
        engine: str,
        assets: dict[str, jobs.Asset],
        retention_seconds: float = 0.0,
        billing: ledger.Settlement | None = None,
        rendered_as: str | None = None,
        rendered_with: Mapping[str, Any] | None = None,
        *,
        usage: bool = True,
    ) -> jobs.Video:
        """Mark the video completed, record its usage and settle its charge, in one
        transaction; ``billing`` carries the real duration or the provider's cost if known,
        ``rendered_as`` what the engine really made when it differs from the job's kind,
        ``rendered_with`` how a local engine made it (what it reported); ``usage`` False for a
        storyboard, whose shots record their own usage."""
        now = self.clock()
        settlement = billing or ledger.Settlement("completed")
        statement = (
            self._held(video_id, lease_token)
            .values(
                status=S.SUCCEEDED.value,
                progress=100,
                completed_at=now,
                expires_at=now + retention_seconds if retention_seconds > 0 else None,
                engine=engine,
                assets={name: asset.to_json() for name, asset in assets.items()},
                error=None,
                rendered_as=rendered_as,
                rendered_with=dict(rendered_with) if rendered_with else None,
                **rows.no_lease(),
            )
            .returning(*v.c)
        )

        def complete_and_record(
            conn: sa.Connection,
        ) -> tuple[jobs.Video | None, list[dict[str, Any]]]:
            done = rows.maybe_video(conn.execute(statement).first())
            raised: list[dict[str, Any]] = []
            if done is not None and usage:
                # The primary key makes a second record for one video impossible.
                conn.execute(
                    sa.insert(u).values(
                        video_id=done.id,
                        project_id=done.project_id,
                        model=done.catalog_model,
                        size=done.size,
                        seconds=int(done.seconds),
                        engine=engine,
                        recorded_at=now,
                    )
                )
            if done is not None:
                raised = ledger.settle(
                    conn, done.id, settlement, now, charge_moderation=self.charge_moderation
                )
                outbox.video_ended(conn, done, now)
            return done, raised

        found, raised = await self.db.write(complete_and_record)
        ledger.log_events(raised)
        if found is None:
            raise LeaseLost()
        return found

    async def fail(
        self, video_id: str, lease_token: str, error: jobs.JobError, engine: str | None = None
    ) -> jobs.Video:
        values: dict[str, Any] = {
            "status": S.FAILED.value,
            "completed_at": self.clock(),
            "error": error.to_json(),
            **rows.no_lease(),
        }
        if engine is not None:
            values["engine"] = engine
        outcome = ledger.Settlement(error.code)
        return await self._finish(self._held(video_id, lease_token).values(values), outcome)

    async def acknowledge_cancel(self, video_id: str, lease_token: str) -> jobs.Video:
        """The worker stopped a job whose cancellation was requested."""
        return await self._finish(
            self._held(video_id, lease_token).values(
                status=S.CANCELLED.value,
                completed_at=self.clock(),
                error=rows.error("cancelled", "The video was cancelled while it was rendering."),
                **rows.no_lease(),
            ),
            ledger.Settlement("cancelled"),
        )

    async def release(self, video_id: str, lease_token: str) -> jobs.Video:
        """Hand a job back to the queue untouched (worker shutdown); not counted as an attempt."""
        return await self._finish(
            self._held(video_id, lease_token)
            .where(v.c.cancel_requested.is_(False))
            .values(
                status=S.QUEUED.value,
                run_at=self.clock(),
                attempts=v.c.attempts - 1,
                progress=0,
                **rows.no_lease(),
            )
        )

    async def failover(
        self, video_id: str, lease_token: str, attempts: Sequence[jobs.EngineAttempt]
    ) -> jobs.Video:
        """The current engine failed in a way another may not: record it and drop its handle,
        keeping the lease (the worker goes straight on to the next engine)."""
        return await self._finish(
            self._held(video_id, lease_token).values(
                engine=None, operation=None, progress=0, engine_attempts=_stored(attempts)
            )
        )

    async def defer(
        self,
        video_id: str,
        lease_token: str,
        run_at: float,
        attempts: Sequence[jobs.EngineAttempt] | None = None,
    ) -> jobs.Video:
        """Put the job back in the queue until ``run_at`` (an engine's limit is reached, or its
        circuit breaker is open); waiting is not an attempt, and no coroutine sleeps on it."""
        values: dict[str, Any] = {
            "status": S.QUEUED.value,
            "run_at": run_at,
            "attempts": v.c.attempts - 1,
            "progress": 0,
            **rows.no_lease(),
        }
        if attempts is not None:
            values["engine_attempts"] = _stored(attempts)
        return await self._finish(
            self._held(video_id, lease_token).where(v.c.cancel_requested.is_(False)).values(values)
        )

    async def source(self, video_id: str) -> jobs.Video | None:
        """Any video by id (the source of a remix), deleted or not."""
        statement = sa.select(*v.c).where(v.c.id == video_id)
        return await self.db.read(lambda conn: rows.maybe_video(conn.execute(statement).first()))

    async def shots(self, storyboard_id: str) -> list[jobs.Video]:
        """A storyboard's shots in order (its coordinator's view)."""
        query = sa.select(*v.c).where(v.c.storyboard_id == storyboard_id)
        found = await self.db.read(lambda conn: [rows.video(r) for r in conn.execute(query)])
        return sorted(found, key=lambda shot: shot.sources.shot_index or 0)

    async def release_shot(self, video_id: str) -> bool:
        """A waiting ``continue`` shot may run now (the shot before it succeeded); False when
        it was not waiting (already released, cancelled)."""
        return await self.db.write(lambda conn: storyboards.release(conn, video_id, self.clock()))

    async def cancel_unfinished_shots(self, storyboard_id: str, message: str) -> list[str]:
        """A shot failed: the storyboard's other unfinished shots stop, their reservations
        released (finished shots are kept, and charged)."""
        return await self.db.write(
            lambda conn: storyboards.cancel_shots(conn, storyboard_id, self.clock(), message)
        )

    async def requeue(self, video_id: str, lease_token: str, delay_seconds: float) -> jobs.Video:
        """Try again later after a worker-side error; the attempt still counts."""
        return await self._finish(
            self._held(video_id, lease_token)
            .where(v.c.cancel_requested.is_(False))
            .values(
                status=S.QUEUED.value,
                run_at=self.clock() + delay_seconds,
                progress=0,
                **rows.no_lease(),
            )
        )

    async def _finish(
        self, query: sa.Update, settlement: ledger.Settlement | None = None
    ) -> jobs.Video:
        """A fenced transition; one that ends the job settles its charge in the same
        transaction."""
        if settlement is None:
            found = await self._returning(query)
        else:
            statement = query.returning(*v.c)
            now = self.clock()

            def end(conn: sa.Connection) -> tuple[jobs.Video | None, list[dict[str, Any]]]:
                ended = rows.maybe_video(conn.execute(statement).first())
                if ended is None:
                    return None, []
                raised = ledger.settle(
                    conn, ended.id, settlement, now, charge_moderation=self.charge_moderation
                )
                outbox.video_ended(conn, ended, now)
                return ended, raised

            found, raised = await self.db.write(end)
            ledger.log_events(raised)
        if found is None:
            raise LeaseLost()
        return found

    async def _returning(self, query: sa.Update) -> jobs.Video | None:
        """Run a conditional UPDATE; the row after it, or None when nothing matched."""
        statement = query.returning(*v.c)
        return await self.db.write(lambda conn: rows.maybe_video(conn.execute(statement).first()))

    # ------------------------------------------------------------------ maintenance

    async def reap(self) -> ReapReport:
        """Recover jobs whose worker vanished and fail jobs past their deadline."""
        now = self.clock()
        lapsed = sa.and_(v.c.status == S.RUNNING.value, v.c.lease_expires_at < now)
        statements: list[tuple[str, sa.Update]] = [
            (
                "cancelled",
                sa.update(v)
                .where(lapsed, v.c.cancel_requested.is_(True))
                .values(
                    status=S.CANCELLED.value,
                    completed_at=now,
                    error=rows.error("cancelled", "The video was cancelled."),
                    **rows.no_lease(),
                ),
            ),
            (
                "failed",
                sa.update(v)
                .where(
                    v.c.status.in_([S.QUEUED.value, S.RUNNING.value]),
                    v.c.deadline_at.is_not(None),
                    v.c.deadline_at < now,
                )
                .values(
                    status=S.FAILED.value,
                    completed_at=now,
                    error=rows.error(errors.DeadlineExceeded.code, errors.DEADLINE_MESSAGE),
                    **rows.no_lease(),
                ),
            ),
            (
                "failed",
                sa.update(v)
                .where(lapsed, v.c.attempts >= v.c.max_attempts)
                .values(
                    status=S.FAILED.value,
                    completed_at=now,
                    error=rows.error(
                        errors.WorkerLost.code,
                        "The workers rendering this video stopped responding "
                        "several times; try again, and tell the operator if it repeats.",
                    ),
                    **rows.no_lease(),
                ),
            ),
            (
                "requeued",
                sa.update(v)
                .where(lapsed)
                .values(status=S.QUEUED.value, run_at=now, progress=0, **rows.no_lease()),
            ),
        ]

        def run(conn: sa.Connection) -> tuple[dict[str, list[str]], list[dict[str, Any]]]:
            found: dict[str, list[str]] = {"requeued": [], "failed": [], "cancelled": []}
            ended: list[jobs.Video] = []
            for kind, statement in statements:
                for row in conn.execute(statement.returning(*v.c)):
                    video = rows.video(row)
                    found[kind].append(video.id)
                    if kind != "requeued":
                        ended.append(video)
            raised = ledger.settle_many(
                conn,
                [(video.id, video.error.code if video.error else "failed") for video in ended],
                now,
                charge_moderation=self.charge_moderation,
            )
            for video in ended:
                outbox.video_ended(conn, video, now)
                if video.kind is jobs.JobKind.STORYBOARD:  # its shots stop with it
                    storyboards.cancel_shots(conn, video.id, now)
            return found, raised

        found, raised = await self.db.write(run)
        ledger.log_events(raised)
        return ReapReport(
            requeued=tuple(found["requeued"]),
            failed=tuple(found["failed"]),
            cancelled=tuple(found["cancelled"]),
        )

    async def held_leases(self, video_ids: Collection[str]) -> dict[str, str]:
        """The lease token of each of these videos that a worker holds now (a lapsed lease
        counts until the reaper takes it away: its worker may only be cut off for a while)."""
        if not video_ids:
            return {}
        statement = sa.select(v.c.id, v.c.lease_token).where(
            v.c.id.in_(sorted(video_ids)),
            v.c.status == S.RUNNING.value,
            v.c.lease_token.is_not(None),
        )
        found = await self.db.read(lambda conn: conn.execute(statement).all())
        return {str(row.id): str(row.lease_token) for row in found}

    # ------------------------------------------------------------------ worker registry

    async def worker_seen(
        self,
        worker_id: str,
        hostname: str,
        pid: int,
        started_at: float,
        devices: Sequence[Mapping[str, Any]] | None = None,
        slots: int | None = None,
    ) -> None:
        """Check a worker in; ``devices`` is its devices' state now (``DeviceState.as_dict``),
        stored as given, None when it keeps none; ``slots`` its render slots (``/ready``)."""
        now = self.clock()
        kept: Any = [dict(device) for device in devices] if devices else sa.null()

        def upsert(conn: sa.Connection) -> None:
            updated = conn.execute(
                sa.update(w)
                .where(w.c.id == worker_id)
                .values(seen_at=now, devices=kept, slots=slots)
            )
            if updated.rowcount == 0:
                conn.execute(
                    sa.insert(w).values(
                        id=worker_id,
                        hostname=hostname,
                        pid=pid,
                        started_at=started_at,
                        seen_at=now,
                        devices=kept,
                        slots=slots,
                    )
                )

        await self.db.write(upsert)

    async def worker_gone(self, worker_id: str) -> None:
        await self.db.write(lambda conn: conn.execute(sa.delete(w).where(w.c.id == worker_id)))
