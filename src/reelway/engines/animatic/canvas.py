"""The frame canvas: an RGBA image drawn straight into a numpy array, with cheap pastes.

A frame is a dozen or more pastes of pre-drawn pieces.  ``Image.paste`` spends about as
long in Python (argument checks, ``load``, box arithmetic) as Pillow's C code spends
copying a typical piece, so the canvas calls the C paste directly with the box worked out
once: the same pixels (the C code clips to the canvas exactly as before), for half the time.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageDraw

U8 = NDArray[np.uint8]


class Canvas:
    """One reused RGBA frame: ``image`` for drawing, ``pixels`` (when shared) for numpy."""

    def __init__(self, width: int, height: int) -> None:
        self.width, self.height = width, height
        self.image, self.pixels = shared_canvas(width, height)
        self.draw = ImageDraw.Draw(self.image)
        self._core: Any = self.image.im  # Pillow's C image: its paste clips to the canvas

    def put(self, piece: Image.Image, x: int, y: int) -> None:
        """Copy ``piece`` (same mode, opaque) with its top left at (x, y)."""
        w, h = piece.size
        try:
            self._core.paste(piece.im, (x, y, x + w, y + h))
        except ValueError:  # another mode: Pillow's own paste converts it
            self.image.paste(piece, (x, y))

    def over(self, piece: Image.Image, x: int, y: int) -> None:
        """Paste RGBA ``piece`` through its own alpha, top left at (x, y)."""
        w, h = piece.size
        core = piece.im
        try:
            self._core.paste(core, (x, y, x + w, y + h), core)
        except ValueError:  # another mode: Pillow's own paste converts it
            self.image.paste(piece, (x, y), piece)

    def array(self) -> U8:
        """The frame as an (h, w, 4) array: the shared one, or an export where Pillow copies."""
        return self.pixels if self.pixels is not None else np.asarray(self.image)


def shared_canvas(width: int, height: int) -> tuple[Image.Image, U8 | None]:
    """An RGBA image drawn straight into a numpy array, so frames need no export copy.

    Pillow maps a ``frombuffer`` image onto the array but marks it read-only (a write would
    copy it first); clearing the flag makes draws land in the array.  The arrangement is
    checked once, and if a Pillow version ever copies anyway, ``None`` tells the caller to
    export each frame instead.
    """
    pixels = np.zeros((height, width, 4), np.uint8)
    image = Image.frombuffer("RGBA", (width, height), pixels, "raw", "RGBA", 0, 1)
    image.readonly = False
    image.paste((1, 2, 3, 255), (0, 0, 1, 1))
    if tuple(pixels[0, 0]) != (1, 2, 3, 255):
        return Image.new("RGBA", (width, height)), None
    pixels[0, 0] = 0  # the probe's pixel: a fresh canvas starts clear
    return image, pixels
