"""``POST /v1/chat/completions`` for video models: a video answered as a chat completion.

The body is read by ``reelway.chat`` and queued through ``VideoService.create``; the answer
is a ``chat.completion`` (or, with ``stream``, ``chat.completion.chunk`` events) whose
assistant message gives a signed keyless link to the video, its id and its thumbnail, both
as markdown text and as ``message.video`` (the SDKs keep fields they do not know).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime
from typing import Any

import orjson
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route

from reelway import chat, errors, jobs
from reelway.api import forms, headers
from reelway.api.auth import Authenticator
from reelway.api.headers import request_id
from reelway.api.links import LinkSigner
from reelway.api.responses import JsonResponse
from reelway.service import Caller

KEEPALIVE_SECONDS = 15.0
"""A stream sends a comment line at least this often, so proxies keep it open."""
ZERO_USAGE = {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
"""A video is not counted in tokens; its cost is in the project's usage."""


class ChatRoutes:
    def __init__(
        self,
        videos: chat.ChatVideos,
        auth: Authenticator,
        signer: LinkSigner,
        *,
        max_file_bytes: int,
    ) -> None:
        self.videos = videos
        self.auth = auth
        self.signer = signer
        self.max_file_bytes = max_file_bytes

    def routes(self) -> list[Route]:
        return [Route("/v1/chat/completions", self.complete, methods=["POST"])]

    async def complete(self, request: Request) -> Response:
        caller = await self.auth(request)
        body = await forms.read_params(request, max_file_bytes=self.max_file_bytes)
        try:
            ask = chat.read(body, self.videos.video_models())
            created = await self.videos.start(
                caller, ask, request_id(request), headers.get(request, b"idempotency-key")
            )
        finally:
            forms.close_uploads(body)
        answer = Answer(self, request, caller, ask, created.video)
        if ask.stream:
            return StreamingResponse(
                answer.events(),
                media_type="text/event-stream",
                headers={**created.headers, "cache-control": "no-store"},
            )
        try:
            video = await self.videos.finished(caller, created.video)
        except errors.ReelwayError as exc:
            for name, value in created.headers.items():
                exc.headers.setdefault(name, value)
            raise
        return JsonResponse(await answer.completion(video), headers=dict(created.headers))


class Answer:
    """One chat completion's answer: its id, the link text, and the chunks of a stream."""

    def __init__(
        self,
        routes: ChatRoutes,
        request: Request,
        caller: Caller,
        ask: chat.ChatAsk,
        video: jobs.Video,
    ) -> None:
        self.routes = routes
        self.caller = caller
        self.ask = ask
        self.video = video
        self.id = "chatcmpl-" + video.id.removeprefix("video_")
        self.created = int(time.time())
        self.base = str(request.base_url).rstrip("/")

    async def link(self, video: jobs.Video, variant: str) -> tuple[str, int]:
        token, expires = await self.routes.signer.sign(
            self.caller, video.id, variant, video.expires_at
        )
        return f"{self.base}/links/{token}", expires

    async def result(self, video: jobs.Video) -> tuple[str, dict[str, Any]]:
        """The assistant's text and ``message.video`` for a completed video."""
        url, expires = await self.link(video, "video")
        thumbnail, _ = await self.link(video, "thumbnail")
        until = datetime.fromtimestamp(expires, UTC).strftime("%Y-%m-%d %H:%M UTC")
        text = (
            f"Your video is ready: [{video.id}.mp4]({url})\n\n"
            f"![thumbnail]({thumbnail})\n\n"
            f"Video id: `{video.id}` ({video.size}, {video.seconds} s). The links work without "
            f"an API key until {until}; after that, download it with GET "
            f"/v1/videos/{video.id}/content."
        )
        found = {
            "id": video.id,
            "url": url,
            "thumbnail_url": thumbnail,
            "expires_at": expires,
            "model": video.model,
            "size": video.size,
            "seconds": video.seconds,
        }
        return text, found

    async def completion(self, video: jobs.Video) -> dict[str, Any]:
        text, found = await self.result(video)
        message: dict[str, Any] = {
            "role": "assistant",
            "content": text,
            "refusal": None,
            "annotations": [],
            "video": found,
        }
        return {
            "id": self.id,
            "object": "chat.completion",
            "created": self.created,
            "model": self.ask.model,
            "choices": [
                {"index": 0, "message": message, "finish_reason": "stop", "logprobs": None}
            ],
            "usage": ZERO_USAGE,
            "system_fingerprint": None,
        }

    def chunk(self, delta: Mapping[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        found: dict[str, Any] = {
            "id": self.id,
            "object": "chat.completion.chunk",
            "created": self.created,
            "model": self.ask.model,
            "system_fingerprint": None,
            "choices": [
                {"index": 0, "delta": delta, "finish_reason": finish_reason, "logprobs": None}
            ],
        }
        if self.ask.include_usage:
            found["usage"] = None
        return found

    async def events(self) -> AsyncIterator[bytes]:
        """The stream: the role, a line per change of progress (comments keep it open), the
        link and ``stop`` (or the video's error), usage if asked, then ``[DONE]``.  A client
        that goes away stops only this loop; the video keeps rendering."""
        yield _event(self.chunk({"role": "assistant", "content": ""}))
        shown: tuple[str, int] | None = None
        last_sent = time.monotonic()
        try:
            async for video in self.routes.videos.watch(self.caller, self.video.id):
                if video.is_terminal:
                    yield await self._end(video)
                    break
                state = (video.public_status, int(video.progress))
                if state != shown:
                    shown = state
                    yield _event(self.chunk({"content": progress_line(video)}))
                    last_sent = time.monotonic()
                elif time.monotonic() - last_sent >= KEEPALIVE_SECONDS:
                    yield b": keep-alive\n\n"
                    last_sent = time.monotonic()
        except errors.ReelwayError as exc:
            yield _event({"error": exc.to_dict()})
        yield b"data: [DONE]\n\n"

    async def _end(self, video: jobs.Video) -> bytes:
        failed = chat.failure(video)
        if failed is not None:
            return _event({"error": failed.to_dict()})
        text, found = await self.result(video)
        last = _event(self.chunk({"content": "\n" + text, "video": found}, "stop"))
        if self.ask.include_usage:
            usage = {**self.chunk({}), "choices": [], "usage": ZERO_USAGE}
            last += _event(usage)
        return last


def progress_line(video: jobs.Video) -> str:
    """``queued``, or ``rendering 40%``: one line of the stream's text."""
    if video.status is jobs.JobStatus.QUEUED:
        return "queued\n"
    return f"rendering {int(video.progress)}%\n"


def _event(data: Mapping[str, Any]) -> bytes:
    return b"data: " + orjson.dumps(data) + b"\n\n"
