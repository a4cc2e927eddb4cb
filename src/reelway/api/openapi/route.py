"""``GET /openapi.json``: the route serving the document of every route the app serves."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from reelway import catalog
from reelway.api.openapi import document
from reelway.api.responses import JsonResponse

PATH = "/openapi.json"
CONVERTOR = re.compile(r"\{(\w+):\w+\}")
"""Starlette's ``{name:str}``, which OpenAPI spells ``{name}``."""


def served(routes: Iterable[BaseRoute]) -> list[document.Route]:
    """(method, path) of every plain route, HEAD left out (Starlette answers it for GET)."""
    found: list[document.Route] = []
    for route in routes:
        if isinstance(route, Route):
            path = CONVERTOR.sub(r"{\1}", route.path)
            found += [(m, path) for m in sorted(route.methods or ()) if m != "HEAD"]
    return found


class OpenApiRoute:
    """Serves the document of ``routes`` (this route included), built on the first request."""

    def __init__(self, models: catalog.Catalog, routes: list[BaseRoute]) -> None:
        self.models = models
        self.routes = routes
        """The app's route list: read at the first request, when it is complete."""
        self._document: dict[str, Any] | None = None

    def route(self) -> Route:
        return Route(PATH, self.serve, methods=["GET"])

    def document(self) -> dict[str, Any]:
        if self._document is None:
            self._document = document.build(self.models, served(self.routes))
        return self._document

    async def serve(self, _request: Request) -> Response:
        return JsonResponse(self.document(), headers={"cache-control": "no-cache"})
