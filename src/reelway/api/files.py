"""The files routes (``/v1/files``) as the official SDKs call them: create (multipart),
retrieve, list, content and delete, with OpenAI's File object."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from reelway import errors
from reelway.api import forms
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.files import FileService, StoredFile

UPLOAD_PATH = "/v1/files"
"""The one path whose body may be as large as a file (``REELWAY_MAX_FILE_BYTES``)."""
FORM_OVERHEAD_BYTES = 64 * 1024
"""Room for a form's other fields and part headers around the file."""


def file_object(found: StoredFile) -> dict[str, Any]:
    """OpenAI's FileObject."""
    return {
        "id": found.id,
        "object": "file",
        "bytes": found.bytes,
        "created_at": int(found.created_at),
        "expires_at": int(found.expires_at),
        "filename": found.filename,
        "purpose": found.purpose,
        "status": "processed",
        "status_details": None,
    }


class FileRoutes:
    def __init__(self, service: FileService, auth: Authenticator) -> None:
        self.service = service
        self.auth = auth

    def routes(self) -> list[Route]:
        return [
            Route(UPLOAD_PATH, self.create, methods=["POST"]),
            Route(UPLOAD_PATH, self.list, methods=["GET"]),
            Route("/v1/files/{file_id}", self.retrieve, methods=["GET"]),
            Route("/v1/files/{file_id}", self.delete, methods=["DELETE"]),
            Route("/v1/files/{file_id}/content", self.content, methods=["GET"]),
        ]

    async def create(self, request: Request) -> Response:
        caller = await self.auth(request)
        try:
            params = await forms.read_params(request, max_file_bytes=self.service.max_bytes)
        except errors.ImageTooLarge:  # the multipart reader's refusal, in a file's words
            raise self.service.too_large() from None
        try:
            found = await self.service.create(caller.project_id, params)
        finally:
            forms.close_uploads(params)
        return JsonResponse(file_object(found))

    async def retrieve(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.get(caller.project_id, request.path_params["file_id"])
        return JsonResponse(file_object(found))

    async def list(self, request: Request) -> Response:
        caller = await self.auth(request)
        query = request.query_params
        page = await self.service.list(
            caller.project_id,
            after=query.get("after"),
            limit=query.get("limit"),
            order=query.get("order"),
            purpose=query.get("purpose"),
        )
        data = [file_object(f) for f in page.files]
        return JsonResponse(
            {
                "object": "list",
                "data": data,
                "first_id": data[0]["id"] if data else None,
                "last_id": data[-1]["id"] if data else None,
                "has_more": page.has_more,
            }
        )

    async def content(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.get(caller.project_id, request.path_params["file_id"])
        headers = {
            "content-length": str(found.bytes),
            "content-disposition": f'attachment; filename="{_quoted(found.filename)}"',
        }
        if not found.bytes:
            return Response(b"", headers=headers, media_type=found.content_type)
        return StreamingResponse(
            self.service.storage.open_range(found.blob, 0, found.bytes - 1),
            headers=headers,
            media_type=found.content_type,
        )

    async def delete(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.service.delete(caller.project_id, request.path_params["file_id"])
        return JsonResponse({"id": found.id, "object": "file", "deleted": True})


def _quoted(name: str) -> str:
    """A filename safe inside a quoted header value (ASCII, no quotes or backslashes)."""
    safe = "".join(ch if 32 <= ord(ch) < 127 and ch not in '"\\' else "_" for ch in name)
    return safe or "file"
