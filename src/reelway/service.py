"""The use cases behind the API and the CLI: create, remix, get, list, delete, content, models.

Input arrives as plain values (strings, numbers, nested dicts, uploads) from either body
encoding; the rules live in ``validation`` so that both encodings, the preflight, the CLI and
tests share one set of rules and one set of error messages.  Every use case that queues a job
goes through ``VideoService.admit`` with a ``plan`` of its own that returns a ``JobSpec``: a
new kind of job (edit, extend, storyboard shot) is one more such method, not a copy.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from reelway import (
    capabilities,
    catalog,
    errors,
    idempotency,
    ids,
    images,
    inputs,
    jobs,
    logs,
    validation,
)
from reelway.accounts import AccountService, Admission, Schedule
from reelway.characters import CharacterService
from reelway.files import FileService
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

# Kept here for callers that read them off the service (the API's field lists, ``reelway lint``).
CREATE_FIELDS = validation.CREATE_FIELDS
REMIX_FIELDS = validation.REMIX_FIELDS
PREFLIGHT_FIELDS = validation.PREFLIGHT_FIELDS
check_prompt = validation.check_prompt
VARIANTS = {"video": "video/mp4", "thumbnail": "image/webp", "spritesheet": "image/jpeg"}
QUEUE_FULL_RETRY_SECONDS = 10.0
SERVER_BUSY_RETRY_SECONDS = 15.0
QUEUE_TOTAL_TTL_SECONDS = 1.0


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart body, spooled (in memory only while small)."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class SourceFile:
    """An uploaded source video, checked and on local disk until the job is queued; ``admit``
    stores it under ``videos/{id}/source.mp4`` (``Sources.file``) and then removes it."""

    path: Path
    content_type: str = "video/mp4"
    frames: tuple[bytes, ...] = ()
    """JPEGs of a few of its frames, screened by the input-image moderation."""


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
class Request:
    """A request to queue a job, as it arrived (what the Idempotency-Key fingerprints)."""

    operation: str
    """The use case and its target, e.g. ``create`` or ``remix:video_...``."""
    params: Mapping[str, Any]
    allowed: frozenset[str]
    request_id: str | None = None
    idempotency_key: str | None = None


@dataclass(frozen=True)
class JobSpec:
    """One job to queue, whatever its kind: what a use case asks ``_enqueue`` to store."""

    kind: jobs.JobKind
    model_name: str
    """The model as the request named it (an alias stays an alias in the answer)."""
    model: catalog.ModelSpec
    prompt: str
    size: str
    seconds: int
    seed: int | None
    """None: derived from the model, prompt, size, length and input image."""
    sources: jobs.Sources = jobs.NO_SOURCES
    input_reference: Any = None
    """The input image as the request gave it (an upload or an object); read once admitted."""
    image: images.CheckedImage | None = None
    """The input image, checked and screened."""
    copy_reference: str | None = None
    """The storage key of a source video's input image, copied to the new video."""
    source_file: SourceFile | None = None
    """An uploaded source video (edit, extend), stored as the new video's ``Sources.file``."""

    @property
    def new_seconds(self) -> int:
        """What the job renders and is charged for: an extension's new segment (``seconds`` is
        the stitched total), the whole length otherwise (``jobs.Sources.extends_seconds``)."""
        return self.seconds - self.sources.extends_seconds

    @property
    def needs(self) -> capabilities.Needs:
        """What an engine must offer to serve it.  An image the model itself does not take
        is left out: that refusal names the model, after admission, as it always has."""
        used: set[catalog.Capability] = set()
        if self.input_reference is not None and self.model.has(catalog.Capability.IMAGE_INPUT):
            used.add(catalog.Capability.IMAGE_INPUT)
        if self.sources.characters:
            used.add(catalog.Capability.CHARACTERS)
        used |= validation.extra_needs(self.sources.negative_prompt, self.sources.loop)
        if self.kind in KIND_NEEDS:
            used.add(KIND_NEEDS[self.kind])
        return capabilities.Needs(self.size, self.new_seconds, frozenset(used))


