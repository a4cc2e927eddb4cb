"""A fake Runway API as its docs and official SDK describe it.

Tasks are created by ``POST /v1/text_to_video``, ``/v1/image_to_video`` or
``/v1/video_to_video`` (``gen4_aleph``: an edit of ``videoUri``, whose result keeps the input
video's length; strict bodies: an unknown field is a 400), read at ``GET /v1/tasks/{id}``
and cancelled (or, once finished, deleted) by ``DELETE /v1/tasks/{id}``.  Every API call
needs ``Authorization: Bearer <key>`` and ``X-Runway-Version``.  Results live on another
host, as on Runway's CDN: each task read signs a new URL, old ones can be expired by the test,
and a request that also carries an ``Authorization`` header is refused, as presigned-URL
stores do.

Each model takes only its own ratios and durations, and only on its endpoints (``MODELS``);
the body must be JSON; ``seed`` is 0..2^32-1.  Refusals are Runway's ``{"error": "..."}``.

With ``render_lengths`` a text- or image-to-video task's result is rendered ``duration`` seconds
long (as the longform contract needs) instead of the shared clip.

Outcome kinds beyond the common ones: ``throttled`` (the task waits for capacity forever) and
``empty_output`` (``SUCCEEDED`` with no URLs).
"""

from __future__ import annotations

import base64
import datetime
import itertools
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from reelway.media import probe
from tests.fakes.openai import render_video
from tests.fakes.server import FakeServer, Job, Reply, Request

VERSION = "2024-11-06"
FIELDS = {
    "text_to_video": frozenset(
        {"model", "promptText", "ratio", "duration", "seed", "contentModeration"}
    ),
    "image_to_video": frozenset(
        {"model", "promptImage", "promptText", "ratio", "duration", "seed", "contentModeration"}
    ),
    "video_to_video": frozenset(
        {"model", "promptText", "videoUri", "ratio", "seed", "contentModeration", "references"}
    ),
}
REQUIRED = {
    "text_to_video": ("model", "promptText"),
    "image_to_video": ("model", "promptImage"),
    "video_to_video": ("model", "promptText", "videoUri", "ratio"),
}
ALEPH_RATIOS = (
    "1280:720", "720:1280", "1104:832", "960:960", "832:1104", "1584:672", "848:480", "640:480"
)  # fmt: skip
ALEPH_PROMPT_LIMIT = 1000
VIDEO_URI_LIMIT = 16 * 1024 * 1024
VIDEO = re.compile(r"^data:video/(mp4|quicktime|webm);base64,(?P<data>[A-Za-z0-9+/]+=*)$")
GEN4_TURBO_RATIOS = ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672")
MODELS: dict[str, tuple[tuple[str, ...], tuple[str, ...] | None, tuple[int, ...]]] = {
    "gen4_turbo": (("image_to_video",), GEN4_TURBO_RATIOS, (5, 10)),
    "gen4.5": (("text_to_video", "image_to_video"), ("1280:720", "720:1280"), tuple(range(2, 11))),
    "veo3.1": (("text_to_video", "image_to_video"), None, (4, 6, 8)),
    "veo3.1_fast": (("text_to_video", "image_to_video"), None, (4, 6, 8)),
    "gen4_aleph": (("video_to_video",), ALEPH_RATIOS, ()),
}
"""Model -> the endpoints that take it, its ratios (None: not checked here) and durations.
Each endpoint's body is a oneOf by model, so a model on the wrong endpoint is a 400."""
SEED_LIMIT = 2**32 - 1
RATIO = re.compile(r"^\d+:\d+$")
IMAGE = re.compile(r"^(https://.+|data:image/(png|jpeg|webp);base64,[A-Za-z0-9+/]+=*)$")
VAGUE = "An unexpected error occurred."
CREDITS_PER_SECOND = 5  # what a finished task reports as its cost (Runway's gen4_turbo)
ALEPH_CREDITS_PER_SECOND = 15


def _error(status: int, message: str) -> Reply:
    return Reply(status, {"error": message})


