"""Pause and resume: the use cases the admin API, a project's own routes and the CLI share.

A pause stops new work from starting; creates are still accepted and queued, and jobs already
running finish.  Scopes: the deployment, a project (the operator, or the project itself with
its own key, or its ``pause_at_budget_percent``), an engine (drained for maintenance: its
queued jobs fail over along their routes, or wait for it, as the pause's ``on_queued`` says).
Resuming gives the jobs back in their queue order.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from reelway import errors, jobs
from reelway.store.accounts import AccountStore, Balance
from reelway.store.pauses import DEPLOYMENT_TARGET, Pause, PauseStore, Scope

ON_QUEUED = ("failover", "wait")
"""What a paused engine's queued jobs do: go on to the route's next engine, or wait."""

REASON_CHARS = 500

NOTHING_PAUSED = "nothing is paused"

PAUSE_FIELDS = frozenset({"scope", "project", "engine", "reason", "on_queued"})
"""``/v1/organization/pause`` (the operator's)."""
RESUME_FIELDS = frozenset({"scope", "project", "engine"})
OWN_PAUSE_FIELDS = frozenset({"scope", "project", "reason"})
"""``/v1/pause`` (a project's own key; ``scope`` and ``project`` only name itself)."""
OWN_RESUME_FIELDS = frozenset({"scope", "project"})

BY_OPERATOR = "operator"
BY_PROJECT = "project"
BY_BUDGET = "budget"

_SCOPES = tuple(scope.value for scope in Scope)


def record(pause: Pause, *, held: int | None = None) -> dict[str, Any]:
    """A pause as the API and the CLI show it."""
    found: dict[str, Any] = {
        "object": "pause",
        "scope": pause.scope.value,
        "project_id": pause.target if pause.scope is Scope.PROJECT else None,
        "engine": pause.target if pause.scope is Scope.ENGINE else None,
        "paused_by": pause.paused_by,
        "reason": pause.reason,
        "paused_at": int(pause.paused_at),
    }
    if pause.scope is Scope.ENGINE:
        found["on_queued"] = pause.on_queued
    if held is not None:
        found["queued_jobs_held"] = held
    return found


def _text(value: Any, name: str, limit: int = REASON_CHARS) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > limit or "\x00" in value:
        raise errors.InvalidValue(
            f"{name} must be a string of at most {limit} characters.", param=name
        )
    return value.strip() or None


def _check_fields(body: Mapping[str, Any], allowed: Collection[str]) -> None:
    unknown = sorted(set(body) - set(allowed))
    if unknown:
        raise errors.UnknownParameter(
            f"Unknown parameter: {errors.show(unknown[0])}. Allowed parameters: "
            f"{', '.join(sorted(allowed))}.",
            param=unknown[0],
        )


def budget_reached(project: jobs.Project, balance: Balance) -> bool:
    """Whether the project's spend and reservations reached its pause threshold."""
    percent, budget = project.pause_at_budget_percent, project.budget_usd_micros
    if percent is None or budget is None:
        return False
    used = balance.usd_micros_spent + balance.usd_micros_reserved
    return used * 100 >= budget * percent


class PauseService:
    def __init__(self, store: PauseStore, accounts: AccountStore, engines: Collection[str]) -> None:
        self.store = store
        self.accounts = accounts
        self.engines = tuple(engines)
        """The engines on the configured routes (an engine pause must name one of them)."""

    # ------------------------------------------------------------------ the operator

    async def _target(self, body: Mapping[str, Any]) -> tuple[Scope, str]:
        scope_value = body.get("scope")
        if scope_value is None:
            scope_value = "project" if "project" in body else "engine" if "engine" in body else None
        if scope_value not in _SCOPES:
            raise errors.InvalidValue(
                f"Invalid scope {errors.show(scope_value)}. Allowed values: {', '.join(_SCOPES)}.",
                param="scope",
            )
        scope = Scope(scope_value)
        if scope is Scope.DEPLOYMENT:
            return scope, DEPLOYMENT_TARGET
        name = scope.value
        value = body.get(name)
        if not isinstance(value, str) or not value:
            raise errors.MissingParameter(
                f"A {name} pause needs {name}: the {name}'s "
                f"{'id or name' if scope is Scope.PROJECT else 'name'}.",
                param=name,
            )
        if scope is Scope.PROJECT:
            return scope, (await self.accounts.require(value)).id
        if value not in self.engines:
            raise errors.InvalidValue(
                f"Unknown engine {errors.show(value)}. Engines on the routes: "
                f"{', '.join(self.engines) or 'none'}.",
                param="engine",
            )
        return scope, value

    async def pause(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The operator pauses ``scope`` (deployment, project or engine)."""
        _check_fields(body, PAUSE_FIELDS)
        scope, target = await self._target(body)
        on_queued = body.get("on_queued")
        if scope is Scope.ENGINE:
            on_queued = "failover" if on_queued is None else on_queued
            if on_queued not in ON_QUEUED:
                raise errors.InvalidValue(
                    f"Invalid on_queued {errors.show(on_queued)}. Allowed values: "
                    f"{', '.join(ON_QUEUED)}.",
                    param="on_queued",
                )
        elif on_queued is not None:
            raise errors.InvalidValue(
                "on_queued applies to an engine pause only.", param="on_queued"
            )
        reason = _text(body.get("reason"), "reason")
        pause, _ = await self.store.pause(
            scope, target, paused_by=BY_OPERATOR, reason=reason, on_queued=on_queued
        )
        return await self._shown(pause)

    async def resume(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """The operator lifts a pause (any pause: the project's own, a budget's too)."""
        _check_fields(body, RESUME_FIELDS)
        scope, target = await self._target(body)
        return _resumed(scope, target, await self.store.resume(scope, target))

    async def list(self) -> dict[str, Any]:
        found = await self.store.all()
        return {"object": "list", "data": [await self._shown(p) for p in found]}

    async def summary(self) -> dict[str, Any]:
        """What ``/ready`` and ``reelway doctor`` show: counts and engine names, no project
        names (``/ready`` needs no key)."""
        found = await self.store.all()
        deployment = any(p.scope is Scope.DEPLOYMENT for p in found)
        projects = sum(1 for p in found if p.scope is Scope.PROJECT)
        engines = sorted(p.target for p in found if p.scope is Scope.ENGINE)
        parts = (["the deployment"] if deployment else []) + (
            [f"{projects} project(s)"] if projects else []
        )
        parts += [f"engine {name}" for name in engines]
        return {
            "detail": f"paused: {', '.join(parts)}" if parts else NOTHING_PAUSED,
            "deployment": deployment,
            "projects": projects,
            "engines": engines,
        }

    async def _shown(self, pause: Pause) -> dict[str, Any]:
        held = None
        found = record(pause)
        if pause.scope is Scope.PROJECT:
            held = await self.store.held_count(pause.target)
            project = await self.accounts.get(pause.target)
            found = record(pause, held=held)
            found["project_name"] = None if project is None else project.name
        return found

    # ------------------------------------------------------------------ a project, own key

    async def _own(self, project_id: str, body: Mapping[str, Any]) -> None:
        scope = body.get("scope", "project")
        if scope != "project":
            raise errors.PauseForbidden(
                "A project key pauses and resumes only its own project's work; the operator "
                "pauses the deployment and engines.",
                param="scope",
            )
        named = body.get("project")
        if named is not None:
            found = await self.accounts.get(named) if isinstance(named, str) else None
            if found is None or found.id != project_id:
                raise errors.PauseForbidden(
                    "A project key pauses and resumes only its own project's work.",
                    param="project",
                )

    async def pause_own(self, project_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        await self._own(project_id, body)  # 403 before 400: naming what it may not pause
        _check_fields(body, OWN_PAUSE_FIELDS)
        reason = _text(body.get("reason"), "reason")
        pause, _ = await self.store.pause(
            Scope.PROJECT, project_id, paused_by=BY_PROJECT, reason=reason
        )
        return await self._shown(pause)

    async def resume_own(self, project_id: str, body: Mapping[str, Any]) -> dict[str, Any]:
        await self._own(project_id, body)
        _check_fields(body, OWN_RESUME_FIELDS)
        current = await self.store.get(Scope.PROJECT, project_id)
        if current is not None and current.paused_by == BY_OPERATOR:
            raise errors.PauseForbidden(
                "The operator paused this project; only the operator resumes it "
                "(reelway resume --project, or the admin API).",
                param="project",
            )
        lifted = await self.store.resume(Scope.PROJECT, project_id)
        return _resumed(Scope.PROJECT, project_id, lifted)

    async def state(self, project_id: str) -> dict[str, Any]:
        """What ``/v1/usage`` shows: whether the project's work is paused, and why."""
        own = await self.store.get(Scope.PROJECT, project_id)
        whole = await self.store.get(Scope.DEPLOYMENT, DEPLOYMENT_TARGET)
        return {
            "paused": own is not None or whole is not None,
            "project": None if own is None else record(own),
            "deployment": None if whole is None else record(whole),
            "queued_jobs_held": await self.store.held_count(project_id),
        }

    # ------------------------------------------------------------------ budgets

    async def check_budget(self, project: jobs.Project, balance: Balance) -> None:
        """Pause the project when its spend reaches ``pause_at_budget_percent``; lift a
        budget pause once it is below again (a new period, a raised budget)."""
        if project.pause_at_budget_percent is None:
            return
        reached = budget_reached(project, balance)
        current = await self.store.get(Scope.PROJECT, project.id)
        if reached and current is None:
            percent = project.pause_at_budget_percent
            await self.store.pause(
                Scope.PROJECT,
                project.id,
                paused_by=BY_BUDGET,
                reason=f"spend reached {percent}% of the budget",
            )
        elif not reached and current is not None and current.paused_by == BY_BUDGET:
            await self.store.resume(Scope.PROJECT, project.id)


def _resumed(scope: Scope, target: str, lifted: Pause | None) -> dict[str, Any]:
    return {
        "object": "pause.resumed",
        "scope": scope.value,
        "project_id": target if scope is Scope.PROJECT else None,
        "engine": target if scope is Scope.ENGINE else None,
        "was_paused": lifted is not None,
        "paused_by": None if lifted is None else lifted.paused_by,
    }
