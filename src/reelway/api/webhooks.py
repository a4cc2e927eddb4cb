"""``/v1/webhook_endpoints``: OpenAI's webhook endpoint resource, scoped to the caller's
project, and ``/v1/webhook_event_types``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway.api import forms
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.webhooks.endpoints import WebhookEndpoints, wire

BODY_BYTES = 64 * 1024


class WebhookRoutes:
    def __init__(self, endpoints: WebhookEndpoints, auth: Authenticator) -> None:
        self.endpoints = endpoints
        self.auth = auth

    def routes(self) -> list[Route]:
        base = "/v1/webhook_endpoints"
        one = base + "/{endpoint_id}"
        return [
            Route(base, self.create, methods=["POST"]),
            Route(base, self.list, methods=["GET"]),
            Route(one, self.retrieve, methods=["GET"]),
            Route(one, self.update, methods=["POST"]),
            Route(one, self.delete, methods=["DELETE"]),
            Route(one + "/rotate_secret", self.rotate_secret, methods=["POST"]),
            Route(one + "/test", self.test, methods=["POST"]),
            Route("/v1/webhook_event_types", self.event_types, methods=["GET"]),
        ]

    async def _body(self, request: Request) -> dict[str, object]:
        return await forms.read_params(request, max_file_bytes=BODY_BYTES)

    async def create(self, request: Request) -> Response:
        caller = await self.auth(request)
        return JsonResponse(
            await self.endpoints.create(caller.project_id, await self._body(request))
        )

    async def list(self, request: Request) -> Response:
        caller = await self.auth(request)
        query = request.query_params
        return JsonResponse(
            await self.endpoints.list(
                caller.project_id, after=query.get("after"), limit=query.get("limit")
            )
        )

    async def retrieve(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.endpoints.get(caller.project_id, request.path_params["endpoint_id"])
        return JsonResponse(wire(found))

    async def update(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await self._body(request)
        endpoint_id = request.path_params["endpoint_id"]
        return JsonResponse(await self.endpoints.update(caller.project_id, endpoint_id, body))

    async def delete(self, request: Request) -> Response:
        caller = await self.auth(request)
        endpoint_id = request.path_params["endpoint_id"]
        return JsonResponse(await self.endpoints.delete(caller.project_id, endpoint_id))

    async def rotate_secret(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await self._body(request)
        endpoint_id = request.path_params["endpoint_id"]
        return JsonResponse(await self.endpoints.rotate(caller.project_id, endpoint_id, body))

    async def test(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await self._body(request)
        endpoint_id = request.path_params["endpoint_id"]
        return JsonResponse(await self.endpoints.test(caller.project_id, endpoint_id, body))

    async def event_types(self, request: Request) -> Response:
        await self.auth(request)
        return JsonResponse(self.endpoints.event_types())
