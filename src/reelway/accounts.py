"""Account use cases: admission of generation requests (rate limits, disabled projects),
reservations, relaxed mode, project and key administration, and usage reports.

The video service asks ``admit`` before it accepts a generation request and ``reservation``
for what to hold with the job row; the admin API and the CLI call the rest.
"""

from __future__ import annotations

import csv
import datetime
import io
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any

from reelway import catalog, errors, jobs, numeric
from reelway.limits import Decision
from reelway.policy import periods, pricing, ratelimit
from reelway.policy.relaxed import RelaxedWindow
from reelway.policy.tiers import Plan, Plans, Tier
from reelway.store import ledger
from reelway.store.accounts import AccountStore, Balance, UsageRow
from reelway.store.keys import KeyStore
from reelway.store.ratelimits import Counters

PROJECT_NAME_MAX = 200
MAX_REQUESTS_LIMIT = 2**31 - 1
PROJECT_CACHE_SIZE = 10_000
"""At most this many project rows kept for ``admit``; the cache starts over beyond it."""
"""The largest per-project request limit: the database column is a 32-bit integer."""


@dataclass(frozen=True)
class Admission:
    """A generation request let in: whose, under which tier, and its counted windows."""

    project: jobs.Project
    tier: Tier
    plan: Plan | None
    rate: Decision
    now: float

    @property
    def headers(self) -> dict[str, str]:
        return ratelimit.headers(self.rate, self.now)


@dataclass(frozen=True)
class Schedule:
    """When and how urgently a new job may run."""

    priority: int
    run_at: float | None
    relaxed: bool


@dataclass(frozen=True)
class Summary:
    """A project's account as the admin API and CLI show it."""

    project: jobs.Project
    tier: Tier
    plan: Plan | None
    relaxed_allowed: bool
    watermark: bool
    period: tuple[float, float]
    balance: Balance
    files: tuple[int, int] | None = None
    """The project's stored uploads (``/v1/files``): how many, and their bytes."""


