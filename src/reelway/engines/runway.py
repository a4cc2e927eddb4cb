"""Runway's hosted API (``api.dev.runwayml.com``): text-to-video, image-to-video and
video-to-video (edit) tasks.

Runway's task statuses fold onto Reelway's as ``PENDING``/``THROTTLED``/``RUNNING`` (waiting),
``SUCCEEDED``, ``FAILED`` and ``CANCELLED``; its ``failureCode`` becomes a Reelway error by
the prefix rules in ``FAILURE_RULES``.  Two Runway habits shape this file: a ``THROTTLED``
task can wait for account capacity indefinitely, so after ``max_throttled_seconds`` the engine
cancels it (Runway refunds tasks it cancels before they run) and reports capacity, which moves
the job to the next engine on the route; and output URLs expire within 24-48 hours, so
``fetch`` asks Runway for fresh ones first.

An edit goes to ``/v1/video_to_video`` (``gen4_aleph``: the source MP4 as a data URI, the
prompt saying what changes; the result keeps the input's length and framing).  Runway's public
API has no extension of a video and no character references for text-to-video, so neither is
declared: the worker extends from the source's last frame through image-to-video.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import time
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

from reelway import catalog, errors, images, jobs
from reelway.engines import base
from reelway.engines.http import LOST_WHILE_POLLING, ProviderClient, polling, require

log = logging.getLogger(__name__)

PROVIDER = "Runway"
USD_PER_CREDIT = 0.01
STATUSES = frozenset({"PENDING", "THROTTLED", "RUNNING", "SUCCEEDED", "FAILED", "CANCELLED"})
SEED_RANGE = 2**32
DATA_URI_LIMIT = 5 * 1024 * 1024
"""Runway's cap on an inline (base64) asset: about 3.3 MB of image."""
VIDEO_DATA_URI_LIMIT = 16 * 1024 * 1024
"""Runway's cap on an inline (base64) video: about 12 MB of MP4."""
EDIT_PROMPT_LIMIT = 1000
"""``gen4_aleph``'s ``promptText`` limit, in UTF-16 code units."""
EDIT_RATIOS = (
    "1280:720",
    "720:1280",
    "1104:832",
    "960:960",
    "832:1104",
    "1584:672",
    "848:480",
    "640:480",
)
"""The ``ratio`` values ``gen4_aleph`` takes; the output's framing follows the input video."""
MODEL_LIMITS: Mapping[str, tuple[tuple[str, ...], tuple[int, ...]]] = {
    "gen4.5": (("1280:720", "720:1280"), tuple(range(2, 11))),
    "gen4_turbo": (
        ("1280:720", "720:1280", "1104:832", "832:1104", "960:960", "1584:672"),
        (5, 10),
    ),
}
"""Ratios (``width:height`` in pixels) and durations (seconds) a model accepts, checked before
any call so the job moves on without paying for a 400; models not listed are not checked."""

