"""Animals of the water: they swim (a tail beats, a bell pulses, arms curl) below the
surface or at it."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, joint, shade, wave

DARK = (24, 22, 26)
WHITE = (246, 244, 238)


def turtle(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    by = h - 0.02 * s
    cx = w / 2
    paddle = 14 * wave(p) if action not in ("idle", "sleep") else 0.0
    skin = (150, 180, 110)
    for dx, off in ((0.25, 0.0), (-0.25, 0.5)):
        top = (cx + dx * s, by - 0.15 * s)
        pen.limb([top, joint(top, 0.14 * s, paddle * (1 if off else -1))], 0.08 * s, skin)
    pen.limb([(cx + 0.3 * s, by - 0.18 * s), (cx + 0.48 * s, by - 0.24 * s)], 0.1 * s, skin)
    pen.circle(cx + 0.5 * s, by - 0.24 * s, 0.08 * s, skin)
    pen.circle(cx + 0.53 * s, by - 0.27 * s, 0.015 * s, DARK)
    pen.pieslice((cx - 0.4 * s, by - 0.55 * s, cx + 0.4 * s, by + 0.05 * s), 180, 360, c)
    pen.rect((cx - 0.42 * s, by - 0.16 * s, cx + 0.42 * s, by - 0.1 * s), shade(c, 0.75), 0.02 * s)
    for k in range(3):
        x = cx - 0.22 * s + k * 0.16 * s
        pen.circle(
            x + 0.06 * s, by - 0.32 * s + (0.06 * s if k != 1 else 0), 0.06 * s, shade(c, 0.8)
        )


def fish(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, cy = w / 2, h - 0.35 * s
    wag = 0.16 * s * wave(p)
    pen.polygon(
        [
            (cx - 0.4 * s, cy),
            (cx - 0.7 * s, cy - 0.22 * s + wag),
            (cx - 0.7 * s, cy + 0.22 * s + wag),
        ],
        shade(c, 0.8),
    )
    pen.polygon(
        [
            (cx - 0.05 * s, cy - 0.2 * s),
            (cx + 0.1 * s, cy - 0.38 * s),
            (cx + 0.2 * s, cy - 0.18 * s),
        ],
        shade(c, 0.8),
    )
    pen.ellipse((cx - 0.5 * s, cy - 0.24 * s, cx + 0.55 * s, cy + 0.22 * s), c)
    pen.ellipse((cx - 0.3 * s, cy + 0.02 * s, cx + 0.45 * s, cy + 0.2 * s), shade(c, 1.25))
    pen.limb(
        [(cx + 0.22 * s, cy - 0.16 * s), (cx + 0.26 * s, cy + 0.14 * s)], 0.02 * s, shade(c, 0.7)
    )
    pen.circle(cx + 0.37 * s, cy - 0.06 * s, 0.05 * s, (20, 20, 24))


def whale(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Huge, blunt head, pale belly, a flukes tail beating up and down, a spout now and then."""
    cx, cy = w / 2 + 0.1 * s, h - 0.3 * s
    beat = 0.12 * s * wave(p)
    tail = (cx - 0.95 * s, cy - 0.1 * s + beat)
    pen.limb([(cx - 0.4 * s, cy), (cx - 0.75 * s, cy - 0.05 * s + beat * 0.5), tail], 0.14 * s, c)
    pen.polygon(
        [
            tail,
            (tail[0] - 0.12 * s, tail[1] - 0.2 * s),
            (tail[0] - 0.05 * s, tail[1]),
            (tail[0] - 0.12 * s, tail[1] + 0.2 * s),
        ],
        c,
    )
    pen.ellipse((cx - 0.6 * s, cy - 0.28 * s, cx + 0.6 * s, cy + 0.24 * s), c)
    pen.rect((cx + 0.05 * s, cy - 0.26 * s, cx + 0.62 * s, cy + 0.2 * s), c, 0.2 * s)
    pen.ellipse((cx - 0.4 * s, cy + 0.02 * s, cx + 0.6 * s, cy + 0.23 * s), shade(c, 1.5))
    pen.polygon(
        [
            (cx + 0.05 * s, cy + 0.1 * s),
            (cx - 0.12 * s, cy + 0.32 * s),
            (cx + 0.15 * s, cy + 0.14 * s),
        ],
        shade(c, 0.8),
    )
    pen.circle(cx + 0.4 * s, cy - 0.04 * s, 0.03 * s, DARK)
    spout = max(0.0, wave(p, 0.1))
    if spout > 0.3:
        for dx in (-0.06, 0.0, 0.06):
            pen.limb(
                [
                    (cx + 0.2 * s, cy - 0.28 * s),
                    (cx + 0.2 * s + dx * 2 * s, cy - 0.28 * s - 0.25 * s * spout),
                ],
                0.03 * s,
                (220, 240, 255),
            )


