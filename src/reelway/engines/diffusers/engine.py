"""The ``diffusers`` engine: an open video model (Wan, LTX-Video) from the operator's weights.

::

    [engines.wan]
    type = "diffusers"
    model_path = "/srv/models/Wan2.2-TI2V-5B-Diffusers"   # a local folder; never downloaded
    pipeline = "wan-i2v"          # optional: read from model_index.json when omitted
    device = ["cuda:0", "cuda:1"] # one resident render process per device
    steps = 50                    # and dtype, guidance, offload, compile, vae_tiling, ...

Building the engine is cheap (it reads ``model_index.json`` only): every process builds each
routed engine once to read its ``info``.  The weights are loaded on the first render, in the
resident child of the device that renders it, and stay loaded between jobs.

A request is generated at the family's native size with the requested aspect and scaled to
exactly the requested size; its seconds become frames at the family's frame rate, in segments
no longer than the model was trained on, each one after the first continuing from the
previous one's last frame.  Progress: denoising steps map to 0-90 %, encoding to the rest.
"""

from __future__ import annotations

import math
import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import numpy as np
from numpy.typing import NDArray
from PIL import Image

from reelway import errors, jobs
from reelway.engines import base
from reelway.engines.diffusers import families
from reelway.engines.diffusers.families import FAMILIES, Family
from reelway.media import encode, previews

if TYPE_CHECKING:
    from reelway.engines.diffusers.pipeline import Loaded

DEVICE_ENV = "REELWAY_DEVICE"
"""Set by the resident executor in each child: the device that child renders on."""

DENOISE_SHARE = 90
"""Progress 0..90 % is denoising; decoding, scaling and encoding take the rest."""

OFFLOADS = ("none", "model", "sequential", "group")
DTYPES = ("bfloat16", "float16", "float32")


@dataclass(frozen=True)
class Plan:
    """How one request is made on this engine."""

    width: int
    height: int
    """The native size generated at."""
    fps: int
    frames: int
    """Frames in the finished video."""
    segments: tuple[int, ...]
    """Frames generated per segment (each after the first starts on the previous last)."""
    steps: int

    def as_details(self) -> dict[str, Any]:
        return {
            "native_size": f"{self.width}x{self.height}",
            "fps": self.fps,
            "frames": self.frames,
            "segments": list(self.segments),
            "steps": self.steps,
        }


