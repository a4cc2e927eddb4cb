"""Pause and resume over HTTP: the operator's ``/v1/organization/pause`` and ``…/resume``
(the admin key; the deployment, a project or an engine) and a project's own ``/v1/pause`` and
``/v1/resume`` (its own key, its own work only)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway.api import forms
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.pauses import PauseService

BODY_BYTES = 16 * 1024


class PauseRoutes:
    def __init__(
        self,
        pauses: PauseService,
        auth: Authenticator,
        require_admin: Callable[[Request], None],
    ) -> None:
        self.pauses = pauses
        self.auth = auth
        self.require_admin = require_admin

    def routes(self) -> list[Route]:
        admin = "/v1/organization"
        return [
            Route(admin + "/pause", self.pause, methods=["POST"]),
            Route(admin + "/resume", self.resume, methods=["POST"]),
            Route(admin + "/pauses", self.list, methods=["GET"]),
            Route("/v1/pause", self.pause_own, methods=["POST"]),
            Route("/v1/resume", self.resume_own, methods=["POST"]),
        ]

    async def _body(self, request: Request) -> dict[str, Any]:
        return await forms.read_params(request, max_file_bytes=BODY_BYTES)

    async def pause(self, request: Request) -> Response:
        self.require_admin(request)
        return JsonResponse(await self.pauses.pause(await self._body(request)))

    async def resume(self, request: Request) -> Response:
        self.require_admin(request)
        return JsonResponse(await self.pauses.resume(await self._body(request)))

    async def list(self, request: Request) -> Response:
        self.require_admin(request)
        return JsonResponse(await self.pauses.list())

    async def pause_own(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await self._body(request)
        return JsonResponse(await self.pauses.pause_own(caller.project_id, body))

    async def resume_own(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await self._body(request)
        return JsonResponse(await self.pauses.resume_own(caller.project_id, body))
