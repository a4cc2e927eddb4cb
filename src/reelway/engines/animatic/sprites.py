"""The subject: a flat-shaded, outlined figure per subject class, in animation poses.

Figures are drawn once per pose at twice the size and halved (cheap anti-aliasing), then
cached; the renderer only pastes them.  Every drawing's anchor is its bottom centre (feet,
wheels, hull), so motion code places the subject by where it stands.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PIL import Image, ImageDraw, ImageOps

RGB = tuple[int, int, int]
Point = tuple[float, float]
POSES = 16
"""Animation poses per cycle; enough for smooth motion at 24-30 fps."""


def shade(c: RGB, k: float) -> RGB:
    """Darken (k < 1) or lighten (k > 1) a colour."""
    if k <= 1:
        return (int(c[0] * k), int(c[1] * k), int(c[2] * k))
    return (
        int(c[0] + (255 - c[0]) * (k - 1)),
        int(c[1] + (255 - c[1]) * (k - 1)),
        int(c[2] + (255 - c[2]) * (k - 1)),
    )


class _Pen:
    """Draws each shape twice: a wider pass in the outline colour, then the fill on top."""

    def __init__(self, draw: ImageDraw.ImageDraw, outline: RGB, width: float) -> None:
        self.d, self.outline, self.ow = draw, outline, width
        self.passes: list[Callable[[bool], None]] = []

    def limb(self, pts: Sequence[Point], width: float, fill: RGB) -> None:
        def run(edge: bool) -> None:
            w = width + (2 * self.ow if edge else 0)
            colour = self.outline if edge else fill
            self.d.line(list(pts), fill=colour, width=max(1, round(w)), joint="curve")
            for x, y in pts:
                self.d.ellipse((x - w / 2, y - w / 2, x + w / 2, y + w / 2), fill=colour)

        self.passes.append(run)

    def ellipse(self, box: tuple[float, float, float, float], fill: RGB) -> None:
        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            self.d.ellipse(b, fill=self.outline if edge else fill)

        self.passes.append(run)

    def polygon(self, pts: Sequence[Point], fill: RGB) -> None:
        def run(edge: bool) -> None:
            if edge:
                self.d.polygon(list(pts), fill=self.outline)
                self.d.line(
                    [*pts, pts[0]], fill=self.outline, width=round(2 * self.ow), joint="curve"
                )
            else:
                self.d.polygon(list(pts), fill=fill)

        self.passes.append(run)

    def rect(self, box: tuple[float, float, float, float], fill: RGB, radius: float = 0) -> None:
        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            self.d.rounded_rectangle(b, radius=radius + o, fill=self.outline if edge else fill)

        self.passes.append(run)

    def finish(self) -> None:
        for p in self.passes:
            p(True)
        for p in self.passes:
            p(False)
        self.passes.clear()


def _joint(origin: Point, length: float, degrees: float) -> Point:
    """A point ``length`` away from ``origin``, ``degrees`` forward of straight down."""
    a = math.radians(degrees)
    return (origin[0] + length * math.sin(a), origin[1] + length * math.cos(a))


def _gait(action: str) -> tuple[float, float, float]:
    """Leg swing, knee bend and arm swing in degrees for an action."""
    return {
        "walk": (26.0, 22.0, 22.0),
        "run": (44.0, 62.0, 48.0),
        "dance": (18.0, 20.0, 70.0),
        "jump": (14.0, 40.0, 60.0),
        "climb": (30.0, 40.0, 80.0),
    }.get(action, (4.0, 3.0, 6.0))


def _person(
    pen: _Pen, s: float, w: float, h: float, p: float, c: RGB, action: str, robot: bool
) -> None:
    cx, by = w / 2, h - 0.02 * s
    hip, shoulder = (cx, by - 0.47 * s), (cx, by - 0.77 * s)
    swing, knee, arm = _gait(action)
    cyc = 2 * math.pi * p
    back, limb = shade(c, 0.72), 0.075 * s
    legs = []
    for side in (1, -1):
        a = side * swing * math.sin(cyc)
        bend = knee * max(0.0, math.sin(cyc + side * math.pi / 2))
        k = _joint(hip, 0.24 * s, a)
        legs.append((side, [hip, k, _joint(k, 0.24 * s, a - bend)]))
    arms = []
    for side in (1, -1):
        a = -side * arm * math.sin(cyc)
        if action == "dance":
            a = 140 + side * 30 * math.sin(cyc)
        k = _joint(shoulder, 0.16 * s, a)
        arms.append((side, [shoulder, k, _joint(k, 0.16 * s, a + 25)]))
    for side, pts in legs + arms:  # far limbs behind the body
        if side < 0:
            pen.limb(pts, limb, back)
    if robot:
        pen.rect(
            (cx - 0.12 * s, shoulder[1] - 0.03 * s, cx + 0.12 * s, hip[1] + 0.02 * s), c, 0.02 * s
        )
        pen.rect((cx - 0.1 * s, by - s, cx + 0.1 * s, by - 0.82 * s), c, 0.03 * s)
        pen.limb([(cx, by - s), (cx, by - 1.07 * s)], 0.02 * s, back)
        pen.rect(
            (cx - 0.02 * s, by - 0.95 * s, cx + 0.09 * s, by - 0.9 * s), (120, 240, 255), 0.02 * s
        )
    else:
        pen.limb([shoulder, hip], 0.17 * s, c)
        pen.ellipse((cx - 0.085 * s, by - s, cx + 0.085 * s, by - 0.83 * s), shade(c, 1.25))
    for side, pts in legs + arms:
        if side > 0:
            pen.limb(pts, limb, c)


def _animal(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    bx, by = w * 0.46, h - 0.02 * s
    body_y = by - 0.5 * s
    cyc = 2 * math.pi * p
    swing = {"run": 40.0, "walk": 22.0, "jump": 30.0}.get(action, 4.0)
    for k, (dx, off) in enumerate(((0.3, 0.0), (-0.3, 0.5), (0.22, 0.5), (-0.38, 0.0))):
        a = swing * math.sin(cyc + off * 2 * math.pi)
        top = (bx + dx * s, body_y)
        pen.limb(
            [top, _joint(top, 0.22 * s, a), _joint(_joint(top, 0.22 * s, a), 0.2 * s, a * 0.4)],
            0.075 * s,
            shade(c, 0.72 if k >= 2 else 1.0),
        )
    wag = 15 * math.sin(cyc * 2)
    tail0 = (bx - 0.45 * s, body_y - 0.05 * s)
    pen.limb([tail0, _joint(tail0, 0.28 * s, 220 + wag)], 0.06 * s, c)
    pen.ellipse((bx - 0.5 * s, body_y - 0.2 * s, bx + 0.45 * s, body_y + 0.14 * s), c)
    hx, hy = bx + 0.55 * s, body_y - 0.28 * s
    pen.limb([(bx + 0.3 * s, body_y - 0.05 * s), (hx, hy)], 0.16 * s, c)
    pen.polygon(
        [
            (hx - 0.08 * s, hy - 0.08 * s),
            (hx - 0.02 * s, hy - 0.26 * s),
            (hx + 0.05 * s, hy - 0.08 * s),
        ],
        c,
    )
    pen.ellipse((hx - 0.13 * s, hy - 0.12 * s, hx + 0.13 * s, hy + 0.1 * s), shade(c, 1.15))
    pen.ellipse((hx + 0.05 * s, hy - 0.02 * s, hx + 0.24 * s, hy + 0.09 * s), shade(c, 1.3))


def _bird(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
    cx, cy = w / 2, h - 0.45 * s
    flap = math.sin(2 * math.pi * p)
    tip_y = cy - 0.45 * s * flap
    pen.polygon(
        [(cx - 0.1 * s, cy - 0.05 * s), (cx - 0.25 * s, tip_y - 0.05 * s), (cx + 0.05 * s, cy)],
        shade(c, 0.7),
    )
    pen.polygon(
        [
            (cx - 0.55 * s, cy - 0.02 * s),
            (cx - 0.3 * s, cy - 0.1 * s),
            (cx - 0.3 * s, cy + 0.08 * s),
        ],
        shade(c, 0.85),
    )
    pen.ellipse((cx - 0.38 * s, cy - 0.13 * s, cx + 0.3 * s, cy + 0.12 * s), c)
    pen.ellipse((cx + 0.18 * s, cy - 0.2 * s, cx + 0.42 * s, cy + 0.02 * s), shade(c, 1.15))
    pen.polygon(
        [
            (cx + 0.4 * s, cy - 0.11 * s),
            (cx + 0.58 * s, cy - 0.06 * s),
            (cx + 0.4 * s, cy - 0.02 * s),
        ],
        (250, 190, 60),
    )
    pen.polygon([(cx - 0.05 * s, cy - 0.02 * s), (cx + 0.05 * s, tip_y), (cx + 0.2 * s, cy)], c)


def _fish(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
    cx, cy = w / 2, h - 0.35 * s
    wag = 0.16 * s * math.sin(2 * math.pi * p)
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
    pen.ellipse((cx + 0.3 * s, cy - 0.1 * s, cx + 0.4 * s, cy), (20, 20, 24))


def _vehicle(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
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
        (190, 220, 240),
    )
    pen.polygon(
        [
            (cx + 0.12 * s, by - 0.52 * s),
            (cx + 0.12 * s, by - 0.72 * s),
            (cx + 0.32 * s, by - 0.72 * s),
            (cx + 0.45 * s, by - 0.52 * s),
        ],
        (190, 220, 240),
    )
    pen.rect(
        (cx + 0.72 * s, by - 0.44 * s, cx + 0.84 * s, by - 0.36 * s), (255, 236, 150), 0.02 * s
    )
    for wx in (cx - 0.5 * s, cx + 0.5 * s):
        r = 0.17 * s
        pen.ellipse((wx - r, by - 2 * r, wx + r, by), (28, 28, 32))
        pen.ellipse((wx - r * 0.5, by - 1.5 * r, wx + r * 0.5, by - 0.5 * r), (170, 170, 178))
        a = 2 * math.pi * p
        for k in range(3):
            ang = a + k * 2 * math.pi / 3
            pen.limb(
                [(wx, by - r), (wx + r * 0.5 * math.cos(ang), by - r + r * 0.5 * math.sin(ang))],
                0.03 * s,
                (90, 90, 96),
            )


def _boat(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
    cx, by = w / 2, h - 0.02 * s
    pen.limb([(cx, by - 0.25 * s), (cx, by - 1.0 * s)], 0.04 * s, (90, 64, 44))
    pen.polygon(
        [
            (cx + 0.04 * s, by - 0.95 * s),
            (cx + 0.04 * s, by - 0.32 * s),
            (cx + 0.55 * s, by - 0.32 * s),
        ],
        c,
    )
    pen.polygon(
        [
            (cx - 0.04 * s, by - 0.85 * s),
            (cx - 0.04 * s, by - 0.32 * s),
            (cx - 0.4 * s, by - 0.32 * s),
        ],
        shade(c, 1.3),
    )
    pen.polygon(
        [
            (cx - 0.75 * s, by - 0.28 * s),
            (cx + 0.8 * s, by - 0.28 * s),
            (cx + 0.55 * s, by),
            (cx - 0.55 * s, by),
        ],
        (110, 76, 52),
    )


def _aircraft(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
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


def _balloon(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
    cx, by = w / 2, h - 0.02 * s
    for dx in (-0.12, 0.12):
        pen.limb(
            [(cx + dx * s, by - 0.15 * s), (cx + dx * 2.6 * s, by - 0.42 * s)],
            0.012 * s,
            (80, 60, 40),
        )
    pen.rect((cx - 0.12 * s, by - 0.15 * s, cx + 0.12 * s, by), (130, 90, 56), 0.02 * s)
    top, r = by - 0.9 * s, 0.42 * s
    pen.ellipse((cx - r, top - r, cx + r, top + r * 1.05), c)
    pen.ellipse((cx - r * 0.45, top - r, cx + r * 0.45, top + r * 1.05), shade(c, 1.35))
    pen.ellipse((cx - r * 0.12, top - r, cx + r * 0.12, top + r * 1.05), c)


def _orb(pen: _Pen, s: float, w: float, h: float, p: float, c: RGB) -> None:
    cx, by, r = w / 2, h - 0.02 * s, 0.4 * s
    pen.ellipse((cx - r, by - 2 * r, cx + r, by), c)
    pen.ellipse((cx - r * 0.8, by - 1.9 * r, cx + r * 0.5, by - 0.5 * r), shade(c, 1.2))
    pen.ellipse((cx - r * 0.5, by - 1.6 * r, cx - r * 0.15, by - 1.25 * r), shade(c, 1.8))


# Sprite box (width, height) in units of the figure size, per subject class.
_BOX = {
    "person": (0.9, 1.12),
    "robot": (0.9, 1.12),
    "animal": (1.6, 1.05),
    "bird": (1.5, 0.95),
    "fish": (1.6, 0.8),
    "vehicle": (1.9, 0.85),
    "boat": (1.7, 1.05),
    "aircraft": (1.7, 0.85),
    "balloon": (1.0, 1.45),
    "object": (0.9, 0.85),
}
# Figure size as a fraction of frame height, per subject class (medium shot).
SIZE = {
    "person": 0.34,
    "robot": 0.34,
    "animal": 0.24,
    "bird": 0.14,
    "fish": 0.2,
    "vehicle": 0.2,
    "boat": 0.26,
    "aircraft": 0.16,
    "balloon": 0.26,
    "object": 0.2,
}


def draw_subject(
    kind: str, size: float, colour: RGB, outline: RGB, phase: float, action: str
) -> Image.Image:
    """One pose of the subject as RGBA, facing right, anchored at its bottom centre."""
    kind = kind if kind in _BOX else "object"
    ss = 2  # draw at twice the size, then halve: cheap anti-aliasing
    s = size * ss
    bw, bh = _BOX[kind]
    w, h = max(4, int(bw * s) + 8), max(4, int(bh * s) + 8)
    img = Image.new("RGBA", (w, h), (*outline, 0))
    pen = _Pen(ImageDraw.Draw(img), outline, max(1.0, 0.018 * s))
    if kind in ("person", "robot"):
        _person(pen, s, w, h - 4, phase, colour, action, kind == "robot")
    elif kind == "animal":
        _animal(pen, s, w, h - 4, phase, colour, action)
    else:
        drawer = {
            "bird": _bird,
            "fish": _fish,
            "vehicle": _vehicle,
            "boat": _boat,
            "aircraft": _aircraft,
            "balloon": _balloon,
        }.get(kind, _orb)
        drawer(pen, s, w, h - 4, phase, colour)
    pen.finish()
    # Halve RGB and alpha apart (no premultiply round trip); the transparent background
    # carries the outline colour, which is what every edge blends towards.
    rgb = img.convert("RGB").reduce(ss)
    rgb.putalpha(img.getchannel("A").reduce(ss))
    return rgb


class SubjectSprites:
    """Cached poses (and rotations) of one subject."""

    def __init__(self, kind: str, size: float, colour: RGB, outline: RGB, action: str) -> None:
        self.kind, self.size, self.colour, self.outline, self.action = (
            kind,
            size,
            colour,
            outline,
            action,
        )
        self._poses: dict[int, Image.Image] = {}
        self._turned: dict[tuple[int, int, bool], Image.Image] = {}

    def get(self, phase: float, angle: float, flip: bool) -> Image.Image:
        """The pose nearest ``phase``, turned by ``angle`` degrees, mirrored when ``flip``."""
        pose = int(phase * POSES) % POSES
        if pose not in self._poses:
            self._poses[pose] = draw_subject(
                self.kind, self.size, self.colour, self.outline, pose / POSES, self.action
            )
        step = round(angle / 3) % 120
        key = (pose, step, flip)
        img = self._turned.get(key)
        if img is None:
            img = self._poses[pose]
            if flip:
                img = ImageOps.mirror(img)
            if step:
                img = img.rotate(step * 3, resample=Image.Resampling.BICUBIC, expand=True)
            if len(self._turned) > 96:
                self._turned.pop(next(iter(self._turned)))
            self._turned[key] = img
        return img
