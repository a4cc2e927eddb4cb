"""Luma Dream Machine (``ray-2``, ``ray-flash-2``): ``POST /generations``, then poll the
Generation until its ``state`` is ``completed`` or ``failed``.

Luma's failures are free text (``failure_reason``), not codes, so they are sorted by keyword
rules kept as data below, most specific first.  Luma takes a first frame only as a public URL,
so an input image needs ``image_url_base``: where the operator publishes Reelway's input
images.  Result files live on a CDN with expiring URLs: the engine asks for a fresh URL
before downloading, and never sends the API key to a host other than the API's.

Extensions are native for Luma's own generations: a create whose ``keyframes.frame0`` is
``{"type": "generation", "id"}`` continues that generation.  Luma's docs do not say whether
the result holds the source too, so ``fetch`` measures it: a result nearer the new segment's
length than the whole's is stitched onto the source generation's video (downloaded from
Luma, so a resumed job needs no local file); one nearer the whole is passed through.  So
only a plain generation is extended here: an extension's own Luma generation may be its new
segment alone, not the video Reelway stored.  Those, and videos Luma did not make, are
``EngineCannotServe`` (the route moves on); Luma's edit endpoint (``/generations/video/modify``)
is not used.
"""

from __future__ import annotations

import asyncio
import math
import tempfile
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

from reelway import catalog, errors, jobs
from reelway.engines import base
from reelway.engines.http import (
    LOST_WHILE_POLLING,
    ProviderClient,
    ProviderFault,
    default_error_parser,
    polling,
    require,
)
from reelway.media import probe, stitch

PROVIDER = "Luma"
DEFAULT_BASE_URL = "https://api.lumalabs.ai/dream-machine/v1"
PENDING_STATES = frozenset({"queued", "dreaming"})
KNOWN_STATES = PENDING_STATES | {"completed", "failed"}
ASPECT_RATIOS = ("16:9", "9:16", "1:1", "4:3", "3:4", "21:9", "9:21")
RATIO_TOLERANCE = 0.02
"""Relative slack when matching a size to a ratio, so 854x480 is 16:9 and 2560x1080 is 21:9."""
RESOLUTIONS = ((540, "540p"), (720, "720p"), (1080, "1080p"))
"""Short side up to N pixels -> Luma's resolution; anything larger is ``4k``."""
DEFAULT_DURATIONS: Mapping[str, str] = {"5": "5s", "9": "9s"}
MESSAGE_LIMIT = 300
CHUNK = 1 << 20
"""Bytes per chunk when a stitched extension is streamed back."""


@dataclass(frozen=True)
class ReasonRule:
    """A ``failure_reason`` mentioning any of ``words`` (and, when ``about`` is set, any of
    ``about`` too; case-insensitive) becomes ``error``."""

    name: str
    error: type[errors.UpstreamError]
    words: tuple[str, ...]
    about: tuple[str, ...] = ()
    advice: str = ""

    def matches(self, reason: str) -> bool:
        text = reason.lower()
        return any(w in text for w in self.words) and (
            not self.about or any(a in text for a in self.about)
        )


MODERATION_WORDS = (
    "moderat", "not allowed", "blocked", "flagged", "nsfw", "unsafe", "safety", "policy",
    "inappropriate",
)  # fmt: skip

# Most specific first: the first rule that matches wins.
REASON_RULES: tuple[ReasonRule, ...] = (
    ReasonRule(
        "input_blocked",
        errors.UpstreamInputBlocked,
        MODERATION_WORDS,
        about=("prompt", "input", "keyframe", "frame0", "frame1", "image"),
        advice="Change the prompt or the first-frame image; retrying as sent will not help.",
    ),
    ReasonRule(
        "output_moderated",
        errors.UpstreamModerationBlocked,
        MODERATION_WORDS,
        advice="Luma's moderation refused the generated video; rephrase the prompt.",
    ),
    ReasonRule(
        "capacity",
        errors.UpstreamCapacity,
        ("capacity", "overload", "too many", "busy"),
        advice="Luma had no capacity; retry later or let the next engine on the route take it.",
    ),
    ReasonRule(
        "timeout",
        errors.UpstreamTimeout,
        ("timeout", "timed out", "time out"),
        advice="Luma gave up on the generation; retrying may help.",
    ),
    ReasonRule(
        "invalid_request",
        errors.UpstreamInvalidRequest,
        ("invalid", "unsupported", "not supported"),
        advice="Luma refused the request as sent; change the parameters.",
    ),
)
FALLBACK_RULE = ReasonRule(
    "generation_failed",
    errors.UpstreamGenerationFailed,
    (),
    advice="Luma gave no actionable reason; retrying may help.",
)


