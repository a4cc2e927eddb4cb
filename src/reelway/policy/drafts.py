"""Draft then promote: what iterating at 480p and rendering only the chosen draft at full size
costs, against rendering every iteration at full size (the seed's "Cost Optimization").

Pure arithmetic over the catalogue's prices, in integer micro-dollars and credits, shared by
the preflight (``drafts``), ``reelway generate --drafts`` and ``reelway promote``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from reelway import catalog
from reelway.policy import pricing

MAX_DRAFTS = 100
"""The most iterations a preflight prices (a plan, not a limit on what a project may make)."""


def draft_size(model: catalog.ModelSpec, size: str) -> str | None:
    """The model's 480p size in the same aspect ratio as ``size`` (its draft), or None when
    the model has none or ``size`` is already 480p."""
    width, height = catalog.parse_size(size)
    if catalog.resolution_class(width, height) == "480p":
        return None
    ratio = catalog.aspect_ratio(width, height)
    for candidate in model.sizes:
        w, h = catalog.parse_size(candidate)
        if catalog.resolution_class(w, h) == "480p" and catalog.aspect_ratio(w, h) == ratio:
            return candidate
    return None


@dataclass(frozen=True)
class DraftPlan:
    """``drafts`` iterations at ``draft_size``, then one promote to ``final_size``; against
    ``drafts`` iterations at ``final_size`` (the last of them being the final)."""

    drafts: int
    draft_size: str
    final_size: str
    draft: pricing.Estimate
    """One draft."""
    final: pricing.Estimate
    """One render at the final size (the promote, or one full-size iteration)."""

    @property
    def draft_micros(self) -> int:
        return self.drafts * self.draft.usd_micros

    @property
    def total_micros(self) -> int:
        return self.draft_micros + self.final.usd_micros

    @property
    def all_full_micros(self) -> int:
        return self.drafts * self.final.usd_micros

    @property
    def total_credits(self) -> int:
        return self.drafts * self.draft.credits + self.final.credits

    @property
    def all_full_credits(self) -> int:
        return self.drafts * self.final.credits

    def to_dict(self) -> dict[str, Any]:
        """The preflight's ``draft_plan`` object (USD and credits side by side)."""
        usd = pricing.to_usd
        return {
            "drafts": self.drafts,
            "draft_size": self.draft_size,
            "final_size": self.final_size,
            "draft_cost": usd(self.draft_micros),
            "final_cost": usd(self.final.usd_micros),
            "total": usd(self.total_micros),
            "all_full_cost": usd(self.all_full_micros),
            "saving": usd(self.all_full_micros - self.total_micros),
            "credits": {
                "draft_cost": self.drafts * self.draft.credits,
                "final_cost": self.final.credits,
                "total": self.total_credits,
                "all_full_cost": self.all_full_credits,
                "saving": self.all_full_credits - self.total_credits,
            },
        }


def plan(
    model: catalog.ModelSpec, size: str, seconds: int, drafts: int, *, relaxed: bool = False
) -> DraftPlan | None:
    """The plan for ``drafts`` iterations of a ``size`` video; None when the model has no
    draft size for it (no 480p size in its aspect ratio, or ``size`` is 480p itself)."""
    small = draft_size(model, size)
    if small is None:
        return None
    return DraftPlan(
        drafts=drafts,
        draft_size=small,
        final_size=size,
        draft=pricing.estimate(model, small, seconds, relaxed=relaxed),
        final=pricing.estimate(model, size, seconds, relaxed=relaxed),
    )
