"""Coat and surface patterns painted onto a drawn figure: calico patches, stripes, tabby
markings, spots, a metallic sheen, a glow.

A pattern goes only on the figure's body: pixels that are a shade of its own colour (not the
outline, eyes, wheels or windows).  Its coordinates are the sprite's, in units of the figure
size, so every pose and every size shows the same markings.  Done once per cached pose.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageFilter

from reelway.engines.animatic.figures.pen import RGB, shade

PATTERNS = ("calico", "striped", "tabby", "spotted", "metallic", "glowing")


def body_mask(img: Image.Image, colour: RGB) -> NDArray[np.bool_]:
    """Opaque pixels whose colour is a shade of ``colour`` (darkened towards black or
    lightened towards white, as ``shade`` makes them)."""
    px = np.asarray(img, dtype=np.float32)
    rgb, alpha = px[..., :3], px[..., 3]
    c = np.array(colour, np.float32) + 1.0
    dark = (rgb @ c) / float(c @ c)
    err_dark = np.abs(rgb - dark[..., None] * c).sum(axis=2)
    up = 256.0 - c
    light = ((256.0 - rgb) @ up) / float(up @ up)
    err_light = np.abs((256.0 - rgb) - light[..., None] * up).sum(axis=2)
    mask: NDArray[np.bool_] = (alpha > 200) & (np.minimum(err_dark, err_light) < 9) & (dark > 0.3)
    return mask


def spot_colour(coat: RGB) -> RGB:
    """Spots that show on ``coat``: dark on a bright coat (a leopard's, a giraffe's, a
    dalmatian's), pale on a dull or dark one (a chital deer's, a fawn's)."""
    return shade(coat, 0.3) if max(coat) >= 192 else (246, 240, 226)


def apply(img: Image.Image, pattern: str | None, colour: RGB, s: float) -> Image.Image:
    """``img`` (RGBA, drawn in ``colour`` at figure size ``s`` pixels) with ``pattern``."""
    if pattern not in PATTERNS:
        return img
    if pattern == "glowing":
        return _glow(img, colour, s)
    mask = body_mask(img, colour)
    h, w = mask.shape
    y, x = np.mgrid[0:h, 0:w].astype(np.float32) / max(1.0, s)
    px = np.asarray(img).copy()
    rgb = px[..., :3]
    if pattern in ("striped", "tabby"):
        period, width, k = (0.16, 0.45, 0.35) if pattern == "striped" else (0.09, 0.4, 0.62)
        wobble = 0.03 * np.sin(y * 19.0) if pattern == "tabby" else 0.02 * np.sin(y * 9.0)
        band = ((x + 0.25 * y + wobble) / period) % 1.0 < width
        rgb[mask & band] = shade(colour, k)
    elif pattern == "spotted":
        row = np.floor(y / 0.14)
        gx = (x + 0.07 * (row % 2)) / 0.14 % 1.0 - 0.5
        gy = y / 0.14 % 1.0 - 0.5
        rgb[mask & (gx * gx + gy * gy < 0.09)] = spot_colour(colour)
    elif pattern == "calico":
        rgb[mask] = (246, 240, 228)
        field = np.sin(x * 7.1 + 1.3) * np.sin(y * 6.3 + 0.4) + 0.6 * np.sin(
            x * 3.7 - y * 4.9 + 2.0
        )
        rgb[mask & (field > 0.55)] = (222, 124, 44)
        rgb[mask & (field < -0.7)] = (42, 36, 36)
    elif pattern == "metallic":
        luma = np.asarray(Image.fromarray(rgb).convert("L"), np.float32)
        sheen = 0.55 + 0.45 * np.cos((x * 0.9 + y * 2.6) * 3.2)
        silver = np.stack([luma * 0.7 + 70, luma * 0.72 + 74, luma * 0.76 + 82], axis=-1)
        tinted = silver * 0.75 + np.array(colour, np.float32) * 0.25
        lit = np.clip(tinted * (0.7 + 0.6 * sheen[..., None]), 0, 255).astype(np.uint8)
        rgb[mask] = lit[mask]
    px[..., :3] = rgb
    return Image.fromarray(px, "RGBA")


def _glow(img: Image.Image, colour: RGB, s: float) -> Image.Image:
    """A soft halo in a light tint of the figure's colour, behind it; the body brightened.
    The image grows at the sides and top (not the bottom: the anchor stays the feet)."""
    pad = max(2, round(0.12 * s))
    mask = body_mask(img, colour)
    px = np.asarray(img).copy()
    bright = np.array(shade(colour, 1.35), np.uint8)
    px[..., :3][mask] = (px[..., :3][mask].astype(np.uint16) + bright) // 2
    lit = Image.fromarray(px, "RGBA")
    w, h = img.size
    out = Image.new("RGBA", (w + 2 * pad, h + pad), (*shade(colour, 1.5), 0))
    halo = Image.new("L", out.size, 0)
    halo.paste(img.getchannel("A"), (pad, pad))
    halo = halo.filter(ImageFilter.MaxFilter(5)).filter(ImageFilter.GaussianBlur(pad / 2))
    halo = halo.point(lambda v: min(255, int(v * 0.85)))
    out.putalpha(halo)
    out.alpha_composite(lit, (pad, pad))
    return out