def parse_luma_error(body: Any) -> ProviderFault:
    """FastAPI-style bodies: ``{"detail": "text"}`` or ``{"detail": [{"loc", "msg", "type"}]}``;
    anything else goes to the common parser."""
    detail = body.get("detail") if isinstance(body, dict) else None
    if isinstance(detail, str):
        return ProviderFault(message=detail)
    if isinstance(detail, list) and detail:
        said = []
        for item in detail:
            if isinstance(item, dict):
                where = ".".join(str(p) for p in item.get("loc") or () if p != "body")
                said.append(f"{where}: {item.get('msg')}" if where else str(item.get("msg")))
            else:
                said.append(str(item))
        first = detail[0]
        code = first.get("type") if isinstance(first, dict) else None
        return ProviderFault(code=str(code) if code else None, message="; ".join(said))
    return default_error_parser(body)


class LumaEngine:
    """Options: ``api_key`` (required), ``base_url``, ``name``, ``model`` (``ray-2``,
    ``ray-flash-2``), ``timeout`` (seconds per HTTP call), ``durations`` (requested seconds ->
    Luma duration, e.g. ``{"4": "5s"}`` for a catalogue that offers 4 s) and
    ``image_url_base`` (public URL prefix of Reelway's input images; without it an input image
    cannot be sent)."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.REMOTE

    def __init__(
        self,
        api_key: str,
        *,
        base_url: str = DEFAULT_BASE_URL,
        name: str = "luma",
        model: str = "ray-2",
        timeout: float = 60.0,
        durations: Mapping[str | int, str] | None = None,
        image_url_base: str | None = None,
    ) -> None:
        if not api_key:
            raise ValueError(f"engine {name!r}: the luma engine needs an api_key")
        found = DEFAULT_DURATIONS if durations is None else durations
        self.durations = {str(k): str(v) for k, v in found.items()}
        if not self.durations or not all(k.isdigit() for k in self.durations):
            raise ValueError(
                f"engine {name!r}: durations must map whole seconds to Luma durations, "
                f'like {{"5": "5s"}}; got {found!r}'
            )
        self.name = name
        self.model = model
        self.image_url_base = image_url_base.rstrip("/") if image_url_base else None
        self.client = ProviderClient(
            name,
            PROVIDER,
            base_url,
            credentials={"Authorization": f"Bearer {api_key}"},
            timeout=timeout,
            secrets=[api_key],
            error_parser=parse_luma_error,
        )
        # Luma loops on request (its create body's ``loop``, sent from the job's ``loop``);
        # it takes a first frame only by public URL, so without image_url_base no image input.
        # Sizes stay open: any frame of a ratio in ASPECT_RATIOS, checked per request.
        # Extensions: every Luma video model continues its own generations (frame0 by id).
        abilities = {catalog.Capability.LOOP, catalog.Capability.EXTENSIONS}
        if self.image_url_base is not None:
            abilities.add(catalog.Capability.IMAGE_INPUT)
        self._info = base.EngineInfo(
            name=name,
            kind=self.KIND,
            capabilities=frozenset(abilities),
            cancel=True,
            seconds=frozenset(int(k) for k in self.durations),
        )

    @property
    def info(self) -> base.EngineInfo:
        return self._info

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        extends = self._extends(request)
        create = self._create_body(request)
        if extends is not None:
            create["keyframes"] = {"frame0": {"type": "generation", "id": extends}}
        body = await self.client.json_call("POST", "generations", json_body=create, what="create")
        generation_id = require(body, "id", self.client, "create")
        self._state(body, "create")
        if extends is None:
            return {"id": str(generation_id)}
        seconds = int(str(create["duration"]).rstrip("s"))
        return {"id": str(generation_id), "extends": extends, "seconds": seconds}

    def _extends(self, request: base.GenerationRequest) -> str | None:
        """The Luma generation an extension continues; None for a create.  Edits, and
        extensions of videos Luma did not make, are refused before any call."""
        if request.kind is jobs.JobKind.EDIT:
            raise self._cannot_serve(
                f"{self.name} (Luma) does not edit videos; route edits to another engine."
            )
        if request.kind is not jobs.JobKind.EXTEND:
            return None
        made = request.source_operation or {}
        source = made.get("id")
        if not source:
            raise self._cannot_serve(
                f"Luma extends only its own generations (by id), and {self.name} did not make "
                "this video; route its extension to another engine."
            )
        if "extends" in made:
            raise self._cannot_serve(
                f"{self.name} (Luma) extends a generation, not an extension (Luma's video of an "
                "extension may lack the start); route this extension to another engine."
            )
        return str(source)

    async def poll(self, operation: base.Operation) -> base.PollResult:
        body = await self._generation(operation["id"])
        state = self._state(body, "status check")
        if state in PENDING_STATES:
            return base.Pending()
        if state == "completed":
            return base.Succeeded({"video": self._video_url(body)})
        return base.Failed(self._failure(body))

    async def fetch(
        self, operation: base.Operation, result: dict[str, Any]
    ) -> AsyncIterator[bytes]:
        url = await self._fresh_url(operation, result)
        if "extends" not in operation:
            async for chunk in self.client.download(url):
                yield chunk
            return
        with tempfile.TemporaryDirectory(prefix="reelway-luma-") as folder:
            whole = await self._whole(operation, url, Path(folder))
            with whole.open("rb") as file:
                while chunk := file.read(CHUNK):
                    yield chunk

    async def cancel(self, operation: base.Operation) -> None:
        """Luma cancels by deleting; a generation already gone is already cancelled."""
        try:
            await self.client.send("DELETE", f"generations/{operation['id']}", what="cancel")
        except errors.UpstreamInvalidRequest as exc:
            if exc.upstream.get("http_status") != 404:
                raise

    async def close(self) -> None:
        await self.client.close()

    async def _whole(self, operation: base.Operation, url: str, folder: Path) -> Path:
        """An extension's whole video: Luma's result, stitched onto the source generation's
        video unless it already holds it (nearer the source plus the segment than the segment)."""
        result = folder / "result.mp4"
        await self._save(url, result)
        source = str(operation["extends"])
        body = await self._generation(source)
        if self._state(body, "source status check") != "completed":
            raise self.client.protocol_error("source status check (source not completed)", body)
        first = folder / "source.mp4"
        await self._save(self._video_url(body), first)
        try:
            made, before = await asyncio.gather(
                asyncio.to_thread(probe.probe, result), asyncio.to_thread(probe.probe, first)
            )
            if made.duration > float(operation.get("seconds", 0)) + before.duration / 2:
                return result
            whole = folder / "whole.mp4"
            await asyncio.to_thread(stitch.stitch, first, result, whole)
        except Exception as exc:
            raise errors.EngineRuntimeError(
                f"Stitching Luma's extension {operation['id']} onto generation {source} "
                f"failed: {type(exc).__name__}: {exc}"
            ) from exc
        return whole

    async def _save(self, url: str, path: Path) -> None:
        with path.open("wb") as file:
            async for chunk in self.client.download(url):
                file.write(chunk)

    # ------------------------------------------------------------------ request

    def _create_body(self, request: base.GenerationRequest) -> dict[str, Any]:
        """Luma's create body, or ``EngineCannotServe`` before any call is made."""
        duration = self.durations.get(str(request.seconds))
        if duration is None:
            offered = ", ".join(sorted(self.durations, key=int))
            raise self._cannot_serve(
                f"{self.name} (Luma) makes videos of {offered} seconds, not {request.seconds}; "
                "ask for one of those, or map this length in the engine's `durations` option."
            )
        ratio = aspect_ratio(request.width, request.height)
        if ratio is None:
            raise self._cannot_serve(
                f"{self.name} (Luma) makes videos in aspect ratios {', '.join(ASPECT_RATIOS)}; "
                f"{request.width}x{request.height} is none of them."
            )
        body: dict[str, Any] = {
            "prompt": request.prompt,
            "model": self.model,
            "aspect_ratio": ratio,
            "duration": duration,
            "resolution": resolution(request.width, request.height),
            "loop": request.sources.loop,
        }
        if request.sources.negative_prompt is not None:  # not declared: never routed here
            raise self._cannot_serve(f"{self.name} (Luma) takes no negative prompt.")
        if request.input_image is not None:
            if self.image_url_base is None:
                raise self._cannot_serve(
                    "Luma needs a public URL for the first frame; set the engine's "
                    "`image_url_base` to where input images are published, or route "
                    "image-to-video to another engine."
                )
            url = f"{self.image_url_base}/{quote(request.input_image.name)}"
            body["keyframes"] = {"frame0": {"type": "image", "url": url}}
        return body

    def _cannot_serve(self, message: str) -> errors.EngineCannotServe:
        return errors.EngineCannotServe(message, upstream={"engine": self.name, "provider": "luma"})

    # ------------------------------------------------------------------ answers

    async def _generation(self, generation_id: str) -> Any:
        with polling(
            f"Luma no longer knows generation {generation_id} (deleted or lost there); "
            "submitting again starts a new one."
        ):
            return await self.client.json_call(
                "GET", f"generations/{generation_id}", what="status check"
            )

    def _state(self, body: Any, what: str) -> str:
        state = require(body, "state", self.client, what)
        if state not in KNOWN_STATES:
            raise self.client.protocol_error(f"{what} (unknown state {state!r})", body)
        return str(state)

    def _video_url(self, body: Any) -> str:
        url = require(body.get("assets"), "video", self.client, "status check (assets)")
        if not isinstance(url, str) or not url.startswith(("http://", "https://")):
            raise self.client.protocol_error("status check (assets.video is not a URL)", body)
        return url

    async def _fresh_url(self, operation: base.Operation, result: dict[str, Any]) -> str:
        """Luma's asset URLs expire: ask for the current one, else use the one from polling."""
        try:
            body = await self._generation(operation["id"])
            if self._state(body, "status check") == "completed":
                return self._video_url(body)
        except errors.UpstreamError:
            pass
        return str(require(result, "video", self.client, "stored result"))

    def _failure(self, body: dict[str, Any]) -> errors.UpstreamError:
        reason = str(body.get("failure_reason") or "no reason given")
        rule = next((r for r in REASON_RULES if r.matches(reason)), FALLBACK_RULE)
        said = self.client.redact(reason)[:MESSAGE_LIMIT]
        return rule.error(
            f"Luma failed generation {body.get('id')} ({rule.name}): {said}. {rule.advice}",
            upstream={
                "engine": self.name,
                "provider": "luma",
                "provider_code": rule.name,
                "provider_message": said,
                "upstream_id": body.get("id"),
            },
        )