class FakeRunway(FakeServer):
    provider = "runway"

    def __init__(
        self,
        video: bytes,
        api_key: str,
        files_host: str = "localhost",
        *,
        render_lengths: bool = False,
    ) -> None:
        super().__init__(video)
        self.render_lengths = render_lengths
        self.contents: dict[str, bytes] = {}
        """Task id -> its own result (an edit's, or a rendered one); else the shared clip."""
        self.seconds: dict[str, float] = {}
        """Task id -> an edit's input length, which is its output's length and its cost."""
        self.api_key = api_key
        self.files_host = files_host
        """Differs from the API's 127.0.0.1 on purpose: output URLs point at another host."""
        self.signed: dict[str, str] = {}
        """URL token -> task id, for every output URL handed out."""
        self.expired: set[str] = set()
        self._tokens = itertools.count(1)
        self.route(
            "POST",
            "/v1/(?P<kind>text_to_video|image_to_video|video_to_video)",
            "create",
            self.create,
        )
        self.route("GET", "/v1/tasks/(?P<id>[^/]+)", "poll", self.get_task)
        self.route("DELETE", "/v1/tasks/(?P<id>[^/]+)", "cancel", self.delete_task)
        self.route("GET", r"/files/(?P<id>[^/]+)\.mp4", "download", self.file)
        self.start()

    def expire_issued_urls(self) -> None:
        """Every output URL handed out so far stops working (Runway's expire in 24-48 h)."""
        with self.lock:
            self.expired.update(self.signed)

    def requests(self, endpoint: str) -> list[Request]:
        with self.lock:
            return [request for _, name, request in self.log if name == endpoint]

    # ------------------------------------------------------------------ routes

    def _denied(self, request: Request) -> Reply | None:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _error(401, "Invalid API secret; check the key in the developer portal.")
        version = request.headers.get("x-runway-version")
        if not version:
            return _error(400, f"Missing X-Runway-Version header; send {VERSION}.")
        if version != VERSION:
            return _error(400, f"Unsupported X-Runway-Version {version!r}; send {VERSION}.")
        return None

    def create(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        kind = request.params["kind"]
        if request.media_type != "application/json":
            return _error(400, "Request body must be application/json.")
        try:
            body = request.json()
        except (ValueError, UnicodeDecodeError):
            return _error(400, "Request body is not valid JSON.")
        if not isinstance(body, dict):
            return _error(400, "Request body must be an object.")
        unknown = sorted(set(body) - FIELDS[kind])
        if unknown:
            return _error(400, f"Unrecognized key(s) in object: {', '.join(unknown)}")
        for name in REQUIRED[kind]:
            if not isinstance(body.get(name), str) or not body[name]:
                return _error(400, f"Validation of body failed: {name} is required")
        if "promptImage" in body and not IMAGE.match(body["promptImage"]):
            return _error(400, "promptImage: Invalid data URI.")
        if kind == "video_to_video":
            return self._edit(body)
        if not RATIO.match(str(body.get("ratio", ""))):
            return _error(400, "ratio: Invalid enum value.")
        if not isinstance(body.get("duration"), int) or isinstance(body["duration"], bool):
            return _error(400, "duration: Expected integer.")
        problem = _model_problem(kind, body) or _optional_problem(body)
        if problem:
            return _error(400, problem)
        job = self.new_job(f"17f20503-6c24-4c16-946b-{len(self.jobs) + 1:012d}", body)
        if self.render_lengths:
            self._render(job)
        return Reply(200, {"id": job.id})

    def _edit(self, body: dict[str, Any]) -> Reply:
        """``gen4_aleph``: the input video back (the fake's "restyle"), so its length holds."""
        problem = _model_problem("video_to_video", body) or _optional_problem(body)
        if problem:
            return _error(400, problem)
        if len(body["promptText"].encode("utf-16-le")) // 2 > ALEPH_PROMPT_LIMIT:
            return _error(400, f"promptText: Must be at most {ALEPH_PROMPT_LIMIT} characters.")
        if len(body["videoUri"]) > VIDEO_URI_LIMIT:
            return _error(400, "videoUri: Data URI exceeds the 16MB limit.")
        match = VIDEO.match(body["videoUri"])
        if not match:
            return _error(400, "videoUri: Invalid data URI.")
        try:
            data = base64.b64decode(match["data"], validate=True)
            with tempfile.TemporaryDirectory() as folder:
                path = Path(folder) / "input.mp4"
                path.write_bytes(data)
                seconds = probe.probe(path).duration
        except Exception:  # anything that does not decode is refused, as Runway does
            return _error(400, "videoUri: The video could not be decoded.")
        job = self.new_job(f"17f20503-6c24-4c16-946b-{len(self.jobs) + 1:012d}", body)
        with self.lock:
            self.contents[job.id] = data
            self.seconds[job.id] = seconds
        return Reply(200, {"id": job.id})

    def _render(self, job: Job) -> None:
        """The task's result made ``duration`` seconds long, off the request thread; the task
        stays RUNNING until it is ready."""

        def work() -> None:
            made = render_video(int(job.body["duration"]), str(job.body.get("promptText", "")))
            with self.lock:
                self.contents[job.id] = made

        threading.Thread(target=work, daemon=True).start()

    def file_reply(self, job: Job) -> Reply:
        reply = super().file_reply(job)
        own = self.contents.get(job.id)
        if reply.status == 200 and own is not None:
            return Reply(200, own, content_type="video/mp4")
        return reply

    def get_task(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None or job.deleted:
            return _error(404, "Task not found.")
        return Reply(200, self._task(job))

    def delete_task(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None or job.deleted:
            return _error(404, "Task not found.")
        with self.lock:
            if self._status(job) in ("PENDING", "THROTTLED", "RUNNING"):
                job.cancelled = True
            else:
                job.deleted = True
        return Reply(204, b"")

    def file(self, request: Request) -> Reply:
        if "authorization" in request.headers:
            return Reply(
                400,
                b"<Error><Code>InvalidArgument</Code><Message>Only one auth mechanism allowed"
                b"</Message></Error>",
                content_type="application/xml",
            )
        token = request.query.get("_jwt", "")
        job = self.jobs.get(request.params["id"])
        with self.lock:
            valid = self.signed.get(token) == request.params["id"] and token not in self.expired
        if job is None or not valid:
            return Reply(403, b"<Error>Request has expired</Error>", content_type="text/xml")
        return self.file_reply(job)

    # ------------------------------------------------------------------ tasks

    def _status(self, job: Job) -> str:
        kind = job.outcome.kind
        if job.cancelled:
            return "CANCELLED"
        if kind == "throttled":
            return "THROTTLED"
        if not job.finished():
            return "PENDING" if job.elapsed_fraction() < 0.2 else "RUNNING"
        if self.render_lengths and "duration" in job.body and job.id not in self.contents:
            return "RUNNING"
        if kind in ("succeed", "expired_url", "empty_output"):
            return "SUCCEEDED"
        if kind == "unknown_status":
            return "PROCESSING_MYSTERY"
        if kind == "cancelled":
            return "CANCELLED"
        return "FAILED"

    def _task(self, job: Job) -> dict[str, Any]:
        age = time.monotonic() - job.created
        created = datetime.datetime.fromtimestamp(time.time() - age, datetime.UTC)
        status = self._status(job)
        task: dict[str, Any] = {
            "id": job.id,
            "status": status,
            "createdAt": created.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
        }
        if status == "RUNNING":
            task["progress"] = round(min(job.elapsed_fraction(), 0.99), 2)
        elif status == "SUCCEEDED":
            empty = job.outcome.kind == "empty_output"
            task["output"] = [] if empty else [self._sign(job)]
            task["cost"] = {"credits": self._credits(job)}
        elif status == "FAILED" and job.outcome.kind == "moderated":
            task["failure"] = job.outcome.message or "Content moderation rejected the output."
            task["failureCode"] = job.outcome.code or "SAFETY.OUTPUT.VIDEO"
        elif status == "FAILED":
            task["failure"] = job.outcome.message or VAGUE
            task["failureCode"] = job.outcome.code
        return task

    def _credits(self, job: Job) -> int:
        if job.id in self.seconds:
            return round(ALEPH_CREDITS_PER_SECOND * self.seconds[job.id])
        return CREDITS_PER_SECOND * int(job.body["duration"])

    def _sign(self, job: Job) -> str:
        """A fresh URL on the "CDN" host, like each read of a real Runway task."""
        with self.lock:
            token = f"jwt{next(self._tokens)}"
            self.signed[token] = job.id
        port = self.base_url.rsplit(":", 1)[1]
        return f"http://{self.files_host}:{port}/files/{job.id}.mp4?_jwt={token}"


def _model_problem(kind: str, body: dict[str, Any]) -> str | None:
    """What the model's branch of the endpoint's oneOf refuses, if anything."""
    found = MODELS.get(body["model"])
    if found is None or kind not in found[0]:
        return f"model: Invalid discriminator value for {kind}: {body['model']!r}."
    _, ratios, durations = found
    if ratios is not None and body["ratio"] not in ratios:
        return f"ratio: Invalid enum value for {body['model']}: {body['ratio']!r}."
    if kind == "video_to_video":
        return None  # the output's length is the input video's
    if body["duration"] not in durations:
        return f"duration: Invalid value for {body['model']}: {body['duration']}."
    return None


def _optional_problem(body: dict[str, Any]) -> str | None:
    seed = body.get("seed")
    if seed is not None and (
        isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed <= SEED_LIMIT
    ):
        return f"seed: Expected an integer from 0 to {SEED_LIMIT}."
    moderation = body.get("contentModeration")
    if moderation is not None and (
        not isinstance(moderation, dict)
        or set(moderation) - {"publicFigureThreshold"}
        or moderation.get("publicFigureThreshold", "auto") not in ("auto", "low")
    ):
        return "contentModeration: Expected {publicFigureThreshold: 'auto' | 'low'}."
    if "promptText" in body and (not isinstance(body["promptText"], str) or not body["promptText"]):
        return "promptText: Expected a non-empty string."
    return None
