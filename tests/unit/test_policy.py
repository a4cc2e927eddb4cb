"""Policy as pure functions: billing periods, the relaxed window, request windows and their
headers, the tiers and plans file, and prices.  No database, no clock but the one passed in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from reelway import catalog, jobs
from reelway.limits import Count, Decision, Window
from reelway.policy import periods, pricing, ratelimit, tiers
from reelway.policy.relaxed import RelaxedWindow

LA = ZoneInfo("America/Los_Angeles")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> float:
    """A UTC wall-clock time as UNIX seconds."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC).timestamp()


def local(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0, fold: int = 0
) -> float:
    """A Los Angeles wall-clock time as UNIX seconds (``fold=1``: the repeated hour's second
    pass when clocks go back)."""
    return datetime(year, month, day, hour, minute, second, tzinfo=LA, fold=fold).timestamp()


# ---------------------------------------------------------------------- periods


def test_an_anchor_on_the_31st_clamps_to_february_and_returns_to_the_31st() -> None:
    """The anchor's day is kept, clamped per month: Feb 29 in a leap year, Feb 28 otherwise,
    and the 31st again in March (not the 28th/29th carried forward)."""
    anchor = utc(2024, 1, 31, 12, 0)
    assert periods.cycle(anchor, utc(2024, 2, 15)) == (utc(2024, 1, 31, 12), utc(2024, 2, 29, 12))
    assert periods.cycle(anchor, utc(2024, 3, 10)) == (utc(2024, 2, 29, 12), utc(2024, 3, 31, 12))
    assert periods.cycle(anchor, utc(2024, 4, 30, 11, 59)) == (
        utc(2024, 3, 31, 12),
        utc(2024, 4, 30, 12),
    )
    assert periods.cycle(anchor, utc(2025, 2, 28, 12)) == (
        utc(2025, 2, 28, 12),
        utc(2025, 3, 31, 12),
    )
    assert periods.cycle(anchor, utc(2025, 2, 28, 11, 59, 59)) == (
        utc(2025, 1, 31, 12),
        utc(2025, 2, 28, 12),
    )


def test_the_instant_a_period_starts_belongs_to_the_new_period() -> None:
    anchor = utc(2025, 3, 15, 8, 30)
    boundary = utc(2025, 5, 15, 8, 30)
    assert periods.cycle(anchor, boundary) == (boundary, utc(2025, 6, 15, 8, 30))
    assert periods.cycle(anchor, boundary - 0.001) == (utc(2025, 4, 15, 8, 30), boundary)
    assert periods.cycle(anchor, anchor) == (anchor, utc(2025, 4, 15, 8, 30))


def test_periods_cross_the_year_boundary() -> None:
    anchor = utc(2025, 6, 15)
    december = (utc(2025, 12, 15), utc(2026, 1, 15))
    assert periods.cycle(anchor, utc(2025, 12, 31, 23, 59, 59)) == december
    assert periods.cycle(anchor, utc(2026, 1, 1)) == december
    assert periods.cycle(anchor, utc(2026, 1, 15)) == (utc(2026, 1, 15), utc(2026, 2, 15))
    assert periods.cycle(utc(2023, 12, 31), utc(2024, 1, 5)) == (
        utc(2023, 12, 31),
        utc(2024, 1, 31),
    )


def test_a_day_before_the_anchors_day_is_still_in_the_previous_months_period() -> None:
    anchor = utc(2025, 1, 20, 6)
    assert periods.cycle(anchor, utc(2025, 5, 10)) == (utc(2025, 4, 20, 6), utc(2025, 5, 20, 6))
    assert periods.cycle(anchor, utc(2025, 5, 20, 5, 59)) == (
        utc(2025, 4, 20, 6),
        utc(2025, 5, 20, 6),
    )


