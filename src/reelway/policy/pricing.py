"""What a video costs before it is made: credits and US dollars, from the catalogue.

Money is kept in integer micro-dollars end to end (no float drift in sums); the per-second
rates are stored with each charge so that settling never needs the catalogue again.
"""

from __future__ import annotations

from dataclasses import dataclass

from reelway import catalog

MICROS_PER_USD = 1_000_000


def to_micros(usd: float) -> int:
    return round(usd * MICROS_PER_USD)


def to_usd(micros: int) -> float:
    return micros / MICROS_PER_USD


@dataclass(frozen=True)
class Estimate:
    """The cost of a video of ``seconds`` at the given rates (zero rates for relaxed jobs)."""

    seconds: int
    credits_per_second: int
    usd_micros_per_second: int
    relaxed: bool = False

    @property
    def credits(self) -> int:
        return self.credits_per_second * self.seconds

    @property
    def usd_micros(self) -> int:
        return self.usd_micros_per_second * self.seconds

    @property
    def usd(self) -> float:
        return to_usd(self.usd_micros)


def estimate(
    model: catalog.ModelSpec, size: str, seconds: int, *, relaxed: bool = False
) -> Estimate:
    """Relaxed jobs cost nothing: the plan includes them (the seed's Pro relaxed mode)."""
    if relaxed:
        return Estimate(seconds, 0, 0, relaxed=True)
    width, height = catalog.parse_size(size)
    return Estimate(
        seconds=seconds,
        credits_per_second=model.credits(width, height, 1),
        usd_micros_per_second=to_micros(model.price_per_second_usd(width, height)),
    )