def aspect_ratio(width: int, height: int) -> str | None:
    """The Luma ratio this size is (within ``RATIO_TOLERANCE``), or None."""
    for ratio in ASPECT_RATIOS:
        w, h = (int(n) for n in ratio.split(":"))
        if math.isclose(width * h, height * w, rel_tol=RATIO_TOLERANCE):
            return ratio
    return None


def resolution(width: int, height: int) -> str:
    short = min(width, height)
    return next((name for limit, name in RESOLUTIONS if short <= limit), "4k")


def _rule_text(rule: ReasonRule) -> str:
    words = " / ".join(f"`{w}`" for w in rule.words)
    about = f" and one of {' / '.join(f'`{a}`' for a in rule.about)}" if rule.about else ""
    return f"`failure_reason` with one of {words}{about}"


PROVIDER_ERRORS: tuple[tuple[str, type[errors.UpstreamError]], ...] = (
    *((_rule_text(rule), rule.error) for rule in REASON_RULES),
    ("`failure_reason` anything else, or none", FALLBACK_RULE.error),
    ("`state` other than queued, dreaming, completed, failed", errors.UpstreamProtocolError),
    ("`state` completed without an `assets.video` URL", errors.UpstreamProtocolError),
    ("HTTP 404 while polling (generation deleted or lost)", LOST_WHILE_POLLING),
)
"""What Luma says -> the Reelway error (rendered in docs/errors.md, checked by a test); the
``failure_reason`` rows are tried in order and the first that matches wins."""
