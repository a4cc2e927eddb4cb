"""A fake ``/v1/videos`` server: OpenAI's Videos API as the official SDKs see it, and as
strict as the real one, so an engine's test proves what the engine sends.

It refuses, in OpenAI's envelope ``{"error": {message, type, param, code}}`` and with
OpenAI's status: a missing or wrong key on every call (401); a create or remix body that is
neither JSON nor multipart/form-data, or does not parse (400); a missing or empty prompt, an
unknown field, a ``model``, ``size`` or ``seconds`` that is not a string or not on offer
(400); an ``input_reference`` that is not a JPEG, PNG or WebP of exactly ``size``, or an
object without exactly one of ``image_url`` and ``file_id`` (400); a remix or download of a
video that is not completed (400); and any unknown video id (404).

Edits, extensions and characters (``/v1/videos/edits``, ``/extensions``, ``/characters``)
follow the longform contract (shared/reference/openai-videos-longform.md): ``video`` is
``{"id"}`` (JSON, or a multipart ``video[id]`` part) of a completed video, or an uploaded MP4
(refused as ``unknown_parameter`` when ``video_uploads`` is off, as OpenAI refused accounts
not eligible for it); an extension's ``seconds`` is the new segment, one of 4-20, and a
chain holds at most 6 extensions and 120 s; its content is a video of the stitched total
length (an edit's, of the source's length), rendered like the clip every fake serves (the
animatic, 320x180).  A character is a
2-4 s MP4 with a name of 1-80 characters; a create takes at most 2 (JSON ``characters:
[{"id"}]`` or multipart ``characters[][id]`` parts), each known and named in the prompt.

``offer`` says which models, sizes and lengths are accepted: OpenAI's by default; a fake
that stands for another Reelway gets that Reelway's catalogue.
"""

from __future__ import annotations

import hashlib
import io
import json
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import multipart
from PIL import Image, UnidentifiedImageError

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from reelway.media import probe
from tests.fakes.server import FakeServer, Job, Refused, Reply, Request

VAGUE = "The server had an error processing your request."
PROMPT_LIMIT = 32000
IMAGE_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png", "WEBP": "image/webp"}
CREATE_FIELDS = ("prompt", "model", "size", "seconds", "input_reference", "characters")
EDIT_FIELDS = ("prompt", "video", "model")
EXTENSION_FIELDS = ("prompt", "video", "seconds")
CHARACTER_FIELDS = ("name", "video")
EXTENSION_SECONDS = ("4", "8", "12", "16", "20")
MAX_EXTENSIONS = 6
MAX_TOTAL_SECONDS = 120
MAX_CHARACTERS = 2
CHARACTER_NAME_LIMIT = 80
CHARACTER_CLIP_SECONDS = (2.0, 4.0)
CONTENT_SIZE = (320, 180)
"""The size of the videos the fake renders itself (edits, extensions), the clip's."""
REFERENCE_FIELDS = ("image_url", "file_id")
VARIANTS = ("video", "thumbnail", "spritesheet")


@dataclass(frozen=True)
class Offer:
    """What a ``/v1/videos`` server accepts in ``model``, ``size`` and ``seconds``."""

    models: tuple[str, ...]
    sizes: tuple[str, ...]
    seconds: tuple[str, ...]
    default_model: str
    default_size: str
    default_seconds: str
    extras: tuple[str, ...] = ()
    """Create fields beyond OpenAI's it takes (another Reelway: ``negative_prompt``, ``loop``);
    OpenAI itself refuses them as ``unknown_parameter``."""


OPENAI = Offer(
    models=(
        "sora-2",
        "sora-2-pro",
        "sora-2-2025-10-06",
        "sora-2-pro-2025-10-06",
        "sora-2-2025-12-08",
    ),
    sizes=("720x1280", "1280x720", "1024x1792", "1792x1024", "1920x1080", "1080x1920"),
    seconds=("4", "8", "12", "16", "20"),
    default_model="sora-2",
    default_size="720x1280",
    default_seconds="4",
)
"""OpenAI's: the SDK's enums plus the 16/20 s lengths and 1080p sizes of its guide."""


def openai_error(
    status: int,
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    kind: str = "invalid_request_error",
) -> Reply:
    """OpenAI's error envelope, with all four keys its spec requires."""
    error = {"message": message, "type": kind, "param": param, "code": code}
    return Reply(status, {"error": error})


