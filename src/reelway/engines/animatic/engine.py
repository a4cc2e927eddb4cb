"""The animatic engine: a deterministic, CPU-only storyboard renderer, Reelway's default.

It exists so that a new install, a test suite and a CI pipeline get real H.264/AAC videos of
the requested size and length without a GPU.  Rendering runs on a producer thread (compose,
convert to yuv420p, overlay) feeding the encoder through a small bounded queue; x264 releases
the GIL, so the two overlap on a two-core machine.
"""

from __future__ import annotations

import contextlib
import dataclasses
import queue
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from av.video.frame import VideoFrame
from PIL import Image

from reelway import catalog, errors, jobs
from reelway.engines import base
from reelway.engines.animatic import audio as audio_mod
from reelway.engines.animatic import characters as characters_mod
from reelway.engines.animatic import extension
from reelway.engines.animatic import render as render_mod
from reelway.engines.animatic import scene as scene_mod
from reelway.media import encode, previews, probe, stitch

_QUEUE_FRAMES = 12
_QUEUE_BYTES = 48 << 20
"""Frames rendered ahead of the encoder: enough to smooth out the two threads' uneven
steps (12 measured 4 % faster than 4 at 1280x720), and never more than this many bytes."""
_DONE = object()
_KEEPS_SCENE = frozenset({jobs.JobKind.REMIX, jobs.JobKind.EDIT, jobs.JobKind.EXTEND})
"""Jobs that re-render their source's scene with the new prompt's changes."""
_COMMENT = "Reelway animatic"
_UNCAPTIONED = " · captions off"
"""The end of the comment tag of a video drawn without captions (a remix keeps that)."""


@dataclass
class _Failure:
    error: BaseException


def short_title(prompt: str, limit: int = 60) -> str:
    """The prompt's first words, for the MP4 title tag."""
    text = " ".join(prompt.split())
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(",;:.") + "…"


