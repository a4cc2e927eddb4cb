"""The operator's config file (``--config FILE`` or ``REELWAY_CONFIG``): engines and routes.

::

    [engines.upstream]
    type = "openai_compat"
    base_url = "http://127.0.0.1:9000/v1"
    api_key = "env:UPSTREAM_KEY"
    requests_per_minute = 10

    [models."sora-2"]
    route = ["upstream", "animatic"]
    capabilities = ["image_input", "remix", "audio"]   # optional: what this route serves

Everything in an engine table except the keys in ``LIMIT_KEYS`` and ``type`` is passed to the
engine as options.  A string ``"env:NAME"`` anywhere is replaced by that environment variable,
so secrets stay out of the file; a missing variable stops start-up with a clear message.
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from reelway import limits
from reelway.catalog import Capability, Catalog
from reelway.engines import base, directory, registry

LIMIT_KEYS = frozenset(
    {
        "max_concurrency",
        "requests_per_minute",
        "requests_per_day",
        "rate_limits",
        "breaker_failures",
        "breaker_cooldown_seconds",
    }
)
TOP_LEVEL_KEYS = frozenset({"engines", "models"})
MODEL_KEYS = frozenset({"route", "weights", "capabilities"})


class ConfigError(ValueError):
    """The config file is wrong; the message names the file and the key."""


@dataclass(frozen=True)
class ConfigFile:
    engines: dict[str, directory.EngineSpec] = field(default_factory=dict)
    routes: dict[str, tuple[tuple[str, ...], dict[str, float]]] = field(default_factory=dict)
    capabilities: dict[str, frozenset[Capability]] = field(default_factory=dict)
    """Models whose offered capabilities the file replaces: a route of engines that cannot
    serve everything the catalogue offers says what it does serve (else start-up refuses)."""

    def apply(self, models: Catalog) -> Catalog:
        if self.routes:
            models = models.with_routes(self.routes)
        if self.capabilities:
            models = models.with_capabilities(self.capabilities)
        return models


def load(path: Path | None, environ: Mapping[str, str] | None = None) -> ConfigFile:
    """Read and check the file; an empty config when ``path`` is None."""
    if path is None:
        return ConfigFile()
    environ = os.environ if environ is None else environ
    try:
        data = tomllib.loads(path.read_text("utf-8"))
    except OSError as exc:
        raise ConfigError(f"cannot read the config file {path}: {exc.strerror}") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"the config file {path} is not valid TOML: {exc}") from None
    return parse(data, environ, source=str(path))


def parse(data: Mapping[str, Any], environ: Mapping[str, str], source: str) -> ConfigFile:
    stray = set(data) - TOP_LEVEL_KEYS
    if stray:
        raise ConfigError(
            f"{source}: unknown section(s) {sorted(stray)}; expected [engines.NAME] and "
            '[models."NAME"]'
        )
    engines_table = _table(data.get("engines", {}), "engines", source)
    engines = {
        name: _engine(name, _table(body, f"engines.{name}", source), environ, source)
        for name, body in engines_table.items()
    }
    routes = {}
    offered = {}
    for model, body in _table(data.get("models", {}), "models", source).items():
        table = _table(body, f'models."{model}"', source)
        if "capabilities" in table:
            offered[model] = _capabilities(table["capabilities"], f'{source}: [models."{model}"]')
            if "route" not in table and "weights" not in table:
                continue
        routes[model] = _route(model, table, engines, source)
    return ConfigFile(engines=engines, routes=routes, capabilities=offered)


def _capabilities(value: Any, where: str) -> frozenset[Capability]:
    known = ", ".join(c.value for c in Capability)
    if not isinstance(value, list) or not all(isinstance(c, str) for c in value):
        raise ConfigError(f'{where} capabilities must be a list of names such as ["remix"]')
    unknown = sorted(set(value) - {c.value for c in Capability})
    if unknown:
        raise ConfigError(f"{where} capabilities names unknown {unknown}; known: {known}")
    return frozenset(Capability(c) for c in value)


def _engine(
    name: str, body: Mapping[str, Any], environ: Mapping[str, str], source: str
) -> directory.EngineSpec:
    where = f"{source}: [engines.{name}]"
    engine_type = body.get("type")
    if not isinstance(engine_type, str):
        raise ConfigError(f"{where} needs type = one of {sorted(registry.known_engines())}")
    if registry.target(engine_type) is None:
        raise ConfigError(
            f"{where} has unknown type {engine_type!r}; known: {sorted(registry.known_engines())}"
        )
    resolved = _resolve_env(dict(body), environ, where)
    options = {k: v for k, v in resolved.items() if k not in LIMIT_KEYS and k != "type"}
    return directory.EngineSpec(
        name=name, type=engine_type, options=options, limits=_limits(resolved, where)
    )


def _limits(body: Mapping[str, Any], where: str) -> limits.EngineLimits:
    windows: list[limits.RateWindow] = []
    for key, seconds in (("requests_per_minute", 60.0), ("requests_per_day", 86400.0)):
        if key in body:
            windows.append(limits.RateWindow(_positive_int(body[key], key, where), seconds))
    for n, window in enumerate(body.get("rate_limits", [])):
        if not isinstance(window, dict) or set(window) != {"requests", "seconds"}:
            raise ConfigError(f"{where} rate_limits[{n}] must be {{requests = N, seconds = S}}")
        seconds = window["seconds"]
        if not isinstance(seconds, int | float) or seconds <= 0:
            raise ConfigError(f"{where} rate_limits[{n}].seconds must be a positive number")
        windows.append(
            limits.RateWindow(
                _positive_int(window["requests"], f"rate_limits[{n}].requests", where),
                float(seconds),
            )
        )
    concurrency = body.get("max_concurrency")
    cooldown = body.get("breaker_cooldown_seconds", 30.0)
    if not isinstance(cooldown, int | float) or cooldown <= 0:
        raise ConfigError(f"{where} breaker_cooldown_seconds must be a positive number")
    return limits.EngineLimits(
        max_concurrency=(
            None if concurrency is None else _positive_int(concurrency, "max_concurrency", where)
        ),
        windows=tuple(windows),
        breaker_failures=_positive_int(body.get("breaker_failures", 5), "breaker_failures", where),
        breaker_cooldown_seconds=float(cooldown),
    )


def _route(
    model: str,
    body: Mapping[str, Any],
    engines: Mapping[str, directory.EngineSpec],
    source: str,
) -> tuple[tuple[str, ...], dict[str, float]]:
    where = f'{source}: [models."{model}"]'
    stray = set(body) - MODEL_KEYS
    if stray:
        raise ConfigError(
            f"{where} has unknown key(s) {sorted(stray)}; expected route, weights, capabilities"
        )
    route = body.get("route")
    if not isinstance(route, list) or not route or not all(isinstance(e, str) for e in route):
        raise ConfigError(f'{where} needs route = ["engine", ...] (at least one engine name)')
    if len(set(route)) != len(route):
        raise ConfigError(f"{where} route names an engine twice")
    for engine in route:
        if engine not in engines and registry.target(engine) is None:
            raise ConfigError(
                f"{where} routes to {engine!r}, which is neither an [engines.{engine}] table "
                f"nor a built-in engine ({', '.join(sorted(registry.known_engines()))})"
            )
        if engine not in engines and registry.declared_kind(engine) is base.EngineKind.REMOTE:
            raise ConfigError(
                f"{where} routes to {engine!r}, a provider type: declare an [engines.NAME] table "
                f'with type = "{engine}", its endpoint and credentials, and route to NAME'
            )
    weights = body.get("weights", {})
    if not isinstance(weights, dict):
        raise ConfigError(f"{where} weights must be a table of engine = share")
    for engine, share in weights.items():
        if engine not in route:
            raise ConfigError(f"{where} weights names {engine!r}, which is not on the route")
        if not isinstance(share, int | float) or share <= 0:
            raise ConfigError(f"{where} weights.{engine} must be a positive number")
    return tuple(route), {k: float(v) for k, v in weights.items()}


def _resolve_env(value: Any, environ: Mapping[str, str], where: str) -> Any:
    if isinstance(value, str) and value.startswith("env:"):
        variable = value[4:]
        if variable not in environ:
            raise ConfigError(
                f"{where} refers to the environment variable {variable}, which is not set"
            )
        return environ[variable]
    if isinstance(value, dict):
        return {k: _resolve_env(v, environ, where) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve_env(v, environ, where) for v in value]
    return value


def _table(value: Any, name: str, source: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ConfigError(f"{source}: {name} must be a table")
    return value


def _positive_int(value: Any, key: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ConfigError(f"{where} {key} must be a positive integer, not {value!r}")
    return value
