"""Google Veo, through the Gemini API or through Vertex AI.

Both speak the same long-running-operation protocol and differ only in endpoints and
credentials (an ``x-goog-api-key`` or a bearer token), in how an operation is polled
(``GET {name}`` or ``POST …:fetchPredictOperation``) and in where the video ends up (a file
URI that needs the key; inline base64 or a ``gs://`` object).  A finished operation carries
an ``error`` (a google.rpc.Status, mapped by its code below), a video, or, when Veo's safety
filters removed every output, only ``raiMediaFilteredCount``: that is moderation, not success.

Only creates are sent (text, or an image as the first frame).  Veo's own extension is not
used: the reference API (google-genai 1.40.0) does not document a ``video`` instance, and
Veo 3.1 documents it only for videos Veo made, 720p, in fixed 7-second steps, where Reelway
extends any video by the seconds asked.  Extensions therefore reach Veo as an image-to-video
create from the source's last frame, stitched on by the worker; edits and characters go to
other engines on the route.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import re
from collections.abc import AsyncIterator, Mapping, Sequence
from typing import Any, ClassVar
from urllib.parse import quote, urlsplit

import httpx

from reelway import catalog, errors, images, jobs
from reelway.engines import base
from reelway.engines.http import (
    DOWNLOAD_CHUNK,
    LOST_WHILE_POLLING,
    MESSAGE_LIMIT,
    ProviderClient,
    ProviderFault,
    default_error_parser,
    lost_job,
)

GEMINI_URL = "https://generativelanguage.googleapis.com/v1beta"
VERTEX_URL = "https://{location}-aiplatform.googleapis.com/v1"
STORAGE_URL = "https://storage.googleapis.com"
GEMINI_FILES_HOST = "generativelanguage.googleapis.com"
PROVIDERS = {"gemini": "Google Veo (Gemini API)", "vertex": "Google Veo (Vertex AI)"}
OPERATION_NAME = re.compile(r"^[A-Za-z0-9_.\-/]+$")
VERTEX_OPERATION = re.compile(
    r"^projects/(?P<project>[^/]+)/locations/(?P<location>[^/]+)/publishers/google/"
    r"models/(?P<model>[^/]+)/operations/(?P<id>[^/]+)$"
)

RPC_NAMES = (
    "OK", "CANCELLED", "UNKNOWN", "INVALID_ARGUMENT", "DEADLINE_EXCEEDED", "NOT_FOUND",
    "ALREADY_EXISTS", "PERMISSION_DENIED", "RESOURCE_EXHAUSTED", "FAILED_PRECONDITION",
    "ABORTED", "OUT_OF_RANGE", "UNIMPLEMENTED", "INTERNAL", "UNAVAILABLE", "DATA_LOSS",
    "UNAUTHENTICATED",
)  # fmt: skip
"""google.rpc.Code by number: an operation's ``error`` has the number, not the name."""

# A finished operation's error (google.rpc.Status) -> the Reelway error it becomes.  Codes not
# listed (and none at all) are RULES["other_code"].
RPC_FAILURES: Mapping[str, type[errors.UpstreamError]] = {
    "INVALID_ARGUMENT": errors.UpstreamInvalidRequest,
    "FAILED_PRECONDITION": errors.UpstreamInvalidRequest,
    "OUT_OF_RANGE": errors.UpstreamInvalidRequest,
    "PERMISSION_DENIED": errors.UpstreamAuthFailed,
    "UNAUTHENTICATED": errors.UpstreamAuthFailed,
    "RESOURCE_EXHAUSTED": errors.UpstreamRateLimited,
    "UNAVAILABLE": errors.UpstreamUnavailable,
    "DEADLINE_EXCEEDED": errors.UpstreamTimeout,
    "INTERNAL": errors.UpstreamGenerationFailed,
    "UNKNOWN": errors.UpstreamGenerationFailed,
    "CANCELLED": errors.UpstreamCancelled,
}

