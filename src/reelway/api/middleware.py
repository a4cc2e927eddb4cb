"""The one pure-ASGI middleware (no per-request task): request ids and body size limits."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelway import errors, ids
from reelway.api.errors import render

_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})


class Edge:
    """Gives every request an id (``request.state.request_id``) and every response its header;
    refuses bodies over ``max_bytes``, up front by Content-Length or as they stream in."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ids.new_request_id()
        scope.setdefault("state", {})["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        if scope["method"] in _NO_BODY:
            await self.app(scope, receive, send_with_id)
            return
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_bytes:
                await render(self._too_large())(scope, receive, send_with_id)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_bytes:
                    raise self._too_large()
            return message

        await self.app(scope, limited_receive, send_with_id)

    def _too_large(self) -> errors.RequestTooLarge:
        return errors.RequestTooLarge(
            f"The request body is larger than {self.max_bytes} bytes, the limit of this server."
        )
