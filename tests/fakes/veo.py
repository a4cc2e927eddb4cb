"""A fake Google Veo: the Gemini API's and Vertex AI's long-running operations as google-genai
sees them, with their credentials, Gemini's key-guarded file downloads and a GCS bucket.

What it copies from the real services, because engines get these wrong: an unfinished
operation omits ``done`` (proto3 JSON drops false), a finished one's ``error`` is a
google.rpc.Status with a *number* for its code, filtered outputs are a success with
``raiMediaFilteredCount`` and no samples, a wrong Gemini key is an HTTP 400 (reason
``API_KEY_INVALID``), and the Gemini API refuses the parameters only Vertex takes.  A body
that is not JSON, an unknown field or parameter, an empty prompt or an out-of-range value is
Google's 400 ``INVALID_ARGUMENT``.
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

from tests.fakes.server import FakeServer, Job, Refused, Reply, Request

BUCKET = "reelway-fake-bucket"
INSTANCE_FIELDS = frozenset({"prompt", "image", "lastFrame", "video", "referenceImages"})
PARAMETERS = frozenset(
    {
        "sampleCount", "durationSeconds", "aspectRatio", "resolution", "personGeneration",
        "negativePrompt", "enhancePrompt", "seed", "generateAudio", "storageUri", "fps",
        "compressionQuality",
    }
)  # fmt: skip
PERSON_GENERATION = ("allow_all", "allow_adult", "dont_allow")
GEMINI_ONLY_REJECTS = ("seed", "generateAudio", "storageUri", "fps", "compressionQuality")
GEMINI_REJECTS_INSTANCE = ("lastFrame", "referenceImages")  # Vertex-only, like the above
FILTERED = (
    "Unable to generate videos because the output may violate Google's Responsible AI "
    "practices. Try rephrasing the prompt."
)
INTERNAL = "Internal error encountered."
VERTEX = (
    "/v1/projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)"
    "/publishers/google/models/(?P<model>[^/:]+)"
)
VERTEX_NAME = re.compile(
    r"^projects/[^/]+/locations/[^/]+/publishers/google/models/(?P<model>[^/]+)"
    r"/operations/(?P<id>[^/]+)$"
)


def google_error(status: int, name: str, message: str, reason: str | None = None) -> dict[str, Any]:
    """Google's HTTP error envelope, with an ErrorInfo detail when ``reason`` is given."""
    error: dict[str, Any] = {"code": status, "message": message, "status": name}
    if reason:
        error["details"] = [
            {
                "@type": "type.googleapis.com/google.rpc.ErrorInfo",
                "reason": reason,
                "domain": "googleapis.com",
            }
        ]
    return {"error": error}


def _json(request: Request) -> Any:
    """The body as JSON, or Google's 400 for one that is not (as a ``Refused``)."""
    problem = None
    if request.media_type != "application/json":
        problem = f"Invalid JSON payload received. Content-Type {request.media_type!r}."
    else:
        try:
            return json.loads(request.body)
        except (ValueError, UnicodeDecodeError):
            problem = "Invalid JSON payload received. Unexpected token."
    raise Refused(Reply(400, google_error(400, "INVALID_ARGUMENT", problem)))


def _gcs_error(status: int, code: str, message: str) -> Reply:
    xml = f"<?xml version='1.0' encoding='UTF-8'?><Error><Code>{code}</Code><Message>{message}"
    return Reply(status, (xml + "</Message></Error>").encode(), content_type="application/xml")