def test_periods_tile_time_without_gaps_or_overlaps() -> None:
    """Every instant over two years lies in exactly one period, and each period starts where
    the previous one ended, on the anchor's day clamped to the month."""
    anchor = utc(2023, 10, 31, 23, 0)
    previous_end: float | None = None
    seen = set()
    now = anchor
    while now < utc(2025, 11, 1):
        start, end = periods.cycle(anchor, now)
        assert start <= now < end
        if start not in seen:
            seen.add(start)
            if previous_end is not None:
                assert start == previous_end
            previous_end = end
            begin = datetime.fromtimestamp(start, UTC)
            last_day = (begin.replace(day=28) + timedelta(days=4)).replace(day=1) - timedelta(
                days=1
            )
            assert begin.day == min(31, last_day.day) and begin.hour == 23
        now += 6 * 3600
    assert len(seen) == 25


def test_utc_day_is_the_utc_calendar_day() -> None:
    assert periods.utc_day(utc(2026, 1, 1)) == "2026-01-01"
    assert periods.utc_day(utc(2026, 1, 1) - 0.001) == "2025-12-31"
    assert periods.utc_day(utc(2024, 2, 29, 23, 59, 59)) == "2024-02-29"


# ---------------------------------------------------------------------- relaxed window


@pytest.fixture
def seed_window() -> RelaxedWindow:
    """The seed's off-peak window."""
    return RelaxedWindow.parse("22:00-06:00", "America/Los_Angeles")


def test_the_window_opens_at_22_and_closes_at_06_local_time(seed_window: RelaxedWindow) -> None:
    day = (2026, 6, 10)
    assert not seed_window.is_open(local(*day, 21, 59, 59))
    assert seed_window.is_open(local(*day, 22, 0))
    assert seed_window.is_open(local(2026, 6, 11, 0, 0))
    assert seed_window.is_open(local(2026, 6, 11, 5, 59, 59))
    assert not seed_window.is_open(local(2026, 6, 11, 6, 0))
    assert not seed_window.is_open(local(*day, 12, 0))
    assert seed_window.describe() == "22:00-06:00 America/Los_Angeles"


def test_the_night_clocks_spring_forward_is_an_hour_shorter(seed_window: RelaxedWindow) -> None:
    """2026-03-08: 22:00 PST (06:00 UTC) to 06:00 PDT (13:00 UTC), seven hours."""
    opens, closes = utc(2026, 3, 8, 6), utc(2026, 3, 8, 13)
    assert not seed_window.is_open(opens - 1)
    assert seed_window.is_open(opens)
    assert seed_window.is_open(utc(2026, 3, 8, 10, 30))  # 03:30 PDT, just after the jump
    assert seed_window.is_open(closes - 1)
    assert not seed_window.is_open(closes)
    assert seed_window.closes_after(opens) == closes
    assert seed_window.next_open(utc(2026, 3, 7, 20)) == opens  # 12:00 PST the day before
    assert seed_window.next_open(closes) == utc(2026, 3, 9, 5)  # 22:00 PDT


def test_the_night_clocks_fall_back_is_an_hour_longer(seed_window: RelaxedWindow) -> None:
    """2026-11-01: 22:00 PDT (05:00 UTC) to 06:00 PST (14:00 UTC), nine hours; 01:30 happens
    twice and both are inside."""
    opens, closes = utc(2026, 11, 1, 5), utc(2026, 11, 1, 14)
    assert not seed_window.is_open(opens - 1)
    assert seed_window.is_open(opens)
    assert seed_window.is_open(local(2026, 11, 1, 1, 30, fold=0))
    assert seed_window.is_open(local(2026, 11, 1, 1, 30, fold=1))
    assert local(2026, 11, 1, 1, 30, fold=1) - local(2026, 11, 1, 1, 30, fold=0) == 3600
    assert seed_window.is_open(closes - 1)
    assert not seed_window.is_open(closes)
    assert seed_window.closes_after(opens) == closes
    assert seed_window.next_open(closes) == utc(2026, 11, 2, 6)  # 22:00 PST


def test_next_open_is_now_when_open_and_the_next_22_00_otherwise(
    seed_window: RelaxedWindow,
) -> None:
    at_open = local(2026, 6, 10, 22, 0)
    assert seed_window.next_open(at_open) == at_open
    inside = local(2026, 6, 11, 3, 17, 5) + 0.25
    assert seed_window.next_open(inside) == inside
    assert seed_window.next_open(local(2026, 6, 10, 6, 0)) == at_open
    assert seed_window.next_open(local(2026, 6, 10, 21, 59, 59)) == at_open


