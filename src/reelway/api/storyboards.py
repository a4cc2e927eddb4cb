"""The storyboard routes (Reelway's additions): create one, preflight one, list its shots, retry
a shot."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway import jobs, operations, storyboards
from reelway.api import forms, wire
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.api.routes import Routes

MICROS = 1_000_000


class StoryboardRoutes:
    """Handlers over the storyboard use cases; the answers are Videos as every route's."""

    def __init__(
        self, videos: Routes, auth: Authenticator, diagnoses: operations.Diagnoses
    ) -> None:
        self.videos = videos
        self.storyboards = storyboards.Storyboards(videos.service)
        self.auth = auth
        self.diagnoses = diagnoses

    def routes(self) -> list[Route]:
        return [
            Route("/v1/videos/storyboards", self.create, methods=["POST"]),
            Route("/v1/videos/storyboards/preflight", self.preflight, methods=["POST"]),
            Route("/v1/videos/{video_id}/shots", self.shots, methods=["GET"]),
            Route("/v1/videos/{video_id}/shots/{index}/retry", self.retry, methods=["POST"]),
        ]

    async def create(self, request: Request) -> Response:
        return await self.videos.queue(request, self.storyboards.create)

    async def preflight(self, request: Request) -> Response:
        """Every shot's preflight and the storyboard's price; nothing created or counted."""
        caller = await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=self.videos.max_file_bytes)
        try:
            return JsonResponse(await self.storyboards.preflight(caller, params))
        finally:
            forms.close_uploads(params)

    async def shots(self, request: Request) -> Response:
        caller = await self.auth(request)
        found = await self.storyboards.shots(caller, request.path_params["video_id"])
        return JsonResponse(wire.shot_list([wire.shot(s, await self._cost(s)) for s in found]))

    async def retry(self, request: Request) -> Response:
        caller = await self.auth(request)
        params = await forms.read_params(request, max_file_bytes=self.videos.max_file_bytes)
        try:
            created = await self.storyboards.retry(
                caller, request.path_params["video_id"], request.path_params["index"], params
            )
        finally:
            forms.close_uploads(params)
        return self.videos.video_response(created.video, extra=created.headers)

    async def _cost(self, shot: jobs.Video) -> float | None:
        """What the shot was charged, plus what it holds while unsettled (a retried shot's
        charges add up); None when it holds nothing."""
        charge = (await self.diagnoses.video(shot.id)).charge
        if charge is None:
            return None
        micros = charge.usd_micros_charged
        if charge.state == "reserved":
            micros += charge.usd_micros_reserved
        return micros / MICROS
