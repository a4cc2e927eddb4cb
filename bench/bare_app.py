"""The baseline: a bare Starlette app answering fixed JSON, served like Reelway is."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

VIDEO = {
    "id": "video_0123456789abcdef0123456789abcdef",
    "object": "video",
    "model": "sora-2",
    "status": "queued",
    "progress": 0,
    "created_at": 1795294728,
    "completed_at": None,
    "expires_at": None,
    "prompt": "a calico cat walks along a beach at sunset",
    "size": "720x1280",
    "seconds": "4",
    "remixed_from_video_id": None,
    "error": None,
}


async def video(_request: Request) -> JSONResponse:
    return JSONResponse(VIDEO)


app = Starlette(
    routes=[
        Route("/v1/videos/{video_id}", video, methods=["GET"]),
        Route("/v1/videos", video, methods=["POST"]),
    ]
)