class DiffusersEngine:
    """Wan and LTX-Video through diffusers, resident on each configured device."""

    KIND: ClassVar[base.EngineKind] = base.EngineKind.LOCAL

    def __init__(
        self,
        model_path: str,
        *,
        name: str = "diffusers",
        pipeline: str | None = None,
        device: str | Sequence[str] = "cuda",
        dtype: str | None = None,
        steps: int | None = None,
        guidance: float | None = None,
        offload: str = "none",
        compile: bool = False,
        vae_tiling: bool = False,
        negative_prompt: str | None = None,
        native_size: str | None = None,
        fps: int | None = None,
        segment_frames: int | None = None,
        pin_first_frame: bool = True,
        remix_strength: float = 0.6,
    ) -> None:
        """Checks every option and reads the folder's ``model_index.json``; loads nothing."""
        self.name = name
        self.folder = Path(model_path).expanduser()
        index = families.read_model_index(self.folder)
        found = families.detect(index)
        if pipeline is None:
            if found is None:
                raise ValueError(
                    f"{self.folder}: model_index.json names {index.get('_class_name')!r}, "
                    f"not a pipeline this engine knows; set pipeline to one of "
                    f"{', '.join(FAMILIES)}"
                )
            pipeline = found
        if pipeline not in FAMILIES:
            raise ValueError(f"unknown pipeline {pipeline!r}; use one of {', '.join(FAMILIES)}")
        if found is not None and found != pipeline:
            raise ValueError(
                f"{self.folder} holds a {found!r} model (model_index.json), "
                f"but the engine is configured with pipeline {pipeline!r}"
            )
        self.family: Family = FAMILIES[pipeline]
        self.devices: tuple[str, ...] = (device,) if isinstance(device, str) else tuple(device)
        if not self.devices or not all(_is_device(d) for d in self.devices):
            raise ValueError(f"device must be 'cpu', 'cuda' or 'cuda:N' (or a list), got {device}")
        if len(set(self.devices)) != len(self.devices):
            raise ValueError(f"device lists {device} more than once")
        on_gpu = all(d.startswith("cuda") for d in self.devices)
        self.dtype = dtype or (self.family.dtype if on_gpu else "float32")
        if self.dtype not in DTYPES:
            raise ValueError(f"dtype must be one of {', '.join(DTYPES)}, got {dtype!r}")
        self.steps = _positive_int("steps", steps, self.family.steps)
        self.guidance = float(self.family.guidance if guidance is None else guidance)
        if not 0 <= self.guidance <= 30:
            raise ValueError(f"guidance must be between 0 and 30, got {guidance}")
        if offload not in OFFLOADS:
            raise ValueError(f"offload must be one of {', '.join(OFFLOADS)}, got {offload!r}")
        self.offload = offload
        self.compile = bool(compile)
        self.vae_tiling = bool(vae_tiling)
        self.negative_prompt = (
            self.family.negative_prompt if negative_prompt is None else negative_prompt
        )
        self.native = _size(native_size) if native_size else self.family.native_size
        if self.native[0] % self.family.size_multiple or self.native[1] % self.family.size_multiple:
            raise ValueError(
                f"native_size {native_size} must be a multiple of {self.family.size_multiple} "
                f"on both sides for {self.family.name}"
            )
        self.fps = _positive_int("fps", fps, self.family.fps)
        if self.fps > 120:
            raise ValueError(f"fps must be at most 120, got {fps}")
        self.segment_frames = _positive_int(
            "segment_frames", segment_frames, self.family.segment_frames
        )
        if self.segment_frames < self.family.frame_step + 1:
            raise ValueError(
                f"segment_frames must be at least {self.family.frame_step + 1}, "
                f"got {segment_frames}"
            )
        self.pin_first_frame = bool(pin_first_frame)
        if isinstance(remix_strength, bool) or not isinstance(remix_strength, int | float):
            raise ValueError(f"remix_strength must be a number, got {remix_strength!r}")
        if not 0 < remix_strength <= 1:
            raise ValueError(f"remix_strength must be above 0 and at most 1, got {remix_strength}")
        self.remix_strength = float(remix_strength)
        """How far a remix or edit may move from its source (0 keeps it, 1 ignores it)."""
        self._loaded: Loaded | None = None

    # ------------------------------------------------------------------ what it can do

    @property
    def info(self) -> base.EngineInfo:
        longest = math.floor((self.segment_frames - 1) / self.fps)
        return base.EngineInfo(
            name=self.name,
            kind=self.KIND,
            capabilities=self.family.capabilities,
            seconds=None if self.family.chains else frozenset(range(1, max(1, longest) + 1)),
            execution="resident",
            devices=self.devices,
        )

    def plan(self, width: int, height: int, seconds: float) -> Plan:
        """Native size, frames and segments for a ``width`` x ``height``, ``seconds`` video."""
        native_w, native_h = families.native_size(
            width, height, self.native, self.family.size_multiple
        )
        frames = families.frames_needed(seconds, self.fps)
        longest = self.segment_frames if self.family.chains else None
        if longest is None:
            segment = families.snap_frames(frames, self.family.frame_step)
            if segment > self.segment_frames:
                raise errors.EngineRuntimeError(
                    f"{self.family.name} makes at most "
                    f"{(self.segment_frames - 1) / self.fps:.1f} s in one go and cannot "
                    f"continue from a frame; ask for fewer seconds"
                )
            plan = [segment]
        else:
            plan = families.segments(frames, self.family.frame_step, longest)
        return Plan(native_w, native_h, self.fps, frames, tuple(plan), self.steps)

    # ------------------------------------------------------------------ rendering

    def device(self) -> str:
        """The device this process renders on: the one its resident executor gave it."""
        given = os.environ.get(DEVICE_ENV)
        if given in self.devices:
            return given
        return self.devices[0]

    def load(self) -> Loaded:
        """The pipelines on this process's device (loaded on first use, then kept)."""
        if self._loaded is None:
            from reelway.engines.diffusers import pipeline

            device = self.device()
            self._loaded = pipeline.Loaded(
                pipeline.LoadOptions(
                    folder=self.folder,
                    family=self.family,
                    device="cuda:0" if device == "cuda" else device,
                    dtype=self.dtype,
                    offload=self.offload,
                    compile=self.compile,
                    vae_tiling=self.vae_tiling,
                )
            )
        return self._loaded

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        """Generate, scale and encode; ``progress`` is called after every denoising step
        and may raise to stop the render there."""
        remake = request.kind in REMAKES
        if (remake and self.family.video_to_video is None) or (
            not remake and request.kind is not jobs.JobKind.GENERATE
        ):
            raise errors.EngineRuntimeError(
                f"the {self.family.name} engine makes new videos only, not a {request.kind}"
            )
        if remake and request.source_video is None:
            raise errors.AssetsMissing("The source video's file is missing.")
        encode.check_size(request.width, request.height)
        if request.input_image is not None and self.family.image_to_video is None:
            raise errors.EngineRuntimeError(
                f"the {self.family.name} model makes videos from text only; "
                "it cannot start from an input image"
            )
        plan = self.plan(request.width, request.height, request.seconds)  # refuse before loading
        source = (
            _source_frames(request.source_video, plan) if remake and request.source_video else None
        )
        progress(0)
        began = time.monotonic()
        loading = self._loaded is None
        loaded = self.load()
        load_seconds = round(time.monotonic() - began, 3) if loading else 0.0
        start = _reference(request.input_image, plan) if request.input_image else None
        try:
            frames, seconds_denoising = self._denoise(
                loaded, request, plan, start, progress, source
            )
        except _OutOfMemory:
            raise errors.EngineOutOfMemory(
                f"The {self.family.name} model ran out of memory on {loaded.device} making "
                f"{plan.width}x{plan.height} x {max(plan.segments)} frames. Ask for a smaller "
                'size or fewer seconds; the operator can set offload = "model", '
                "vae_tiling = true, or use a GPU with more memory."
            ) from None
        if start is not None and self.pin_first_frame:
            frames[0] = np.asarray(start)
        progress(DENOISE_SHARE + 2)
        try:
            self._write(frames, request, output, progress)
            progress(100)  # a cancel even here leaves no files behind
        except BaseException:
            for path in (output.video, output.thumbnail, output.spritesheet):
                path.unlink(missing_ok=True)
            raise
        steps_done = plan.steps * len(plan.segments)
        remade = {"remade_from": "video", "strength": self.remix_strength} if remake else {}
        details = (
            plan.as_details()
            | remade
            | {
                "model": self.family.name,
                "device": loaded.device,
                "seed": request.seed,
                "load_seconds": load_seconds,
                "steps_per_second": round(steps_done / seconds_denoising, 3)
                if seconds_denoising > 0
                else None,
            }
        )
        memory = loaded.memory_bytes()
        if memory is not None:
            details["memory_bytes"] = memory
        return base.RenderResult(
            duration=plan.frames / plan.fps,
            frames=plan.frames,
            fps=float(plan.fps),
            has_audio=True,
            details=details,
        )

    def _denoise(
        self,
        loaded: Loaded,
        request: base.GenerationRequest,
        plan: Plan,
        start: Image.Image | None,
        progress: base.ProgressCallback,
        source: list[Image.Image] | None = None,
    ) -> tuple[NDArray[np.uint8], float]:
        """Every segment's frames, joined and trimmed to the plan; and the seconds spent.

        A remake (``source``: the source video's frames on the plan's timeline) gives each
        segment its own stretch of the source instead of the previous segment's last frame.
        """
        from reelway.engines.diffusers.pipeline import OutOfMemory

        total = plan.steps * len(plan.segments)
        made: list[NDArray[np.uint8]] = []
        spent = 0.0
        loaded.reset_peak()
        position = 0  # where the segment starts on the timeline (segments share a frame)
        for number, count in enumerate(plan.segments):
            done_before = number * plan.steps
            stretch = None
            if source is not None:
                last = len(source) - 1
                stretch = [source[min(last, position + k)] for k in range(count)]
            position += count - 1

            def on_step(step: int, done_before: int = done_before) -> None:
                progress(DENOISE_SHARE * (done_before + step) // total)

            began = time.monotonic()
            try:
                segment = loaded.generate(
                    prompt=request.prompt,
                    negative_prompt=request.sources.negative_prompt or self.negative_prompt,
                    width=plan.width,
                    height=plan.height,
                    frames=count,
                    fps=plan.fps,
                    steps=plan.steps,
                    guidance=self.guidance,
                    seed=request.seed + number,
                    image=None if stretch is not None else start,
                    on_step=on_step,
                    source=stretch,
                    strength=self.remix_strength,
                )
            except OutOfMemory:
                raise _OutOfMemory() from None
            spent += time.monotonic() - began
            made.append(segment if number == 0 else segment[1:])
            start = Image.fromarray(segment[-1])
        return np.concatenate(made)[: plan.frames], spent

    def _write(
        self,
        frames: NDArray[np.uint8],
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> None:
        """The MP4 at exactly the requested size (with a silent soundtrack: these models
        make no sound), its thumbnail and its spritesheet."""
        count = len(frames)
        collector = previews.PreviewCollector(count, request.width, request.height)
        with encode.Mp4Writer(output.video, request.width, request.height, self.fps) as writer:
            writer.write_audio(np.zeros((2, encode.AUDIO_RATE * count // self.fps), np.float32))
            for index, frame in enumerate(frames):
                converted = writer.convert(frame)
                writer.write_frame(converted)
                if collector.wants(index):  # the generated frame: scaled once, for its use
                    collector.add(index, frame)
                if index % 8 == 0:
                    progress(DENOISE_SHARE + 2 + (100 - DENOISE_SHARE - 3) * index // count)
        collector.save(output.thumbnail, output.spritesheet)


class _OutOfMemory(Exception):
    pass


REMAKES = frozenset({jobs.JobKind.REMIX, jobs.JobKind.EDIT})
"""Kinds made from a source video (video to video), where the family has a pipeline for it."""


def _source_frames(path: Path, plan: Plan) -> list[Image.Image]:
    """The source video's frames on the plan's timeline (the frame showing at each output
    frame's time, the last one held), at the native size it is generated at."""
    import av

    times = [k / plan.fps for k in range(plan.frames + len(plan.segments))]
    found: list[Image.Image] = []
    try:
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            rate = float(stream.average_rate or plan.fps)
            decoded = container.decode(stream)
            current: Any = None
            index = -1
            for moment in times:
                wanted = int(moment * rate + 1e-6)
                while index < wanted:
                    frame = next(decoded, None)
                    if frame is None:
                        break
                    current, index = frame, index + 1
                if current is None:
                    break
                found.append(
                    current.to_image()
                    .convert("RGB")
                    .resize((plan.width, plan.height), Image.Resampling.LANCZOS)
                )
    except (OSError, ValueError, av.FFmpegError) as exc:
        raise errors.EngineRuntimeError(f"the source video cannot be read: {exc}") from exc
    if not found:
        raise errors.EngineRuntimeError("the source video has no frames")
    return found


def _reference(path: Path, plan: Plan) -> Image.Image:
    """The input image at the native size the video is generated at."""
    with Image.open(path) as image:
        return image.convert("RGB").resize((plan.width, plan.height), Image.Resampling.LANCZOS)


def _is_device(value: object) -> bool:
    if not isinstance(value, str):
        return False
    if value in ("cpu", "cuda"):
        return True
    kind, _, number = value.partition(":")
    return kind == "cuda" and number.isdigit()


def _positive_int(name: str, value: int | None, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{name} must be a positive whole number, got {value!r}")
    return value


def _size(text: str) -> tuple[int, int]:
    width, _, height = str(text).partition("x")
    if not (width.isdigit() and height.isdigit()) or int(width) < 1 or int(height) < 1:
        raise ValueError(f"native_size must look like 1280x704, got {text!r}")
    return int(width), int(height)
