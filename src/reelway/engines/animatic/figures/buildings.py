"""Buildings and structures: they stand still (a lighthouse's beam sweeps, a house's chimney
smokes, a windmill's sails turn, a skyscraper's windows blink, a market's lanterns sway)."""

from __future__ import annotations

import colorsys
import math

from reelway.engines.animatic.figures.pen import RGB, Pen, shade, wave

GLASS = (190, 220, 240)
LIT = (255, 226, 120)
ROOF = (150, 56, 44)
STONE = (168, 160, 150)
WHITE = (244, 242, 236)


def lighthouse(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tapering striped tower on a rock, a lamp room with a railing, a beam that sweeps."""
    cx, by = w / 2, h - 0.02 * s
    top = by - 1.35 * s
    beam = 0.95 * s * wave(p)  # a turning lamp, seen from the side
    lamp_y = top + 0.12 * s
    if abs(beam) > 0.05 * s:
        pen.polygon(
            [(cx, lamp_y), (cx + beam, lamp_y - 0.16 * s), (cx + beam, lamp_y + 0.16 * s)],
            (255, 246, 190),
        )
    pen.ellipse((cx - 0.4 * s, by - 0.16 * s, cx + 0.4 * s, by + 0.04 * s), (110, 104, 98))
    base_w, top_w = 0.22 * s, 0.13 * s
    bands = 4
    for k in range(bands):
        y0 = by - 0.08 * s - k * (1.05 * s / bands)
        y1 = y0 - 1.05 * s / bands
        w0 = base_w + (top_w - base_w) * k / bands
        w1 = base_w + (top_w - base_w) * (k + 1) / bands
        pen.polygon(
            [(cx - w0, y0), (cx + w0, y0), (cx + w1, y1), (cx - w1, y1)], c if k % 2 == 0 else WHITE
        )
    pen.rect((cx - 0.18 * s, top + 0.2 * s, cx + 0.18 * s, top + 0.26 * s), (40, 40, 44))
    pen.rect((cx - 0.1 * s, top + 0.04 * s, cx + 0.1 * s, top + 0.2 * s), LIT)
    pen.polygon(
        [(cx - 0.14 * s, top + 0.05 * s), (cx, top - 0.12 * s), (cx + 0.14 * s, top + 0.05 * s)],
        (40, 40, 44),
    )
    pen.rect((cx - 0.04 * s, by - 0.5 * s, cx + 0.04 * s, by - 0.4 * s), GLASS, 0.02 * s)


def castle(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Crenellated walls between two round towers with pointed roofs, a gate, a pennant."""
    cx, by = w / 2, h - 0.02 * s
    wall_top = by - 0.55 * s
    pen.rect((cx - 0.6 * s, wall_top, cx + 0.6 * s, by), c)
    for k in range(6):
        x = cx - 0.55 * s + k * 0.2 * s
        pen.rect((x, wall_top - 0.08 * s, x + 0.1 * s, wall_top + 0.01 * s), c)
    keep_top = by - 0.85 * s
    pen.rect((cx - 0.2 * s, keep_top, cx + 0.2 * s, by), shade(c, 1.08))
    for k in range(3):
        x = cx - 0.18 * s + k * 0.14 * s
        pen.rect((x, keep_top - 0.07 * s, x + 0.08 * s, keep_top + 0.01 * s), shade(c, 1.08))
    for side in (-1, 1):
        x = cx + side * 0.62 * s
        pen.rect((x - 0.14 * s, by - 0.95 * s, x + 0.14 * s, by), shade(c, 0.9))
        pen.polygon(
            [(x - 0.19 * s, by - 0.94 * s), (x, by - 1.35 * s), (x + 0.19 * s, by - 0.94 * s)], ROOF
        )
        pen.rect((x - 0.03 * s, by - 0.75 * s, x + 0.03 * s, by - 0.62 * s), (40, 36, 40), 0.02 * s)
    x = cx + 0.62 * s
    pen.limb([(x, by - 1.35 * s), (x, by - 1.5 * s)], 0.015 * s, (60, 60, 60))
    pen.polygon(
        [
            (x, by - 1.5 * s),
            (x + 0.16 * s, by - 1.46 * s + 0.02 * s * wave(p, 0, 2)),
            (x, by - 1.42 * s),
        ],
        (214, 48, 49),
    )
    pen.pieslice(
        (cx - 0.12 * s, by - 0.4 * s, cx + 0.12 * s, by - 0.12 * s), 180, 360, (60, 44, 34)
    )
    pen.rect((cx - 0.12 * s, by - 0.26 * s, cx + 0.12 * s, by), (60, 44, 34))


def skyscraper(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tall tower of window rows with a stepped top and an antenna light that blinks."""
    cx, by = w / 2, h - 0.02 * s
    top = by - 1.6 * s
    pen.rect((cx - 0.3 * s, top + 0.25 * s, cx + 0.3 * s, by), c)
    pen.rect((cx - 0.2 * s, top + 0.08 * s, cx + 0.2 * s, top + 0.27 * s), shade(c, 0.9))
    pen.limb([(cx, top + 0.08 * s), (cx, top - 0.15 * s)], 0.02 * s, (80, 80, 86))
    pen.circle(cx, top - 0.16 * s, 0.025 * s, (255, 60, 60) if wave(p) > 0 else (110, 40, 40))
    rows, cols = 11, 4
    for r in range(rows):
        for k in range(cols):
            x = cx - 0.24 * s + k * 0.13 * s
            y = top + 0.32 * s + r * 0.115 * s
            lit = (r * 7 + k * 3) % 5 == 0
            pen.rect((x, y, x + 0.08 * s, y + 0.07 * s), LIT if lit else GLASS)


def house(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Square walls under a steep gable roof, a door, two windows and a smoking chimney."""
    cx, by = w / 2, h - 0.02 * s
    eave = by - 0.6 * s
    pen.rect((cx + 0.24 * s, eave - 0.55 * s, cx + 0.36 * s, eave - 0.15 * s), shade(ROOF, 0.7))
    puff = p % 1.0
    pen.circle(
        cx + 0.3 * s + 0.1 * s * puff, eave - 0.62 * s - 0.3 * s * puff, 0.05 * s + 0.04 * s * puff,
        (220, 220, 226),
    )  # fmt: skip
    pen.rect((cx - 0.5 * s, eave, cx + 0.5 * s, by), c)
    pen.polygon(
        [(cx - 0.62 * s, eave + 0.02 * s), (cx, eave - 0.62 * s), (cx + 0.62 * s, eave + 0.02 * s)],
        ROOF,
    )
    pen.rect((cx - 0.1 * s, by - 0.34 * s, cx + 0.1 * s, by), (110, 70, 46))
    for x in (cx - 0.38 * s, cx + 0.22 * s):
        pen.rect((x, eave + 0.12 * s, x + 0.16 * s, eave + 0.28 * s), LIT)
    pen.circle(cx, eave - 0.22 * s, 0.07 * s, LIT)


def bridge(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A suspension bridge: two towers, swooping main cables, hangers and the deck."""
    cx, by = w / 2, h - 0.02 * s
    deck = by - 0.25 * s
    span = 1.3 * s
    for side in (-1, 1):
        x = cx + side * 0.65 * s
        pen.rect((x - 0.05 * s, by - 0.95 * s, x + 0.05 * s, by), c)
        pen.rect((x - 0.07 * s, by - 0.8 * s, x + 0.07 * s, by - 0.76 * s), c)
    pts = []
    for k in range(13):
        u = k / 12
        x = cx - span / 2 + span * u
        pts.append((x, by - 0.92 * s + 0.6 * s * (1 - (2 * u - 1) ** 2)))
    pen.limb(pts, 0.02 * s, shade(c, 0.9))
    for side in (-1, 1):
        pen.limb(
            [(cx + side * 0.65 * s, by - 0.92 * s), (cx + side * 1.05 * s, deck)],
            0.02 * s,
            shade(c, 0.9),
        )
    for x, y in pts[1:-1]:
        pen.limb([(x, y), (x, deck)], 0.008 * s, shade(c, 0.9))
    pen.rect((cx - 1.1 * s, deck, cx + 1.1 * s, deck + 0.07 * s), shade(c, 0.7))


def windmill(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tapering tower with a cap and four sails turning slowly."""
    cx, by = w / 2, h - 0.02 * s
    pen.polygon(
        [
            (cx - 0.25 * s, by),
            (cx + 0.25 * s, by),
            (cx + 0.15 * s, by - 0.85 * s),
            (cx - 0.15 * s, by - 0.85 * s),
        ],
        c,
    )
    pen.pieslice((cx - 0.18 * s, by - 1.0 * s, cx + 0.18 * s, by - 0.72 * s), 180, 360, ROOF)
    pen.rect((cx - 0.07 * s, by - 0.22 * s, cx + 0.07 * s, by), (90, 60, 40), 0.03 * s)
    hub = (cx, by - 0.86 * s)
    for k in range(4):
        a = 2 * math.pi * (p / 4 + k / 4)
        tip = (hub[0] + 0.7 * s * math.cos(a), hub[1] + 0.7 * s * math.sin(a))
        side = (0.1 * s * math.cos(a + math.pi / 2), 0.1 * s * math.sin(a + math.pi / 2))
        mid = (hub[0] + 0.15 * s * math.cos(a), hub[1] + 0.15 * s * math.sin(a))
        pen.polygon(
            [mid, tip, (tip[0] + side[0], tip[1] + side[1]), (mid[0] + side[0], mid[1] + side[1])],
            WHITE,
        )
    pen.circle(hub[0], hub[1], 0.04 * s, (60, 50, 40))


SLATE = (74, 86, 98)
DARK = (40, 40, 44)


def clock_tower(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A tall square stone tower (Big Ben): a plinth, a panelled shaft, a wider clock stage
    with a big white face whose hands turn, a belfry, and a steep slate spire."""
    cx, by = w / 2, h - 0.02 * s
    half = 0.17 * s
    pen.rect((cx - 0.22 * s, by - 0.18 * s, cx + 0.22 * s, by), shade(c, 0.85))
    pen.rect((cx - half, by - 1.25 * s, cx + half, by - 0.16 * s), c)
    for k in (-1, 0, 1):  # tall panels up the shaft
        x = cx + k * 0.09 * s
        pen.rect((x - 0.022 * s, by - 1.16 * s, x + 0.022 * s, by - 0.3 * s), shade(c, 0.78))
    stage_top, stage_bottom = by - 1.52 * s, by - 1.1 * s
    pen.rect((cx - 0.23 * s, stage_top, cx + 0.23 * s, stage_bottom), shade(c, 1.08))
    face_y, face_r = (stage_top + stage_bottom) / 2, 0.17 * s
    pen.layer()  # the dial outlined over the stone
    _clock_face(pen, s, cx, face_y, face_r, p)
    belfry = by - 1.68 * s
    pen.rect((cx - 0.19 * s, belfry, cx + 0.19 * s, stage_top), c)
    for k in (-1, 1):  # the belfry's arched openings
        x = cx + k * 0.08 * s
        pen.rect((x - 0.035 * s, belfry + 0.03 * s, x + 0.035 * s, stage_top - 0.02 * s), DARK)
    pen.polygon(
        [
            (cx - 0.22 * s, belfry + 0.01 * s),
            (cx, by - 2.02 * s),
            (cx + 0.22 * s, belfry + 0.01 * s),
        ],
        SLATE,
    )
    pen.limb([(cx, by - 2.0 * s), (cx, by - 2.1 * s)], 0.02 * s, DARK)


def _clock_face(pen: Pen, s: float, x: float, y: float, r: float, p: float) -> None:
    """A white dial with twelve marks; the minute hand goes round once a cycle."""
    pen.circle(x, y, r, WHITE)
    for k in range(12):
        a = 2 * math.pi * k / 12
        pen.circle(x + r * 0.8 * math.cos(a), y + r * 0.8 * math.sin(a), 0.012 * s, DARK)
    minute = 2 * math.pi * p - math.pi / 2
    hour = 2 * math.pi * p / 12 - math.pi / 3
    pen.limb([(x, y), (x + r * 0.72 * math.cos(minute), y + r * 0.72 * math.sin(minute))],
             0.018 * s, DARK)  # fmt: skip
    pen.limb([(x, y), (x + r * 0.45 * math.cos(hour), y + r * 0.45 * math.sin(hour))],
             0.03 * s, DARK)  # fmt: skip


def _hue(c: RGB, turn: float) -> RGB:
    """``c`` with its hue turned by ``turn`` of a circle (lightness and saturation kept), so
    a stall beside the first differs from it and is lit as the first is."""
    hue, light, sat = colorsys.rgb_to_hls(*(x / 255 for x in c))
    r, g, b = colorsys.hls_to_rgb((hue + turn) % 1.0, light, sat)
    return (round(r * 255), round(g * 255), round(b * 255))


LANTERN = (236, 70, 48)
BULB = (255, 232, 150)
GOODS = ((226, 60, 50), (246, 176, 40), (120, 190, 70), (250, 220, 90), (200, 110, 60))


def market(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A street market: a row of three stalls under striped, scalloped awnings, counters
    heaped with goods before a warm lit back, a string of bulbs and red paper lanterns
    swaying above (the lamps keep their own light at night)."""
    cx, by = w / 2, h - 0.02 * s
    wire_y = by - 1.22 * s
    ends = (cx - 1.18 * s, cx + 1.18 * s)
    # the string of lights, sagging between two poles, each bulb in its glow
    bulbs = []
    for k in range(15):
        u = k / 14
        x = ends[0] + (ends[1] - ends[0]) * u
        bulbs.append((x, wire_y + 0.12 * s * math.sin(math.pi * (2 * u % 1.0))))
    for k, (x, y) in enumerate(bulbs):
        bright = 0.5 + 0.5 * wave(p, k * 0.37)
        pen.halo(x, y + 0.03 * s, [(0.1 * s, round(40 + 50 * bright)), (0.06 * s, 120)], BULB)
    for x in ends:
        pen.limb([(x, by), (x, wire_y - 0.04 * s)], 0.03 * s, (60, 48, 40))
    pen.limb(bulbs, 0.01 * s, (40, 36, 34))
    for x, y in bulbs:
        pen.circle(x, y + 0.03 * s, 0.03 * s, BULB)
    for k, turn in enumerate((0.0, 0.38, 0.62)):  # the middle stall the biggest
        half, u = (0.3, 1.0) if k == 1 else (0.26, 0.86)
        _stall(pen, s, cx + (k - 1) * 0.9 * s, by, _hue(c, turn), k, half * s, u)
    pen.layer()
    # paper lanterns hanging between the awnings, swaying
    for k, x in enumerate((cx - 0.41 * s, cx + 0.41 * s)):
        swing = 0.04 * s * wave(p, k * 0.5)
        top = (x, bulbs[4 + 6 * k][1] + 0.02 * s)
        y = by - 0.82 * s
        centre = (x + swing, y)
        pen.limb([top, (centre[0], y - 0.08 * s)], 0.008 * s, (40, 36, 34))
        pen.ellipse(
            (centre[0] - 0.07 * s, y - 0.09 * s, centre[0] + 0.07 * s, y + 0.09 * s), LANTERN
        )
        pen.ellipse(
            (centre[0] - 0.035 * s, y - 0.07 * s, centre[0] + 0.035 * s, y + 0.07 * s),
            (255, 150, 90),
        )
        for dy in (-0.09, 0.09):
            pen.rect(
                (
                    centre[0] - 0.035 * s,
                    y + dy * s - 0.015 * s,
                    centre[0] + 0.035 * s,
                    y + dy * s + 0.015 * s,
                ),
                (40, 36, 34),
            )


def _stall(pen: Pen, s: float, x: float, by: float, c: RGB, k: int, half: float, u: float) -> None:
    """One stall ``2 * half`` wide and ``u`` tall (in ``s``): posts, a lit back, a counter
    with goods, a striped awning with a scalloped edge under a peaked gable."""
    wood = (126, 86, 56)
    low, top = by - 0.8 * u * s, by - 1.0 * u * s
    for dx in (-half, half):
        pen.rect((x + dx - 0.025 * s, low - 0.04 * s, x + dx + 0.025 * s, by), shade(wood, 0.8))
    pen.rect((x - half, low, x + half, by - 0.36 * s), (255, 206, 124))  # the lit back
    hung = max(2, round(half / 0.09 / s))
    for j in range(hung):  # goods hanging from the awning's rail
        gx = x - half + (j + 0.5) * 2 * half / hung
        gy = low + 0.08 * s
        pen.ellipse(
            (gx - 0.03 * s, gy - 0.06 * s, gx + 0.03 * s, gy + 0.06 * s), GOODS[(j + k) % 5]
        )
    for dx in (-half + 0.04 * s, half - 0.04 * s):  # the counter on two legs
        pen.rect((x + dx - 0.03 * s, by - 0.2 * s, x + dx + 0.03 * s, by), shade(wood, 0.7))
    pen.rect((x - half - 0.03 * s, by - 0.38 * s, x + half + 0.03 * s, by - 0.14 * s), wood)
    pen.rect((x - half, by - 0.3 * s, x + half, by - 0.24 * s), shade(wood, 0.8))
    heap = max(3, round(2 * half / 0.1 / s))
    for j in range(heap):  # a heap of goods on the counter
        gx = x - half + 0.06 * s + j * (2 * half - 0.12 * s) / (heap - 1)
        pen.circle(gx, by - 0.42 * s, 0.05 * s, GOODS[(j * 2 + k) % 5])
    for j in range(heap - 3):
        gx = x - half + 0.13 * s + j * (2 * half - 0.26 * s) / max(1, heap - 4)
        pen.circle(gx, by - 0.49 * s, 0.05 * s, GOODS[(j + 3 * k + 1) % 5])
    # the gable: a peak over the awning with a pennant
    peak = top - 0.22 * s
    pen.polygon([(x - half - 0.04 * s, top), (x, peak), (x + half + 0.04 * s, top)], shade(c, 0.8))
    pen.limb([(x, peak), (x, peak - 0.1 * s)], 0.015 * s, (60, 48, 40))
    pen.polygon([(x, peak - 0.1 * s), (x + 0.1 * s, peak - 0.07 * s), (x, peak - 0.04 * s)], WHITE)
    # the awning: stripes sloping out to the front, a scalloped valance
    stripes = 6
    span = 2 * (half + 0.06 * s)
    left = x - half - 0.06 * s
    inset = 0.06 * s
    for j in range(stripes):
        x0, x1 = left + j * span / stripes, left + (j + 1) * span / stripes
        t0 = left + inset + (x0 - left) * (span - 2 * inset) / span
        t1 = left + inset + (x1 - left) * (span - 2 * inset) / span
        colour = c if j % 2 == 0 else WHITE
        pen.polygon([(t0, top), (t1, top), (x1, low), (x0, low)], colour)
        pen.pieslice((x0, low - span / stripes / 2, x1, low + span / stripes / 2), 0, 180, colour)
