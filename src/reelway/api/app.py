"""The app factory: routes, middleware, error handlers, and the in-process worker's lifetime."""

from __future__ import annotations

import gc
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from starlette._utils import get_route_path
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import PARAM_REGEX, BaseRoute, Match, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send

from reelway import __version__, chat, errors, metrics
from reelway.api import errors as api_errors
from reelway.api.admin import AdminRoutes
from reelway.api.auth import Authenticator
from reelway.api.batches import BatchRoutes
from reelway.api.characters import CharacterRoutes
from reelway.api.chat import ChatRoutes
from reelway.api.dashboard import DashboardRoutes
from reelway.api.files import FORM_OVERHEAD_BYTES, UPLOAD_PATH, FileRoutes
from reelway.api.health import Readiness, WorkerPolicy
from reelway.api.links import LinkRoutes, LinkSigner
from reelway.api.metrics import MetricsRoute, RequestCounter, open_to_network
from reelway.api.middleware import Edge, Refusals
from reelway.api.openapi.route import OpenApiRoute
from reelway.api.pauses import PauseRoutes
from reelway.api.promote import PromoteRoutes
from reelway.api.responses import JsonResponse
from reelway.api.routes import Routes
from reelway.api.status import StatusRoutes
from reelway.api.storyboards import StoryboardRoutes
from reelway.api.webhooks import WebhookRoutes
from reelway.runtime import Runtime


async def health(_request: Request) -> Response:
    return JsonResponse({"status": "ok", "version": __version__})


def create_app(runtime: Runtime, *, access_log: bool = False) -> ASGIApp:
    """The ASGI app; its lifespan runs ``settings.workers`` render slots in this process.

    ``access_log``: one line per request (method, path, status, duration, request id).
    """
    settings = runtime.settings
    worker = runtime.worker(settings.workers)

    @asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        await worker.start()
        # Everything alive now lives as long as the process: keep it out of every future
        # collection, so the cyclic GC only walks what requests allocate.
        gc.collect()
        gc.freeze()
        try:
            yield
        finally:
            await worker.stop(settings.shutdown_grace_seconds)

    auth = Authenticator(runtime.service, settings.auth_cache_seconds)
    admin = AdminRoutes(runtime.accounts, runtime.key_admin, auth, settings.admin_key)
    routes = Routes(
        runtime.service,
        auth,
        poll_after_ms=settings.poll_after_ms,
        max_file_bytes=settings.max_image_bytes,
        redirect_seconds=settings.presign_seconds if settings.storage_redirect else None,
    )
    signer = LinkSigner(runtime.storage, settings.link_secret, settings.link_seconds)
    chat_routes = ChatRoutes(
        chat.ChatVideos(runtime.service, settings.chat_wait_seconds),
        auth,
        signer,
        max_file_bytes=settings.max_image_bytes,
    )
    process = metrics.ProcessMetrics()
    ops = runtime.operations
    exporter = metrics.Exporter(
        ops.observe,
        runtime.catalog,
        process,
        reap_interval_seconds=settings.reap_interval_seconds,
    )
    app = Starlette(
        routes=[
            # before routes.routes(): GET /v1/videos/characters is not the video "characters"
            *CharacterRoutes(
                runtime.characters, auth, max_file_bytes=settings.max_image_bytes
            ).routes(),
            *StoryboardRoutes(routes, auth, ops.diagnoses).routes(),
            *PromoteRoutes(routes).routes(),
            *routes.routes(),
            *chat_routes.routes(),
            *LinkRoutes(runtime.service, signer).routes(),
            *admin.routes(),
            *DashboardRoutes(
                ops.dashboard,
                runtime.accounts,
                runtime.service,
                auth,
                admin_key=settings.admin_key,
                pauses=runtime.pauses.summary,
            ).routes(),
            *WebhookRoutes(runtime.webhooks, auth).routes(),
            *FileRoutes(runtime.files, auth).routes(),
            *PauseRoutes(runtime.pauses, auth, admin.require_admin).routes(),
            *(BatchRoutes(runtime.batches, auth).routes() if runtime.batches else []),
            Route("/health", health, methods=["GET"]),
            Route("/ready", _readiness(runtime).endpoint, methods=["GET"]),
            *MetricsRoute(exporter, settings.metrics_token).routes(),
            *_status_page(runtime),
        ],
        exception_handlers={
            errors.ReelwayError: api_errors.reelway_error,
            HTTPException: api_errors.http_error,
            Exception: api_errors.unexpected_error,
        },
        lifespan=lifespan,
    )
    app.router = IndexedRouter(app.router.routes, lifespan=lifespan)
    # The document of every route above (and itself), read when it is first asked for.
    app.router.routes.append(OpenApiRoute(runtime.catalog, app.router.routes).route())
    return Edge(
        app,
        settings.max_request_bytes,
        access=access_log,
        refusals=Refusals(ops.request_log),
        path_limits={UPLOAD_PATH: settings.max_file_bytes + FORM_OVERHEAD_BYTES},
        observe=RequestCounter(app.routes, process).record,
    )


