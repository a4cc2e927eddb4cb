"""Food, drink and everyday objects; and the fallback for a noun no table knows: a signboard
with the noun written on it, never a shape that pretends to be the thing."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, shade, wave

STEAM = (236, 236, 240)
DARK = (30, 28, 32)
WHITE = (248, 246, 240)
CREAM = (250, 236, 210)


def _steam(pen: Pen, x: float, y: float, s: float, p: float) -> None:
    for k in (-1, 1):
        pts = [
            (x + k * 0.06 * s + 0.03 * s * math.sin(2 * math.pi * (p + j / 4)), y - j * 0.08 * s)
            for j in range(4)
        ]
        pen.limb(pts, 0.025 * s, STEAM)


def cake(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Two tiers with icing drips on a plate, three candles with flickering flames."""
    cx, by = w / 2, h - 0.02 * s
    pen.ellipse((cx - 0.55 * s, by - 0.08 * s, cx + 0.55 * s, by), WHITE)
    pen.rect((cx - 0.45 * s, by - 0.42 * s, cx + 0.45 * s, by - 0.05 * s), c, 0.04 * s)
    pen.rect((cx - 0.3 * s, by - 0.7 * s, cx + 0.3 * s, by - 0.4 * s), shade(c, 1.15), 0.04 * s)
    for top, half in ((by - 0.42 * s, 0.45), (by - 0.7 * s, 0.3)):
        pen.rect((cx - half * s, top, cx + half * s, top + 0.07 * s), CREAM, 0.03 * s)
        for k in range(5):
            x = cx - half * s * 0.8 + k * half * s * 0.4
            pen.circle(x, top + 0.08 * s, 0.03 * s, CREAM)
    for k, dx in enumerate((-0.15, 0.0, 0.15)):
        x = cx + dx * s
        pen.rect(
            (x - 0.02 * s, by - 0.88 * s, x + 0.02 * s, by - 0.7 * s),
            (120, 180, 240) if k % 2 else (240, 120, 160),
        )
        f = 1 + 0.25 * wave(p, k / 3, 3)
        pen.ellipse(
            (x - 0.03 * s, by - 0.88 * s - 0.09 * s * f, x + 0.03 * s, by - 0.88 * s),
            (255, 190, 60),
        )