class AccountService:
    def __init__(
        self,
        plans: Plans,
        accounts: AccountStore,
        keys: KeyStore,
        counters: Counters,
        relaxed_window: RelaxedWindow,
        clock: Callable[[], float] = time.time,
        *,
        watermark: bool = False,
    ) -> None:
        self.plans = plans
        self.accounts = accounts
        self.keys = keys
        self.counters = counters
        self.relaxed_window = relaxed_window
        self.clock = clock
        self.watermark_default = watermark
        """The deployment's choice (``REELWAY_WATERMARK``), under the plan's and project's."""
        self.file_usage: Callable[[str], Awaitable[tuple[int, int]]] | None = None
        """A project's stored uploads (count, bytes), for its summary (set by the runtime)."""
        self.budget_watch: Callable[[jobs.Project, Balance], Awaitable[None]] | None = None
        """Pauses a project whose spend reached its ``pause_at_budget_percent`` (and lifts that
        pause below it), before each create (``pauses.PauseService.check_budget``)."""
        self.pause_state: Callable[[str], Awaitable[dict[str, Any]]] | None = None
        """Whether a project's work is paused and why (set by the runtime)."""
        self._cycles: dict[float, tuple[float, float]] = {}
        self._projects: dict[str, tuple[jobs.Project, float]] = {}
        """Project rows ``admit`` read recently, by id, with when (``time.monotonic``)."""

    # ------------------------------------------------------------------ admission

    async def admit(self, project_id: str, *, cache_seconds: float = 0.0) -> Admission:
        """Count a generation request against its project's windows, or refuse it (429).

        ``cache_seconds``: how old the project row read may be (the API passes its key
        cache's window, ``auth_cache_seconds``: a change made by another process, such as
        ``reelway projects update``, shows within it, as a revoked key does; this process's
        own changes show at once).  A budget lowered meanwhile still holds: the reservation
        is checked against the project's current budget (``ledger._BUDGET``).
        """
        project = await self.project(project_id, cache_seconds)
        if project.disabled_at is not None:
            raise errors.ProjectDisabled(
                f"Project {project.name!r} is disabled; ask the operator to enable it."
            )
        tier = self.plans.tier(project.tier)
        now = self.clock()
        decision = await self.counters.take(ratelimit.windows(project, tier, now))
        if decision.refused is not None:
            window = decision.refused
            count = decision.counts[0].count if decision.counts else window.limit
            wait = max(0.001, window.end - now)
            heads = ratelimit.refused_headers(window, count, now)
            if window.name == "minute":
                raise errors.RequestsPerMinuteExceeded(
                    f"Rate limit reached: {window.limit} generation requests per minute for "
                    f"project {project.name!r} (tier {tier.name}). Retry in "
                    f"{ratelimit.duration(wait)}; polling and downloads are not limited.",
                    retry_after=wait,
                    headers=heads,
                )
            raise errors.RequestsPerDayExceeded(
                f"Rate limit reached: {window.limit} generation requests per UTC day for "
                f"project {project.name!r} (tier {tier.name}). The limit resets in "
                f"{ratelimit.duration(wait)}.",
                retry_after=wait,
                headers=heads,
            )
        if self.budget_watch is not None and project.pause_at_budget_percent is not None:
            start, _ = self.cycle(project.anchor, now)
            await self.budget_watch(project, await self.accounts.balance(project.id, start))
        return Admission(project, tier, self.plans.plan(project.plan), decision, now)

    async def project(self, project_id: str, cache_seconds: float = 0.0) -> jobs.Project:
        """The project, read at most ``cache_seconds`` ago."""
        if cache_seconds <= 0:
            return await self.accounts.require(project_id)
        now = time.monotonic()
        cached = self._projects.get(project_id)
        if cached is not None and now - cached[1] < cache_seconds:
            return cached[0]
        project = await self.accounts.require(project_id)
        if len(self._projects) >= PROJECT_CACHE_SIZE:
            self._projects.clear()
        self._projects[project_id] = (project, now)
        return project

    def cycle(self, anchor: float, now: float) -> tuple[float, float]:
        """``periods.cycle``, kept per anchor while ``now`` stays inside it (~40 µs a create
        otherwise: a billing period changes once a month)."""
        found = self._cycles.get(anchor)
        if found is None or not found[0] <= now < found[1]:
            found = periods.cycle(anchor, now)
            if len(self._cycles) >= PROJECT_CACHE_SIZE:
                self._cycles.clear()
            self._cycles[anchor] = found
        return found

    def relaxed_allowed(self, project: jobs.Project) -> bool:
        if project.relaxed is not None:
            return project.relaxed
        plan = self.plans.plan(project.plan)
        return plan is not None and plan.relaxed

    def watermark(self, project: jobs.Project) -> bool:
        """Whether the project's new videos carry a visible watermark."""
        if project.watermark is not None:
            return project.watermark
        plan = self.plans.plan(project.plan)
        if plan is not None and plan.watermark is not None:
            return plan.watermark
        return self.watermark_default

    def schedule(self, admission: Admission, relaxed: bool) -> Schedule:
        if not relaxed:
            return Schedule(admission.tier.priority, None, relaxed=False)
        if not self.relaxed_allowed(admission.project):
            raise errors.RelaxedNotAllowed(
                f"Project {admission.project.name!r} may not use relaxed mode; its plan "
                "does not include it. Leave service_tier out, or ask the operator.",
                param="service_tier",
            )
        opens = self.relaxed_window.next_open(admission.now)
        return Schedule(jobs.RELAXED_PRIORITY, opens, relaxed=True)

    def reservation(
        self,
        admission: Admission,
        video_id: str,
        model: catalog.ModelSpec,
        size: str,
        seconds: int,
        relaxed: bool,
    ) -> ledger.Reservation:
        """What a new job holds: ``seconds`` is what it is charged for (an extension's new
        segment, not the stitched total: ``service.JobSpec.new_seconds``)."""
        cost = pricing.estimate(model, size, seconds, relaxed=relaxed)
        start, end = self.cycle(admission.project.anchor, admission.now)
        plan = admission.plan
        return ledger.Reservation(
            video_id=video_id,
            project_id=admission.project.id,
            model=model.name,
            size=size,
            seconds=seconds,
            relaxed=relaxed,
            period_start=start,
            period_end=end,
            credits_per_second=cost.credits_per_second,
            usd_micros_per_second=cost.usd_micros_per_second,
            credit_limit=None if plan is None else plan.monthly_credits,
            budget_usd_micros=admission.project.budget_usd_micros,
        )

    # ------------------------------------------------------------------ administration

    def check_settings(self, changes: Mapping[str, Any]) -> dict[str, Any]:
        """Project settings as the API or CLI send them, checked and in store units."""
        checked: dict[str, Any] = {}
        for name, value in changes.items():
            if name == "tier":
                if value is not None and (
                    not isinstance(value, str) or value not in self.plans.tiers
                ):
                    raise errors.InvalidValue(
                        f"Unknown tier {errors.show(value)}. Allowed values: "
                        f"{', '.join(self.plans.tiers)}.",
                        param="tier",
                    )
                checked["tier"] = value
            elif name == "plan":
                if value is not None and (
                    not isinstance(value, str) or value not in self.plans.plans
                ):
                    allowed = ", ".join(self.plans.plans) or "none are configured"
                    raise errors.InvalidValue(
                        f"Unknown plan {errors.show(value)}. Allowed values: {allowed}.",
                        param="plan",
                    )
                checked["plan"] = value
            elif name == "budget_usd":
                checked["budget_usd_micros"] = _money(value)
            elif name in ("relaxed", "disabled", "watermark"):
                value = _bool_or_none(value, name)
                if name in ("relaxed", "watermark"):
                    checked[name] = value
                else:
                    checked["disabled_at"] = self.clock() if value else None
            elif name in ("requests_per_minute", "requests_per_day"):
                checked[name] = _positive_or_none(value, name)
            elif name == "pause_at_budget_percent":
                checked[name] = _percent_or_none(value, name)
            else:
                raise errors.UnknownParameter(
                    f"Unknown parameter: {errors.show(name)}. Allowed parameters: tier, plan, "
                    "budget_usd, relaxed, watermark, disabled, requests_per_minute, "
                    "requests_per_day, pause_at_budget_percent.",
                    param=name,
                )
        if "plan" in checked:
            checked["cycle_anchor"] = self.clock()  # a new plan starts a new cycle now
        return checked

    async def create_project(self, name: Any, settings: Mapping[str, Any]) -> jobs.Project:
        name = check_name(name)
        checked = self.check_settings(settings)
        checked.pop("cycle_anchor", None)  # a new project's cycle starts at its creation
        return await self.accounts.create_project(name, **checked)

    async def update_project(self, id_or_name: str, changes: Mapping[str, Any]) -> jobs.Project:
        project = await self.accounts.require(id_or_name)
        checked = self.check_settings(changes)
        if checked.get("plan", project.plan) == project.plan:
            checked.pop("cycle_anchor", None)
        self._projects.pop(project.id, None)
        try:
            return await self.accounts.update_project(project.id, checked)
        finally:
            self._projects.pop(project.id, None)  # and any read that raced the update

    async def summary(self, project: jobs.Project) -> Summary:
        period = periods.cycle(project.anchor, self.clock())
        return Summary(
            project=project,
            tier=self.plans.tier(project.tier),
            plan=self.plans.plan(project.plan),
            relaxed_allowed=self.relaxed_allowed(project),
            watermark=self.watermark(project),
            period=period,
            balance=await self.accounts.balance(project.id, period[0]),
            files=None if self.file_usage is None else await self.file_usage(project.id),
        )

    async def record(self, project: jobs.Project) -> dict[str, Any]:
        """The project as the admin API and the CLI show it (``summary_record``), with its
        pause state when the runtime wired one (``pauses.PauseService.state``)."""
        found = summary_record(await self.summary(project))
        if self.pause_state is not None:
            found["pause"] = await self.pause_state(project.id)
        return found

    async def usage(
        self, project_id: str | None, first_day: str | None, last_day: str | None
    ) -> list[UsageRow]:
        now = self.clock()
        last = _day(last_day, "end") if last_day else periods.utc_day(now)
        first = _day(first_day, "start") if first_day else periods.utc_day(now - 29 * 86_400)
        if first > last:
            raise errors.InvalidValue("start must not be after end.", param="start")
        return await self.accounts.usage(project_id, first, last)


