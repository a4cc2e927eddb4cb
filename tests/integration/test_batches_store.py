"""The batches store on SQLite and PostgreSQL: project scoping and paging, the coordinator's
lease (one holder at a time, fenced writes, taken over once it lapses), lines stored and
found again, a cancel, and the end that raises its ``batch.*`` event in one transaction."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from reelway import batches
from reelway.store.batches import BatchStore, Line
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.tables import events
from tests.integration.conftest import Clock

LEASE = 30.0


@pytest.fixture
def store(db: Database, clock: Clock) -> BatchStore:
    return BatchStore(db, clock)


@pytest.fixture
async def projects(db: Database) -> tuple[str, str]:
    keys = KeyStore(db)
    first, _ = await keys.ensure_project("first")
    second, _ = await keys.ensure_project("second")
    return first.id, second.id


def _row(batch_id: str, project_id: str, now: float) -> dict[str, Any]:
    return {
        "id": batch_id,
        "project_id": project_id,
        "status": "validating",
        "endpoint": "/v1/videos",
        "completion_window": "24h",
        "input_file_id": "file-x",
        "metadata": {"k": "v"},
        "created_at": now,
        "expires_at": now + 86_400,
        "lease_until": 0.0,
    }


async def test_batches_are_scoped_to_their_project_and_listed_newest_first(
    store: BatchStore, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    for n in range(3):
        await store.insert(_row(f"batch_{n}", first, clock.now))
    made = await store.get(first, "batch_1")
    assert made is not None and made.metadata == {"k": "v"} and made.status == "validating"
    assert made.errors is None and made.total == 0
    assert await store.get(second, "batch_1") is None
    page, more = await store.list_page(first, after=None, limit=2)
    assert [b.id for b in page] == ["batch_2", "batch_1"] and more
    page, more = await store.list_page(first, after="batch_1", limit=2)
    assert [b.id for b in page] == ["batch_0"] and not more
    with pytest.raises(LookupError):
        await store.list_page(second, after="batch_1", limit=2)


async def test_one_coordinator_holds_a_batch_until_its_lease_lapses(
    store: BatchStore, projects: tuple[str, str], clock: Clock
) -> None:
    await store.insert(_row("batch_a", projects[0], clock.now))
    held = await store.claim("one", LEASE)
    assert held is not None and held.lease_owner == "one"
    assert await store.claim("two", LEASE) is None  # held: nobody else steps it
    clock.advance(LEASE + 1)  # "one" died without letting go
    taken = await store.claim("two", LEASE)
    assert taken is not None and taken.lease_owner == "two"
    assert not await store.move("batch_a", "one", "finalizing"), "a lost lease writes nothing"
    assert await store.renew("batch_a", "one", LEASE) is None
    assert await store.renew("batch_a", "two", LEASE) is not None
    await store.release("batch_a", "two", 5.0)
    assert await store.claim("one", LEASE) is None  # released with a delay: not yet due
    clock.advance(6)
    assert await store.claim("one", LEASE) is not None


async def test_lines_are_stored_queued_and_refused_once(
    store: BatchStore, projects: tuple[str, str], clock: Clock
) -> None:
    await store.insert(_row("batch_l", projects[0], clock.now))
    assert await store.claim("c", LEASE) is not None
    data = (
        b'{"custom_id": "a", "method": "POST", "url": "/v1/videos", "body": {"prompt": "x"}}\n'
        b'{"custom_id": "a", "method": "POST", "url": "/v1/videos", "body": {"prompt": "y"}}\n'
        b"\n"
        b'{"custom_id": "c", "method": "GET", "url": "/v1/videos", "body": {}}\n'
        b'{"custom_id": "d", "method": "POST", "url": "/v1/videos", "body": {"prompt": "z"}}\n'
    )
    lines = batches.parse_lines(data)
    assert [(line.line, line.status_code) for line in lines] == [
        (1, None),
        (2, 400),
        (4, 400),
        (5, None),
    ]
    assert not await store.add_lines("batch_l", "intruder", lines), "fenced on the lease"
    assert await store.add_lines("batch_l", "c", lines)
    again = await store.add_lines("batch_l", "c", lines)  # a retried step replaces, never adds
    assert again
    found = await store.get(projects[0], "batch_l")
    assert found is not None and found.status == "in_progress" and found.total == 4
    pending = await store.pending("batch_l", 10)
    assert [(p.line, p.body) for p in pending] == [(1, {"prompt": "x"}), (5, {"prompt": "z"})]
    assert await store.unfinished("batch_l") == 2
    await store.set_outcomes(
        "batch_l", [Line("batch_l", 1, "a", None, video_id="video_gone")]
    )  # a video id whose row is absent: nothing runs it, so it has ended
    assert [p.line for p in await store.pending("batch_l", 10)] == [5]
    running = await store.end_unfinished("batch_l", "batch_cancelled", "stop")
    assert running == 0
    assert await store.pending("batch_l", 10) == []
    stored = await store.lines("batch_l")
    assert [(s.line, s.error and s.error.get("code")) for s in stored] == [
        (1, None),
        (2, None),
        (4, None),
        (5, "batch_cancelled"),
    ]
    assert stored[1].error is not None and stored[1].error["body"]["error"]["code"] == (
        "duplicate_custom_id"
    )


async def test_a_cancel_and_the_end_raise_one_event(
    store: BatchStore, db: Database, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    await store.insert(_row("batch_c", first, clock.now))
    assert await store.request_cancel(second, "batch_c") is None
    cancelling = await store.request_cancel(first, "batch_c")
    assert cancelling is not None and cancelling.status == "cancelling"
    assert cancelling.cancelling_at == clock.now
    held = await store.claim("c", LEASE)
    assert held is not None
    assert not await store.finish(held, "other", "cancelled")
    assert await store.finish(held, "c", "cancelled", counts=(3, 1, 2), error_file_id="file-e")
    assert not await store.finish(held, "c", "cancelled"), "an ended batch ends once"
    ended = await store.get(first, "batch_c")
    assert ended is not None and ended.status == "cancelled" and ended.cancelled_at == clock.now
    assert (ended.total, ended.completed, ended.failed) == (3, 1, 2)
    assert ended.error_file_id == "file-e" and ended.lease_owner is None
    again = await store.request_cancel(first, "batch_c")
    assert again is not None and again.status == "cancelled"
    raised = await db.read(
        lambda conn: conn.execute(
            sa.select(events.c.type, events.c.data).where(events.c.subject_id == "batch_c")
        ).all()
    )
    assert [tuple(r) for r in raised] == [("batch.cancelled", {"id": "batch_c"})]
    assert await store.claim("c", LEASE) is None, "an ended batch is never claimed"
