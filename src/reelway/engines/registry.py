"""Engine lookup by name, imported lazily so unused engines cost nothing."""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Mapping
from importlib import metadata
from typing import Any

from reelway.capabilities import EngineKind
from reelway.engines import base

BUILTIN_ENGINES: Mapping[str, str] = {
    "animatic": "reelway.engines.animatic.engine:AnimaticEngine",
    "openai_compat": "reelway.engines.openai_compat:OpenAICompatEngine",
    "runway": "reelway.engines.runway:RunwayEngine",
    "veo": "reelway.engines.veo:VeoEngine",
    "luma": "reelway.engines.luma:LumaEngine",
    "diffusers": "reelway.engines.diffusers.engine:DiffusersEngine",
}
ENTRY_POINT_GROUP = "reelway.engines"
_IMPORT_PATH = re.compile(r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")


def known_engines() -> dict[str, str]:
    """Built-in engines plus those third-party packages register as entry points."""
    found = dict(BUILTIN_ENGINES)
    for name, value in _registered():
        found.setdefault(name, value)
    return found


@functools.cache
def _registered() -> tuple[tuple[str, str], ...]:
    """Engines installed packages register, read once a process: reading entry points scans
    every installed distribution's metadata (milliseconds of CPU each time), and what is
    installed does not change under a running server."""
    return tuple((e.name, e.value) for e in metadata.entry_points(group=ENTRY_POINT_GROUP))


def target(name: str) -> str | None:
    """``module:attribute`` for an engine name; a name in that form is taken as it is."""
    found = known_engines().get(name)
    if found is None and _IMPORT_PATH.match(name):
        return name
    return found


def factory(name: str) -> Any:
    """The class (or function) that builds the engine called ``name``."""
    path = target(name)
    if path is None:
        raise ValueError(f"unknown engine {name!r}; known: {', '.join(sorted(known_engines()))}")
    module_name, _, attr = path.partition(":")
    return getattr(importlib.import_module(module_name), attr)


def declared_kind(name: str) -> EngineKind | None:
    """The ``KIND`` an engine class declares (local or remote), read without building it;
    None when the engine is unknown, cannot be imported or declares none.  Built-in and
    third-party engines are told apart the same way."""
    try:
        found = getattr(factory(name), "KIND", None)
    except (ImportError, AttributeError, ValueError):
        return None
    return EngineKind(found) if found is not None else None


def create(
    name: str, options: Mapping[str, Any] | None = None
) -> base.LocalEngine | base.RemoteEngine:
    """Build the engine called ``name`` with its configured options."""
    engine: base.LocalEngine | base.RemoteEngine = factory(name)(**dict(options or {}))
    return engine