def test_a_window_within_one_day() -> None:
    window = RelaxedWindow.parse(" 01:00-05:00 ", "UTC")
    assert not window.is_open(utc(2026, 6, 10, 0, 59, 59))
    assert window.is_open(utc(2026, 6, 10, 1))
    assert window.is_open(utc(2026, 6, 10, 4, 59, 59))
    assert not window.is_open(utc(2026, 6, 10, 5))
    assert not window.is_open(utc(2026, 6, 10, 23))
    assert window.next_open(utc(2026, 6, 10, 0, 30)) == utc(2026, 6, 10, 1)
    assert window.next_open(utc(2026, 6, 10, 5)) == utc(2026, 6, 11, 1)
    assert window.next_open(utc(2026, 6, 10, 23)) == utc(2026, 6, 11, 1)
    assert window.closes_after(utc(2026, 6, 10, 2)) == utc(2026, 6, 10, 5)


def test_next_open_is_never_in_the_past_when_the_start_is_in_the_repeated_hour() -> None:
    """01:30 happens at 08:30 and 09:30 UTC on 2026-11-01; at 09:10 UTC (01:10 PST) the next
    opening is 09:30 UTC, not the 08:30 UTC that is already gone."""
    window = RelaxedWindow.parse("01:30-01:45", "America/Los_Angeles")
    now = utc(2026, 11, 1, 9, 10)
    assert not window.is_open(now)
    assert window.next_open(now) >= now


@pytest.mark.parametrize(
    "window, zone, problem",
    [
        ("25:00-06:00", "UTC", "not a valid span of the day"),
        ("22:60-06:00", "UTC", "not a valid span of the day"),
        ("22:00-22:00", "UTC", "not a valid span of the day"),
        ("nonsense", "UTC", "must look like '22:00-06:00'"),
        ("10pm-6am", "UTC", "must look like '22:00-06:00'"),
        ("22:00-06:00", "Mars/Olympus_Mons", "unknown time zone 'Mars/Olympus_Mons'"),
        ("22:00-06:00", "", "unknown time zone"),
    ],
)
def test_bad_windows_are_refused_with_the_reason(window: str, zone: str, problem: str) -> None:
    with pytest.raises(ValueError, match="relaxed window") as caught:
        RelaxedWindow.parse(window, zone)
    assert problem in str(caught.value)


# ---------------------------------------------------------------------- request windows

PLANS = tiers.load()
NOW = 1_800_000_030.5  # 30.5 s into a UTC minute, 28830.5 s into a UTC day


def project(**changes: Any) -> jobs.Project:
    return jobs.Project(id="proj_a", name="a", created_at=0.0, **changes)


def test_a_tiers_windows_start_on_the_utc_minute_and_day() -> None:
    minute, day = ratelimit.windows(project(), PLANS.tier("plus"), NOW)
    assert minute == Window("minute", "proj_a:rpm", 1_800_000_000.0, 60.0, 5)
    assert day == Window("day", "proj_a:rpd", 1_799_971_200.0, 86_400.0, 50)
    midnight = datetime.fromtimestamp(day.start, UTC)
    assert (midnight.hour, midnight.minute, midnight.second) == (0, 0, 0)
    assert datetime.fromtimestamp(minute.start, UTC).second == 0
    assert day.start <= NOW < day.end and minute.start <= NOW < minute.end
    # the last instant of a minute and the first of the next are in different windows
    assert ratelimit.windows(project(), PLANS.tier("plus"), 1_800_000_059.999)[0].start == (
        1_800_000_000.0
    )
    assert ratelimit.windows(project(), PLANS.tier("plus"), 1_800_000_060.0)[0].start == (
        1_800_000_060.0
    )


def test_a_projects_own_limits_override_its_tiers() -> None:
    found = ratelimit.windows(project(requests_per_minute=7), PLANS.tier("plus"), NOW)
    assert [(w.name, w.limit) for w in found] == [("minute", 7), ("day", 50)]
    enterprise = PLANS.tier("enterprise")
    assert [(w.name, w.limit) for w in ratelimit.windows(project(), enterprise, NOW)] == [
        ("minute", 200)
    ]
    contract = project(requests_per_day=5000)
    assert [(w.name, w.limit) for w in ratelimit.windows(contract, enterprise, NOW)] == [
        ("minute", 200),
        ("day", 5000),
    ]


