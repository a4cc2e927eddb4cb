"""Human faces in input images, found with OpenCV's frontal-face Haar cascade.

The seeds' rule is that an image-to-video start frame may not show a human face (no
deepfakes from someone's photo).  The cascade ships inside the ``opencv-python-headless``
wheel, so nothing is downloaded; it runs in a few milliseconds on a downscaled grey copy.  It
misses profiles and small faces by design of the detector, which the docs say.
"""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Sequence
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from reelway.policy.moderation import Finding, Stage

NAME = "faces"
CATEGORY = "human_faces"
ADVICE = (
    "Input images may not show human faces; use an image without people, or generate the "
    "person from the prompt instead."
)
MAX_SIDE = 512
"""Images are scaled down to this before detection: faster, and the cascade needs no more."""
MIN_FACE_FRACTION = 0.06
"""Faces smaller than this fraction of the shorter side are ignored (crowds far away)."""

_local = threading.local()


class FaceDetector:
    """An image backend that refuses images with a frontal human face."""

    name = NAME

    def __init__(self, min_neighbors: int = 5) -> None:
        self.min_neighbors = min_neighbors
        _cascade()  # fail at start-up, not at the first image, if the cascade is missing

    async def check_image(self, image: bytes, stage: Stage) -> list[Finding]:
        count = await asyncio.to_thread(self.count_faces, image)
        if not count:
            return []
        noun = "face" if count == 1 else "faces"
        return [Finding(CATEGORY, NAME, f"{count} {noun} detected", ADVICE)]

    def count_faces(self, image: bytes) -> int:
        grey = _grey(image)
        side = min(grey.shape)
        smallest = max(24, int(side * MIN_FACE_FRACTION))
        found: Sequence[object] = _cascade().detectMultiScale(
            grey, scaleFactor=1.1, minNeighbors=self.min_neighbors, minSize=(smallest, smallest)
        )
        return len(found)


def _grey(data: bytes) -> np.ndarray:
    with Image.open(io.BytesIO(data)) as opened:
        image = opened.convert("L")
    image.thumbnail((MAX_SIDE, MAX_SIDE))
    grey = np.asarray(image, dtype=np.uint8)
    return cv2.equalizeHist(grey)


def _cascade() -> cv2.CascadeClassifier:
    """One classifier per thread: OpenCV's cascade is not safe to share across threads."""
    cascade: cv2.CascadeClassifier | None = getattr(_local, "cascade", None)
    if cascade is None:
        path = str(Path(cv2.__file__).parent / "data" / "haarcascade_frontalface_default.xml")
        cascade = cv2.CascadeClassifier(path)
        if cascade.empty():
            raise RuntimeError(f"OpenCV's face cascade could not be loaded from {path}")
        _local.cascade = cascade
    return cascade
