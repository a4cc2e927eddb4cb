"""The promote route (Reelway's addition): ``POST /v1/videos/{video_id}/promote`` renders a
completed draft again at a final size; the answer is the new Video, as remix answers."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway import promote
from reelway.api.routes import Routes
from reelway.service import Caller, Created


class PromoteRoutes:
    """The promote handler, queueing through the videos routes' one path (``Routes.queue``)."""

    def __init__(self, videos: Routes) -> None:
        self.videos = videos
        self.promoter = promote.Promoter(videos.service)

    def routes(self) -> list[Route]:
        return [Route("/v1/videos/{video_id}/promote", self.promote, methods=["POST"])]

    async def promote(self, request: Request) -> Response:
        video_id = request.path_params["video_id"]

        async def promote_it(
            caller: Caller, params: Mapping[str, Any], rid: str | None, key: str | None
        ) -> Created:
            return await self.promoter.promote(caller, video_id, params, rid, key)

        return await self.videos.queue(request, promote_it)
