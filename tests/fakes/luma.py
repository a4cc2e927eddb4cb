"""A fake Luma Dream Machine API (``/dream-machine/v1``) and the CDN its results live on.

Every API call needs the bearer key (401); a create body must be a JSON object with a
``prompt`` and a ``model`` and only Luma's values for ``model``, ``aspect_ratio``,
``resolution``, ``duration`` (``5s``, ``9s``), ``loop`` and ``keyframes``; refusals are
FastAPI's ``{"detail": ...}``.  Unknown generation ids are 404.

A keyframe ``{"type": "generation", "id"}`` continues that generation (an extension): the id
must name a completed generation this account still has (else 400; the wording is the
fake's).  An extension's video is a real MP4 of its ``duration``, the new segment alone, or
with ``whole_extensions`` the source's length plus the segment (Luma's docs do not say which
it returns, so the engine must cope with both).

The CDN answers on ``localhost`` while the API answers on ``127.0.0.1``: two host names, as
with Luma's ``storage.cdn-luma.com``, so a test can check that the API key stays with the API.
"""

from __future__ import annotations

import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from reelway.media import probe
from tests.fakes.openai import render_video
from tests.fakes.server import FakeServer, Job, Reply, Request

API = "/dream-machine/v1"
VAGUE = "Unable to process request"
MODERATED = "Content moderation: the generated video was flagged"
MODELS = ("ray-1-6", "ray-2", "ray-flash-2")
ASPECT_RATIOS = ("1:1", "16:9", "9:16", "4:3", "3:4", "21:9", "9:21")
RESOLUTIONS = ("540p", "720p", "1080p", "4k")
DURATIONS = ("5s", "9s")
NOT_FOUND = Reply(404, {"detail": "Generation not found"})


