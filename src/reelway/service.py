"""The use cases behind the API and the CLI: create, remix, get, list, delete, content, models.

Input arrives as plain values (strings, numbers, nested dicts, uploads) from either body
encoding; everything is validated here against the catalogue so that both encodings, the
CLI and tests share one set of rules and one set of error messages.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, BinaryIO

from reelway import catalog, errors, idempotency, ids, images, inputs, jobs, logs, numeric
from reelway.accounts import AccountService, Admission, Schedule
from reelway.policy import preflight, pricing
from reelway.policy.moderation import Moderation
from reelway.settings import Settings
from reelway.storage import Storage
from reelway.store.keys import KeyStore
from reelway.store.videos import (
    IdempotencyKey,
    KeyTaken,
    NewVideo,
    QueueLimitReached,
    VideoStore,
)

log = logging.getLogger(__name__)

CREATE_FIELDS = frozenset(
    {"prompt", "model", "seconds", "size", "input_reference", "seed", "service_tier"}
)
REMIX_FIELDS = frozenset({"prompt", "service_tier"})
PREFLIGHT_FIELDS = frozenset({"prompt", "model", "seconds", "size", "service_tier"})
SERVICE_TIERS = ("default", "relaxed")
NOT_YET_SUPPORTED = {
    "characters": "Character references are not supported by this server yet.",
}
VARIANTS = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 20
MAX_SEED = 2**31 - 1
QUEUE_FULL_RETRY_SECONDS = 10.0
SERVER_BUSY_RETRY_SECONDS = 15.0
QUEUE_TOTAL_TTL_SECONDS = 1.0


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body, spooled (in memory only while small)."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class Created:
    """A create's answer: the video, and whether it was a replay of an earlier request."""

    video: jobs.Video
    replayed: bool = False
    headers: Mapping[str, str] = field(default_factory=dict)
    """The ``x-ratelimit-*`` headers of the request's counted windows."""


@dataclass(frozen=True)
class Caller:
    """Who is asking: the project a verified key belongs to."""

    project_id: str
    key_id: str


@dataclass(frozen=True)
class Page:
    videos: list[jobs.Video]
    has_more: bool


@dataclass(frozen=True)
class Content:
    asset: jobs.Asset
    video: jobs.Video