KIND_NEEDS = {
    jobs.JobKind.EDIT: catalog.Capability.EDITS,
    jobs.JobKind.EXTEND: catalog.Capability.EXTENSIONS,
}
"""The capability an engine needs to serve each kind (a remix is served either way)."""


@dataclass(frozen=True)
class Admitted:
    """A request that passed admission: who, counted how, and its idempotency record."""

    caller: Caller
    request_id: str | None
    admission: Admission
    schedule: Schedule
    key: str | None
    fingerprint: str


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
        engine_infos: validation.EngineInfos | None = None,
        characters: CharacterService | None = None,
        files: FileService | None = None,
    ) -> None:
        self.settings = settings
        self.moderation = moderation or Moderation()
        self.catalog = models
        self.videos = videos
        self.keys = keys
        self.accounts = accounts
        self.storage = storage
        self.on_enqueue = on_enqueue
        self.engine_infos = engine_infos
        """What each routed engine can do; a request none on its route can serve is a 400."""
        self._queued_total: tuple[int, float] = (0, float("-inf"))
        self.characters = characters
        """Checks a create's ``characters`` (None: a create naming any is refused)."""
        self.files = files
        """Opens a create's ``input_reference.file_id`` (None: a create naming one is refused)."""

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
        async def plan(prompt: str) -> JobSpec:
            model_name, model, size, _, seconds = validation.model_size_seconds(
                self.catalog, params
            )
            negative, looped = validation.extras(model, params)
            return JobSpec(
                kind=jobs.JobKind.GENERATE,
                model_name=model_name,
                model=model,
                prompt=prompt,
                size=size,
                seconds=seconds,
                seed=validation.seed(params.get("seed")),
                sources=jobs.Sources(
                    characters=await self._characters(caller, params, prompt, model),
                    negative_prompt=negative,
                    loop=looped,
                    captions=validation.captions(params.get("captions")),
                ),
                input_reference=params.get("input_reference"),
            )

        ask = Request("create", params, validation.CREATE_FIELDS, request_id, idempotency_key)
        return await self.admit(caller, ask, plan)

    async def remix(
        self,
        caller: Caller,
        video_id: str,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> Created:
        async def plan(prompt: str) -> JobSpec:
            source = await self.get(caller, video_id)
            require_completed(source, "remix it")
            require_files(source)
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
            return JobSpec(
                kind=jobs.JobKind.REMIX,
                model_name=source.model,
                model=model,
                prompt=prompt,
                size=source.size,
                seconds=int(source.seconds),
                seed=source.seed,
                sources=jobs.Sources(  # a remix keeps what its source was asked not to show
                    video_id=source.id,
                    negative_prompt=source.sources.negative_prompt,
                    loop=source.sources.loop,
                    captions=source.sources.captions,
                ),
                copy_reference=source.input_reference,
            )

        operation = f"remix:{video_id}"
        ask = Request(operation, params, validation.REMIX_FIELDS, request_id, idempotency_key)
        return await self.admit(caller, ask, plan)

    async def admit(
        self,
        caller: Caller,
        ask: Request,
        plan: Callable[[str], Awaitable[JobSpec]],
        *,
        prompted: bool = True,
    ) -> Created:
        """The one path of every use case that queues a job.

        In order: the Idempotency-Key (a replay answers as the first request was answered),
        the fields, the prompt and tier, the use case's own checks (``plan``), whether an engine
        on the route can serve it, the server's queue bound, the project's admission (counted
        from here on, so later refusals carry the rate headers), moderation of the prompt (and
        of an uploaded source video's frames), the input image, and the insert.  Edits and
        extensions (``longform``) come this way too; a promote (``promote``) takes no prompt
        (``prompted=False``: its plan gets "" and returns its draft's prompt).
        """
        key, fingerprint, replayed = await self.idempotent(caller, ask)
        if replayed is not None:
            return replayed
        validation.check_fields(ask.params, ask.allowed)
        prompt = validation.prompt(ask.params.get("prompt")) if prompted else ""
        relaxed = validation.relaxed(ask.params.get("service_tier"))
        spec = await plan(prompt)
        try:
            return await self._admit_planned(caller, ask, spec, relaxed, key, fingerprint)
        finally:
            if spec.source_file is not None:
                spec.source_file.path.unlink(missing_ok=True)

    async def _admit_planned(
        self,
        caller: Caller,
        ask: Request,
        spec: JobSpec,
        relaxed: bool,
        key: str | None,
        fingerprint: str,
    ) -> Created:
        """The rest of ``admit`` once the use case has planned its job."""
        prompt = spec.prompt
        validation.check_servable(spec.model, spec.needs, self.engine_infos)
        admission = await self.let_in(caller)
        with rate_headers_on_errors(admission):
            schedule = self.accounts.schedule(admission, relaxed)
            await self.moderation.screen_prompt(prompt)
            if spec.source_file is not None:
                await self._screen_source(spec.source_file)
            image = await self.reference_image(
                spec.input_reference, spec.model, spec.size, project_id=caller.project_id
            )
            try:
                seed = spec.seed
                if seed is None:
                    digest = image.sha256 if image else ""
                    seed = ids.stable_seed(spec.model.name, prompt, spec.size, spec.seconds, digest)
                admitted = Admitted(caller, ask.request_id, admission, schedule, key, fingerprint)
                return await self._enqueue(admitted, replace(spec, seed=seed, image=image))
            finally:
                if image is not None:
                    image.file.close()

    async def idempotent(
        self, caller: Caller, ask: Request
    ) -> tuple[str | None, str, Created | None]:
        """The request's Idempotency-Key and fingerprint, and the first answer when the key
        was used already (a replay)."""
        key = idempotency.check_key(ask.idempotency_key)
        fingerprint = await idempotency.fingerprint(ask.operation, ask.params) if key else ""
        if key and (taken := await self.videos.find_key(caller.project_id, key)):
            return key, fingerprint, await self.replay(caller, taken, fingerprint)
        return key, fingerprint, None

    async def let_in(self, caller: Caller) -> Admission:
        """The server's queue bound, then the project's admission: one counted request."""
        await self._check_server_queue()
        return await self.accounts.admit(
            caller.project_id, cache_seconds=self.settings.auth_cache_seconds
        )

    async def store_image(self, video_id: str, image: images.CheckedImage) -> str:
        """A checked input image under the video's folder; its storage key."""
        reference = f"videos/{video_id}/input.{image.extension}"
        await self.storage.put_stream(reference, image.file, image.content_type)
        return reference

    def new_video(
        self,
        admitted: Admitted,
        spec: JobSpec,
        video_id: str,
        reference: str | None,
        sources: jobs.Sources,
    ) -> NewVideo:
        """An admitted job's row: its schedule, deadline, reservation and watermark."""
        assert spec.seed is not None
        admission, schedule = admitted.admission, admitted.schedule
        return NewVideo(
            id=video_id,
            project_id=admitted.caller.project_id,
            model=spec.model_name,
            catalog_model=spec.model.name,
            prompt=spec.prompt,
            size=spec.size,
            seconds=str(spec.seconds),
            seed=spec.seed,
            input_reference=reference,
            kind=spec.kind,
            sources=sources,
            request_id=admitted.request_id,
            max_attempts=self.settings.max_attempts,
            deadline_seconds=None if schedule.relaxed else self.settings.job_deadline_seconds,
            priority=schedule.priority,
            run_at=schedule.run_at,
            reservation=self.accounts.reservation(
                admission, video_id, spec.model, spec.size, spec.new_seconds, schedule.relaxed
            ),
            watermark=self.accounts.watermark(admission.project),
        )

    def idempotency_key(self, admitted: Admitted) -> IdempotencyKey | None:
        if not admitted.key:
            return None
        ttl = self.settings.idempotency_hours * 3600
        return IdempotencyKey(admitted.key, admitted.fingerprint, ttl)

    def queue_full(self) -> errors.QueueFull:
        return errors.QueueFull(
            f"Your project already has {self.settings.project_queue_limit} videos "
            "waiting, the most it may; retry when some have started.",
            retry_after=QUEUE_FULL_RETRY_SECONDS,
        )

    def queued(self, count: int) -> None:
        """``count`` jobs were just queued: the cached total and the worker's wake-up."""
        self._queued_total = (self._queued_total[0] + count, self._queued_total[1])
        self.on_enqueue()

    async def _enqueue(self, admitted: Admitted, spec: JobSpec) -> Created:
        assert spec.seed is not None
        caller, admission = admitted.caller, admitted.admission
        video_id = ids.new_id("video")
        logs.video_id.set(video_id)  # this request's log lines name the video from here on
        reference: str | None = None
        stored = False
        if spec.image is not None:
            reference = await self.store_image(video_id, spec.image)
            stored = True
        elif spec.copy_reference:
            reference = f"videos/{video_id}/{spec.copy_reference.rsplit('/', 1)[-1]}"
            await self.storage.copy(spec.copy_reference, reference)
            stored = True
        sources = spec.sources
        try:
            if spec.source_file is not None:
                sources = replace(sources, file=f"videos/{video_id}/source.mp4")
                stored = True
                assert sources.file is not None
                with spec.source_file.path.open("rb") as source:
                    await self.storage.put_stream(
                        sources.file, source, spec.source_file.content_type
                    )
            new = self.new_video(admitted, spec, video_id, reference, sources)
            limit = self.settings.project_queue_limit
            outcome: jobs.Video | KeyTaken
            if keyed := self.idempotency_key(admitted):
                outcome = await self.videos.insert_keyed(new, keyed, queue_limit=limit)
            else:
                outcome = await self.videos.insert(new, queue_limit=limit)
        except BaseException as exc:
            if stored:
                await self.storage.delete_prefix(f"videos/{video_id}/")
            if isinstance(exc, QueueLimitReached):
                raise self.queue_full() from None
            raise
        if isinstance(outcome, KeyTaken):
            # A concurrent request with the same key won; answer as it was answered.
            if stored:
                await self.storage.delete_prefix(f"videos/{video_id}/")
            return await self.replay(caller, outcome, admitted.fingerprint)
        log.debug("queued %s (%s %s %ss)", outcome.id, spec.model.name, spec.size, spec.seconds)
        self.queued(1)
        return Created(outcome, headers=admission.headers)

    async def replay(self, caller: Caller, taken: KeyTaken, fingerprint: str) -> Created:
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

    async def _characters(
        self, caller: Caller, params: Mapping[str, Any], prompt: str, model: catalog.ModelSpec
    ) -> tuple[str, ...]:
        """A create's ``characters``: at most two of the project's, each named in the prompt."""
        value = params.get("characters")
        if value is None or value == []:
            return ()
        if self.characters is None or not model.has(catalog.Capability.CHARACTERS):
            raise errors.UnsupportedParameter(
                f"Model {model.name!r} does not take characters here.", param="characters"
            )
        return await self.characters.referenced(caller.project_id, value, prompt)

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

    async def _screen_source(self, source: SourceFile) -> None:
        """An uploaded source video's frames through the input-image moderation (a real
        human face is refused by default, as in an input image)."""
        if not self.moderation.input_image:
            return
        for frame in source.frames:
            try:
                await self.moderation.screen_input_image(frame, param="video")
            except errors.ContentBlocked as exc:
                raise errors.ContentBlocked(
                    exc.message.replace("The input image", "The uploaded video", 1),
                    param="video",
                    details=exc.details,
                ) from None

    async def reference_image(
        self, value: Any, model: catalog.ModelSpec, size: str, *, project_id: str | None = None
    ) -> images.CheckedImage | None:
        """The input image, from an upload, a URL or a stored file (``file_id``, of
        ``project_id``), through one set of checks: format, size, moderation."""
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
            source = await self._reference_object(value, project_id)
            param = "input_reference." + ("file_id" if "file_id" in value else "image_url")
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
                expected_size=model.check_size(size),
            )
            if self.moderation.input_image:
                data = await asyncio.to_thread(checked.file.read)
                checked.file.seek(0)
                await self.moderation.screen_input_image(data, param=param)
            return checked
        except BaseException:
            source.close()
            raise

    async def _reference_object(self, value: Mapping[str, Any], project_id: str | None) -> BinaryIO:
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
            if self.files is None or project_id is None:
                raise errors.UnsupportedParameter(
                    "input_reference.file_id is not supported here; upload the image as "
                    "input_reference or pass input_reference.image_url.",
                    param="input_reference.file_id",
                )
            return await self.files.open_reference(
                project_id,
                value["file_id"],
                param="input_reference.file_id",
                max_bytes=self.settings.max_image_bytes,
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
        ask = validation.page(after, limit, order, "a video")
        try:
            found, more = await self.videos.list_page(
                caller.project_id, after=ask.after, limit=ask.limit, descending=ask.descending
            )
        except LookupError:
            raise validation.unknown_after(after, "a video") from None
        return Page(videos=found, has_more=more)

    async def content(self, caller: Caller, video_id: str, variant: str | None) -> Content:
        name = variant or "video"
        if name not in VARIANTS:
            raise errors.InvalidValue(
                f"Invalid variant {errors.show(variant)}. Allowed values: {', '.join(VARIANTS)}.",
                param="variant",
            )
        video = await self.get(caller, video_id)
        require_completed(video, "download its content")
        require_files(video)
        asset = video.asset(name)
        if asset is None or not await self.storage.exists(asset.key):
            if video.expires_at is not None and video.expires_at <= time.time():
                # Housekeeping deletes the files before it marks the row: an expired
                # video caught in between is expired, not "gone".
                require_files(replace(video, assets_deleted_at=video.expires_at))
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
            # Nothing renders it any more: its files go now (else the worker's housekeeping
            # removes them once its job stops).
            await self.storage.delete_prefix(f"videos/{video.id}/")
            await self.videos.mark_purged(video.id)
        return video

    # ------------------------------------------------------------------ preflight

    async def preflight(self, params: Mapping[str, Any]) -> dict[str, Any]:
        return await validation.check_prompt(
            self.catalog, self.moderation, params, self.engine_infos
        )

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


# ---------------------------------------------------------------------- helpers


@contextlib.contextmanager
def rate_headers_on_errors(admission: Admission) -> Iterator[None]:
    """A request refused after it was counted still says where its windows stand."""
    try:
        yield
    except errors.ReelwayError as exc:
        for name, value in admission.headers.items():
            exc.headers.setdefault(name, value)
        raise


def require_files(video: jobs.Video, param: str = "video_id") -> None:
    """Refuse a video whose files expired (its content, or a source to start from)."""
    if video.assets_deleted_at is not None:
        raise errors.VideoExpired(
            f"Video {video.id} expired at {int(video.expires_at or video.assets_deleted_at)} and "
            "its files were deleted; generate it again.",
            param=param,
        )


def require_completed(video: jobs.Video, purpose: str, param: str = "video_id") -> None:
    """Refuse a video that has not completed (still rendering, or failed)."""
    if video.status is jobs.JobStatus.SUCCEEDED:
        return
    if video.is_terminal:
        code = video.error.code if video.error else "unknown"
        raise errors.VideoFailed(
            f"Video {video.id} failed ({code}), so there is nothing to {purpose}; "
            "retrieve it to read its error.",
            param=param,
        )
    raise errors.VideoNotReady(
        f"Video {video.id} is {video.public_status} ({video.progress}% done); wait until "
        f"its status is 'completed' to {purpose}.",
        param=param,
    )
