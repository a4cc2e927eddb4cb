"""A character's look, read from its uploaded clip: what the animatic draws when a prompt
names it.

The animatic cannot copy a face or a costume, but it can keep what makes a figure
recognisable in a storyboard: its main colour and its silhouette (tall like a person, long
like an animal, or round).  Both come from a few decoded frames: the background is the
colour of each frame's border, the figure is what differs from it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import av
import numpy as np
from numpy.typing import NDArray

from reelway import errors
from reelway.engines import base
from reelway.engines.animatic import scene as scene_mod

SAMPLES = 5
"""Frames read from a clip."""
_WIDTH = 96
"""Frames are read at this width: colours and proportions need no more."""
_DIFFERS = 48.0
"""How far (RGB distance) a pixel must be from the border colour to belong to the figure."""


def named(characters: Sequence[base.CharacterRef], prompt: str) -> base.CharacterRef | None:
    """The first character whose name the prompt uses (whole words, any case)."""
    found = all_named(characters, prompt)
    return found[0] if found else None


def all_named(characters: Sequence[base.CharacterRef], prompt: str) -> list[base.CharacterRef]:
    """The characters whose names the prompt uses, in the request's order."""
    return [
        ref
        for ref in characters
        if ref.name.strip()
        and re.search(rf"(?<!\w){re.escape(ref.name.strip())}(?!\w)", prompt, re.IGNORECASE)
    ]


def look(ref: base.CharacterRef) -> scene_mod.Look:
    """The character's colour and silhouette from a few frames of its clip."""
    try:
        frames = _sample(ref.clip)
    except (OSError, ValueError, av.FFmpegError) as exc:
        raise errors.EngineRuntimeError(f"could not read character {ref.id}'s clip: {exc}") from exc
    if not frames:
        raise errors.EngineRuntimeError(f"character {ref.id}'s clip has no video frames")
    pixels: list[NDArray[np.uint8]] = []
    aspects: list[float] = []
    for rgb in frames:
        mask = _figure(rgb)
        pixels.append(rgb[mask])
        rows, cols = np.nonzero(mask)
        aspects.append((rows.max() - rows.min() + 1) / (cols.max() - cols.min() + 1))
    aspect = float(np.median(aspects))
    kind = "person" if aspect >= 1.35 else "animal" if aspect <= 0.8 else "object"
    return scene_mod.Look(name=ref.name.strip(), kind=kind, colour=dominant(np.concatenate(pixels)))


def dominant(pixels: NDArray[np.uint8]) -> tuple[int, int, int]:
    """The mean of the most common colour bin (8 levels a channel) among ``pixels``."""
    bins = (pixels[:, 0] >> 5).astype(np.int32) * 64 + (pixels[:, 1] >> 5) * 8 + (pixels[:, 2] >> 5)
    top = int(np.bincount(bins, minlength=512).argmax())
    mean = pixels[bins == top].mean(axis=0)
    return (round(float(mean[0])), round(float(mean[1])), round(float(mean[2])))


def _figure(rgb: NDArray[np.uint8]) -> NDArray[np.bool_]:
    """Pixels that differ from the border's colour; the frame's centre when none do."""
    border = np.concatenate([rgb[0], rgb[-1], rgb[:, 0], rgb[:, -1]]).astype(np.float32)
    background = np.median(border, axis=0)
    distance = np.linalg.norm(rgb.astype(np.float32) - background, axis=2)
    mask: NDArray[np.bool_] = distance > _DIFFERS
    if mask.sum() < mask.size * 0.01:  # no figure stands out: take the middle of the frame
        h, w = mask.shape
        mask = np.zeros_like(mask)
        mask[h // 4 : h - h // 4, w // 4 : w - w // 4] = True
    return mask


def _sample(clip: Path) -> list[NDArray[np.uint8]]:
    """Up to ``SAMPLES`` frames spread over the clip, as small RGB arrays (each is shrunk as
    it is decoded: a 4 s 1080p clip never sits in memory whole)."""
    out: list[NDArray[np.uint8]] = []
    with av.open(str(clip)) as container:
        if not container.streams.video:
            raise ValueError("no video stream")
        stream = container.streams.video[0]
        count = stream.frames
        if not count and stream.duration and stream.time_base and stream.average_rate:
            count = int(stream.duration * stream.time_base * stream.average_rate)
        step = max(1, (count or SAMPLES) // SAMPLES)
        frame: Any = None
        for index, frame in enumerate(container.decode(stream)):
            if index % step == step // 2:
                out.append(_small(frame))
                if len(out) == SAMPLES:
                    break
        if not out and frame is not None:  # fewer frames than the header said
            out.append(_small(frame))
    return out


def _small(frame: Any) -> NDArray[np.uint8]:
    height = max(2, round(frame.height * _WIDTH / frame.width))
    small = frame.reformat(width=_WIDTH, height=height, format="rgb24")
    return np.asarray(small.to_ndarray(), dtype=np.uint8)
