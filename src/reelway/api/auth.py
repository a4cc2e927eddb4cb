"""Bearer API keys, with a short cache so a poll does not hash and query on every request."""

from __future__ import annotations

import time

from starlette.requests import Request

from reelway import errors, ids
from reelway.api import headers
from reelway.service import Caller, VideoService

MAX_CACHED_KEYS = 10_000


class Authenticator:
    def __init__(self, service: VideoService, cache_seconds: float) -> None:
        self.service = service
        self.cache_seconds = cache_seconds
        self._cache: dict[str, tuple[Caller, float]] = {}

    async def __call__(self, request: Request) -> Caller:
        authorization = headers.authorization(request)
        if not authorization:
            raise errors.MissingApiKey(
                "You didn't provide an API key. Send it as 'Authorization: Bearer <key>'."
            )
        scheme, _, secret = authorization.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise errors.MissingApiKey("The Authorization header must be 'Bearer <key>'.")
        digest = ids.hash_api_key(secret)
        now = time.monotonic()
        cached = self._cache.get(digest)
        state = request.scope.setdefault("state", {})  # the project, for the request log
        if cached is not None and cached[1] > now:
            state["project_id"] = cached[0].project_id
            return cached[0]
        caller = await self.service.authenticate(secret)
        state["project_id"] = caller.project_id
        if self.cache_seconds > 0:
            if len(self._cache) >= MAX_CACHED_KEYS:
                self._cache.clear()
            self._cache[digest] = (caller, now + self.cache_seconds)
        return caller
