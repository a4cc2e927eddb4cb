"""The characters routes: OpenAI's create and retrieve, and Reelway's list and delete.

Mounted before ``Routes`` so that ``GET /v1/videos/characters`` is not read as the video
``characters``.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway.api import forms, wire
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.characters import CharacterService


class CharacterRoutes:
    def __init__(
        self, service: CharacterService, auth: Authenticator, *, max_file_bytes: int
    ) -> None:
        self.service = service
        self.auth = auth
        self.max_file_bytes = max_file_bytes
        """The largest clip a create reads (the input image's bound)."""

    def routes(self) -> list[Route]:
        return [
            Route("/v1/videos/characters", self.create, methods=["POST"]),
            Route("/v1/videos/characters", self.list, methods=["GET"]),
            Route("/v1/videos/characters/{character_id}", self.retrieve, methods=["GET"]),
            Route("/v1/videos/characters/{character_id}", self.delete, methods=["DELETE"]),
        ]

    async def create(self, request: Request) -> Response:
        caller = await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=self.max_file_bytes)
        try:
            found = await self.service.create(caller.project_id, params)
        finally:
            forms.close_uploads(params)
        return JsonResponse(wire.character(found))

    async def retrieve(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.get(caller.project_id, request.path_params["character_id"])
        return JsonResponse(wire.character(found))

    async def list(self, request: Request) -> Response:
        caller = await self.auth(request)
        query = request.query_params
        page = await self.service.list(
            caller.project_id,
            after=query.get("after"),
            limit=query.get("limit"),
            order=query.get("order"),
        )
        return JsonResponse(wire.character_list(page.characters, page.has_more))

    async def delete(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.delete(caller.project_id, request.path_params["character_id"])
        return JsonResponse(wire.character_deleted(found.id))
