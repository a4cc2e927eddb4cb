"""People (figures without faces) and robots, in walking, running, dancing, jumping,
climbing, sitting and sleeping poses."""

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
    swing, knee, arm = _gait(action)
    cyc = 2 * math.pi * p
    back, limb = shade(c, 0.72), 0.075 * s
    legs = []
    for side in (1, -1):
        a = side * swing * math.sin(cyc)
        bend = knee * max(0.0, math.sin(cyc + side * math.pi / 2))
        k = joint(hip, 0.24 * s, a)
        legs.append((side, [hip, k, joint(k, 0.24 * s, a - bend)]))
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
