"""The one place errors become HTTP responses: OpenAI's envelope plus the retry headers."""

from __future__ import annotations

import logging
import math

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from reelway import errors
from reelway.api.responses import JsonResponse

log = logging.getLogger(__name__)


def render(exc: errors.ReelwayError) -> JsonResponse:
    headers = dict(exc.headers)
    if not exc.retryable:
        headers["x-should-retry"] = "false"
    if exc.retry_after is not None:
        headers["retry-after"] = str(max(1, math.ceil(exc.retry_after)))
        headers["retry-after-ms"] = str(max(1, int(exc.retry_after * 1000)))
    return JsonResponse({"error": exc.to_dict()}, status_code=exc.http_status, headers=headers)


def answer(request: Request, exc: errors.ReelwayError) -> JsonResponse:
    """``render``, and the error kept on the request's state for the request log (the edge
    middleware records refused requests for ``reelway doctor``)."""
    request.scope.setdefault("state", {})["error"] = exc
    return render(exc)


async def reelway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, errors.ReelwayError)
    return answer(request, exc)


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own 404/405/400s, in the envelope."""
    assert isinstance(exc, HTTPException)
    where = f"{request.method} {request.url.path}"
    if exc.status_code == 404:
        return answer(request, errors.UnknownUrl(f"Invalid URL ({where})."))
    if exc.status_code == 405:
        return answer(request, errors.MethodNotAllowed(f"Method not allowed ({where})."))
    return answer(request, errors.InvalidRequest(str(exc.detail)))


async def unexpected_error(request: Request, exc: Exception) -> Response:
    request_id = request.scope.get("state", {}).get("request_id")
    log.exception("unexpected error handling %s %s", request.method, request.url.path)
    return answer(
        request,
        errors.InternalError(
            "The server hit an unexpected error; this is a bug in Reelway. "
            f"Quote request id {request_id} when you report it."
        ),
    )