class FakeLuma(FakeServer):
    provider = "luma"

    def __init__(self, video: bytes, api_key: str = "luma-test-key") -> None:
        super().__init__(video)
        self.api_key = api_key
        self.credits = 250_000.0
        self.preview = b"\xff\xd8\xff\xe0fake-luma-thumbnail"
        self.cdn_headers: list[dict[str, str]] = []
        """Headers of every CDN request, to check that no credentials reach the CDN."""
        self.whole_extensions = False
        """Whether an extension's video holds its source too (else the new segment alone)."""
        self.contents: dict[str, bytes] = {}
        """Jobs whose video is not the shared clip (extensions)."""
        generation = f"{API}/generations/(?P<id>[^/]+)"
        self.route("POST", f"{API}/generations", "create", self.create)
        self.route("POST", f"{API}/generations/video", "create", self.create)
        self.route("GET", generation, "poll", self.get)
        self.route("DELETE", generation, "cancel", self.delete)
        self.route("GET", f"{API}/credits", "credits", self.get_credits)
        self.route("GET", r"/cdn/(?P<id>[^/]+)\.mp4", "download", self.video_file)
        self.route("GET", r"/cdn/(?P<id>[^/]+)\.jpg", "preview", self.preview_file)
        self.start()

    @property
    def api_url(self) -> str:
        return self.base_url + API

    @property
    def cdn_url(self) -> str:
        return self.base_url.replace("127.0.0.1", "localhost") + "/cdn"

    # ------------------------------------------------------------------ API

    def create(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if request.media_type != "application/json":
            problem = _problem("model_attributes_type", (), "Input should be a JSON object", None)
            return Reply(400, {"detail": [problem]})
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return Reply(400, {"detail": "Invalid JSON body"})
        problems = _validate(body)
        if problems:
            return Reply(400, {"detail": problems})
        frames = body.get("keyframes") or {}
        continued = [f["id"] for f in frames.values() if f["type"] == "generation"]
        for source in continued:
            found = self.jobs.get(source)
            if found is None or self._gone(found):
                return Reply(400, {"detail": f"Keyframe generation {source} not found"})
            if not found.finished() or found.outcome.kind not in ("succeed", "expired_url"):
                return Reply(400, {"detail": f"Keyframe generation {source} is not completed"})
        job = self.new_job(str(uuid.uuid4()), body)
        if continued:
            self._render_extension(job, continued[0])
        return Reply(201, self._generation(job))

    def _render_extension(self, job: Job, source: str) -> None:
        """The extension's video: its ``duration`` of new frames (plus the source's length
        when ``whole_extensions``)."""
        seconds = int(str(job.body.get("duration") or "5s").rstrip("s"))
        if self.whole_extensions:
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "source.mp4"
                path.write_bytes(self.contents.get(source, self.video))
                seconds += round(probe.probe(path).duration)
        made = render_video(seconds, str(job.body.get("prompt")))
        with self.lock:
            self.contents[job.id] = made

    def get(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None or self._gone(job):
            return NOT_FOUND
        return Reply(200, self._generation(job))

    def delete(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None or self._gone(job):
            return NOT_FOUND
        with self.lock:
            job.cancelled = job.deleted = True
        return Reply(204, b"")

    def get_credits(self, request: Request) -> Reply:
        return self._auth(request) or Reply(200, {"credit_balance": self.credits})

    # ------------------------------------------------------------------ CDN

    def video_file(self, request: Request) -> Reply:
        with self.lock:
            self.cdn_headers.append(dict(request.headers))
        job = self.jobs.get(request.params["id"])
        if job is None or not job.finished() or job.outcome.kind not in ("succeed", "expired_url"):
            return Reply(404, b"<Error>NoSuchKey</Error>", content_type="text/xml")
        return self.file_reply(job)

    def preview_file(self, request: Request) -> Reply:
        job = self.jobs.get(request.params["id"])
        if job is None or not job.finished():
            return Reply(404, b"<Error>NoSuchKey</Error>", content_type="text/xml")
        return Reply(200, self.preview, content_type="image/jpeg")

    def file_reply(self, job: Job) -> Reply:
        reply = super().file_reply(job)
        own = self.contents.get(job.id)
        if reply.status == 200 and own is not None:
            return Reply(200, own, content_type="video/mp4")
        return reply

    # ------------------------------------------------------------------ helpers

    def _auth(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"detail": "Invalid API key"})
        return None

    def _gone(self, job: Job) -> bool:
        """Deleted through the API, or (outcome ``cancelled``) by someone else at Luma."""
        return job.deleted or (job.outcome.kind == "cancelled" and job.finished())

    def _generation(self, job: Job) -> dict[str, Any]:
        kind, fraction = job.outcome.kind, job.elapsed_fraction()
        assets: dict[str, str | None] = {"video": None, "image": None, "progress_video": None}
        reason = None
        if kind == "never" or fraction < 1.0:
            state = "queued" if fraction < 0.2 else "dreaming"
        elif kind in ("succeed", "expired_url"):
            state = "completed"
            assets = {
                "video": f"{self.cdn_url}/{job.id}.mp4",
                "image": f"{self.cdn_url}/{job.id}.jpg",
                "progress_video": None,
            }
        elif kind == "unknown_status":
            state = "pondering"
        elif kind == "moderated":
            state, reason = "failed", job.outcome.message or MODERATED
        else:
            state, reason = "failed", job.outcome.message
        created = time.time() - (time.monotonic() - job.created)
        body = job.body if isinstance(job.body, dict) else {}
        return {
            "id": job.id,
            "generation_type": "video",
            "state": state,
            "failure_reason": reason,
            "created_at": datetime.fromtimestamp(created, UTC).isoformat(),
            "assets": assets,
            "model": body.get("model"),
            "request": {"generation_type": "video", **body},
        }


def _validate(body: Any) -> list[dict[str, Any]]:
    """Luma's 400 ``detail`` list for a create body (FastAPI/pydantic style)."""
    if not isinstance(body, dict):
        return [_problem("model_attributes_type", (), "Input should be an object", body)]
    problems = []
    for field in ("prompt", "model"):
        if field not in body:
            problems.append(_problem("missing", (field,), "Field required", None))
        elif not isinstance(body[field], str) or not body[field]:
            problems.append(_problem("string_type", (field,), "Input should be a string", None))
    allowed = {"model": MODELS, "aspect_ratio": ASPECT_RATIOS, "resolution": RESOLUTIONS}
    for field, values in allowed.items():
        value = body.get(field)
        if value and value not in values:
            shown = ", ".join(repr(v) for v in values)
            problems.append(_problem("literal_error", (field,), f"Input should be {shown}", value))
    duration = body.get("duration")
    if duration is not None and duration not in DURATIONS:
        shown = " or ".join(repr(d) for d in DURATIONS)
        problems.append(
            _problem("literal_error", ("duration",), f"Input should be {shown}", duration)
        )
    if "loop" in body and not isinstance(body["loop"], bool):
        problems.append(_problem("bool_type", ("loop",), "Input should be a valid boolean", None))
    keyframes = body.get("keyframes")
    if keyframes is not None:
        problems.extend(_keyframes(keyframes))
    return problems


def _keyframes(keyframes: Any) -> list[dict[str, Any]]:
    if not isinstance(keyframes, dict) or set(keyframes) - {"frame0", "frame1"}:
        return [_problem("model_type", ("keyframes",), "Input should be frame0/frame1", None)]
    problems = []
    for name, frame in keyframes.items():
        where = ("keyframes", name)
        if not isinstance(frame, dict) or frame.get("type") not in ("image", "generation"):
            problems.append(_problem("union_tag_invalid", (*where, "type"), "Bad type", None))
        elif frame["type"] == "image" and not (
            isinstance(frame.get("url"), str) and frame["url"].startswith(("https://", "http://"))
        ):
            problems.append(_problem("missing", (*where, "url"), "Field required", None))
        elif frame["type"] == "generation" and not isinstance(frame.get("id"), str):
            problems.append(_problem("missing", (*where, "id"), "Field required", None))
    return problems


def _problem(kind: str, loc: tuple[str, ...], msg: str, value: Any) -> dict[str, Any]:
    return {"type": kind, "loc": ["body", *loc], "msg": msg, "input": value}
