"""The static parts of a shot, built once: the back plate and the parallax layers.

Per frame, a layer only pastes what it already drew at an offset (``depth`` times the camera
move), so the cost of a frame is a handful of C-level pastes whatever the scene contains.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from reelway.engines.animatic import canvas as canvas_mod
from reelway.engines.animatic import motion, scenery, sprites
from reelway.engines.animatic import scene as scene_mod

BACK_DEPTH = 0.2
SEA_BAND = 0.34
"""On a beach, the share of the ground (below the horizon) that is sea."""
FAR_DEPTH, MID_DEPTH, GROUND_DEPTH, NEAR_DEPTH = 0.25, 0.5, 0.9, 1.2
SPACING = {"far": 0.16, "mid": 0.2, "ground": 0.11, "near": 0.45}
"""Distance between prop slots per layer, in canvas widths (seed layout, not content)."""


def gradient(
    size: tuple[int, int],
    top: sprites.RGB,
    bottom: sprites.RGB,
    span: tuple[float, float] | None = None,
) -> Image.Image:
    """A vertical two-colour gradient, built from one column (cheap at any width).

    ``span``: the rows (of this image, may lie outside it) where the colours are ``top`` and
    ``bottom``, clamped beyond; so a taller image (a bigger margin) has the same colours on
    the same world rows.  By default the first and last rows.
    """
    w, h = size
    if span is None:
        t = np.linspace(0.0, 1.0, max(1, h), dtype=np.float32)[:, None]
    else:
        rows = np.arange(max(1, h), dtype=np.float32)[:, None]
        t = np.clip((rows - span[0]) / max(1e-6, span[1] - span[0]), 0.0, 1.0)
    col = np.asarray(top, np.float32) * (1 - t) + np.asarray(bottom, np.float32) * t
    column = Image.fromarray(np.round(col).astype(np.uint8)[:, None, :].repeat(1, axis=1))
    return column.resize((w, h), Image.Resampling.NEAREST)


def back_plate(
    scene: scene_mod.Scene, w: int, h: int, horizon: float, margin: tuple[int, int]
) -> Image.Image:
    """Sky and ground gradients, sun or moon, stars: everything that is (almost) infinitely far."""
    mx, my = margin
    pw, ph = w + 2 * mx, h + 2 * my
    p = scene.palette
    hy = int(horizon) + my
    plate = Image.new("RGB", (pw, ph))
    # Colours are set on world rows (the frame's top, the horizon, the frame's bottom), not
    # the plate's edges: a plate with another margin (an extension's) looks the same.
    plate.paste(gradient((pw, max(1, hy)), p.sky_top, p.sky_horizon, (my, hy - 1)), (0, 0))
    if hy < ph:
        ground = gradient((pw, ph - hy), p.ground_far, p.ground_near, (0, h - horizon - 1))
        plate.paste(ground, (0, hy))
    d = ImageDraw.Draw(plate)
    c = scene.composition
    r = np.random.default_rng(c.seed & 0xFFFFFFFF)
    starry = scene.setting == "space" or scene.lighting in ("night", "neon")
    if starry and scene.setting not in ("interior", "underwater"):
        # One frame-wide tile of stars, repeated: the sky is the same whatever the margin
        # (a source and its extension have different camera extents).
        n = int(w * 2 * h / 900)
        xs, ys = r.integers(0, w, n), r.integers(-h, h, n)
        bright = r.integers(120, 255, n)
        for tile in range(-(mx // w) - 1, (mx // w) + 2):
            for x, y, b in zip(xs.tolist(), ys.tolist(), bright.tolist(), strict=True):
                px, py = x + tile * w + mx, y + my
                if 0 <= px < pw and 0 <= py < min(hy, ph):
                    d.point((px, py), fill=(b, b, min(255, b + 20)))
    if scene.setting == "space":
        for k in range(3):  # nebula glow: a few soft blobs
            cx, cy = mx + r.uniform(0, w), my + r.uniform(0, h)
            rad = r.uniform(0.2, 0.4) * h
            glow = Image.new("L", (pw, ph), 0)
            ImageDraw.Draw(glow).ellipse(
                (cx - rad, cy - rad * 0.6, cx + rad, cy + rad * 0.6), fill=50
            )
            glow = glow.reduce(8).resize((pw, ph), Image.Resampling.BILINEAR)
            plate.paste(sprites.shade(p.accent, 0.6) if k % 2 else (120, 40, 140), (0, 0), glow)
    if scene.setting == "interior":  # back wall with a window onto the lit sky
        ww, wh = int(w * 0.26), int(h * 0.3)
        wx, wy = mx + int(w * (0.15 + 0.5 * c.sky[0])) - ww // 2, my + int(h * 0.12)
        d.rectangle((wx - 6, wy - 6, wx + ww + 6, wy + wh + 6), fill=sprites.shade(p.sky_top, 0.6))
        night = ((10, 14, 40), (40, 50, 96))
        window = {"night": night, "candle": night, "golden": ((90, 90, 160), (250, 170, 96))}
        top, bottom = window.get(scene.lighting, ((110, 170, 230), (200, 226, 246)))
        plate.paste(gradient((ww, wh), top, bottom), (wx, wy))
        d.line(
            (wx + ww // 2, wy, wx + ww // 2, wy + wh), fill=sprites.shade(p.sky_top, 0.6), width=4
        )
        d.line(
            (wx, wy + wh // 2, wx + ww, wy + wh // 2), fill=sprites.shade(p.sky_top, 0.6), width=4
        )
        d.rectangle((0, hy - max(2, h // 60), pw, hy), fill=sprites.shade(p.ground_far, 0.7))
    elif scene.setting not in ("underwater",) and scene.lighting != "overcast":
        sx = mx + int(w * c.sky[0])
        sy = int(hy - (hy - my) * c.sky[1]) if scene.lighting != "golden" else hy - int(h * 0.08)
        rad = h * (0.09 if scene.lighting == "golden" else 0.05)
        glow = Image.new("L", (pw, ph), 0)
        ImageDraw.Draw(glow).ellipse(
            (sx - rad * 3, sy - rad * 3, sx + rad * 3, sy + rad * 3), fill=90
        )
        glow = glow.reduce(8).resize((pw, ph), Image.Resampling.BILINEAR)  # a soft halo
        plate.paste(p.light, (0, 0), glow)
        d.ellipse((sx - rad, sy - rad, sx + rad, sy + rad), fill=p.light)
        if scene.style == "synthwave":
            for k in range(5):
                y = sy + rad * (0.1 + k * 0.18)
                d.rectangle((sx - rad, y, sx + rad, y + rad * 0.04 * (k + 1)), fill=p.sky_horizon)
    if scene.setting == "beach":  # the sea between the horizon and the shore, with foam
        shore = hy + int((h - horizon) * SEA_BAND)
        plate.paste(gradient((pw, max(1, shore - hy)), sprites.shade(p.mid, 0.85), p.mid), (0, hy))
        d.rectangle((0, shore - max(2, h // 90), pw, shore), fill=p.accent)
    if scene.setting == "underwater":  # light shafts from the surface
        for k in range(6):
            x0 = mx + w * (k + c.sky[0]) / 6
            d.polygon(
                [(x0, 0), (x0 + w * 0.03, 0), (x0 + w * 0.12, hy), (x0 + w * 0.06, hy)],
                fill=sprites.shade(p.sky_top, 1.08),
            )
    return plate


@dataclass(frozen=True)
class _Prop:
    image: Image.Image
    x: float
    """Centre, in world pixels at the layer's depth."""
    y: float
    """Bottom, in canvas pixels."""
    phase: float


