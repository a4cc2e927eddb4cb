"""Tiers (request limits) and plans (monthly credits, relaxed mode): data the operator edits.

The built-in ``plans.toml`` follows the seeds (SPEC §6); ``REELWAY_PLANS`` points at a
replacement.  Everything is checked when Reelway starts, so a typo is a start-up error that
names the file and the key, not a surprise on the first request.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pydantic

from reelway import datafiles

NAME_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,49}$"


class _TierEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    requests_per_minute: pydantic.PositiveInt | None = None
    requests_per_day: pydantic.PositiveInt | None = None
    priority: int = pydantic.Field(default=0, ge=-50, le=50)


class _PlanEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    monthly_credits: pydantic.NonNegativeInt
    relaxed: bool = False
    watermark: bool | None = None


class _PlansFile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    default_tier: str
    tiers: dict[str, _TierEntry]
    plans: dict[str, _PlanEntry] = {}


@dataclass(frozen=True)
class Tier:
    """Request limits on generation requests, and the queue priority of the tier's jobs."""

    name: str
    description: str
    requests_per_minute: int | None
    requests_per_day: int | None
    priority: int


@dataclass(frozen=True)
class Plan:
    """Monthly credits, whether relaxed mode is included, and the watermark choice."""

    name: str
    description: str
    monthly_credits: int
    relaxed: bool
    watermark: bool | None = None
    """A visible watermark on its projects' videos; None: as the deployment says."""


@dataclass(frozen=True)
class Plans:
    """Every tier and plan, by name."""

    tiers: dict[str, Tier]
    plans: dict[str, Plan]
    default_tier: str

    def tier(self, name: str | None) -> Tier:
        """A project's tier; None means the deployment's default tier."""
        found = self.tiers.get(name or self.default_tier)
        # A project whose tier was removed from the file falls back to the default tier.
        return found if found is not None else self.tiers[self.default_tier]

    def plan(self, name: str | None) -> Plan | None:
        return None if name is None else self.plans.get(name)


def load(path: Path | None = None) -> Plans:
    """Read and check a plans file; the packaged default when ``path`` is None."""
    source = "the built-in plans" if path is None else str(path)
    try:
        return from_mapping(datafiles.read_toml(path, "reelway.policy", "plans.toml"))
    except (tomllib.TOMLDecodeError, pydantic.ValidationError, ValueError) as exc:
        raise ValueError(f"invalid tiers and plans in {source}: {exc}") from exc


def from_mapping(data: dict[str, Any]) -> Plans:
    parsed = _PlansFile.model_validate(data)
    for kind, names in (("tier", parsed.tiers), ("plan", parsed.plans)):
        for name in names:
            if not re.fullmatch(NAME_PATTERN, name):
                raise ValueError(
                    f"{kind} name {name!r} must be lower-case letters, digits, '-' or '_'"
                )
    if parsed.default_tier not in parsed.tiers:
        raise ValueError(
            f"default_tier {parsed.default_tier!r} is not one of the tiers {sorted(parsed.tiers)}"
        )
    return Plans(
        tiers={
            name: Tier(
                name=name,
                description=t.description,
                requests_per_minute=t.requests_per_minute,
                requests_per_day=t.requests_per_day,
                priority=t.priority,
            )
            for name, t in parsed.tiers.items()
        },
        plans={
            name: Plan(
                name=name,
                description=p.description,
                monthly_credits=p.monthly_credits,
                relaxed=p.relaxed,
                watermark=p.watermark,
            )
            for name, p in parsed.plans.items()
        },
        default_tier=parsed.default_tier,
    )
