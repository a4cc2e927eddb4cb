"""Any upstream that speaks OpenAI's ``/v1/videos``: another Reelway, vLLM-Omni, SGLang
Diffusion, resellers, OpenAI itself.

Remixes go upstream as real remixes when the source video was made by the same upstream
(its id is in the source's stored operation); the thumbnail and spritesheet are the
upstream's own when it serves them.  A failed upstream video's ``error.code`` keeps its
meaning: a chain of Reelways reports the same code at every hop.

Edits and extensions go to ``videos/edits`` and ``videos/extensions``: with ``{"id"}`` when
the upstream made the source (it keeps the original, no re-upload), else with the source MP4
uploaded as the ``video`` part.  An extension comes back whole (the upstream stitches), so
custody is the same as for a create.  Characters are uploaded upstream once per engine and
remembered by character id and clip digest; a create then names the upstream's ids.
"""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator, Mapping
from typing import Any, ClassVar

from reelway import catalog, errors, images, jobs
from reelway.engines import base
from reelway.engines.http import LOST_WHILE_POLLING, ProviderClient, polling, require

PROVIDER = "The upstream /v1/videos server"
QUEUED = frozenset({"queued", "in_progress"})

# error.code of a failed upstream video -> the Reelway error it becomes.  Codes not listed
# (including none at all, and vague messages) are upstream_generation_failed.
FAILURE_CODES: Mapping[str, type[errors.UpstreamError]] = {
    "engine_cannot_serve": errors.EngineCannotServe,
    "moderation_blocked": errors.UpstreamModerationBlocked,
    "sentinel_block": errors.UpstreamInputBlocked,
    "content_policy_violation": errors.UpstreamModerationBlocked,
    "cancelled": errors.UpstreamCancelled,
    "invalid_request": errors.UpstreamInvalidRequest,
    "invalid_value": errors.UpstreamInvalidRequest,
    "upstream_invalid_request": errors.UpstreamInvalidRequest,
    "server_busy": errors.UpstreamCapacity,
    "queue_full": errors.UpstreamCapacity,
    "upstream_capacity": errors.UpstreamCapacity,
    # Capacity words other OpenAI-compatible servers (gateways, vLLM-style servers) use.
    "server_overloaded": errors.UpstreamCapacity,
    "overloaded": errors.UpstreamCapacity,
    "overloaded_error": errors.UpstreamCapacity,
    "capacity_exceeded": errors.UpstreamCapacity,
    "engine_overloaded": errors.UpstreamCapacity,
    "model_overloaded": errors.UpstreamCapacity,
    "insufficient_capacity": errors.UpstreamCapacity,
    "no_capacity": errors.UpstreamCapacity,
    "slow_down": errors.UpstreamCapacity,
    "rate_limit_exceeded": errors.UpstreamRateLimited,
    "upstream_rate_limited": errors.UpstreamRateLimited,
    "upstream_unavailable": errors.UpstreamUnavailable,
    "upstream_timeout": errors.UpstreamTimeout,
    "deadline_exceeded": errors.UpstreamTimeout,
    "worker_lost": errors.UpstreamGenerationFailed,
    "engine_runtime_error": errors.UpstreamGenerationFailed,
    "internal_error": errors.UpstreamGenerationFailed,
}


OFFERED: tuple[catalog.Capability, ...] = (
    catalog.Capability.IMAGE_INPUT,
    catalog.Capability.REMIX,
    catalog.Capability.AUDIO,
    catalog.Capability.EDITS,
    catalog.Capability.EXTENSIONS,
    catalog.Capability.CHARACTERS,
)
"""What an upstream may be declared to do (the ``capabilities`` option; all by default): send
an input image, remix its own videos, make sound, edit and extend videos, use characters."""
PASSED_ON: tuple[catalog.Capability, ...] = (
    catalog.Capability.NEGATIVE_PROMPT,
    catalog.Capability.LOOP,
)
"""Reelway's own create fields, relayed as ``negative_prompt`` and ``loop`` only to an upstream
declared with them (another Reelway): OpenAI's API refuses them, so they are never on by
default.  Nothing else is relayed upstream."""

CharacterKey = tuple[str, str]
"""A character's Reelway id and its clip's SHA-256: a new clip under the same id is a new
upstream character."""


