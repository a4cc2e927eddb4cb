"""Four-legged animals: one parametric body (legs, neck, head, ears, tail) and per-family
proportions and extras, so a cat and a dog differ where a viewer looks (ears, tail, muzzle,
gait) and a giraffe, an elephant and a rabbit differ in silhouette.

A sleeping animal lies on the ground with its legs tucked under and breathes; a cat curls
its tail round its front.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from reelway.engines.animatic.figures.pen import RGB, Pen, Point, joint, shade, wave

DARK = (24, 22, 26)
WHITE = (246, 244, 238)


@dataclass(frozen=True)
class Quad:
    """A four-legged body's proportions, in units of the figure size."""

    length: float
    depth: float
    leg: float
    leg_w: float
    neck: tuple[float, float]
    """Head centre from the body's front end: forward, up."""
    head: float
    snout: tuple[float, float]
    """Snout length and height."""
    ears: str
    tail: str
    neck_w: float = 0.0
    gait: float = 1.0
    """Stride scale: a horse strides long, a mouse scurries."""


def _swing(action: str) -> float:
    return {"walk": 24.0, "run": 42.0, "jump": 34.0, "dance": 18.0, "climb": 28.0}.get(action, 0.0)


@dataclass(frozen=True)
class Points:
    """Where a drawn body's parts ended up, for a family's extras."""

    head: Point
    r: float
    rear: Point
    top: float
    body_x: float


def quadruped(
    pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str, q: Quad,
    *, belly: RGB | None = None, legs: RGB | None = None,
) -> Points:  # fmt: skip
    """Draw the body ``q`` describes, walking/running/standing/sleeping by ``action``."""
    if action == "sleep":
        return _lying(pen, s, w, h, p, c, q)
    by = h - 0.02 * s
    length, depth = q.length * s, q.depth * s
    bx = w / 2 - 0.08 * s - (q.neck[0] * s) / 2
    body_y = by - q.leg * s
    swing = _swing(action) * q.gait
    leg_c = legs or c
    # Far legs first (darker), then tail and body, then near legs.
    xs = ((0.34, 0.0), (-0.34, 0.5), (0.28, 0.5), (-0.4, 0.0))
    pts_by_leg = []
    for k, (dx, off) in enumerate(xs):
        a = swing * wave(p, off)
        top = (bx + dx * length, body_y)
        knee = joint(top, 0.52 * q.leg * s, a)
        bend = -abs(a) * 0.6 if dx > 0 else abs(a) * 0.4
        pts_by_leg.append((k, [top, knee, joint(knee, 0.5 * q.leg * s, a + bend)]))
    for _, pts in pts_by_leg[2:]:
        pen.limb(pts, q.leg_w * s, shade(leg_c, 0.72))
    rear = (bx - length / 2 + 0.03 * s, body_y - depth * 0.25)
    _tail(pen, s, p, c, q.tail, rear, action)
    pen.ellipse((bx - length / 2, body_y - depth / 2, bx + length / 2, body_y + depth / 2), c)
    if belly is not None:
        pen.ellipse(
            (bx - length * 0.3, body_y, bx + length * 0.35, body_y + depth / 2 - 0.01 * s), belly
        )
    for _, pts in pts_by_leg[:2]:
        pen.limb(pts, q.leg_w * s, leg_c)
    bob = 0.015 * s * wave(p, 0, 2) if swing else 0.0
    hx, hy = bx + length / 2 + q.neck[0] * s, body_y - q.neck[1] * s + bob
    if q.neck_w:
        pen.limb([(bx + length * 0.3, body_y - depth * 0.15), (hx, hy)], q.neck_w * s, c)
    r = q.head * s
    _ears(pen, s, c, q.ears, (hx, hy), r, p)
    pen.circle(hx, hy, r, c)
    if q.snout[0]:
        sl, sh = q.snout[0] * s, q.snout[1] * s
        pen.ellipse(
            (hx + r * 0.2, hy + r * 0.55 - sh / 2, hx + r * 0.6 + sl, hy + r * 0.55 + sh / 2),
            shade(c, 1.1),
        )
        pen.circle(hx + r * 0.6 + sl, hy + r * 0.5 - sh * 0.25, 0.028 * s, DARK)
    pen.circle(hx + r * 0.35, hy - r * 0.2, 0.024 * s, DARK)
    return Points((hx, hy), r, rear, body_y - depth / 2, bx)