# Everything else Veo may answer that is not an HTTP status, by rule.
RULES: Mapping[str, tuple[str, type[errors.UpstreamError]]] = {
    "other_code": (
        "operation `error.code` anything else, or none",
        errors.UpstreamGenerationFailed,
    ),
    "filtered": (
        "`done: true`, no video and `raiMediaFilteredCount` > 0 (Veo's safety filters removed "
        "the output)",
        errors.UpstreamModerationBlocked,
    ),
    "empty": ("`done: true` with neither `error` nor a video", errors.UpstreamProtocolError),
    "done": ("`done` other than true, false or absent", errors.UpstreamProtocolError),
    "bad_key": (
        "HTTP 400 with ErrorInfo reason API_KEY_INVALID or API_KEY_EXPIRED (a bad Gemini key)",
        errors.UpstreamAuthFailed,
    ),
    "gone": ("HTTP 404 while polling (Google lost the operation)", LOST_WHILE_POLLING),
}
UNSERVED: Mapping[jobs.JobKind, str] = {
    jobs.JobKind.EDIT: "edits",
    jobs.JobKind.EXTEND: "native extensions",
}
KEY_REASONS = frozenset({"API_KEY_INVALID", "API_KEY_EXPIRED"})

ADVICE: Mapping[type[errors.UpstreamError], str] = {
    errors.UpstreamInvalidRequest: "Veo refused the request itself; change the prompt or image.",
    errors.UpstreamAuthFailed: "The operator's Google credentials or project need attention.",
    errors.UpstreamRateLimited: "The Google project's quota was reached.",
    errors.UpstreamUnavailable: "Veo is unavailable; another engine on the route may take over.",
    errors.UpstreamTimeout: "Veo ran out of time; another engine on the route may take over.",
    errors.UpstreamCancelled: "Someone other than this server cancelled the operation at Google.",
    errors.UpstreamGenerationFailed: "Veo failed while generating; a retry may succeed.",
}


def google_error(body: Any) -> ProviderFault:
    """Google's envelope ``{"error": {"code": 400, "message", "status", "details"}}`` (at times
    in a one-item list).  ``status`` is the code, since ``code`` only repeats the HTTP status;
    an ErrorInfo ``reason`` follows after a slash, because a bad Gemini key is a plain 400
    ``INVALID_ARGUMENT`` that only its reason tells apart."""
    if isinstance(body, list) and len(body) == 1:
        body = body[0]
    error = body.get("error") if isinstance(body, dict) else None
    if not isinstance(error, dict):
        return default_error_parser(body)
    code = error.get("status") or error.get("code")
    details = error.get("details")
    reasons = [
        d["reason"]
        for d in (details if isinstance(details, list) else [])
        if isinstance(d, dict) and isinstance(d.get("reason"), str)
    ]
    if code is not None and reasons:
        code = f"{code}/{reasons[0]}"
    message = error.get("message")
    return ProviderFault(
        code=str(code) if code is not None else None,
        message=str(message) if message is not None else None,
    )


