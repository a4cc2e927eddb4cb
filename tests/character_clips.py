"""MP4 clips for character tests, made in code: a moving shape without a face, and the drawn
face of ``tests.faces``, at any length."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
from PIL import Image

from reelway.media.encode import Mp4Writer
from tests import faces

FPS = 24


def shape_clip(
    path: Path, seconds: float = 3.0, width: int = 320, height: int = 180, stretch: float = 1.0
) -> bytes:
    """An orange disc crossing a blue field: colours and a silhouette, no face.  ``stretch``
    widens the disc into an ellipse, which the animatic reads as an animal's outline."""
    frames = []
    ys, xs = np.mgrid[0:height, 0:width]
    for index in range(round(seconds * FPS)):
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = (40, 70, 150)
        cx = 40 + index * (width - 80) / max(1, seconds * FPS)
        disc = ((xs - cx) / stretch) ** 2 + (ys - height / 2) ** 2 < (height / 4) ** 2
        frame[disc] = (240, 140, 30)
        frames.append(frame)
    return _write(path, frames, width, height)


def face_clip(path: Path, seconds: float = 3.0, side: int = 256) -> bytes:
    """The drawn face OpenCV's detector finds, held still."""
    image = Image.open(io.BytesIO(faces.face_image(side, side))).convert("RGB")
    frame = np.asarray(image, dtype=np.uint8)
    return _write(path, [frame] * round(seconds * FPS), side, side)


def _write(path: Path, frames: list[np.ndarray], width: int, height: int) -> bytes:
    with Mp4Writer(path, width, height, FPS, crf=18) as writer:
        for frame in frames:
            writer.write_frame(frame)
    return path.read_bytes()
