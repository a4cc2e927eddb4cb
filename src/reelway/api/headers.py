"""Reading the request straight from the ASGI scope, without building objects per request."""

from __future__ import annotations

from starlette.requests import Request


def get(request: Request, name: bytes) -> str | None:
    """A header straight from the ASGI scope: no Headers object per request."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def request_id(request: Request) -> str | None:
    """The id the edge middleware gave this request."""
    state: dict[str, str] = request.scope.get("state", {})
    return state.get("request_id")