def test_an_unlimited_tier_counts_in_no_window() -> None:
    assert ratelimit.windows(project(), PLANS.tier("unlimited"), NOW) == []
    assert ratelimit.windows(project(), PLANS.tier(None), NOW) == []


@pytest.mark.parametrize(
    "seconds, text",
    [
        (0.5, "0.5s"),
        (1, "1s"),
        (12.5, "12.5s"),
        (0.0004, "0s"),
        (59.999, "59.999s"),
        (60, "1m0s"),
        (60.2, "1m1s"),
        (360, "6m0s"),
        (3600, "1h0m0s"),
        (3725, "1h2m5s"),
        (12_000, "3h20m0s"),
        (-4, "0s"),
    ],
)
def test_durations_are_written_as_openai_writes_them(seconds: float, text: str) -> None:
    assert ratelimit.duration(seconds) == text


def test_headers_describe_the_minute_and_the_day_window() -> None:
    minute, day = ratelimit.windows(project(), PLANS.tier("plus"), NOW)
    decision = Decision((Count(minute, 2), Count(day, 10)))
    assert ratelimit.headers(decision, NOW) == {
        "x-ratelimit-limit-requests": "5",
        "x-ratelimit-remaining-requests": "3",
        "x-ratelimit-reset-requests": "29.5s",
        "x-ratelimit-limit-requests-day": "50",
        "x-ratelimit-remaining-requests-day": "40",
        "x-ratelimit-reset-requests-day": "15h59m30s",  # 57569.5 s, rounded up
    }
    assert ratelimit.headers(Decision(()), NOW) == {}


def test_a_refusal_reports_nothing_remaining() -> None:
    minute, _ = ratelimit.windows(project(), PLANS.tier("plus"), NOW)
    for count in (5, 3, 9):
        heads = ratelimit.refused_headers(minute, count, NOW)
        assert heads["x-ratelimit-remaining-requests"] == "0"
        assert heads["x-ratelimit-limit-requests"] == "5"
    assert Count(minute, 9).remaining == 0
    assert Count(minute, 1).remaining == 4


# ---------------------------------------------------------------------- tiers and plans


def test_the_built_in_file_has_the_seeds_numbers() -> None:
    limits = {name: (t.requests_per_minute, t.requests_per_day) for name, t in PLANS.tiers.items()}
    assert limits == {
        "plus": (5, 50),
        "pro": (50, 500),
        "tier2": (10, 200),
        "tier3": (30, 600),
        "tier4": (60, 1200),
        "enterprise": (200, None),
        "unlimited": (None, None),
    }
    plans = {name: (p.monthly_credits, p.relaxed) for name, p in PLANS.plans.items()}
    assert plans == {"plus": (1000, False), "pro": (10000, True)}
    assert PLANS.default_tier == "unlimited"


def test_the_default_tier_stands_in_for_none_and_for_a_removed_tier() -> None:
    assert PLANS.tier(None).name == "unlimited"
    assert PLANS.tier("gold").name == "unlimited"
    assert PLANS.tier("pro").name == "pro"
    assert PLANS.plan(None) is None
    assert PLANS.plan("gold") is None
    plan = PLANS.plan("pro")
    assert plan is not None and plan.monthly_credits == 10000


def _file(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "default_tier": "basic",
        "tiers": {"basic": {"requests_per_minute": 3}},
        "plans": {"starter": {"monthly_credits": 10}},
    }
    data.update(changes)
    return data


def test_a_minimal_file_is_accepted() -> None:
    plans = tiers.from_mapping(_file())
    assert plans.tier(None) == tiers.Tier("basic", "", 3, None, 0)
    assert plans.plans == {"starter": tiers.Plan("starter", "", 10, False)}