class VideoService:
    def __init__(
        self,
        settings: Settings,
        models: catalog.Catalog,
        videos: VideoStore,
        keys: KeyStore,
        storage: Storage,
        accounts: AccountService,
        moderation: Moderation | None = None,
        on_enqueue: Callable[[], None] = lambda: None,
    ) -> None:
        self.settings = settings
        self.moderation = moderation or Moderation()
        self.catalog = models
        self.videos = videos
        self.keys = keys
        self.accounts = accounts
        self.storage = storage
        self.on_enqueue = on_enqueue
        self._queued_total: tuple[int, float] = (0, float("-inf"))

    # ------------------------------------------------------------------ auth

    async def authenticate(self, secret: str) -> Caller:
        key = await self.keys.authenticate(secret)
        if key is None:
            raise errors.InvalidApiKey(
                "Incorrect API key provided. Create one with 'reelway keys create --project NAME'."
            )
        if key.revoked:
            raise errors.ApiKeyRevoked()
        return Caller(project_id=key.project_id, key_id=key.id)

    # ------------------------------------------------------------------ create / remix

    async def create(
        self,
        caller: Caller,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Created:
        key = idempotency.check_key(idempotency_key)
        fingerprint = await idempotency.fingerprint("create", params) if key else ""
        if key and (taken := await self.videos.find_key(caller.project_id, key)):
            return await self._replay(caller, taken, fingerprint)
        _check_fields(params, CREATE_FIELDS)
        prompt = _prompt(params.get("prompt"))
        model_name, model, size, (width, height), seconds = _model_size_seconds(
            self.catalog, params
        )
        seed = _seed(params.get("seed"))
        relaxed = _relaxed(params.get("service_tier"))
        await self._check_server_queue()
        admission = await self.accounts.admit(caller.project_id)
        with _rate_headers_on_errors(admission):
            schedule = self.accounts.schedule(admission, relaxed)
            await self.moderation.screen_prompt(prompt)
            image = await self._reference_image(
                params.get("input_reference"), model, (width, height)
            )
            try:
                if seed is None:
                    digest = image.sha256 if image else ""
                    seed = ids.stable_seed(model.name, prompt, size, seconds, digest)
                return await self._enqueue(
                    caller,
                    request_id,
                    admission,
                    schedule,
                    model_name=model_name,
                    model=model,
                    prompt=prompt,
                    size=size,
                    seconds=seconds,
                    seed=seed,
                    image=image,
                    key=key,
                    fingerprint=fingerprint,
                )
            finally:
                if image is not None:
                    image.file.close()

    async def remix(
        self,
        caller: Caller,
        video_id: str,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Created:
        key = idempotency.check_key(idempotency_key)
        fingerprint = await idempotency.fingerprint(f"remix:{video_id}", params) if key else ""
        if key and (taken := await self.videos.find_key(caller.project_id, key)):
            return await self._replay(caller, taken, fingerprint)
        _check_fields(params, REMIX_FIELDS)
        prompt = _prompt(params.get("prompt"))
        relaxed = _relaxed(params.get("service_tier"))
        source = await self.get(caller, video_id)
        _require_completed(source, "remix it")
        _require_files(source)
        model = self.catalog.get(source.catalog_model)
        if model is None:
            raise errors.InvalidValue(
                f"The source video's model {source.catalog_model!r} is no longer served here.",
                param="video_id",
            )
        if not model.has(catalog.Capability.REMIX):
            raise errors.UnsupportedParameter(
                f"Model {model.name!r} does not support remix.", param="video_id"
            )
        await self._check_server_queue()
        admission = await self.accounts.admit(caller.project_id)
        with _rate_headers_on_errors(admission):
            schedule = self.accounts.schedule(admission, relaxed)
            await self.moderation.screen_prompt(prompt)
            return await self._enqueue(
                caller,
                request_id,
                admission,
                schedule,
                model_name=source.model,
                model=model,
                prompt=prompt,
                size=source.size,
                seconds=int(source.seconds),
                seed=source.seed,
                image=None,
                source=source,
                key=key,
                fingerprint=fingerprint,
            )

    async def _enqueue(
        self,
        caller: Caller,
        request_id: str | None,
        admission: Admission,
        schedule: Schedule,
        *,
        model_name: str,
        model: catalog.ModelSpec,
        prompt: str,
        size: str,
        seconds: int,
        seed: int,
        image: images.CheckedImage | None,
        source: jobs.Video | None = None,
        key: str | None = None,
        fingerprint: str = "",
    ) -> Created:
        video_id = ids.new_id("video")
        logs.video_id.set(video_id)  # this request's log lines name the video from here on
        reference: str | None = None
        if image is not None:
            reference = f"videos/{video_id}/input.{image.extension}"
            await self.storage.put_stream(reference, image.file, image.content_type)
        elif source is not None and source.input_reference:
            reference = f"videos/{video_id}/{source.input_reference.rsplit('/', 1)[-1]}"
            await self.storage.copy(source.input_reference, reference)
        try:
            new = NewVideo(
                id=video_id,
                project_id=caller.project_id,
                model=model_name,
                catalog_model=model.name,
                prompt=prompt,
                size=size,
                seconds=str(seconds),
                seed=seed,
                input_reference=reference,
                remixed_from_video_id=source.id if source else None,
                request_id=request_id,
                max_attempts=self.settings.max_attempts,
                deadline_seconds=None if schedule.relaxed else self.settings.job_deadline_seconds,
                priority=schedule.priority,
                run_at=schedule.run_at,
                reservation=self.accounts.reservation(
                    admission, video_id, model, size, seconds, schedule.relaxed
                ),
                watermark=self.accounts.watermark(admission.project),
            )
            limit = self.settings.project_queue_limit
            outcome: jobs.Video | KeyTaken
            if key:
                ttl = self.settings.idempotency_hours * 3600
                keyed = IdempotencyKey(key, fingerprint, ttl)
                outcome = await self.videos.insert_keyed(new, keyed, queue_limit=limit)
            else:
                outcome = await self.videos.insert(new, queue_limit=limit)
        except BaseException as exc:
            if reference is not None:
                await self.storage.delete_prefix(f"videos/{video_id}/")
            if isinstance(exc, QueueLimitReached):
                raise errors.QueueFull(
                    f"Your project already has {self.settings.project_queue_limit} videos "
                    "waiting, the most it may; retry when some have started.",
                    retry_after=QUEUE_FULL_RETRY_SECONDS,
                ) from None
            raise
        if isinstance(outcome, KeyTaken):
            # A concurrent request with the same key won; answer as it was answered.
            if reference is not None:
                await self.storage.delete_prefix(f"videos/{video_id}/")
            return await self._replay(caller, outcome, fingerprint)
        self._queued_total = (self._queued_total[0] + 1, self._queued_total[1])
        log.debug("queued %s (%s %s %ss)", outcome.id, model.name, size, seconds)
        self.on_enqueue()
        return Created(outcome, headers=admission.headers)

    async def _replay(self, caller: Caller, taken: KeyTaken, fingerprint: str) -> Created:
        if taken.request_hash != fingerprint:
            raise errors.IdempotencyKeyReused(
                "This Idempotency-Key was already used with a different request; use a new "
                "key for a new request.",
                param="Idempotency-Key",
            )
        video = await self.videos.get(taken.video_id, project_id=caller.project_id)
        if video is None:
            raise errors.VideoNotFound(
                f"The video this Idempotency-Key created ({taken.video_id}) has been deleted.",
                param="Idempotency-Key",
            )
        return Created(video, replayed=True)

    async def _check_server_queue(self) -> None:
        """Refuse new work while the whole deployment's queue is full (a cached count)."""
        total, read_at = self._queued_total
        now = time.monotonic()
        if now - read_at > QUEUE_TOTAL_TTL_SECONDS:
            total = await self.videos.queued_total()
            self._queued_total = (total, now)
        if total >= self.settings.queue_limit:
            raise errors.ServerBusy(
                f"The server's queue holds {total} videos, its limit; retry later.",
                retry_after=SERVER_BUSY_RETRY_SECONDS,
            )

    async def _reference_image(
        self, value: Any, model: catalog.ModelSpec, size: tuple[int, int]
    ) -> images.CheckedImage | None:
        if value is None:
            return None
        param = "input_reference"
        if not model.has(catalog.Capability.IMAGE_INPUT):
            raise errors.UnsupportedParameter(
                f"Model {model.name!r} does not take an input_reference.", param=param
            )
        if isinstance(value, Upload):
            source = value.file
        elif isinstance(value, Mapping):
            source = await self._reference_object(value)
            param = "input_reference.image_url"
        else:
            raise errors.InvalidValue(
                "input_reference must be an uploaded image file, or an object "
                '{"image_url": "<https URL or data URL>"}.',
                param=param,
            )
        try:
            checked = await asyncio.to_thread(
                images.check,
                source,
                param=param,
                max_bytes=self.settings.max_image_bytes,
                expected_size=size,
            )
            if self.moderation.input_image:
                data = await asyncio.to_thread(checked.file.read)
                checked.file.seek(0)
                await self.moderation.screen_input_image(data, param=param)
            return checked
        except BaseException:
            source.close()
            raise

    async def _reference_object(self, value: Mapping[str, Any]) -> BinaryIO:
        unknown = sorted(set(value) - {"image_url", "file_id"})
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter input_reference.{unknown[0]}; "
                "input_reference takes image_url or file_id.",
                param=f"input_reference.{unknown[0]}",
            )
        if ("image_url" in value) == ("file_id" in value):
            raise errors.InvalidValue(
                "Provide exactly one of input_reference.image_url or input_reference.file_id.",
                param="input_reference",
            )
        if "file_id" in value:
            raise errors.UnsupportedParameter(
                "input_reference.file_id is not supported by this server yet; upload the image "
                "as input_reference or pass input_reference.image_url.",
                param="input_reference.file_id",
            )
        return await inputs.load_image_url(
            value["image_url"],
            param="input_reference.image_url",
            max_bytes=self.settings.max_image_bytes,
            timeout_seconds=self.settings.image_fetch_timeout_seconds,
            allow_private=self.settings.fetch_allow_private_networks,
        )

    # ------------------------------------------------------------------ read

    async def get(self, caller: Caller, video_id: str) -> jobs.Video:
        video = None
        if ids.well_formed(video_id):
            video = await self.videos.get(video_id, project_id=caller.project_id)
        if video is None:
            raise errors.VideoNotFound(
                f"Video with id {errors.show(video_id)} not found.", param="video_id"
            )
        return video

    async def list(
        self, caller: Caller, *, after: str | None, limit: str | None, order: str | None
    ) -> Page:
        count = _limit(limit)
        if order not in (None, "asc", "desc"):
            raise errors.InvalidValue(
                f"Invalid order {errors.show(order)}. Allowed values: asc, desc.", param="order"
            )
        try:
            if after and not ids.well_formed(after):
                raise LookupError(after)
            found, more = await self.videos.list_page(
                caller.project_id, after=after or None, limit=count, descending=order != "asc"
            )
        except LookupError:
            raise errors.InvalidValue(
                f"after={errors.show(after)} is not the id of a video in this project.",
                param="after",
            ) from None
        return Page(videos=found, has_more=more)

    async def content(self, caller: Caller, video_id: str, variant: str | None) -> Content:
        name = variant or "video"
        if name not in VARIANTS:
            raise errors.InvalidValue(
                f"Invalid variant {errors.show(variant)}. Allowed values: {', '.join(VARIANTS)}.",
                param="variant",
            )
        video = await self.get(caller, video_id)
        _require_completed(video, "download its content")
        _require_files(video)
        asset = video.asset(name)
        if asset is None or not await self.storage.exists(asset.key):
            raise errors.ContentGone(
                f"The {name} of video {video.id} is no longer stored.", param="variant"
            )
        return Content(asset=asset, video=video)

    # ------------------------------------------------------------------ delete

    async def delete(self, caller: Caller, video_id: str) -> jobs.Video:
        video = None
        if ids.well_formed(video_id):
            video = await self.videos.delete(caller.project_id, video_id)
        if video is None:
            raise errors.VideoNotFound(
                f"Video with id {errors.show(video_id)} not found.", param="video_id"
            )
        if video.is_terminal:
            await self.purge(video)
        return video

    async def purge(self, video: jobs.Video) -> None:
        """Remove a deleted video's files, then record that they are gone."""
        await self.storage.delete_prefix(f"videos/{video.id}/")
        await self.videos.mark_purged(video.id)

    async def expire_assets(self) -> int:
        """Delete the files of videos past their expires_at; the videos stay listed."""
        due = await self.videos.expired_with_files()
        for video in due:
            await self.storage.delete_prefix(f"videos/{video.id}/")
            await self.videos.mark_assets_deleted(video.id)
        return len(due)

    async def purge_deleted(self) -> int:
        """Finish purges that a crash or a still-running job left for later."""
        pending = await self.videos.deleted_unpurged()
        for video in pending:
            await self.purge(video)
        return len(pending)

    # ------------------------------------------------------------------ preflight

    async def preflight(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await check_prompt(self.catalog, self.moderation, params)

    # ------------------------------------------------------------------ models

    def models(self) -> tuple[catalog.ModelSpec, ...]:
        return self.catalog.models

    def model(self, name: str) -> catalog.ModelSpec:
        model = self.catalog.get(name)
        if model is None:
            raise errors.ModelNotFound(
                f"The model {errors.show(name)} does not exist.", param="model"
            )
        return model


async def check_prompt(
    models: catalog.Catalog, moderation: Moderation, params: Mapping[str, Any]
) -> dict[str, Any]:
    """The preflight: what a create with these parameters would meet, without creating it.

    Shared by ``POST /v1/videos/preflight`` and ``reelway lint``; nothing is counted, queued or
    charged.  Parameters are validated exactly as a create validates them.
    """
    _check_fields(params, PREFLIGHT_FIELDS)
    prompt = _prompt(params.get("prompt"))
    _, model, size, _, seconds = _model_size_seconds(models, params)
    relaxed = _relaxed(params.get("service_tier"))
    review = preflight.review(prompt, seconds=seconds)
    cost = pricing.estimate(model, size, seconds, relaxed=relaxed)
    return {
        "object": "video.preflight",
        "model": model.name,
        "size": size,
        "seconds": str(seconds),
        "moderation": await moderation.preflight(prompt),
        **review.to_dict(),
        "estimate": {
            "credits": cost.credits,
            "cost_usd": cost.usd,
            "relaxed": cost.relaxed,
        },
    }


# ---------------------------------------------------------------------- validation helpers


def _check_fields(params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name in allowed:
            continue
        if name in NOT_YET_SUPPORTED:
            raise errors.UnsupportedParameter(NOT_YET_SUPPORTED[name], param=name)
        raise errors.UnknownParameter(
            f"Unknown parameter: {errors.show(name)}. "
            f"Allowed parameters: {', '.join(sorted(allowed))}.",
            param=name,
        )


def _model_size_seconds(
    models: catalog.Catalog, params: Mapping[str, Any]
) -> tuple[str, catalog.ModelSpec, str, tuple[int, int], int]:
    """The model as asked for (name or alias) and served, and a size (with its width and
    height) and length it allows; create and preflight validate alike."""
    model_name = _optional_string(params, "model") or "sora-2"
    model = models.resolve(model_name)
    size = _optional_string(params, "size") or model.default_size
    dimensions = model.check_size(size)
    seconds = model.check_seconds(_seconds(params.get("seconds"), model.default_seconds))
    return model_name, model, size, dimensions, seconds


def _relaxed(value: Any) -> bool:
    """``service_tier``: Reelway's extension field; "relaxed" asks for relaxed mode."""
    if value is None or value == "default":
        return False
    if value == "relaxed":
        return True
    raise errors.InvalidValue(
        f"Invalid service_tier {errors.show(value)}. Allowed values: {', '.join(SERVICE_TIERS)}.",
        param="service_tier",
    )


@contextlib.contextmanager
def _rate_headers_on_errors(admission: Admission) -> Iterator[None]:
    """A request refused after it was counted still says where its windows stand."""
    try:
        yield
    except errors.ReelwayError as exc:
        for name, value in admission.headers.items():
            exc.headers.setdefault(name, value)
        raise


def _prompt(value: Any) -> str:
    if value is None:
        raise errors.MissingParameter("Missing required parameter: 'prompt'.", param="prompt")
    if not isinstance(value, str):
        raise errors.InvalidValue("prompt must be a string.", param="prompt")
    if not value.strip():
        raise errors.InvalidValue("prompt must not be empty.", param="prompt")
    if len(value) > catalog.MAX_PROMPT_CHARS:
        raise errors.InvalidValue(
            f"prompt is {len(value)} characters; the maximum is {catalog.MAX_PROMPT_CHARS}.",
            param="prompt",
        )
    if "\x00" in value:
        raise errors.InvalidValue("prompt must not contain NUL characters.", param="prompt")
    return value


def _optional_string(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.InvalidValue(f"{name} must be a string, got {errors.show(value)}.", param=name)
    return value


def _seconds(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    raise errors.InvalidValue(
        f"seconds must be a whole number of seconds such as '8', got {errors.show(value)}.",
        param="seconds",
    )


def _seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return value
    raise errors.InvalidValue(
        f"seed must be an integer from 0 to {MAX_SEED}, got {errors.show(value)}.", param="seed"
    )


def _limit(value: str | None) -> int:
    if value is None or value == "":
        return DEFAULT_LIST_LIMIT
    count = numeric.whole(value, 0, MAX_LIST_LIMIT)
    if count is not None:
        return count
    raise errors.InvalidValue(
        f"Invalid limit {errors.show(value)}. Allowed values: integers from 0 to {MAX_LIST_LIMIT}.",
        param="limit",
    )


def _require_files(video: jobs.Video) -> None:
    if video.assets_deleted_at is not None:
        raise errors.VideoExpired(
            f"Video {video.id} expired at {int(video.expires_at or video.assets_deleted_at)} and "
            "its files were deleted; generate it again.",
            param="video_id",
        )


def _require_completed(video: jobs.Video, purpose: str) -> None:
    if video.status is jobs.JobStatus.SUCCEEDED:
        return
    if video.is_terminal:
        code = (video.error or {}).get("code", "unknown")
        raise errors.VideoFailed(
            f"Video {video.id} failed ({code}), so there is nothing to {purpose}; "
            "retrieve it to read its error.",
            param="video_id",
        )
    raise errors.VideoNotReady(
        f"Video {video.id} is {video.public_status} ({video.progress}% done); wait until "
        f"its status is 'completed' to {purpose}.",
        param="video_id",
    )
