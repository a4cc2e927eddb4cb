"""The model catalogue: which models are served, with what sizes, lengths, prices and route.

The catalogue is data (``catalog.toml`` beside this module, or the operator's copy), checked
once at start-up; request validation reads it instead of hard-coding limits.
"""

from __future__ import annotations

import math
import random
import re
import tomllib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

import pydantic

from reelway import datafiles, errors

SIZE_PATTERN = re.compile(r"^([1-9][0-9]{1,4})x([1-9][0-9]{1,4})$")
RESOLUTION_CLASSES = ("480p", "720p", "1080p")
MAX_PROMPT_CHARS = 32000
LIMITED_NEGATIVE_CHARS = 500
"""A negative prompt capped below this many characters is called "limited"."""


class Capability(StrEnum):
    """Things a model (and the engines serving it) can do beyond a text prompt."""

    IMAGE_INPUT = "image_input"
    REMIX = "remix"
    AUDIO = "audio"
    EDITS = "edits"
    EXTENSIONS = "extensions"
    CHARACTERS = "characters"
    NEGATIVE_PROMPT = "negative_prompt"
    LOOP = "loop"


def parse_size(size: str) -> tuple[int, int]:
    """``"1280x720"`` -> ``(1280, 720)``; raises ``ValueError`` on anything else."""
    match = SIZE_PATTERN.match(size)
    if not match:
        raise ValueError(f"size must look like WIDTHxHEIGHT, got {size!r}")
    return int(match.group(1)), int(match.group(2))


def aspect_ratio(width: int, height: int) -> str:
    """``1920x1080`` -> ``"16:9"``; 854x480 and the like are read as the ratio they round to."""
    for name, (w, h) in _RATIOS.items():
        if abs(width * h - height * w) <= max(w, h) * 8:
            return name
    divisor = math.gcd(width, height)
    return f"{width // divisor}:{height // divisor}"


_RATIOS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1), "4:3": (4, 3), "3:4": (3, 4)}


def resolution_class(width: int, height: int) -> str:
    """480p, 720p or 1080p, read off the short side of the frame."""
    short = min(width, height)
    if short <= 480:
        return "480p"
    if short <= 720:
        return "720p"
    return "1080p"