FAILURE_RULES: tuple[tuple[str, type[errors.UpstreamError], str], ...] = (
    (
        "SAFETY.INPUT.*",
        errors.UpstreamInputBlocked,
        "Runway's safety system refused {input} ({code}); {fix}.",
    ),
    (
        "SAFETY.OUTPUT.*",
        errors.UpstreamModerationBlocked,
        "Runway's safety system refused the generated video ({code}); change the prompt.",
    ),
    (
        "SAFETY.*",
        errors.UpstreamModerationBlocked,
        "Runway's safety system refused the video ({code}); change the prompt or the image.",
    ),
    (
        "INPUT_PREPROCESSING.SAFETY.*",
        errors.UpstreamInputBlocked,
        "Runway's safety system refused {input} before generating ({code}); {fix}.",
    ),
    (
        "INPUT_PREPROCESSING.INTERNAL",
        errors.UpstreamUnavailable,
        "Runway's input checks failed on its side ({code}); another engine on the route takes "
        "over if there is one, or try again later.",
    ),
    (
        "INTERNAL.BAD_OUTPUT.*",
        errors.UpstreamGenerationFailed,
        "Runway discarded its output as unusable ({code}); text or logos in the input image "
        "often cause this, so try a cleaner image or another prompt.",
    ),
    (
        "INTERNAL",
        errors.UpstreamGenerationFailed,
        "Runway failed while generating the video ({code}); try again.",
    ),
    (
        "ASSET.INVALID*",
        errors.UpstreamInvalidRequest,
        "Runway could not use the input image ({code}); send a PNG, JPEG or WebP image of a "
        "size Runway accepts.",
    ),
    (
        "THIRD_PARTY.UNAVAILABLE",
        errors.UpstreamUnavailable,
        "The model behind Runway is unavailable right now ({code}); another engine on the "
        "route takes over if there is one.",
    ),
)
"""``failureCode`` pattern (``*`` ends a prefix), most specific first -> error and the message
users see (Runway's own ``failure`` text is for the operator only)."""
UNKNOWN_FAILURE: tuple[type[errors.UpstreamError], str] = (
    errors.UpstreamGenerationFailed,
    "Runway failed the video ({code}); try again.",
)
INPUTS: Mapping[str, tuple[str, str]] = {
    "TEXT": ("the prompt", "rephrase it"),
    "IMAGE": ("the input image", "use another image"),
    "VIDEO": ("the source video", "edit another video"),
}
"""The last part of a safety code -> what was refused, and what to do about it."""
ANY_INPUT = ("the prompt or the input image", "change them")


def failure_rule(code: str | None) -> tuple[str, type[errors.UpstreamError], str] | None:
    """The first rule of ``FAILURE_RULES`` that matches a ``failureCode``."""
    for rule in FAILURE_RULES:
        pattern = rule[0]
        if code and (code == pattern or (pattern.endswith("*") and code.startswith(pattern[:-1]))):
            return rule
    return None


