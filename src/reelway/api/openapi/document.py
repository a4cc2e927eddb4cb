"""``/openapi.json``: OpenAI's own Videos document (``official.yaml``, shipped unchanged) with
Reelway's request bodies generated from the validators' field sets (``fields``), Reelway's
widened sizes, lengths and Video fields, and every route Reelway adds (``reelway_paths``),
tagged ``reelway`` and marked ``x-reelway: true``.

Only routes the app serves are listed: ``build`` takes the app's (method, path) table, and a
served route without a definition here is what ``undocumented`` reports (a test holds it at
none).
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Iterable
from importlib import resources
from typing import Any

import yaml  # type: ignore[import-untyped]

from reelway import __version__, catalog
from reelway.api.openapi import fields, reelway_paths
from reelway.api.openapi.fields import REELWAY, Schema, ref

OFFICIAL_PREFIX = "/v1"
"""OpenAI's document serves from https://api.openai.com/v1; Reelway's paths carry /v1."""
ERROR_RESPONSE: Schema = {
    "description": "An error, in OpenAI's envelope: message, type, param and a stable code.",
    "content": {"application/json": {"schema": ref("ErrorResponse")}},
}
VIDEO_EXTRAS: dict[str, Schema] = {
    "service_tier": {"type": "string", "enum": ["relaxed"], "description": "A relaxed video."},
    "scheduled_at": {
        "type": "integer",
        "format": "unixtime",
        "description": "When a relaxed video's window lets it start.",
    },
    "rendered_as": {
        "type": "string",
        "description": "How a remix was rendered by an engine without remix (a new generation).",
    },
    "rendered_with": {
        "type": "object",
        "description": "How a local open model made it (native size, frames, steps).",
    },
    "edited_from_video_id": {"type": "string", "description": "The stored video edited."},
    "extended_from_video_id": {"type": "string", "description": "The stored video extended."},
}
Route = tuple[str, str]
"""(method, path template) as Starlette serves it, method upper-case."""


@functools.cache
def official() -> dict[str, Any]:
    """OpenAI's document as shipped (parsed once; callers copy it)."""
    text = resources.files(__package__).joinpath("official.yaml").read_text("utf-8")
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


def build(models: catalog.Catalog, served: Iterable[Route]) -> dict[str, Any]:
    """The document for an app serving ``served`` with the catalogue ``models``."""
    source = copy.deepcopy(official())
    schemas: dict[str, Schema] = source["components"]["schemas"]
    for body in fields.bodies():
        schemas[body.component] = fields.body_schema(body, schemas)
    _widen(schemas, models)
    schemas.update(reelway_paths.SCHEMAS)
    operations = _official_operations(source["paths"])
    operations.update(reelway_paths.operations())
    wanted = {(method.lower(), path) for method, path in served}
    paths: dict[str, dict[str, Any]] = {}
    for (method, path), operation in sorted(operations.items()):
        if (method, path) in wanted:
            paths.setdefault(path, {})[method] = operation
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "Reelway",
            "version": __version__,
            "description": (
                "OpenAI's /v1/videos API as Reelway serves it (OpenAI's own operations and "
                "schemas, from OpenAI's published document), and Reelway's additions, tagged "
                "'reelway' and marked x-reelway."
            ),
            "license": {"name": "Apache-2.0", "identifier": "Apache-2.0"},
            "x-openai-document": {
                "title": source["info"]["title"],
                "version": source["info"]["version"],
                "license": source["info"]["license"],
            },
        },
        "servers": [{"url": "/"}],
        "tags": [
            {"name": "Videos", "description": "OpenAI's Videos API."},
            {"name": "reelway", "description": "Reelway's additions.", REELWAY: True},
        ],
        "security": [{"ApiKeyAuth": []}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                **source["components"]["securitySchemes"],
                **reelway_paths.SECURITY_SCHEMES,
            },
        },
    }


def documented() -> set[Route]:
    """Every (method, path) this package has a definition for."""
    found = _official_operations(copy.deepcopy(official()["paths"]))
    found.update(reelway_paths.operations())
    return {(method.upper(), path) for method, path in found}


def undocumented(served: Iterable[Route]) -> list[Route]:
    """Served routes with no definition here (HEAD aside: Starlette adds it to every GET)."""
    known = documented()
    return sorted(r for r in served if r[0] != "HEAD" and r not in known)


def _official_operations(paths: dict[str, Any]) -> dict[Route, dict[str, Any]]:
    """OpenAI's operations under /v1, each with the error envelope for every refusal."""
    found: dict[Route, dict[str, Any]] = {}
    for path, item in paths.items():
        for method, operation in item.items():
            operation.pop("x-oaiMeta", None)  # examples that call api.openai.com
            operation["responses"]["default"] = ERROR_RESPONSE
            found[(method, OFFICIAL_PREFIX + path)] = operation
    content = found.get(("get", "/v1/videos/{video_id}/content"))
    if content is not None:
        media = content["responses"]["200"]["content"]
        media["image/jpeg"] = {"schema": fields.BINARY, REELWAY: True}  # the spritesheet
        content["responses"]["302"] = {
            "description": "A presigned storage URL, when the server redirects downloads.",
            REELWAY: True,
        }
    return found


def _widen(schemas: dict[str, Schema], models: catalog.Catalog) -> None:
    """Reelway's sizes, lengths and Video fields beside OpenAI's."""
    specs = [models.resolve(name) for name in models.names()]
    sizes = _merged(schemas["VideoSize"]["enum"], (s for m in specs for s in m.sizes))
    seconds = _merged(
        schemas["VideoSeconds"]["enum"],
        (str(s) for s in sorted({s for m in specs for s in m.seconds})),
    )
    for name, values in (("VideoSize", sizes), ("VideoSeconds", seconds)):
        added = values[len(schemas[name]["enum"]) :]
        schemas[name]["enum"] = values
        if added:
            schemas[name]["x-reelway-values"] = added
    video = schemas["VideoResource"]
    for name, schema in VIDEO_EXTRAS.items():
        video["properties"][name] = {**schema, REELWAY: True}


def _merged(first: list[str], more: Iterable[str]) -> list[str]:
    out = list(first)
    for value in more:
        if value not in out:
            out.append(value)
    return out
