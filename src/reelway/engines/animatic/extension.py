"""What an extension needs beyond a render: the source's last frame and a seamless join.

The new segment is rendered as the continuation of the source's scene (``scene.follows``)
and ``media.stitch`` puts it after the source's own frames, which are never re-rendered.  When
the continuation's first frame does not match the source's last one closely (an uploaded
source, a prompt that changes the light, a source made from a chain of prompts the engine
cannot see), its first half second to a second dissolves from that last frame, so the join
never jumps.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path

import av
import numpy as np
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image

from reelway.engines.animatic import captions
from reelway.media import encode

MATCHED = 3.0
"""Mean luma difference (0-255) between the source's last frame and the continuation's
frame before its first (rendered, never shown) below which the continuation counts as the
same shot: codec noise only."""

_STEP = 3.0
"""The mean luma change per frame a dissolve aims at, within its half-second to a second."""

U8 = NDArray[np.uint8]


def tag(video: Path, name: str) -> str | None:
    """One metadata tag of an MP4 (None when absent or unreadable)."""
    try:
        with av.open(str(video)) as container:
            value = container.metadata.get(name)
    except (OSError, av.FFmpegError):
        return None
    return value if isinstance(value, str) else None


def retag(video: Path, metadata: Mapping[str, str]) -> None:
    """Give a finished MP4 these tags: a packet copy (no re-encode), moov kept first."""
    tagged = video.with_name(video.stem + ".tagged.mp4")
    try:
        with (
            av.open(str(video)) as source,
            av.open(str(tagged), "w", format="mp4", options={"movflags": "+faststart"}) as out,
        ):
            for key, value in source.metadata.items():
                out.metadata[key] = value
            for key, value in metadata.items():
                out.metadata[key] = value
            streams = {}
            for stream in source.streams:
                if stream.type in ("video", "audio"):
                    streams[stream.index] = out.add_stream_from_template(stream)
            for packet in source.demux(*[source.streams[i] for i in streams]):
                if packet.dts is None:
                    continue
                packet.stream = streams[packet.stream.index]
                out.mux(packet)
        tagged.replace(video)
    finally:
        tagged.unlink(missing_ok=True)


def image_at(png: Path, width: int, height: int) -> Path:
    """The source's last frame as an image of exactly ``width`` x ``height`` (an uploaded
    source may differ), for a continuation that starts from it."""
    with Image.open(png) as image:
        if image.size == (width, height):
            return png
        fitted = image.convert("RGB").resize((width, height), Image.Resampling.LANCZOS)
    out = png.with_name(png.stem + f"-{width}x{height}.png")
    fitted.save(out, "PNG")
    return out


class Join:
    """Dissolves the segment's first frames from the source's last frame when they differ."""

    def __init__(self, last: Path, writer: encode.Mp4Writer, fps: int) -> None:
        with Image.open(last) as image:
            rgb = np.asarray(image.convert("RGB"), dtype=np.uint8)
        frame = writer.convert(rgb)
        self.planes = [np.array(p, dtype=np.float32) for p in captions.planes(frame)]
        self.length = max(1, fps // 2)
        """Half a second: the shortest dissolve."""
        self.frames = 0
        """How many frames dissolve: decided from the first frame (0: none)."""

    def decide(self, before: VideoFrame) -> None:
        """Dissolve unless ``before`` (the continuation's frame -1: where it believes the
        source ended) matches the source's real last frame."""
        luma = captions.planes(before)[0].astype(np.float32)
        mismatch = float(np.abs(luma - self.planes[0]).mean())
        if mismatch <= MATCHED:
            self.frames = 0
        else:  # half a second, up to a second for a big change (day to night)
            self.frames = min(2 * self.length, max(self.length, math.ceil(mismatch / _STEP)))

    def apply(self, frame: VideoFrame, index: int) -> None:
        planes = captions.planes(frame)
        if index >= self.frames:
            return
        keep = 1.0 - (index + 1) / (self.frames + 1)  # the source's share, falling to 0
        for plane, source in zip(planes, self.planes, strict=True):
            mixed = plane.astype(np.float32) * (1.0 - keep) + source * keep
            plane[...] = np.clip(np.round(mixed), 0, 255).astype(np.uint8)