def _lying(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, q: Quad) -> Points:
    """Asleep: body on the ground, legs tucked, head down on the front paws, breathing."""
    by = h - 0.02 * s
    breathe = 1 + 0.05 * wave(p)
    length, depth = q.length * s * 1.05, q.depth * s * 1.1 * breathe
    bx = w / 2
    body_y = by - depth / 2
    rear = (bx - length / 2 + 0.03 * s, body_y - depth * 0.1)
    if q.tail == "up":  # a cat's tail wraps round its front
        pen.limb(
            [rear, (bx - length * 0.3, by - 0.03 * s), (bx + length * 0.2, by - 0.03 * s),
             (bx + length * 0.5, by - 0.06 * s)],
            0.06 * s, shade(c, 0.9),
        )  # fmt: skip
    else:
        _tail(pen, s, 0.0, c, q.tail, rear, "sleep")
    pen.ellipse((bx - length / 2, body_y - depth / 2, bx + length / 2, by), c)
    for dx in (0.32, -0.3):
        pen.ellipse(
            (bx + dx * length - 0.1 * s, by - 0.07 * s, bx + dx * length + 0.12 * s, by),
            shade(c, 0.9),
        )
    r = q.head * s
    hx, hy = bx + length / 2 - r * 0.2, by - r * 1.0
    _ears(pen, s, c, q.ears, (hx, hy), r, 0.0)
    pen.circle(hx, hy, r, c)
    if q.snout[0]:
        sl, sh = q.snout[0] * s, q.snout[1] * s
        pen.ellipse(
            (hx + r * 0.2, hy + r * 0.55 - sh / 2, hx + r * 0.6 + sl, hy + r * 0.55 + sh / 2),
            shade(c, 1.1),
        )
    pen.limb([(hx + r * 0.15, hy - r * 0.15), (hx + r * 0.55, hy - r * 0.15)], 0.012 * s, DARK)
    return Points((hx, hy), r, rear, body_y - depth / 2, bx)


def _ears(pen: Pen, s: float, c: RGB, kind: str, head: Point, r: float, p: float) -> None:
    hx, hy = head
    inner = shade(c, 0.75)
    if kind in ("point", "big"):
        tall, wide = (1.1, 0.42) if kind == "point" else (1.35, 0.6)
        for dx, col in ((-0.45, inner), (0.15, c)):
            x = hx + dx * r
            pen.polygon(
                [
                    (x - wide * r * 0.5, hy - r * 0.55),
                    (x + 0.1 * r, hy - r * (0.55 + tall)),
                    (x + wide * r, hy - r * 0.5),
                ],
                col,
            )
    elif kind == "flop":
        pen.ellipse((hx - r * 0.95, hy - r * 0.7, hx - r * 0.25, hy + r * 1.05), shade(c, 0.7))
    elif kind == "round":
        for dx in (-0.6, 0.35):
            pen.circle(hx + dx * r, hy - r * 0.85, r * 0.38, inner)
    elif kind == "long":
        for dx, lean in ((-0.3, -8.0), (0.2, 6.0)):
            base = (hx + dx * r, hy - r * 0.6)
            tip = joint(base, 2.3 * r, 180 + lean + 4 * wave(p))
            pen.limb([base, tip], r * 0.5, c)
            pen.limb(
                [joint(base, 0.4 * r, 180 + lean), joint(base, 1.9 * r, 180 + lean)],
                r * 0.2,
                (240, 180, 190),
            )
    elif kind == "deer":  # big, leaf-shaped, held out to the side and back
        for dx, col, lean in ((-0.5, inner, -55.0), (-0.35, c, -75.0)):
            _leaf(pen, (hx + dx * r, hy - r * 0.5), 1.9 * r, 0.8 * r, lean, col)
    elif kind == "small":
        pen.polygon(
            [
                (hx - r * 0.5, hy - r * 0.6),
                (hx - r * 0.65, hy - r * 1.35),
                (hx - r * 0.05, hy - r * 0.8),
            ],
            inner,
        )
    elif kind == "wide":  # an elephant's
        pen.ellipse((hx - r * 1.35, hy - r * 0.9, hx + r * 0.05, hy + r * 1.1), shade(c, 0.85))


