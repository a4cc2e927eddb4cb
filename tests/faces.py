"""A drawn human face that OpenCV's frontal-face detector finds, made in code (no photos or
data sets in the repository)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageFilter


def face_image(width: int = 256, height: int = 256, fmt: str = "PNG") -> bytes:
    """A cartoon face: skin-toned oval, hair, eyes with pupils, brows, nose and mouth."""
    side = min(width, height)
    image = Image.new("RGB", (width, height), (90, 110, 140))
    draw = ImageDraw.Draw(image)
    s = side / 256
    ox, oy = (width - side) / 2, (height - side) / 2

    def box(x0: float, y0: float, x1: float, y1: float) -> list[float]:
        return [ox + x0 * s, oy + y0 * s, ox + x1 * s, oy + y1 * s]

    draw.ellipse(box(58, 30, 198, 220), fill=(224, 180, 150))
    draw.ellipse(box(50, 10, 206, 80), fill=(60, 40, 30))
    for x in (95, 161):
        draw.ellipse(box(x - 22, 92, x + 22, 118), fill=(250, 250, 250))
        draw.ellipse(box(x - 10, 95, x + 10, 115), fill=(40, 30, 20))
        draw.rectangle(box(x - 26, 78, x + 26, 86), fill=(70, 50, 40))
    draw.polygon(
        [(ox + 128 * s, oy + 110 * s), (ox + 116 * s, oy + 160 * s), (ox + 140 * s, oy + 160 * s)],
        fill=(205, 160, 130),
    )
    draw.ellipse(box(100, 175, 156, 192), fill=(170, 70, 70))
    image = image.filter(ImageFilter.GaussianBlur(3 * s))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def landscape_image(width: int = 256, height: int = 256, fmt: str = "PNG") -> bytes:
    """Sky, sun, hills and a tree: shapes and edges, but no face."""
    image = Image.new("RGB", (width, height), (120, 170, 230))
    draw = ImageDraw.Draw(image)
    draw.ellipse([width * 0.7, height * 0.1, width * 0.85, height * 0.25], fill=(250, 220, 90))
    draw.polygon([(0, height * 0.7), (width * 0.4, height * 0.45), (width, height * 0.75),
                  (width, height), (0, height)], fill=(70, 140, 60))  # fmt: skip
    draw.rectangle([width * 0.2, height * 0.5, width * 0.23, height * 0.7], fill=(90, 60, 30))
    draw.ellipse([width * 0.14, height * 0.36, width * 0.29, height * 0.55], fill=(40, 110, 40))
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()
