"""Plants: rooted, they sway rather than travel."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, shade, wave

BARK = (112, 78, 52)
LEAF = (58, 140, 64)


def tree(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A trunk with branches and a cloud of round leaf clumps, swaying."""
    cx, by = w / 2, h - 0.02 * s
    sway = 0.04 * s * wave(p, 0, 0.5)
    top = (cx + sway, by - 0.8 * s)
    pen.polygon(
        [
            (cx - 0.09 * s, by),
            (cx + 0.09 * s, by),
            (top[0] + 0.04 * s, top[1]),
            (top[0] - 0.04 * s, top[1]),
        ],
        BARK,
    )
    for side in (-1, 1):
        pen.limb(
            [(cx + sway * 0.5, by - 0.5 * s), (cx + side * 0.25 * s + sway, by - 0.75 * s)],
            0.04 * s,
            BARK,
        )
    clumps = (
        (0.0, -1.05, 0.32),
        (-0.3, -0.85, 0.24),
        (0.3, -0.85, 0.24),
        (-0.18, -1.25, 0.22),
        (0.2, -1.22, 0.22),
    )
    for k, (dx, dy, r) in enumerate(clumps):
        pen.circle(
            cx + dx * s + sway * 1.3, by + dy * s, r * s, c if k % 2 == 0 else shade(c, 0.85)
        )
    pen.circle(cx - 0.1 * s + sway, by - 1.12 * s, 0.1 * s, shade(c, 1.25))


def flower(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tall stem with two leaves and a ring of petals round a yellow centre, nodding."""
    cx, by = w / 2, h - 0.02 * s
    sway = 0.05 * s * wave(p, 0, 0.5)
    head = (cx + sway, by - 0.85 * s)
    pen.limb([(cx, by), (cx + sway * 0.4, by - 0.45 * s), head], 0.035 * s, LEAF)
    for side in (-1, 1):
        pen.ellipse(_leaf(cx + sway * 0.3, by - 0.35 * s, side, s), LEAF)
    for k in range(8):
        a = 2 * math.pi * k / 8
        pen.circle(head[0] + 0.13 * s * math.cos(a), head[1] + 0.13 * s * math.sin(a), 0.085 * s, c)
    pen.circle(head[0], head[1], 0.08 * s, (246, 200, 50))


def _leaf(x: float, y: float, side: int, s: float) -> tuple[float, float, float, float]:
    x0, x1 = sorted((x, x + side * 0.22 * s))
    return (x0, y - 0.05 * s, x1, y + 0.05 * s)


def cactus(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, by = w / 2, h - 0.02 * s
    pen.limb([(cx, by), (cx, by - 0.95 * s)], 0.2 * s, c)
    pen.limb(
        [
            (cx - 0.08 * s, by - 0.45 * s),
            (cx - 0.3 * s, by - 0.45 * s),
            (cx - 0.3 * s, by - 0.75 * s),
        ],
        0.11 * s,
        c,
    )
    pen.limb(
        [
            (cx + 0.08 * s, by - 0.6 * s),
            (cx + 0.28 * s, by - 0.6 * s),
            (cx + 0.28 * s, by - 0.85 * s),
        ],
        0.11 * s,
        c,
    )
    pen.circle(cx, by - 1.05 * s, 0.06 * s, (240, 110, 160))


def mushroom(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A toadstool: a white stalk under a spotted red cap."""
    cx, by = w / 2, h - 0.02 * s
    pen.rect((cx - 0.1 * s, by - 0.45 * s, cx + 0.1 * s, by), (240, 234, 220), 0.05 * s)
    pen.pieslice((cx - 0.42 * s, by - 0.8 * s, cx + 0.42 * s, by - 0.2 * s), 180, 360, c)
    for dx, dy in ((-0.22, -0.58), (0.05, -0.7), (0.24, -0.56)):
        pen.circle(cx + dx * s, by + dy * s, 0.05 * s, (250, 250, 246))