def _leaf(pen: Pen, base: Point, length: float, width: float, lean: float, c: RGB) -> None:
    """A leaf shape from ``base``, ``lean`` degrees from straight up (negative: backwards)."""
    a = math.radians(lean)
    ux, uy = math.sin(a), -math.cos(a)  # along the leaf
    pts = []
    for k in range(13):
        t = math.pi * k / 12
        along, across = length * (1 - math.cos(t)) / 2, width / 2 * math.sin(t)
        pts.append((base[0] + ux * along - uy * across, base[1] + uy * along + ux * across))
    for k in range(1, 12):
        t = math.pi * (12 - k) / 12
        along, across = length * (1 - math.cos(t)) / 2, width / 2 * math.sin(t)
        pts.append((base[0] + ux * along + uy * across, base[1] + uy * along - ux * across))
    pen.polygon(pts, c)


def _tail(pen: Pen, s: float, p: float, c: RGB, kind: str, rear: Point, action: str) -> None:
    x, y = rear
    moving = action not in ("idle", "sleep")
    if kind == "up":  # a cat's: long, upright, curling at the tip
        sway = 0.04 * s * wave(p, 0.25)
        pen.limb(
            [(x, y), (x - 0.16 * s, y - 0.16 * s), (x - 0.16 * s + sway, y - 0.42 * s),
             (x - 0.06 * s + sway, y - 0.55 * s)],
            0.055 * s, c,
        )  # fmt: skip
    elif kind == "wag":  # a dog's: short, up and back, wagging fast
        a = 220 + 22 * wave(p, 0, 4 if not moving else 2)
        pen.limb([(x, y), joint((x, y), 0.22 * s, a)], 0.07 * s, c)
    elif kind == "bush":  # a fox's: big, level, white-tipped
        sway = 0.03 * s * wave(p, 0.25)
        pts = [
            (x + 0.03 * s, y - 0.02 * s), (x - 0.25 * s, y - 0.1 * s + sway),
            (x - 0.5 * s, y + 0.02 * s + sway), (x - 0.3 * s, y + 0.12 * s), (x, y + 0.08 * s),
        ]  # fmt: skip
        pen.polygon(pts, c)
        pen.ellipse((x - 0.56 * s, y - 0.05 * s + sway, x - 0.38 * s, y + 0.08 * s + sway), WHITE)
    elif kind == "hang":  # a horse's
        sway = 0.03 * s * wave(p)
        pen.limb(
            [(x, y), (x - 0.1 * s, y + 0.15 * s), (x - 0.12 * s + sway, y + 0.42 * s)],
            0.09 * s,
            shade(c, 0.6),
        )
    elif kind == "tuft":  # a lion's
        sway = 0.04 * s * wave(p)
        end = (x - 0.32 * s + sway, y + 0.1 * s)
        pen.limb([(x, y), (x - 0.2 * s, y + 0.3 * s), end], 0.04 * s, c)
        pen.circle(end[0], end[1], 0.05 * s, shade(c, 0.55))
    elif kind == "low":  # a big cat's: long, hanging, curving up at the tip
        sway = 0.03 * s * wave(p)
        pen.limb(
            [
                (x, y),
                (x - 0.18 * s, y + 0.2 * s),
                (x - 0.34 * s + sway, y + 0.3 * s),
                (x - 0.45 * s + sway, y + 0.2 * s),
            ],
            0.06 * s,
            c,
        )
    elif kind == "thin":  # a mouse's
        sway = 0.05 * s * wave(p)
        pen.limb(
            [
                (x, y),
                (x - 0.2 * s, y - 0.05 * s + sway),
                (x - 0.4 * s, y + 0.05 * s - sway),
                (x - 0.55 * s, y),
            ],
            0.018 * s,
            shade(c, 1.2),
        )
    elif kind == "puff":
        pen.circle(x - 0.02 * s, y, 0.09 * s, WHITE)
    elif kind == "curl":
        pen.limb(
            [
                (x, y),
                (x - 0.08 * s, y - 0.06 * s),
                (x - 0.04 * s, y - 0.12 * s),
                (x - 0.1 * s, y - 0.1 * s),
            ],
            0.025 * s,
            c,
        )
    elif kind == "flag":  # a deer's: short, raised, white beneath
        flick = 0.02 * s * wave(p, 0, 2)
        tip = (x - 0.1 * s, y - 0.08 * s + flick)
        pen.limb([(x, y), tip], 0.06 * s, c)
        pen.ellipse((tip[0] - 0.03 * s, tip[1], tip[0] + 0.05 * s, tip[1] + 0.09 * s), WHITE)
    elif kind == "stub":
        pen.ellipse((x - 0.08 * s, y - 0.05 * s, x + 0.04 * s, y + 0.06 * s), c)
    elif kind == "rope":  # a cow's or an elephant's: thin, hanging, a tuft at the end
        end = (x - 0.06 * s + 0.02 * s * wave(p), y + 0.38 * s)
        pen.limb([(x, y), (x - 0.06 * s, y + 0.1 * s), end], 0.025 * s, c)
        pen.ellipse(
            (end[0] - 0.03 * s, end[1] - 0.02 * s, end[0] + 0.03 * s, end[1] + 0.08 * s),
            shade(c, 0.5),
        )


