"""Vehicles on land, water and in the air: wheels turn with the distance travelled,
propellers and rotors spin, sails fill, a rocket's flame flickers."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, shade, wave

GLASS = (190, 220, 240)
TYRE = (28, 28, 32)
HUB = (170, 170, 178)
WOOD = (110, 76, 52)
LAMP = (255, 236, 150)


def wheel(pen: Pen, x: float, y: float, r: float, p: float, s: float) -> None:
    """A wheel centred at ``x, y`` whose spokes turn with the phase."""
    pen.circle(x, y, r, TYRE)
    pen.circle(x, y, r * 0.5, HUB)
    a = 2 * math.pi * p
    for k in range(3):
        ang = a + k * 2 * math.pi / 3
        pen.limb(
            [(x, y), (x + r * 0.5 * math.cos(ang), y + r * 0.5 * math.sin(ang))],
            0.03 * s,
            (90, 90, 96),
        )


def car(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, by = w / 2, h - 0.02 * s
    pen.polygon(
        [
            (cx - 0.45 * s, by - 0.5 * s),
            (cx - 0.3 * s, by - 0.78 * s),
            (cx + 0.35 * s, by - 0.78 * s),
            (cx + 0.55 * s, by - 0.5 * s),
        ],
        shade(c, 0.85),
    )
    pen.rect((cx - 0.85 * s, by - 0.52 * s, cx + 0.85 * s, by - 0.18 * s), c, 0.08 * s)
    pen.polygon(
        [
            (cx - 0.35 * s, by - 0.52 * s),
            (cx - 0.25 * s, by - 0.72 * s),
            (cx + 0.05 * s, by - 0.72 * s),
            (cx + 0.05 * s, by - 0.52 * s),
        ],
        GLASS,
    )
    pen.polygon(
        [
            (cx + 0.12 * s, by - 0.52 * s),
            (cx + 0.12 * s, by - 0.72 * s),
            (cx + 0.32 * s, by - 0.72 * s),
            (cx + 0.45 * s, by - 0.52 * s),
        ],
        GLASS,
    )
    pen.rect((cx + 0.72 * s, by - 0.44 * s, cx + 0.84 * s, by - 0.36 * s), LAMP, 0.02 * s)
    for wx in (cx - 0.5 * s, cx + 0.5 * s):
        wheel(pen, wx, by - 0.17 * s, 0.17 * s, p, s)


def bus(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tall box on wheels with a row of windows (buses, trucks, vans)."""
    cx, by = w / 2, h - 0.02 * s
    pen.rect((cx - 0.95 * s, by - 0.95 * s, cx + 0.95 * s, by - 0.16 * s), c, 0.08 * s)
    for k in range(5):
        x = cx - 0.82 * s + k * 0.3 * s
        pen.rect((x, by - 0.82 * s, x + 0.24 * s, by - 0.56 * s), GLASS, 0.02 * s)
    pen.rect((cx + 0.7 * s, by - 0.82 * s, cx + 0.9 * s, by - 0.56 * s), GLASS, 0.02 * s)
    pen.rect((cx + 0.55 * s, by - 0.52 * s, cx + 0.67 * s, by - 0.2 * s), shade(c, 0.75), 0.01 * s)
    pen.rect((cx - 0.95 * s, by - 0.5 * s, cx + 0.95 * s, by - 0.44 * s), shade(c, 1.4))
    pen.rect((cx + 0.84 * s, by - 0.34 * s, cx + 0.94 * s, by - 0.26 * s), LAMP, 0.02 * s)
    for wx in (cx - 0.6 * s, cx + 0.55 * s):
        wheel(pen, wx, by - 0.15 * s, 0.15 * s, p, s)