def shark(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A torpedo with a tall dorsal fin and a crescent tail (dolphins share the body, with a
    beak and a curved fin)."""
    cx, cy = w / 2, h - 0.4 * s
    wag = 0.1 * s * wave(p)
    pen.polygon(
        [
            (cx - 0.5 * s, cy),
            (cx - 0.78 * s, cy - 0.3 * s + wag),
            (cx - 0.66 * s, cy + wag * 0.5),
            (cx - 0.75 * s, cy + 0.2 * s + wag),
        ],
        shade(c, 0.85),
    )
    pen.polygon(
        [
            (cx - 0.1 * s, cy - 0.12 * s),
            (cx - 0.02 * s, cy - 0.42 * s),
            (cx + 0.15 * s, cy - 0.12 * s),
        ],
        shade(c, 0.85),
    )
    pen.polygon(
        [
            (cx - 0.6 * s, cy),
            (cx - 0.2 * s, cy - 0.16 * s),
            (cx + 0.45 * s, cy - 0.1 * s),
            (cx + 0.7 * s, cy + 0.02 * s),
            (cx + 0.4 * s, cy + 0.13 * s),
            (cx - 0.2 * s, cy + 0.12 * s),
        ],
        c,
    )
    pen.polygon(
        [
            (cx - 0.2 * s, cy + 0.02 * s),
            (cx + 0.65 * s, cy + 0.03 * s),
            (cx + 0.4 * s, cy + 0.12 * s),
            (cx - 0.2 * s, cy + 0.11 * s),
        ],
        shade(c, 1.6),
    )
    pen.polygon(
        [
            (cx + 0.1 * s, cy + 0.08 * s),
            (cx - 0.05 * s, cy + 0.3 * s),
            (cx + 0.22 * s, cy + 0.1 * s),
        ],
        shade(c, 0.85),
    )
    pen.circle(cx + 0.45 * s, cy - 0.04 * s, 0.022 * s, DARK)
    for k in range(3):
        x = cx + 0.22 * s + k * 0.04 * s
        pen.limb([(x, cy - 0.06 * s), (x - 0.015 * s, cy + 0.04 * s)], 0.008 * s, shade(c, 0.6))


def jellyfish(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A pulsing bell and trailing, waving tentacles."""
    by = h - 0.02 * s
    cx = w / 2
    pulse = wave(p)
    bw, bh = (0.36 + 0.05 * pulse) * s, (0.3 - 0.04 * pulse) * s
    top = by - 1.0 * s
    for k in range(6):
        x = cx - bw * 0.8 + k * bw * 1.6 / 5
        pts = [(x, top + bh)]
        for j in range(1, 5):
            pts.append(
                (x + 0.05 * s * math.sin(j * 1.3 + 2 * math.pi * p + k), top + bh + j * 0.15 * s)
            )
        pen.limb(pts, 0.025 * s, shade(c, 0.85))
    pen.pieslice((cx - bw, top, cx + bw, top + 2 * bh), 180, 360, c)
    pen.rect((cx - bw, top + bh - 0.04 * s, cx + bw, top + bh + 0.02 * s), shade(c, 0.8), 0.02 * s)
    pen.ellipse((cx - bw * 0.5, top + bh * 0.2, cx + bw * 0.2, top + bh * 0.7), shade(c, 1.4))


def octopus(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A round head and eight curling arms (squid too)."""
    by = h - 0.02 * s
    cx = w / 2
    head_y = by - 0.7 * s
    for k in range(8):
        x0 = cx - 0.26 * s + k * 0.52 * s / 7
        side = -1 if k < 4 else 1
        pts = [(x0, head_y + 0.18 * s)]
        for j in range(1, 5):
            curl = 0.06 * s * math.sin(j * 1.1 + 2 * math.pi * p + k * 0.7)
            pts.append((x0 + side * j * 0.08 * s + curl, head_y + 0.18 * s + j * 0.12 * s))
        pen.limb(pts, 0.07 * s * (1 - 0.1 * (k % 2)), c if k % 2 else shade(c, 0.8))
    pen.ellipse((cx - 0.3 * s, head_y - 0.32 * s, cx + 0.3 * s, head_y + 0.28 * s), c)
    for side in (-1, 1):
        pen.circle(cx + side * 0.11 * s, head_y + 0.05 * s, 0.06 * s, WHITE)
        pen.circle(cx + side * 0.11 * s, head_y + 0.06 * s, 0.03 * s, DARK)
