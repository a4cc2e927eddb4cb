"""The subject: its family's drawing (``figures``), in animation poses, cached.

Figures are drawn once per pose at twice the size and halved (cheap anti-aliasing), then
cached; the renderer only pastes them.  Every drawing's anchor is its bottom centre (feet,
wheels, hull), so motion code places the subject by where it stands.  A pattern (calico,
stripes, a glow...) is painted on each pose as it is drawn; a count draws the family several
times in one pose, a little apart and out of step.
"""

from __future__ import annotations

from PIL import Image, ImageDraw, ImageOps

from reelway.engines.animatic import figures
from reelway.engines.animatic.figures import objects, patterns
from reelway.engines.animatic.figures.pen import RGB, Pen, Point, shade

__all__ = ["POSES", "RGB", "SIZE", "Point", "SubjectSprites", "draw_subject", "shade"]

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
) -> Image.Image:
    """One pose of the subject as RGBA, facing right, anchored at its bottom centre."""
    fam = figures.spec(kind)
    ss = 2  # draw at twice the size, then halve: cheap anti-aliasing
    s = size * ss
    bw, bh = fam.box
    w, h = max(4, int(bw * s) + 8), max(4, int(bh * s) + 8)
    img = Image.new("RGBA", (w, h), (*outline, 0))
    pen = Pen(ImageDraw.Draw(img), outline, max(1.0, 0.018 * s))
    if fam.drawer is objects.sign:
        objects.sign(pen, s, w, h - 4, phase, colour, action, label or "?")
    else:
        fam.drawer(pen, s, w, h - 4, phase, colour, action)
    pen.finish()
    img = patterns.apply(img, pattern, colour, s)
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
    ) -> None:
        self.kind, self.colour, self.outline, self.action = kind, colour, outline, action
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
                self.action, pattern=self.pattern, label=self.label,
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
