"""The subject: its family's drawing (``figures``), in animation poses, cached.

Figures are drawn once per pose at twice the size and halved (cheap anti-aliasing), then
cached; the renderer only pastes them.  Every drawing's anchor is its bottom centre (feet,
wheels, hull), so motion code places the subject by where it stands.  A pattern (calico,
stripes, a glow...) is painted on each pose as it is drawn; a count draws the family several
times in one pose, a little apart and out of step.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from PIL import Image, ImageDraw, ImageOps

from reelway.engines.animatic import figures
from reelway.engines.animatic.figures import animals, objects, patterns, people
from reelway.engines.animatic.figures.pen import RGB, Pen, Point, shade

__all__ = [
    "POSES", "RGB", "SEATS", "SIZE", "Point", "Rider", "Seat", "SubjectSprites", "draw_subject",
    "mount_action", "shade",
]  # fmt: skip

POSES = 16
"""Animation poses per cycle; enough for smooth motion at 24-30 fps."""
MAX_COUNT = 6
MIN_SIZE = 14.0
"""Pixels: a figure drawn smaller (a tiny mouse on a pixel-art canvas) is a speck."""

SIZE: dict[str, float] = {name: fam.size for name, fam in figures.FAMILIES.items()} | {
    old: figures.FAMILIES[new].size for old, new in figures.ALIASES.items()
}
"""Figure size as a fraction of the frame height (medium shot), per family (and per older
figure class, for a character's silhouette)."""


def draw_subject(
    kind: str,
    size: float,
    colour: RGB,
    outline: RGB,
    phase: float,
    action: str,
    *,
    pattern: str | None = None,
    label: str | None = None,
    rider: Rider | None = None,
) -> Image.Image:
    """One pose of the subject as RGBA, facing right, anchored at its bottom centre;
    ``rider``: someone seated on its back (the subject is then their mount)."""
    fam = figures.spec(kind)
    seat = SEATS.get(figures.family(kind)) if rider is not None else None
    ss = 2  # draw at twice the size, then halve: cheap anti-aliasing
    s = size * ss
    bw, bh = fam.box
    if seat is not None:  # room above the mount for the rider's head
        bh = max(bh, seat.up + RIDER_HEIGHT * seat.scale)
    w, h = max(4, int(bw * s) + 8), max(4, int(bh * s) + 8)
    img = Image.new("RGBA", (w, h), (*outline, 0))
    pen = Pen(ImageDraw.Draw(img), outline, max(1.0, 0.018 * s))
    if fam.drawer is objects.sign:
        objects.sign(pen, s, w, h - 4, phase, colour, action, label or "?")
    else:
        fam.drawer(pen, s, w, h - 4, phase, colour, action)
    pen.finish()
    img = patterns.apply(img, pattern, colour, s)
    if rider is not None and seat is not None:
        img.alpha_composite(_rider_layer(rider, seat, s, (w, h), outline, phase, action))
    # Halve RGB and alpha apart (no premultiply round trip); the transparent background
    # carries the outline colour, which is what every edge blends towards.
    rgb = img.convert("RGB").reduce(ss)
    rgb.putalpha(img.getchannel("A").reduce(ss))
    return _trim(rgb)


def _trim(img: Image.Image) -> Image.Image:
    """``img`` without its empty margins: equal amounts off the left and right and all of
    the top, so the bottom centre (the anchor) stays where it was and the renderer pastes no
    more than the figure (a box fits every pose; any one pose fills less of it)."""
    box = img.getchannel("A").getbbox()
    if box is None:
        return img
    left, top, right, _ = box
    side = max(0, min(left, img.width - right) - 1)
    return img.crop((side, max(0, top - 1), img.width - side, img.height))


def _group(poses: list[Image.Image], mode: str) -> Image.Image:
    """Several figures in one image: a staggered row on the ground, a loose V in the air or
    water; the first is in front.  Anchored at the bottom centre like one figure."""
    w, h = max(p.width for p in poses), max(p.height for p in poses)
    n = len(poses)
    step = round(w * (0.8 if mode in ("ground", "fixed", "surface") else 0.6))
    rise = [0] * n
    for k in range(1, n):
        if mode in ("air", "hover", "water", "sky"):
            rise[k] = round(h * 0.35 * ((k + 1) // 2))
        else:
            rise[k] = round(h * 0.06 * (k % 2))
    height = h + max(rise)
    out = Image.new("RGBA", (w + step * (n - 1), height), (0, 0, 0, 0))
    for k in sorted(range(n), key=lambda k: (-rise[k], -k)):  # back rows first
        slot = (n - 1) // 2 + (k + 1) // 2 * (1 if k % 2 else -1)
        centre = w / 2 + step * slot
        pose = poses[k]
        out.alpha_composite(pose, (round(centre - pose.width / 2), height - rise[k] - pose.height))
    return out


class SubjectSprites:
    """Cached poses (and rotations) of one subject: ``kind`` is its family (or an older
    figure class), ``pattern``/``count``/``label`` its prompt's modifiers."""

    def __init__(
        self,
        kind: str,
        size: float,
        colour: RGB,
        outline: RGB,
        action: str,
        *,
        pattern: str | None = None,
        count: int = 1,
        label: str | None = None,
        rider: Rider | None = None,
    ) -> None:
        self.kind, self.colour, self.outline, self.action = kind, colour, outline, action
        self.rider = rider
        self.count = max(1, min(MAX_COUNT, count))
        size = size if self.count == 1 else size * 1.2 / self.count**0.5
        self.size = max(MIN_SIZE, size)
        self.pattern, self.label = pattern, label
        self.mode = figures.spec(kind).mode
        self._poses: dict[int, Image.Image] = {}
        self._turned: dict[tuple[int, int, bool], Image.Image] = {}

    def _pose(self, pose: int) -> Image.Image:
        def one(p: int) -> Image.Image:
            return draw_subject(
                self.kind, self.size, self.colour, self.outline, (p % POSES) / POSES,
                self.action, pattern=self.pattern, label=self.label, rider=self.rider,
            )  # fmt: skip

        if self.count == 1:
            return one(pose)
        offsets = [pose + (k * 5) % POSES for k in range(self.count)]  # out of step
        return _group([one(p) for p in offsets], self.mode)

    def get(self, phase: float, angle: float, flip: bool) -> Image.Image:
        """The pose nearest ``phase``, turned by ``angle`` degrees, mirrored when ``flip``."""
        pose = int(phase * POSES) % POSES
        if pose not in self._poses:
            self._poses[pose] = self._pose(pose)
        step = round(angle / 3) % 120
        key = (pose, step, flip)
        img = self._turned.get(key)
        if img is None:
            img = self._poses[pose]
            if flip and self.label is None:  # a sign's words never read backwards
                img = ImageOps.mirror(img)
            if step:
                img = img.rotate(step * 3, resample=Image.Resampling.BICUBIC, expand=True)
            if len(self._turned) > 96:
                self._turned.pop(next(iter(self._turned)))
            self._turned[key] = img
        return img


# ----------------------------------------------------------------------------- riders


@dataclass(frozen=True)
class Rider:
    """Someone seated on the subject's back ("a cowboy riding a horse"): the rider's family
    (a person, a robot, a monster), colour and markings; the subject is their mount."""

    kind: str
    colour: RGB
    pattern: str | None = None


@dataclass(frozen=True)
class Seat:
    """Where a rider sits on a mount, in units of the mount's size from its anchor (the
    bottom centre): ``x`` forward, ``up`` above the bottom of its box."""

    x: float
    up: float
    scale: float
    """The rider's size against the mount's: smaller than a person drawn alone."""
    foot: Point | None = None
    """Where the near foot rests (x, up, mount units): a footrest, a bicycle's crank (when
    ``pedals``); None: it hangs down the flank."""
    pedals: bool = False
    grip: Point | None = None
    """Where the hands hold (handlebars); None: reins, out in front."""


RIDER_HEIGHT = 0.62
"""A seated rider from the seat to the top of the head, in units of the rider's size."""


def _on_back(q: animals.Quad, forward: float, scale: float, hump: float = 0.0) -> Seat:
    """A seat on a four-legged body (``animals.quadruped``'s geometry): ``forward`` of the
    body's middle as a share of its length, ``hump`` higher (a camel's)."""
    middle = -0.08 - q.neck[0] / 2
    return Seat(middle + forward * q.length, 0.02 + q.leg + q.depth / 2 + hump - 0.03, scale)


SEATS: dict[str, Seat] = {
    "horse": _on_back(animals.HORSE, 0.0, 0.9),
    "camel": _on_back(animals.CAMEL, -0.05, 0.85, hump=0.22),
    "elephant": _on_back(animals.ELEPHANT, 0.1, 0.6),
    "deer": _on_back(animals.DEER, 0.08, 0.8),
    "cow": _on_back(animals.COW, 0.08, 0.8),
    "big_cat": _on_back(animals.BIGCAT, 0.06, 0.75),
    "lion": _on_back(animals.LION, 0.02, 0.75),
    "bear": _on_back(animals.BEAR, -0.08, 0.72),
    "unicorn": Seat(-0.12, 0.85, 0.85),
    "dragon": Seat(0.05, 0.61, 0.62),
    "dinosaur": Seat(-0.1, 0.79, 0.62),
    "bicycle": Seat(-0.15, 0.77, 1.0, foot=(-0.02, 0.32), pedals=True, grip=(0.2, 0.84)),
    "motorcycle": Seat(-0.2, 0.63, 0.95, foot=(-0.02, 0.3), grip=(0.22, 0.86)),
}
"""Every family ``prompting.MOUNTS`` names, and where its rider sits."""

_VEHICLES = frozenset({"bicycle", "motorcycle"})


def mount_action(kind: str, action: str) -> str:
    """What a mount's drawing does while it is ridden: a ridden animal gallops ("riding" is
    the prompt's "drive"), a bicycle's or motorbike's wheels turn as they do driven."""
    if action == "drive" and figures.family(kind) not in _VEHICLES:
        return "run"
    return action


def _rider_layer(
    rider: Rider, seat: Seat, s: float, box: tuple[int, int], outline: RGB, p: float, action: str
) -> Image.Image:
    """The rider alone, on a clear layer the mount's size (``s``: the mount's size in the
    layer's pixels), seated where ``seat`` says; its own pattern, not the mount's."""
    w, h = box
    layer = Image.new("RGBA", box, (*outline, 0))
    pen = Pen(ImageDraw.Draw(layer), outline, max(1.0, 0.018 * s))
    r = seat.scale * s
    ground = h - 4
    moving = action in ("walk", "run", "drive", "jump", "fly")
    bounce = 0.03 * r * abs(math.sin(2 * math.pi * p)) if moving else 0.0
    hip = (w / 2 + seat.x * s, ground - seat.up * s - bounce)
    foot = (hip[0] + 0.1 * r, hip[1] + 0.42 * r)
    if seat.foot is not None:
        foot = (w / 2 + seat.foot[0] * s, ground - seat.foot[1] * s)
    if seat.pedals:  # the near pedal, round the crank as the drawing turns it
        a = 2 * math.pi * p
        foot = (foot[0] + 0.09 * s * math.cos(a), foot[1] + 0.09 * s * math.sin(a))
    hands = (hip[0] + 0.3 * r, hip[1] - 0.14 * r)
    if seat.grip is not None:
        hands = (w / 2 + seat.grip[0] * s, ground - seat.grip[1] * s)
    _seated(pen, r, hip, foot, hands, rider)
    pen.finish()
    return patterns.apply(layer, rider.pattern, rider.colour, r)


def _seated(pen: Pen, r: float, hip: Point, foot: Point, hands: Point, rider: Rider) -> None:
    """A person (or robot) sitting, in the style of ``figures.people``: the far arm, the
    body and head, then the near leg and arm; the far leg is behind the mount."""
    c = rider.colour
    back, limb = shade(c, 0.72), 0.075 * r
    shoulder = (hip[0] + 0.06 * r, hip[1] - 0.3 * r)
    elbow = _joint(shoulder, hands, 0.16 * r, 0.16 * r, -1)
    pen.limb([shoulder, elbow, _reach(elbow, hands, 0.16 * r)], limb, back)
    if rider.kind == "robot":
        pen.rect((hip[0] - 0.1 * r, shoulder[1] - 0.03 * r, hip[0] + 0.14 * r, hip[1]), c, 0.02 * r)
        head = (shoulder[0] - 0.1 * r, shoulder[1] - 0.23 * r, shoulder[0] + 0.1 * r, shoulder[1])
        pen.rect(head, c, 0.03 * r)
        pen.rect(
            (head[0] + 0.08 * r, head[1] + 0.05 * r, head[2] + 0.0 * r, head[1] + 0.1 * r),
            (120, 240, 255),
            0.02 * r,
        )
    else:
        pen.limb([shoulder, hip], 0.17 * r, c)
        head_x, head_y = shoulder[0] + 0.01 * r, shoulder[1] - 0.145 * r
        pen.ellipse(
            (head_x - 0.085 * r, head_y - 0.085 * r, head_x + 0.085 * r, head_y + 0.085 * r),
            shade(c, 1.25),
        )
        _headgear(pen, r, (head_x, head_y), rider)
    knee = _joint(hip, foot, 0.24 * r, 0.24 * r, 1)
    pen.limb([hip, knee, _reach(knee, foot, 0.24 * r)], limb, c)
    pen.limb([shoulder, elbow, _reach(elbow, hands, 0.16 * r)], limb, c)


def _headgear(pen: Pen, r: float, head: Point, rider: Rider) -> None:
    """What makes a seated knight or wizard theirs: a plumed helm, a pointed hat."""
    x, y = head
    if rider.kind == "knight":
        pen.polygon(
            [
                (x + 0.03 * r, y - 0.1 * r),
                (x - 0.08 * r, y - 0.26 * r),
                (x - 0.28 * r, y - 0.18 * r),
                (x - 0.1 * r, y - 0.08 * r),
            ],
            people.PLUME,
        )
        pen.rect((x - 0.1 * r, y - 0.12 * r, x + 0.1 * r, y + 0.1 * r), shade(rider.colour, 1.1))
        pen.rect((x + 0.01 * r, y - 0.04 * r, x + 0.1 * r, y - 0.015 * r), (24, 22, 26))
    elif rider.kind == "wizard":
        brim = y - 0.06 * r
        hat = shade(rider.colour, 0.85)
        pen.ellipse((x - 0.2 * r, brim - 0.035 * r, x + 0.2 * r, brim + 0.035 * r), hat)
        pen.polygon(
            [(x - 0.12 * r, brim), (x - 0.12 * r, brim - 0.4 * r), (x + 0.12 * r, brim)], hat
        )


def _reach(origin: Point, target: Point, length: float) -> Point:
    """``target``, or the point ``length`` towards it when it is further."""
    dx, dy = target[0] - origin[0], target[1] - origin[1]
    d = math.hypot(dx, dy)
    if d <= length:
        return target
    return (origin[0] + dx * length / d, origin[1] + dy * length / d)


def _joint(a: Point, b: Point, upper: float, lower: float, side: int) -> Point:
    """The knee or elbow of a two-part limb from ``a`` towards ``b``: bent forward (``side``
    +1, a knee) or down (-1, an elbow reaching forward)."""
    dx, dy = b[0] - a[0], b[1] - a[1]
    d = max(1e-6, math.hypot(dx, dy))
    reach = min(d, upper + lower - 1e-6)
    along = (upper * upper - lower * lower + reach * reach) / (2 * reach)
    out = math.sqrt(max(0.0, upper * upper - along * along))
    ux, uy = dx / d, dy / d
    px, py = (uy, -ux) if side > 0 else (-uy, ux)
    return (a[0] + ux * along + px * out, a[1] + uy * along + py * out)
