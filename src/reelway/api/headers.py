"""Reading the request straight from the ASGI scope, without building objects per request."""

from __future__ import annotations

from starlette.requests import Request

from reelway import errors


def get(request: Request, name: bytes) -> str | None:
    """A header straight from the ASGI scope: no Headers object per request."""
    for key, value in request.scope["headers"]:
        if key == name:
            return str(value.decode("latin-1"))
    return None


def single(request: Request, name: bytes, param: str) -> str | None:
    """A header that must be sent at most once (``Authorization``): two copies are refused
    rather than one picked, because a proxy in front may have judged the other one."""
    found = [value for key, value in request.scope["headers"] if key == name]
    if len(found) > 1:
        raise errors.DuplicateHeader(
            f"The {param} header was sent {len(found)} times; send it once.", param=param
        )
    return str(found[0].decode("latin-1")) if found else None


def authorization(request: Request) -> str | None:
    """The ``Authorization`` header, if sent, and only if sent once."""
    return single(request, b"authorization", "Authorization")


def request_id(request: Request) -> str | None:
    """The id the edge middleware gave this request."""
    state: dict[str, str] = request.scope.get("state", {})
    return state.get("request_id")