@pytest.mark.parametrize(
    "changes, problem",
    [
        ({"colour": "red"}, "colour"),
        ({"tiers": {"basic": {"requests_per_hour": 3}}}, "requests_per_hour"),
        ({"plans": {"starter": {"monthly_credits": 1, "rollover": True}}}, "rollover"),
        ({"default_tier": "gold"}, "default_tier 'gold' is not one of the tiers ['basic']"),
        ({"default_tier": "Basic"}, "default_tier 'Basic'"),
        ({"tiers": {"basic": {}, "Gold Tier": {}}}, "tier name 'Gold Tier'"),
        ({"plans": {"-x": {"monthly_credits": 1}}}, "plan name '-x'"),
        ({"tiers": {"basic": {"requests_per_minute": 0}}}, "requests_per_minute"),
        ({"tiers": {"basic": {"requests_per_day": -5}}}, "requests_per_day"),
        ({"tiers": {"basic": {"priority": 51}}}, "priority"),
        ({"plans": {"starter": {"monthly_credits": -1}}}, "monthly_credits"),
    ],
)
def test_bad_files_are_refused_with_a_message_naming_the_problem(
    changes: dict[str, Any], problem: str
) -> None:
    with pytest.raises(ValueError) as caught:
        tiers.from_mapping(_file(**changes))
    assert problem in str(caught.value)


def test_a_missing_default_tier_is_refused() -> None:
    data = _file()
    del data["default_tier"]
    with pytest.raises(ValueError, match="default_tier"):
        tiers.from_mapping(data)


def test_a_bad_file_on_disk_is_named_in_the_error(tmp_path: Path) -> None:
    path = tmp_path / "plans.toml"
    path.write_text('default_tier = "basic"\n[tiers.basic]\nrequests_per_minute = 0\n')
    with pytest.raises(ValueError) as caught:
        tiers.load(path)
    assert f"invalid tiers and plans in {path}" in str(caught.value)
    assert "requests_per_minute" in str(caught.value)
    path.write_text("default_tier = \n")
    with pytest.raises(ValueError, match=f"invalid tiers and plans in {path}"):
        tiers.load(path)


# ---------------------------------------------------------------------- pricing

CATALOG = catalog.load()


def test_sora_2_at_720p_costs_16_credits_and_ten_cents_a_second() -> None:
    cost = pricing.estimate(CATALOG.resolve("sora-2"), "720x1280", 4)
    assert (cost.credits_per_second, cost.usd_micros_per_second) == (16, 100_000)
    assert (cost.credits, cost.usd_micros) == (64, 400_000)
    assert cost.usd == pytest.approx(0.4)
    assert not cost.relaxed
    assert pricing.estimate(CATALOG.resolve("sora-2"), "1280x720", 12).usd_micros == 1_200_000


def test_sora_2_pro_at_1080p_costs_40_credits_and_fifty_cents_a_second() -> None:
    pro = CATALOG.resolve("sora-2-pro")
    cost = pricing.estimate(pro, "1920x1080", 4)
    assert (cost.credits_per_second, cost.usd_micros_per_second) == (40, 500_000)
    assert (cost.credits, cost.usd_micros) == (160, 2_000_000)
    tall = pricing.estimate(pro, "1024x1792", 10)  # short side 1024: still 1080p
    assert (tall.credits, tall.usd_micros) == (400, 5_000_000)
    hd = pricing.estimate(pro, "1280x720", 10)
    assert (hd.credits, hd.usd_micros) == (160, 3_000_000)


def test_relaxed_jobs_cost_nothing() -> None:
    cost = pricing.estimate(CATALOG.resolve("sora-2-pro"), "1920x1080", 25, relaxed=True)
    assert cost == pricing.Estimate(25, 0, 0, relaxed=True)
    assert (cost.credits, cost.usd_micros, cost.usd) == (0, 0, 0.0)


def test_micro_dollars_do_not_drift() -> None:
    """Three 10-cent seconds are exactly 300,000 micros (the floats give 0.30000000000000004)."""
    assert pricing.to_micros(0.1) * 3 == 300_000
    assert pricing.to_micros(0.1 * 3) == 300_000
    assert pricing.to_usd(1_234_567) == pytest.approx(1.234567)
