"""Money in the store: reservations with the job row, settlement with its end, exactly once.

Runs on SQLite and PostgreSQL.  Every path that ends a job is covered: completion (at the
real duration or the provider's cost), failure, cancellation of a running job, deletion of a
queued one, the reaper, and moderation refusals with either setting.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from reelway import errors, jobs
from reelway.store import ledger, stats
from reelway.store.accounts import AccountStore
from reelway.store.database import Database
from reelway.store.queue import LeaseLost, QueueStore
from reelway.store.tables import charges, events, webhook_deliveries
from reelway.store.videos import VideoStore
from reelway.store.webhooks import WebhookStore
from tests.integration.conftest import Clock, new_video

PERIOD = (1_799_000_000.0, 1_801_000_000.0)
ALERTS = sa.select(events.c.data).where(events.c.type == ledger.BUDGET_ALERT_EVENT)
USD = 1_000_000


def reservation(
    project_id: str,
    video_id: str,
    *,
    credits_per_second: int = 16,
    usd_per_second: float = 0.10,
    seconds: int = 4,
    credit_limit: int | None = None,
    budget_usd: float | None = None,
    relaxed: bool = False,
) -> ledger.Reservation:
    return ledger.Reservation(
        video_id=video_id,
        project_id=project_id,
        model="sora-2",
        size="720x1280",
        seconds=seconds,
        relaxed=relaxed,
        period_start=PERIOD[0],
        period_end=PERIOD[1],
        credits_per_second=credits_per_second,
        usd_micros_per_second=round(usd_per_second * USD),
        credit_limit=credit_limit,
        budget_usd_micros=None if budget_usd is None else round(budget_usd * USD),
    )


async def queue_one(videos: VideoStore, project_id: str, n: int, **options: object) -> jobs.Video:
    video_id = f"video_{n:04d}"
    return await videos.insert(
        new_video(project_id, n, reservation=reservation(project_id, video_id, **options))  # type: ignore[arg-type]
    )


async def balance(db: Database, project_id: str) -> tuple[int, int, int, int]:
    found = await AccountStore(db).balance(project_id, PERIOD[0])
    return (
        found.credits_reserved,
        found.credits_spent,
        found.usd_micros_reserved,
        found.usd_micros_spent,
    )


async def charge_of(db: Database, video_id: str) -> tuple[str, int, int, str | None]:
    query = sa.select(
        charges.c.state, charges.c.credits_charged, charges.c.usd_micros_charged, charges.c.outcome
    ).where(charges.c.video_id == video_id)
    row = await db.read(lambda conn: conn.execute(query).one())
    return row[0], row[1], row[2], row[3]


async def test_a_completed_video_is_reserved_then_charged_once(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    await queue_one(videos, project_id, 1)
    assert await balance(db, project_id) == (64, 0, 400_000, 0)
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    await queue.complete(job.id, job.lease_token, "animatic", {})
    assert await balance(db, project_id) == (0, 64, 0, 400_000)
    assert await charge_of(db, job.id) == ("settled", 64, 400_000, "completed")
    with pytest.raises(LeaseLost):  # a second completion (a stale worker) changes nothing
        await queue.complete(job.id, job.lease_token, "animatic", {})
    assert await balance(db, project_id) == (0, 64, 0, 400_000)


async def test_completion_bills_the_real_duration_and_the_providers_cost(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    await queue_one(videos, project_id, 1, seconds=8)
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    billing = ledger.Settlement("completed", billed_seconds=5, cost_usd_micros=250_000)
    await queue.complete(job.id, job.lease_token, "runway", {}, billing=billing)
    # Five seconds of credits; the provider's reported cost instead of the catalogue price.
    assert await charge_of(db, job.id) == ("settled", 80, 250_000, "completed")
    assert await balance(db, project_id) == (0, 80, 0, 250_000)


async def test_a_longer_clip_than_asked_is_never_billed_above_the_estimate(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    await queue_one(videos, project_id, 1, seconds=4)
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    billing = ledger.Settlement("completed", billed_seconds=6)
    await queue.complete(job.id, job.lease_token, "animatic", {}, billing=billing)
    assert (await charge_of(db, job.id))[1] == 64


@pytest.mark.parametrize(
    ("code", "charge_moderation", "charged"),
    [
        ("upstream_capacity", True, False),
        ("sentinel_block", True, False),
        ("moderation_blocked", True, True),
        ("moderation_blocked", False, False),
    ],
)
async def test_failures_release_unless_moderation_is_charged(
    db: Database,
    videos: VideoStore,
    clock: Clock,
    project_id: str,
    code: str,
    charge_moderation: bool,
    charged: bool,
) -> None:
    queue = QueueStore(db, clock, charge_moderation=charge_moderation)
    await queue_one(videos, project_id, 1)
    job = await queue.claim("w", 30)
    assert job is not None and job.lease_token is not None
    await queue.fail(job.id, job.lease_token, jobs.JobError(code, "no"))
    expected = ("settled", 64, 400_000, code) if charged else ("released", 0, 0, code)
    assert await charge_of(db, job.id) == expected
    assert await balance(db, project_id) == ((0, 64, 0, 400_000) if charged else (0, 0, 0, 0))


async def test_cancelled_deleted_and_reaped_jobs_cost_nothing(
    db: Database, videos: VideoStore, queue: QueueStore, clock: Clock, project_id: str
) -> None:
    for n in (1, 2, 3, 4):
        await queue_one(videos, project_id, n)
    assert await balance(db, project_id) == (256, 0, 1_600_000, 0)
    # 1: deleted while queued; 2: cancelled while running; 3: its worker vanished for good;
    # 4: past its deadline is covered by the same reaper statement family.
    await videos.delete(project_id, "video_0001")
    running = await queue.claim("w", 30)
    assert running is not None and running.lease_token is not None and running.id == "video_0002"
    await videos.delete(project_id, running.id)
    await queue.acknowledge_cancel(running.id, running.lease_token)
    lost = await queue.claim("w", 1)
    assert lost is not None and lost.id == "video_0003"
    await db.write(
        lambda conn: conn.execute(
            sa.text("UPDATE videos SET max_attempts = 1 WHERE id = 'video_0003'")
        )
    )
    clock.advance(5)
    report = await queue.reap()
    assert report.failed == ("video_0003",)
    for video_id in ("video_0001", "video_0002", "video_0003"):
        state, credits, usd, _ = await charge_of(db, video_id)
        assert (state, credits, usd) == ("released", 0, 0), video_id
    assert await balance(db, project_id) == (64, 0, 400_000, 0)  # only video_0004 holds


async def test_credits_and_budget_refuse_with_distinct_errors_and_roll_back_the_job(
    db: Database, videos: VideoStore, project_id: str
) -> None:
    await queue_one(videos, project_id, 1, credit_limit=100)
    with pytest.raises(errors.InsufficientCredits, match=r"needs 64 credits.*36 of 100 left"):
        await queue_one(videos, project_id, 2, credit_limit=100)
    await queue_one(videos, project_id, 3, budget_usd=0.80)
    with pytest.raises(errors.BudgetExceeded, match=r"costs \$0.40.*\$0.00 of \$0.80 left"):
        await queue_one(videos, project_id, 4, budget_usd=0.80)
    assert await videos.get("video_0002") is None  # refused creates leave no job behind
    assert await videos.get("video_0004") is None
    assert await balance(db, project_id) == (128, 0, 800_000, 0)


async def test_relaxed_jobs_reserve_nothing_and_wait_for_their_window(
    db: Database, videos: VideoStore, clock: Clock, project_id: str
) -> None:
    window = {"open": False}
    queue = QueueStore(db, clock, relaxed_open=lambda _now: window["open"])
    await videos.insert(
        new_video(
            project_id,
            1,
            priority=jobs.RELAXED_PRIORITY,
            reservation=reservation(
                project_id, "video_0001", credits_per_second=0, usd_per_second=0, relaxed=True
            ),
        )
    )
    await queue_one(videos, project_id, 2)
    first = await queue.claim("w", 30)
    assert first is not None and first.id == "video_0002"  # normal work goes first
    assert await queue.claim("w", 30) is None  # the window is closed
    window["open"] = True
    relaxed = await queue.claim("w", 30)
    assert relaxed is not None and relaxed.id == "video_0001"
    assert relaxed.lease_token is not None
    await queue.complete(relaxed.id, relaxed.lease_token, "animatic", {})
    assert await charge_of(db, "video_0001") == ("settled", 0, 0, "completed")


async def test_budget_alerts_are_raised_once_each_per_period(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    accounts = AccountStore(db)
    await accounts.update_project(project_id, {"budget_usd_micros": 2 * USD})
    raised_after: list[list[int]] = []
    for n in range(1, 6):  # $0.40 each against $2.00: 20%, 40%, 60%, 80%, 100%
        await queue_one(videos, project_id, n, budget_usd=2.0)
        job = await queue.claim("w", 30)
        assert job is not None and job.lease_token is not None
        await queue.complete(job.id, job.lease_token, "animatic", {})
        found = await db.read(lambda conn: [r[0] for r in conn.execute(ALERTS).all()])
        raised_after.append(sorted(d["threshold_percent"] for d in found))
    assert raised_after == [[], [], [50], [50, 75], [50, 75, 90]]


async def test_a_budget_alert_is_delivered_to_subscribed_endpoints_with_its_cost_counted(
    db: Database, videos: VideoStore, queue: QueueStore, project_id: str
) -> None:
    hooks = WebhookStore(db)
    await hooks.create(
        project_id, "we_money", "money", "http://h/", ["budget.threshold_reached"], "whsec_A"
    )
    await AccountStore(db).update_project(project_id, {"budget_usd_micros": 2 * USD})
    for n in range(1, 4):  # $1.20 of $2.00: the 50% alert
        await queue_one(videos, project_id, n, budget_usd=2.0)
        job = await queue.claim("w", 30)
        assert job is not None and job.lease_token is not None
        await queue.complete(job.id, job.lease_token, "animatic", {})
    sent = await db.read(
        lambda conn: conn.execute(sa.select(webhook_deliveries.c.payload)).scalars().all()
    )
    assert len(sent) == 1 and '"threshold_percent":50' in sent[0]
    assert '"type":"budget.threshold_reached"' in sent[0]
    totals = await db.read(stats.read_totals)
    cost = sum(value for name, _, value in totals if name == stats.COST_USD)
    assert cost == pytest.approx(1.2)
