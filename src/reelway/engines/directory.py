"""Configured engines: a name on a route -> an engine type, its options and its limits.

An endpoint plus credentials is configuration, not code: ``[engines.upstream]`` with
``type = "openai_compat"`` is one entry here.  A route may also name an engine type directly
(``animatic``); it then runs with the options from ``REELWAY_ENGINE_OPTIONS``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from reelway import capabilities
from reelway.capabilities import EngineInfo, EngineKind
from reelway.catalog import ModelSpec
from reelway.engines import base, registry
from reelway.limits import EngineLimits


@dataclass(frozen=True)
class EngineSpec:
    name: str
    type: str
    options: Mapping[str, Any] = field(default_factory=dict)
    limits: EngineLimits = field(default_factory=EngineLimits)


class EngineDirectory:
    """Every engine a route may name, and how to build it."""

    def __init__(
        self,
        configured: Mapping[str, EngineSpec] | None = None,
        default_options: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> None:
        self.configured = dict(configured or {})
        self.default_options = dict(default_options or {})
        self._infos: dict[str, EngineInfo] = {}

    def spec(self, name: str) -> EngineSpec:
        found = self.configured.get(name)
        if found is not None:
            return found
        return EngineSpec(name=name, type=name, options=dict(self.default_options.get(name, {})))

    def known(self, name: str) -> bool:
        return name in self.configured or registry.target(name) is not None

    def create(self, name: str) -> base.LocalEngine | base.RemoteEngine:
        spec = self.spec(name)
        options = dict(spec.options)
        if name in self.configured and "name" not in options and _takes_name(spec.type):
            options["name"] = name
        return registry.create(spec.type, options)

    async def load_info(self, name: str) -> EngineInfo:
        """Like ``info``, but closes a remote engine it builds (its HTTP client) properly."""
        found = self._infos.get(name)
        if found is None:
            engine = self.create(name)
            found = self._remember(name, engine)
            if base.is_remote(engine):
                await engine.close()  # type: ignore[union-attr]
        return found

    def info(self, name: str) -> EngineInfo:
        """What the engine called ``name`` can do, with its configured options.

        The engine is built once (constructors are cheap: no model, no network) and its
        ``info`` kept, under the routed name.  Start-up reads every routed engine through
        ``load_info`` (which also closes a remote engine's client), so later calls only read
        the cache.
        """
        found = self._infos.get(name)
        if found is None:
            found = self._remember(name, self.create(name))
        return found

    def kind(self, name: str) -> EngineKind:
        """Local or remote, from the engine class's ``KIND`` when it declares one (nothing is
        built), else from its ``info``."""
        declared = registry.declared_kind(self.spec(name).type)
        return declared if declared is not None else self.info(name).kind

    def gaps(self, model: ModelSpec) -> list[str]:
        """What ``model`` offers that no engine on its route serves (``capabilities.gaps``)."""
        return capabilities.gaps(model, {name: self.info(name) for name in model.route})

    def module(self, name: str) -> str:
        """The engine's module, for preloading in render processes."""
        return str(registry.target(self.spec(name).type)).partition(":")[0]

    def _remember(self, name: str, engine: object) -> EngineInfo:
        info: EngineInfo = engine.info  # type: ignore[attr-defined]
        if base.is_remote(engine) and info.kind is not EngineKind.REMOTE:
            # An engine that submits and polls is remote whatever its info forgot to say.
            info = dataclasses.replace(info, kind=EngineKind.REMOTE)
        if info.name != name:
            info = dataclasses.replace(info, name=name)  # the name routes and videos use
        self._infos[name] = info
        return info


def _takes_name(engine_type: str) -> bool:
    """Remote engines take their configured name, so errors and logs say which one failed."""
    return registry.declared_kind(engine_type) is EngineKind.REMOTE