class VeoEngine:
    """Options: ``api`` ("gemini" or "vertex"), ``model``, ``api_key`` (Gemini), ``access_token``,
    ``project`` and ``location`` (Vertex), ``base_url``, ``storage_base_url`` (where ``gs://``
    results are downloaded from), ``storage_uri`` (Vertex: write results under this ``gs://``
    prefix instead of inline), ``person_generation``, ``generate_audio`` (Vertex),
    ``durations`` (the lengths the model makes), ``timeout`` (seconds per HTTP call)."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.REMOTE

    def __init__(
        self,
        api: str = "gemini",
        *,
        model: str = "veo-3.1-generate-preview",
        api_key: str | None = None,
        access_token: str | None = None,
        project: str | None = None,
        location: str = "us-central1",
        base_url: str | None = None,
        storage_base_url: str = STORAGE_URL,
        storage_uri: str | None = None,
        name: str = "veo",
        timeout: float = 60.0,
        person_generation: str | None = None,
        generate_audio: bool = True,
        durations: Sequence[int] = (4, 6, 8),
    ) -> None:
        if api not in PROVIDERS:
            raise ValueError(f"veo engine {name!r}: api must be 'gemini' or 'vertex', not {api!r}")
        if api == "gemini" and not api_key:
            raise ValueError(
                f"veo engine {name!r}: the Gemini API needs api_key (create one in Google AI "
                "Studio), or set api = 'vertex'"
            )
        if api == "vertex" and not (access_token and project):
            raise ValueError(
                f"veo engine {name!r}: Vertex AI needs access_token (an OAuth token, e.g. from "
                "'gcloud auth print-access-token') and project"
            )
        if not durations or any(not isinstance(s, int) or s <= 0 for s in durations):
            raise ValueError(f"veo engine {name!r}: durations must be positive whole seconds")
        self.name = name
        self.api = api
        self.model = model
        self.project = project or ""
        self.location = location
        self.storage_base_url = storage_base_url.rstrip("/")
        self.storage_uri = storage_uri
        self.person_generation = person_generation
        self.generate_audio = generate_audio
        self.durations = tuple(sorted(set(durations)))
        if api == "gemini":
            self.auth = {"x-goog-api-key": api_key or ""}
            url = base_url or GEMINI_URL
            self.key_hosts = {urlsplit(url).netloc, GEMINI_FILES_HOST}
        else:
            self.auth = {"Authorization": f"Bearer {access_token}"}
            url = base_url or VERTEX_URL.format(location=location)
            self.key_hosts = {urlsplit(url).netloc}
        self.client = ProviderClient(
            name,
            PROVIDERS[api],
            url,
            timeout=timeout,
            secrets=[api_key or "", access_token or ""],
            error_parser=google_error,
        )
        abilities = {catalog.Capability.IMAGE_INPUT, catalog.Capability.NEGATIVE_PROMPT}
        if not model.startswith("veo-2") and (api == "gemini" or generate_audio):
            abilities.add(catalog.Capability.AUDIO)  # Veo 3 speaks, unless Vertex is told not to
        # Sizes stay open (None): Veo takes any 16:9 or 9:16 frame up to 1080p and says so
        # per request (engine_cannot_serve); a list would refuse sizes it makes today.
        self._info = base.EngineInfo(
            name=name,
            kind=self.KIND,
            capabilities=frozenset(abilities),
            cancel=True,
            seconds=frozenset(self.durations),
        )

    @property
    def info(self) -> base.EngineInfo:
        return self._info

    @property
    def provider(self) -> str:
        return self.client.provider

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        parameters = self._parameters(request)
        instance: dict[str, Any] = {"prompt": request.prompt}
        if request.input_image is not None:
            image = request.input_image
            data = await asyncio.to_thread(image.read_bytes)
            instance["image"] = {
                "bytesBase64Encoded": base64.b64encode(data).decode("ascii"),
                "mimeType": images.content_type(data, image.name),
            }
        body = {"instances": [instance], "parameters": parameters}
        path = f"{self._model_path(self.project, self.location, self.model)}:predictLongRunning"
        response = await self._send("POST", path, "create", body)
        answer = self.client.parse_json(response, "create")
        name = answer.get("name") if isinstance(answer, dict) else None
        if not _usable_name(name):
            raise self.client.protocol_error("create (no usable operation 'name')", answer)
        return {"name": name, "api": self.api}

    async def poll(self, operation: base.Operation) -> base.PollResult:
        name = self._name(operation)
        if self.api == "vertex":
            found = VERTEX_OPERATION.match(name)
            where = found.groupdict() if found else {}
            path = self._model_path(
                where.get("project", self.project),
                where.get("location", self.location),
                where.get("model", self.model),
            )
            response = await self._send(
                "POST", f"{path}:fetchPredictOperation", "status check", {"operationName": name}
            )
        else:
            response = await self._send("GET", name, "status check")
        body = self.client.parse_json(response, "status check")
        if not isinstance(body, dict):
            raise self._broken("done", "status check", body, name)
        done = body.get("done", False)
        if done is False:
            return base.Pending(progress=_progress(body.get("metadata")))
        if done is not True:
            raise self._broken("done", f"status check (`done` is {errors.show(done)})", body, name)
        if body.get("error") is not None:
            return base.Failed(self._rpc_failure(body["error"], name))
        return self._finished(body.get("response"), name)

    async def fetch(
        self, operation: base.Operation, result: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        inline = result.get("video_base64")
        if isinstance(inline, str):
            try:
                data = await asyncio.to_thread(base64.b64decode, inline, validate=True)
            except (binascii.Error, ValueError):
                raise self.client.protocol_error(
                    "status check (its inline video is not valid base64)"
                ) from None
            for start in range(0, len(data), DOWNLOAD_CHUNK):
                yield data[start : start + DOWNLOAD_CHUNK]
            return
        url, headers = self._download_target(result)
        try:
            async for chunk in self.client.download(url, headers=headers):
                yield chunk
        except errors.UpstreamInvalidRequest as exc:
            raise self._reclassify(exc, "download") from None

    async def cancel(self, operation: base.Operation) -> None:
        name = self._name(operation)
        found = VERTEX_OPERATION.match(name) if self.api == "vertex" else None
        if found:  # Vertex cancels through the location's operations collection
            path = f"projects/{found['project']}/locations/{found['location']}/operations/"
            name = path + found["id"]
        await self._send("POST", f"{name}:cancel", "cancel", {})

    async def close(self) -> None:
        await self.client.close()

    # ------------------------------------------------------------------ requests

    def _parameters(self, request: base.GenerationRequest) -> dict[str, Any]:
        """Veo's parameters, or ``EngineCannotServe`` (before any call) for what it cannot make."""
        if request.kind in (jobs.JobKind.EDIT, jobs.JobKind.EXTEND) or request.characters:
            # Not declared in info, so a route never sends them; were one to arrive, a plain
            # generation would silently drop the source or the characters.  Extensions reach
            # Veo as a GENERATE from the source's last frame (worker/sources.py).
            what = "characters" if request.characters else UNSERVED[request.kind]
            raise self._cannot(f"{self.provider} is not used for {what} (see docs/engines.md).")
        if request.sources.loop:  # not declared in info, so a route never sends it
            raise self._cannot(f"{self.provider} does not make loops.")
        if request.seconds not in self.durations:
            allowed = ", ".join(map(str, self.durations[:-1])) + f" or {self.durations[-1]}"
            raise self._cannot(
                f"{self.provider} makes videos of {allowed} seconds, not {request.seconds}."
            )
        width, height = request.width, request.height
        if width * 9 == height * 16:
            aspect = "16:9"
        elif width * 16 == height * 9:
            aspect = "9:16"
        else:
            raise self._cannot(
                f"{self.provider} makes 16:9 or 9:16 videos (1280x720, 720x1280, 1920x1080, "
                f"1080x1920), not {width}x{height}."
            )
        if min(width, height) > 1080:
            raise self._cannot(f"{self.provider} makes 720p or 1080p videos, not {width}x{height}.")
        parameters: dict[str, Any] = {
            "sampleCount": 1,
            "durationSeconds": request.seconds,
            "aspectRatio": aspect,
            "resolution": "720p" if min(width, height) <= 720 else "1080p",
        }
        if request.sources.negative_prompt is not None:
            parameters["negativePrompt"] = request.sources.negative_prompt
        if self.person_generation:
            parameters["personGeneration"] = self.person_generation
        if self.api == "vertex":  # the Gemini API rejects these
            parameters["seed"] = request.seed
            parameters["generateAudio"] = self.generate_audio
            if self.storage_uri:
                parameters["storageUri"] = self.storage_uri
        return parameters

    def _cannot(self, said: str) -> errors.EngineCannotServe:
        return errors.EngineCannotServe(
            f"{said} Another engine on the route may serve the request.", upstream=self._detail()
        )

    def _model_path(self, project: str, location: str, model: str) -> str:
        if self.api == "gemini":
            return f"models/{model}"
        return f"projects/{project}/locations/{location}/publishers/google/models/{model}"

    def _name(self, operation: base.Operation) -> str:
        name = operation.get("name")
        if not _usable_name(name):
            raise self.client.protocol_error("stored operation (no usable 'name')", operation)
        return str(name)

    async def _send(self, method: str, path: str, what: str, body: Any = None) -> httpx.Response:
        try:
            return await self.client.send(
                method, path, json_body=body, headers=self.auth, what=what
            )
        except errors.UpstreamInvalidRequest as exc:
            raise self._reclassify(exc, what) from None

    def _download_target(self, result: dict[str, Any]) -> tuple[str, dict[str, str]]:
        """The URL and headers for a result; the credentials go to Google's hosts only."""
        gcs = result.get("gcs_uri")
        if isinstance(gcs, str):
            bucket, _, key = gcs.removeprefix("gs://").partition("/")
            return f"{self.storage_base_url}/{quote(bucket)}/{quote(key, safe='/')}", self.auth
        uri = result.get("uri")
        if not isinstance(uri, str):
            raise self.client.protocol_error("status check (its result names no video)", result)
        return uri, self.auth if urlsplit(uri).netloc in self.key_hosts else {}

    # ------------------------------------------------------------------ answers

    def _finished(self, response: Any, name: str) -> base.PollResult:
        """A done operation without an error: a video, or filtered outputs, or nonsense."""
        holder = response if isinstance(response, dict) else {}
        nested = holder.get("generateVideoResponse")  # the Gemini API nests one level deeper
        if isinstance(nested, dict):
            holder = nested
        samples = [s.get("video") for s in _list(holder.get("generatedSamples"))]
        for sample in [*samples, *_list(holder.get("videos"))]:
            result = _result_of(sample)
            if result is not None:
                return base.Succeeded(result)
        filtered = holder.get("raiMediaFilteredCount")
        if isinstance(filtered, int) and filtered > 0:
            return base.Failed(self._filtered(holder, filtered, name))
        raise self._broken(
            "empty", "status check (done, but no video and no error)", response, name
        )

    def _rpc_failure(self, status: Any, name: str) -> errors.UpstreamError:
        error = status if isinstance(status, dict) else {}
        code = error.get("code")
        label = error.get("status")
        if not isinstance(label, str):
            if isinstance(code, int) and not isinstance(code, bool) and 0 <= code < len(RPC_NAMES):
                label = RPC_NAMES[code]
            else:
                label = str(code) if code is not None else None
        kind = RPC_FAILURES.get(label or "", RULES["other_code"][1])
        said = self.client.redact(str(error.get("message") or "no reason given"))[:MESSAGE_LIMIT]
        stop = "" if said.endswith((".", "!", "?")) else "."
        return kind(
            f"{self.provider} failed the video ({label or 'no code'}): {said}{stop} "
            + ADVICE.get(kind, ""),
            upstream={
                **self._detail(),
                "provider_code": label,
                "rpc_code": code,
                "provider_message": said,
                "operation": name,
            },
        )

    def _filtered(self, holder: dict[str, Any], count: int, name: str) -> errors.UpstreamError:
        found = _list(holder.get("raiMediaFilteredReasons"))[:5]
        reasons = [self.client.redact(str(reason))[:MESSAGE_LIMIT] for reason in found]
        said = "; ".join(reasons)[:MESSAGE_LIMIT] or "no reason given"
        return RULES["filtered"][1](
            f"Veo's safety filters removed the generated video ({said}). Change "
            "the prompt or the input image; another provider would likely refuse it too.",
            upstream={
                **self._detail(),
                "provider_code": "RAI_MEDIA_FILTERED",
                "provider_message": said,
                "rai_media_filtered_count": count,
                "rai_media_filtered_reasons": reasons,
                "operation": name,
            },
        )

    def _reclassify(self, exc: errors.UpstreamInvalidRequest, what: str) -> errors.UpstreamError:
        """Two 4xx answers that are not the request's fault: Gemini answers a bad key with a
        400, and a 404 while polling means Google lost the operation."""
        code = str(exc.upstream.get("provider_code") or "")
        if code.rpartition("/")[2] in KEY_REASONS:
            return RULES["bad_key"][1](
                f"{self.provider} refused the operator's API key ({code}) for the {what}; set a "
                f"valid Gemini API key for the {self.name!r} engine.",
                upstream=exc.upstream,
            )
        if what == "status check":
            return lost_job(
                exc,
                f"{self.provider} no longer knows the operation (HTTP 404); the video has to be "
                "made again.",
            )
        return exc

    def _broken(self, rule: str, what: str, body: Any, name: str) -> errors.UpstreamError:
        shown = self.client.redact(json.dumps(body, default=str)[:200])
        return RULES[rule][1](
            f"{self.provider} answered the {what} with something unexpected: {shown}",
            upstream={**self._detail(), "operation": name},
        )

    def _detail(self) -> dict[str, Any]:
        return {"engine": self.name, "provider": self.provider, "api": self.api}


