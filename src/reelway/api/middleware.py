"""The one pure-ASGI middleware (no per-request task): request ids, body size limits, the
access log, the record of refused requests and the HTTP metrics' count.

One layer, not one per concern: every layer wraps ``send`` once more and costs each request
a few microseconds (a poll cost 10 µs more with the metrics as a layer of their own)."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Protocol

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from reelway import errors, ids, logs
from reelway.api.errors import render
from reelway.operations import RefusalLog, RefusedRequest

_NO_BODY = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
UNRECORDED_PATHS = frozenset({"/health", "/ready", "/metrics"})
UNRECORDED_PREFIXES = ("/dashboard",)
"""Operators' endpoints: their refusals say nothing about a client's request."""

access_log = logging.getLogger("reelway.access")
log = logging.getLogger(__name__)


class Observe(Protocol):
    def __call__(self, scope: Scope, status: int, seconds: float) -> None:
        """Count one answered request (``api.metrics.RequestCounter.record``)."""


class Edge:
    """Gives every request an id (``request.state.request_id`` and the ``logs.request_id``
    context) and every response its header; refuses bodies over ``max_bytes``, up front by
    Content-Length or as they stream in; logs one access line per request; hands every
    answer with status 400 and up to ``refusals``; hands every request's method, route,
    status and duration to ``observe`` (an exception that escapes the app counts as a 500)."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        access: bool = False,
        refusals: Refusals | None = None,
        path_limits: Mapping[str, int] | None = None,
        observe: Observe | None = None,
    ) -> None:
        self.app = app
        self.observe = observe
        self.max_bytes = max_bytes
        self.path_limits = dict(path_limits or {})
        """Paths whose bodies have a limit of their own (uploads to ``/v1/files``)."""
        self.access = access
        self.refusals = refusals

    @property
    def routes(self) -> Sequence[BaseRoute]:
        """The wrapped app's route table: the OpenAPI document's tests and the hostile-input
        tests read what the served app offers from it."""
        return tuple(getattr(self.app, "routes", ()))

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ids.new_request_id()
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        header = (b"x-request-id", request_id.encode("ascii"))
        status = 0
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), header]
            await send(message)

        request_token = logs.request_id.set(request_id)
        video_token = logs.video_id.set(None)
        try:
            try:
                await self._handle(scope, receive, send_with_id)
            except Exception:
                status = status or 500
                await self._after(scope, state, status, started)
                raise
            if self.access or status >= 400:
                await self._after(scope, state, status, started)
        finally:
            logs.video_id.reset(video_token)
            logs.request_id.reset(request_token)
            if self.observe is not None:
                self.observe(scope, status or 500, time.perf_counter() - started)

    async def _handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"] in _NO_BODY:
            await self.app(scope, receive, send)
            return
        limit = self.path_limits.get(scope["path"], self.max_bytes)
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                too_large = self._too_large(limit)
                scope["state"]["error"] = too_large
                await render(too_large)(scope, receive, send)
                return
        seen = 0

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise self._too_large(limit)
            return message

        await self.app(scope, limited_receive, send)

    async def _after(
        self, scope: Scope, state: dict[str, object], status: int, started: float
    ) -> None:
        if self.access:
            duration_ms = round((time.perf_counter() - started) * 1000, 1)
            access_log.log(
                logging.WARNING if status >= 500 else logging.INFO,
                "%s %s %d %.1fms",
                scope["method"],
                scope["path"],
                status,
                duration_ms,
                extra={
                    "method": scope["method"],
                    "path": scope["path"],
                    "status": status,
                    "duration_ms": duration_ms,
                },
            )
        if status >= 400 and self.refusals is not None:
            await self.refusals.record(scope, state, status)

    def _too_large(self, limit: int) -> errors.RequestTooLarge:
        return errors.RequestTooLarge(
            f"The request body is larger than {limit} bytes, the limit of this server."
        )


class Refusals:
    """Writes refused requests to the request log for ``reelway doctor``, cheaply.

    A write never fails the request (a failure is a warning, at most one a minute).  Writes
    are budgeted per process (``rate`` a second, bursts of ``burst``), and a flood of 429s
    keeps one row per project, code and second: a client hammering a limit, or a scanner
    walking unknown URLs, costs the database a bounded number of writes.  What the budget
    skips is counted in a warning instead.
    """

    WARN_EVERY_SECONDS = 60.0
    MAX_TRACKED = 10_000

    def __init__(
        self,
        store: RefusalLog,
        *,
        rate: float = 20.0,
        burst: float = 100.0,
        clock: Callable[[], float] = time.monotonic,
        redact: logs.Redactor | None = None,
    ) -> None:
        self.store = store
        self.rate = rate
        self.burst = burst
        self.clock = clock
        self.redact = redact or logs.Redactor()
        self._tokens = burst
        self._filled_at = self.clock()
        self._throttled: dict[tuple[str | None, str | None], int] = {}
        self.skipped = 0
        self._warned_at = float("-inf")

    async def record(self, scope: Scope, state: dict[str, object], status: int) -> None:
        path = str(scope["path"])
        if path in UNRECORDED_PATHS or path.startswith(UNRECORDED_PREFIXES):
            return
        error = state.get("error")
        code = getattr(error, "code", None)
        project_id = state.get("project_id")
        project = project_id if isinstance(project_id, str) else None
        if not self._admit(status, project, code):
            self.skipped += 1
            self._warn(
                "request log: %d refusal(s) over the write budget were not recorded", self.skipped
            )
            return
        message = getattr(error, "message", None)
        entry = RefusedRequest(
            request_id=str(state["request_id"]),
            at=time.time(),
            method=str(scope["method"]),
            path=self.redact(path),
            status=status,
            project_id=project,
            code=code,
            param=getattr(error, "param", None),
            message=self.redact(message) if isinstance(message, str) else None,
        )
        try:
            await self.store.record(entry)
        except Exception as exc:
            self._warn("request log: could not record a refused request: %s", repr(exc))

    def _admit(self, status: int, project: str | None, code: str | None) -> bool:
        now = self.clock()
        if status == 429:
            second = int(now)
            if self._throttled.get((project, code)) == second:
                return False
            if len(self._throttled) >= self.MAX_TRACKED:
                self._throttled.clear()
            self._throttled[(project, code)] = second
        self._tokens = min(self.burst, self._tokens + (now - self._filled_at) * self.rate)
        self._filled_at = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _warn(self, message: str, *args: object) -> None:
        now = self.clock()
        if now - self._warned_at >= self.WARN_EVERY_SECONDS:
            self._warned_at = now
            log.warning(message, *args)
