"""A storyboard's transitions across its shots, each in the caller's transaction.

A storyboard is a parent row and one ordinary job per shot (``videos.storyboard_id``).  What
happens to one happens to the others in the same transaction: cancelling the storyboard
cancels its unfinished shots and releases their reservations; a retry requeues the failed shot
and the shots cancelled because of it, each with a new reservation, and the storyboard too.
``VideoStore`` and ``QueueStore`` call these.
"""

from __future__ import annotations

from collections.abc import Mapping

import sqlalchemy as sa

from reelway import jobs
from reelway.store import ledger, outbox, rows
from reelway.store.tables import videos as v

S = jobs.JobStatus
SHOT_CANCELLED = "The storyboard was cancelled before this shot finished."
RETRYABLE = (S.FAILED, S.CANCELLED)
"""The shots a retry may requeue."""


def cancel_shots(
    conn: sa.Connection, storyboard_id: str, now: float, message: str = SHOT_CANCELLED
) -> list[str]:
    """Cancel a storyboard's unfinished shots: queued ones at once (their reservations
    released), running ones at their worker's next heartbeat.  Returns the shots touched."""
    of_storyboard = v.c.storyboard_id == storyboard_id
    queued = conn.execute(
        sa.update(v)
        .where(of_storyboard, v.c.status == S.QUEUED.value)
        .values(
            status=S.CANCELLED.value,
            completed_at=now,
            error=rows.error("cancelled", message),
            **rows.no_lease(),
        )
        .returning(*v.c)
    ).all()
    touched = []
    for row in queued:
        shot = rows.video(row)
        ledger.settle(conn, shot.id, ledger.Settlement("cancelled"), now)
        outbox.video_ended(conn, shot, now)
        touched.append(shot.id)
    running = conn.execute(
        sa.update(v)
        .where(of_storyboard, v.c.status == S.RUNNING.value)
        .values(cancel_requested=True)
        .returning(v.c.id)
    ).all()
    return touched + [row[0] for row in running]


def release(conn: sa.Connection, video_id: str, now: float) -> bool:
    """A waiting ``continue`` shot becomes runnable now; False if it is not waiting."""
    released = conn.execute(
        sa.update(v)
        .where(
            v.c.id == video_id,
            v.c.status == S.QUEUED.value,
            v.c.run_at >= jobs.WAITING_RUN_AT,
        )
        .values(run_at=now)
    )
    return bool(released.rowcount)


def retry(
    conn: sa.Connection,
    storyboard_id: str,
    index: int,
    prompt: str | None,
    reservations: Mapping[str, ledger.Reservation],
    now: float,
) -> jobs.Video:
    """Requeue shot ``index`` (failed or cancelled) and every cancelled shot of a failed
    storyboard, each with its new reservation, and the storyboard; returns the storyboard.

    Raises ``LookupError`` (no such storyboard or shot) or ``ValueError`` (not failed, the shot
    did not fail, or a requeued shot has no reservation)."""
    parent = rows.maybe_video(
        conn.execute(
            sa.select(v).where(
                v.c.id == storyboard_id,
                v.c.kind == jobs.JobKind.STORYBOARD.value,
                v.c.deleted_at.is_(None),
            )
        ).first()
    )
    if parent is None:
        raise LookupError(storyboard_id)
    shots = [
        rows.video(r) for r in conn.execute(sa.select(v).where(v.c.storyboard_id == parent.id))
    ]
    target = next((s for s in shots if s.sources.shot_index == index), None)
    if target is None:
        raise LookupError(f"{storyboard_id} has no shot {index}")
    if parent.status is not S.FAILED:
        raise ValueError(f"Only a failed storyboard can retry a shot; it is {parent.status}.")
    if any(s.status is S.RUNNING for s in shots):
        raise ValueError("A shot of this storyboard is still stopping; try again shortly.")
    if target.status not in RETRYABLE:
        raise ValueError(f"Shot {index + 1} is {target.status}; only a failed shot is retried.")
    again = [s for s in shots if s.id == target.id or s.status is S.CANCELLED]
    for shot in again:
        reservation = reservations.get(shot.id)
        if reservation is None:
            raise ValueError(f"No reservation for shot {shot.id}")
        new_prompt = prompt if shot.id == target.id and prompt is not None else shot.prompt
        _requeue(conn, shot, new_prompt, now)
        ledger.reserve_again(conn, reservation, now)
    prompts = [
        (prompt if s.id == target.id and prompt is not None else s.prompt) or "" for s in shots
    ]
    back = conn.execute(
        sa.update(v)
        .where(v.c.id == parent.id, v.c.status == S.FAILED.value)
        .values(**_queued(now), prompt="\n".join(prompts))
        .returning(*v.c)
    ).first()
    if back is None:
        raise ValueError("The storyboard changed while it was being retried; try again.")
    return rows.video(back)


def _requeue(conn: sa.Connection, shot: jobs.Video, prompt: str | None, now: float) -> None:
    """A shot back in the queue as if new; a ``continue`` shot waits for its coordinator."""
    waits = shot.sources.transition == "continue" and shot.sources.video_id is not None
    # A fresh deadline as long as the first: the old one may have passed meanwhile.
    deadline = None if shot.deadline_at is None else now + shot.deadline_at - shot.created_at
    done = conn.execute(
        sa.update(v)
        .where(v.c.id == shot.id, v.c.status == shot.status.value)
        .values(
            **_queued(jobs.WAITING_RUN_AT if waits else now), prompt=prompt, deadline_at=deadline
        )
    )
    if done.rowcount != 1:
        raise ValueError("The storyboard changed while it was being retried; try again.")


def _queued(run_at: float) -> dict[str, object]:
    """The columns of a job put back in the queue from its end, its history cleared."""
    return {
        "status": S.QUEUED.value,
        "run_at": run_at,
        "attempts": 0,
        "progress": 0,
        "error": None,
        "completed_at": None,
        "cancel_requested": False,
        "engine": None,
        "operation": None,
        "engine_attempts": None,
        "assets": None,
        **rows.no_lease(),
    }
