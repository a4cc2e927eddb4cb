"""What a job starts from, brought into its folder: the source video and character clips.

An edit, an extension or a remix names a source (a completed video, or an uploaded file); a
job with characters names their clips.  The worker downloads them before routing, so every
engine, and the extension fallback, reads local files.  A missing file fails the job with
``assets_missing``: the source expired or a character was deleted after the job was made.

The extension fallback lives here too: an engine that takes an input image but cannot extend
renders the new segment from the source's last frame, and the worker stitches it on.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
from dataclasses import dataclass
from pathlib import Path

from PIL import Image

from reelway import errors, jobs
from reelway.engines import base
from reelway.media import probe, stitch
from reelway.worker.context import JobContext

log = logging.getLogger(__name__)

USES_SOURCE = frozenset({jobs.JobKind.REMIX, jobs.JobKind.EDIT, jobs.JobKind.EXTEND})
NEEDS_SOURCE = frozenset({jobs.JobKind.EDIT, jobs.JobKind.EXTEND})
"""A remix can still be rendered from its prompt and seed alone; an edit or extension cannot."""


@dataclass(frozen=True)
class Source:
    """The downloaded source video and what the request says about it."""

    video: Path | None = None
    prompt: str | None = None
    seconds: int | None = None
    title: str | None = None
    """How the provenance manifest names it as an ingredient."""


async def source(
    ctx: JobContext, video: jobs.Video, found: jobs.Video | None, workdir: Path
) -> Source:
    """Download the job's source video (stored asset of ``found``, or the uploaded file)."""
    if video.kind not in USES_SOURCE and not continues(video):
        return Source()
    key: str | None = None
    prompt: str | None = None
    title = "uploaded video"
    if video.sources.file is not None:
        key = video.sources.file
    elif found is not None:
        asset = found.asset("video")
        key = None if asset is None or found.assets_deleted_at else asset.key
        prompt, title = found.prompt, f"{found.id}.mp4"
    path = workdir / "source.mp4"
    try:
        if key is None:
            raise FileNotFoundError(video.sources.video_id)
        await ctx.storage.download(key, path)
    except FileNotFoundError:
        if video.kind in NEEDS_SOURCE or continues(video):
            raise errors.AssetsMissing(
                "The source video's file is no longer in storage (it expired or was deleted)."
            ) from None
        log.info("%s: the remixed video's file is gone; rendering from the prompt", video.id)
        return Source(prompt=prompt)
    seconds = video.sources.extends_seconds or None
    if seconds is None:
        if found is not None and found.seconds.isdigit():
            seconds = int(found.seconds)
        else:
            info = await asyncio.to_thread(_probe, path)
            seconds = max(1, round(info.duration))
    return Source(video=path, prompt=prompt, seconds=seconds, title=title)


def _probe(path: Path) -> probe.MediaInfo:
    try:
        return probe.probe(path)
    except Exception as exc:
        raise errors.EngineRuntimeError(f"The source video cannot be read: {exc}") from exc


async def characters(
    ctx: JobContext, video: jobs.Video, workdir: Path
) -> tuple[base.CharacterRef, ...]:
    """Each character the job names, with its clip downloaded, in the job's order."""
    wanted = video.sources.characters
    if not wanted:
        return ()
    found = await ctx.characters.get_many(wanted)
    refs: list[base.CharacterRef] = []
    for character_id in wanted:
        character = found.get(character_id)
        clip = workdir / "characters" / f"{character_id}.mp4"
        try:
            if character is None:
                raise FileNotFoundError(character_id)
            clip.parent.mkdir(parents=True, exist_ok=True)
            await ctx.storage.download(character.clip, clip)
        except FileNotFoundError:
            raise errors.AssetsMissing(
                f"Character {character_id} was deleted after this video was created."
            ) from None
        refs.append(base.CharacterRef(id=character.id, name=character.name, clip=clip))
    return tuple(refs)


def continues(video: jobs.Video) -> bool:
    """Whether the job is a storyboard's ``continue`` shot: a generation from the last frame
    of the shot before (``sources.video_id``), never stitched onto it."""
    return video.kind is jobs.JobKind.SHOT and video.sources.video_id is not None


def stitched(video: jobs.Video, request: base.GenerationRequest) -> bool:
    """Whether this attempt renders only an extension's new segment, to be stitched on."""
    return video.kind is jobs.JobKind.EXTEND and request.kind is jobs.JobKind.GENERATE


async def from_last_frame(request: base.GenerationRequest, workdir: Path) -> base.GenerationRequest:
    """The request for an extension's new segment on an engine that cannot extend: a new
    generation from the source's last frame (at the video's size), ``seconds`` long."""
    if request.source_video is None:
        raise errors.AssetsMissing("The source video's file is missing.")
    frame = workdir / "last_frame.png"
    if not frame.exists():
        await asyncio.to_thread(_last_frame, request.source_video, frame, request)
    return dataclasses.replace(request, kind=jobs.JobKind.GENERATE, input_image=frame)


def _last_frame(video: Path, png: Path, request: base.GenerationRequest) -> None:
    try:
        size = stitch.last_frame(video, png)
    except Exception as exc:
        raise errors.EngineRuntimeError(
            f"The source video's last frame cannot be read: {exc}"
        ) from exc
    if size != (request.width, request.height):  # an input image must be exactly the size
        with Image.open(png) as image:
            image.convert("RGB").resize(
                (request.width, request.height), Image.Resampling.LANCZOS
            ).save(png, "PNG")


async def stitch_on(request: base.GenerationRequest, output: base.RenderOutput) -> Path:
    """Replace the rendered segment with source + segment, previews of the whole; returns
    where the segment was kept (the provenance manifest lists it)."""
    assert request.source_video is not None
    segment = output.video.with_name("segment.mp4")
    output.video.replace(segment)
    try:
        await asyncio.to_thread(
            stitch.stitch,
            request.source_video,
            segment,
            output.video,
            thumbnail=output.thumbnail,
            spritesheet=output.spritesheet,
        )
    except Exception as exc:
        raise errors.EngineRuntimeError(
            f"Stitching the new segment onto the source failed: {type(exc).__name__}: {exc}"
        ) from exc
    return segment