CAT = Quad(0.62, 0.24, 0.3, 0.06, (0.06, 0.16), 0.15, (0.04, 0.06), "point", "up", 0.1)
DOG = Quad(0.62, 0.3, 0.4, 0.085, (0.12, 0.2), 0.15, (0.17, 0.12), "flop", "wag", 0.15)
FOX = Quad(0.66, 0.27, 0.3, 0.065, (0.1, 0.14), 0.13, (0.2, 0.08), "big", "bush", 0.1)
HORSE = Quad(0.85, 0.36, 0.62, 0.085, (0.22, 0.5), 0.13, (0.2, 0.14), "small", "hang", 0.16, 0.8)
BEAR = Quad(0.9, 0.5, 0.32, 0.16, (0.1, 0.12), 0.19, (0.14, 0.12), "round", "stub", 0.25, 0.6)
BIGCAT = Quad(0.85, 0.32, 0.4, 0.1, (0.08, 0.12), 0.17, (0.08, 0.1), "round", "low", 0.18)
LION = Quad(0.85, 0.34, 0.42, 0.1, (0.1, 0.16), 0.17, (0.1, 0.1), "round", "tuft", 0.18)
DEER = Quad(0.72, 0.3, 0.52, 0.05, (0.12, 0.3), 0.11, (0.13, 0.08), "deer", "flag", 0.13)
GIRAFFE = Quad(0.75, 0.36, 0.95, 0.06, (0.4, 1.0), 0.11, (0.14, 0.1), "small", "rope", 0.12)
ELEPHANT = Quad(1.1, 0.62, 0.48, 0.2, (0.02, 0.05), 0.27, (0.0, 0.0), "wide", "rope", 0.0, 0.6)
MOUSE = Quad(0.46, 0.28, 0.1, 0.035, (0.04, 0.06), 0.13, (0.08, 0.07), "round", "thin", 0.0, 1.4)
COW = Quad(0.95, 0.42, 0.48, 0.1, (0.08, 0.14), 0.16, (0.1, 0.16), "small", "rope", 0.18, 0.7)
SHEEP = Quad(0.8, 0.44, 0.34, 0.05, (0.06, 0.12), 0.13, (0.1, 0.1), "small", "stub", 0.1, 0.7)
CAMEL = Quad(0.8, 0.34, 0.62, 0.07, (0.3, 0.2), 0.11, (0.16, 0.09), "small", "rope", 0.09, 0.8)
PIG = Quad(0.8, 0.4, 0.22, 0.08, (0.0, 0.05), 0.2, (0.08, 0.14), "small", "curl", 0.0, 0.8)


def cat(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, CAT)
    hx, hy = pt.head
    for dy in (-0.01, 0.03):  # whiskers
        pen.limb(
            [(hx + pt.r * 0.7, hy + pt.r * 0.45), (hx + pt.r * 1.6, hy + pt.r * 0.45 + dy * s)],
            0.006 * s,
            WHITE,
        )