class _ModelEntry(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    description: str = ""
    aliases: list[str] = []
    sizes: list[str]
    reelway_sizes: list[str] = []
    """Sizes Reelway adds beyond the provider's own (the 480p drafts); a subset of sizes."""
    seconds: list[pydantic.PositiveInt]
    default_size: str
    default_seconds: pydantic.PositiveInt
    capabilities: list[Capability] = []
    route: list[str]
    weights: dict[str, pydantic.PositiveFloat] = {}
    price_per_second: dict[str, pydantic.NonNegativeFloat]
    credits_per_second: dict[str, pydantic.NonNegativeInt] = {}
    """Overrides of the catalogue-wide credits per second, by resolution class."""
    created: int = 1759708800  # 2025-10-06, the first Sora 2 snapshot
    optional: bool = False
    """Served only where every engine on its route is configured (an open model needs the
    operator's weights); otherwise left out of the catalogue instead of stopping start-up."""
    legacy: bool = False
    """An older model kept for clients that still name it (shown in /v1/models)."""
    negative_prompt_chars: pydantic.PositiveInt = MAX_PROMPT_CHARS
    """The longest ``negative_prompt`` it takes: below the prompt's own limit, its negative
    prompts are "limited"."""

    @pydantic.model_validator(mode="after")
    def _consistent(self) -> _ModelEntry:
        for size in self.sizes:
            parse_size(size)
        if not self.sizes or not self.seconds or not self.route:
            raise ValueError("sizes, seconds and route must not be empty")
        stray = set(self.weights) - set(self.route)
        if stray:
            raise ValueError(f"weights name engines not on the route: {sorted(stray)}")
        if len(set(self.route)) != len(self.route):
            raise ValueError("route names an engine twice")
        if not set(self.reelway_sizes) <= set(self.sizes):
            raise ValueError("reelway_sizes names sizes that are not in sizes")
        if self.default_size not in self.sizes:
            raise ValueError(f"default_size {self.default_size!r} is not in sizes")
        if self.default_seconds not in self.seconds:
            raise ValueError(f"default_seconds {self.default_seconds} is not in seconds")
        for cls in (*self.price_per_second, *self.credits_per_second):
            if cls not in RESOLUTION_CLASSES:
                raise ValueError(f"price class {cls!r} is not one of {RESOLUTION_CLASSES}")
        for size in self.sizes:
            _price_class(self.price_per_second, resolution_class(*parse_size(size)))
        if self.negative_prompt_chars > MAX_PROMPT_CHARS:
            raise ValueError(f"negative_prompt_chars may be at most {MAX_PROMPT_CHARS}")
        return self


class _CatalogFile(pydantic.BaseModel):
    model_config = pydantic.ConfigDict(extra="forbid", frozen=True)

    credits_per_second: dict[str, pydantic.NonNegativeInt]
    models: dict[str, _ModelEntry]


def _price_class(prices: dict[str, float], res_class: str) -> float:
    """The price for a resolution class, falling back to the nearest class below it."""
    order = RESOLUTION_CLASSES[: RESOLUTION_CLASSES.index(res_class) + 1]
    for cls in reversed(order):
        if cls in prices:
            return prices[cls]
    raise ValueError(f"no price for {res_class} or any class below it")


@dataclass(frozen=True)
class ModelSpec:
    """One served model, as validation and routing read it."""

    name: str
    description: str
    aliases: tuple[str, ...]
    sizes: tuple[str, ...]
    seconds: tuple[int, ...]
    default_size: str
    default_seconds: int
    capabilities: frozenset[Capability]
    route: tuple[str, ...]
    """Engines to try, in order; a failure that may fail over moves the job to the next."""
    price_per_second: dict[str, float]
    credits_per_second: dict[str, int]
    created: int
    weights: dict[str, float] = field(default_factory=dict)
    """Engines that share the first place on the route, with their shares of new jobs."""
    optional: bool = False
    """Left out where an engine on its route is not configured (see ``Catalog.servable``)."""
    legacy: bool = False
    """An older model kept for clients that still name it."""
    negative_prompt_chars: int = MAX_PROMPT_CHARS
    """The longest ``negative_prompt`` it takes (when it has the capability at all)."""
    reelway_sizes: tuple[str, ...] = ()
    """Sizes Reelway adds beyond the provider's own (drafts at 480p), shown as such."""

    def check_size(self, size: str, param: str = "size") -> tuple[int, int]:
        if size not in self.sizes:
            raise errors.InvalidValue(
                f"Invalid size {errors.show(size)} for model {self.name!r}. "
                f"Allowed sizes: {', '.join(self.sizes)}. {self.limits()}",
                param=param,
            )
        return parse_size(size)

    def check_seconds(self, seconds: int, param: str = "seconds") -> int:
        if seconds not in self.seconds:
            raise errors.InvalidValue(
                f"Invalid seconds {errors.show(seconds)} for model {self.name!r}. "
                f"Allowed values: {', '.join(str(s) for s in self.seconds)}. {self.limits()}",
                param=param,
            )
        return seconds

    def aspect_ratios(self) -> tuple[str, ...]:
        """The aspect ratios its sizes come in ("16:9", "1:1", "9:16"), in catalogue order."""
        found: dict[str, None] = {}
        for size in self.sizes:
            found[aspect_ratio(*parse_size(size))] = None
        return tuple(found)

    def max_resolution(self) -> str:
        """The highest resolution class among its sizes."""
        return max(
            (resolution_class(*parse_size(s)) for s in self.sizes), key=RESOLUTION_CLASSES.index
        )

    def negative_prompts(self) -> str:
        """ "full", "supported"/"limited" with its length cap, or "no" (the seeds' words)."""
        if not self.has(Capability.NEGATIVE_PROMPT):
            return "no"
        if self.negative_prompt_chars >= MAX_PROMPT_CHARS:
            return "full"
        word = "limited" if self.negative_prompt_chars < LIMITED_NEGATIVE_CHARS else "supported"
        return f"{word} (up to {self.negative_prompt_chars} characters)"

    def limits(self) -> str:
        """One sentence of what the model takes, for refusals that must name its limits."""
        legacy = " (legacy)" if self.legacy else ""
        by_ratio: dict[str, list[str]] = {}
        for size in self.sizes:
            by_ratio.setdefault(aspect_ratio(*parse_size(size)), []).append(size)
        sizes = ", ".join(f"{ratio} {'/'.join(found)}" for ratio, found in by_ratio.items())
        return (
            f"Model {self.name!r}{legacy} limits: up to {self.max_resolution()} and "
            f"{max(self.seconds)} s; sizes {sizes}; seconds "
            f"{', '.join(str(s) for s in self.seconds)}; negative prompts: "
            f"{self.negative_prompts()}; loop: {'yes' if self.has(Capability.LOOP) else 'no'}."
        )

    def engine_order(self, video_id: str) -> tuple[str, ...]:
        """The route for one video: weighted engines first (picked by share, the same way
        every time for the same video), then the rest in their declared order."""
        if not self.weights:
            return self.route
        weighted = [e for e in self.route if e in self.weights]
        rest = [e for e in self.route if e not in self.weights]
        rng = random.Random(video_id)
        order: list[str] = []
        while weighted:
            total = sum(self.weights[e] for e in weighted)
            pick = rng.uniform(0, total)
            for engine in weighted:
                pick -= self.weights[engine]
                if pick <= 0:
                    break
            order.append(engine)
            weighted.remove(engine)
        return (*order, *rest)

    def with_route(self, route: Iterable[str], weights: dict[str, float]) -> ModelSpec:
        return replace(self, route=tuple(route), weights=dict(weights))

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def price_usd(self, width: int, height: int, seconds: int) -> float:
        return round(self.price_per_second_usd(width, height) * seconds, 6)

    def price_per_second_usd(self, width: int, height: int) -> float:
        return _price_class(self.price_per_second, resolution_class(width, height))

    def credits(self, width: int, height: int, seconds: int) -> int:
        return self.credits_per_second[resolution_class(width, height)] * seconds


class Catalog:
    """All served models, by name and alias."""

    def __init__(self, models: Iterable[ModelSpec]) -> None:
        self._models = {m.name: m for m in models}
        self._by_name: dict[str, ModelSpec] = {}
        for model in self._models.values():
            for name in (model.name, *model.aliases):
                if name in self._by_name:
                    raise ValueError(f"model name {name!r} is defined twice")
                self._by_name[name] = model

    @property
    def models(self) -> tuple[ModelSpec, ...]:
        return tuple(self._models.values())

    def names(self) -> tuple[str, ...]:
        """Every accepted model name, canonical names first."""
        aliases = [a for m in self._models.values() for a in m.aliases]
        return (*self._models, *aliases)

    def get(self, name: str) -> ModelSpec | None:
        return self._by_name.get(name)

    def resolve(self, name: str, param: str = "model") -> ModelSpec:
        model = self._by_name.get(name)
        if model is None:
            raise errors.InvalidValue(
                f"Unknown model {errors.show(name)}. Allowed models: {', '.join(self.names())}.",
                param=param,
            )
        return model

    def with_routes(self, routes: dict[str, tuple[tuple[str, ...], dict[str, float]]]) -> Catalog:
        """A copy whose named models take the given routes (from the config file)."""
        for name in routes:
            if name not in self._models:
                raise ValueError(
                    f"the config file routes model {name!r}, which the catalogue does not serve; "
                    f"served models: {', '.join(self._models)}"
                )
        return Catalog(
            m.with_route(*routes[m.name]) if m.name in routes else m for m in self._models.values()
        )

    def servable(self, known: Callable[[str], bool]) -> tuple[Catalog, list[str]]:
        """This catalogue without its optional models whose route names an engine that is
        not ``known`` (not configured here), and the names of those left out."""
        kept = [m for m in self._models.values() if not m.optional or all(map(known, m.route))]
        left = [m.name for m in self._models.values() if m not in kept]
        return (Catalog(kept) if left else self), left

    def with_capabilities(self, offered: dict[str, frozenset[Capability]]) -> Catalog:
        """A copy whose named models offer the given capabilities (from the config file)."""
        for name in offered:
            if name not in self._models:
                raise ValueError(
                    f"the config file sets the capabilities of model {name!r}, which the "
                    f"catalogue does not serve; served models: {', '.join(self._models)}"
                )
        return Catalog(
            replace(m, capabilities=offered[m.name]) if m.name in offered else m
            for m in self._models.values()
        )

    def engines(self) -> frozenset[str]:
        return frozenset(e for m in self._models.values() for e in m.route)


def load(path: Path | None = None) -> Catalog:
    """Read and check a catalogue file; the packaged default when ``path`` is None."""
    source = "the built-in catalogue" if path is None else str(path)
    try:
        return from_mapping(datafiles.read_toml(path, "reelway", "catalog.toml"))
    except (tomllib.TOMLDecodeError, pydantic.ValidationError, ValueError) as exc:
        raise ValueError(f"invalid model catalogue in {source}: {exc}") from exc


def from_mapping(data: dict[str, Any]) -> Catalog:
    parsed = _CatalogFile.model_validate(data)
    for cls in RESOLUTION_CLASSES:
        if cls not in parsed.credits_per_second:
            raise ValueError(f"credits_per_second lacks {cls}")
    return Catalog(
        ModelSpec(
            name=name,
            description=entry.description,
            aliases=tuple(entry.aliases),
            sizes=tuple(entry.sizes),
            seconds=tuple(entry.seconds),
            default_size=entry.default_size,
            default_seconds=entry.default_seconds,
            capabilities=frozenset(entry.capabilities),
            route=tuple(entry.route),
            price_per_second=dict(entry.price_per_second),
            credits_per_second={**parsed.credits_per_second, **entry.credits_per_second},
            created=entry.created,
            weights=dict(entry.weights),
            optional=entry.optional,
            legacy=entry.legacy,
            negative_prompt_chars=entry.negative_prompt_chars,
            reelway_sizes=tuple(entry.reelway_sizes),
        )
        for name, entry in parsed.models.items()
    )
