"""The drawing kit every figure module shares: colours, an outlining pen, limb joints.

A figure is drawn on an RGBA image at twice its size (the sprite cache halves it); its anchor
is its bottom centre, so each drawer gets ``w``/``h`` (the box, the bottom at ``h``) and ``s``
(the figure's size in pixels) and places everything in units of ``s``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

from PIL import ImageDraw, ImageFont

RGB = tuple[int, int, int]
Point = tuple[float, float]
Box = tuple[float, float, float, float]


def shade(c: RGB, k: float) -> RGB:
    """Darken (k < 1) or lighten (k > 1) a colour."""
    if k <= 1:
        return (int(c[0] * k), int(c[1] * k), int(c[2] * k))
    return (
        int(c[0] + (255 - c[0]) * (k - 1)),
        int(c[1] + (255 - c[1]) * (k - 1)),
        int(c[2] + (255 - c[2]) * (k - 1)),
    )


def joint(origin: Point, length: float, degrees: float) -> Point:
    """A point ``length`` away from ``origin``, ``degrees`` forward of straight down."""
    a = math.radians(degrees)
    return (origin[0] + length * math.sin(a), origin[1] + length * math.cos(a))


def wave(p: float, offset: float = 0.0, cycles: float = 1.0) -> float:
    """sin of the animation phase: every periodic motion of a figure uses it."""
    return math.sin(2 * math.pi * (p * cycles + offset))


class Pen:
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

    def ellipse(self, box: Box, fill: RGB) -> None:
        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            self.d.ellipse(b, fill=self.outline if edge else fill)

        self.passes.append(run)

    def circle(self, x: float, y: float, r: float, fill: RGB) -> None:
        self.ellipse((x - r, y - r, x + r, y + r), fill)

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

    def rect(self, box: Box, fill: RGB, radius: float = 0) -> None:
        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            self.d.rounded_rectangle(b, radius=radius + o, fill=self.outline if edge else fill)

        self.passes.append(run)

    def pieslice(self, box: Box, start: float, end: float, fill: RGB) -> None:
        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            self.d.pieslice(b, start, end, fill=self.outline if edge else fill)

        self.passes.append(run)

    def ring(self, box: Box, width: float, fill: RGB) -> None:
        """An open loop (a handle): only the band is drawn, the middle stays clear."""

        def run(edge: bool) -> None:
            o = self.ow if edge else 0
            b = (box[0] - o, box[1] - o, box[2] + o, box[3] + o)
            colour = self.outline if edge else fill
            self.d.ellipse(b, outline=colour, width=max(1, round(width + 2 * o)))

        self.passes.append(run)

    def halo(self, x: float, y: float, rings: Sequence[tuple[float, int]], fill: RGB) -> None:
        """Soft light round (x, y) with no outline, under every shape when called first:
        discs from the outside in, each (radius, alpha) setting the alpha inside it."""

        def run(edge: bool) -> None:
            if not edge:
                return
            for r, alpha in sorted(rings, reverse=True):
                self.d.ellipse((x - r, y - r, x + r, y + r), fill=(*fill, alpha))

        self.passes.append(run)

    def text(self, centre: Point, words: str, height: float, fill: RGB) -> None:
        """Words centred on ``centre``, shrunk to fit ``height`` (drawn in the fill pass)."""

        def run(edge: bool) -> None:
            if edge:
                return
            font = ImageFont.load_default(size=max(6, round(height)))
            self.d.text(centre, words, fill=fill, font=font, anchor="mm")

        self.passes.append(run)

    def finish(self) -> None:
        """Outlines of every shape first, then every fill: parts join without inner seams."""
        for p in self.passes:
            p(True)
        for p in self.passes:
            p(False)
        self.passes.clear()

    def layer(self) -> None:
        """Finish the shapes so far, so the next ones are outlined on top of them."""
        self.finish()


Drawer = Callable[[Pen, float, float, float, float, RGB, str], None]
"""(pen, s, w, h, phase, colour, action): draws one pose; ``h`` is the bottom line."""
