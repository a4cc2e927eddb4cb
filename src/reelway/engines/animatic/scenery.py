"""Scenery drawings: horizon profiles (hills, skylines, dunes...) and props (trees, lamps...).

Which drawing a setting uses, and in which parallax layer, is the data table ``SETTINGS``.
Props are drawn once each, at twice the size and halved for anti-aliasing.  Their positions
and sizes come from the seed's composition slots, so a remix that changes the setting turns
the trees into lamp posts in the same places.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from reelway.engines.animatic import sprites

# setting -> (far profile, mid layer, near props, ground marks); mid is a profile or props.
SETTINGS: dict[str, tuple[str, str, str, str | None]] = {
    "beach": ("islands", "crests", "palm", "shell"),
    "ocean": ("islands", "crests", "crest_big", None),
    "forest": ("hills", "pine", "trunk", "tuft"),
    "city": ("skyline", "buildings", "lamp", "dash"),
    "desert": ("mesas", "dunes", "cactus", "stone"),
    "mountain": ("peaks", "ridges", "rock", "stone"),
    "space": ("none", "asteroid", "debris", None),
    "interior": ("none", "furniture", "plant", "board"),
    "field": ("hills", "tree", "flower", "tuft"),
    "underwater": ("reef", "coral", "kelp", "pebble"),
    "sky": ("none", "cloud", "cloud_near", None),
}
PROFILES = frozenset(
    {"islands", "hills", "skyline", "buildings", "mesas", "dunes", "peaks", "ridges", "reef"}
)

# Prop height as a fraction of the frame height, and how many of the slots it fills.
PROP_SIZE: dict[str, tuple[float, float]] = {
    "palm": (0.75, 0.55),
    "crests": (0.018, 1.0),
    "crest_big": (0.035, 0.9),
    "pine": (0.26, 0.95),
    "trunk": (1.3, 0.35),
    "tuft": (0.035, 0.8),
    "lamp": (0.62, 0.6),
    "dash": (0.006, 1.0),
    "cactus": (0.3, 0.5),
    "stone": (0.025, 0.7),
    "rock": (0.12, 0.6),
    "asteroid": (0.07, 0.7),
    "debris": (0.03, 0.6),
    "furniture": (0.3, 0.75),
    "plant": (0.4, 0.5),
    "board": (0.01, 1.0),
    "tree": (0.22, 0.7),
    "flower": (0.05, 0.8),
    "coral": (0.14, 0.9),
    "kelp": (0.7, 0.6),
    "pebble": (0.02, 0.7),
    "cloud": (0.12, 0.7),
    "cloud_near": (0.2, 0.5),
    "shell": (0.015, 0.6),
}


def _halve(img: Image.Image) -> Image.Image:
    """Halve a double-size RGBA drawing: cheap anti-aliasing.

    RGB and alpha are reduced apart, which skips Pillow's premultiply round trip (most of
    the cost); transparent pixels carry the drawing's colour, so edges blend towards it.
    """
    rgb = img.convert("RGB").reduce(2)
    rgb.putalpha(img.getchannel("A").reduce(2))
    return rgb


def _soft(img: Image.Image) -> Image.Image:
    """Halve a double-size drawing (anti-aliasing), then trim empty margins.

    Trimming keeps the bottom edge and the horizontal centre, so the anchor still holds,
    and pastes no longer pay for transparent pixels.
    """
    img = _halve(img)
    box = img.getbbox()
    if box is None:
        return img
    side = min(box[0], img.width - box[2])
    return img.crop((side, box[1], img.width - side, img.height))


def prop(
    kind: str, height: float, variant: float, colour: sprites.RGB, accent: sprites.RGB
) -> Image.Image:
    """One prop as RGBA, anchored at its bottom centre (clouds and rocks: their centre)."""
    s = max(2.0, height * 2)
    if kind in ("crests", "crest_big"):
        w, h = int(s * 9), int(s * 1.6)
        img = Image.new("RGBA", (w, h), (*accent, 0))
        d = ImageDraw.Draw(img)
        d.arc((0, 0, w, h * 2), 200, 340, fill=(*accent, 230), width=max(2, int(s * 0.35)))
        return _soft(img)
    if kind in ("dash", "board"):
        w, h = int(s * (14 if kind == "dash" else 40)), max(2, int(s))
        img = Image.new(
            "RGBA", (w, h), (*(accent if kind == "dash" else sprites.shade(colour, 0.8)), 255)
        )
        return _soft(img)
    w, h = int(s * 1.2) + 8, int(s) + 8
    if kind in ("palm", "lamp", "kelp", "trunk"):
        w = int(s * (0.8 if kind == "palm" else 0.5)) + 8
    if kind in ("cloud", "cloud_near"):
        w = int(s * 3.2) + 8
    img = Image.new("RGBA", (w, h), (*colour, 0))
    d = ImageDraw.Draw(img)
    cx, by = w / 2, h - 4
    dark, light = sprites.shade(colour, 0.75), sprites.shade(colour, 1.2)
    if kind == "pine":
        d.rectangle(
            (cx - s * 0.04, by - s * 0.2, cx + s * 0.04, by), fill=sprites.shade(colour, 0.5)
        )
        for k in range(3):
            top, base = by - s * (1.0 - k * 0.22), by - s * (0.55 - k * 0.18)
            half = s * (0.2 + k * 0.08)
            d.polygon(
                [(cx, top), (cx - half, base), (cx + half, base)], fill=colour if k % 2 else dark
            )
    elif kind == "tree":
        d.rectangle((cx - s * 0.05, by - s * 0.45, cx + s * 0.05, by), fill=(86, 62, 44))
        r = s * (0.32 + 0.08 * variant)
        d.ellipse((cx - r, by - s * 0.45 - 1.6 * r, cx + r, by - s * 0.45 + 0.2 * r), fill=colour)
        d.ellipse(
            (cx - r * 0.6, by - s * 0.45 - 1.5 * r, cx + r * 0.3, by - s * 0.45 - 0.6 * r),
            fill=light,
        )
    elif kind == "trunk":
        d.rectangle((cx - s * 0.045, 0, cx + s * 0.045, by), fill=sprites.shade(colour, 0.6))
        d.rectangle((cx - s * 0.045, 0, cx - s * 0.015, by), fill=sprites.shade(colour, 0.75))
    elif kind == "palm":
        pts = [
            (
                cx - s * 0.1 * math.sin(k / 10 * 1.4) * (1 if variant > 0.5 else -1),
                by - s * 0.9 * k / 10,
            )
            for k in range(11)
        ]
        d.line(pts, fill=(112, 84, 58), width=max(2, int(s * 0.04)), joint="curve")
        tx, ty = pts[-1]
        for k in range(7):
            a = math.pi * (0.05 + 0.9 * k / 6)
            d.line(
                [
                    (tx, ty),
                    (
                        tx + s * 0.3 * math.cos(a),
                        ty - s * 0.08 + s * 0.12 * (1 - math.sin(a)) + s * 0.04,
                    ),
                ],
                fill=colour,
                width=max(2, int(s * 0.05)),
                joint="curve",
            )
            d.line(
                [(tx, ty), (tx - s * 0.3 * math.cos(a), ty + s * 0.08)],
                fill=dark,
                width=max(2, int(s * 0.04)),
            )
    elif kind == "lamp":
        d.rectangle((cx - s * 0.015, by - s, cx + s * 0.015, by), fill=colour)
        d.line(
            [(cx, by - s), (cx + s * 0.12, by - s * 0.97)], fill=colour, width=max(2, int(s * 0.02))
        )
        d.ellipse((cx + s * 0.08, by - s * 0.98, cx + s * 0.17, by - s * 0.93), fill=accent)
    elif kind == "cactus":
        arm = s * 0.05
        d.rounded_rectangle((cx - arm, by - s, cx + arm, by), radius=arm, fill=colour)
        d.rounded_rectangle(
            (cx - s * 0.22, by - s * 0.7, cx - s * 0.12, by - s * 0.35), radius=arm, fill=colour
        )
        d.rectangle((cx - s * 0.2, by - s * 0.42, cx, by - s * 0.35), fill=colour)
        d.rounded_rectangle(
            (cx + s * 0.12, by - s * 0.8, cx + s * 0.22, by - s * 0.5), radius=arm, fill=dark
        )
        d.rectangle((cx, by - s * 0.57, cx + s * 0.2, by - s * 0.5), fill=dark)
    elif kind in ("rock", "stone", "pebble", "asteroid", "debris", "shell"):
        # A lumpy dome on a flat base; asteroids and debris get a full lumpy ring.
        ring = kind in ("asteroid", "debris")
        n = 11
        pts = []
        for k in range(n):
            a = (2 if ring else 1) * math.pi * k / (n - (0 if ring else 1))
            r = 0.8 + 0.25 * math.sin(k * 2.1 + variant * 9)
            pts.append(
                (
                    cx + s * 0.55 * r * math.cos(a),
                    by - s * 0.5 * r * math.sin(a) - (s * 0.5 if ring else 0),
                )
            )
        d.polygon(pts, fill=colour)
        d.polygon(
            [
                (x * 0.6 + cx * 0.4 - s * 0.08, y * 0.6 + (by - s * 0.5) * 0.4 - s * 0.08)
                for x, y in pts
            ],
            fill=light,
        )
    elif kind in ("tuft", "flower"):
        for k in range(5):
            x = cx + (k - 2) * s * 0.12
            d.line(
                [(cx, by), (x, by - s * (0.6 + 0.3 * ((k * 37 + int(variant * 10)) % 3) / 2))],
                fill=colour,
                width=max(1, int(s * 0.06)),
            )
        if kind == "flower":
            r = s * 0.14
            d.ellipse((cx - r, by - s - r, cx + r, by - s + r), fill=accent)
    elif kind == "furniture":
        if variant < 0.33:  # table with lamp
            d.rectangle((cx - s * 0.5, by - s * 0.5, cx + s * 0.5, by - s * 0.44), fill=colour)
            for x in (cx - s * 0.44, cx + s * 0.4):
                d.rectangle((x, by - s * 0.46, x + s * 0.05, by), fill=dark)
            d.polygon(
                [
                    (cx - s * 0.12, by - s * 0.95),
                    (cx + s * 0.12, by - s * 0.95),
                    (cx + s * 0.18, by - s * 0.75),
                    (cx - s * 0.18, by - s * 0.75),
                ],
                fill=accent,
            )
            d.rectangle((cx - s * 0.02, by - s * 0.75, cx + s * 0.02, by - s * 0.5), fill=dark)
        elif variant < 0.66:  # bookshelf
            d.rectangle((cx - s * 0.35, by - s, cx + s * 0.35, by), fill=dark)
            for k in range(4):
                y = by - s * (0.95 - k * 0.24)
                for j in range(6):
                    d.rectangle(
                        (cx - s * 0.3 + j * s * 0.1, y, cx - s * 0.23 + j * s * 0.1, y + s * 0.18),
                        fill=sprites.shade(accent, 0.5 + 0.1 * ((j + k) % 4)),
                    )
        else:  # armchair
            d.rounded_rectangle(
                (cx - s * 0.45, by - s * 0.7, cx + s * 0.45, by - s * 0.1),
                radius=s * 0.1,
                fill=colour,
            )
            d.rounded_rectangle(
                (cx - s * 0.55, by - s * 0.45, cx + s * 0.55, by - s * 0.05),
                radius=s * 0.08,
                fill=dark,
            )
    elif kind == "plant":
        d.polygon(
            [
                (cx - s * 0.15, by - s * 0.25),
                (cx + s * 0.15, by - s * 0.25),
                (cx + s * 0.1, by),
                (cx - s * 0.1, by),
            ],
            fill=(150, 84, 56),
        )
        for k in range(7):
            a = math.pi * (0.15 + 0.7 * k / 6)
            d.ellipse(
                (
                    cx + s * 0.3 * math.cos(a) - s * 0.1,
                    by - s * 0.3 - s * 0.6 * math.sin(a) - s * 0.05,
                    cx + s * 0.3 * math.cos(a) + s * 0.1,
                    by - s * 0.3 - s * 0.6 * math.sin(a) + s * 0.2,
                ),
                fill=colour if k % 2 else dark,
            )
    elif kind == "coral":
        for k in range(5):
            a = math.pi * (0.2 + 0.6 * k / 4)
            d.line(
                [(cx, by), (cx + s * 0.45 * math.cos(a), by - s * 0.9 * math.sin(a))],
                fill=colour if k % 2 else accent,
                width=max(2, int(s * 0.08)),
            )
            d.ellipse(
                (
                    cx + s * 0.45 * math.cos(a) - s * 0.07,
                    by - s * 0.9 * math.sin(a) - s * 0.07,
                    cx + s * 0.45 * math.cos(a) + s * 0.07,
                    by - s * 0.9 * math.sin(a) + s * 0.07,
                ),
                fill=colour,
            )
    elif kind == "kelp":
        pts = [(cx + s * 0.1 * math.sin(k / 2 + variant * 6), by - s * k / 12) for k in range(13)]
        d.line(pts, fill=colour, width=max(2, int(s * 0.05)), joint="curve")
        for x, y in pts[2::2]:
            d.ellipse((x, y - s * 0.03, x + s * 0.14, y + s * 0.02), fill=dark)
    elif kind in ("cloud", "cloud_near"):
        for k in range(5):
            r = s * (0.35 + 0.15 * math.sin(k * 1.7 + variant * 5))
            x = cx + (k - 2) * s * 0.45
            d.ellipse((x - r, by - s * 0.45 - r * 0.8, x + r, by - s * 0.45 + r * 0.8), fill=colour)
        d.rectangle((cx - s * 1.0, by - s * 0.45, cx + s * 1.0, by - s * 0.2), fill=colour)
    return _soft(img)


def _ranges(
    d: ImageDraw.ImageDraw,
    kind: str,
    w: int,
    h: int,
    period: float,
    slots: tuple[tuple[float, float, float], ...],
    colour: sprites.RGB,
    accent: sprites.RGB,
    origin: float = 0.0,
) -> None:
    """Mountain peaks with snow caps and a shaded flank, or flat-topped mesas; ``origin`` is
    the band's left edge in world units (of ``period``'s scale)."""
    spacing = period * (0.22 if kind == "peaks" else 0.32)
    dark, light = (*sprites.shade(colour, 0.82), 255), (*accent, 255)
    first = math.floor(origin / spacing) - 2  # world-anchored: the same peaks for any band
    for k in range(first, first + int(w / spacing) + 5):
        sx, sh, sv = slots[k % len(slots)]
        cx = (k + 0.4 * sx) * spacing - origin
        height = h * (0.4 + 0.55 * sh)
        half = spacing * (0.6 + 0.5 * sv)
        tip = (cx, h - height)
        if kind == "mesas":
            top_y = h - height * 0.7
            d.polygon(
                [
                    (cx - half, h),
                    (cx - half * 0.55, top_y),
                    (cx + half * 0.55, top_y),
                    (cx + half, h),
                ],
                fill=(*colour, 255),
            )
            d.polygon(
                [
                    (cx + half * 0.2, top_y),
                    (cx + half * 0.55, top_y),
                    (cx + half, h),
                    (cx + half * 0.5, h),
                ],
                fill=dark,
            )
            continue
        d.polygon([(cx - half, h), tip, (cx + half, h)], fill=(*colour, 255))
        d.polygon([tip, (cx + half, h), (cx + half * 0.15, h)], fill=dark)
        cap = 0.3 * height
        d.polygon(
            [
                tip,
                (cx - half * 0.3, tip[1] + cap),
                (cx - half * 0.12, tip[1] + cap * 0.8),
                (cx, tip[1] + cap * 1.05),
                (cx + half * 0.14, tip[1] + cap * 0.78),
                (cx + half * 0.3, tip[1] + cap),
            ],
            fill=light,
        )


def profile(
    kind: str,
    width: int,
    height: int,
    slots: tuple[tuple[float, float, float], ...],
    colour: sprites.RGB,
    accent: sprites.RGB,
    period: float,
    origin: float = 0.0,
) -> Image.Image:
    """A horizon band as RGBA: silhouettes whose bottom edge is the band's bottom row.

    The outline is a sum of sines whose phases come from the composition slots, so it is the
    seed's; ``period`` (pixels) keeps the wavelength tied to the frame, not the band width.
    ``origin`` is the world x of the band's left edge: the outline is a function of world x,
    so bands of different extents (a source and its extension) show the same horizon.
    """
    ss = 2
    w, h = width * ss, height * ss
    xs = np.arange(w, dtype=np.float64) / ss + origin
    phases = [s[0] * 2 * math.pi for s in slots[:6]]
    unit = xs / period * 2 * math.pi
    wave = (
        np.sin(unit * 1.0 + phases[0]) * 0.5
        + np.sin(unit * 2.3 + phases[1]) * 0.3
        + np.sin(unit * 5.1 + phases[2]) * 0.2
    )
    img = Image.new("RGBA", (w, h), (*colour, 0))
    d = ImageDraw.Draw(img)
    top = np.empty(w)
    detail: list[tuple[str, float, float, float, float]] = []
    if kind in ("hills", "islands", "dunes", "reef", "ridges"):
        base = {"hills": 0.55, "islands": 0.35, "dunes": 0.5, "reef": 0.5, "ridges": 0.55}[kind]
        amp = {"hills": 0.4, "islands": 0.6, "dunes": 0.45, "reef": 0.45, "ridges": 0.45}[kind]
        top = h * (1 - base - amp * wave * 0.5)
        if kind == "islands":
            top = np.where(wave > 0.15, h * (1 - (wave - 0.15) * 1.4), h)
        if kind == "ridges":
            top = top + h * 0.06 * np.abs(np.sin(unit * 11 + phases[3]))
    elif kind in ("peaks", "mesas"):
        top = np.full(w, float(h))  # the shapes are drawn directly below
    elif kind in ("skyline", "buildings"):
        top = np.full(w, float(h))
        cell = ss * period * 0.15  # one building per world cell: the same street in any band
        k = math.floor(origin * ss / cell)
        while (x := k * cell - origin * ss) < w:
            bw = ss * period * (0.06 + 0.08 * slots[k % len(slots)][0])
            bh = h * (0.35 + 0.6 * slots[k % len(slots)][1])
            lo, hi = max(0, int(x)), max(0, int(min(w, x + bw)))
            top[lo:hi] = h - bh
            detail.append(("windows", x, x + bw, h - bh, slots[k % len(slots)][2]))
            k += 1
    points = [(0.0, float(h))] + [
        (float(i), float(t)) for i, t in zip(range(0, w, 4), top[::4], strict=True)
    ]
    points += [(float(w), float(top[-1])), (float(w), float(h))]
    d.polygon(points, fill=(*colour, 255))
    if kind in ("peaks", "mesas"):
        _ranges(d, kind, w, h, ss * period, slots, colour, accent, origin * ss)
    for name, x0, x1, y0, v in detail:
        if name == "windows":
            lit = sprites.shade(accent, 0.9)
            cols = max(1, int((x1 - x0) / (ss * period * 0.02)))
            for j in range(cols):
                for r in range(int((h - y0) / (ss * period * 0.03))):
                    if (j * 7 + r * 3 + int(v * 13)) % 5 < 2:
                        wx = x0 + (j + 0.3) * (x1 - x0) / cols
                        wy = y0 + (r + 0.4) * ss * period * 0.03
                        d.rectangle(
                            (wx, wy, wx + ss * period * 0.008, wy + ss * period * 0.012),
                            fill=(*lit, 255),
                        )
    return _halve(img)
