"""Engine lookup by name, imported lazily so unused engines cost nothing."""

from __future__ import annotations

import importlib
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from reelway.engines import base

BUILTIN_ENGINES: Mapping[str, str] = {
    "animatic": "reelway.engines.animatic.engine:AnimaticEngine",
    "openai_compat": "reelway.engines.openai_compat:OpenAICompatEngine",
    "runway": "reelway.engines.runway:RunwayEngine",
    "veo": "reelway.engines.veo:VeoEngine",
    "luma": "reelway.engines.luma:LumaEngine",
}
REMOTE_ENGINE_TYPES = frozenset({"openai_compat", "runway", "veo", "luma"})
"""Built-in engines that call a hosted provider (they need a configured endpoint)."""
ENTRY_POINT_GROUP = "reelway.engines"
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def known_engines() -> dict[str, str]:
    """Built-in engines plus those third-party packages register as entry points."""
    found = dict(BUILTIN_ENGINES)
    for entry in metadata.entry_points(group=ENTRY_POINT_GROUP):
        found.setdefault(entry.name, entry.value)
    return found


def target(name: str) -> str | None:
    """``module:attribute`` for an engine name; a name in that form is taken as it is."""
    found = known_engines().get(name)
    if found is None and _IMPORT_PATH.match(name):
        return name
    return found


def create(
    name: str, options: Mapping[str, Any] | None = None
) -> base.LocalEngine | base.RemoteEngine:
    """Build the engine called ``name`` with its configured options."""
    path = target(name)
    if path is None:
        raise ValueError(f"unknown engine {name!r}; known: {', '.join(sorted(known_engines()))}")
    module_name, _, attr = path.partition(":")
    factory = getattr(importlib.import_module(module_name), attr)
    engine: base.LocalEngine | base.RemoteEngine = factory(**dict(options or {}))
    return engine