def train(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A steam locomotive: boiler, chimney, cab, cow-catcher, three driving wheels."""
    cx, by = w / 2, h - 0.02 * s
    dark = shade(c, 0.45)
    puff = 0.5 + 0.5 * wave(p)
    pen.circle(
        cx + 0.45 * s - 0.1 * s * puff,
        by - 1.0 * s - 0.12 * s * puff,
        0.08 * s + 0.04 * s * puff,
        (226, 226, 230),
    )
    pen.rect((cx + 0.38 * s, by - 0.95 * s, cx + 0.52 * s, by - 0.6 * s), dark, 0.02 * s)
    pen.rect((cx - 0.2 * s, by - 0.7 * s, cx + 0.78 * s, by - 0.28 * s), c, 0.2 * s)
    pen.rect((cx - 0.8 * s, by - 1.0 * s, cx - 0.1 * s, by - 0.28 * s), c, 0.03 * s)
    pen.rect((cx - 0.86 * s, by - 1.06 * s, cx - 0.04 * s, by - 0.96 * s), dark, 0.02 * s)
    pen.rect((cx - 0.66 * s, by - 0.88 * s, cx - 0.24 * s, by - 0.62 * s), GLASS, 0.02 * s)
    pen.polygon(
        [
            (cx + 0.78 * s, by - 0.3 * s),
            (cx + 0.95 * s, by - 0.04 * s),
            (cx + 0.7 * s, by - 0.04 * s),
        ],
        dark,
    )
    pen.circle(cx + 0.74 * s, by - 0.58 * s, 0.05 * s, LAMP)
    for wx in (-0.55, -0.15, 0.25):
        wheel(pen, cx + wx * s, by - 0.16 * s, 0.16 * s, p, s)
    a = 2 * math.pi * p
    off = (0.08 * s * math.cos(a), 0.08 * s * math.sin(a))
    pen.limb(
        [
            (cx - 0.55 * s + off[0], by - 0.16 * s + off[1]),
            (cx + 0.25 * s + off[0], by - 0.16 * s + off[1]),
        ],
        0.03 * s,
        HUB,
    )


def bicycle(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Two big thin wheels, a diamond frame, handlebars and a saddle; no rider."""
    cx, by = w / 2, h - 0.02 * s
    r = 0.3 * s
    back, front = (cx - 0.42 * s, by - r), (cx + 0.42 * s, by - r)
    for x, y in (back, front):
        pen.ellipse((x - r, y - r, x + r, y + r), TYRE)
        pen.pieslice(
            (x - r * 0.86, y - r * 0.86, x + r * 0.86, y + r * 0.86), 0, 360, (236, 236, 240)
        )
        a = 2 * math.pi * p
        for k in range(4):
            ang = a + k * math.pi / 4
            pen.limb(
                [
                    (x - r * 0.8 * math.cos(ang), y - r * 0.8 * math.sin(ang)),
                    (x + r * 0.8 * math.cos(ang), y + r * 0.8 * math.sin(ang)),
                ],
                0.008 * s,
                HUB,
            )
    crank = (cx - 0.02 * s, by - r)
    seat = (cx - 0.14 * s, by - 0.72 * s)
    bar = (cx + 0.3 * s, by - 0.78 * s)
    pen.limb([back, crank, (cx + 0.28 * s, by - 0.68 * s), seat, back], 0.035 * s, c)
    pen.limb([crank, seat], 0.035 * s, c)
    pen.limb([front, bar], 0.035 * s, c)
    pen.limb([bar, (bar[0] - 0.1 * s, bar[1] - 0.04 * s)], 0.03 * s, TYRE)
    pen.rect(
        (seat[0] - 0.1 * s, seat[1] - 0.04 * s, seat[0] + 0.07 * s, seat[1] + 0.01 * s),
        TYRE,
        0.02 * s,
    )
    a = 2 * math.pi * p
    pen.limb(
        [
            (crank[0] + 0.09 * s * math.cos(a), crank[1] + 0.09 * s * math.sin(a)),
            (crank[0] - 0.09 * s * math.cos(a), crank[1] - 0.09 * s * math.sin(a)),
        ],
        0.025 * s,
        TYRE,
    )


def motorcycle(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Fat wheels, a fuel tank, a seat, a headlamp and an exhaust pipe."""
    cx, by = w / 2, h - 0.02 * s
    r = 0.22 * s
    pen.limb([(cx - 0.5 * s, by - 0.3 * s), (cx - 0.05 * s, by - 0.25 * s)], 0.05 * s, HUB)
    pen.polygon(
        [
            (cx - 0.5 * s, by - r),
            (cx - 0.15 * s, by - 0.55 * s),
            (cx + 0.3 * s, by - 0.55 * s),
            (cx + 0.5 * s, by - r),
            (cx, by - 0.2 * s),
        ],
        shade(c, 0.7),
    )
    pen.ellipse((cx - 0.1 * s, by - 0.7 * s, cx + 0.32 * s, by - 0.48 * s), c)
    pen.rect((cx - 0.45 * s, by - 0.6 * s, cx - 0.05 * s, by - 0.52 * s), TYRE, 0.03 * s)
    pen.limb([(cx + 0.5 * s, by - r), (cx + 0.35 * s, by - 0.8 * s)], 0.04 * s, HUB)
    pen.limb([(cx + 0.35 * s, by - 0.8 * s), (cx + 0.22 * s, by - 0.84 * s)], 0.03 * s, TYRE)
    pen.circle(cx + 0.44 * s, by - 0.62 * s, 0.05 * s, LAMP)
    for x in (cx - 0.5 * s, cx + 0.5 * s):
        wheel(pen, x, by - r, r, p, s)


def boat(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A small fishing boat: an upswept hull with a stripe, a wheelhouse with a window, a
    short mast with a pennant (canoes, ferries and rafts too)."""
    cx, by = w / 2, h - 0.02 * s
    deck = by - 0.32 * s
    pen.limb([(cx + 0.3 * s, deck), (cx + 0.3 * s, deck - 0.55 * s)], 0.03 * s, WOOD)
    flutter = 0.02 * s * wave(p, 0, 2)
    pen.polygon(
        [(cx + 0.3 * s, deck - 0.55 * s), (cx + 0.5 * s, deck - 0.5 * s + flutter),
         (cx + 0.3 * s, deck - 0.45 * s)],
        (214, 48, 49),
    )  # fmt: skip
    pen.rect((cx - 0.45 * s, deck - 0.36 * s, cx - 0.05 * s, deck + 0.02 * s), (240, 236, 226))
    pen.rect((cx - 0.5 * s, deck - 0.42 * s, cx, deck - 0.34 * s), shade(c, 0.7))
    pen.rect((cx - 0.36 * s, deck - 0.28 * s, cx - 0.16 * s, deck - 0.14 * s), GLASS)
    pen.polygon(
        [(cx - 0.8 * s, deck - 0.08 * s), (cx + 0.95 * s, deck - 0.16 * s), (cx + 0.62 * s, by),
         (cx - 0.6 * s, by)],
        c,
    )  # fmt: skip
    pen.polygon(
        [(cx - 0.74 * s, deck + 0.06 * s), (cx + 0.84 * s, deck + 0.0 * s),
         (cx + 0.8 * s, deck + 0.06 * s), (cx - 0.7 * s, deck + 0.12 * s)],
        (246, 244, 238),
    )  # fmt: skip


def sailing_ship(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tall ship: a hull with a raised stern, two masts of square sails, a flag."""
    cx, by = w / 2, h - 0.02 * s
    sail = (244, 238, 222)
    fill = 0.04 * s * (1 + wave(p))
    for mx, top in ((-0.25, 1.25), (0.3, 1.45)):
        x = cx + mx * s
        pen.limb([(x, by - 0.3 * s), (x, by - top * s)], 0.035 * s, WOOD)
        for k, (y0, y1) in enumerate(((top - 0.08, top - 0.45), (top - 0.5, top - 0.95))):
            half = (0.24 + 0.06 * k) * s
            pen.polygon(
                [
                    (x - half, by - y0 * s),
                    (x + half, by - y0 * s),
                    (x + half + fill, by - y1 * s),
                    (x - half + fill, by - y1 * s),
                ],
                sail,
            )
    x = cx + 0.3 * s
    pen.polygon(
        [
            (x, by - 1.45 * s),
            (x + 0.2 * s, by - 1.4 * s + 0.02 * s * wave(p, 0, 2)),
            (x, by - 1.35 * s),
        ],
        (210, 40, 40),
    )
    pen.polygon(
        [
            (cx - 0.9 * s, by - 0.48 * s),
            (cx - 0.55 * s, by - 0.48 * s),
            (cx - 0.5 * s, by - 0.32 * s),
            (cx + 0.95 * s, by - 0.34 * s),
            (cx + 0.6 * s, by),
            (cx - 0.7 * s, by),
        ],
        c,
    )
    for k in range(5):
        x = cx - 0.3 * s + k * 0.2 * s
        pen.circle(x, by - 0.18 * s, 0.035 * s, (30, 26, 24))


def submarine(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, cy = w / 2, h - 0.3 * s
    pen.rect((cx - 0.05 * s, cy - 0.42 * s, cx + 0.25 * s, cy - 0.12 * s), c, 0.05 * s)
    pen.limb(
        [
            (cx + 0.15 * s, cy - 0.42 * s),
            (cx + 0.15 * s, cy - 0.58 * s),
            (cx + 0.25 * s, cy - 0.58 * s),
        ],
        0.03 * s,
        shade(c, 0.7),
    )
    pen.ellipse((cx - 0.85 * s, cy - 0.22 * s, cx + 0.85 * s, cy + 0.25 * s), c)
    for k in range(4):
        x = cx - 0.4 * s + k * 0.25 * s
        pen.circle(x, cy, 0.06 * s, GLASS)
    spin = abs(wave(p, 0, 2))
    pen.ellipse(
        (
            cx - 1.0 * s,
            cy - 0.2 * s * spin - 0.02 * s,
            cx - 0.9 * s,
            cy + 0.2 * s * spin + 0.02 * s,
        ),
        shade(c, 0.6),
    )


def plane(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    cx, cy = w / 2, h - 0.4 * s
    pen.polygon(
        [
            (cx - 0.55 * s, cy),
            (cx - 0.72 * s, cy - 0.34 * s),
            (cx - 0.58 * s, cy - 0.34 * s),
            (cx - 0.35 * s, cy),
        ],
        shade(c, 0.8),
    )
    pen.polygon(
        [
            (cx - 0.05 * s, cy),
            (cx - 0.3 * s, cy + 0.28 * s),
            (cx - 0.1 * s, cy + 0.28 * s),
            (cx + 0.2 * s, cy),
        ],
        shade(c, 0.75),
    )
    pen.ellipse((cx - 0.75 * s, cy - 0.13 * s, cx + 0.8 * s, cy + 0.12 * s), c)
    for k in range(5):
        x = cx - 0.3 * s + k * 0.17 * s
        pen.ellipse((x, cy - 0.06 * s, x + 0.07 * s, cy + 0.01 * s), (200, 230, 250))
    pen.polygon(
        [
            (cx + 0.1 * s, cy),
            (cx - 0.2 * s, cy - 0.36 * s),
            (cx + 0.02 * s, cy - 0.36 * s),
            (cx + 0.35 * s, cy),
        ],
        shade(c, 1.1),
    )


def helicopter(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A bubble cabin, a thin tail boom, skids, and a rotor blurring as it spins."""
    cx, by = w / 2, h - 0.02 * s
    blade = 0.75 * s * abs(math.cos(2 * math.pi * p * 3))
    pen.limb([(cx - 0.1 * s, by - 0.45 * s), (cx - 0.8 * s, by - 0.55 * s)], 0.08 * s, c)
    pen.circle(cx - 0.8 * s, by - 0.58 * s, 0.1 * s * abs(wave(p, 0, 3)) + 0.02 * s, shade(c, 0.6))
    for dx in (-0.25, 0.25):
        pen.limb([(cx + dx * s, by - 0.25 * s), (cx + dx * s, by - 0.05 * s)], 0.025 * s, TYRE)
    pen.limb([(cx - 0.4 * s, by - 0.04 * s), (cx + 0.45 * s, by - 0.04 * s)], 0.03 * s, TYRE)
    pen.ellipse((cx - 0.4 * s, by - 0.7 * s, cx + 0.4 * s, by - 0.2 * s), c)
    pen.pieslice((cx - 0.05 * s, by - 0.66 * s, cx + 0.38 * s, by - 0.28 * s), 270, 90, GLASS)
    pen.limb([(cx, by - 0.7 * s), (cx, by - 0.8 * s)], 0.04 * s, TYRE)
    pen.limb([(cx - blade, by - 0.82 * s), (cx + blade, by - 0.82 * s)], 0.03 * s, (60, 60, 66))


def rocket(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Upright: pointed nose, a round window, fins, a flickering flame below."""
    cx, by = w / 2, h - 0.02 * s
    flame = 0.3 * s * (1 + 0.35 * wave(p, 0, 3))
    base = by - 0.34 * s
    pen.polygon([(cx - 0.1 * s, base), (cx, base + flame), (cx + 0.1 * s, base)], (252, 150, 40))
    pen.polygon(
        [(cx - 0.05 * s, base), (cx, base + flame * 0.6), (cx + 0.05 * s, base)], (255, 236, 120)
    )
    red = (214, 48, 49)
    for side in (-1, 1):
        pen.polygon(
            [
                (cx + side * 0.12 * s, base - 0.3 * s),
                (cx + side * 0.3 * s, base + 0.02 * s),
                (cx + side * 0.1 * s, base),
            ],
            red,
        )
    pen.rect((cx - 0.15 * s, base - 0.75 * s, cx + 0.15 * s, base), c, 0.05 * s)
    pen.polygon(
        [(cx - 0.15 * s, base - 0.72 * s), (cx, base - 1.05 * s), (cx + 0.15 * s, base - 0.72 * s)],
        red,
    )
    pen.circle(cx, base - 0.5 * s, 0.07 * s, GLASS)


def ufo(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A flying saucer: a glass dome on a wide disc, a ring of lights chasing round."""
    cx, cy = w / 2, h - 0.45 * s
    pen.polygon(
        [
            (cx - 0.25 * s, cy + 0.1 * s),
            (cx + 0.25 * s, cy + 0.1 * s),
            (cx + 0.45 * s, cy + 0.42 * s),
            (cx - 0.45 * s, cy + 0.42 * s),
        ],
        (200, 255, 200),
    )
    pen.pieslice((cx - 0.3 * s, cy - 0.32 * s, cx + 0.3 * s, cy + 0.2 * s), 180, 360, GLASS)
    pen.ellipse((cx - 0.75 * s, cy - 0.1 * s, cx + 0.75 * s, cy + 0.14 * s), c)
    for k in range(6):
        x = cx - 0.6 * s + k * 0.24 * s
        on = (k + int(p * 6)) % 3 == 0
        pen.circle(x, cy + 0.02 * s, 0.035 * s, (255, 236, 90) if on else shade(c, 0.7))


def balloon(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A hot-air balloon: striped envelope, ropes, a wicker basket."""
    cx, by = w / 2, h - 0.02 * s
    for dx in (-0.12, 0.12):
        pen.limb(
            [(cx + dx * s, by - 0.15 * s), (cx + dx * 2.6 * s, by - 0.42 * s)],
            0.012 * s,
            (80, 60, 40),
        )
    pen.rect((cx - 0.12 * s, by - 0.15 * s, cx + 0.12 * s, by), (130, 90, 56), 0.02 * s)
    top, r = by - 0.9 * s, 0.42 * s
    pen.polygon(
        [
            (cx - r * 0.75, top + r * 0.7),
            (cx + r * 0.75, top + r * 0.7),
            (cx + r * 0.3, top + r * 1.15),
            (cx - r * 0.3, top + r * 1.15),
        ],
        c,
    )
    pen.ellipse((cx - r, top - r, cx + r, top + r * 1.0), c)
    pen.ellipse((cx - r * 0.45, top - r, cx + r * 0.45, top + r * 1.0), shade(c, 1.35))
    pen.ellipse((cx - r * 0.12, top - r, cx + r * 0.12, top + r * 1.0), c)


def kite(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A diamond kite with a cross spar and a bowed tail of ribbons, tugging in the wind."""
    cx, by = w / 2, h - 0.02 * s
    tug = 0.03 * s * wave(p)
    top, mid, low = by - 1.0 * s + tug, by - 0.72 * s + tug, by - 0.35 * s + tug
    tail = [(cx, low)]
    for k in range(1, 5):
        tail.append((cx - 0.08 * s * k + 0.05 * s * wave(p, k / 4), low + 0.08 * s * k))
    pen.limb(tail, 0.012 * s, (60, 60, 66))
    for x, y in tail[1:]:
        pen.polygon(
            [
                (x - 0.04 * s, y - 0.03 * s),
                (x + 0.04 * s, y + 0.03 * s),
                (x + 0.04 * s, y - 0.03 * s),
                (x - 0.04 * s, y + 0.03 * s),
            ],
            (214, 48, 49),
        )
    pen.polygon([(cx, top), (cx + 0.25 * s, mid), (cx, low), (cx - 0.25 * s, mid)], c)
    pen.polygon([(cx, top), (cx + 0.25 * s, mid), (cx, mid)], shade(c, 1.35))
    pen.polygon([(cx, mid), (cx - 0.25 * s, mid), (cx, low)], shade(c, 0.8))