_SEGMENT_CONVERTORS = frozenset({"str", "int", "float", "uuid"})
"""Path convertors that never match a ``/``: a parameter of theirs is one whole segment."""


@dataclass
class _Node:
    """A level of the route index: literal segments, then any segment."""

    literal: dict[str, _Node] = field(default_factory=dict)
    any: _Node | None = None
    routes: list[int] = field(default_factory=list)


class IndexedRouter(Router):
    """Starlette's router, asking only the routes that could match the path.

    Starlette tries every route in order until one matches fully; the poll's route comes
    tenth and the list's thirteenth, and each try costs a regular expression.  This router
    indexes each plain route's path by its segments (a literal, or any segment for a
    parameter) and tries, in the same order, only the routes whose segments fit.  When
    none of those matches fully it hands the request to Starlette's own loop, so what
    answers (a 405 for a partial match, a redirect, the 404) is exactly what Starlette
    would have chosen.
    """

    def __init__(self, routes: Sequence[BaseRoute], **kwargs: object) -> None:
        super().__init__(list(routes), **kwargs)  # type: ignore[arg-type]
        self._indexed: tuple[BaseRoute, ...] = ()
        self._roots: dict[int, _Node] = {}
        self._always: list[int] = []

    def _index(self) -> None:
        self._indexed = tuple(self.routes)
        self._roots = {}
        self._always = []
        for position, route in enumerate(self._indexed):
            segments = _segments(route)
            if segments is None:
                self._always.append(position)
                continue
            node = self._roots.setdefault(len(segments), _Node())
            for segment in segments:
                if segment is None:
                    node.any = node.any or _Node()
                    node = node.any
                else:
                    node = node.literal.setdefault(segment, _Node())
            node.routes.append(position)

    def candidates(self, path: str) -> list[BaseRoute]:
        """The routes that could match ``path``, in the router's order."""
        if len(self._indexed) != len(self.routes):  # routes are only ever appended
            self._index()
        segments = path.split("/")
        root = self._roots.get(len(segments))
        nodes = [] if root is None else [root]
        for segment in segments:
            if not nodes:
                break
            following = []
            for node in nodes:
                child = node.literal.get(segment)
                if child is not None:
                    following.append(child)
                if node.any is not None:
                    following.append(node.any)
            nodes = following
        positions = [p for node in nodes for p in node.routes]
        if self._always:
            positions += self._always
        if len(positions) > 1:
            positions.sort()
        return [self._indexed[p] for p in positions]

    async def app(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            route_path = get_route_path(scope)
            for route in self.candidates(route_path):
                match, child_scope = route.matches(scope)
                if match is Match.FULL:
                    scope.setdefault("router", self)
                    scope["route"] = route
                    scope.update(child_scope)
                    await route.handle(scope, receive, send)
                    return
        await super().app(scope, receive, send)


def _segments(route: BaseRoute) -> list[str | None] | None:
    """A plain route's path as segments (None: a parameter); None if it cannot be indexed."""
    if not isinstance(route, Route) or type(route).matches is not Route.matches:
        return None
    segments: list[str | None] = []
    for segment in route.path.split("/"):
        if "{" not in segment:
            segments.append(segment)
            continue
        for convertor in PARAM_REGEX.findall(segment):
            if (convertor[1].lstrip(":") or "str") not in _SEGMENT_CONVERTORS:
                return None
        segments.append(None)
    return segments


def _status_page(runtime: Runtime) -> list[Route]:
    """The public status page, unless the operator turned it off (then 404 unknown_url)."""
    settings = runtime.settings
    if not settings.status_page:
        return []
    routed = runtime.operations.engines.engines
    chosen = [n.strip() for n in settings.status_page_engines.split(",") if n.strip()]
    return StatusRoutes(
        runtime.operations.status_page(),
        [n for n in chosen if n in routed] if chosen else routed,
        worker_window_seconds=settings.ready_worker_seconds or 3 * settings.reap_interval_seconds,
        days_cache_seconds=settings.status_page_days_cache_seconds,
    ).routes()


def _readiness(runtime: Runtime) -> Readiness:
    settings = runtime.settings
    return Readiness(
        runtime.operations.readiness,
        runtime.storage,
        queue_limit=settings.queue_limit,
        workers=WorkerPolicy(
            within_seconds=settings.ready_worker_seconds or 3 * settings.reap_interval_seconds,
            required=settings.ready_require_workers,
        ),
        metrics_open_on=(
            settings.host if open_to_network(settings.host, settings.metrics_token) else None
        ),
        pauses=runtime.pauses.summary,
    )
