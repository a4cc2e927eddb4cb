"""The open model families the diffusers engine serves, as data, and how a request maps onto one.

Nothing here imports torch: the engine's ``info`` (read at start-up by every process) and the
size and length arithmetic come from these tables, and only the render child loads a model.

A family says how its checkpoints are recognised (``model_index.json``), which diffusers
pipelines run it, its native frame rate, size, size multiple and frame-count rule, how long a
segment it was trained on, and sensible defaults.  A request's size is generated at the
native area with the requested aspect (rounded to the family's multiple) and scaled to exactly
the requested size; its seconds become frames at the family's rate, made in segments no longer
than the trained length, each one after the first starting from the previous one's last frame.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelway.catalog import Capability


@dataclass(frozen=True)
class Family:
    name: str
    description: str
    text_to_video: str
    """The diffusers pipeline class for text to video."""
    image_to_video: str | None
    """The pipeline class for image to video, built from the same weights (``from_pipe``);
    None when the checkpoint cannot start from an image."""
    fps: int
    frame_step: int
    """Frame counts are ``k * frame_step + 1``."""
    segment_frames: int
    """The longest clip the model was trained to make in one go."""
    size_multiple: int
    native_size: tuple[int, int]
    """Width x height of the native landscape size; other aspects keep its area."""
    steps: int
    guidance: float
    dtype: str
    negative_prompt: str
    """Used when the request gives none (the model cards' own)."""
    video_to_video: str | None = None
    """The pipeline class that remakes a video under a new prompt, keeping its motion and
    layout (remix and edits); None when the family has none that this engine can drive."""
    video_strength: str = "strength"
    """That pipeline's argument for how far the result may move from the source (0..1)."""

    @property
    def capabilities(self) -> frozenset[Capability]:
        found = {Capability.NEGATIVE_PROMPT}
        if self.image_to_video is not None:
            found.add(Capability.IMAGE_INPUT)
        if self.video_to_video is not None:
            found |= {Capability.REMIX, Capability.EDITS}
        return frozenset(found)

    @property
    def chains(self) -> bool:
        """Whether lengths beyond one segment can be made (from the last frame)."""
        return self.image_to_video is not None

    @property
    def max_segment_seconds(self) -> float:
        return (self.segment_frames - 1) / self.fps


_WAN_NEGATIVE = (
    "bright tones, overexposed, static, blurred details, subtitles, worst quality, low "
    "quality, JPEG artifacts, ugly, deformed, extra fingers, poorly drawn hands, poorly drawn "
    "faces, fused fingers, cluttered background"
)

FAMILIES: Mapping[str, Family] = {
    "wan": Family(
        name="wan",
        description="Wan 2.1 / 2.2 text-to-video (T2V-1.3B at 832x480, T2V-14B at 1280x720)",
        text_to_video="WanPipeline",
        image_to_video=None,
        fps=16,
        frame_step=4,
        segment_frames=81,
        size_multiple=16,
        native_size=(832, 480),
        steps=50,
        guidance=5.0,
        dtype="bfloat16",
        negative_prompt=_WAN_NEGATIVE,
    ),
    "wan-i2v": Family(
        name="wan-i2v",
        description="Wan 2.2 TI2V-5B: text-to-video and image-to-video from one checkpoint",
        text_to_video="WanPipeline",
        image_to_video="WanImageToVideoPipeline",
        fps=24,
        frame_step=4,
        segment_frames=121,
        size_multiple=32,
        native_size=(1280, 704),
        steps=50,
        guidance=5.0,
        dtype="bfloat16",
        negative_prompt=_WAN_NEGATIVE,
    ),
    "ltx": Family(
        name="ltx",
        description="LTX-Video 0.9.x: text-to-video and image-to-video",
        text_to_video="LTXPipeline",
        image_to_video="LTXImageToVideoPipeline",
        fps=30,
        frame_step=8,
        segment_frames=257,
        size_multiple=32,
        native_size=(1216, 704),
        steps=50,
        guidance=3.0,
        dtype="bfloat16",
        negative_prompt="worst quality, inconsistent motion, blurry, jittery, distorted",
        video_to_video="LTXConditionPipeline",
        video_strength="denoise_strength",
    ),
}


def read_model_index(folder: Path) -> dict[str, Any]:
    """A model folder's ``model_index.json`` (what diffusers saved with it), or a ValueError
    that says what is wrong with the folder."""
    index = folder / "model_index.json"
    if not index.is_file():
        reason = "does not exist" if not folder.exists() else "has no model_index.json"
        raise ValueError(
            f"model_path {folder} {reason}: it must be a model folder in diffusers format "
            "(the operator downloads the weights; see docs/engines.md)"
        )
    try:
        found = json.loads(index.read_text())
    except (OSError, ValueError) as exc:
        raise ValueError(f"{index} cannot be read: {exc}") from exc
    if not isinstance(found, dict):
        raise ValueError(f"{index} is not a JSON object")
    return found


def missing_parts(folder: Path) -> list[str]:
    """The components ``model_index.json`` names whose folder or weights are absent."""
    missing: list[str] = []
    for name, spec in read_model_index(folder).items():
        if name.startswith("_") or not isinstance(spec, list) or spec[0] is None:
            continue
        part = folder / name
        if not part.is_dir():
            missing.append(f"{name}/ (the {spec[1]} component)")
            continue
        if name in ("scheduler", "tokenizer", "feature_extractor", "image_processor"):
            continue
        weights = [*part.glob("*.safetensors"), *part.glob("*.bin"), *part.glob("*.pt")]
        if not weights:
            missing.append(f"{name}/*.safetensors (the {spec[1]} weights)")
    return missing


_LTX_CLASSES = {"LTXPipeline", "LTXImageToVideoPipeline", "LTXConditionPipeline"}


def detect(model_index: Mapping[str, Any]) -> str | None:
    """The family a checkpoint's ``model_index.json`` belongs to, or None when unknown.

    Wan 2.2 TI2V-5B is a ``WanPipeline`` with ``expand_timesteps`` (it conditions on an image
    through its first latent frame); a plain ``WanPipeline`` is text-to-video only.
    """
    name = model_index.get("_class_name")
    if name == "WanPipeline":
        return "wan-i2v" if model_index.get("expand_timesteps") else "wan"
    if name in _LTX_CLASSES:
        return "ltx"
    return None


def _round_to(value: float, multiple: int) -> int:
    return max(multiple, round(value / multiple) * multiple)


def native_size(width: int, height: int, native: tuple[int, int], multiple: int) -> tuple[int, int]:
    """The size to generate a ``width`` x ``height`` request at: the native area with the
    request's aspect, each side rounded to ``multiple`` (1280x720 -> 1280x704 on Wan 2.2)."""
    if width <= 0 or height <= 0:
        raise ValueError(f"size must be positive, got {width}x{height}")
    area = native[0] * native[1]
    aspect = width / height
    made_height = math.sqrt(area / aspect)
    return _round_to(made_height * aspect, multiple), _round_to(made_height, multiple)


def frames_needed(seconds: float, fps: int) -> int:
    """The frames a ``seconds`` long video has at ``fps``."""
    return max(1, round(seconds * fps))


def snap_frames(frames: int, step: int) -> int:
    """The smallest ``k * step + 1`` frame count that holds ``frames`` frames."""
    return max(1, math.ceil(max(0, frames - 1) / step)) * step + 1


def segments(frames: int, step: int, segment_frames: int) -> list[int]:
    """Frame counts of the segments that make ``frames`` frames: each at most
    ``segment_frames`` (snapped down to the step rule), each after the first starting on the
    previous one's last frame, so it adds one frame fewer than it makes.  The last segment is
    only as long as needed; the frames beyond ``frames`` are trimmed."""
    longest = (max(segment_frames, step + 1) - 1) // step * step + 1
    plan: list[int] = []
    made = 0
    while made < frames:
        still = frames - made + (1 if plan else 0)
        count = min(longest, snap_frames(still, step))
        plan.append(count)
        made += count - (1 if len(plan) > 1 else 0)
    return plan
