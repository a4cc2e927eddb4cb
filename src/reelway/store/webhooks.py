"""Webhook endpoints and the delivery side of the outbox.

Deliveries are claimed like jobs: a conditional UPDATE under a lease (``FOR UPDATE SKIP
LOCKED`` on PostgreSQL), so any number of processes deliver without sending one attempt
twice at once, and a process that dies mid-attempt only delays it until its lease lapses.
Every outcome is recorded with the lease token as a fence.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import ids
from reelway.store import outbox, stats
from reelway.store.database import Database
from reelway.store.tables import webhook_deliveries as d
from reelway.store.tables import webhook_endpoints as we


@dataclass(frozen=True)
class Endpoint:
    seq: int
    id: str
    project_id: str
    name: str
    url: str
    event_types: tuple[str, ...]
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: float | None
    created_at: float
    updated_at: float
    failing_since: float | None
    disabled_at: float | None
    disabled_reason: str | None

    def secrets_at(self, now: float) -> list[str]:
        """The secrets a delivery is signed with now: the current one, and the previous one
        while a rotation's overlap lasts."""
        found = [self.secret]
        expires = self.previous_secret_expires_at
        if self.previous_secret and expires is not None and expires > now:
            found.append(self.previous_secret)
        return found


@dataclass(frozen=True)
class Delivery:
    id: str
    endpoint_id: str
    project_id: str
    event_id: str
    event_type: str
    payload: str
    status: str
    attempts: int
    next_attempt_at: float
    lease_token: str | None
    last_attempt_at: float | None
    last_status_code: int | None
    last_error: str | None
    created_at: float
    finished_at: float | None


@dataclass(frozen=True)
class Claimed:
    delivery: Delivery
    endpoint: Endpoint


@dataclass(frozen=True)
class Outcome:
    """What one attempt gave: an HTTP status, or an error before any answer."""

    status_code: int | None
    error: str | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


_DELIVERY_COLUMNS = [
    d.c.id,
    d.c.endpoint_id,
    d.c.project_id,
    d.c.event_id,
    d.c.event_type,
    d.c.payload,
    d.c.status,
    d.c.attempts,
    d.c.next_attempt_at,
    d.c.lease_token,
    d.c.last_attempt_at,
    d.c.last_status_code,
    d.c.last_error,
    d.c.created_at,
    d.c.finished_at,
]


def _endpoint(row: Sequence[Any]) -> Endpoint:
    values = dict(zip([c.name for c in we.c], row, strict=True))
    values["event_types"] = tuple(values["event_types"] or ())
    return Endpoint(**values)


def _delivery(row: Sequence[Any]) -> Delivery:
    return Delivery(*row)


def _owned(conn: sa.Connection, project_id: str, endpoint_id: str) -> Endpoint | None:
    """The project's endpoint with this id, as it is now."""
    if not ids.well_formed(endpoint_id):
        return None
    row = conn.execute(
        sa.select(*we.c).where(we.c.id == endpoint_id, we.c.project_id == project_id)
    ).first()
    return None if row is None else _endpoint(row)


