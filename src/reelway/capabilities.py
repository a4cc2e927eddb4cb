"""What engines can do, as data, and the one judge of whether an engine can serve a request.

Each engine declares an ``EngineInfo``.  Three readers use it and nothing else: the start-up
check (every catalogue model's capabilities, sizes and seconds are served by some engine on its
route), create-time validation (a request no engine on the route can serve is refused with the
parameter at fault) and routing (an engine that cannot serve a job is skipped, not tried).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from reelway.catalog import Capability, ModelSpec


class EngineKind(StrEnum):
    LOCAL = "local"
    """Renders on this machine (a render process, or a resident pipeline)."""
    REMOTE = "remote"
    """Submits to a hosted provider or another server, then polls it."""


PARAM_OF: Mapping[Capability, str] = {
    Capability.IMAGE_INPUT: "input_reference",
    Capability.REMIX: "video_id",
    Capability.EDITS: "video",
    Capability.EXTENSIONS: "video",
    Capability.CHARACTERS: "characters",
    Capability.NEGATIVE_PROMPT: "negative_prompt",
    Capability.AUDIO: "model",
    Capability.LOOP: "loop",
}
"""The request parameter that asks for each capability (what a refusal names)."""


@dataclass(frozen=True)
class EngineInfo:
    """What one configured engine can do."""

    name: str
    kind: EngineKind = EngineKind.LOCAL
    capabilities: frozenset[Capability] = frozenset()
    """``REMIX`` here means it can remix any completed video, whoever made it."""
    remix_own: bool = False
    """It can remix videos it made itself (an upstream remix of its own operation)."""
    previews: bool = False
    """It makes its own thumbnail and spritesheet (else Reelway makes them from the video)."""
    cancel: bool = False
    """Its provider can be asked to stop a job."""
    sizes: frozenset[str] | None = None
    """Sizes it accepts; None means any WxH the catalogue allows."""
    seconds: frozenset[int] | None = None
    """Lengths it accepts; None means any length the catalogue allows."""
    execution: str = "fork_per_job"
    """Where a local engine renders: a strategy in ``worker.execution.STRATEGIES``
    ("fork_per_job": a fresh child per job; "resident": one long-lived child that keeps the
    engine built between jobs).  Remote engines ignore it."""
    devices: tuple[str, ...] = ()
    """The devices a resident engine renders on ("cuda:0", "cuda:1", "cpu"): one long-lived
    child per device, one job at a time on each.  Empty: one child, on no named device."""

    def has(self, capability: Capability) -> bool:
        return capability in self.capabilities

    def can_remix(self, source_engine: str | None) -> bool:
        """A real remix of a video made by ``source_engine`` (not a fresh generation)."""
        return self.has(Capability.REMIX) or (self.remix_own and source_engine == self.name)


@dataclass(frozen=True)
class Needs:
    """What one request asks of the engine that serves it."""

    size: str
    seconds: int
    capabilities: frozenset[Capability] = frozenset()
    """Capabilities the request uses (an input image, characters...); ``REMIX`` is not one:
    an engine that cannot remix renders a fresh generation and the video records it."""


def serves(info: EngineInfo, capability: Capability) -> bool:
    """Whether the engine can serve a request that uses ``capability``.  An extension is
    served natively, or by an engine that takes an input image: Reelway generates the new
    segment from the source's last frame and stitches it on (the worker does)."""
    if capability is Capability.EXTENSIONS:
        return info.has(capability) or info.has(Capability.IMAGE_INPUT)
    return info.has(capability)


def unmet(info: EngineInfo, needs: Needs) -> str | None:
    """The parameter of ``needs`` this engine cannot serve, or None when it can serve all."""
    for capability in sorted(needs.capabilities):
        if not serves(info, capability):
            return PARAM_OF.get(capability, capability.value)
    if info.sizes is not None and needs.size not in info.sizes:
        return "size"
    if info.seconds is not None and needs.seconds not in info.seconds:
        return "seconds"
    return None


def _offers(info: EngineInfo, capability: Capability) -> bool:
    if capability is Capability.REMIX:
        return info.has(capability) or info.remix_own
    return serves(info, capability)


def gaps(model: ModelSpec, infos: Mapping[str, EngineInfo]) -> list[str]:
    """What ``model`` promises that no engine on its route delivers, one sentence each.

    A capability, size or length must be served by at least one engine on the route; the
    others are skipped for requests that use it.  Empty when the model is fully served.
    """
    route = [infos[name] for name in model.route]
    found: list[str] = []

    def missing(what: str, lacks: Iterable[str]) -> None:
        found.append(
            f"model {model.name!r} offers {what}, but no engine on its route can serve it "
            f"({'; '.join(lacks)})"
        )

    for capability in sorted(model.capabilities):
        if not any(_offers(info, capability) for info in route):
            missing(
                f"the {capability.value!r} capability",
                (f"engine {i.name!r} lacks {capability.value}" for i in route),
            )
    for size in model.sizes:
        if not any(i.sizes is None or size in i.sizes for i in route):
            missing(
                f"size {size}",
                (f"engine {i.name!r} makes {', '.join(sorted(i.sizes or ()))}" for i in route),
            )
    for seconds in model.seconds:
        if not any(i.seconds is None or seconds in i.seconds for i in route):
            missing(
                f"{seconds} seconds",
                (
                    f"engine {i.name!r} makes {', '.join(map(str, sorted(i.seconds or ())))} s"
                    for i in route
                ),
            )
    return found
