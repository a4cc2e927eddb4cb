"""The indexed router (``api.app.IndexedRouter``) answers every request exactly as
Starlette's own router does: the same route, the same 405 for a partial match, the same
redirect and the same 404, whatever the order and shape of the routes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from reelway.api.app import IndexedRouter


def answer(name: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return PlainTextResponse(f"{name} {sorted(request.path_params.items())}")

    return endpoint


def routes() -> list[BaseRoute]:
    inner = Starlette(routes=[Route("/{rest:path}", answer("mounted"))])
    return [
        Route("/v1/videos/characters", answer("characters"), methods=["GET"]),
        Route("/v1/videos/storyboards", answer("storyboards"), methods=["POST"]),
        Route("/v1/videos/{video_id}/shots", answer("shots"), methods=["GET"]),
        Route("/v1/videos/{video_id}", answer("retrieve"), methods=["GET"]),
        Route("/v1/videos", answer("create"), methods=["POST"]),
        Route("/v1/videos", answer("list"), methods=["GET"]),
        Route("/v1/videos/{video_id}", answer("delete"), methods=["DELETE"]),
        Route("/v1/videos/edits", answer("edits"), methods=["POST"]),
        Route("/v1/models/{n:int}", answer("model by number"), methods=["GET"]),
        Route("/v1/models/{model}", answer("model"), methods=["GET"]),
        Route("/files/{path:path}", answer("files"), methods=["GET"]),
        Route("/dashboard/", answer("dashboard"), methods=["GET"]),
        Route("/v1/{kind}.json", answer("json"), methods=["GET"]),
        Mount("/mounted", app=inner),
        Route("/", answer("root"), methods=["GET"]),
    ]


REQUESTS = [
    ("GET", "/v1/videos/characters"),
    ("POST", "/v1/videos/characters"),
    ("GET", "/v1/videos/storyboards"),
    ("POST", "/v1/videos/storyboards"),
    ("GET", "/v1/videos/video_1"),
    ("HEAD", "/v1/videos/video_1"),
    ("DELETE", "/v1/videos/video_1"),
    ("PUT", "/v1/videos/video_1"),
    ("GET", "/v1/videos/video_1/shots"),
    ("POST", "/v1/videos/video_1/shots"),
    ("GET", "/v1/videos"),
    ("POST", "/v1/videos"),
    ("PATCH", "/v1/videos"),
    ("GET", "/v1/videos/"),
    ("GET", "/v1/videos/edits"),
    ("POST", "/v1/videos/edits"),
    ("GET", "/v1/models/12"),
    ("GET", "/v1/models/sora-2"),
    ("GET", "/files/a/b/c.mp4"),
    ("GET", "/files/"),
    ("GET", "/dashboard"),
    ("GET", "/dashboard/"),
    ("GET", "/v1/videos.json"),
    ("GET", "/mounted/x/y"),
    ("GET", "/"),
    ("GET", "/nowhere/at/all"),
    ("GET", "/v1//videos"),
    ("GET", "/v1/videos/a/b/c/d"),
]


async def test_reads_perf_the_indexed_router_answers_as_starlette_does() -> None:
    plain = Starlette(routes=routes())
    indexed = Starlette(routes=routes())
    indexed.router = IndexedRouter(indexed.router.routes)
    answers = {}
    for name, app in (("plain", plain), ("indexed", indexed)):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            answers[name] = [
                (r.status_code, r.headers.get("location"), r.headers.get("allow"), r.text)
                for r in [await client.request(m, p) for m, p in REQUESTS]
            ]
    assert answers["indexed"] == answers["plain"]
    statuses = {status for status, *_ in answers["plain"]}
    assert {200, 307, 404, 405} <= statuses  # every way a router can answer was asked
    assert answers["plain"][0][3] == "characters []"
    assert answers["plain"][4][3] == "retrieve [('video_id', 'video_1')]"


def test_reads_perf_the_index_offers_only_routes_that_can_match_in_order() -> None:
    router = IndexedRouter(routes())
    names = [getattr(r, "path", None) for r in router.candidates("/v1/videos/video_1")]
    assert names == [
        "/v1/videos/{video_id}",
        "/v1/videos/{video_id}",
        "/files/{path:path}",
        "/mounted",
    ]
    router.routes.append(Route("/v1/videos/{video_id}", answer("late"), methods=["PUT"]))
    assert len(router.candidates("/v1/videos/video_1")) == 5  # an appended route is indexed
