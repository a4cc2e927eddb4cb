"""What happens to an engine's files before they are stored: output moderation, the visible
watermark, and C2PA signing.

The order matters: moderation looks at what the engine made; the watermark changes pixels, so
it comes before signing; signing is last so the manifest's hashes cover the served bytes.  A
hosted provider's original file becomes the manifest's parent ingredient, which keeps the
provider's own C2PA manifest (if it had one) inside Reelway's; the source video of an edit
or an extension is listed as a component, keeping its manifest too.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import reelway
from reelway import errors, jobs
from reelway.engines import base
from reelway.media import frames, previews, provenance, watermark
from reelway.policy.moderation import Moderation
from reelway.worker import stages

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Finisher:
    moderation: Moderation
    signer: provenance.Signer | None
    mark: watermark.Watermark

    async def finish(
        self,
        video: jobs.Video,
        engine: str,
        output: base.RenderOutput,
        *,
        remote: bool,
        components: Sequence[provenance.Component] = (),
        marked_seconds: float = 0.0,
    ) -> None:
        """Raise ``errors.ModerationBlocked`` (or ``OutputModerationFailed``) to refuse.

        ``components`` (an edit's or extension's source video, a stitched segment) become
        the video manifest's ``componentOf`` ingredients; ``marked_seconds``: how much of the
        video's start already carries the watermark (an extension stitched onto a marked
        source), so it is not marked twice."""
        if self.moderation.checks_output:
            with stages.stage("moderation"):
                try:
                    sampled = await asyncio.to_thread(
                        frames.sample, output.video, self.moderation.output_frames
                    )
                except Exception as exc:
                    raise errors.EngineRuntimeError(
                        f"The video's frames could not be read for moderation: "
                        f"{type(exc).__name__}: {exc}"
                    ) from exc
                await self.moderation.screen_output(sampled)
        try:
            await self._mark_and_sign(
                video,
                engine,
                output,
                remote=remote,
                components=components,
                marked_seconds=marked_seconds,
            )
        except Exception as exc:  # a library's own error: record it, never crash the worker
            raise errors.EngineRuntimeError(
                f"Finishing the video (watermark, C2PA signing) failed: {type(exc).__name__}: {exc}"
            ) from exc

    async def _mark_and_sign(
        self,
        video: jobs.Video,
        engine: str,
        output: base.RenderOutput,
        *,
        remote: bool,
        components: Sequence[provenance.Component] = (),
        marked_seconds: float = 0.0,
    ) -> None:
        edits: list[str] = []
        provider: Path | None = None
        if remote:
            # Keep the provider's bytes untouched: they are the manifest's parent ingredient.
            provider = output.video.with_name("provider" + output.video.suffix)
            os.replace(output.video, provider)
        current = provider or output.video
        if video.watermark:
            marked = output.video.with_name("marked" + output.video.suffix)
            with stages.stage("watermark"):
                await self._watermark(current, marked, output, marked_seconds)
            edits.append("watermark")
            current = marked
        if self.signer is None:
            if current != output.video:
                os.replace(current, output.video)
            return
        with stages.stage("signing"):
            await self._sign(video, engine, output, current, provider, edits, components, remote)
        log.debug("finished %s (%s)", video.id, ", ".join(edits) or "signed")

    async def _watermark(
        self, current: Path, marked: Path, output: base.RenderOutput, marked_seconds: float
    ) -> None:
        await asyncio.to_thread(
            functools.partial(
                watermark.apply_to_video, current, marked, self.mark, from_seconds=marked_seconds
            )
        )
        if marked_seconds > 0:
            # Previews of a partly marked video are made from the marked result, so no
            # frame of them carries the mark twice.
            await asyncio.to_thread(
                previews.previews_from_video, marked, output.thumbnail, output.spritesheet
            )
        else:
            for image in (output.thumbnail, output.spritesheet):
                await asyncio.to_thread(watermark.apply_to_image, image, self.mark)

    async def _sign(
        self,
        video: jobs.Video,
        engine: str,
        output: base.RenderOutput,
        current: Path,
        provider: Path | None,
        edits: list[str],
        components: Sequence[provenance.Component],
        remote: bool,
    ) -> None:
        assert self.signer is not None
        claim = _claim(video, engine, f"{video.id}.mp4")
        await asyncio.to_thread(
            self.signer.sign, current, output.video, "video/mp4", claim, provider, edits, components
        )
        try:
            await self._sign_previews(video, engine, output, edits)
        except Exception as exc:
            if not remote:
                raise
            # A provider's previews may be in a form c2pa cannot sign: make ours instead.
            log.info("remaking the previews of %s to sign them (%s)", video.id, exc)
            with stages.stage("previews"):
                await asyncio.to_thread(
                    previews.previews_from_video,
                    output.video,
                    output.thumbnail,
                    output.spritesheet,
                )
            await self._sign_previews(video, engine, output, edits)

    async def _sign_previews(
        self, video: jobs.Video, engine: str, output: base.RenderOutput, edits: list[str]
    ) -> None:
        assert self.signer is not None
        for image, mime in ((output.thumbnail, "image/webp"), (output.spritesheet, "image/jpeg")):
            claim = _claim(video, engine, image.name)
            await asyncio.to_thread(self.signer.sign, image, image, mime, claim, None, edits)


def _claim(video: jobs.Video, engine: str, title: str) -> provenance.Claim:
    return provenance.Claim(
        title=title,
        model=video.catalog_model,
        engine=engine,
        video_id=video.id,
        reelway_version=reelway.__version__,
    )