def _money(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            value = None
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 <= value < 1e12:
        raise errors.InvalidValue(
            "budget_usd must be a number of US dollars >= 0, or null for no budget.",
            param="budget_usd",
        )
    return pricing.to_micros(float(value))


def check_name(value: Any) -> str:
    """A project's or key's name, stripped.  Printable characters only: a NUL cannot be
    stored in PostgreSQL (a 500 there, while SQLite kept it), and control or direction
    characters would garble the dashboard, the CLI's tables and the logs."""
    if (
        not isinstance(value, str)
        or not value.strip()
        or len(value) > PROJECT_NAME_MAX
        or not value.isprintable()
    ):
        raise errors.InvalidValue(
            f"name must be a non-empty string of at most {PROJECT_NAME_MAX} printable characters.",
            param="name",
        )
    return value.strip()


def _bool_or_none(value: Any, name: str) -> bool | None:
    if isinstance(value, str) and value.lower() in ("true", "false", "null"):
        value = {"true": True, "false": False, "null": None}[value.lower()]
    if value is not None and not isinstance(value, bool):
        raise errors.InvalidValue(f"{name} must be true, false or null.", param=name)
    return value


def _positive_or_none(value: Any, name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = numeric.whole(value, 1, MAX_REQUESTS_LIMIT)
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= MAX_REQUESTS_LIMIT:
        raise errors.InvalidValue(
            f"{name} must be a whole number from 1 to {MAX_REQUESTS_LIMIT}, or null.", param=name
        )
    return value


def _percent_or_none(value: Any, name: str) -> int | None:
    """A percentage of the budget, 1 to 100 (``pause_at_budget_percent``), or None."""
    if value is None or (isinstance(value, str) and value.lower() == "null"):
        return None
    if isinstance(value, str):
        value = numeric.whole(value, 1, 100) or value  # the CLI sends text
    if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= 100:
        raise errors.InvalidValue(
            f"{name} must be a whole number from 1 to 100, or null for off.", param=name
        )
    return value


def _day(value: str, param: str) -> str:
    if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        raise errors.InvalidValue(
            f"{param} must be a UTC day such as 2026-11-22, got {errors.show(value)}.",
            param=param,
        )
    try:
        datetime.date.fromisoformat(value)  # the shape alone lets 2026-99-99 through
    except ValueError:
        raise errors.InvalidValue(
            f"{param} is not a valid date: {errors.show(value)} (YYYY-MM-DD, a UTC day such "
            "as 2026-11-22).",
            param=param,
        ) from None
    return value


# ---------------------------------------------------------------------- presenting accounts

USAGE_COLUMNS = (
    "day",
    "project_id",
    "model",
    "requests",
    "completed",
    "failed",
    "in_progress",
    "relaxed",
    "seconds",
    "credits",
    "cost_usd",
)


def usage_records(found: list[UsageRow]) -> list[dict[str, Any]]:
    """Usage rows as plain records (``cost_usd`` in dollars); ``failed`` counts cancelled
    videos too, and ``in_progress`` those still holding a reservation."""
    return [
        {
            "day": r.day,
            "project_id": r.project_id,
            "model": r.model,
            "requests": r.requests,
            "completed": r.completed,
            "failed": r.failed,
            "in_progress": r.in_progress,
            "relaxed": r.relaxed,
            "seconds": r.seconds,
            "credits": r.credits,
            "cost_usd": pricing.to_usd(r.usd_micros),
        }
        for r in found
    ]


def usage_totals(records: list[dict[str, Any]]) -> dict[str, Any]:
    totals: dict[str, Any] = {
        name: sum(r[name] for r in records) for name in USAGE_COLUMNS[3:] if name != "cost_usd"
    }
    totals["cost_usd"] = round(sum(r["cost_usd"] for r in records), 6)
    return totals


def usage_csv(records: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=USAGE_COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(records)
    return buffer.getvalue()


def summary_record(summary: Summary) -> dict[str, Any]:
    """A project with its effective limits and the current period's balance."""
    project, tier, plan, balance = summary.project, summary.tier, summary.plan, summary.balance
    credit_limit = None if plan is None else plan.monthly_credits
    budget = project.budget_usd_micros
    return {
        "object": "organization.project",
        "id": project.id,
        "name": project.name,
        "created_at": int(project.created_at),
        "status": "disabled" if project.disabled_at is not None else "active",
        "tier": tier.name,
        "plan": None if plan is None else plan.name,
        "budget_usd": None if budget is None else pricing.to_usd(budget),
        "pause_at_budget_percent": project.pause_at_budget_percent,
        "relaxed": summary.relaxed_allowed,
        "watermark": summary.watermark,
        "requests_per_minute": project.requests_per_minute or tier.requests_per_minute,
        "requests_per_day": project.requests_per_day or tier.requests_per_day,
        "period": {
            "start": int(summary.period[0]),
            "end": int(summary.period[1]),
            "credits_limit": credit_limit,
            "credits_spent": balance.credits_spent,
            "credits_reserved": balance.credits_reserved,
            "credits_remaining": None
            if credit_limit is None
            else max(0, credit_limit - balance.credits_spent - balance.credits_reserved),
            "spent_usd": pricing.to_usd(balance.usd_micros_spent),
            "reserved_usd": pricing.to_usd(balance.usd_micros_reserved),
            "budget_used_percent": None
            if not budget
            else round(balance.usd_micros_spent * 100 / budget, 2),
        },
        **(
            {}
            if summary.files is None
            else {"files": {"count": summary.files[0], "bytes": summary.files[1]}}
        ),
    }


class KeyAdmin:
    """API keys of a project, for the admin API and the CLI."""

    def __init__(self, accounts: AccountStore, keys: KeyStore) -> None:
        self.accounts = accounts
        self.keys = keys

    async def create(self, project: str, name: Any) -> tuple[jobs.ApiKey, str]:
        found = await self.accounts.require(project)
        return await self.keys.create_key(found.id, check_name("default" if name is None else name))

    async def list(self, project: str) -> list[jobs.ApiKey]:
        found = await self.accounts.require(project)
        return [key for key, _ in await self.keys.list_keys(found.id)]

    async def revoke(self, project: str, key_id: str) -> jobs.ApiKey:
        found = await self.accounts.require(project)
        owned = {key.id for key, _ in await self.keys.list_keys(found.id)}
        revoked = await self.keys.revoke_key(key_id) if key_id in owned else None
        if revoked is None:
            raise errors.ApiKeyNotFound(
                f"No API key {errors.show(key_id)} in project {found.name!r}.", param="key_id"
            )
        return revoked


def key_record(key: jobs.ApiKey, secret: str | None = None) -> dict[str, Any]:
    record: dict[str, Any] = {
        "object": "organization.project.api_key",
        "id": key.id,
        "project_id": key.project_id,
        "name": key.name,
        "redacted_value": key.hint,
        "created_at": int(key.created_at),
        "revoked_at": None if key.revoked_at is None else int(key.revoked_at),
    }
    if secret is not None:
        record["value"] = secret  # shown once, at creation
    return record