class AnimaticEngine:
    """Procedural storyboard animatics: prompt -> palette, layers, subject, motion, captions.

    Options (all keyword, all checked here so a bad configuration fails at start-up):

    - ``fps``: frames per second of every clip (24).
    - ``preset``, ``crf``: libx264 settings (ultrafast, 23): the picture is flat-shaded, so
      ultrafast costs little quality and keeps renders several times faster than real time.
    - ``audio``: write the procedural soundtrack (True).
    - ``captions``: draw the storyboard lower third, label and timecode (True): the
      deployment's default, which a request's ``captions`` field overrides.
    - ``detail``: canvas resolution relative to the output (0.75).  Flat-shaded art looks the
      same after swscale's upscale, for about half the compositing; captions are always drawn
      at full resolution.
    """

    KIND: ClassVar[base.EngineKind] = base.EngineKind.LOCAL

    def __init__(
        self,
        *,
        fps: int = 24,
        preset: str = "ultrafast",
        crf: int = 23,
        audio: bool = True,
        captions: bool = True,
        detail: float = 0.75,
    ) -> None:
        if isinstance(fps, bool) or not isinstance(fps, int) or not 1 <= fps <= 60:
            raise ValueError(f"animatic fps must be an integer from 1 to 60, got {fps!r}")
        if preset not in encode.PRESETS:
            raise ValueError(
                f"animatic preset must be one of {', '.join(encode.PRESETS)}, got {preset!r}"
            )
        if isinstance(crf, bool) or not isinstance(crf, int) or not 0 <= crf <= 51:
            raise ValueError(f"animatic crf must be an integer from 0 to 51, got {crf!r}")
        if not isinstance(audio, bool) or not isinstance(captions, bool):
            raise ValueError("animatic audio and captions options must be true or false")
        if not isinstance(detail, int | float) or not 0.25 <= detail <= 1.0:
            raise ValueError(f"animatic detail must be a number from 0.25 to 1, got {detail!r}")
        self.fps, self.preset, self.crf = fps, preset, crf
        self.audio, self.captions = audio, captions
        self.detail = float(detail)
        self.threaded = encode.usable_cores() > 1
        """Render on a producer thread; False on a single core, where it only costs."""

    @property
    def info(self) -> base.EngineInfo:
        """Any size and length; an input image; a remix or edit of any video (it re-renders
        the source's scene with the prompt's changes); an extension (it continues the scene
        and stitches it on); characters; a negative prompt (what it names is left out of the
        scene); a loop (every motion periodic over the clip); a soundtrack unless ``audio``
        is off."""
        abilities = {
            catalog.Capability.IMAGE_INPUT,
            catalog.Capability.REMIX,
            catalog.Capability.EDITS,
            catalog.Capability.EXTENSIONS,
            catalog.Capability.CHARACTERS,
            catalog.Capability.NEGATIVE_PROMPT,
            catalog.Capability.LOOP,
        }
        if self.audio:
            abilities.add(catalog.Capability.AUDIO)
        return base.EngineInfo(name="animatic", kind=self.KIND, capabilities=frozenset(abilities))

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        """Write video, thumbnail and spritesheet in one pass; ``progress`` may raise to cancel.

        A remix or edit re-renders the source's scene with the prompt's changes; an
        extension renders the continuation and stitches it after the source's own frames.
        """
        encode.check_size(request.width, request.height)
        if request.seconds < 1:
            raise ValueError(f"seconds must be at least 1, got {request.seconds}")
        cancelled: list[BaseException] = []

        def report(percent: int) -> None:
            try:
                progress(percent)
            except BaseException as exc:  # the caller's own exception: re-raised untouched
                cancelled.append(exc)
                raise

        report(0)
        scratch: list[Path] = []
        try:
            if request.kind is jobs.JobKind.EXTEND:
                result = self._extend(request, output, report, scratch)
            else:
                scene = self._scene(request)
                self._write(scene, request.input_image, request, output, report, None)
                report(99)
                result = base.RenderResult(
                    duration=float(request.seconds),
                    frames=scene.frame_count,
                    fps=float(self.fps),
                    has_audio=self.audio,
                )
            report(100)  # only now are all three files complete
        except BaseException as exc:
            for path in (output.video, output.thumbnail, output.spritesheet):
                path.unlink(missing_ok=True)
            if exc in cancelled or isinstance(exc, errors.JobFailure | KeyboardInterrupt):
                raise
            if isinstance(exc, Exception):
                raise errors.EngineRuntimeError(f"animatic render failed: {exc}") from exc
            raise
        finally:
            for path in scratch:
                path.unlink(missing_ok=True)
        return result

    def _scene(
        self, request: base.GenerationRequest, source_seconds: int | None = None
    ) -> scene_mod.Scene:
        """The shot: the prompt's, on the source's scene for a remix, edit or extension, with
        the first named character as the subject and a second beside it."""
        cast = [
            characters_mod.look(ref)
            for ref in characters_mod.all_named(request.characters, request.prompt)[:2]
        ]
        keeps = request.kind in _KEEPS_SCENE
        source_prompt = request.source_prompt if keeps else None
        recorded = None
        if keeps and request.source_video is not None:
            recorded = scene_mod.recall(extension.tag(request.source_video, scene_mod.SCENE_TAG))
        return scene_mod.build(
            request.prompt,
            request.seed,
            request.width,
            request.height,
            request.seconds,
            self.fps,
            source_prompt=source_prompt,
            source_seconds=source_seconds,
            character=cast[0] if cast else None,
            source_scene=recorded,
            companion=cast[1] if len(cast) > 1 else None,
            negative=request.sources.negative_prompt,
            loop=request.sources.loop and request.kind is not jobs.JobKind.EXTEND,
        )

    def _extend(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        report: base.ProgressCallback,
        scratch: list[Path],
    ) -> base.RenderResult:
        """Render the new segment as the scene's continuation, then stitch it after the
        source's frames (never re-rendered).  A source with no prompt (an upload) is
        continued from its last frame as an input image."""
        source = request.source_video
        if source is None:
            raise errors.EngineRuntimeError("an extension needs its source video")
        last = output.video.with_name(output.video.stem + ".last.png")
        segment = output.video.with_name(output.video.stem + ".segment.mp4")
        scratch += [last, segment]
        stitch.last_frame(source, last)
        seconds = request.source_seconds or max(1, round(probe.probe(source).duration))
        image: Path | None = None
        recorded = scene_mod.recall(extension.tag(source, scene_mod.SCENE_TAG))
        if request.source_prompt or recorded is not None:
            scene = self._scene(request, source_seconds=seconds)
        else:
            scene = self._scene(request)
            image = extension.image_at(last, request.width, request.height)
            scratch.append(image)
        parts = base.RenderOutput(segment, output.thumbnail, output.spritesheet)

        def segment_progress(percent: int) -> None:
            report(percent * 85 // 100)

        self._write(scene, image, request, parts, segment_progress, last if image is None else None)
        stitched = stitch.stitch(
            source,
            segment,
            output.video,
            thumbnail=output.thumbnail,
            spritesheet=output.spritesheet,
            preset=self.preset,  # flat-shaded art: the engine's own fast preset suffices
        )
        extension.retag(output.video, _metadata(request, scene, self.shows(request)))
        report(99)
        return base.RenderResult(
            duration=stitched.seconds,
            frames=stitched.frames,
            fps=float(stitched.fps),
            has_audio=True,
        )

    def _write(
        self,
        scene: scene_mod.Scene,
        image: Path | None,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        report: base.ProgressCallback,
        join_from: Path | None,
    ) -> None:
        """Encode ``scene`` to ``output`` (previews too, unless it is an extension's segment,
        whose previews come from the stitched whole); ``join_from``: the source's last frame
        the segment continues."""
        collector = None
        captions = self.shows(request)
        if join_from is None and request.kind is not jobs.JobKind.EXTEND:
            collector = previews.PreviewCollector(scene.frame_count, scene.width, scene.height)
        with encode.Mp4Writer(
            output.video,
            scene.width,
            scene.height,
            self.fps,
            preset=self.preset,
            crf=self.crf,
            audio=self.audio,
            metadata=_metadata(request, scene, captions),
        ) as writer:
            join = extension.Join(join_from, writer, self.fps) if join_from else None
            self._encode(scene, image, writer, collector, report, join, captions)
        if collector is not None:
            collector.save(output.thumbnail, output.spritesheet)

    def shows(self, request: base.GenerationRequest) -> bool:
        """Whether this video gets captions: the request's ``captions`` field; else, for a
        remix, edit or extension of an animatic, what its source had (its MP4's comment
        says); else the deployment's option."""
        asked = request.sources.captions
        if asked is not None:
            return asked
        if request.kind in _KEEPS_SCENE and request.source_video is not None:
            comment = extension.tag(request.source_video, "comment") or ""
            if comment.startswith(_COMMENT):
                return not comment.endswith(_UNCAPTIONED)
        return self.captions

    def _renderer(
        self, scene: scene_mod.Scene, image: Path | None, captions: bool
    ) -> render_mod.Renderer:
        try:
            return render_mod.Renderer(scene, image, captions=captions, scale=self.detail)
        except (OSError, ValueError) as exc:
            raise errors.EngineRuntimeError(f"could not prepare the animatic: {exc}") from exc

    def _frames(
        self,
        scene: scene_mod.Scene,
        image: Path | None,
        writer: encode.Mp4Writer,
        collector: previews.PreviewCollector | None,
        join: extension.Join | None,
        captions: bool,
    ) -> Iterator[tuple[VideoFrame, Image.Image | None]]:
        """Each frame, converted and finished, with the still the previews want (or None)."""
        renderer = self._renderer(scene, image, captions)
        if join is not None:
            before = writer.convert(renderer.picture(-1), pixelated=renderer.pixelated)
            renderer.finish(before, -1)
            join.decide(before)
        for index in range(scene.frame_count):
            frame = writer.convert(renderer.picture(index), pixelated=renderer.pixelated)
            renderer.finish(frame, index)
            if join is not None:
                join.apply(frame, index)
            still = None
            if collector is not None and collector.wants(index):  # scaled by swscale
                size = collector.size_for(index)
                source: Any = frame  # PyAV's to_image is untyped
                still = source.to_image(width=size[0], height=size[1], interpolation="AREA")
            yield frame, still

    def _encode(
        self,
        scene: scene_mod.Scene,
        image: Path | None,
        writer: encode.Mp4Writer,
        collector: previews.PreviewCollector | None,
        progress: base.ProgressCallback,
        join: extension.Join | None = None,
        captions: bool = True,
    ) -> None:
        """Render, encode, collect previews and report progress.

        With two or more usable cores a producer thread renders and converts while this
        thread encodes (x264 works on its own frame threads, and x264 and swscale release
        the GIL).  While the producer builds the renderer, this thread synthesises the
        soundtrack and encodes all of it, work that would otherwise share the frames'
        time.  On one core the thread would only add switching, so frames are rendered
        inline; the output is identical.
        """
        total = scene.frame_count
        step = max(1, total // 50)

        def consume(frames: Iterator[tuple[VideoFrame, Image.Image | None]]) -> None:
            for index, (frame, still) in enumerate(frames):
                writer.write_frame(frame)
                if still is not None and collector is not None:
                    collector.add(index, still)
                if index % step == 0 or index == total - 1:
                    progress(min(98, 1 + index * 97 // max(1, total - 1)))

        if not self.threaded:
            if self.audio:
                writer.write_audio(audio_mod.soundtrack(scene), now=True)
            consume(self._frames(scene, image, writer, collector, join, captions))
            return

        depth = max(2, min(_QUEUE_FRAMES, _QUEUE_BYTES // (scene.width * scene.height * 3 // 2)))
        items: queue.Queue[Any] = queue.Queue(maxsize=depth)
        stop = threading.Event()

        def produce() -> None:
            try:
                for item in self._frames(scene, image, writer, collector, join, captions):
                    if stop.is_set():
                        return
                    _put(items, item, stop)
                _put(items, _DONE, stop)
            except BaseException as exc:  # handed to the consumer, which re-raises it
                _put(items, _Failure(exc), stop)

        def received() -> Iterator[tuple[VideoFrame, Image.Image | None]]:
            while True:
                item = items.get()
                if item is _DONE:
                    return
                if isinstance(item, _Failure):
                    if isinstance(item.error, errors.JobFailure):
                        raise item.error
                    raise errors.EngineRuntimeError(
                        f"animatic rendering failed: {item.error}"
                    ) from item.error
                yield item

        producer = threading.Thread(target=produce, name="animatic-render", daemon=True)
        producer.start()
        try:
            if self.audio:
                writer.write_audio(audio_mod.soundtrack(scene), now=True)
            consume(received())
        finally:
            stop.set()
            while producer.is_alive():
                with contextlib.suppress(queue.Empty):
                    items.get(timeout=0.05)
            producer.join()


def _metadata(
    request: base.GenerationRequest, scene: scene_mod.Scene, captions: bool
) -> dict[str, str]:
    """The MP4's tags, the scene among them (so a later edit or extension can read it, and
    whether it was captioned, which a remix keeps)."""
    recorded = dataclasses.replace(scene.analysis, prompt=scene.audio_key)
    return {
        "title": short_title(request.prompt),
        "comment": f"{_COMMENT} · seed {request.seed}" + ("" if captions else _UNCAPTIONED),
        "description": "Storyboard animatic rendered by Reelway's built-in animatic engine.",
        "artist": "Reelway",
        scene_mod.SCENE_TAG: scene_mod.describe(recorded),
    }


def _put(frames: queue.Queue[Any], item: object, stop: threading.Event) -> None:
    """Put unless the consumer has gone (then drop the item and let the producer end)."""
    while not stop.is_set():
        try:
            frames.put(item, timeout=0.05)
            return
        except queue.Full:
            continue