def refuse(message: str, *, param: str | None = None, code: str | None = None) -> Refused:
    """A 400 ``invalid_request_error``, raised from a check."""
    return Refused(openai_error(400, message, param=param, code=code))


def authorize(request: Request, api_key: str) -> None:
    """OpenAI's 401s: no key at all, or a key it does not know."""
    given = request.headers.get("authorization", "")
    if not given.startswith("Bearer ") or not given[len("Bearer ") :].strip():
        raise Refused(
            openai_error(
                401,
                "You didn't provide an API key. You need to provide your API key in an "
                "Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY).",
            )
        )
    if given != f"Bearer {api_key}":
        raise Refused(openai_error(401, "Incorrect API key provided.", code="invalid_api_key"))


def json_body(request: Request) -> Any:
    """The request's JSON, or OpenAI's 400 for a body that does not parse."""
    try:
        return json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        raise refuse(
            "We could not parse the JSON body of your request. The OpenAI API expects a JSON "
            "payload, but what was sent was not valid JSON."
        ) from None


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body."""

    filename: str | None
    content_type: str
    data: bytes


def read_form(request: Request) -> dict[str, Any]:
    """A JSON object or a multipart/form-data body as one mapping; bracketed multipart names
    (``input_reference[image_url]``) become nested objects, as the SDKs encode them."""
    if request.media_type == "application/json":
        body = json_body(request)
        if not isinstance(body, dict):
            raise refuse(
                "Invalid type for the request body: expected an object.", code="invalid_type"
            )
        return body
    if request.media_type == "multipart/form-data":
        return _multipart(request)
    shown = request.headers.get("content-type", "")
    raise refuse(
        f"Unsupported content type: {shown!r}. This API method only accepts "
        "'application/json' and 'multipart/form-data' requests, but you specified the header "
        f"'Content-Type: {shown}'. Please try again with a supported content type."
    )


def _multipart(request: Request) -> dict[str, Any]:
    header = request.headers["content-type"]
    _, options = multipart.parse_options_header(header)  # type: ignore[no-untyped-call]
    boundary = options.get("boundary")
    if not boundary:
        raise refuse("Invalid multipart/form-data body: the Content-Type has no boundary.")
    fields: dict[str, Any] = {}
    try:
        stream = io.BytesIO(request.body)
        parser = multipart.MultipartParser(stream, boundary, strict=True)  # type: ignore[no-untyped-call]
        for part in parser:
            try:
                value: Any = (
                    part.value
                    if part.filename is None
                    else Upload(part.filename, part.content_type or "", part.raw)
                )
            finally:
                part.close()
            name, bracket, rest = part.name.partition("[")
            if bracket and rest.startswith("][") and rest.endswith("]"):
                # characters[][id]: a list of objects, a repeated key starting the next one
                items = fields.setdefault(name, [])
                key = rest[2:-1]
                if not isinstance(items, list):
                    raise refuse(f"Invalid value for {name!r}.", param=name, code="invalid_value")
                if not items or key in items[-1]:
                    items.append({})
                items[-1][key] = value
            elif bracket and rest.endswith("]"):
                nested = fields.setdefault(name, {})
                if not isinstance(nested, dict):
                    raise refuse(f"Invalid value for {name!r}.", param=name, code="invalid_value")
                nested[rest[:-1]] = value
            else:
                fields[part.name] = value
    except (multipart.MultipartError, UnicodeDecodeError) as exc:
        raise refuse(f"Invalid multipart/form-data body: {exc}") from None
    return fields


def check_fields(fields: dict[str, Any], allowed: tuple[str, ...], prefix: str = "") -> None:
    for name in fields:
        if name not in allowed:
            raise refuse(
                f"Unknown parameter: '{prefix}{name}'.",
                param=f"{prefix}{name}",
                code="unknown_parameter",
            )


def check_prompt(fields: dict[str, Any]) -> str:
    prompt = fields.get("prompt")
    if prompt is None:
        raise refuse(
            "Missing required parameter: 'prompt'.",
            param="prompt",
            code="missing_required_parameter",
        )
    if not isinstance(prompt, str):
        raise refuse(
            "Invalid type for 'prompt': expected a string.", param="prompt", code="invalid_type"
        )
    if not prompt:
        raise refuse(
            "Invalid 'prompt': empty string. Expected a string with minimum length 1.",
            param="prompt",
            code="empty_string",
        )
    if len(prompt) > PROMPT_LIMIT:
        raise refuse(
            f"Invalid 'prompt': string too long. Expected a string with maximum length "
            f"{PROMPT_LIMIT}, but got a string with length {len(prompt)} instead.",
            param="prompt",
            code="string_above_max_length",
        )
    return prompt


def _choice(fields: dict[str, Any], name: str, allowed: tuple[str, ...], default: str) -> str:
    value = fields.get(name, default)
    if not isinstance(value, str):
        raise refuse(
            f"Invalid type for '{name}': expected a string, but got {type(value).__name__}.",
            param=name,
            code="invalid_type",
        )
    if value not in allowed:
        shown = ", ".join(f"'{v}'" for v in allowed)
        raise refuse(
            f"Invalid value: '{value}'. Supported values are: {shown}.",
            param=name,
            code="invalid_value",
        )
    return value


def _reference(value: Any, size: str) -> dict[str, Any]:
    """What was sent as ``input_reference``, checked as OpenAI checks it."""
    if isinstance(value, Upload):
        try:
            with Image.open(io.BytesIO(value.data)) as image:
                found, (width, height) = image.format or "", image.size
        except (UnidentifiedImageError, OSError):
            found, width, height = "", 0, 0
        if found not in IMAGE_FORMATS:
            raise refuse(
                "Invalid file format for 'input_reference'. Supported formats are: 'jpeg', "
                "'png' and 'webp'.",
                param="input_reference",
                code="invalid_value",
            )
        if f"{width}x{height}" != size:
            raise refuse(
                f"Inpaint image must match the requested width and height ({size}); got "
                f"{width}x{height}.",
                param="input_reference",
                code="invalid_value",
            )
        return {
            "filename": value.filename,
            "content_type": value.content_type,
            "format": IMAGE_FORMATS[found],
            "size": f"{width}x{height}",
        }
    if not isinstance(value, dict):
        raise refuse(
            "Invalid type for 'input_reference': expected a file or an object.",
            param="input_reference",
            code="invalid_type",
        )
    check_fields(value, REFERENCE_FIELDS, "input_reference.")
    given = [name for name in REFERENCE_FIELDS if isinstance(value.get(name), str) and value[name]]
    if len(given) != 1:
        raise refuse(
            "Provide exactly one of 'input_reference.image_url' or 'input_reference.file_id'.",
            param="input_reference",
            code="invalid_value",
        )
    return dict(value)


def probe_upload(value: Any, param: str = "video") -> probe.MediaInfo:
    """An uploaded video's facts, or OpenAI's 400 for a part that is not a decodable MP4."""
    if not isinstance(value, Upload):
        raise refuse(
            f"Invalid type for '{param}': expected a file or an object with an 'id'.",
            param=param,
            code="invalid_type",
        )
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "upload.mp4"
        path.write_bytes(value.data)
        try:
            return probe.probe(path)
        except Exception:  # anything that does not decode is refused
            raise refuse(
                f"Invalid file for '{param}': expected a decodable MP4 video.",
                param=param,
                code="invalid_value",
            ) from None


def render_video(seconds: int, prompt: str) -> bytes:
    """A real MP4 of ``seconds``, made as the clip every fake serves is made (the animatic)."""
    width, height = CONTENT_SIZE
    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        output = base.RenderOutput(where / "v.mp4", where / "t.webp", where / "s.jpg")
        request = base.GenerationRequest("video_fake", "fake", prompt, width, height, seconds, 1)
        AnimaticEngine(fps=8).render(request, output, lambda _: None)
        return output.video.read_bytes()


@dataclass(frozen=True)
class Character:
    id: str
    name: str
    created_at: int
    clip_sha256: str

    def resource(self) -> dict[str, Any]:
        return {"id": self.id, "name": self.name, "created_at": self.created_at}


class FakeOpenAI(FakeServer):
    provider = "openai"

    def __init__(self, video: bytes, api_key: str, offer: Offer = OPENAI) -> None:
        super().__init__(video)
        self.api_key = api_key
        self.offer = offer
        self.thumbnail = b"RIFF\x00\x00\x00\x00WEBPfake-thumbnail"
        self.spritesheet = b"\xff\xd8\xff\xe0fake-spritesheet"
        self.video_uploads = True
        """Whether an edit or extension may upload its source video (OpenAI refused accounts
        not eligible for it with ``unknown_parameter`` ``video``)."""
        self.characters: dict[str, Character] = {}
        self.contents: dict[str, bytes] = {}
        """Jobs whose video is not the shared clip (an edit, an extension's whole)."""
        self.rendering: dict[str, threading.Thread] = {}
        self.route("POST", "/v1/videos/edits", "create", self.edit)
        self.route("POST", "/v1/videos/extensions", "create", self.extend)
        self.route("POST", "/v1/videos/characters", "character", self.create_character)
        self.route(
            "GET", "/v1/videos/characters/(?P<id>[^/]+)", "character_get", self.get_character
        )
        self.route("POST", "/v1/videos", "create", self.create)
        self.route("POST", "/v1/videos/(?P<id>[^/]+)/remix", "create", self.remix)
        self.route("GET", "/v1/videos/(?P<id>[^/]+)", "poll", self.retrieve)
        self.route("GET", "/v1/videos/(?P<id>[^/]+)/content", "download", self.content)
        self.route("DELETE", "/v1/videos/(?P<id>[^/]+)", "cancel", self.delete)
        self.start()

    @property
    def v1(self) -> str:
        return self.base_url + "/v1"

    def unrouted(self, request: Request) -> Reply:
        return openai_error(404, f"Invalid URL ({request.method} {request.path})")

    # ------------------------------------------------------------------ routes

    def create(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        fields = read_form(request)
        offer = self.offer
        check_fields(fields, CREATE_FIELDS + offer.extras)
        body: dict[str, Any] = {
            "prompt": check_prompt(fields),
            "model": _choice(fields, "model", offer.models, offer.default_model),
            "size": _choice(fields, "size", offer.sizes, offer.default_size),
            "seconds": _choice(fields, "seconds", offer.seconds, offer.default_seconds),
            "encoding": request.media_type,
        }
        if "input_reference" in fields:
            body["input_reference"] = _reference(fields["input_reference"], body["size"])
        if "characters" in fields:
            body["characters"] = self._characters_of(fields["characters"], body["prompt"])
        if "negative_prompt" in fields:
            if not isinstance(fields["negative_prompt"], str):
                raise refuse("negative_prompt must be a string.", param="negative_prompt")
            body["negative_prompt"] = fields["negative_prompt"]
        if "loop" in fields:
            if fields["loop"] not in (True, False, "true", "false"):
                raise refuse("loop must be true or false.", param="loop")
            body["loop"] = fields["loop"] in (True, "true")
        job = self.new_job(f"video_{len(self.jobs) + 1:04d}", body)
        return Reply(200, self._video(job))

    def edit(self, request: Request) -> Reply:
        """A new video with the source's structure, size and length, changed by the prompt."""
        authorize(request, self.api_key)
        fields = read_form(request)
        check_fields(fields, EDIT_FIELDS)
        prompt = check_prompt(fields)
        source = self._source(fields, "edit it")
        model = source.get("model") or _choice(
            fields, "model", self.offer.models, self.offer.default_model
        )
        body = {
            "prompt": prompt,
            "model": model,
            "size": source["size"],
            "seconds": source["seconds"],
            "edit_of": source["id"],
            "encoding": request.media_type,
        }
        job = self.new_job(f"video_{len(self.jobs) + 1:04d}", body)
        self._render_content(job.id, int(source["seconds"]), prompt)
        return Reply(200, self._video(job))

    def extend(self, request: Request) -> Reply:
        """The source continued by ``seconds``: a new video of the stitched total length."""
        authorize(request, self.api_key)
        fields = read_form(request)
        check_fields(fields, EXTENSION_FIELDS)
        prompt = check_prompt(fields)
        if "seconds" not in fields:
            raise refuse(
                "Missing required parameter: 'seconds'.",
                param="seconds",
                code="missing_required_parameter",
            )
        segment = _choice(fields, "seconds", EXTENSION_SECONDS, "")
        source = self._source(fields, "extend it")
        extensions = int(source.get("extensions", 0)) + 1
        if extensions > MAX_EXTENSIONS:
            raise refuse(
                f"A video can be extended at most {MAX_EXTENSIONS} times.",
                param="video",
                code="invalid_value",
            )
        total = int(source["seconds"]) + int(segment)
        if total > MAX_TOTAL_SECONDS:
            raise refuse(
                f"An extended video can be at most {MAX_TOTAL_SECONDS} seconds long; this one "
                f"would be {total}.",
                param="seconds",
                code="invalid_value",
            )
        body = {
            "prompt": prompt,
            "model": source.get("model") or self.offer.default_model,
            "size": source["size"],
            "seconds": str(total),
            "extension_of": source["id"],
            "extensions": extensions,
            "segment": segment,
            "encoding": request.media_type,
        }
        job = self.new_job(f"video_{len(self.jobs) + 1:04d}", body)
        self._render_content(job.id, total, prompt)
        return Reply(200, self._video(job))

    def create_character(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        if request.media_type != "multipart/form-data":
            shown = request.headers.get("content-type", "")
            raise refuse(
                f"Unsupported content type: {shown!r}. This API method only accepts "
                "'multipart/form-data' requests.",
            )
        fields = read_form(request)
        check_fields(fields, CHARACTER_FIELDS)
        name = fields.get("name")
        if not isinstance(name, str) or not 1 <= len(name) <= CHARACTER_NAME_LIMIT:
            raise refuse(
                f"Invalid 'name': expected a string of 1 to {CHARACTER_NAME_LIMIT} characters.",
                param="name",
                code="invalid_value" if isinstance(name, str) else "missing_required_parameter",
            )
        if "video" not in fields:
            raise refuse(
                "Missing required parameter: 'video'.",
                param="video",
                code="missing_required_parameter",
            )
        clip = probe_upload(fields["video"])
        shortest, longest = CHARACTER_CLIP_SECONDS
        if not shortest - 0.05 <= clip.duration <= longest + 0.05:
            raise refuse(
                f"A character video must be {shortest:g} to {longest:g} seconds long; this one "
                f"is {clip.duration:.1f}.",
                param="video",
                code="invalid_value",
            )
        with self.lock:
            character = Character(
                id=f"char_{len(self.characters) + 1:04d}",
                name=name,
                created_at=int(time.time()),
                clip_sha256=hashlib.sha256(fields["video"].data).hexdigest(),
            )
            self.characters[character.id] = character
        return Reply(200, character.resource())

    def get_character(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        character = self.characters.get(request.params["id"])
        if character is None:
            raise Refused(
                openai_error(404, f"Character with id '{request.params['id']}' not found.")
            )
        return Reply(200, character.resource())

    def remix(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        source = self._find(request.params["id"])
        fields = read_form(request)
        check_fields(fields, ("prompt",))
        prompt = check_prompt(fields)
        self._require_completed(source, "remix it")
        body = {**source.body, "prompt": prompt, "remix_of": source.id}
        body.pop("input_reference", None)
        body["encoding"] = request.media_type
        job = self.new_job(f"video_{len(self.jobs) + 1:04d}", body)
        return Reply(200, self._video(job))

    def retrieve(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        job = self._find(request.params["id"])
        return Reply(200, self._video(job), headers={"openai-poll-after-ms": "50"})

    def content(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        job = self._find(request.params["id"])
        variant = request.query.get("variant", "video")
        if variant not in VARIANTS:
            shown = ", ".join(f"'{v}'" for v in VARIANTS)
            raise refuse(
                f"Invalid value: '{variant}'. Supported values are: {shown}.",
                param="variant",
                code="invalid_value",
            )
        self._require_completed(job, "download it")
        if job.outcome.kind == "expired_url":
            return openai_error(404, "Video content has expired.")
        if variant == "thumbnail":
            return Reply(200, self.thumbnail, content_type="image/webp")
        if variant == "spritesheet":
            return Reply(200, self.spritesheet, content_type="image/jpeg")
        return self.file_reply(job)

    def delete(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        job = self._find(request.params["id"])
        job.cancelled = job.deleted = True
        return Reply(200, {"id": job.id, "object": "video.deleted", "deleted": True})

    # ------------------------------------------------------------------ helpers

    def _find(self, video_id: str) -> Job:
        job = self.jobs.get(video_id)
        if job is None or job.deleted:
            raise Refused(openai_error(404, f"Video with id '{video_id}' not found."))
        return job

    def _require_completed(self, job: Job, purpose: str, param: str = "video_id") -> None:
        status = self._video(job)["status"]
        if status != "completed":
            raise refuse(
                f"Video {job.id} is {status}; wait until its status is 'completed' to {purpose}.",
                param=param,
                code="video_not_ready",
            )

    def _source(self, fields: dict[str, Any], purpose: str) -> dict[str, Any]:
        """What an edit or extension starts from: a completed video by id, or an upload
        (its size and length read from the file)."""
        if "video" not in fields:
            raise refuse(
                "Missing required parameter: 'video'.",
                param="video",
                code="missing_required_parameter",
            )
        value = fields["video"]
        if isinstance(value, dict):
            check_fields(value, ("id",), "video.")
            video_id = value.get("id")
            if not isinstance(video_id, str) or not video_id:
                raise refuse(
                    "Missing required parameter: 'video.id'.",
                    param="video.id",
                    code="missing_required_parameter",
                )
            job = self._find(video_id)
            self._require_completed(job, purpose, "video")
            return {**job.body, "id": job.id}
        if isinstance(value, Upload) and not self.video_uploads:
            raise refuse("Unknown parameter: 'video'.", param="video", code="unknown_parameter")
        found = probe_upload(value)
        return {
            "id": "upload",
            "model": None,
            "size": f"{found.width}x{found.height}",
            "seconds": str(max(1, round(found.duration))),
        }

    def _characters_of(self, value: Any, prompt: str) -> list[str]:
        """A create's ``characters``: at most 2 known ids, each named in the prompt."""
        if not isinstance(value, list) or not all(isinstance(c, dict) for c in value):
            raise refuse(
                "Invalid type for 'characters': expected an array of objects.",
                param="characters",
                code="invalid_type",
            )
        if len(value) > MAX_CHARACTERS:
            raise refuse(
                f"Invalid 'characters': array too long. Expected an array with maximum length "
                f"{MAX_CHARACTERS}, but got an array with length {len(value)} instead.",
                param="characters",
                code="array_above_max_length",
            )
        found: list[str] = []
        for item in value:
            check_fields(item, ("id",), "characters[].")
            character = self.characters.get(str(item.get("id")))
            if character is None:
                raise refuse(
                    f"Character with id '{item.get('id')}' not found.",
                    param="characters",
                    code="invalid_value",
                )
            if character.name not in prompt:
                raise refuse(
                    f"The prompt must name the character {character.name!r} to use it.",
                    param="characters",
                    code="invalid_value",
                )
            found.append(character.id)
        return found

    def _render_content(self, job_id: str, seconds: int, prompt: str) -> None:
        """Render a job's own video on a thread; the job stays in progress until it is done."""

        def work() -> None:
            try:
                made = render_video(seconds, prompt)
            except Exception:  # a failed render fails the job
                made = b""
            with self.lock:
                self.contents[job_id] = made

        thread = threading.Thread(target=work, daemon=True)
        with self.lock:
            self.rendering[job_id] = thread
        thread.start()

    def file_reply(self, job: Job) -> Reply:
        reply = super().file_reply(job)
        own = self.contents.get(job.id)
        if reply.status == 200 and own is not None:
            return Reply(200, own, content_type="video/mp4")
        return reply

    def _video(self, job: Job) -> dict[str, Any]:
        status = "queued"
        error: dict[str, str | None] | None = None
        fraction = job.elapsed_fraction()
        kind = job.outcome.kind
        if job.cancelled:
            status, error = "failed", {"code": "cancelled", "message": "Cancelled"}
        elif kind == "never" or fraction < 1.0:
            status = "in_progress" if fraction > 0.2 else "queued"
        elif job.id in self.rendering and job.id not in self.contents:
            status = "in_progress"
        elif self.contents.get(job.id) == b"":
            status, error = "failed", {"code": "internal_error", "message": VAGUE}
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
        body = job.body
        return {
            "id": job.id,
            "object": "video",
            "status": status,
            "progress": int(100 * fraction) if status != "completed" else 100,
            "created_at": int(time.time()),
            "completed_at": None,
            "expires_at": None,
            "model": body["model"],
            "prompt": body["prompt"],
            "seconds": body["seconds"],
            "size": body["size"],
            "remixed_from_video_id": body.get("remix_of"),
            "error": error,
        }
