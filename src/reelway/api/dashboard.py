"""The operator's dashboard: a static page (``/dashboard``) and the JSON and media it reads.

The page signs in with a key kept in the browser's sessionStorage and sends it as
``Authorization: Bearer``: the deployment's admin key sees every project, a project API key
sees its own.  Keys never travel in URLs, so the thumbnails and videos the page plays are
fetched with the header and shown through blob URLs.

- ``GET /v1/dashboard/summary?window=1h|24h``: queue depth, outcomes per time bucket,
  success rate, generation-time quantiles, errors by code and engine, spend against budget,
  engine health and the newest videos.
- ``GET /v1/dashboard/videos/{video_id}/content?variant=``: a video's files for the admin key
  too (``/v1/videos/{id}/content`` is scoped to the caller's project).
"""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from importlib import resources
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway import accounts, errors, ids, jobs, service
from reelway.api import content, headers
from reelway.api.auth import Authenticator
from reelway.api.responses import JsonResponse
from reelway.operations import DashboardReads, RecentVideo
from reelway.operations import DashboardSnapshot as Snapshot

WINDOWS = {"1h": (3600.0, 60.0, 2.0), "24h": (86400.0, 900.0, 10.0)}
"""Window name -> (length, bucket width, cache lifetime) in seconds: 60 buckets of a minute,
or 96 of 15 minutes.  One summary per scope and window is computed at most once per cache
lifetime, however many tabs poll: a day's window scans every video that ended that day (on
SQLite, ~0.3 s for 50,000 of them, on the event loop)."""
RECENT_VIDEOS = 24
MAX_CACHED = 256
STATIC_FILES = {
    "index.html": "text/html; charset=utf-8",
    "dashboard.js": "text/javascript; charset=utf-8",
    "dashboard.css": "text/css; charset=utf-8",
}
PAGE_HEADERS = {
    "content-security-policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
        "img-src 'self' blob: data:; media-src 'self' blob:; base-uri 'none'; "
        "form-action 'none'; frame-ancestors 'none'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "no-referrer",
    "cache-control": "no-cache",
}


@dataclass(frozen=True)
class Viewer:
    """Who signed in: the admin (every project) or one project's key."""

    project: jobs.Project | None

    @property
    def project_id(self) -> str | None:
        return None if self.project is None else self.project.id


@dataclass(frozen=True)
class StaticFile:
    body: bytes
    media_type: str
    etag: str


def load_static(
    folder_name: str = "dashboard", files: Mapping[str, str] | None = None
) -> dict[str, StaticFile]:
    """A page's files (name -> media type), shipped as package data in ``api/<folder_name>/``;
    the dashboard's by default, the status page's too."""
    folder = resources.files("reelway.api").joinpath(folder_name)
    found = {}
    for name, media_type in (STATIC_FILES if files is None else files).items():
        body = folder.joinpath(name).read_bytes()
        found[name] = StaticFile(body, media_type, f'"{hashlib.sha256(body).hexdigest()[:32]}"')
    return found


def static_response(static: Mapping[str, StaticFile], request: Request, name: str) -> Response:
    """One of a page's files, with its ETag (304 when the browser has it); 404 otherwise."""
    found = static.get(name)
    if found is None:
        raise errors.UnknownUrl(f"Invalid URL ({request.method} {request.url.path}).")
    answer_headers = {**PAGE_HEADERS, "etag": found.etag}
    if request.headers.get("if-none-match") == found.etag:
        return Response(status_code=304, headers=answer_headers)
    return Response(found.body, media_type=found.media_type, headers=answer_headers)


