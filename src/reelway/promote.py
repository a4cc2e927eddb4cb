"""Promote: render a completed draft again at a final size (``POST /v1/videos/{id}/promote``).

A draft is a video made by a create, usually at a 480p size (``catalog.toml``'s
``reelway_sizes``).  Its promote is a new generation with the draft's prompt, seed, input image
(scaled to the final size), characters, ``negative_prompt``, ``loop`` and ``captions``, so an
engine that decides a scene from prompt and seed (the animatic) renders the same scene,
larger.  It is a ``plan`` handed to ``VideoService.admit`` like every other use case, so
idempotency, limits, moderation, budgets and the route check apply unchanged; the new video
names the draft in ``remixed_from_video_id`` (``jobs.Sources.video_id`` on a generation).
"""

from __future__ import annotations

import asyncio
import io
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from PIL import Image

from reelway import catalog, errors, jobs, service, validation


class Promoter:
    """Promotes drafts, on top of one video service."""

    def __init__(self, videos: service.VideoService) -> None:
        self.videos = videos

    async def promote(
        self,
        caller: service.Caller,
        video_id: str,
        params: Mapping[str, Any],
        request_id: str | None = None,
        idempotency_key: str | None = None,
    ) -> service.Created:
        """A new video: the draft rendered again at ``size`` (and ``model``, ``seconds``)."""

        async def plan(_: str) -> service.JobSpec:
            draft = await self.videos.get(caller, video_id)
            service.require_completed(draft, "promote it")
            service.require_files(draft)
            if draft.kind is not jobs.JobKind.GENERATE or draft.storyboard_id is not None:
                raise errors.NotPromotable(
                    f"Video {draft.id} is a {draft.kind.value}; only a video made by "
                    "POST /v1/videos can be promoted (its prompt and seed decide its scene).",
                    param="video_id",
                )
            model_name, model = self._model(draft, params)
            size = _size(draft, model, params.get("size"))
            seconds = model.check_seconds(
                validation.whole_seconds(params.get("seconds"), int(draft.seconds))
            )
            kept = {"negative_prompt": draft.sources.negative_prompt, "loop": draft.sources.loop}
            negative, looped = validation.extras(model, kept)
            return service.JobSpec(
                kind=jobs.JobKind.GENERATE,
                model_name=model_name,
                model=model,
                prompt=draft.prompt or "",
                size=size,
                seconds=seconds,
                seed=draft.seed,
                sources=jobs.Sources(
                    video_id=draft.id,
                    characters=await self._characters(caller, draft, model),
                    negative_prompt=negative,
                    loop=looped,
                    captions=draft.sources.captions,
                ),
                input_reference=await self._image(draft, size),
            )

        operation = f"promote:{video_id}"
        ask = service.Request(
            operation, params, validation.PROMOTE_FIELDS, request_id, idempotency_key
        )
        return await self.videos.admit(caller, ask, plan, prompted=False)

    def _model(self, draft: jobs.Video, params: Mapping[str, Any]) -> tuple[str, catalog.ModelSpec]:
        """The final's model: the one asked for, else the draft's (as the draft named it)."""
        name = validation.optional_string(params, "model")
        if name is not None:
            return name, self.videos.catalog.resolve(name)
        model = self.videos.catalog.get(draft.catalog_model)
        if model is None:
            raise errors.InvalidValue(
                f"The draft's model {draft.catalog_model!r} is no longer served here; name "
                "a model to promote it with.",
                param="model",
            )
        return draft.model, model

    async def _characters(
        self, caller: service.Caller, draft: jobs.Video, model: catalog.ModelSpec
    ) -> tuple[str, ...]:
        """The draft's characters, checked again (one may have been deleted since)."""
        if not draft.sources.characters:
            return ()
        if self.videos.characters is None or not model.has(catalog.Capability.CHARACTERS):
            raise errors.UnsupportedParameter(
                f"The draft casts characters, which model {model.name!r} does not take here.",
                param="model",
            )
        wanted = [{"id": c} for c in draft.sources.characters]
        return await self.videos.characters.referenced(
            caller.project_id, wanted, draft.prompt or ""
        )

    async def _image(self, draft: jobs.Video, size: str) -> service.Upload | None:
        """The draft's input image scaled to the final size (it is the first frame), as an
        upload that ``admit`` checks and screens like any other."""
        if not draft.input_reference:
            return None
        with tempfile.TemporaryDirectory(prefix="reelway-promote-") as scratch:
            local = Path(scratch) / "input"
            try:
                await self.videos.storage.download(draft.input_reference, local)
            except FileNotFoundError:
                raise errors.VideoExpired(
                    f"The input image of video {draft.id} is no longer stored; generate the "
                    "draft again.",
                    param="video_id",
                ) from None
            data = await asyncio.to_thread(_scaled_png, local, catalog.parse_size(size))
        return service.Upload(filename="input.png", file=io.BytesIO(data))


def _size(draft: jobs.Video, model: catalog.ModelSpec, value: Any) -> str:
    """The final's size: required, one the model makes, larger than the draft's and in the
    draft's aspect ratio (so the final shows the draft's scene)."""
    if value is None:
        raise errors.MissingParameter(
            "Missing required parameter: 'size' (the final's size, larger than the draft's).",
            param="size",
        )
    size = validation.optional_string({"size": value}, "size")
    assert size is not None
    width, height = model.check_size(size)
    draft_width, draft_height = catalog.parse_size(draft.size)
    if size == draft.size or width * height <= draft_width * draft_height:
        raise errors.NothingToPromote(
            f"Video {draft.id} is already {draft.size}; promote it to a larger size of model "
            f"{model.name!r} ({', '.join(larger(model, draft.size)) or 'it has none'}).",
            param="size",
        )
    wanted, have = (
        catalog.aspect_ratio(width, height),
        catalog.aspect_ratio(draft_width, draft_height),
    )
    if wanted != have:
        raise errors.NotPromotable(
            f"Video {draft.id} is {have} ({draft.size}); a promote keeps the draft's aspect "
            f"ratio, so ask for one of: {', '.join(larger(model, draft.size)) or 'none'}.",
            param="size",
        )
    return size


def larger(model: catalog.ModelSpec, size: str) -> list[str]:
    """The model's sizes a video of ``size`` may be promoted to: same aspect ratio, more
    pixels."""
    width, height = catalog.parse_size(size)
    ratio = catalog.aspect_ratio(width, height)
    found = []
    for candidate in model.sizes:
        w, h = catalog.parse_size(candidate)
        if w * h > width * height and catalog.aspect_ratio(w, h) == ratio:
            found.append(candidate)
    return found


def _scaled_png(path: Path, size: tuple[int, int]) -> bytes:
    with Image.open(path) as image:
        scaled = image.convert("RGB").resize(size, Image.Resampling.LANCZOS)
    out = io.BytesIO()
    scaled.save(out, format="PNG")
    return out.getvalue()