class Layer:
    """A parallax layer: a wide profile band and/or props, pasted at ``depth`` x the camera."""

    def __init__(
        self,
        depth: float,
        band: Image.Image | None,
        band_x: float,
        band_y: float,
        props: list[_Prop],
        bob: float = 0.0,
        bob_period: float = 2.4,
    ) -> None:
        self.depth, self.band, self.band_x, self.band_y = depth, band, band_x, band_y
        self.props, self.bob, self.bob_period = props, bob, bob_period

    def redraw(self, treat: Callable[[Image.Image], Image.Image]) -> None:
        """Replace every drawing by ``treat``'s version of it (a style's, once per shot)."""
        if self.band is not None:
            self.band = treat(self.band)
        self.props = [dataclasses.replace(p, image=treat(p.image)) for p in self.props]

    def draw(self, canvas: canvas_mod.Canvas, cam: motion.CameraState, t: float) -> None:
        dx = -cam.x * (self.depth - cam.pivot)
        dy = cam.y * self.depth
        if self.band is not None:
            canvas.over(self.band, round(self.band_x + dx), round(self.band_y + dy))
        width = canvas.width
        for prop in self.props:
            img = prop.image
            img_w, img_h = img.size
            x = round(prop.x + dx - img_w / 2)
            if x + img_w < 0 or x > width:
                continue
            y = prop.y + dy - img_h
            if self.bob:
                y += self.bob * math.sin(2 * math.pi * t / self.bob_period + prop.phase)
            canvas.over(img, x, round(y))


