"""``GET /metrics`` (Prometheus text format) and the middleware that counts HTTP requests.

The endpoint needs no API key and is never rate limited, like ``/health``; when the operator
sets ``REELWAY_METRICS_TOKEN`` it asks for ``Authorization: Bearer <token>``.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import time
from collections.abc import Sequence

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelway import errors, metrics
from reelway.api import headers

OPEN_WARNING = (
    "/metrics is unauthenticated and this server listens on {host}, not only loopback: anyone "
    "who reaches the port reads deployment-wide spend, videos and queue depth. Set "
    "REELWAY_METRICS_TOKEN, or listen on 127.0.0.1 behind a proxy."
)


def open_to_network(host: str, token: str) -> bool:
    """Whether ``/metrics`` answers anyone who reaches the port: no token is set and the
    server listens beyond loopback (an address such as 0.0.0.0, or a name that may resolve
    to any interface)."""
    if token:
        return False
    if host.lower() == "localhost":
        return False
    try:
        return not ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return True


class MetricsRoute:
    def __init__(self, exporter: metrics.Exporter, token: str = "") -> None:
        self.exporter = exporter
        self._digest = hashlib.sha256(token.encode()).digest() if token else None

    def routes(self) -> list[Route]:
        return [Route("/metrics", self.metrics, methods=["GET"])]

    async def metrics(self, request: Request) -> Response:
        if self._digest is not None:
            self._check_token(request)
        body = await self.exporter.render()
        return Response(body, headers={"content-type": metrics.CONTENT_TYPE})

    def _check_token(self, request: Request) -> None:
        assert self._digest is not None
        scheme, _, secret = (headers.authorization(request) or "").partition(" ")
        if scheme.lower() != "bearer" or not secret.strip():
            raise errors.MissingApiKey(
                "This server's /metrics needs 'Authorization: Bearer <REELWAY_METRICS_TOKEN>'."
            )
        presented = hashlib.sha256(secret.strip().encode()).digest()
        if not hmac.compare_digest(presented, self._digest):
            raise errors.InvalidApiKey("That is not this server's metrics token.")


class RequestCounter:
    """Counts one answered request by method, route template and status.

    The route is the one Starlette's router matched (it leaves it in ``scope["route"]``);
    a request answered before routing (a body over the size limit) is matched here, and one
    that matches nothing is ``other``.  The app's edge middleware (``api.middleware.Edge``)
    calls ``record`` once per request.
    """

    def __init__(self, routes: Sequence[BaseRoute], process: metrics.ProcessMetrics) -> None:
        self.routes = tuple(routes)
        self.process = process

    def record(self, scope: Scope, status: int, seconds: float) -> None:
        route = scope.get("route")
        template = getattr(route, "path", None) or self._match(scope)
        self.process.observe(scope["method"], template, status, seconds)

    def _match(self, scope: Scope) -> str:
        partial = metrics.OTHER_ROUTE
        for route in self.routes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return str(getattr(route, "path", metrics.OTHER_ROUTE))
            if match is Match.PARTIAL and partial == metrics.OTHER_ROUTE:
                partial = str(getattr(route, "path", metrics.OTHER_ROUTE))
        return partial


class HttpMetrics:
    """``RequestCounter`` as a pure-ASGI layer of its own, for an app without the edge
    middleware.  An exception that escapes the app counts as a 500."""

    def __init__(self, app: ASGIApp, routes: Sequence[BaseRoute], process: metrics.ProcessMetrics):
        self.app = app
        self.counter = RequestCounter(routes, process)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self.counter.record(scope, status, time.perf_counter() - started)
