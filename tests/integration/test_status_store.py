"""The status page's reads on SQLite and PostgreSQL: availability per UTC day from a known
history of videos and refusals, and breaker incidents written by the real engine store."""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from reelway.api.status import status_record
from reelway.limits import EngineLimits
from reelway.store import tables
from reelway.store.database import Database
from reelway.store.engines import EngineStore
from reelway.store.status import DAY_SECONDS, DayCount, StatusStore, day_start
from tests.integration.conftest import Clock

DAYS = 90
TODAY = DAYS - 1
FAULT = {"code": "upstream_unavailable", "message": "provider down"}


class History:
    """Videos and refusals written straight into their tables, on chosen days."""

    def __init__(self, project_id: str, now: float) -> None:
        self.project_id = project_id
        self.start = day_start(now, DAYS)
        self.videos: list[dict[str, Any]] = []
        self.refusals: list[dict[str, Any]] = []

    def at(self, day: int, hour: float = 1.0) -> float:
        return self.start + day * DAY_SECONDS + hour * 3600

    def video(
        self,
        day: int,
        status: str,
        engine: str | None,
        error: dict[str, Any] | None = None,
        attempts: list[dict[str, Any]] | None = None,
        hour: float = 1.0,
    ) -> None:
        n = len(self.videos)
        ended = self.at(day, hour)
        self.videos.append(
            {
                "id": f"video_status_{n:03d}",
                "project_id": self.project_id,
                "model": "sora-2",
                "catalog_model": "sora-2",
                "prompt": "a secret prompt",
                "size": "720x1280",
                "seconds": "4",
                "seed": n,
                "status": status,
                "created_at": ended - 60,
                "started_at": ended - 30,
                "completed_at": ended,
                "run_at": ended - 60,
                "engine": engine,
                "error": error,
                "engine_attempts": attempts,
            }
        )

    def refusal(self, day: int, status: int) -> None:
        self.refusals.append(
            {
                "request_id": f"req_status_{len(self.refusals):03d}",
                "at": self.at(day),
                "method": "POST",
                "path": "/v1/videos",
                "status": status,
                "code": "server_error" if status >= 500 else "invalid_value",
            }
        )

    async def write(self, db: Database) -> None:
        def insert(conn: sa.Connection) -> None:
            conn.execute(sa.insert(tables.videos), self.videos)
            if self.refusals:
                conn.execute(sa.insert(tables.request_log), self.refusals)

        await db.write(insert)


async def project(db: Database) -> str:
    from reelway.store.keys import KeyStore

    found, _ = await KeyStore(db).ensure_project("status")
    return found.id


async def test_availability_per_day_follows_a_known_history(db: Database, clock: Clock) -> None:
    history = History(await project(db), clock.now)
    # p1 today: 3 succeeded, 1 failed by the provider, 1 cancelled (not counted), and one
    # attempt it failed before its video moved to p2: 5 jobs, 2 failures.
    for _ in range(3):
        history.video(TODAY, "succeeded", "p1")
    history.video(TODAY, "failed", "p1", FAULT)
    history.video(TODAY, "cancelled", "p1", {"code": "cancelled", "message": "by the user"})
    moved = {"engine": "p1", "code": "upstream_unavailable", "at": history.at(TODAY, 0.5)}
    history.video(TODAY, "succeeded", "p2", attempts=[moved])
    # p1 yesterday: 2 succeeded, 2 refused by moderation (the prompt's fault, not p1's).
    for _ in range(2):
        history.video(TODAY - 1, "succeeded", "p1")
    for _ in range(2):
        history.video(TODAY - 1, "failed", "p1", {"code": "moderation_blocked", "message": "no"})
    # p1 ten days ago, late in the day: one render error, nothing else.
    history.video(
        TODAY - 10, "failed", "p1", {"code": "engine_runtime_error", "message": "x"}, hour=23
    )
    # The queue: a job no worker started before its deadline, today.
    history.video(TODAY, "failed", None, {"code": "deadline_exceeded", "message": "late"})
    # Before the 90 days: not counted anywhere.
    history.video(-1, "failed", "p1", FAULT)
    # The API today: a 400 and two 5xx logged.
    history.refusal(TODAY, 400)
    history.refusal(TODAY, 500)
    history.refusal(TODAY, 503)
    await history.write(db)

    store = StatusStore(db, clock)
    got = await store.history(
        ["p1", "p2", "p3"], days=DAYS, recent_seconds=86400, worker_window_seconds=15
    )
    assert got.start == history.start and got.start % DAY_SECONDS == 0
    assert got.engines["p1"] == {
        TODAY: DayCount(5, 2),
        TODAY - 1: DayCount(4, 0),
        TODAY - 10: DayCount(1, 1),
    }
    assert got.engines["p2"] == {TODAY: DayCount(1, 0)}
    assert got.engines["p3"] == {}
    # Ended videos: today 3 + 1 + 1 (p2) + 1 (deadline) = 6, not the cancelled one.
    assert got.queue == {
        TODAY: DayCount(6, 1),
        TODAY - 1: DayCount(4, 0),
        TODAY - 10: DayCount(1, 0),
    }
    # Created today: 7 videos (the cancelled one too) + 3 refusals; 2 of them 5xx.
    assert got.api[TODAY] == DayCount(10, 2)
    assert got.api[TODAY - 1] == DayCount(4, 0)
    assert got.server_errors_recent == 2

    record = status_record(got)
    by_name = {c["name"]: c for c in record["components"]}
    assert list(by_name) == ["API", "Queue", "p1", "p2", "p3"]
    p1 = by_name["p1"]
    assert len(p1["days"]) == DAYS
    assert p1["days"][TODAY]["availability"] == 0.6
    assert p1["days"][TODAY - 1]["availability"] == 1.0
    assert p1["days"][TODAY - 10]["availability"] == 0.0
    assert p1["days"][0]["availability"] is None
    assert p1["availability"] == round(1 - 3 / 10, 4)
    assert by_name["p3"]["availability"] is None
    assert by_name["API"]["days"][TODAY]["availability"] == 0.8
    assert by_name["API"]["status"] == "degraded"  # 5xx within the recent window
    assert by_name["Queue"]["status"] == "down"  # no worker checked in
    assert p1["days"][TODAY]["date"] == _date(clock.now)
    assert "secret" not in repr(record) and "status" in record


