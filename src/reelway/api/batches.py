"""The batches routes (``/v1/batches``) as the official SDKs call them: create, retrieve,
list and cancel, with OpenAI's Batch object."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway.api import forms
from reelway.api.auth import Authenticator
from reelway.api.headers import request_id
from reelway.api.responses import JsonResponse
from reelway.batches import Batch, BatchService


def _at(value: float | None) -> int | None:
    return None if value is None else int(value)


def batch_object(found: Batch) -> dict[str, Any]:
    """OpenAI's Batch: every key the SDK reads, ``null`` where not (yet) set."""
    return {
        "id": found.id,
        "object": "batch",
        "endpoint": found.endpoint,
        "errors": None if found.errors is None else {"object": "list", "data": found.errors},
        "input_file_id": found.input_file_id,
        "completion_window": found.completion_window,
        "status": found.status,
        "output_file_id": found.output_file_id,
        "error_file_id": found.error_file_id,
        "created_at": int(found.created_at),
        "in_progress_at": _at(found.in_progress_at),
        "expires_at": _at(found.expires_at),
        "finalizing_at": _at(found.finalizing_at),
        "completed_at": _at(found.completed_at),
        "failed_at": _at(found.failed_at),
        "expired_at": _at(found.expired_at),
        "cancelling_at": _at(found.cancelling_at),
        "cancelled_at": _at(found.cancelled_at),
        "request_counts": {
            "total": found.total,
            "completed": found.completed,
            "failed": found.failed,
        },
        "metadata": found.metadata,
    }


class BatchRoutes:
    def __init__(self, service: BatchService, auth: Authenticator) -> None:
        self.service = service
        self.auth = auth

    def routes(self) -> list[Route]:
        return [
            Route("/v1/batches", self.create, methods=["POST"]),
            Route("/v1/batches", self.list, methods=["GET"]),
            Route("/v1/batches/{batch_id}", self.retrieve, methods=["GET"]),
            Route("/v1/batches/{batch_id}/cancel", self.cancel, methods=["POST"]),
        ]

    async def create(self, request: Request) -> Response:
        caller = await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=0)
        try:
            found = await self.service.create(caller, params, request_id=request_id(request))
        finally:
            forms.close_uploads(params)
        return JsonResponse(batch_object(found))

    async def retrieve(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.get(caller, request.path_params["batch_id"])
        return JsonResponse(batch_object(found))

    async def list(self, request: Request) -> Response:
        caller = await self.auth(request)
        query = request.query_params
        page = await self.service.list(caller, after=query.get("after"), limit=query.get("limit"))
        data = [batch_object(b) for b in page.batches]
        return JsonResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": page.has_more,
            }
        )

    async def cancel(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.cancel(caller, request.path_params["batch_id"])
        return JsonResponse(batch_object(found))