def pizza(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A whole pizza seen at a slant: crust rim, cheese, pepperoni, a slice pulled out."""
    cx, by = w / 2, h - 0.02 * s
    cy = by - 0.22 * s
    crust = (214, 160, 90)
    pen.ellipse((cx - 0.6 * s, cy - 0.22 * s, cx + 0.6 * s, cy + 0.2 * s), crust)
    pen.ellipse((cx - 0.52 * s, cy - 0.17 * s, cx + 0.52 * s, cy + 0.15 * s), c)
    for dx, dy in (
        (-0.3, -0.05),
        (0.0, -0.09),
        (0.25, 0.0),
        (-0.1, 0.07),
        (0.3, -0.1),
        (-0.35, 0.06),
    ):
        pen.ellipse(
            (
                cx + dx * s - 0.06 * s,
                cy + dy * s - 0.035 * s,
                cx + dx * s + 0.06 * s,
                cy + dy * s + 0.035 * s,
            ),
            (196, 50, 40),
        )
    lift = 0.05 * s * (1 + wave(p, 0, 0.5))
    tip = (cx + 0.1 * s, cy - 0.02 * s - lift)
    pen.polygon([tip, (cx + 0.45 * s, cy - 0.5 * s - lift), (cx + 0.7 * s, cy - 0.3 * s - lift)], c)
    pen.limb(
        [(cx + 0.45 * s, cy - 0.5 * s - lift), (cx + 0.7 * s, cy - 0.3 * s - lift)], 0.05 * s, crust
    )
    pen.circle(cx + 0.45 * s, cy - 0.3 * s - lift, 0.04 * s, (196, 50, 40))


def burger(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A wide stack: bun, patty, cheese, tomato, lettuce frills, a sesame dome and a
    cocktail stick with an olive."""
    cx, by = w / 2, h - 0.02 * s
    bun = c
    pen.limb([(cx + 0.05 * s, by - 0.45 * s), (cx + 0.1 * s, by - 0.8 * s)], 0.02 * s, CREAM)
    pen.circle(cx + 0.1 * s, by - 0.8 * s, 0.05 * s, (90, 120, 50))
    pen.rect((cx - 0.52 * s, by - 0.12 * s, cx + 0.52 * s, by), bun, 0.05 * s)
    pen.rect((cx - 0.56 * s, by - 0.22 * s, cx + 0.56 * s, by - 0.11 * s), (98, 58, 40), 0.05 * s)
    pen.polygon(
        [(cx - 0.58 * s, by - 0.22 * s), (cx + 0.58 * s, by - 0.22 * s),
         (cx + 0.5 * s, by - 0.14 * s), (cx - 0.4 * s, by - 0.15 * s)],
        (250, 200, 60),
    )  # fmt: skip
    pen.rect((cx - 0.54 * s, by - 0.28 * s, cx + 0.54 * s, by - 0.22 * s), (220, 60, 50), 0.03 * s)
    for k in range(9):
        x = cx - 0.56 * s + k * 0.14 * s
        pen.circle(x, by - 0.29 * s, 0.045 * s, (90, 180, 70))
    pen.pieslice((cx - 0.54 * s, by - 0.62 * s, cx + 0.54 * s, by - 0.2 * s), 180, 360, bun)
    pen.rect((cx - 0.54 * s, by - 0.42 * s, cx + 0.54 * s, by - 0.31 * s), bun, 0.04 * s)
    for dx, dy in ((-0.25, -0.5), (0.0, -0.56), (0.25, -0.48), (-0.08, -0.45), (0.15, -0.42)):
        x, y = cx + dx * s, by + dy * s
        pen.ellipse((x - 0.02 * s, y - 0.012 * s, x + 0.02 * s, y + 0.012 * s), CREAM)


def fruit(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """An apple: a round body with a dimple, a stalk and a leaf, a shine."""
    cx, by = w / 2, h - 0.02 * s
    pen.circle(cx - 0.14 * s, by - 0.33 * s, 0.3 * s, c)
    pen.circle(cx + 0.14 * s, by - 0.33 * s, 0.3 * s, c)
    pen.limb([(cx, by - 0.56 * s), (cx + 0.04 * s, by - 0.75 * s)], 0.035 * s, (100, 70, 40))
    pen.polygon(
        [
            (cx + 0.04 * s, by - 0.68 * s),
            (cx + 0.22 * s, by - 0.82 * s),
            (cx + 0.3 * s, by - 0.72 * s),
            (cx + 0.1 * s, by - 0.64 * s),
        ],
        (70, 160, 60),
    )
    pen.ellipse((cx - 0.3 * s, by - 0.5 * s, cx - 0.18 * s, by - 0.34 * s), shade(c, 1.5))


def coffee(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A cup on a saucer, a handle, coffee inside, steam curling up."""
    cx, by = w / 2, h - 0.02 * s
    _steam(pen, cx, by - 0.6 * s, s, p)
    pen.ellipse((cx - 0.45 * s, by - 0.08 * s, cx + 0.45 * s, by), shade(c, 0.9))
    pen.ring((cx + 0.14 * s, by - 0.44 * s, cx + 0.4 * s, by - 0.18 * s), 0.06 * s, c)
    pen.polygon(
        [
            (cx - 0.28 * s, by - 0.52 * s),
            (cx + 0.28 * s, by - 0.52 * s),
            (cx + 0.2 * s, by - 0.07 * s),
            (cx - 0.2 * s, by - 0.07 * s),
        ],
        c,
    )
    pen.ellipse((cx - 0.28 * s, by - 0.57 * s, cx + 0.28 * s, by - 0.47 * s), c)
    pen.ellipse((cx - 0.24 * s, by - 0.555 * s, cx + 0.24 * s, by - 0.485 * s), (92, 56, 34))


def teapot(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A round pot with a spout, a loop handle, a lid with a knob, steam from the spout."""
    cx, by = w / 2, h - 0.02 * s
    _steam(pen, cx + 0.55 * s, by - 0.62 * s, s, p)
    pen.limb(
        [
            (cx + 0.2 * s, by - 0.25 * s),
            (cx + 0.45 * s, by - 0.4 * s),
            (cx + 0.55 * s, by - 0.58 * s),
        ],
        0.08 * s,
        c,
    )
    pen.ring((cx - 0.56 * s, by - 0.52 * s, cx - 0.2 * s, by - 0.14 * s), 0.07 * s, c)
    pen.ellipse((cx - 0.38 * s, by - 0.6 * s, cx + 0.38 * s, by), c)
    pen.rect((cx - 0.2 * s, by - 0.66 * s, cx + 0.2 * s, by - 0.56 * s), shade(c, 0.85), 0.03 * s)
    pen.circle(cx, by - 0.7 * s, 0.05 * s, shade(c, 0.85))
    pen.ellipse((cx - 0.25 * s, by - 0.45 * s, cx - 0.08 * s, by - 0.3 * s), shade(c, 1.4))


def lamp(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A table lamp: a flared shade glowing underneath, a stem, a round foot."""
    cx, by = w / 2, h - 0.02 * s
    glow = (255, 240, 170)
    pen.polygon(
        [
            (cx - 0.2 * s, by - 0.62 * s),
            (cx + 0.2 * s, by - 0.62 * s),
            (cx + 0.45 * s, by - 0.2 * s),
            (cx - 0.45 * s, by - 0.2 * s),
        ],
        shade(glow, 0.97 + 0.03 * wave(p)),
    )
    pen.ellipse((cx - 0.3 * s, by - 0.08 * s, cx + 0.3 * s, by), shade(c, 0.7))
    pen.limb([(cx, by - 0.05 * s), (cx, by - 0.62 * s)], 0.05 * s, shade(c, 0.7))
    pen.polygon(
        [
            (cx - 0.18 * s, by - 1.0 * s),
            (cx + 0.18 * s, by - 1.0 * s),
            (cx + 0.32 * s, by - 0.6 * s),
            (cx - 0.32 * s, by - 0.6 * s),
        ],
        c,
    )
    pen.circle(cx, by - 0.6 * s, 0.07 * s, glow)


def book(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """An open book standing on its spine, lines of text, a page turning."""
    cx, by = w / 2, h - 0.02 * s
    pen.polygon(
        [
            (cx - 0.7 * s, by - 0.6 * s),
            (cx, by - 0.5 * s),
            (cx + 0.7 * s, by - 0.6 * s),
            (cx + 0.7 * s, by - 0.05 * s),
            (cx, by),
            (cx - 0.7 * s, by - 0.05 * s),
        ],
        c,
    )
    for side in (-1, 1):
        pen.polygon(
            [
                (cx, by - 0.56 * s),
                (cx + side * 0.64 * s, by - 0.66 * s),
                (cx + side * 0.64 * s, by - 0.12 * s),
                (cx, by - 0.06 * s),
            ],
            WHITE,
        )
    for side in (-1, 1):
        for k in range(5):
            y = by - 0.52 * s + k * 0.08 * s
            pen.limb(
                [(cx + side * 0.1 * s, y), (cx + side * 0.52 * s, y - 0.04 * s)],
                0.012 * s,
                (150, 150, 160),
            )
    turn = (p * 2) % 1.0
    x = cx + 0.64 * s * math.cos(math.pi * turn)
    lift = 0.18 * s * math.sin(math.pi * turn)
    pen.polygon(
        [
            (cx, by - 0.56 * s),
            (x, by - 0.66 * s - lift),
            (x, by - 0.12 * s - lift),
            (cx, by - 0.06 * s),
        ],
        shade(WHITE, 0.94),
    )


def clock(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """An alarm clock: round face with twelve marks and turning hands, two bells, feet."""
    cx, by = w / 2, h - 0.02 * s
    cy, r = by - 0.45 * s, 0.36 * s
    for side in (-1, 1):
        pen.limb(
            [(cx + side * 0.2 * s, by - 0.2 * s), (cx + side * 0.3 * s, by)],
            0.05 * s,
            shade(c, 0.7),
        )
        pen.circle(cx + side * 0.26 * s, cy - 0.34 * s, 0.12 * s, c)
    pen.circle(cx, cy, r, c)
    pen.circle(cx, cy, r * 0.82, WHITE)
    for k in range(12):
        a = 2 * math.pi * k / 12
        pen.circle(cx + r * 0.68 * math.cos(a), cy + r * 0.68 * math.sin(a), 0.015 * s, DARK)
    a = 2 * math.pi * p - math.pi / 2
    pen.limb([(cx, cy), (cx + r * 0.6 * math.cos(a), cy + r * 0.6 * math.sin(a))], 0.02 * s, DARK)
    b = 2 * math.pi * p / 12 + math.pi / 6
    pen.limb([(cx, cy), (cx + r * 0.4 * math.cos(b), cy + r * 0.4 * math.sin(b))], 0.035 * s, DARK)
    pen.circle(cx, cy, 0.03 * s, (214, 48, 49))


def umbrella(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, by = w / 2, h - 0.02 * s
    pen.limb(
        [
            (cx, by - 0.9 * s),
            (cx, by - 0.12 * s),
            (cx + 0.08 * s, by - 0.04 * s),
            (cx + 0.14 * s, by - 0.1 * s),
        ],
        0.03 * s,
        DARK,
    )
    top = by - 1.05 * s
    pen.pieslice((cx - 0.55 * s, top, cx + 0.55 * s, top + 0.6 * s), 180, 360, c)
    for k in range(4):
        x = cx - 0.55 * s + k * 0.275 * s
        pen.pieslice((x, top + 0.2 * s, x + 0.275 * s, top + 0.38 * s), 0, 180, c)
    pen.limb([(cx, top - 0.02 * s), (cx, top - 0.08 * s)], 0.03 * s, DARK)


def ball(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A ball (an orb, a sphere): honestly round, with a band that turns as it rolls."""
    cx, by, r = w / 2, h - 0.02 * s, 0.4 * s
    cy = by - r
    pen.circle(cx, cy, r, c)
    a = 2 * math.pi * p
    pen.limb(
        [
            (cx + r * 0.95 * math.cos(a), cy + r * 0.95 * math.sin(a)),
            (cx - r * 0.95 * math.cos(a), cy - r * 0.95 * math.sin(a)),
        ],
        0.06 * s,
        WHITE,
    )
    pen.circle(cx - r * 0.4, cy - r * 0.4, r * 0.15, shade(c, 1.7))


def sign(
    pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str, label: str = "?"
) -> None:
    """The fallback: a signboard on two posts with the noun written on it in capitals."""
    cx, by = w / 2, h - 0.02 * s
    for dx in (-0.4, 0.4):
        pen.rect((cx + dx * s - 0.03 * s, by - 0.45 * s, cx + dx * s + 0.03 * s, by), (110, 80, 52))
    words = label.upper()[:14]
    board_w = max(0.5, min(1.1, 0.1 * len(words) + 0.15)) * s
    pen.rect(
        (cx - board_w / 2 - 0.08 * s, by - 0.85 * s, cx + board_w / 2 + 0.08 * s, by - 0.4 * s),
        c,
        0.04 * s,
    )
    pen.rect(
        (cx - board_w / 2 - 0.04 * s, by - 0.81 * s, cx + board_w / 2 + 0.04 * s, by - 0.44 * s),
        WHITE,
        0.03 * s,
    )
    size = min(0.2 * s, 1.6 * board_w / max(1, len(words)))
    pen.text((cx, by - 0.625 * s), words, size, DARK)
