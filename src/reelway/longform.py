"""Edits and extensions: the use cases that start from a video (``POST /v1/videos/edits`` and
``POST /v1/videos/extensions``).

Each is a ``plan`` handed to ``VideoService.admit``, like create and remix, so idempotency,
limits, moderation, budgets and the route check apply unchanged.  The source is a completed
video of the project (``video: {"id": ...}``, multipart ``video[id]``) or an uploaded MP4
(``video`` file part), checked here: it must decode, and its size must be one the model makes.
"""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from reelway import catalog, errors, jobs, service, validation
from reelway.media import frames, probe

DEFAULT_MODEL = "sora-2"
SCREENED_FRAMES = 4
"""Frames spread over an uploaded source that the input-image moderation sees."""


@dataclass(frozen=True)
class Source:
    """What an edit or extension starts from, however it was given."""

    model_name: str
    model: catalog.ModelSpec
    size: str
    seconds: int
    """Its length in whole seconds (an extension chain's: the stitched total so far)."""
    seed: int | None
    video_id: str | None = None
    extensions: int = 0
    """How many extensions its chain holds already."""
    file: service.SourceFile | None = None
    """An upload, checked and on disk (removed by ``admit`` however the request ends)."""


class Longform:
    """Edits and extensions, on top of one video service."""

    def __init__(self, videos: service.VideoService) -> None:
        self.videos = videos

    async def edit(
        self,
        caller: service.Caller,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> service.Created:
        """A new video that keeps the source's structure, size and length and changes what
        the prompt names; charged for the source's length."""

        async def plan(prompt: str) -> service.JobSpec:
            source = await self._source(caller, params, "edit it", longest=None)
            with _removed_if_refused(source):
                _require(source.model, catalog.Capability.EDITS, "edits")
            return service.JobSpec(
                kind=jobs.JobKind.EDIT,
                model_name=source.model_name,
                model=source.model,
                prompt=prompt,
                size=source.size,
                seconds=source.seconds,
                seed=source.seed,
                sources=jobs.Sources(video_id=source.video_id, extensions=source.extensions),
                source_file=source.file,
            )

        ask = service.Request("edit", params, validation.EDIT_FIELDS, request_id, idempotency_key)
        return await self.videos.admit(caller, ask, plan)

    async def extend(
        self,
        caller: service.Caller,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> service.Created:
        """The source continued by ``seconds`` from its last frame: the video's ``seconds`` is
        the stitched total, the job is charged for the new segment only."""

        async def plan(prompt: str) -> service.JobSpec:
            validation.not_on_extension(params)
            source = await self._source(
                caller, params, "extend it", longest=validation.MAX_EXTENDED_SECONDS
            )
            with _removed_if_refused(source):
                _require(source.model, catalog.Capability.EXTENSIONS, "extensions")
                seconds = validation.extension_seconds(source.model, params.get("seconds"))
                validation.check_extension(source.seconds, source.extensions, seconds)
            return service.JobSpec(
                kind=jobs.JobKind.EXTEND,
                model_name=source.model_name,
                model=source.model,
                prompt=prompt,
                size=source.size,
                seconds=source.seconds + seconds,
                seed=source.seed,
                sources=jobs.Sources(
                    video_id=source.video_id,
                    extends_seconds=source.seconds,
                    extensions=source.extensions + 1,
                ),
                source_file=source.file,
            )

        ask = service.Request(
            "extend", params, validation.EXTEND_FIELDS, request_id, idempotency_key
        )
        return await self.videos.admit(caller, ask, plan)

    async def _source(
        self, caller: service.Caller, params: Mapping[str, Any], purpose: str, longest: int | None
    ) -> Source:
        value = params.get("video")
        if value is None:
            raise errors.MissingParameter(
                'Missing required parameter: \'video\' ({"id": "video_..."} of a completed '
                "video, or an uploaded MP4).",
                param="video",
            )
        if isinstance(value, service.Upload):
            return await self._uploaded(value, params, longest)
        if not isinstance(value, Mapping):
            raise errors.InvalidValue(
                'video must be an object {"id": "video_..."} (multipart: a video[id] field) or '
                f"an uploaded MP4 file, got {errors.show(value)}.",
                param="video",
            )
        unknown = sorted(set(value) - {"id", "file_id"})
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter video.{unknown[0]}; video takes id or file_id (or is an "
                "uploaded file).",
                param=f"video.{unknown[0]}",
            )
        if "file_id" in value:
            if "id" in value:
                raise errors.InvalidValue(
                    "Provide exactly one of video.id or video.file_id.", param="video"
                )
            upload = await self._file(caller, value["file_id"])
            try:
                return await self._uploaded(upload, params, longest)
            finally:
                upload.file.close()
        video_id = value.get("id")
        if not isinstance(video_id, str):
            raise errors.MissingParameter(
                "Missing required parameter: 'video.id' (the id of a completed video).",
                param="video",
            )
        return await self._stored(caller, video_id, params, purpose)

    async def _stored(
        self, caller: service.Caller, video_id: str, params: Mapping[str, Any], purpose: str
    ) -> Source:
        """A completed video of the caller's project; the model comes from it."""
        try:
            video = await self.videos.get(caller, video_id)
        except errors.VideoNotFound as exc:
            raise errors.VideoNotFound(exc.message, param="video") from None
        service.require_completed(video, purpose, param="video")
        service.require_files(video, param="video")
        model = self.videos.catalog.get(video.catalog_model)
        if model is None:
            raise errors.InvalidValue(
                f"The source video's model {video.catalog_model!r} is no longer served here.",
                param="video",
            )
        asked = validation.optional_string(params, "model")
        if asked is not None and self.videos.catalog.resolve(asked) is not model:
            raise errors.InvalidValue(
                f"The source video was made by {video.model!r}; an edit or extension of it "
                "uses that model, so leave model out (it is for uploaded videos).",
                param="model",
            )
        return Source(
            model_name=video.model,
            model=model,
            size=video.size,
            seconds=int(video.seconds),
            seed=video.seed,
            video_id=video.id,
            extensions=video.sources.extensions,
        )

    async def _file(self, caller: service.Caller, file_id: Any) -> service.Upload:
        """A stored file (``/v1/files``) read as if it were uploaded with the request."""
        files = self.videos.files
        if files is None:
            raise errors.UnsupportedParameter(
                "video.file_id is not supported here; upload the MP4.", param="video.file_id"
            )
        spool = await files.open_reference(
            caller.project_id,
            file_id,
            param="video.file_id",
            max_bytes=self.videos.settings.max_image_bytes,
        )
        return service.Upload(filename=None, file=spool)

    async def _uploaded(
        self, upload: service.Upload, params: Mapping[str, Any], longest: int | None
    ) -> Source:
        """An uploaded MP4: decoded to check it, kept on disk until it is stored."""
        model_name = validation.optional_string(params, "model") or DEFAULT_MODEL
        model = self.videos.catalog.resolve(model_name)
        path = await asyncio.to_thread(_spool_to_disk, upload.file, self.videos.settings.tmp_dir)
        try:
            info = await asyncio.to_thread(read_video, path)
            size, seconds = validation.uploaded_video(
                model,
                info.width,
                info.height,
                info.duration,
                longest=max(model.seconds) if longest is None else longest,
            )
            sampled = await asyncio.to_thread(sample_frames, path)  # only once it fits
        except BaseException:
            path.unlink(missing_ok=True)
            raise
        upload_file = service.SourceFile(path, frames=tuple(sampled))
        return Source(model_name, model, size, seconds, None, file=upload_file)


@contextlib.contextmanager
def _removed_if_refused(source: Source) -> Iterator[None]:
    """An uploaded source is the plan's to remove until it returns its ``JobSpec`` (``admit``
    removes it from then on): a refusal in between must not leave it in the scratch folder."""
    try:
        yield
    except BaseException:
        if source.file is not None:
            source.file.path.unlink(missing_ok=True)
        raise


def _require(model: catalog.ModelSpec, capability: catalog.Capability, what: str) -> None:
    if not model.has(capability):
        raise errors.UnsupportedParameter(
            f"Model {model.name!r} does not support {what}.", param="video"
        )


def _spool_to_disk(file: BinaryIO, directory: Path) -> Path:
    """The upload as a file on disk (PyAV and the MP4 box reader need a path), in the
    deployment's scratch folder."""
    directory.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        prefix="source-upload-", suffix=".mp4", dir=directory, delete=False
    ) as out:
        file.seek(0)
        shutil.copyfileobj(file, out)
    return Path(out.name)


_NOT_AN_MP4 = "The uploaded video is not an MP4 that decodes; send an H.264 MP4 file."


def read_video(path: Path) -> probe.MediaInfo:
    """What the file says it holds, or ``InvalidVideo``: an MP4 (its first box ``ftyp``, with
    a ``moov``) with a video stream of some size and length.  Nothing is decoded yet."""
    try:
        atoms = [atom.kind for atom in probe.top_level_atoms(path)]
        info = probe.probe(path) if atoms[:1] == ["ftyp"] and "moov" in atoms else None
    except Exception:  # PyAV and the box reader raise many kinds on a broken file
        info = None
    if info is None or info.width <= 0 or info.height <= 0 or info.duration <= 0:
        raise errors.InvalidVideo(_NOT_AN_MP4, param="video")
    return info


def sample_frames(path: Path) -> list[bytes]:
    """JPEGs of a few frames spread over the video (for moderation), decoding it through, or
    ``InvalidVideo`` when it does not decode."""
    try:
        sampled = frames.sample(path, SCREENED_FRAMES)
    except Exception:
        sampled = []
    if not sampled:
        raise errors.InvalidVideo(_NOT_AN_MP4, param="video")
    return sampled
