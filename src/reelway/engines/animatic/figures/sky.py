"""Heavenly bodies: they hang where they are and turn or glow."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, shade, wave


def planet(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A banded sphere (the bands slide as it turns) inside a tilted ring."""
    cx, cy = w / 2, h - 0.5 * s
    r = 0.36 * s
    ring = shade(c, 1.45)
    pen.ellipse((cx - 0.78 * s, cy - 0.14 * s, cx + 0.78 * s, cy + 0.14 * s), ring)
    pen.layer()
    pen.circle(cx, cy, r, c)
    for k, dy in enumerate((-0.55, -0.15, 0.3)):
        slide = 0.06 * s * wave(p, k / 3, 0.5)
        y = cy + dy * r
        half = r * math.sqrt(max(0.0, 1 - dy * dy)) * 0.96
        pen.ellipse(
            (cx - half + slide, y - 0.05 * s, cx + half + slide, y + 0.05 * s),
            shade(c, 0.78 if k % 2 else 1.2),
        )
    pen.pieslice((cx - 0.78 * s, cy - 0.14 * s, cx + 0.78 * s, cy + 0.14 * s), 0, 180, ring)
    pen.circle(cx - r * 0.4, cy - r * 0.4, r * 0.12, shade(c, 1.5))


def moon(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A crescent with a few grey craters: the moon as everyone draws it (a disc would be
    any ball)."""
    cx, cy = w / 2 + 0.12 * s, h - 0.5 * s
    r, r2, d = 0.46 * s, 0.42 * s, 0.24 * s  # outer disc; the shadow disc, d to the left
    a = (r * r - r2 * r2 + d * d) / (2 * d)
    top = math.atan2(-math.sqrt(max(0.0, r * r - a * a)), -a)
    inner = math.atan2(-math.sqrt(max(0.0, r * r - a * a)), d - a)
    pts = []
    for k in range(25):
        t = top + (-2 * top) * k / 24  # over the right-hand side, top to bottom
        pts.append((cx + r * math.cos(t), cy + r * math.sin(t)))
    for k in range(25):
        t = -inner + (2 * inner) * k / 24  # back up the shadow's edge
        pts.append((cx - d + r2 * math.cos(t), cy + r2 * math.sin(t)))
    pen.polygon(pts, c)
    for dx, dy, rad in ((0.34, -0.05, 0.05), (0.3, 0.2, 0.035), (0.26, -0.28, 0.03)):
        pen.circle(cx + dx * s, cy + dy * s, rad * s, shade(c, 0.8))


def sun(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A disc with rays that pulse (a star, when the prompt says one)."""
    cx, cy = w / 2, h - 0.5 * s
    grow = 1 + 0.1 * wave(p)
    for k in range(12):
        a = 2 * math.pi * k / 12
        inner, outer = 0.3 * s, (0.46 if k % 2 else 0.42) * s * grow
        pen.polygon([
            (cx + inner * math.cos(a - 0.2), cy + inner * math.sin(a - 0.2)),
            (cx + outer * math.cos(a), cy + outer * math.sin(a)),
            (cx + inner * math.cos(a + 0.2), cy + inner * math.sin(a + 0.2)),
        ], shade(c, 0.92))  # fmt: skip
    pen.circle(cx, cy, 0.3 * s, c)
    pen.circle(cx - 0.08 * s, cy - 0.08 * s, 0.1 * s, shade(c, 1.4))


def star(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A five-pointed star, twinkling."""
    cx, cy = w / 2, h - 0.5 * s
    k = 1 + 0.08 * wave(p, 0, 2)
    pts = []
    for i in range(10):
        a = -math.pi / 2 + i * math.pi / 5
        r = (0.45 if i % 2 == 0 else 0.19) * s * k
        pts.append((cx + r * math.cos(a), cy + r * math.sin(a)))
    pen.polygon(pts, c)
    pen.circle(cx - 0.06 * s, cy - 0.05 * s, 0.05 * s, shade(c, 1.5))


# The full moon's seas (x, y, half-width, half-height in units of its radius): the
# near side's familiar face, Procellarum on the left to Crisium on the right.
MARIA = (
    (-0.52, 0.06, 0.24, 0.42), (-0.2, -0.44, 0.25, 0.19), (0.2, -0.4, 0.15, 0.14),
    (0.34, -0.06, 0.19, 0.16), (0.7, -0.24, 0.09, 0.11), (0.56, 0.22, 0.09, 0.15),
    (-0.18, 0.42, 0.17, 0.11),
)  # fmt: skip
CRATERS = ((-0.08, 0.72, 0.08), (0.36, 0.56, 0.06), (-0.62, -0.5, 0.05), (0.1, 0.16, 0.05))
HALO = (
    (1.74, 14), (1.68, 32), (1.63, 56), (1.58, 160), (1.54, 205), (1.5, 225), (1.46, 205),
    (1.42, 160), (1.36, 60), (1.22, 80), (1.1, 100),
)  # fmt: skip
"""The full moon's halo, (radius in moon radii, alpha) from the outside in: a faint glow,
a bright ring (opaque enough to be part of the silhouette), a soft gap, the glow again."""


def full_moon(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """The whole disc with grey seas and craters, in a halo ring that shimmers.  A plain disc
    would be any ball or sun; the ring, clear of the disc, is the full moon's alone."""
    r = 0.36 * s
    cx, cy = w / 2, h - 1.76 * r
    shimmer = round(18 * wave(p))
    rings = [(k * r, min(255, a + shimmer) if a > 127 else a) for k, a in HALO]
    pen.halo(cx, cy, rings, shade(c, 1.3))
    pen.circle(cx, cy, r, c)
    for dx, dy, rx, ry in MARIA:
        x, y = cx + dx * r, cy + dy * r
        pen.ellipse((x - rx * r, y - ry * r, x + rx * r, y + ry * r), shade(c, 0.8))
    for dx, dy, k in CRATERS:
        x, y = cx + dx * r, cy + dy * r
        pen.circle(x, y, k * r * 1.4, shade(c, 1.25))
        pen.circle(x, y, k * r, shade(c, 0.7))