def dog(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, DOG)
    if action != "sleep":  # a collar
        hx, hy = pt.head
        pen.limb(
            [(hx - pt.r * 0.9, hy + pt.r * 0.7), (hx - pt.r * 0.2, hy + pt.r * 1.15)],
            0.04 * s,
            (200, 40, 40),
        )


def fox(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    quadruped(pen, s, w, h, p, c, action, FOX, belly=WHITE, legs=shade(c, 0.35))


def horse(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    _horse(pen, s, w, h, p, c, action, horn=False)


def _horse(
    pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str, horn: bool
) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, HORSE)
    hx, hy = pt.head
    mane = shade(c, 0.55) if not horn else (236, 120, 200)
    pen.limb(
        [
            (hx - pt.r * 0.6, hy - pt.r * 0.6),
            (hx - 0.22 * s, hy + 0.12 * s),
            (pt.body_x + 0.3 * s, pt.top + 0.04 * s),
        ],
        0.06 * s,
        mane,
    )
    if horn:
        pen.polygon(
            [
                (hx - pt.r * 0.1, hy - pt.r * 0.8),
                (hx + pt.r * 0.9, hy - pt.r * 2.9),
                (hx + pt.r * 0.45, hy - pt.r * 0.6),
            ],
            (250, 222, 120),
        )


def unicorn(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Rearing on its hind legs (or leaping), horned, with a flowing pink mane: not a horse."""
    by = h - 0.02 * s
    cx = w / 2
    lift = 0.04 * s * wave(p)
    hip = (cx - 0.2 * s, by - 0.55 * s)
    chest = (cx + 0.22 * s, by - 0.95 * s - lift)
    mane = (236, 120, 200)
    for side, col in ((1, shade(c, 0.75)), (-1, c)):
        a = 8 * side + 10 * wave(p, 0.25 * side)
        knee = joint(hip, 0.3 * s, a)
        pen.limb([hip, knee, joint(knee, 0.28 * s, a - 10)], 0.08 * s, col)
    pen.limb(
        [hip, (hip[0] - 0.2 * s, hip[1] + 0.1 * s), (hip[0] - 0.28 * s, hip[1] + 0.4 * s)],
        0.09 * s,
        mane,
    )
    pen.limb([hip, chest], 0.32 * s, c)
    for side, col in ((1, shade(c, 0.75)), (-1, c)):
        a = 120 + 25 * side + 15 * wave(p, 0.2 * side)
        knee = joint(chest, 0.22 * s, a)
        pen.limb([chest, knee, joint(knee, 0.2 * s, a - 90)], 0.075 * s, col)
    head = (chest[0] + 0.2 * s, chest[1] - 0.32 * s)
    pen.limb([chest, head], 0.17 * s, c)
    pen.limb(
        [(head[0] - 0.08 * s, head[1] - 0.02 * s), (chest[0] - 0.14 * s, chest[1] - 0.05 * s)],
        0.07 * s,
        mane,
    )
    pen.ellipse((head[0] - 0.06 * s, head[1] - 0.08 * s, head[0] + 0.22 * s, head[1] + 0.08 * s), c)
    pen.polygon(
        [
            (head[0] - 0.02 * s, head[1] - 0.06 * s),
            (head[0] + 0.12 * s, head[1] - 0.38 * s),
            (head[0] + 0.06 * s, head[1] - 0.05 * s),
        ],
        (250, 222, 120),
    )
    pen.circle(head[0] + 0.05 * s, head[1] - 0.02 * s, 0.02 * s, DARK)


def bear(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, BEAR)
    if action != "sleep":  # the shoulder hump
        pen.ellipse(
            (pt.body_x + 0.05 * s, pt.top - 0.06 * s, pt.body_x + 0.4 * s, pt.top + 0.2 * s), c
        )


def big_cat(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    quadruped(pen, s, w, h, p, c, action, BIGCAT, belly=shade(c, 1.5))


def lion(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    mane = shade(c, 0.6)
    pt = quadruped(pen, s, w, h, p, c, action, LION)
    hx, hy = pt.head
    pen.layer()
    for k in range(9):  # the mane: a ring of tufts round the head
        a = math.radians(40 * k)
        pen.circle(
            hx - pt.r * 0.2 + math.cos(a) * pt.r * 1.05,
            hy + math.sin(a) * pt.r * 1.05,
            pt.r * 0.55,
            mane,
        )
    pen.circle(hx + pt.r * 0.05, hy, pt.r * 0.85, c)
    pen.ellipse(
        (hx + pt.r * 0.3, hy + pt.r * 0.1, hx + pt.r * 1.2, hy + pt.r * 0.75), shade(c, 1.15)
    )
    pen.circle(hx + pt.r * 1.15, hy + pt.r * 0.3, 0.025 * s, DARK)
    pen.circle(hx + pt.r * 0.4, hy - pt.r * 0.25, 0.022 * s, DARK)


def deer(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A stag: a short neck holding the head up and forward (a giraffe's is a tower), big
    ears, branching antlers wider than the head, a white flag of a tail.  The legs are a
    duller brown than the coat, so spots stay on the back and flanks, as a chital's do."""
    legs = _dull(c)
    pt = quadruped(pen, s, w, h, p, c, action, DEER, belly=shade(c, 1.45), legs=legs)
    hx, hy = pt.head
    antler = (186, 156, 114)
    for dx, k in ((0.06, 0.8), (-0.05, 1.0)):  # the far antler first, darker
        _antler(pen, s, (hx + dx * s, hy - pt.r * 0.75), shade(antler, k))


def _dull(c: RGB) -> RGB:
    """``c`` a quarter of the way to a grey-brown: close to the coat, but not a shade of it
    (``patterns.body_mask`` leaves it unmarked)."""
    g = (120, 112, 104)
    return (
        (3 * c[0] + g[0]) // 4,
        (3 * c[1] + g[1]) // 4,
        (3 * c[2] + g[2]) // 4,
    )


def _antler(pen: Pen, s: float, base: Point, colour: RGB) -> None:
    """One antler: a beam sweeping up and back, then forward, with three tines."""
    x, y = base
    beam = [
        (x, y), (x - 0.07 * s, y - 0.12 * s), (x - 0.08 * s, y - 0.26 * s),
        (x - 0.02 * s, y - 0.38 * s),
    ]  # fmt: skip
    pen.limb(beam, 0.03 * s, colour)
    (a, b), (c2, d) = beam[1], beam[2]
    for u, v, dx, dy in ((0.6, 0.0, 0.1, -0.05), (0.45, 0.75, 0.09, -0.08), (0.2, 1.0, 0.07, -0.1)):
        start = (a + (c2 - a) * u, b + (d - b) * v)  # a tine grows from the beam's middle
        pen.limb([start, (start[0] + dx * s, start[1] + dy * s)], 0.022 * s, colour)


def giraffe(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, GIRAFFE)
    hx, hy = pt.head
    for dx in (-0.3, 0.2):  # ossicones
        pen.limb(
            [(hx + dx * pt.r, hy - pt.r * 0.6), (hx + dx * pt.r, hy - pt.r * 1.6)],
            0.02 * s,
            shade(c, 0.5),
        )
    pen.limb(
        [(hx - pt.r, hy + pt.r * 0.5), (pt.body_x + 0.3 * s, pt.top + 0.05 * s)],
        0.035 * s,
        shade(c, 0.5),
    )


def elephant(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, ELEPHANT)
    hx, hy = pt.head
    r = pt.r
    swing = 0.06 * s * wave(p)
    pen.layer()
    trunk = [
        (hx + r * 0.7, hy + r * 0.2), (hx + r * 1.0, hy + r * 1.0),
        (hx + r * 0.95 + swing, hy + r * 1.7), (hx + r * 1.25 + swing, hy + r * 1.9),
    ]  # fmt: skip
    pen.limb(trunk, 0.1 * s, c)
    pen.polygon(
        [
            (hx + r * 0.6, hy + r * 0.6),
            (hx + r * 1.3, hy + r * 0.95),
            (hx + r * 0.65, hy + r * 0.85),
        ],
        WHITE,
    )
    pen.ellipse((hx - r * 1.2, hy - r * 0.8, hx + r * 0.0, hy + r * 1.0), shade(c, 0.85))


def mouse(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, MOUSE)
    hx, hy = pt.head
    pen.layer()
    pen.circle(hx - pt.r * 0.3, hy - pt.r * 1.0, pt.r * 0.7, c)
    pen.circle(hx - pt.r * 0.3, hy - pt.r * 1.0, pt.r * 0.45, (240, 170, 180))


def cow(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, COW)
    hx, hy = pt.head
    for dx in (-0.5, 0.3):  # horns
        pen.limb(
            [(hx + dx * pt.r, hy - pt.r * 0.7), (hx + dx * pt.r - 0.05 * s, hy - pt.r * 1.5)],
            0.03 * s,
            (236, 226, 196),
        )
    if action != "sleep":  # the udder
        pen.ellipse(
            (pt.body_x - 0.12 * s, pt.top + 0.38 * s, pt.body_x + 0.04 * s, pt.top + 0.5 * s),
            (240, 170, 180),
        )


def sheep(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A fluffy cloud of wool on thin dark legs, with a dark face."""
    pt = quadruped(pen, s, w, h, p, c, action, SHEEP, legs=DARK)
    cx, top = pt.body_x, pt.top
    pen.layer()
    for k in range(7):
        a = math.pi * (k / 6)
        pen.circle(cx - math.cos(a) * 0.36 * s, top + 0.2 * s - math.sin(a) * 0.16 * s, 0.11 * s, c)
    hx, hy = pt.head
    pen.ellipse((hx - pt.r * 0.6, hy - pt.r * 0.8, hx + pt.r * 1.6, hy + pt.r * 0.9), (40, 36, 40))


def pig(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    pt = quadruped(pen, s, w, h, p, c, action, PIG)
    hx, hy = pt.head
    pen.rect((hx + pt.r * 0.7, hy, hx + pt.r * 1.25, hy + pt.r * 0.55), shade(c, 1.15), 0.02 * s)
    pen.circle(hx + pt.r * 1.05, hy + pt.r * 0.28, 0.018 * s, shade(c, 0.5))


def rabbit(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Crouched on big hind feet, long upright ears, a white puff tail; it hops (stretching
    out mid-air) rather than walks."""
    by = h - 0.02 * s
    cx = w / 2
    moving = action not in ("idle", "sleep")
    hop = max(0.0, wave(p)) if moving else 0.0
    stretch = 1 + 0.35 * hop
    body = (cx - 0.28 * s * stretch, by - 0.42 * s, cx + 0.16 * s, by - 0.04 * s)
    if action == "sleep":
        body = (cx - 0.3 * s, by - 0.3 * s, cx + 0.2 * s, by)
    pen.circle(body[0] + 0.02 * s, body[1] + 0.14 * s, 0.08 * s, WHITE)
    pen.ellipse((cx - 0.26 * s, by - 0.08 * s - 0.06 * s * hop, cx + 0.02 * s, by), shade(c, 0.85))
    pen.ellipse(body, c)
    pen.ellipse((cx - 0.2 * s, by - 0.34 * s, cx + 0.0 * s, by - 0.06 * s), shade(c, 0.92))
    paw = (cx + 0.1 * s + 0.1 * s * hop, by - 0.04 * s - 0.1 * s * hop)
    pen.limb([(cx + 0.08 * s, by - 0.2 * s), paw], 0.05 * s, c)
    hx, hy = cx + 0.18 * s + 0.08 * s * hop, by - 0.48 * s + (0.2 * s if action == "sleep" else 0.0)
    r = 0.12 * s
    ears = "long" if action != "sleep" else "flop"
    _ears(pen, s, c, ears, (hx, hy), r, p)
    pen.circle(hx, hy, r, c)
    pen.circle(hx + r * 0.85, hy + r * 0.25, 0.022 * s, (240, 150, 170))
    pen.circle(hx + r * 0.3, hy - r * 0.2, 0.022 * s, DARK)


def camel(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Long legs, a high hump, a long neck curving down and up to a small head."""
    pt = quadruped(pen, s, w, h, p, c, action, CAMEL)
    if action == "sleep":
        return
    x, top = pt.body_x, pt.top
    pen.ellipse((x - 0.24 * s, top - 0.26 * s, x + 0.16 * s, top + 0.12 * s), c)
    hx, hy = pt.head
    pen.limb(
        [
            (x + 0.36 * s, top + 0.12 * s),
            (x + 0.52 * s, top + 0.22 * s),
            (hx - 0.04 * s, hy + 0.02 * s),
        ],
        0.1 * s,
        c,
    )
