"""The frame canvas's direct pastes land the same pixels as Pillow's own ``Image.paste``,
wherever the piece lies: inside, across an edge, or wholly outside the canvas."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from reelway.engines.animatic.canvas import Canvas

W, H = 96, 64


def _piece(size: tuple[int, int] = (40, 30)) -> Image.Image:
    """An RGBA drawing with opaque, half-transparent and clear pixels."""
    img = Image.new("RGBA", size, (0, 0, 0, 0))
    d = ImageDraw.Draw(img)
    d.ellipse((2, 2, size[0] - 3, size[1] - 3), fill=(200, 40, 90, 255))
    d.rectangle((5, 5, size[0] // 2, size[1] // 2), fill=(20, 180, 60, 128))
    return img


def _background() -> Image.Image:
    rng = np.random.default_rng(3)
    return Image.fromarray(rng.integers(0, 256, (H, W, 4), dtype=np.uint8), "RGBA")


PLACES = [(10, 12), (-15, -8), (W - 20, H - 10), (-100, 5), (W + 3, 0), (0, H - 1)]


@pytest.mark.parametrize("through_alpha", [True, False])
@pytest.mark.parametrize(("x", "y"), PLACES)
def test_pastes_match_pillows_own(x: int, y: int, through_alpha: bool) -> None:
    """``over`` is ``Image.paste(piece, xy, piece)``; ``put`` is ``Image.paste(piece, xy)``."""
    canvas = Canvas(W, H)
    canvas.put(_background(), 0, 0)
    expected = _background()
    piece = _piece()
    if through_alpha:
        canvas.over(piece, x, y)
        expected.paste(piece, (x, y), piece)
    else:
        canvas.put(piece, x, y)
        expected.paste(piece, (x, y))
    assert np.array_equal(canvas.array(), np.asarray(expected))


def test_a_piece_in_another_mode_is_converted_as_pillow_does() -> None:
    canvas = Canvas(W, H)
    expected = Image.new("RGBA", (W, H))
    rgb = _piece().convert("RGB")
    canvas.put(rgb, 7, 9)
    expected.paste(rgb, (7, 9))
    assert np.array_equal(canvas.array(), np.asarray(expected))


def test_draws_land_in_the_shared_array() -> None:
    canvas = Canvas(W, H)
    canvas.draw.rectangle((0, 0, 3, 3), fill=(9, 8, 7, 255))
    assert tuple(canvas.array()[2, 2]) == (9, 8, 7, 255)
