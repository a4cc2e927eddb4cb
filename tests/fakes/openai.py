"""A fake ``/v1/videos`` server: OpenAI's Videos API as the official SDKs see it."""

from __future__ import annotations

import time
from typing import Any

from tests.fakes.server import FakeServer, Job, Reply, Request

VAGUE = "The server had an error processing your request."


class FakeOpenAI(FakeServer):
    provider = "openai"

    def __init__(self, video: bytes, api_key: str | None = None) -> None:
        super().__init__(video)
        self.api_key = api_key
        self.thumbnail = b"RIFF\x00\x00\x00\x00WEBPfake-thumbnail"
        self.spritesheet = b"\xff\xd8\xff\xe0fake-spritesheet"
        self.route("POST", "/v1/videos", "create", self.create)
        self.route("POST", "/v1/videos/(?P<id>[^/]+)/remix", "create", self.remix)
        self.route("GET", "/v1/videos/(?P<id>[^/]+)", "poll", self.retrieve)
        self.route("GET", "/v1/videos/(?P<id>[^/]+)/content", "download", self.content)
        self.route("DELETE", "/v1/videos/(?P<id>[^/]+)", "cancel", self.delete)
        self.start()

    @property
    def v1(self) -> str:
        return self.base_url + "/v1"

    def _auth(self, request: Request) -> Reply | None:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(
                401,
                {
                    "error": {
                        "message": "Incorrect API key provided.",
                        "type": "invalid_request_error",
                        "code": "invalid_api_key",
                    }
                },
            )
        return None

    def create(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        if request.headers.get("content-type", "").startswith("multipart/"):
            body: Any = {"multipart": True, "size": len(request.body)}
        else:
            body = request.json()
        job = self.new_job(f"video_{len(self.jobs) + 1:04d}", body)
        return Reply(200, self._video(job))

    def remix(self, request: Request) -> Reply:
        denied = self._auth(request)
        if denied:
            return denied
        source = self.jobs.get(request.params["id"])
        if source is None:
            return Reply(404, {"error": {"message": "Video not found", "code": "video_not_found"}})
        job = self.new_job(
            f"video_{len(self.jobs) + 1:04d}", {**request.json(), "remix_of": source.id}
        )
        return Reply(200, self._video(job))

    def retrieve(self, request: Request) -> Reply:
        job = self.jobs.get(request.params["id"])
        if job is None or job.deleted:
            return Reply(404, {"error": {"message": "Video not found", "code": "video_not_found"}})
        return Reply(200, self._video(job), headers={"openai-poll-after-ms": "50"})

    def content(self, request: Request) -> Reply:
        job = self.jobs.get(request.params["id"])
        if job is None or not job.finished():
            return Reply(404, {"error": {"message": "Video not found"}})
        variant = request.query.get("variant", "video")
        if job.outcome.kind == "expired_url":
            return Reply(404, {"error": {"message": "Video content has expired"}})
        if variant == "thumbnail":
            return Reply(200, self.thumbnail, content_type="image/webp")
        if variant == "spritesheet":
            return Reply(200, self.spritesheet, content_type="image/jpeg")
        return self.file_reply(job)

    def delete(self, request: Request) -> Reply:
        job = self.jobs.get(request.params["id"])
        if job is None:
            return Reply(404, {"error": {"message": "Video not found"}})
        job.cancelled = job.deleted = True
        return Reply(200, {"id": job.id, "object": "video.deleted", "deleted": True})

    def _video(self, job: Job) -> dict[str, Any]:
        status = "queued"
        error: dict[str, str | None] | None = None
        fraction = job.elapsed_fraction()
        kind = job.outcome.kind
        if job.cancelled:
            status, error = "failed", {"code": "cancelled", "message": "Cancelled"}
        elif kind == "never" or fraction < 1.0:
            status = "in_progress" if fraction > 0.2 else "queued"
        elif kind in ("succeed", "expired_url"):
            status = "completed"
        elif kind == "unknown_status":
            status = "processing"
        elif kind == "moderated":
            status, error = (
                "failed",
                {
                    "code": job.outcome.code or "moderation_blocked",
                    "message": "Your video was blocked by our moderation system.",
                },
            )
        else:
            status = "failed"
            error = {"code": job.outcome.code, "message": job.outcome.message or VAGUE}
        body = job.body if isinstance(job.body, dict) else {}
        return {
            "id": job.id,
            "object": "video",
            "status": status,
            "progress": int(100 * fraction) if status != "completed" else 100,
            "created_at": int(time.time()),
            "completed_at": None,
            "expires_at": None,
            "model": body.get("model", "sora-2"),
            "prompt": body.get("prompt"),
            "seconds": body.get("seconds", "4"),
            "size": body.get("size", "720x1280"),
            "remixed_from_video_id": body.get("remix_of"),
            "error": error,
        }