async def test_a_breaker_incident_opens_once_and_ends_when_the_engine_answers(
    db: Database, clock: Clock
) -> None:
    engines = EngineStore(db, clock)
    limits = EngineLimits(breaker_failures=2, breaker_cooldown_seconds=60)
    store = StatusStore(db, clock)

    async def incidents() -> list[tuple[str, float, float | None]]:
        got = await store.history(
            ["p1", "p2"], days=DAYS, recent_seconds=1, worker_window_seconds=1
        )
        return [(i.engine, i.started_at, i.ended_at) for i in got.incidents]

    await engines.record("p1", limits, ok=False)
    assert await incidents() == [], "one failure does not open the breaker"
    opened = clock.now
    # Many workers fail at once: one incident, whichever opened the breaker.
    await asyncio.gather(*(engines.record("p1", limits, ok=False) for _ in range(6)))
    assert await incidents() == [("p1", opened, None)]
    got = await store.history(["p1"], days=DAYS, recent_seconds=1, worker_window_seconds=1)
    assert got.engine_conditions["p1"] == "circuit_open"
    record = status_record(got)
    assert record["incidents"] == [
        {
            "kind": "circuit_open",
            "engines": ["p1"],
            "started_at": opened,
            "ended_at": None,
            "ongoing": True,
        }
    ]
    assert {c["name"]: c["status"] for c in record["components"]}["p1"] == "down"

    clock.advance(120)  # a half-open probe fails: still the same incident
    await engines.record("p1", limits, ok=False)
    assert await incidents() == [("p1", opened, None)]

    clock.advance(30)
    closed = clock.now
    await engines.record("p1", limits, ok=True)
    await engines.record("p1", limits, ok=True)
    assert await incidents() == [("p1", opened, closed)]

    clock.advance(60)
    reopened = clock.now
    for _ in range(2):
        await engines.record("p1", limits, ok=False)
    await engines.record("p2", limits, ok=False)
    assert await incidents() == [("p1", reopened, None), ("p1", opened, closed)]
    got = await store.history(["p2"], days=DAYS, recent_seconds=1, worker_window_seconds=1)
    assert got.incidents == [], "only the engines asked about"
    assert status_record(got)["components"][2]["status"] == "degraded"  # failing, not open


async def test_the_queue_and_devices_judge_the_state_now(db: Database, clock: Clock) -> None:
    project_id = await project(db)
    now = clock.now
    late = now - 400

    def seed(conn: sa.Connection) -> None:
        conn.execute(
            sa.insert(tables.workers).values(
                id="w1",
                hostname="h",
                pid=1,
                started_at=now - 100,
                seen_at=now - 1,
                devices=[
                    {"engine": "local", "device": "cuda:0", "state": "down"},
                    {"engine": "local", "device": "cuda:1", "state": "idle"},
                    {"engine": "gone", "device": "cuda:2", "state": "down"},
                ],
            )
        )
        # An API process started with --workers 0 checks in too, with no render slot.
        conn.execute(
            sa.insert(tables.workers).values(
                id="api", hostname="h", pid=2, started_at=now - 100, seen_at=now - 1, slots=0
            )
        )
        conn.execute(
            sa.insert(tables.videos).values(
                id="video_status_queued",
                project_id=project_id,
                model="sora-2",
                catalog_model="sora-2",
                size="720x1280",
                seconds="4",
                seed=1,
                status="queued",
                created_at=late,
                run_at=late,
            )
        )

    await db.write(seed)
    got = await StatusStore(db, clock).history(
        ["local", "gone"], days=DAYS, recent_seconds=60, worker_window_seconds=15
    )
    assert got.workers_recent == 1
    assert abs(got.oldest_runnable_age - 400) < 1e-6
    states = {c["name"]: c["status"] for c in status_record(got)["components"]}
    assert states == {
        "API": "operational",
        "Queue": "degraded",
        "local": "degraded",
        "gone": "down",
    }
    assert status_record(got)["status"] == "down"


def _date(now: float) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(now, UTC).strftime("%Y-%m-%d")


async def test_the_page_reads_the_database_once_per_cache_lifetime(
    db: Database, clock: Clock
) -> None:
    """Many clients at once share one read: the days once per ``days_cache_seconds``, the
    state now once per ``CACHE_SECONDS``."""
    from reelway.api.status import StatusRoutes

    calls = {"availability": 0, "current": 0}

    class Counting(StatusStore):
        async def availability(self, *args: Any, **kwargs: Any) -> Any:
            calls["availability"] += 1
            return await super().availability(*args, **kwargs)

        async def current(self, *args: Any, **kwargs: Any) -> Any:
            calls["current"] += 1
            return await super().current(*args, **kwargs)

    routes = StatusRoutes(Counting(db, clock), ["p1"], worker_window_seconds=15)
    answers = await asyncio.gather(*(routes.summary() for _ in range(20)))
    assert calls == {"availability": 1, "current": 1}
    assert all(answer is answers[0] for answer in answers)
    assert [c["name"] for c in answers[0]["components"]] == ["API", "Queue", "p1"]