class FakeVeo(FakeServer):
    """Serves both flavors at once: Gemini under ``/v1beta``, Vertex under ``/v1``, GCS under
    ``/storage``.  ``vertex_inline`` makes Vertex return the video as base64 in the operation
    instead of a ``gs://`` object (what it does when the request names no ``storageUri``)."""

    provider = "veo"

    def __init__(self, video: bytes, api_key: str, *, vertex_inline: bool = False) -> None:
        super().__init__(video)
        self.api_key = api_key
        self.vertex_inline = vertex_inline
        self.objects: dict[tuple[str, str], str] = {}
        """(bucket, object) -> job id, for the fake GCS."""
        gemini = "/v1beta/models/(?P<model>[^/:]+)"
        self.route("POST", f"{gemini}:predictLongRunning", "create", self.gemini_create)
        self.route("GET", f"{gemini}/operations/(?P<id>[^/:]+)", "poll", self.gemini_poll)
        self.route("POST", f"{gemini}/operations/(?P<id>[^/:]+):cancel", "cancel", self.cancel)
        self.route("GET", "/v1beta/files/(?P<id>[^/:]+):download", "download", self.gemini_file)
        self.route("POST", f"{VERTEX}:predictLongRunning", "create", self.vertex_create)
        self.route("POST", f"{VERTEX}:fetchPredictOperation", "poll", self.vertex_poll)
        self.route(
            "POST",
            "/v1/projects/[^/]+/locations/[^/]+/operations/(?P<id>[^/:]+):cancel",
            "cancel",
            self.cancel,
        )
        self.route("GET", "/storage/(?P<bucket>[^/]+)/(?P<object>.+)", "download", self.gcs_file)
        self.start()

    # ------------------------------------------------------------------ auth and checks

    def _denied(self, request: Request) -> Reply | None:
        if request.path.startswith("/v1beta/"):
            key = request.headers.get("x-goog-api-key")
            if key is None:
                return Reply(
                    403,
                    google_error(
                        403,
                        "PERMISSION_DENIED",
                        "Method doesn't allow unregistered callers (callers without established "
                        "identity). Please use API Key or other form of API consumer identity.",
                    ),
                )
            if key != self.api_key:
                return Reply(
                    400,
                    google_error(
                        400,
                        "INVALID_ARGUMENT",
                        "API key not valid. Please pass a valid API key.",
                        "API_KEY_INVALID",
                    ),
                )
        elif request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(
                401,
                google_error(
                    401,
                    "UNAUTHENTICATED",
                    "Request had invalid authentication credentials. Expected OAuth 2 access "
                    "token, login cookie or other valid authentication credential.",
                ),
            )
        return None

    def _invalid(self, body: Any, gemini: bool) -> Reply | None:
        def bad(message: str) -> Reply:
            return Reply(400, google_error(400, "INVALID_ARGUMENT", message))

        if not isinstance(body, dict) or not isinstance(body.get("instances"), list):
            return bad("Invalid JSON payload received: 'instances' is required.")
        unknown = sorted(set(body) - {"instances", "parameters"})
        if unknown:
            return bad(f'Invalid JSON payload received. Unknown name "{unknown[0]}": Cannot find '
                       "field.")  # fmt: skip
        if len(body["instances"]) != 1 or not isinstance(body["instances"][0], dict):
            return bad("Only one instance is supported.")
        instance = body["instances"][0]
        parameters = body.get("parameters") or {}
        if not isinstance(parameters, dict):
            return bad("Invalid JSON payload received: 'parameters' must be an object.")
        extra = sorted(set(instance) - INSTANCE_FIELDS) + sorted(set(parameters) - PARAMETERS)
        if extra:
            return bad(f"`{extra[0]}` isn't supported by this model.")
        if not isinstance(instance.get("prompt"), str) or not instance["prompt"]:
            return bad("A prompt is required.")
        if "negativePrompt" in parameters and not isinstance(parameters["negativePrompt"], str):
            return bad("Invalid value at 'parameters.negativePrompt', expected a string.")
        if parameters.get("sampleCount", 1) not in (1, 2, 3, 4):
            return bad("The number value for `sampleCount` is out of bound.")
        if parameters.get("personGeneration", "allow_all") not in PERSON_GENERATION:
            return bad("Unsupported personGeneration value.")
        image = instance.get("image")
        if image is not None:
            try:
                base64.b64decode(image["bytesBase64Encoded"], validate=True)
            except (KeyError, TypeError, ValueError):
                return bad("Image bytes are not valid base64.")
            if image.get("mimeType") not in ("image/png", "image/jpeg", "image/webp"):
                return bad(f"Unsupported image mime type {image.get('mimeType')!r}.")
        if parameters.get("durationSeconds") not in (4, 6, 8):
            return bad("The number value for `durationSeconds` is out of bound.")
        if parameters.get("aspectRatio") not in ("16:9", "9:16"):
            return bad("Unsupported aspect ratio.")
        if parameters.get("resolution", "720p") not in ("720p", "1080p"):
            return bad("Unsupported resolution.")
        for name in GEMINI_ONLY_REJECTS if gemini else ():
            if name in parameters:
                return bad(f"`{name}` isn't supported by this model.")
        for name in GEMINI_REJECTS_INSTANCE if gemini else ():
            if name in instance:
                return bad(f"`{name}` isn't supported by this model.")
        return None

    # ------------------------------------------------------------------ operations

    def gemini_create(self, request: Request) -> Reply:
        return self._create(request, "gemini")

    def vertex_create(self, request: Request) -> Reply:
        return self._create(request, "vertex")

    def _create(self, request: Request, api: str) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        body = _json(request)
        denied = self._invalid(body, api == "gemini")
        if denied:
            return denied
        job = self.new_job(f"op{len(self.jobs) + 1:04d}", {"api": api, **body})
        model = request.params["model"]
        if api == "gemini":
            return Reply(200, {"name": f"models/{model}/operations/{job.id}"})
        where = f"projects/{request.params['project']}/locations/{request.params['location']}"
        return Reply(200, {"name": f"{where}/publishers/google/models/{model}/operations/{job.id}"})

    def gemini_poll(self, request: Request) -> Reply:
        name = f"models/{request.params['model']}/operations/{request.params['id']}"
        return self._denied(request) or self._operation(request.params["id"], name)

    def vertex_poll(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        body = _json(request)
        name = body.get("operationName") if isinstance(body, dict) else None
        found = VERTEX_NAME.match(name) if isinstance(name, str) else None
        if found is None or found["model"] != request.params["model"]:
            return Reply(
                400, google_error(400, "INVALID_ARGUMENT", f"Invalid operationName {name!r}.")
            )
        return self._operation(found["id"], found[0])

    def _operation(self, job_id: str, name: str) -> Reply:
        job = self.jobs.get(job_id)
        if job is None:
            return Reply(404, google_error(404, "NOT_FOUND", f"Operation {name} not found."))
        return Reply(200, self._state(job, name))

    def _state(self, job: Job, name: str) -> dict[str, Any]:
        outcome = job.outcome
        if job.cancelled or (outcome.kind == "cancelled" and job.finished()):
            return {"name": name, "done": True, "error": {"code": 1, "message": "CANCELLED"}}
        if not job.finished():
            return {"name": name}  # proto3 JSON leaves out `done: false`
        if outcome.kind == "unknown_status":
            if outcome.code == "empty":
                return {"name": name, "done": True, "response": {}}
            return {"name": name, "done": "maybe"}
        if outcome.kind == "fail":
            status = {"code": int(outcome.code or 13), "message": outcome.message or INTERNAL}
            return {"name": name, "done": True, "error": status}
        gemini = job.body["api"] == "gemini"
        if outcome.kind == "moderated":
            found: dict[str, Any] = {
                "raiMediaFilteredCount": 1,
                "raiMediaFilteredReasons": [outcome.message or FILTERED],
            }
        elif gemini:
            uri = f"{self.base_url}/v1beta/files/{job.id}:download?alt=media"
            found = {"generatedSamples": [{"video": {"uri": uri}}]}
        else:
            found = {"videos": [self._vertex_video(job)]}
        if gemini:
            response = {
                "@type": "type.googleapis.com/google.ai.generativelanguage.v1beta."
                "PredictLongRunningResponse",
                "generateVideoResponse": found,
            }
        else:
            response = {
                "@type": "type.googleapis.com/cloud.ai.large_models.vision.GenerateVideoResponse",
                **found,
            }
        return {"name": name, "done": True, "response": response}

    def _vertex_video(self, job: Job) -> dict[str, Any]:
        prefix = job.body.get("parameters", {}).get("storageUri")
        if self.vertex_inline and not prefix:
            encoded = base64.b64encode(self.video).decode()
            return {"bytesBase64Encoded": encoded, "mimeType": "video/mp4"}
        bucket, _, folder = (prefix or f"gs://{BUCKET}").removeprefix("gs://").partition("/")
        key = "/".join(p for p in (folder.strip("/"), job.id, "sample_0.mp4") if p)
        with self.lock:
            self.objects[(bucket, key)] = job.id
        return {"gcsUri": f"gs://{bucket}/{key}", "mimeType": "video/mp4"}

    def cancel(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None:
            return Reply(404, google_error(404, "NOT_FOUND", "Operation not found."))
        job.cancelled = True
        return Reply(200, {})

    # ------------------------------------------------------------------ files

    def gemini_file(self, request: Request) -> Reply:
        denied = self._denied(request)
        if denied:
            return denied
        job = self.jobs.get(request.params["id"])
        if job is None or not job.finished():
            return Reply(404, google_error(404, "NOT_FOUND", "File not found."))
        return self.file_reply(job)

    def gcs_file(self, request: Request) -> Reply:
        if request.headers.get("authorization") != f"Bearer {self.api_key}":
            return _gcs_error(401, "AuthenticationRequired", "Authentication required.")
        with self.lock:
            job_id = self.objects.get((request.params["bucket"], request.params["object"]))
        if job_id is None:
            return _gcs_error(404, "NoSuchKey", "The specified key does not exist.")
        return self.file_reply(self.jobs[job_id])
