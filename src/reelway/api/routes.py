"""The OpenAI-compatible routes: /v1/videos… and /v1/models."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from reelway import jobs, longform
from reelway.api import content, forms, headers, wire
from reelway.api.auth import Authenticator
from reelway.api.headers import request_id
from reelway.api.responses import EncodedJson, JsonResponse
from reelway.service import Caller, Created, VideoService

QueueUseCase = Callable[[Caller, Mapping[str, Any], str | None, str | None], Awaitable[Created]]
"""A use case that queues a video: caller, params, request id, Idempotency-Key."""

POLL_HEADER = "openai-poll-after-ms"
REPLAYED_HEADER = "idempotent-replayed"
JSON_TYPE = (b"content-type", b"application/json")
MAX_ENCODED = 1024


class Routes:
    """Handlers bound to one service; the app factory mounts ``routes()``."""

    def __init__(
        self,
        service: VideoService,
        auth: Authenticator,
        *,
        poll_after_ms: int,
        max_file_bytes: int,
        redirect_seconds: int | None = None,
    ) -> None:
        self.service = service
        self.longform = longform.Longform(service)
        self.auth = auth
        self.poll_after_ms = str(poll_after_ms)
        self.max_file_bytes = max_file_bytes
        self.redirect_seconds = redirect_seconds
        """Answer downloads with a presigned URL valid this long (None: stream them)."""
        self._encoded: dict[int, tuple[jobs.Video, bytes, list[tuple[bytes, bytes]]]] = {}
        """Polled videos' answers by the record's id (the record is kept, and compared)."""

    def routes(self) -> list[Route]:
        # Starlette tries routes in order: polling and creating come first.  A path that
        # matches with another method is only taken if no later route matches fully, so
        # POST /v1/videos/edits still reaches its own route.
        return [
            Route("/v1/videos/{video_id}", self.retrieve, methods=["GET"]),
            Route("/v1/videos", self.create, methods=["POST"]),
            Route("/v1/videos/preflight", self.preflight, methods=["POST"]),
            Route("/v1/videos", self.list, methods=["GET"]),
            Route("/v1/videos/{video_id}", self.delete, methods=["DELETE"]),
            Route("/v1/videos/edits", self.edit, methods=["POST"]),
            Route("/v1/videos/extensions", self.extend, methods=["POST"]),
            Route("/v1/videos/{video_id}/content", self.download, methods=["GET"]),
            Route("/v1/videos/{video_id}/remix", self.remix, methods=["POST"]),
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/models/{model}", self.model, methods=["GET"]),
        ]

    def video_response(
        self, video: jobs.Video, replayed: bool = False, extra: Mapping[str, str] | None = None
    ) -> JsonResponse:
        headers = dict(extra or {})
        if not video.is_terminal:
            headers[POLL_HEADER] = self.poll_after_ms
        if replayed:
            headers[REPLAYED_HEADER] = "true"
        return JsonResponse(wire.video(video), headers=headers)

    async def queue(self, request: Request, use_case: QueueUseCase) -> Response:
        """Every route that queues a video: the caller, the body (uploads closed however it
        ends), the use case, and the Video answer with its replay and rate headers."""
        caller = await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=self.max_file_bytes)
        try:
            created = await use_case(
                caller, params, request_id(request), headers.get(request, b"idempotency-key")
            )
        finally:
            forms.close_uploads(params)
        return self.video_response(created.video, created.replayed, created.headers)

    async def create(self, request: Request) -> Response:
        return await self.queue(request, self.service.create)

    async def remix(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]

        async def remix_it(
            caller: Caller, params: Mapping[str, Any], rid: str | None, key: str | None
        ) -> Created:
            return await self.service.remix(caller, video_id, params, rid, key)

        return await self.queue(request, remix_it)

    async def edit(self, request: Request) -> Response:
        return await self.queue(request, self.longform.edit)

    async def extend(self, request: Request) -> Response:
        return await self.queue(request, self.longform.extend)

    async def preflight(self, request: Request) -> Response:
        """Reelway's addition: check a prompt and parameters without creating a video."""
        await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=self.max_file_bytes)
        try:
            return JsonResponse(await self.service.preflight(params))
        finally:
            forms.close_uploads(params)

    async def retrieve(self, request: Request) -> Response:
        caller = await self.auth(request)
        return self.poll_response(await self.service.get(caller, request.path_params["video_id"]))

    def poll_response(self, video: jobs.Video) -> Response:
        """``video_response`` for a poll, encoded once per Video record: the store's poll
        cache hands the same (immutable) record to every poll until the row changes."""
        found = self._encoded.get(id(video))
        if found is None or found[0] is not video:
            body = orjson.dumps(wire.video(video))
            raw = [] if video.is_terminal else [(POLL_HEADER.encode(), self.poll_after_ms.encode())]
            raw += [(b"content-length", str(len(body)).encode()), JSON_TYPE]
            if len(self._encoded) >= MAX_ENCODED:
                self._encoded.clear()
            self._encoded[id(video)] = found = (video, body, raw)
        return EncodedJson(found[1], list(found[2]))

    async def list(self, request: Request) -> Response:
        caller = await self.auth(request)
        query = request.query_params
        page = await self.service.list(
            caller, after=query.get("after"), limit=query.get("limit"), order=query.get("order")
        )
        return JsonResponse(wire.video_list(page.videos, page.has_more))

    async def delete(self, request: Request) -> Response:
        caller = await self.auth(request)
        video = await self.service.delete(caller, request.path_params["video_id"])
        return JsonResponse(wire.deleted(video.id))

    async def download(self, request: Request) -> Response:
        caller = await self.auth(request)
        variant = request.query_params.get("variant")
        found = await self.service.content(caller, request.path_params["video_id"], variant)
        storage = self.service.storage
        if self.redirect_seconds is not None:
            url = await storage.presigned_url(found.asset.key, self.redirect_seconds)
            if url is not None:
                # The SDKs follow it; clients drop our Authorization header on the new host.
                return RedirectResponse(url, status_code=302, headers={"cache-control": "no-store"})
        stem = found.video.id if variant in (None, "video") else f"{found.video.id}.{variant}"
        return content.file_response(request, storage, found.asset, stem)

    async def models(self, request: Request) -> Response:
        await self.auth(request)
        return JsonResponse(wire.model_list(self.service.models()))

    async def model(self, request: Request) -> Response:
        await self.auth(request)
        return JsonResponse(wire.model(self.service.model(request.path_params["model"])))