class OpenAICompatEngine:
    """Options: ``base_url`` (ending in ``/v1``), ``api_key``, ``model`` (the upstream model
    name; the request's model when unset), ``timeout`` (seconds per HTTP call),
    ``capabilities`` (what the upstream can do, from ``OFFERED``, all of them when unset; add
    ``negative_prompt`` and ``loop`` from ``PASSED_ON`` for an upstream that takes them)."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.REMOTE

    def __init__(
        self,
        base_url: str,
        api_key: str | None = None,
        *,
        name: str = "openai_compat",
        model: str | None = None,
        timeout: float = 60.0,
        capabilities: list[str] | None = None,
    ) -> None:
        self.name = name
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.client = ProviderClient(
            name, PROVIDER, base_url, headers=headers, timeout=timeout, secrets=[api_key or ""]
        )
        declared = _capabilities(name, capabilities)
        self._info = base.EngineInfo(
            name=name,
            kind=self.KIND,
            # REMIX is an upstream remix of the upstream's own video, not of any video.
            capabilities=declared - {catalog.Capability.REMIX},
            remix_own=catalog.Capability.REMIX in declared,
            previews=True,
            cancel=True,
        )
        self._characters: dict[CharacterKey, str] = {}
        """Upstream character ids of the characters this engine uploaded (per process)."""
        self._uploading: dict[CharacterKey, asyncio.Lock] = {}

    @property
    def info(self) -> base.EngineInfo:
        return self._info

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        source = (request.source_operation or {}).get("id")
        if request.characters and request.kind in (jobs.JobKind.EDIT, jobs.JobKind.EXTEND):
            raise self._cannot("characters on an edit or extension (only a create takes them)")
        if request.kind is jobs.JobKind.EDIT:
            self._require(catalog.Capability.EDITS)
            body = await self._from_source(request, "videos/edits", {}, "edit")
        elif request.kind is jobs.JobKind.EXTEND:
            self._require(catalog.Capability.EXTENSIONS)
            fields = {"seconds": str(request.seconds)}
            body = await self._from_source(request, "videos/extensions", fields, "extension")
        elif source and request.kind is jobs.JobKind.REMIX and self._info.remix_own:
            body = await self.client.json_call(
                "POST",
                f"videos/{source}/remix",
                json_body={"prompt": request.prompt},
                what="remix",
            )
        else:
            body = await self._create(request)
        video_id = require(body, "id", self.client, "create")
        self._check_status(body, "create")
        return {"id": str(video_id)}

    async def _create(self, request: base.GenerationRequest) -> Any:
        fields: dict[str, Any] = {
            "prompt": request.prompt,
            "model": self.model or request.model,
            "size": f"{request.width}x{request.height}",
            "seconds": str(request.seconds),
        }
        if request.input_image is not None:
            self._require(catalog.Capability.IMAGE_INPUT)
        if request.sources.negative_prompt is not None:
            self._require(catalog.Capability.NEGATIVE_PROMPT)
            fields["negative_prompt"] = request.sources.negative_prompt
        if request.sources.loop:
            self._require(catalog.Capability.LOOP)
            fields["loop"] = True if request.input_image is None else "true"
        characters = [await self._upstream_character(c) for c in request.characters]
        if request.input_image is None:
            if characters:
                fields["characters"] = [{"id": c} for c in characters]
            return await self.client.json_call("POST", "videos", json_body=fields, what="create")
        if characters:
            fields["characters[][id]"] = characters  # the SDKs' bracket encoding
        image = request.input_image
        data = image.read_bytes()
        mime = images.content_type(data, image.name)
        return await self.client.json_call(
            "POST",
            "videos",
            data=fields,
            files={"input_reference": (image.name, data, mime)},
            what="create",
        )

    async def _from_source(
        self, request: base.GenerationRequest, path: str, fields: dict[str, str], what: str
    ) -> Any:
        """An edit or extension: by the upstream's own id when it made the source, else (or
        when it no longer has it) with the source MP4 uploaded."""
        fields = {"prompt": request.prompt, **fields}
        source = (request.source_operation or {}).get("id")
        if source:
            try:
                return await self.client.json_call(
                    "POST", path, json_body={**fields, "video": {"id": str(source)}}, what=what
                )
            except errors.UpstreamInvalidRequest as exc:
                if exc.upstream.get("http_status") != 404 or request.source_video is None:
                    raise
                # The upstream deleted or expired its copy: send ours instead.
        if request.source_video is None:
            raise self._cannot(f"an {what} of a video it has neither made nor been given")
        if request.kind is jobs.JobKind.EDIT:
            fields["model"] = self.model or request.model  # no source to take it from
        video = request.source_video
        try:
            return await self.client.json_call(
                "POST",
                path,
                data=fields,
                files={"video": (video.name, video.read_bytes(), "video/mp4")},
                what=what,
            )
        except errors.UpstreamInvalidRequest as exc:
            said = str(exc.upstream.get("provider_message") or "")
            if exc.upstream.get("provider_code") == "unknown_parameter" and "video" in said:
                # OpenAI's answer to an account not allowed to upload footage.
                raise self._cannot(f"an uploaded video ({what}): {said}") from None
            raise _unserved(exc, self._cannot(f"an {what} ({path} is not served)")) from None

    async def _upstream_character(self, character: base.CharacterRef) -> str:
        """The upstream's id for ``character``: uploaded once, then remembered; uploaded
        again when the upstream no longer knows the remembered id."""
        self._require(catalog.Capability.CHARACTERS)
        clip = character.clip.read_bytes()
        key = (character.id, hashlib.sha256(clip).hexdigest())
        async with self._uploading.setdefault(key, asyncio.Lock()):
            known = self._characters.get(key)
            if known is not None:
                try:
                    await self.client.send("GET", f"videos/characters/{known}", what="character")
                    return known
                except errors.UpstreamInvalidRequest as exc:
                    if exc.upstream.get("http_status") != 404:
                        raise
                    del self._characters[key]
            try:
                body = await self.client.json_call(
                    "POST",
                    "videos/characters",
                    data={"name": character.name},
                    files={"video": (character.clip.name, clip, "video/mp4")},
                    what="character upload",
                )
            except errors.UpstreamInvalidRequest as exc:
                raise _unserved(exc, self._cannot("characters (no videos/characters)")) from None
            made = str(require(body, "id", self.client, "character upload"))
            self._characters[key] = made
            return made

    def _require(self, capability: catalog.Capability) -> None:
        if not self._info.has(capability):
            raise self._cannot(
                f"{capability.value} (it is declared without it; another engine on the route "
                "may serve it)"
            )

    def _cannot(self, what: str) -> errors.EngineCannotServe:
        return errors.EngineCannotServe(
            f"The upstream behind {self.name!r} cannot take {what}.",
            upstream={"engine": self.name, "provider": "openai_compat"},
        )

    async def poll(self, operation: base.Operation) -> base.PollResult:
        video_id = operation["id"]
        with polling(f"The upstream no longer knows video {video_id}."):
            response = await self.client.send("GET", f"videos/{video_id}", what="status check")
        body = self.client.parse_json(response, "status check")
        status = self._check_status(body, "status check")
        if status in QUEUED:
            wait = response.headers.get("openai-poll-after-ms")
            progress = body.get("progress")
            return base.Pending(
                progress=int(progress) if isinstance(progress, int | float) else None,
                retry_after=float(wait) / 1000 if wait and wait.isdigit() else None,
            )
        if status == "completed":
            return base.Succeeded({"id": video_id})
        return base.Failed(self._failure(body))

    async def fetch(
        self, operation: base.Operation, result: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        async for chunk in self.client.download(f"videos/{operation['id']}/content"):
            yield chunk

    async def fetch_preview(
        self, operation: base.Operation, result: dict[str, Any], variant: str
    ) -> AsyncIterator[bytes]:
        async for chunk in self.client.download(
            f"videos/{operation['id']}/content?variant={variant}"
        ):
            yield chunk

    async def cancel(self, operation: base.Operation) -> None:
        await self.client.send("DELETE", f"videos/{operation['id']}", what="cancel")

    async def close(self) -> None:
        await self.client.close()

    def _check_status(self, body: Any, what: str) -> str:
        status = require(body, "status", self.client, what)
        if status not in QUEUED and status not in ("completed", "failed"):
            raise self.client.protocol_error(f"{what} (unknown status {status!r})", body)
        return str(status)

    def _failure(self, body: dict[str, Any]) -> errors.UpstreamError:
        found = body.get("error")
        error: dict[str, Any] = found if isinstance(found, dict) else {}
        code = error.get("code")
        said = str(error.get("message") or "no reason given")
        kind = FAILURE_CODES.get(str(code), errors.UpstreamGenerationFailed)
        return kind(
            f"The upstream server failed the video ({code or 'no code'}): "
            f"{self.client.redact(said)[:300]}",
            upstream=self._upstream(body, code, said),
        )

    def _upstream(self, body: dict[str, Any], code: Any, said: str) -> dict[str, Any]:
        return {
            "engine": self.name,
            "provider": "openai_compat",
            "provider_code": code,
            "provider_message": self.client.redact(said)[:300],
            "upstream_id": body.get("id"),
        }


def _unserved(
    exc: errors.UpstreamInvalidRequest, instead: errors.EngineCannotServe
) -> errors.UpstreamError:
    """``instead`` when the upstream answered 404 or 405 to a path that names no video: it
    does not serve that operation (an older server), so another engine may; else ``exc``."""
    return instead if exc.upstream.get("http_status") in (404, 405) else exc


def _capabilities(name: str, given: Any) -> frozenset[catalog.Capability]:
    """The ``capabilities`` option, checked at start-up: a list of names from ``OFFERED``."""
    if given is None:
        return frozenset(OFFERED)
    valid = ", ".join(c.value for c in (*OFFERED, *PASSED_ON))
    if not isinstance(given, list | tuple) or not all(isinstance(c, str) for c in given):
        raise ValueError(
            f"openai_compat engine {name!r}: capabilities must be a list of names ({valid})"
        )
    unknown = sorted(set(given) - {c.value for c in (*OFFERED, *PASSED_ON)})
    if unknown:
        raise ValueError(
            f"openai_compat engine {name!r}: unknown capabilities {unknown}; valid: {valid}"
        )
    return frozenset(catalog.Capability(c) for c in given)


PROVIDER_ERRORS: tuple[tuple[str, type[errors.UpstreamError]], ...] = (
    *((f"`error.code` `{code}`", kind) for code, kind in FAILURE_CODES.items()),
    ("`error.code` anything else, or none", errors.UpstreamGenerationFailed),
    ("`status` other than queued, in_progress, completed, failed", errors.UpstreamProtocolError),
    ("HTTP 404 while polling (the upstream lost the job)", LOST_WHILE_POLLING),
)
"""What the upstream says -> the Reelway error (rendered in docs/errors.md, checked by a test)."""
