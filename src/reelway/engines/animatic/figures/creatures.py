"""Birds, insects, small creatures of the ground and creatures of fantasy.

Winged figures flap with the animation phase (a perched bird folds its wings and bobs its
head), swimmers undulate their tail, a jellyfish pulses.
"""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, joint, shade, wave

DARK = (24, 22, 26)
BEAK = (250, 190, 60)
WHITE = (246, 244, 238)


def _flap(p: float, action: str) -> float:
    """Wing height, -1 (down) .. 1 (up); a gliding bird barely moves its wings."""
    return wave(p, 0, 2 if action == "fly" else 1) * (1.0 if action != "float" else 0.35)


def bird(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """In flight: wings spread wide and beating, seen from the side."""
    cx, cy = w / 2, h - 0.5 * s
    f = _flap(p, "fly" if action == "idle" else action)
    tip = (cx - 0.15 * s, cy - 0.48 * s * f)
    pen.polygon(
        [
            (cx - 0.12 * s, cy - 0.04 * s),
            (tip[0] - 0.2 * s, tip[1] - 0.02 * s),
            (cx + 0.1 * s, cy - 0.02 * s),
        ],
        shade(c, 0.7),
    )
    pen.polygon(
        [
            (cx - 0.55 * s, cy - 0.1 * s),
            (cx - 0.32 * s, cy - 0.03 * s),
            (cx - 0.55 * s, cy + 0.08 * s),
        ],
        shade(c, 0.85),
    )
    pen.ellipse((cx - 0.4 * s, cy - 0.1 * s, cx + 0.22 * s, cy + 0.09 * s), c)
    pen.circle(cx + 0.24 * s, cy - 0.07 * s, 0.1 * s, c)
    pen.polygon(
        [
            (cx + 0.32 * s, cy - 0.1 * s),
            (cx + 0.48 * s, cy - 0.05 * s),
            (cx + 0.32 * s, cy - 0.02 * s),
        ],
        BEAK,
    )
    pen.circle(cx + 0.26 * s, cy - 0.1 * s, 0.018 * s, DARK)
    pen.polygon(
        [
            (cx - 0.08 * s, cy - 0.02 * s),
            (tip[0] + 0.08 * s, tip[1]),
            (tip[0] + 0.2 * s, tip[1]),
            (cx + 0.15 * s, cy),
        ],
        c,
    )


def perched_bird(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Sitting on a branch, wings folded, tail down, pecking now and then."""
    by = h - 0.02 * s
    cx = w / 2
    peck = max(0.0, wave(p)) * 0.06 * s
    pen.rect((cx - 0.45 * s, by - 0.06 * s, cx + 0.45 * s, by), (112, 80, 52), 0.03 * s)
    for dx in (-0.05, 0.06):
        pen.limb([(cx + dx * s, by - 0.25 * s), (cx + dx * s, by - 0.05 * s)], 0.02 * s, BEAK)
    pen.polygon(
        [
            (cx - 0.15 * s, by - 0.35 * s),
            (cx - 0.42 * s, by - 0.02 * s),
            (cx - 0.28 * s, by - 0.0 * s),
            (cx - 0.05 * s, by - 0.28 * s),
        ],
        shade(c, 0.75),
    )
    pen.ellipse((cx - 0.22 * s, by - 0.6 * s, cx + 0.18 * s, by - 0.2 * s), c)
    pen.ellipse((cx - 0.05 * s, by - 0.48 * s, cx + 0.16 * s, by - 0.24 * s), shade(c, 1.35))
    pen.ellipse((cx - 0.2 * s, by - 0.5 * s, cx + 0.04 * s, by - 0.28 * s), shade(c, 0.8))
    hx, hy = cx + 0.12 * s, by - 0.66 * s + peck
    pen.circle(hx, hy, 0.13 * s, c)
    pen.polygon(
        [
            (hx + 0.1 * s, hy - 0.03 * s),
            (hx + 0.26 * s, hy + 0.02 * s + peck * 0.5),
            (hx + 0.1 * s, hy + 0.05 * s),
        ],
        BEAK,
    )
    pen.circle(hx + 0.04 * s, hy - 0.03 * s, 0.022 * s, DARK)


def owl(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Upright and round, ear tufts, big round eyes facing the viewer."""
    by = h - 0.02 * s
    cx = w / 2
    if action != "fly":  # on its branch
        pen.rect((cx - 0.6 * s, by - 0.06 * s, cx + 0.6 * s, by), (112, 80, 52), 0.03 * s)
        pen.limb(
            [(cx + 0.4 * s, by - 0.04 * s), (cx + 0.55 * s, by - 0.16 * s)], 0.03 * s, (112, 80, 52)
        )
        by -= 0.04 * s
    if action == "fly":
        f = _flap(p, action)
        for side in (-1, 1):
            pen.polygon(
                [
                    (cx, by - 0.5 * s),
                    (cx + side * 0.6 * s, by - 0.55 * s - 0.3 * s * f),
                    (cx + side * 0.5 * s, by - 0.35 * s),
                ],
                shade(c, 0.8),
            )
    pen.ellipse((cx - 0.28 * s, by - 0.72 * s, cx + 0.28 * s, by - 0.02 * s), c)
    pen.ellipse((cx - 0.18 * s, by - 0.45 * s, cx + 0.18 * s, by - 0.06 * s), shade(c, 1.35))
    for side in (-1, 1):
        pen.polygon(
            [
                (cx + side * 0.12 * s, by - 0.78 * s),
                (cx + side * 0.3 * s, by - 0.98 * s),
                (cx + side * 0.26 * s, by - 0.72 * s),
            ],
            shade(c, 0.8),
        )
    pen.ellipse((cx - 0.27 * s, by - 0.92 * s, cx + 0.27 * s, by - 0.56 * s), c)
    blink = wave(p) > 0.985 or action == "sleep"
    for side in (-1, 1):
        ex = cx + side * 0.12 * s
        pen.circle(ex, by - 0.75 * s, 0.1 * s, WHITE)
        if blink:
            pen.limb(
                [(ex - 0.07 * s, by - 0.75 * s), (ex + 0.07 * s, by - 0.75 * s)], 0.015 * s, DARK
            )
        else:
            pen.circle(ex, by - 0.75 * s, 0.05 * s, (250, 180, 40))
            pen.circle(ex, by - 0.75 * s, 0.025 * s, DARK)
    pen.polygon(
        [(cx - 0.03 * s, by - 0.68 * s), (cx + 0.03 * s, by - 0.68 * s), (cx, by - 0.6 * s)], BEAK
    )


def swan(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A waterbird afloat: a long S-shaped neck over a boat-shaped body (duck, goose too)."""
    by = h - 0.02 * s
    cx = w / 2 - 0.05 * s
    bob = 0.01 * s * wave(p)
    pen.polygon(
        [
            (cx - 0.5 * s, by - 0.32 * s + bob),
            (cx - 0.3 * s, by - 0.12 * s),
            (cx - 0.45 * s, by - 0.12 * s),
        ],
        shade(c, 0.85),
    )
    pen.ellipse((cx - 0.45 * s, by - 0.34 * s + bob, cx + 0.3 * s, by + bob), c)
    pen.polygon(
        [
            (cx - 0.3 * s, by - 0.24 * s + bob),
            (cx + 0.1 * s, by - 0.3 * s + bob),
            (cx + 0.05 * s, by - 0.12 * s + bob),
        ],
        shade(c, 0.88),
    )
    neck = [
        (cx + 0.18 * s, by - 0.2 * s),
        (cx + 0.3 * s, by - 0.45 * s),
        (cx + 0.18 * s, by - 0.68 * s),
        (cx + 0.28 * s, by - 0.8 * s),
    ]
    pen.limb(neck, 0.08 * s, c)
    hx, hy = neck[-1]
    pen.circle(hx, hy, 0.07 * s, c)
    pen.polygon(
        [
            (hx + 0.04 * s, hy - 0.03 * s),
            (hx + 0.2 * s, hy + 0.03 * s),
            (hx + 0.04 * s, hy + 0.05 * s),
        ],
        (236, 120, 40),
    )
    pen.circle(hx + 0.01 * s, hy - 0.02 * s, 0.016 * s, DARK)


def penguin(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    by = h - 0.02 * s
    cx = w / 2
    waddle = 6 * wave(p) if action in ("walk", "run", "dance") else 0.0
    for side in (-1, 1):
        pen.ellipse(
            (cx + side * 0.08 * s - 0.06 * s, by - 0.05 * s, cx + side * 0.08 * s + 0.1 * s, by),
            BEAK,
        )
    body = c
    pen.ellipse((cx - 0.24 * s, by - 0.85 * s, cx + 0.24 * s, by - 0.02 * s), body)
    pen.ellipse((cx - 0.12 * s, by - 0.62 * s, cx + 0.2 * s, by - 0.06 * s), WHITE)
    pen.limb(
        [
            (cx - 0.15 * s, by - 0.6 * s),
            joint((cx - 0.15 * s, by - 0.6 * s), 0.32 * s, -20 + waddle),
        ],
        0.07 * s,
        body,
    )
    pen.polygon(
        [
            (cx + 0.18 * s, by - 0.75 * s),
            (cx + 0.36 * s, by - 0.7 * s),
            (cx + 0.18 * s, by - 0.66 * s),
        ],
        BEAK,
    )
    pen.circle(cx + 0.1 * s, by - 0.74 * s, 0.022 * s, WHITE)


def butterfly(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Four big rounded wings opening and closing (seen from above at a slant)."""
    cx, cy = w / 2, h - 0.5 * s
    open_ = 0.35 + 0.65 * abs(wave(p, 0, 1.5 if action != "idle" else 0.5))
    for side in (-1, 1):
        sx = side * open_
        pen.ellipse(_wing(cx, cy, sx, -0.42, 0.38, 0.36, s), c)
        pen.ellipse(_wing(cx, cy, sx * 0.8, 0.02, 0.26, 0.3, s), shade(c, 0.8))
        pen.circle(cx + sx * 0.26 * s, cy - 0.24 * s, 0.06 * s * max(0.4, open_), shade(c, 1.5))
    pen.ellipse((cx - 0.035 * s, cy - 0.32 * s, cx + 0.035 * s, cy + 0.25 * s), DARK)
    for side in (-1, 1):
        pen.limb([(cx, cy - 0.3 * s), (cx + side * 0.12 * s, cy - 0.52 * s)], 0.012 * s, DARK)


def _wing(
    cx: float, cy: float, sx: float, dy: float, size: float, tall: float, s: float
) -> tuple[float, float, float, float]:
    x0 = cx + min(0.0, sx * size) * s
    x1 = cx + max(0.0, sx * size) * s
    return (min(x0, x1 - 2), cy + dy * s, max(x1, x0 + 2), cy + (dy + tall) * s)


def insect(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A bee: striped round body, stinger, blurred see-through wings buzzing fast."""
    cx, cy = w / 2, h - 0.35 * s
    buzz = wave(p, 0, 4)
    for side in (1, -1):
        top = cy - 0.28 * s - 0.08 * s * buzz * side
        pen.ellipse((cx - 0.22 * s, top - 0.14 * s, cx + 0.02 * s, top + 0.1 * s), (214, 232, 246))
    pen.polygon(
        [
            (cx - 0.36 * s, cy - 0.03 * s),
            (cx - 0.48 * s, cy + 0.02 * s),
            (cx - 0.36 * s, cy + 0.05 * s),
        ],
        DARK,
    )
    pen.ellipse((cx - 0.38 * s, cy - 0.17 * s, cx + 0.1 * s, cy + 0.17 * s), c)
    for k in range(3):
        x = cx - 0.26 * s + k * 0.11 * s
        pen.rect((x, cy - 0.16 * s, x + 0.05 * s, cy + 0.16 * s), DARK)
    pen.circle(cx + 0.17 * s, cy - 0.02 * s, 0.1 * s, DARK)
    for lean in (0.0, 0.05):
        pen.limb(
            [(cx + 0.2 * s, cy - 0.1 * s), (cx + (0.3 + lean) * s, cy - 0.25 * s)], 0.012 * s, DARK
        )
    for k in range(3):
        x = cx - 0.12 * s + k * 0.1 * s
        pen.limb([(x, cy + 0.12 * s), (x - 0.04 * s, cy + 0.26 * s)], 0.014 * s, DARK)


def dragon(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Bat wings, a horned head on a long neck, a spiked tail; flapping when it flies."""
    cx, cy = w / 2, h - 0.5 * s
    f = _flap(p, "fly" if action in ("idle", "fly") else action)
    belly = (236, 206, 120)
    wing_root = (cx - 0.05 * s, cy - 0.1 * s)
    tip = (cx - 0.25 * s, cy - 0.7 * s * f - 0.05 * s)
    far = [wing_root, (tip[0] + 0.3 * s, tip[1] - 0.02 * s), (cx + 0.3 * s, cy - 0.05 * s)]
    pen.polygon(far, shade(c, 0.6))
    tail = [
        (cx - 0.3 * s, cy),
        (cx - 0.55 * s, cy + 0.1 * s + 0.05 * s * wave(p)),
        (cx - 0.8 * s, cy - 0.02 * s),
    ]
    pen.limb(tail, 0.08 * s, c)
    pen.polygon(
        [
            (tail[-1][0], tail[-1][1] - 0.08 * s),
            (tail[-1][0] - 0.14 * s, tail[-1][1]),
            (tail[-1][0], tail[-1][1] + 0.08 * s),
        ],
        shade(c, 0.6),
    )
    pen.ellipse((cx - 0.4 * s, cy - 0.14 * s, cx + 0.3 * s, cy + 0.14 * s), c)
    pen.ellipse((cx - 0.3 * s, cy + 0.0 * s, cx + 0.25 * s, cy + 0.14 * s), belly)
    for dx in (-0.15, 0.15):
        pen.limb(
            [
                (cx + dx * s, cy + 0.1 * s),
                (cx + dx * s + 0.06 * s, cy + 0.3 * s),
                (cx + dx * s + 0.12 * s, cy + 0.32 * s),
            ],
            0.06 * s,
            shade(c, 0.85),
        )
    neck = [
        (cx + 0.2 * s, cy - 0.05 * s),
        (cx + 0.42 * s, cy - 0.25 * s),
        (cx + 0.52 * s, cy - 0.35 * s),
    ]
    pen.limb(neck, 0.11 * s, c)
    hx, hy = neck[-1]
    pen.polygon(
        [
            (hx - 0.05 * s, hy - 0.05 * s),
            (hx - 0.2 * s, hy - 0.24 * s),
            (hx + 0.02 * s, hy - 0.08 * s),
        ],
        (236, 226, 196),
    )
    pen.ellipse((hx - 0.08 * s, hy - 0.08 * s, hx + 0.26 * s, hy + 0.08 * s), c)
    pen.circle(hx + 0.04 * s, hy - 0.03 * s, 0.022 * s, (250, 210, 60))
    near = [
        wing_root,
        (tip[0] - 0.2 * s, tip[1] + 0.05 * s),
        (tip[0], tip[1]),
        (tip[0] + 0.1 * s, tip[1] + 0.12 * s),
        (cx + 0.18 * s, cy - 0.08 * s),
    ]
    pen.polygon(near, shade(c, 0.8))
    for k in range(4):
        x = cx - 0.3 * s + k * 0.14 * s
        pen.polygon(
            [(x, cy - 0.12 * s), (x + 0.05 * s, cy - 0.22 * s), (x + 0.1 * s, cy - 0.12 * s)],
            shade(c, 0.6),
        )


def dinosaur(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A T. rex: walks on two thick legs, tiny arms, a huge head, a long tail held level."""
    by = h - 0.02 * s
    cx = w / 2
    swing = {"walk": 20.0, "run": 34.0}.get(action, 2.0)
    hip = (cx - 0.05 * s, by - 0.55 * s)
    for side, col in ((-1, shade(c, 0.72)), (1, c)):
        a = side * swing * wave(p)
        knee = joint(hip, 0.3 * s, a + 20)
        foot = joint(knee, 0.3 * s, a - 25)
        pen.limb([hip, knee, foot], 0.13 * s, col)
        pen.limb([foot, (foot[0] + 0.12 * s, foot[1])], 0.06 * s, col)
    pen.polygon(
        [
            (cx - 0.2 * s, by - 0.72 * s),
            (cx - 0.95 * s, by - 0.52 * s + 0.03 * s * wave(p)),
            (cx - 0.15 * s, by - 0.42 * s),
        ],
        c,
    )
    pen.ellipse((cx - 0.35 * s, by - 0.82 * s, cx + 0.3 * s, by - 0.4 * s), c)
    pen.limb([(cx + 0.15 * s, by - 0.72 * s), (cx + 0.3 * s, by - 0.9 * s)], 0.2 * s, c)
    pen.limb(
        [
            (cx + 0.22 * s, by - 0.6 * s),
            (cx + 0.32 * s, by - 0.58 * s),
            (cx + 0.34 * s, by - 0.52 * s),
        ],
        0.04 * s,
        c,
    )
    hx, hy = cx + 0.35 * s, by - 1.0 * s
    pen.rect((hx - 0.12 * s, hy - 0.12 * s, hx + 0.32 * s, hy + 0.06 * s), c, 0.06 * s)
    pen.rect((hx - 0.02 * s, hy + 0.02 * s, hx + 0.28 * s, hy + 0.11 * s), shade(c, 0.9), 0.03 * s)
    pen.circle(hx + 0.06 * s, hy - 0.06 * s, 0.022 * s, DARK)
    for k in range(4):
        x = hx + 0.04 * s + k * 0.06 * s
        pen.polygon(
            [(x, hy + 0.04 * s), (x + 0.02 * s, hy + 0.08 * s), (x + 0.04 * s, hy + 0.04 * s)],
            WHITE,
        )


def ghost(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A sheet with a wavy hem, two dark eyes, arms raised, drifting."""
    by = h - 0.02 * s
    cx = w / 2
    top = by - 0.95 * s
    hem = []
    for k in range(7):
        x = cx + 0.34 * s - k * 0.68 * s / 6
        hem.append((x, by - 0.06 * s * (k % 2) + 0.03 * s * wave(p, k / 7)))
    pts = [
        (cx - 0.34 * s, top + 0.35 * s),
        (cx - 0.3 * s, top + 0.12 * s),
        (cx, top),
        (cx + 0.3 * s, top + 0.12 * s),
        (cx + 0.34 * s, top + 0.35 * s),
        *hem,
    ]
    for side in (-1, 1):
        pen.limb(
            [
                (cx + side * 0.28 * s, top + 0.45 * s),
                (cx + side * 0.5 * s, top + 0.3 * s + 0.04 * s * wave(p, 0.3 * side)),
            ],
            0.1 * s,
            c,
        )
    pen.polygon(pts, c)
    pen.circle(cx, top + 0.2 * s, 0.3 * s, c)
    for side in (-1, 1):
        pen.ellipse(
            (
                cx + side * 0.1 * s - 0.045 * s,
                top + 0.16 * s,
                cx + side * 0.1 * s + 0.045 * s,
                top + 0.3 * s,
            ),
            DARK,
        )
    pen.ellipse((cx - 0.05 * s, top + 0.36 * s, cx + 0.05 * s, top + 0.46 * s), DARK)


def monster(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A big hairy two-legged beast: horns, long arms to the knees, a toothy grin (yeti,
    troll, ogre, any monster)."""
    by = h - 0.02 * s
    cx = w / 2
    swing = {"walk": 16.0, "run": 30.0, "dance": 20.0}.get(action, 2.0)
    for side, col in ((-1, shade(c, 0.72)), (1, c)):
        a = side * swing * wave(p)
        pen.limb(
            [
                (cx + side * 0.12 * s, by - 0.35 * s),
                joint((cx + side * 0.12 * s, by - 0.35 * s), 0.33 * s, a),
            ],
            0.16 * s,
            col,
        )
        arm0 = (cx + side * 0.3 * s, by - 0.85 * s)
        pen.limb(
            [
                arm0,
                joint(arm0, 0.3 * s, side * 20 - a),
                joint(joint(arm0, 0.3 * s, side * 20 - a), 0.25 * s, side * 5 - a),
            ],
            0.12 * s,
            col,
        )
    pen.ellipse((cx - 0.36 * s, by - 1.0 * s, cx + 0.36 * s, by - 0.28 * s), c)
    pen.ellipse((cx - 0.2 * s, by - 0.8 * s, cx + 0.2 * s, by - 0.36 * s), shade(c, 1.25))
    for side in (-1, 1):
        pen.polygon(
            [
                (cx + side * 0.15 * s, by - 0.95 * s),
                (cx + side * 0.34 * s, by - 1.22 * s),
                (cx + side * 0.25 * s, by - 0.9 * s),
            ],
            (236, 226, 196),
        )
    for side in (-1, 1):
        pen.circle(cx + side * 0.1 * s, by - 0.86 * s, 0.05 * s, WHITE)
        pen.circle(cx + side * 0.1 * s, by - 0.86 * s, 0.022 * s, DARK)
    pen.rect((cx - 0.14 * s, by - 0.74 * s, cx + 0.14 * s, by - 0.68 * s), DARK, 0.02 * s)
    for k in range(3):
        x = cx - 0.1 * s + k * 0.08 * s
        pen.polygon(
            [(x, by - 0.74 * s), (x + 0.02 * s, by - 0.7 * s), (x + 0.04 * s, by - 0.74 * s)], WHITE
        )


def frog(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Squatting on folded hind legs, eyes bulging on top of a wide head, a pale throat;
    a leap stretches the legs out behind."""
    by = h - 0.02 * s
    cx = w / 2
    leap = max(0.0, wave(p)) if action not in ("idle", "sleep") else 0.0
    hip = (cx - 0.18 * s, by - 0.16 * s)
    knee = (cx - 0.05 * s - 0.25 * s * leap, by - 0.28 * s + 0.12 * s * leap)
    foot = (cx - 0.3 * s - 0.2 * s * leap, by - 0.02 * s - 0.05 * s * leap)
    pen.limb([hip, knee, foot, (foot[0] + 0.1 * s, foot[1])], 0.09 * s, shade(c, 0.8))
    pen.ellipse((cx - 0.3 * s, by - 0.42 * s, cx + 0.22 * s, by - 0.02 * s), c)
    pen.ellipse((cx - 0.05 * s, by - 0.22 * s, cx + 0.2 * s, by - 0.04 * s), shade(c, 1.45))
    pen.limb(
        [
            (cx + 0.12 * s, by - 0.15 * s),
            (cx + 0.2 * s, by - 0.02 * s),
            (cx + 0.28 * s, by - 0.02 * s),
        ],
        0.05 * s,
        c,
    )
    pen.ellipse((cx - 0.02 * s, by - 0.5 * s, cx + 0.32 * s, by - 0.26 * s), c)
    for dx in (0.02, 0.18):
        pen.circle(cx + dx * s, by - 0.5 * s, 0.07 * s, c)
        pen.circle(cx + dx * s, by - 0.51 * s, 0.04 * s, (250, 240, 150))
        pen.circle(cx + dx * s + 0.01 * s, by - 0.51 * s, 0.02 * s, DARK)
    pen.limb([(cx + 0.12 * s, by - 0.36 * s), (cx + 0.3 * s, by - 0.34 * s)], 0.012 * s, DARK)


def snail(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A spiral shell on a soft body that stretches and gathers as it creeps, two stalk eyes."""
    by = h - 0.02 * s
    cx = w / 2
    creep = 0.04 * s * wave(p) if action not in ("idle", "sleep") else 0.0
    body = (236, 200, 150)
    pen.polygon(
        [(cx - 0.45 * s, by), (cx + 0.3 * s + creep, by), (cx + 0.42 * s + creep, by - 0.14 * s),
         (cx + 0.3 * s + creep, by - 0.2 * s), (cx - 0.3 * s, by - 0.08 * s)],
        body,
    )  # fmt: skip
    head = (cx + 0.34 * s + creep, by - 0.16 * s)
    for lean in (-10.0, 12.0):
        tip = joint(head, 0.22 * s, 180 + lean)
        pen.limb([head, tip], 0.025 * s, body)
        pen.circle(tip[0], tip[1], 0.03 * s, DARK)
    sx, sy, r = cx - 0.08 * s, by - 0.3 * s, 0.28 * s
    pen.circle(sx, sy, r, c)
    pts = []
    for k in range(40):
        a = k * 0.32
        rr = r * 0.85 * (1 - k / 44)
        pts.append((sx + rr * math.cos(a), sy + rr * math.sin(a)))
    pen.limb(pts, 0.03 * s, shade(c, 0.6))


def spider(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """Eight jointed legs arched round a round abdomen and a small head, scuttling."""
    by = h - 0.02 * s
    cx = w / 2
    body = (cx - 0.1 * s, by - 0.3 * s)
    moving = action not in ("idle", "sleep")
    for k in range(8):
        side = -1 if k < 4 else 1
        j = k % 4
        step = 0.03 * s * wave(p, (j + (k >= 4) * 0.5) / 4) if moving else 0.0
        hip = (cx + 0.02 * s, by - 0.3 * s)
        knee = (cx + side * (0.18 + 0.08 * j) * s + step, by - (0.52 - 0.04 * j) * s)
        foot = (cx + side * (0.3 + 0.1 * j) * s + step, by - 0.02 * s)
        pen.limb([hip, knee, foot], 0.025 * s, shade(c, 0.8 if side < 0 else 1.0))
    pen.ellipse((body[0] - 0.22 * s, body[1] - 0.17 * s, body[0] + 0.14 * s, body[1] + 0.15 * s), c)
    pen.circle(cx + 0.12 * s, by - 0.3 * s, 0.09 * s, c)
    for dx in (0.15, 0.19):
        pen.circle(cx + dx * s, by - 0.33 * s, 0.018 * s, (240, 60, 60))


LEGS = (70, 64, 56)


def heron(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A wading bird (heron, egret, stork, flamingo): long thin legs, a body held level, a
    long S-curved neck and a long dagger beak.  It stands still, now and then lowering its
    head to peer at the water; walking, it lifts its legs slowly; in the air its neck folds,
    its legs trail and its wings beat."""
    cx, by = w / 2, h - 0.02 * s
    beak = (236, 170, 52)
    if action in ("fly", "float", "spin", "fall", "climb"):
        f = _flap(p, "fly")
        cy = by - 0.75 * s
        body = (cx - 0.22 * s, cy - 0.09 * s, cx + 0.18 * s, cy + 0.08 * s)
        far = (cx - 0.02 * s, cy - 0.45 * s * f)
        pen.polygon(
            [(cx - 0.12 * s, cy - 0.02 * s), (far[0] - 0.2 * s, far[1]), (cx + 0.08 * s, cy)],
            shade(c, 0.7),
        )
        pen.limb([(cx - 0.18 * s, cy + 0.02 * s), (cx - 0.62 * s, cy + 0.06 * s)], 0.025 * s, LEGS)
        pen.ellipse(body, c)
        pen.limb(
            [
                (cx + 0.14 * s, cy - 0.04 * s),
                (cx + 0.24 * s, cy - 0.1 * s),
                (cx + 0.3 * s, cy - 0.08 * s),
            ],
            0.07 * s,
            c,
        )
        pen.polygon(
            [
                (cx + 0.33 * s, cy - 0.11 * s),
                (cx + 0.6 * s, cy - 0.07 * s),
                (cx + 0.33 * s, cy - 0.05 * s),
            ],
            beak,
        )
        pen.circle(cx + 0.31 * s, cy - 0.1 * s, 0.016 * s, DARK)
        near = (cx + 0.02 * s, cy - 0.5 * s * f)
        pen.polygon(
            [
                (cx - 0.1 * s, cy - 0.01 * s),
                (near[0] - 0.22 * s, near[1]),
                (near[0] + 0.05 * s, near[1]),
                (cx + 0.1 * s, cy + 0.01 * s),
            ],
            shade(c, 1.08),
        )
        return
    walking = action in ("walk", "run", "dance", "jump")
    cyc = 2 * math.pi * p
    hip = (cx - 0.02 * s, by - 0.62 * s)
    for side in (-1, 1):  # far leg first: thin, with a backward-bending ankle
        lift = max(0.0, math.sin(cyc + (side + 1) * math.pi / 2)) if walking else 0.0
        knee = (hip[0] + 0.02 * s + 0.06 * s * lift, hip[1] + 0.3 * s - 0.04 * s * lift)
        foot = (hip[0] + 0.07 * s * side * (1 - lift) + 0.1 * s * lift, by - 0.1 * s * lift)
        pen.limb([hip, knee, foot], 0.028 * s, shade(LEGS, 0.8 if side < 0 else 1.0))
        pen.limb([foot, (foot[0] + 0.1 * s, foot[1])], 0.02 * s, LEGS)
    # body: a tapering oval held level, the tail feathers drooping behind
    body_y = hip[1] - 0.05 * s
    pen.polygon(
        [
            (cx - 0.36 * s, body_y + 0.12 * s),
            (cx - 0.16 * s, body_y - 0.02 * s),
            (cx - 0.14 * s, body_y + 0.08 * s),
        ],
        shade(c, 0.8),
    )
    pen.ellipse((cx - 0.24 * s, body_y - 0.11 * s, cx + 0.16 * s, body_y + 0.1 * s), c)
    pen.ellipse((cx - 0.2 * s, body_y - 0.08 * s, cx + 0.06 * s, body_y + 0.06 * s), shade(c, 0.82))
    # the S-neck: out of the breast, back, then up and forward to the head
    peer = max(0.0, wave(p, 0.5)) ** 3 if action in ("idle", "sleep", "swim") else 0.0
    head = (cx + 0.22 * s + 0.12 * s * peer, by - 1.28 * s + 0.3 * s * peer)
    neck = [
        (cx + 0.1 * s, body_y - 0.04 * s),
        (cx + 0.2 * s, body_y - 0.2 * s),
        (cx + 0.08 * s + 0.08 * s * peer, body_y - 0.38 * s + 0.1 * s * peer),
        (cx + 0.12 * s + 0.1 * s * peer, body_y - 0.52 * s + 0.2 * s * peer),
        head,
    ]
    pen.limb(neck, 0.065 * s, c)
    pen.circle(head[0], head[1], 0.055 * s, c)
    pen.polygon(
        [
            (head[0] + 0.03 * s, head[1] - 0.03 * s),
            (head[0] + 0.36 * s, head[1] + 0.02 * s + 0.08 * s * peer),
            (head[0] + 0.03 * s, head[1] + 0.025 * s),
        ],
        beak,
    )
    pen.polygon(  # the crest plume, streaming back from the crown
        [
            (head[0] - 0.02 * s, head[1] - 0.05 * s),
            (head[0] - 0.2 * s, head[1] - 0.03 * s),
            (head[0] - 0.03 * s, head[1] - 0.01 * s),
        ],
        shade(c, 0.45),
    )
    pen.circle(head[0] + 0.015 * s, head[1] - 0.01 * s, 0.014 * s, DARK)
