"""Frames sampled across a finished video, as JPEG bytes for an image moderation backend."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import av

from reelway.media import previews

MAX_SIDE = 768
"""Moderation services look at small images; sending 1080p frames only costs bandwidth."""
QUALITY = 85


def sample(path: Path | str, count: int) -> list[bytes]:
    """``count`` frames spread evenly from the first to the last (one decode pass)."""
    if count < 1:
        return []
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        last = previews.frame_count(container, stream) - 1
        wanted = sorted({round(i * last / max(1, count - 1)) for i in range(count)})
        picked: list[bytes] = []
        final: Any = None
        for index, frame in enumerate(container.decode(stream)):
            final = frame
            if index in wanted:
                picked.append(_jpeg(frame))
                if len(picked) == len(wanted):
                    break
    if final is None:
        raise ValueError(f"{path} has no decodable video frames")
    if len(picked) < len(wanted):  # the container overstated its frame count
        picked.append(_jpeg(final))
    return picked


def _jpeg(frame: Any) -> bytes:
    image = frame.to_image()
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=QUALITY)
    return buffer.getvalue()
