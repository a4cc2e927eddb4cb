"""Events and the webhook outbox, written inside the transaction of what caused them.

An event row and one delivery row per subscribed endpoint are inserted with the job's end
(or the budget alert, or the endpoint being disabled); if that transaction rolls back,
nothing is ever delivered, and once it commits, delivery is only a matter of time.
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa

from reelway import ids, jobs
from reelway.store import stats
from reelway.store.tables import events as e
from reelway.store.tables import webhook_deliveries as d
from reelway.store.tables import webhook_endpoints as we

log = logging.getLogger("reelway.events")

VIDEO_COMPLETED = "video.completed"
VIDEO_FAILED = "video.failed"
BUDGET_THRESHOLD = "budget.threshold_reached"
ENDPOINT_DISABLED = "webhook_endpoint.disabled"

PENDING = "pending"
SENDING = "sending"
DELIVERED = "delivered"
FAILED = "failed"
CANCELLED = "cancelled"


def payload(event_id: str, event_type: str, created_at: float, data: dict[str, Any]) -> str:
    """The exact body every attempt sends: the OpenAI event shape, compact JSON."""
    body = {
        "id": event_id,
        "object": "event",
        "created_at": int(created_at),
        "type": event_type,
        "data": data,
    }
    return json.dumps(body, separators=(",", ":"), sort_keys=False)


def emit(
    conn: sa.Connection,
    *,
    project_id: str,
    event_type: str,
    data: dict[str, Any],
    now: float,
    subject_id: str | None = None,
    exclude_endpoint: str | None = None,
) -> dict[str, Any]:
    """Record an event and queue it for each enabled endpoint of the project that wants it."""
    event_id = ids.new_id("evt")
    event: dict[str, Any] = {
        "id": event_id,
        "project_id": project_id,
        "type": event_type,
        "data": data,
        "created_at": now,
        "subject_id": subject_id,
    }
    conn.execute(sa.insert(e).values(event))
    body = payload(event_id, event_type, now, data)
    endpoints = conn.execute(
        sa.select(we.c.id, we.c.event_types).where(
            we.c.project_id == project_id, we.c.disabled_at.is_(None)
        )
    ).all()
    deliveries = [
        {
            "id": ids.new_id("wh"),
            "endpoint_id": endpoint_id,
            "project_id": project_id,
            "event_id": event_id,
            "event_type": event_type,
            "payload": body,
            "status": PENDING,
            "attempts": 0,
            "next_attempt_at": now,
            "created_at": now,
        }
        for endpoint_id, types in endpoints
        if event_type in (types or []) and endpoint_id != exclude_endpoint
    ]
    if deliveries:
        conn.execute(sa.insert(d), deliveries)
    stats.webhook_event(conn, event_type)
    return event


def video_ended(conn: sa.Connection, video: jobs.Video, now: float) -> None:
    """Count the video's end, and raise ``video.completed`` or ``video.failed`` (a video its
    owner cancelled raises nothing: they asked for it)."""
    stats.video_ended(conn, video, now)
    if video.kind is jobs.JobKind.SHOT:
        return  # a storyboard's shot: the storyboard's own events are the user's
    if video.status is jobs.JobStatus.SUCCEEDED:
        event_type = VIDEO_COMPLETED
    elif video.status is jobs.JobStatus.FAILED:
        event_type = VIDEO_FAILED
    else:
        return
    emit(
        conn,
        project_id=video.project_id,
        event_type=event_type,
        data={"id": video.id},
        now=now,
        subject_id=video.id,
    )