def _usable_name(name: Any) -> bool:
    """An operation name is used as a URL path, so it must be one (no ``..``, no scheme)."""
    return isinstance(name, str) and bool(OPERATION_NAME.match(name)) and ".." not in name


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _result_of(sample: Any) -> dict[str, Any] | None:
    """What ``fetch`` needs for one video: a file URI, a ``gs://`` object, or inline base64."""
    if not isinstance(sample, dict):
        return None
    uri, gcs = sample.get("uri"), sample.get("gcsUri")
    inline = sample.get("bytesBase64Encoded") or sample.get("encodedVideo")
    if isinstance(uri, str) and uri.startswith(("https://", "http://")):
        return {"uri": uri}
    if isinstance(gcs, str) and gcs.startswith("gs://") and "/" in gcs[5:]:
        return {"gcs_uri": gcs}
    if isinstance(inline, str) and inline:
        return {"video_base64": inline}
    return None


def _progress(metadata: Any) -> int | None:
    if isinstance(metadata, dict):
        for key in ("progressPercent", "progress"):
            value = metadata.get(key)
            if isinstance(value, int | float) and not isinstance(value, bool):
                return max(0, min(100, int(value)))
    return None


PROVIDER_ERRORS: tuple[tuple[str, type[errors.UpstreamError]], ...] = (
    *(
        (f"operation `error.code` {RPC_NAMES.index(code)} `{code}`", kind)
        for code, kind in RPC_FAILURES.items()
    ),
    *RULES.values(),
)
"""What Veo says -> the Reelway error (rendered in docs/errors.md, checked by a test)."""
