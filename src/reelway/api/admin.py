"""The admin API (``/v1/organization/…``, the deployment's admin key) and a project's own
usage report (``/v1/usage``, any key of the project).

Shaped after OpenAI's Admin API (projects and their API keys, ``POST`` to modify), with
Reelway's account fields beside OpenAI's.
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reelway import accounts, errors
from reelway.api import forms, headers
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse

ADMIN_BODY_BYTES = 64 * 1024


class AdminRoutes:
    def __init__(
        self,
        service: accounts.AccountService,
        keys: accounts.KeyAdmin,
        auth: Authenticator,
        admin_key: str,
    ) -> None:
        self.service = service
        self.keys = keys
        self.auth = auth
        self._admin_digest = hashlib.sha256(admin_key.encode()).digest() if admin_key else None

    def routes(self) -> list[Route]:
        base = "/v1/organization/projects"
        return [
            Route(base, self.create_project, methods=["POST"]),
            Route(base, self.list_projects, methods=["GET"]),
            Route(base + "/{project}", self.get_project, methods=["GET"]),
            Route(base + "/{project}", self.update_project, methods=["POST"]),
            Route(base + "/{project}/api_keys", self.create_key, methods=["POST"]),
            Route(base + "/{project}/api_keys", self.list_keys, methods=["GET"]),
            Route(base + "/{project}/api_keys/{key_id}", self.revoke_key, methods=["DELETE"]),
            Route("/v1/organization/usage", self.all_usage, methods=["GET"]),
            Route("/v1/usage", self.project_usage, methods=["GET"]),
        ]

    def require_admin(self, request: Request) -> None:
        """Refuse a request without the deployment's admin key (the pause routes use it)."""
        self._require_admin(request)

    def _require_admin(self, request: Request) -> None:
        authorization = headers.authorization(request) or ""
        scheme, _, secret = authorization.partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise errors.MissingApiKey("Send the admin key as 'Authorization: Bearer <key>'.")
        if self._admin_digest is None:
            raise errors.AdminKeyRequired(
                "The admin API is off on this server; the operator enables it by setting "
                "REELWAY_ADMIN_KEY (or uses the 'reelway projects' CLI)."
            )
        presented = hashlib.sha256(secret.strip().encode()).digest()
        if not hmac.compare_digest(presented, self._admin_digest):
            raise errors.AdminKeyRequired(
                "This endpoint needs the deployment's admin key; project keys cannot use it."
            )

    async def _body(self, request: Request) -> dict[str, Any]:
        return await forms.read_params(request, max_file_bytes=ADMIN_BODY_BYTES)

    async def _project_record(self, id_or_name: str) -> dict[str, Any]:
        return await self.service.record(await self.service.accounts.require(id_or_name))

    async def create_project(self, request: Request) -> Response:
        self._require_admin(request)
        body = await self._body(request)
        settings = {k: v for k, v in body.items() if k != "name"}
        project = await self.service.create_project(body.get("name"), settings)
        return JsonResponse(await self.service.record(project))

    async def list_projects(self, request: Request) -> Response:
        self._require_admin(request)
        found = await self.service.accounts.list_projects()
        data = [await self.service.record(p) for p in found]
        return JsonResponse({"object": "list", "data": data, "has_more": False})

    async def get_project(self, request: Request) -> Response:
        self._require_admin(request)
        return JsonResponse(await self._project_record(request.path_params["project"]))

    async def update_project(self, request: Request) -> Response:
        self._require_admin(request)
        body = await self._body(request)
        project = await self.service.update_project(request.path_params["project"], body)
        return JsonResponse(await self.service.record(project))

    async def create_key(self, request: Request) -> Response:
        self._require_admin(request)
        body = await self._body(request)
        unknown = sorted(set(body) - {"name"})
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter: {errors.show(unknown[0])}. Allowed parameters: name.",
                param=unknown[0],
            )
        key, secret = await self.keys.create(request.path_params["project"], body.get("name"))
        return JsonResponse(accounts.key_record(key, secret))

    async def list_keys(self, request: Request) -> Response:
        self._require_admin(request)
        found = await self.keys.list(request.path_params["project"])
        data = [accounts.key_record(k) for k in found]
        return JsonResponse({"object": "list", "data": data, "has_more": False})

    async def revoke_key(self, request: Request) -> Response:
        self._require_admin(request)
        key = await self.keys.revoke(request.path_params["project"], request.path_params["key_id"])
        return JsonResponse(
            {"object": "organization.project.api_key.deleted", "id": key.id, "deleted": True}
        )

    async def all_usage(self, request: Request) -> Response:
        self._require_admin(request)
        query = request.query_params
        project_id = None
        if query.get("project"):
            project_id = (await self.service.accounts.require(query["project"])).id
        return await self._usage(request, project_id)

    async def project_usage(self, request: Request) -> Response:
        caller = await self.auth(request)
        return await self._usage(request, caller.project_id, summary=True)

    async def _usage(
        self, request: Request, project_id: str | None, *, summary: bool = False
    ) -> Response:
        query = request.query_params
        output = query.get("format") or "json"
        if output not in ("json", "csv"):
            raise errors.InvalidValue(
                f"Invalid format {errors.show(output)}. Allowed values: json, csv.",
                param="format",
            )
        found = await self.service.usage(project_id, query.get("start"), query.get("end"))
        records = accounts.usage_records(found)
        if output == "csv":
            return PlainTextResponse(accounts.usage_csv(records), media_type="text/csv")
        body: dict[str, Any] = {
            "object": "usage.report",
            "data": records,
            "totals": accounts.usage_totals(records),
        }
        if summary and project_id is not None:
            body["project"] = await self._project_record(project_id)
        return JsonResponse(body)