class RunwayEngine:
    """Options: ``api_key``, ``base_url``, ``model`` (text-to-video), ``image_model``
    (image-to-video), ``version`` (the ``X-Runway-Version`` Runway requires), ``timeout``
    (seconds per HTTP call), ``max_throttled_seconds`` (how long a task may wait for Runway
    capacity before the job moves to the next engine), ``edit_model`` (video-to-video for
    edits; None or empty: this engine does not edit)."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.REMOTE

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = "https://api.dev.runwayml.com",
        name: str = "runway",
        model: str = "gen4.5",
        image_model: str = "gen4_turbo",
        version: str = "2024-11-06",
        timeout: float = 60.0,
        max_throttled_seconds: float = 300.0,
        edit_model: str | None = "gen4_aleph",
    ) -> None:
        self.name = name
        self.model = model
        self.image_model = image_model
        self.max_throttled_seconds = max_throttled_seconds
        self.edit_model = edit_model or None
        # Output URLs are presigned CDN links: the key goes to the API host only.
        credentials = {"Authorization": f"Bearer {api_key}", "X-Runway-Version": version}
        self.client = ProviderClient(
            name, PROVIDER, base_url, credentials=credentials, timeout=timeout, secrets=[api_key]
        )
        sizes, seconds = _accepted((model, image_model))
        capabilities = {catalog.Capability.IMAGE_INPUT}
        if self.edit_model:
            capabilities.add(catalog.Capability.EDITS)
        self._info = base.EngineInfo(
            name=name,
            kind=self.KIND,
            capabilities=frozenset(capabilities),
            cancel=True,
            sizes=sizes,
            seconds=seconds,
        )

    @property
    def info(self) -> base.EngineInfo:
        return self._info

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        if request.characters:
            raise self._cannot("characters (Runway's API takes no character references)")
        if request.kind is jobs.JobKind.EXTEND:
            raise self._cannot("an extension (Runway's API does not extend a video)")
        if request.sources.negative_prompt is not None or request.sources.loop:
            # Neither is declared in info (Runway's create bodies have no such field), so a
            # route never sends them; were one to arrive, it is refused rather than dropped.
            raise self._cannot("a negative prompt or a loop (Runway's API has neither)")
        if request.kind is jobs.JobKind.EDIT:
            return await self._edit(request)
        # Runway has no remix: a remix is generated afresh from its prompt.
        image = request.input_image
        model = self.model if image is None else self.image_model
        ratio = f"{request.width}:{request.height}"
        self._check_limits(model, ratio, request.seconds)
        body: dict[str, Any] = {
            "model": model,
            "promptText": request.prompt,
            "ratio": ratio,
            "duration": request.seconds,
            "seed": request.seed % SEED_RANGE,
        }
        path = "v1/text_to_video"
        if image is not None:
            body["promptImage"] = await self._data_uri(image)
            path = "v1/image_to_video"
        answer = await self.client.json_call("POST", path, json_body=body, what="create")
        task_id = require(answer, "id", self.client, "create")
        return {"id": str(task_id), "submitted_at": time.time()}

    async def poll(self, operation: base.Operation) -> base.PollResult:
        task = await self._task(operation["id"], "status check")
        status = require(task, "status", self.client, "status check")
        if status not in STATUSES:
            raise self.client.protocol_error(f"status check (unknown status {status!r})", task)
        if status == "PENDING":
            return base.Pending()
        if status == "THROTTLED":
            return await self._throttled(operation)
        if status == "RUNNING":
            progress = task.get("progress")
            if isinstance(progress, int | float):
                return base.Pending(progress=max(0, min(100, int(progress * 100))))
            return base.Pending()
        if status == "SUCCEEDED":
            return base.Succeeded({"output": self._output(task)}, cost_usd=_cost_usd(task))
        if status == "CANCELLED":
            return base.Failed(
                errors.UpstreamCancelled(
                    f"The Runway task {operation['id']} was cancelled at Runway, not by this "
                    "server; create the video again if it is still wanted.",
                    upstream=self._upstream(task, "CANCELLED", None),
                )
            )
        return base.Failed(self._failure(task))

    async def fetch(
        self, operation: base.Operation, result: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        url = (await self._fresh_output(operation, result))[0]
        async for chunk in self.client.download(url):
            yield chunk

    async def cancel(self, operation: base.Operation) -> None:
        await self.client.send("DELETE", f"v1/tasks/{operation['id']}", what="cancel")

    async def close(self) -> None:
        await self.client.close()

    # ------------------------------------------------------------------ helpers

    async def _edit(self, request: base.GenerationRequest) -> base.Operation:
        """The source video restyled by ``gen4_aleph``, sent inline (no public URL here)."""
        if not self.edit_model:
            raise self._cannot("an edit (edit_model is not set)")
        if request.source_video is None:
            raise self._cannot("an edit without the source video")
        if len(request.prompt.encode("utf-16-le")) // 2 > EDIT_PROMPT_LIMIT:
            raise self._cannot(
                f"an edit prompt over {EDIT_PROMPT_LIMIT} characters ({self.edit_model}'s limit)"
            )
        data = await asyncio.to_thread(request.source_video.read_bytes)
        uri = f"data:video/mp4;base64,{base64.b64encode(data).decode('ascii')}"
        if len(uri) > VIDEO_DATA_URI_LIMIT:
            raise self._cannot(
                f"an edit of a {len(data) / 1e6:.1f} MB video (Runway takes about 12 MB inline)"
            )
        body: dict[str, Any] = {
            "model": self.edit_model,
            "promptText": request.prompt,
            "videoUri": uri,
            "ratio": _edit_ratio(request.width, request.height),
            "seed": request.seed % SEED_RANGE,
        }
        answer = await self.client.json_call(
            "POST", "v1/video_to_video", json_body=body, what="edit"
        )
        task_id = require(answer, "id", self.client, "edit")
        return {"id": str(task_id), "submitted_at": time.time()}

    def _cannot(self, what: str) -> errors.EngineCannotServe:
        return errors.EngineCannotServe(
            f"Runway cannot make {what}; the next engine on the route takes the job if there "
            "is one.",
            upstream={"engine": self.name, "provider": "runway"},
        )

    def _check_limits(self, model: str, ratio: str, seconds: int) -> None:
        if model not in MODEL_LIMITS:
            return
        ratios, durations = MODEL_LIMITS[model]
        detail = {"engine": self.name, "provider": "runway", "model": model}
        if ratio not in ratios:
            sizes = ", ".join(r.replace(":", "x") for r in ratios)
            raise errors.EngineCannotServe(
                f"Runway's {model} makes {sizes} videos, not {ratio.replace(':', 'x')}; pick "
                "one of those sizes, or the next engine on the route takes the job.",
                upstream=detail,
            )
        if seconds not in durations:
            consecutive = durations == tuple(range(durations[0], durations[-1] + 1))
            allowed = (
                f"{durations[0]} to {durations[-1]}"
                if consecutive and len(durations) > 2
                else " or ".join(str(d) for d in durations)
            )
            raise errors.EngineCannotServe(
                f"Runway's {model} makes videos of {allowed} seconds, not {seconds}; pick one "
                "of those lengths, or the next engine on the route takes the job.",
                upstream=detail,
            )

    async def _data_uri(self, image: Path) -> str:
        """The input image inline: Runway fetches only public HTTPS URLs, which we lack."""
        data = await asyncio.to_thread(image.read_bytes)
        mime = images.content_type(data, image.name)  # Runway rejects a data URI without one
        uri = f"data:{mime};base64,{base64.b64encode(data).decode('ascii')}"
        if len(uri) > DATA_URI_LIMIT:
            raise errors.EngineCannotServe(
                f"The input image is {len(data) / 1e6:.1f} MB; Runway takes at most about 3.3 MB "
                "sent inline. Send a smaller image, or the next engine on the route takes the job.",
                upstream={"engine": self.name, "provider": "runway"},
            )
        return uri

    async def _task(self, task_id: str, what: str) -> Any:
        with polling(
            f"Runway no longer knows task {task_id} (it was deleted or expired); "
            "another engine on the route takes over if there is one."
        ):
            return await self.client.json_call("GET", f"v1/tasks/{task_id}", what=what)

    async def _throttled(self, operation: base.Operation) -> base.PollResult:
        submitted = operation.get("submitted_at")
        waited = time.time() - submitted if isinstance(submitted, int | float) else 0.0
        if waited <= self.max_throttled_seconds:
            return base.Pending()
        try:
            await self.cancel(operation)
            fate = "it was cancelled there, so it is not billed"
        except errors.UpstreamError as exc:
            log.warning("could not cancel throttled Runway task %s: %s", operation["id"], exc)
            fate = "cancelling it there failed, so Runway may still run and bill it"
        return base.Failed(
            errors.UpstreamCapacity(
                f"Runway kept the task throttled (waiting for capacity on this account) for "
                f"{waited:.0f} s, longer than the {self.max_throttled_seconds:g} s allowed; "
                f"{fate}. Another engine on the route takes over if there is one.",
                upstream={
                    "engine": self.name,
                    "provider": "runway",
                    "provider_code": "THROTTLED",
                    "upstream_id": operation["id"],
                },
            )
        )

    def _output(self, task: dict[str, Any]) -> list[str]:
        output = task.get("output")
        if not isinstance(output, list) or not output:
            raise self.client.protocol_error("status check (SUCCEEDED without output)", task)
        if not all(isinstance(url, str) and url for url in output):
            raise self.client.protocol_error("status check (output is not URLs)", task)
        return output

    async def _fresh_output(self, operation: base.Operation, result: dict[str, Any]) -> list[str]:
        """Output URLs read again now (they expire), else those the poll saw."""
        try:
            task = await self._task(operation["id"], "result check")
            if isinstance(task, dict) and task.get("status") == "SUCCEEDED":
                return self._output(task)
        except errors.UpstreamError as exc:
            log.info("using the stored Runway output URL for %s: %s", operation["id"], exc)
        stored = result.get("output")
        if isinstance(stored, list) and stored and isinstance(stored[0], str):
            return stored
        raise self.client.protocol_error("result (no output URL)", result)

    def _failure(self, task: dict[str, Any]) -> errors.UpstreamError:
        raw = task.get("failureCode")
        code = str(raw) if raw else None
        rule = failure_rule(code)
        kind, template = (rule[1], rule[2]) if rule else UNKNOWN_FAILURE
        refused, fix = INPUTS.get((code or "").rsplit(".", 1)[-1], ANY_INPUT)
        message = template.format(code=code or "no failure code", input=refused, fix=fix)
        return kind(message, upstream=self._upstream(task, code, task.get("failure")))

    def _upstream(self, task: dict[str, Any], code: str | None, said: Any) -> dict[str, Any]:
        return {
            "engine": self.name,
            "provider": "runway",
            "provider_code": code,
            "provider_message": self.client.redact(str(said or "no reason given"))[:300],
            "upstream_id": task.get("id"),
        }


PROVIDER_ERRORS: tuple[tuple[str, type[errors.UpstreamError]], ...] = (
    *((f"`failureCode` `{pattern}`", kind) for pattern, kind, _ in FAILURE_RULES),
    ("`failureCode` anything else, or none", UNKNOWN_FAILURE[0]),
    ("`status` CANCELLED (cancelled at Runway)", errors.UpstreamCancelled),
    ("`status` THROTTLED for longer than `max_throttled_seconds`", errors.UpstreamCapacity),
    (
        "`status` other than PENDING, THROTTLED, RUNNING, SUCCEEDED, FAILED, CANCELLED",
        errors.UpstreamProtocolError,
    ),
    ("`status` SUCCEEDED without `output` URLs", errors.UpstreamProtocolError),
    ("HTTP 404 while polling (Runway lost the task)", LOST_WHILE_POLLING),
    (
        "size, length or input image the configured model does not take (checked before calling)",
        errors.EngineCannotServe,
    ),
)
"""What Runway says -> the Reelway error (rendered in docs/errors.md, checked by a test)."""


def _accepted(models: tuple[str, ...]) -> tuple[frozenset[str] | None, frozenset[int] | None]:
    """The sizes and lengths the configured models accept between them (text-to-video and
    image-to-video), by ``MODEL_LIMITS``; None (anything) when a model is not listed there,
    as its requests are not checked."""
    if any(model not in MODEL_LIMITS for model in models):
        return None, None
    sizes = {r.replace(":", "x") for m in models for r in MODEL_LIMITS[m][0]}
    seconds = {d for m in models for d in MODEL_LIMITS[m][1]}
    return frozenset(sizes), frozenset(seconds)


def _edit_ratio(width: int, height: int) -> str:
    """The ``gen4_aleph`` ratio nearest the source's shape (Runway frames the output by the
    input video; the field is still validated against its list)."""
    shape = width / height if height else 1.0
    return min(EDIT_RATIOS, key=lambda r: abs(int(r.split(":")[0]) / int(r.split(":")[1]) - shape))


def _cost_usd(task: dict[str, Any]) -> float | None:
    """A finished task's ``cost.credits`` in dollars (a Runway credit is one cent)."""
    cost = task.get("cost")
    credits = cost.get("credits") if isinstance(cost, dict) else None
    if isinstance(credits, bool) or not isinstance(credits, int | float) or credits < 0:
        return None
    return credits * USD_PER_CREDIT
