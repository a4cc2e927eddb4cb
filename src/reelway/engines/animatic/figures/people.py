"""People (figures without faces) and robots, in walking, running, dancing, jumping,
climbing, sitting and sleeping poses; knights and wizards are people in what makes them
theirs (helm and plume, sword and shield; pointed hat, robe and a glowing staff)."""

from __future__ import annotations

import math

from reelway.engines.animatic.figures.pen import RGB, Pen, joint, shade


def _gait(action: str) -> tuple[float, float, float]:
    """Leg swing, knee bend and arm swing in degrees for an action."""
    return {
        "walk": (26.0, 22.0, 22.0),
        "run": (44.0, 62.0, 48.0),
        "dance": (18.0, 20.0, 70.0),
        "jump": (14.0, 40.0, 60.0),
        "climb": (30.0, 40.0, 80.0),
    }.get(action, (4.0, 3.0, 6.0))


def person(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    _figure(pen, s, w, h, p, c, action, robot=False)


def robot(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    _figure(pen, s, w, h, p, c, action, robot=True)


def _figure(
    pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str, robot: bool
) -> None:
    if action == "sleep":
        _lying(pen, s, w, h, p, c, robot)
        return
    cx, by = w / 2, h - 0.02 * s
    hip, shoulder = (cx, by - 0.47 * s), (cx, by - 0.77 * s)
    _, _, arm = _gait(action)
    cyc = 2 * math.pi * p
    back, limb = shade(c, 0.72), 0.075 * s
    legs = _legs(s, hip, p, action)
    arms = []
    for side in (1, -1):
        a = -side * arm * math.sin(cyc)
        if action == "dance":  # arms up, waving in turn
            a = 140 + side * 30 * math.sin(cyc)
        k = joint(shoulder, 0.16 * s, a)
        arms.append((side, [shoulder, k, joint(k, 0.16 * s, a + 25)]))
    for side, pts in legs + arms:  # far limbs behind the body
        if side < 0:
            pen.limb(pts, limb, back)
    if robot:
        pen.rect(
            (cx - 0.12 * s, shoulder[1] - 0.03 * s, cx + 0.12 * s, hip[1] + 0.02 * s), c, 0.02 * s
        )
        pen.rect((cx - 0.1 * s, by - s, cx + 0.1 * s, by - 0.82 * s), c, 0.03 * s)
        pen.limb([(cx, by - s), (cx, by - 1.07 * s)], 0.02 * s, back)
        pen.circle(cx, by - 1.08 * s, 0.025 * s, (250, 80, 60))
        pen.rect(
            (cx - 0.02 * s, by - 0.95 * s, cx + 0.09 * s, by - 0.9 * s), (120, 240, 255), 0.02 * s
        )
        pen.rect(
            (cx - 0.07 * s, shoulder[1] + 0.04 * s, cx + 0.07 * s, shoulder[1] + 0.12 * s),
            shade(c, 0.7),
            0.01 * s,
        )
    else:
        pen.limb([shoulder, hip], 0.17 * s, c)
        pen.ellipse((cx - 0.085 * s, by - s, cx + 0.085 * s, by - 0.83 * s), shade(c, 1.25))
    for side, pts in legs + arms:
        if side > 0:
            pen.limb(pts, limb, c)


def _lying(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, robot: bool) -> None:
    """Asleep on the ground, on its back, the chest rising and falling."""
    by = h - 0.02 * s
    cx = w / 2
    breathe = 0.012 * s * math.sin(2 * math.pi * p)
    y = by - 0.07 * s
    pen.limb([(cx - 0.45 * s, y), (cx - 0.05 * s, y)], 0.075 * s, shade(c, 0.72))
    pen.limb([(cx - 0.05 * s, y - breathe), (cx + 0.28 * s, y - breathe)], 0.17 * s, c)
    pen.limb([(cx + 0.2 * s, y), (cx - 0.05 * s, y + 0.02 * s)], 0.07 * s, c)
    if robot:
        pen.rect((cx + 0.33 * s, y - 0.09 * s, cx + 0.5 * s, y + 0.06 * s), c, 0.03 * s)
    else:
        pen.circle(cx + 0.42 * s, y - 0.02 * s, 0.085 * s, shade(c, 1.25))


# ----------------------------------------------------------------------------- costumes

STEEL = (196, 200, 210)
PLUME = (206, 38, 44)
HERALD = (44, 84, 176)
GOLD = (236, 196, 72)
WOOD = (120, 84, 52)
BEARD = (236, 234, 228)
SPELL = (170, 236, 255)


def _legs(
    s: float, hip: tuple[float, float], p: float, action: str
) -> list[tuple[int, list[tuple[float, float]]]]:
    """Both legs of a standing figure (as ``_figure`` swings them): (side, hip-knee-foot)."""
    swing, knee, _ = _gait(action)
    cyc = 2 * math.pi * p
    legs = []
    for side in (1, -1):
        a = side * swing * math.sin(cyc)
        bend = knee * max(0.0, math.sin(cyc + side * math.pi / 2))
        k = joint(hip, 0.24 * s, a)
        legs.append((side, [hip, k, joint(k, 0.24 * s, a - bend)]))
    return legs


def knight(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A knight in armour: a great helm with a visor slit and a red plume, a sword held up
    and forward in the far hand, a kite shield with a cross on the near arm."""
    if action == "sleep":
        _lying(pen, s, w, h, p, c, robot=False)
        return
    cx, by = w / 2, h - 0.02 * s
    hip, shoulder = (cx, by - 0.47 * s), (cx, by - 0.77 * s)
    legs = _legs(s, hip, p, action)
    _, _, arm = _gait(action)
    sway = arm * 0.25 * math.sin(2 * math.pi * p)
    back, limb = shade(c, 0.72), 0.08 * s
    # the far arm holds the sword out and up, ahead of the shield
    elbow = joint(shoulder, 0.15 * s, 75 + sway)
    hand = joint(elbow, 0.14 * s, 120 + sway)
    lean = math.radians(40 + sway)
    tip = (hand[0] + 0.5 * s * math.sin(lean), hand[1] - 0.5 * s * math.cos(lean))
    across = (0.03 * s * math.cos(lean), 0.03 * s * math.sin(lean))
    pen.polygon(
        [
            (hand[0] - across[0], hand[1] - across[1]),
            (tip[0] - across[0] * 0.3, tip[1] - across[1] * 0.3),
            (tip[0] + across[0] * 0.3, tip[1] + across[1] * 0.3),
            (hand[0] + across[0], hand[1] + across[1]),
        ],
        STEEL,
    )
    guard = (hand[0] + 0.05 * s * math.sin(lean), hand[1] - 0.05 * s * math.cos(lean))
    pen.limb(
        [
            (guard[0] - 2.5 * across[0], guard[1] - 2.5 * across[1]),
            (guard[0] + 2.5 * across[0], guard[1] + 2.5 * across[1]),
        ],
        0.03 * s,
        GOLD,
    )
    pen.limb([shoulder, elbow, hand], limb, back)
    for side, pts in legs:
        if side < 0:
            pen.limb(pts, limb, back)
    pen.limb([shoulder, hip], 0.19 * s, c)  # breastplate
    pen.rect(
        (cx - 0.11 * s, hip[1] - 0.04 * s, cx + 0.11 * s, hip[1] + 0.07 * s),
        shade(c, 0.85),
        0.03 * s,
    )
    # helm: a flat-topped bucket with a visor slit, a plume rising and streaming back
    top = by - 1.03 * s
    pen.polygon(
        [
            (cx + 0.05 * s, top + 0.02 * s),
            (cx + 0.02 * s, top - 0.12 * s),
            (cx - 0.1 * s, top - 0.2 * s),
            (cx - 0.26 * s, top - 0.16 * s),
            (cx - 0.32 * s, top - 0.04 * s),
            (cx - 0.2 * s, top - 0.08 * s),
            (cx - 0.08 * s, top + 0.02 * s),
        ],
        PLUME,
    )
    pen.rect((cx - 0.1 * s, top, cx + 0.1 * s, by - 0.8 * s), shade(c, 1.1), 0.03 * s)
    pen.rect((cx + 0.01 * s, top + 0.08 * s, cx + 0.1 * s, top + 0.105 * s), (24, 22, 26))
    for side, pts in legs:
        if side > 0:
            pen.limb(pts, limb, c)
    pen.layer()
    # the near arm holds the shield over the body
    sx, sy = cx + 0.08 * s, shoulder[1] + 0.12 * s + 0.01 * s * math.sin(2 * math.pi * p)
    shield = [
        (sx - 0.15 * s, sy - 0.14 * s),
        (sx + 0.15 * s, sy - 0.14 * s),
        (sx + 0.14 * s, sy + 0.06 * s),
        (sx, sy + 0.26 * s),
        (sx - 0.14 * s, sy + 0.06 * s),
    ]
    pen.polygon(shield, HERALD)
    pen.rect((sx - 0.025 * s, sy - 0.11 * s, sx + 0.025 * s, sy + 0.18 * s), BEARD)
    pen.rect((sx - 0.12 * s, sy - 0.05 * s, sx + 0.12 * s, sy), BEARD)


def wizard(pen: Pen, s: float, w: float, h: float, p: float, c: RGB, action: str) -> None:
    """A wizard: a tall pointed hat with a wide brim, a long robe to the ground, a white beard
    and a staff whose tip glows, pulsing as the spell is cast."""
    if action == "sleep":
        _lying(pen, s, w, h, p, c, robot=False)
        return
    cx, by = w / 2, h - 0.02 * s
    shoulder = (cx, by - 0.77 * s)
    _, _, arm = _gait(action)
    cyc = 2 * math.pi * p
    pulse = 0.5 + 0.5 * math.sin(cyc)
    step = 0.05 * s * math.sin(cyc) if action in ("walk", "run", "dance", "climb") else 0.0
    # the staff, held upright in front, its tip glowing
    hand = (cx + 0.24 * s, by - 0.62 * s + 0.02 * s * math.sin(cyc) * (arm > 10))
    top = (hand[0] + 0.02 * s, by - 1.12 * s)
    glow = (0.12 + 0.04 * pulse) * s
    pen.halo(
        top[0],
        top[1],
        [(glow * 1.7, round(60 + 50 * pulse)), (glow, round(130 + 80 * pulse))],
        SPELL,
    )
    for k in range(3):  # sparks round the tip, turning
        a = cyc + k * 2 * math.pi / 3
        r = 0.11 * s
        pen.circle(
            top[0] + r * math.cos(a), top[1] + 0.8 * r * math.sin(a), 0.018 * s, (255, 255, 255)
        )
    pen.limb([(hand[0] - 0.03 * s, by - 0.02 * s), top], 0.035 * s, WOOD)
    pen.circle(top[0], top[1], (0.05 + 0.015 * pulse) * s, (236, 252, 255))
    # far arm, behind the robe
    pen.limb(
        [shoulder, joint(shoulder, 0.16 * s, -20), joint(shoulder, 0.3 * s, -30)],
        0.08 * s,
        shade(c, 0.72),
    )
    # feet under the hem, then the robe
    for side in (1, -1):
        x = cx + side * step + 0.05 * s
        pen.ellipse((x - 0.07 * s, by - 0.06 * s, x + 0.07 * s, by + 0.01 * s), (60, 44, 36))
    hem = by - 0.03 * s
    pen.polygon(
        [
            (cx - 0.08 * s, shoulder[1] - 0.03 * s),
            (cx + 0.08 * s, shoulder[1] - 0.03 * s),
            (cx + 0.2 * s + step, hem),
            (cx - 0.24 * s + step * 0.5, hem),
        ],
        c,
    )
    pen.rect((cx - 0.09 * s, by - 0.52 * s, cx + 0.11 * s, by - 0.48 * s), GOLD, 0.01 * s)  # belt
    # head, beard, hat
    head_y = by - 0.9 * s
    pen.circle(cx, head_y, 0.085 * s, (236, 200, 170))
    pen.polygon(
        [(cx - 0.02 * s, head_y), (cx + 0.1 * s, head_y), (cx + 0.05 * s, head_y + 0.24 * s)],
        BEARD,
    )
    brim = head_y - 0.06 * s
    pen.ellipse((cx - 0.2 * s, brim - 0.035 * s, cx + 0.2 * s, brim + 0.035 * s), shade(c, 0.85))
    pen.polygon(
        [
            (cx - 0.12 * s, brim),
            (cx - 0.02 * s, brim - 0.28 * s),
            (cx - 0.14 * s, brim - 0.44 * s),
            (cx + 0.01 * s, brim - 0.3 * s),
            (cx + 0.12 * s, brim),
        ],
        shade(c, 0.85),
    )
    pen.circle(cx + 0.02 * s, brim - 0.12 * s, 0.02 * s, GOLD)
    # near arm, reaching to the staff
    pen.limb([(cx + 0.02 * s, shoulder[1] + 0.02 * s), hand], 0.085 * s, shade(c, 1.1))
    pen.circle(hand[0], hand[1], 0.04 * s, (236, 200, 170))