class WebhookStore:
    """Endpoints a project registers, and the outbox rows workers deliver."""

    def __init__(
        self,
        db: Database,
        clock: Callable[[], float] = time.time,
        *,
        retry_schedule: Sequence[float] = (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400),
        disable_after_seconds: float = 3 * 24 * 3600.0,
    ) -> None:
        self.db = db
        self.clock = clock
        self.retry_schedule = tuple(retry_schedule)
        self.disable_after_seconds = disable_after_seconds

    # ------------------------------------------------------------------ endpoints

    async def create(
        self,
        project_id: str,
        endpoint_id: str,
        name: str,
        url: str,
        event_types: list[str],
        secret: str,
    ) -> Endpoint:
        now = self.clock()
        values = {
            "id": endpoint_id,
            "project_id": project_id,
            "name": name,
            "url": url,
            "event_types": event_types,
            "secret": secret,
            "created_at": now,
            "updated_at": now,
        }

        def insert(conn: sa.Connection) -> Endpoint:
            conn.execute(sa.insert(we).values(values))
            created = _owned(conn, project_id, endpoint_id)
            assert created is not None
            return created

        return await self.db.write(insert)

    async def get(self, project_id: str, endpoint_id: str) -> Endpoint | None:
        return await self.db.read(lambda conn: _owned(conn, project_id, endpoint_id))

    async def owner(self, endpoint_id: str) -> str | None:
        """The project an endpoint belongs to (for the operator's CLI, which has no key)."""
        statement = sa.select(we.c.project_id).where(we.c.id == endpoint_id)
        return await self.db.read(lambda conn: conn.execute(statement).scalar_one_or_none())

    async def list_page(
        self, project_id: str, *, after: str | None, limit: int
    ) -> tuple[list[Endpoint], bool]:
        """Newest first; ``after`` is the id of the last endpoint of the previous page."""

        def page(conn: sa.Connection) -> tuple[list[Endpoint], bool]:
            query = sa.select(*we.c).where(we.c.project_id == project_id)
            if after and not ids.well_formed(after):
                return [], False
            if after:
                cursor = conn.execute(
                    sa.select(we.c.seq).where(we.c.id == after, we.c.project_id == project_id)
                ).scalar_one_or_none()
                if cursor is None:
                    return [], False
                query = query.where(we.c.seq < cursor)
            found = conn.execute(query.order_by(we.c.seq.desc()).limit(limit + 1)).all()
            return [_endpoint(r) for r in found[:limit]], len(found) > limit

        return await self.db.read(page)

    async def update(
        self, project_id: str, endpoint_id: str, changes: dict[str, Any], *, enable: bool = False
    ) -> Endpoint | None:
        """Change name, url or event types (an unchanged value does not advance
        ``updated_at``); ``enable`` turns a disabled endpoint back on."""

        def run(conn: sa.Connection) -> Endpoint | None:
            current = _owned(conn, project_id, endpoint_id)
            if current is None:
                return None
            values = {
                key: value
                for key, value in changes.items()
                if value != getattr(current, key)
                and not (key == "event_types" and tuple(value) == current.event_types)
            }
            if values:
                values["updated_at"] = self.clock()
            if enable and current.disabled_at is not None:
                values.update(disabled_at=None, disabled_reason=None, failing_since=None)
            if values:
                conn.execute(sa.update(we).where(we.c.id == endpoint_id).values(values))
            return _owned(conn, project_id, endpoint_id)

        return await self.db.write(run)

    async def rotate(
        self, project_id: str, endpoint_id: str, new_secret: str, keep_old_seconds: float
    ) -> Endpoint | None:
        """A new signing secret; the old one keeps signing beside it for ``keep_old_seconds``."""
        now = self.clock()

        def run(conn: sa.Connection) -> Endpoint | None:
            current = _owned(conn, project_id, endpoint_id)
            if current is None:
                return None
            keep = keep_old_seconds > 0
            conn.execute(
                sa.update(we)
                .where(we.c.id == endpoint_id)
                .values(
                    secret=new_secret,
                    previous_secret=current.secret if keep else None,
                    previous_secret_expires_at=now + keep_old_seconds if keep else None,
                    updated_at=now,
                )
            )
            return _owned(conn, project_id, endpoint_id)

        return await self.db.write(run)

    async def delete(self, project_id: str, endpoint_id: str) -> bool:
        """Remove the endpoint; its undelivered events are cancelled, never sent."""
        now = self.clock()

        def run(conn: sa.Connection) -> bool:
            if not ids.well_formed(endpoint_id):
                return False
            gone = conn.execute(
                sa.delete(we).where(we.c.id == endpoint_id, we.c.project_id == project_id)
            )
            if gone.rowcount != 1:
                return False
            conn.execute(
                sa.update(d)
                .where(d.c.endpoint_id == endpoint_id, d.c.status.in_([outbox.PENDING]))
                .values(status=outbox.CANCELLED, finished_at=now, last_error="endpoint deleted")
            )
            return True

        return await self.db.write(run)

    # ------------------------------------------------------------------ deliveries

    async def deliveries(
        self, project_id: str, endpoint_id: str | None = None, limit: int = 50
    ) -> list[Delivery]:
        """The newest deliveries of a project (or of one of its endpoints)."""
        query = sa.select(*_DELIVERY_COLUMNS).where(d.c.project_id == project_id)
        if endpoint_id is not None:
            query = query.where(d.c.endpoint_id == endpoint_id)
        query = query.order_by(d.c.seq.desc()).limit(limit)
        return await self.db.read(lambda conn: [_delivery(r) for r in conn.execute(query)])

    async def claim(self, owner: str, limit: int, lease_seconds: float) -> list[Claimed]:
        """Take up to ``limit`` due deliveries under a lease (lapsed leases first go back)."""
        now = self.clock()
        token = f"{owner}:{secrets.token_hex(8)}"
        pick = (
            sa.select(d.c.seq)
            .where(d.c.status == outbox.PENDING, d.c.next_attempt_at <= now)
            .order_by(d.c.next_attempt_at, d.c.seq)
            .limit(limit)
            .with_for_update(skip_locked=True)
            .cte("pick")
            .prefix_with("MATERIALIZED")
        )
        claim = (
            sa.update(d)
            .where(d.c.seq == pick.c.seq, d.c.status == outbox.PENDING)
            .values(
                status=outbox.SENDING,
                lease_token=token,
                lease_expires_at=now + lease_seconds,
                attempts=d.c.attempts + 1,
            )
            .returning(*_DELIVERY_COLUMNS)
        )
        lapsed = (
            sa.update(d)
            .where(d.c.status == outbox.SENDING, d.c.lease_expires_at < now)
            .values(status=outbox.PENDING, lease_token=None, lease_expires_at=None)
        )

        def run(conn: sa.Connection) -> list[Claimed]:
            conn.execute(lapsed)
            taken = [_delivery(r) for r in conn.execute(claim)]
            if not taken:
                return []
            ids = {t.endpoint_id for t in taken}
            endpoints = {
                row.id: _endpoint(row)
                for row in conn.execute(sa.select(*we.c).where(we.c.id.in_(ids)))
            }
            claimed = []
            for delivery in sorted(taken, key=lambda t: t.next_attempt_at):
                endpoint = endpoints.get(delivery.endpoint_id)
                if endpoint is None or endpoint.disabled_at is not None:
                    conn.execute(
                        sa.update(d)
                        .where(d.c.id == delivery.id)
                        .values(
                            status=outbox.CANCELLED,
                            finished_at=now,
                            lease_token=None,
                            lease_expires_at=None,
                            last_error="endpoint deleted or disabled",
                        )
                    )
                    continue
                claimed.append(Claimed(delivery, endpoint))
            return claimed

        return await self.db.write(run)

    async def record(self, claimed: Claimed, outcome: Outcome) -> Delivery | None:
        """Record an attempt: delivered, retried later, or given up; an endpoint failing for
        too long (or answering 410 Gone) is disabled in the same transaction, which raises a
        ``webhook_endpoint.disabled`` event.  None when the lease was lost meanwhile."""
        now = self.clock()
        delivery = claimed.delivery
        held = sa.and_(
            d.c.id == delivery.id,
            d.c.lease_token == delivery.lease_token,
            d.c.status == outbox.SENDING,
        )
        common: dict[str, Any] = {
            "lease_token": None,
            "lease_expires_at": None,
            "last_attempt_at": now,
            "last_status_code": outcome.status_code,
            "last_error": None if outcome.error is None else outcome.error[:1000],
        }
        retry_index = delivery.attempts - 1
        if outcome.delivered:
            values = {**common, "status": outbox.DELIVERED, "finished_at": now}
            result = "delivered"
        elif retry_index < len(self.retry_schedule):
            values = {
                **common,
                "status": outbox.PENDING,
                "next_attempt_at": now + self.retry_schedule[retry_index],
            }
            result = "failed"
        else:
            values = {**common, "status": outbox.FAILED, "finished_at": now}
            result = "gave_up"

        def run(conn: sa.Connection) -> Delivery | None:
            row = conn.execute(
                sa.update(d).where(held).values(values).returning(*_DELIVERY_COLUMNS)
            ).first()
            if row is None:
                return None
            stats.webhook_attempt(conn, delivery.event_type, result)
            endpoint = we.c.id == delivery.endpoint_id
            if outcome.delivered:
                conn.execute(
                    sa.update(we)
                    .where(endpoint, we.c.failing_since.is_not(None))
                    .values(failing_since=None)
                )
                return _delivery(row)
            conn.execute(
                sa.update(we)
                .where(endpoint, we.c.failing_since.is_(None))
                .values(failing_since=now)
            )
            since = conn.execute(
                sa.select(we.c.failing_since).where(endpoint, we.c.disabled_at.is_(None))
            ).scalar_one_or_none()
            reason = None
            if outcome.status_code == 410:
                reason = "the endpoint answered 410 Gone"
            elif since is not None and now - since >= self.disable_after_seconds:
                hours = (now - since) / 3600
                reason = f"every delivery attempt failed for {hours:.0f} hours"
            if reason is not None and since is not None:
                self._disable(conn, claimed.endpoint, reason, now)
            return _delivery(row)

        return await self.db.write(run)

    def _disable(self, conn: sa.Connection, endpoint: Endpoint, reason: str, now: float) -> None:
        conn.execute(
            sa.update(we)
            .where(we.c.id == endpoint.id)
            .values(disabled_at=now, disabled_reason=reason)
        )
        conn.execute(
            sa.update(d)
            .where(d.c.endpoint_id == endpoint.id, d.c.status == outbox.PENDING)
            .values(status=outbox.CANCELLED, finished_at=now, last_error="endpoint disabled")
        )
        outbox.emit(
            conn,
            project_id=endpoint.project_id,
            event_type=outbox.ENDPOINT_DISABLED,
            data={"id": endpoint.id, "url": endpoint.url, "reason": reason},
            now=now,
            subject_id=endpoint.id,
            exclude_endpoint=endpoint.id,
        )