class DashboardRoutes:
    def __init__(
        self,
        reads: DashboardReads,
        account_service: accounts.AccountService,
        videos: service.VideoService,
        auth: Authenticator,
        *,
        admin_key: str | None,
        pauses: Callable[[], Awaitable[dict[str, Any]]] | None = None,
    ) -> None:
        self.pauses = pauses
        """What is paused (``pauses.PauseService.summary``): the "paused" badges."""
        self.reads = reads
        self.accounts = account_service
        self.videos = videos
        self.auth = auth
        self._admin_digest = hashlib.sha256(admin_key.encode()).digest() if admin_key else None
        self._static = load_static()
        self._cache: dict[tuple[str | None, str], tuple[float, dict[str, Any]]] = {}

    def routes(self) -> list[Route]:
        return [
            Route("/dashboard", self.page, methods=["GET"]),
            Route("/dashboard/", self.page, methods=["GET"]),
            Route("/dashboard/{name:str}", self.asset, methods=["GET"]),
            Route("/v1/dashboard/summary", self.summary, methods=["GET"]),
            Route("/v1/dashboard/videos/{video_id}/content", self.content, methods=["GET"]),
        ]

    # ------------------------------------------------------------------ the page

    def _file(self, request: Request, name: str) -> Response:
        return static_response(self._static, request, name)

    async def page(self, request: Request) -> Response:
        return self._file(request, "index.html")

    async def asset(self, request: Request) -> Response:
        return self._file(request, request.path_params["name"])

    # ------------------------------------------------------------------ who is asking

    async def viewer(self, request: Request) -> Viewer:
        """The admin key, or a project API key; 401 for anything else."""
        authorization = headers.authorization(request) or ""
        scheme, _, secret = authorization.partition(" ")
        secret = secret.strip()
        if scheme.lower() != "bearer" or not secret:
            raise errors.MissingApiKey(
                "Sign in with the deployment's admin key or a project API key, sent as "
                "'Authorization: Bearer <key>'."
            )
        if self._admin_digest is not None:
            presented = hashlib.sha256(secret.encode()).digest()
            if hmac.compare_digest(presented, self._admin_digest):
                return Viewer(project=None)
        try:
            caller = await self.auth(request)
        except errors.InvalidApiKey:
            hint = "" if self._admin_digest else " (this server has no admin key set)"
            raise errors.InvalidApiKey(
                f"This key is neither the deployment's admin key nor a project API key{hint}."
            ) from None
        return Viewer(project=await self.accounts.accounts.require(caller.project_id))

    # ------------------------------------------------------------------ the summary

    async def summary(self, request: Request) -> Response:
        viewer = await self.viewer(request)
        window = request.query_params.get("window") or "1h"
        if window not in WINDOWS:
            raise errors.InvalidValue(
                f"Invalid window {errors.show(window)}. Allowed values: {', '.join(WINDOWS)}.",
                param="window",
            )
        key = (viewer.project_id, window)
        now = time.monotonic()
        cached = self._cache.get(key)
        if cached is None or cached[0] <= now:
            if len(self._cache) >= MAX_CACHED:
                self._cache.clear()
            cached = (now + WINDOWS[window][2], await self._summary(viewer, window))
            self._cache[key] = cached
        return JsonResponse(cached[1], headers={"cache-control": "no-store"})

    async def _summary(self, viewer: Viewer, window: str) -> dict[str, Any]:
        length, width, _ = WINDOWS[window]
        now = time.time()
        count = int(length // width)
        end = (now // width + 1) * width  # buckets on whole minutes / quarter hours
        start = end - count * width
        snap = await self.reads.snapshot(
            now, start, width, count, project_id=viewer.project_id, recent=RECENT_VIDEOS
        )
        paused = await self.pauses() if self.pauses is not None else {}
        engines = await self._engines(now)
        for engine in engines:
            engine["paused"] = engine["engine"] in paused.get("engines", ())
        return {
            "object": "dashboard.summary",
            "generated_at": now,
            "scope": _scope(viewer),
            "window": {"name": window, "start": start, "end": end, "bucket_seconds": width},
            **_window_record(snap),
            "spend": await self._spend(viewer),
            "engines": engines,
            "deployment_paused": bool(paused.get("deployment")),
            "recent": [_recent_record(r) for r in snap.recent],
        }

    async def _spend(self, viewer: Viewer) -> list[dict[str, Any]]:
        """This billing period's spend per project, as the admin API computes it."""
        service_ = self.accounts
        found = (
            await service_.accounts.list_projects() if viewer.project is None else [viewer.project]
        )
        spend = []
        for project in found:
            record = accounts.summary_record(await service_.summary(project))
            period = record["period"]
            state = None if service_.pause_state is None else await service_.pause_state(project.id)
            spend.append(
                {
                    "project_id": project.id,
                    "name": project.name,
                    "status": record["status"],
                    "plan": record["plan"],
                    "period_start": period["start"],
                    "period_end": period["end"],
                    "spent_usd": period["spent_usd"],
                    "reserved_usd": period["reserved_usd"],
                    "budget_usd": record["budget_usd"],
                    "budget_used_percent": period["budget_used_percent"],
                    "credits_spent": period["credits_spent"],
                    "credits_limit": period["credits_limit"],
                    "paused": bool(state and state["project"]),
                }
            )
        spend.sort(key=lambda s: (-s["spent_usd"], s["name"]))
        return spend

    async def _engines(self, now: float) -> list[dict[str, Any]]:
        """Every engine the catalogue routes to, with its breaker and back-off state."""
        return [
            {
                "engine": status.engine,
                "type": status.type,
                "status": status.condition.status,
                "consecutive_failures": status.failures,
                "breaker_failures": status.breaker_failures,
                "circuit_open_until": status.condition.circuit_open_until,
                "backoff_until": status.condition.backoff_until,
            }
            for status in await self.reads.engines.statuses(now)
        ]

    # ------------------------------------------------------------------ media

    async def content(self, request: Request) -> Response:
        """A video's file for the dashboard: always streamed (a presigned redirect would
        leave the page's origin and its Authorization header behind)."""
        viewer = await self.viewer(request)
        video_id = request.path_params["video_id"]
        variant = request.query_params.get("variant")
        videos = self.videos
        if viewer.project is not None:
            caller = service.Caller(project_id=viewer.project.id, key_id="dashboard")
        else:
            found = None
            if ids.well_formed(video_id):
                found = await videos.videos.get(video_id)
            if found is None:
                raise errors.VideoNotFound(
                    f"Video with id {errors.show(video_id)} not found.", param="video_id"
                )
            caller = service.Caller(project_id=found.project_id, key_id="admin")
        got = await videos.content(caller, video_id, variant)
        stem = got.video.id if variant in (None, "video") else f"{got.video.id}.{variant}"
        return content.file_response(request, videos.storage, got.asset, stem)


def _scope(viewer: Viewer) -> dict[str, Any]:
    if viewer.project is None:
        return {"admin": True, "project": None}
    return {"admin": False, "project": {"id": viewer.project.id, "name": viewer.project.name}}


def _window_record(snap: Snapshot) -> dict[str, Any]:
    window = snap.window
    completed = sum(b.completed for b in window.buckets)
    failed = sum(b.failed for b in window.buckets)
    cancelled = sum(b.cancelled for b in window.buckets)
    by_code: dict[str, int] = {}
    by_engine: dict[str | None, int] = {}
    for group in window.errors:
        by_code[group.code] = by_code.get(group.code, 0) + group.count
        by_engine[group.engine] = by_engine.get(group.engine, 0) + group.count
    return {
        "queue": {
            "queued_runnable": snap.queue.queued_runnable,
            "queued_waiting": snap.queue.queued_waiting,
            "running": snap.queue.running,
        },
        "totals": {
            "completed": completed,
            "failed": failed,
            "cancelled": cancelled,
            "success_rate": None if completed + failed == 0 else completed / (completed + failed),
        },
        "generation_seconds": {
            "count": window.generation_count,
            "p50": window.generation_seconds.get(0.5),
            "p95": window.generation_seconds.get(0.95),
        },
        "throughput": [
            {
                "start": b.start,
                "completed": b.completed,
                "failed": b.failed,
                "cancelled": b.cancelled,
            }
            for b in window.buckets
        ],
        "errors": {
            "by_code": [
                {"code": c, "count": n} for c, n in sorted(by_code.items(), key=lambda i: -i[1])
            ],
            "by_engine": [
                {"engine": e, "count": n}
                for e, n in sorted(by_engine.items(), key=lambda i: (-i[1], i[0] or ""))
            ],
        },
    }


def _recent_record(video: RecentVideo) -> dict[str, Any]:
    media = f"/v1/dashboard/videos/{video.id}/content"
    took = None
    if video.started_at is not None and video.completed_at is not None:
        took = max(0.0, video.completed_at - video.started_at)
    return {
        "id": video.id,
        "project_id": video.project_id,
        "project": video.project_name,
        "model": video.model,
        "seconds": int(video.seconds) if video.seconds.isdigit() else video.seconds,
        "status": video.status.value,
        "public_status": jobs.public_status(video.status),
        "error_code": video.error_code,
        "created_at": video.created_at,
        "completed_at": video.completed_at,
        "generation_seconds": took,
        "thumbnail_url": f"{media}?variant=thumbnail" if video.has_thumbnail else None,
        "video_url": f"{media}?variant=video" if video.has_video else None,
        "kind": video.kind.value,
        "source_video_id": video.source_video_id,
    }