def _prop_y(
    setting: str,
    kind: str,
    name: str,
    frac: float,
    img_h: int,
    base_y: float,
    horizon: float,
    h: int,
) -> float:
    """Where a prop stands: on its layer's line, or scattered in depth for marks and waves."""
    below = h - horizon
    if kind == "crests":
        return horizon + below * (SEA_BAND if setting == "beach" else 0.5) * (0.08 + 0.92 * frac)
    if kind == "crest_big":
        return horizon + below * (0.5 + 0.5 * frac)
    if kind == "dash":  # road markings: two lanes
        return horizon + below * (0.35 if frac < 0.5 else 0.75)
    if name == "ground":
        return horizon + below * (0.15 + 0.85 * frac)
    if kind in ("cloud", "cloud_near", "asteroid", "debris"):
        return h * (0.1 + 0.55 * frac) + img_h
    return base_y


def build_layers(
    scene: scene_mod.Scene,
    w: int,
    h: int,
    horizon: float,
    ground: float,
    extents: tuple[float, float, float, float],
    pivot: float,
) -> list[Layer]:
    """Far, mid and ground-mark layers (behind the subject), then the near layer (in front)."""
    far_kind, mid_kind, near_kind, mark_kind = scenery.SETTINGS[scene.setting]
    if scene.style == "synthwave" and scene.setting != "interior":
        far_kind = "peaks"
    p = scene.palette
    slots = scene.composition.slots
    subject_x = scene.composition.subject_x * w
    layers: list[Layer] = []
    plan: list[tuple[str, str, float, float]] = [
        ("far", far_kind, FAR_DEPTH, horizon),
        ("mid", mid_kind, MID_DEPTH, horizon + (ground - horizon) * 0.28),
    ]
    if mark_kind:
        plan.append(("ground", mark_kind, GROUND_DEPTH, h + 2.0))
    plan.append(("near", near_kind, NEAR_DEPTH, horizon + (h - horizon) * 0.97))
    if scene.setting == "sky":
        plan[0] = ("far", "cloud", FAR_DEPTH, h * 0.45)
    if scene.setting == "space":
        plan[0] = ("far", "planet", FAR_DEPTH, h * 0.5)
    colours = {
        "far": p.far,
        "mid": p.mid,
        "ground": sprites.shade(p.ground_near, 0.85),
        "near": p.near,
    }
    for index, (name, kind, depth, base_y) in enumerate(plan):
        lo = min(extents[0] * (depth - pivot), extents[1] * (depth - pivot))
        hi = max(extents[0] * (depth - pivot), extents[1] * (depth - pivot))
        x0, x1 = lo - 0.1 * w, hi + 1.1 * w  # world x range any frame can show
        x0 = math.floor(x0)
        layer_slots = slots[min(index, 2)]
        colour = colours[name]
        if kind == "none" or kind in scene.left_out:
            continue  # nothing there, or a negative prompt named it
        if kind in scenery.PROFILES:
            band_h = int(h * (0.32 if kind in ("peaks", "skyline", "buildings") else 0.18))
            if kind == "buildings":
                band_h = int(h * 0.45)
            band = scenery.profile(
                kind, int(x1 - x0), band_h, layer_slots, colour, p.accent, period=w, origin=x0
            )
            layers.append(Layer(depth, band, x0, base_y - band_h + 2, []))
            continue
        if kind == "planet":
            size = int(min(w, h) * 0.42)
            planet = Image.new("RGBA", (size * 2, size * 2), (0, 0, 0, 0))
            d = ImageDraw.Draw(planet)
            d.ellipse((size * 0.2, size * 0.2, size * 1.8, size * 1.8), fill=(*p.far, 255))
            d.ellipse(
                (size * 0.2, size * 0.2, size * 1.4, size * 1.6),
                fill=(*sprites.shade(p.far, 1.15), 255),
            )
            d.arc(
                (0, size * 0.75, size * 2, size * 1.25),
                160,
                380,
                fill=(*p.accent, 255),
                width=max(2, size // 20),
            )
            props = [
                _Prop(
                    planet.reduce(2), w * (0.2 + 0.6 * layer_slots[0][0]), base_y + size * 0.5, 0.0
                )
            ]
            layers.append(Layer(depth, None, 0, 0, props))
            continue
        height_frac, density = scenery.PROP_SIZE[kind]
        spacing = SPACING[name] * w
        props = []
        cache: dict[tuple[int, int], Image.Image] = {}
        for k in range(math.floor(x0 / spacing) - 1, math.ceil(x1 / spacing) + 2):
            sx, ssize, variant = layer_slots[k % scene_mod.LAYER_SLOTS]
            if variant > density:
                continue
            x = (k + 0.15 + 0.7 * sx) * spacing
            if name == "near" and abs(x - subject_x) < 0.14 * w:
                continue  # never open the shot with a lamp post in front of the subject
            # Sizes and variants in a few steps: few distinct drawings, each drawn once.
            key = (round(ssize * 3), round(variant * 2))
            if key not in cache:
                prop_h = min(w, h) * height_frac * (0.7 + 0.2 * key[0])  # portrait-safe
                cache[key] = scenery.prop(kind, prop_h, key[1] / 2, colour, p.accent)
            img = cache[key]
            frac = (k * 0.618 + 0.3 * ssize) % 1.0
            y = _prop_y(scene.setting, kind, name, frac, img.height, base_y, horizon, h)
            props.append(_Prop(img, x, y, k * 1.7))
        if name == "ground" or kind.startswith("crest"):
            props.sort(key=lambda pr: pr.y)
        bob = h * 0.006 if kind in ("crests", "crest_big") else 0.0
        layers.append(Layer(depth, None, 0, 0, props, bob, motion.period(scene, 2.4)))
    return layers


def fog_banks(
    scene: scene_mod.Scene,
    w: int,
    h: int,
    horizon: float,
    extents: tuple[float, float],
    pivot: float,
) -> tuple[Layer, Layer]:
    """Fog: a thick soft bank along the horizon (behind the subject) and thin wisps low in
    front of it, each a band drawn once and moved with its depth like any layer."""
    colour = scene.palette.sky_horizon
    out = []
    for depth, top, height, alpha, salt in (
        (MID_DEPTH, horizon - h * 0.16, h * 0.36, 150, "fog-far"),
        (NEAR_DEPTH, h * 0.7, h * 0.3, 70, "fog-near"),
    ):
        lo = min(extents[0] * (depth - pivot), extents[1] * (depth - pivot))
        hi = max(extents[0] * (depth - pivot), extents[1] * (depth - pivot))
        x0, x1 = math.floor(lo - 0.1 * w), math.ceil(hi + 1.1 * w)
        bw, bh = max(1, x1 - x0), max(8, int(height))
        small = Image.new("L", (max(1, bw // 8), max(1, bh // 8)), 0)
        d = ImageDraw.Draw(small)
        r = np.random.default_rng(scene.composition.seed + len(salt) * 7919)
        sw, sh = small.size
        for _ in range(max(4, sw // 10)):
            cx, cy = r.uniform(0, sw), r.uniform(0.35, 0.65) * sh
            rx, ry = r.uniform(0.06, 0.16) * w / 8, r.uniform(0.15, 0.4) * sh
            d.ellipse((cx - rx, cy - ry, cx + rx, cy + ry), fill=int(r.uniform(0.6, 1.0) * alpha))
        mask = small.resize((bw, bh), Image.Resampling.BILINEAR).filter(
            ImageFilter.GaussianBlur(bh / 10)
        )
        band = Image.new("RGBA", (bw, bh), (*colour, 0))
        band.putalpha(mask)
        out.append(Layer(depth, band, x0, top, []))
    return out[0], out[1]
