"""Storyboard captions and screen-space treatments, applied to the encoded (yuv420p) frame.

Overlays go on after the colour conversion, at full output resolution, so they stay sharp
and fixed on screen while the picture under them zooms, pans or is pixelated.  Working in
yuv420p also makes the screen-space style treatments cheap: black and white is two plane
fills, letterbox bars are row fills, and grain is one integer add.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from reelway.engines.animatic import palette
from reelway.engines.animatic import scene as scene_mod

U8 = NDArray[np.uint8]
U16 = NDArray[np.uint16]
Box = tuple[float, float, float, float]
"""(x0, y0, x1, y1) in output pixels."""
MIN_CAPTION_SIDE = 120
"""Below this, captions would cover the picture; tiny renders get none."""


def planes(frame: VideoFrame) -> tuple[U8, U8, U8]:
    """Writable views of a yuv420p frame's Y, U and V planes (without line padding)."""
    out = []
    for i, plane in enumerate(frame.planes):
        w = frame.width if i == 0 else (frame.width + 1) // 2
        h = frame.height if i == 0 else (frame.height + 1) // 2
        buffer: Any = plane  # PyAV planes expose their memory through the buffer protocol
        arr = np.frombuffer(buffer, np.uint8).reshape(-1, plane.line_size)[:h, :w]
        out.append(arr)
    return out[0], out[1], out[2]


def rgb_to_yuv(rgb: NDArray[np.float32]) -> NDArray[np.float32]:
    """BT.709 limited-range Y'CbCr, the same matrix the encoder's conversion uses."""
    m = np.array(
        [[0.2126, 0.7152, 0.0722], [-0.1146, -0.3854, 0.5], [0.5, -0.4542, -0.0458]], np.float32
    )
    yuv = rgb @ m.T
    yuv[..., 0] = 16 + yuv[..., 0] * (219 / 255)
    yuv[..., 1:] = 128 + yuv[..., 1:] * (224 / 255)
    return yuv


@dataclass
class _Plane:
    """One plane of a sprite in 8.8 fixed point: ``out = (dst * keep + add) >> 8``."""

    x: int
    y: int
    value: U16
    alpha: U16
    keep: U16
    """256 - alpha, precomputed."""
    add: U16
    """value * alpha, precomputed: a full-opacity blend is then two array operations."""

    @classmethod
    def make(cls, x: int, y: int, value: U16, alpha: U16) -> _Plane:
        return cls(x, y, value, alpha, (256 - alpha).astype(np.uint16), value * alpha)

    def blend(self, plane: U8, opacity: float) -> None:
        ph, pw = plane.shape
        sh, sw = self.value.shape
        cx0, cy0 = max(0, -self.x), max(0, -self.y)
        cx1, cy1 = min(sw, pw - self.x), min(sh, ph - self.y)
        if cx1 <= cx0 or cy1 <= cy0:
            return
        region = (slice(cy0, cy1), slice(cx0, cx1))
        dst = plane[self.y + cy0 : self.y + cy1, self.x + cx0 : self.x + cx1]
        if opacity >= 1.0:
            keep, add = self.keep[region], self.add[region]
        else:
            a = (self.alpha[region] * opacity).astype(np.uint16)
            keep, add = 256 - a, self.value[region] * a
        mixed = dst * keep
        mixed += add
        mixed >>= 8
        dst[...] = mixed


@dataclass
class YuvSprite:
    """An RGBA image prepared for blending into yuv420p planes at an even position."""

    x: int
    y: int
    planes: tuple[_Plane, _Plane, _Plane]

    @classmethod
    def from_rgba(cls, image: Image.Image, x: int, y: int) -> YuvSprite:
        x, y = x - x % 2, y - y % 2
        w, h = image.width + image.width % 2, image.height + image.height % 2
        if (w, h) != image.size:
            padded = Image.new("RGBA", (w, h), (0, 0, 0, 0))
            padded.paste(image, (0, 0))
            image = padded
        rgba = np.asarray(image, np.float32)
        a = rgba[..., 3] / 255.0
        yuv = rgb_to_yuv(rgba[..., :3])
        a_c = a.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        weight = np.maximum(a_c, 1e-6)
        alpha_c = np.round(a_c * 256).astype(np.uint16)
        chroma = []
        for ch in (1, 2):  # alpha-weighted 2x2 average, as 4:2:0 stores it
            c = (yuv[..., ch] * a).reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3)) / weight
            chroma.append(_Plane.make(x // 2, y // 2, np.round(c).astype(np.uint16), alpha_c))
        luma = _Plane.make(
            x, y, np.round(yuv[..., 0]).astype(np.uint16), np.round(a * 256).astype(np.uint16)
        )
        return cls(x, y, (luma, chroma[0], chroma[1]))

    @property
    def size(self) -> tuple[int, int]:
        h, w = self.planes[0].value.shape
        return w, h

    def moved(self, x: int, y: int) -> YuvSprite:
        """The same sprite placed at (x, y) (rounded down to even, as 4:2:0 needs)."""
        x, y = x - x % 2, y - y % 2
        luma, cb, cr = (dataclasses.replace(p) for p in self.planes)
        luma.x, luma.y = x, y
        for c in (cb, cr):
            c.x, c.y = x // 2, y // 2
        return YuvSprite(x, y, (luma, cb, cr))

    def blend(self, y: U8, u: U8, v: U8, opacity: float = 1.0) -> None:
        """Alpha-blend into the planes (clipped at the frame edges)."""
        for target, plane in zip((y, u, v), self.planes, strict=True):
            plane.blend(target, opacity)


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    # Pillow >= 10.1 bundles a scalable font: no system fonts, works offline.
    return ImageFont.load_default(size=max(6, size))


def _fit(
    draw: ImageDraw.ImageDraw,
    text: str,
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width: float,
) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip(" ·") + "…"


class Overlay:
    """Lower-third caption, shot label, running timecode and frame marks for one scene."""

    def __init__(
        self,
        scene: scene_mod.Scene,
        fade_in: bool,
        enabled: bool = True,
        avoid: Sequence[Box] = (),
    ) -> None:
        """``avoid``: the subject's box in each frame (output pixels); the caption and the
        shot label take the corners it never enters."""
        self.scene = scene
        self.caption_box: Box | None = None
        self.label_box: Box | None = None
        self.fade_in = fade_in
        w, h = scene.width, scene.height
        self.enabled = enabled and min(w, h) >= MIN_CAPTION_SIDE
        self.sprites: list[YuvSprite] = []
        unit = min(w, h)
        self.margin = int(unit * 0.045)
        self._tc_font = _font(int(unit * 0.032))
        self._tc_cache: dict[str, YuvSprite] = {}
        if not self.enabled:
            return
        p = scene.palette
        # Lower third: subject and action, then setting / camera / style.
        big, small = _font(int(unit * 0.055)), _font(int(unit * 0.033))
        scratch = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
        max_text = w - 2 * self.margin - 2 * int(unit * 0.03)
        title = _fit(scratch, scene.title, big, max_text)
        subtitle = _fit(scratch, scene.subtitle, small, max_text)
        pad = int(unit * 0.028)
        tw = max(scratch.textlength(title, font=big), scratch.textlength(subtitle, font=small))
        bw = int(tw) + 2 * pad + int(unit * 0.012)
        bh = int(unit * 0.055) + int(unit * 0.033) + int(pad * 2.6)
        box = Image.new("RGBA", (bw, bh), (0, 0, 0, 0))
        d = ImageDraw.Draw(box)
        d.rounded_rectangle((0, 0, bw - 1, bh - 1), radius=max(2, pad // 2), fill=(12, 12, 16, 168))
        d.rectangle((0, 0, max(2, int(unit * 0.008)), bh - 1), fill=(*p.caption_accent, 255))
        tx = pad + int(unit * 0.012)
        d.text((tx, pad * 0.7), title, font=big, fill=(*p.caption, 255))
        d.text(
            (tx, pad * 1.2 + unit * 0.055),
            subtitle,
            font=small,
            fill=(*p.caption_accent, 255),
            stroke_width=max(0, unit // 700),
            stroke_fill=(*p.caption_accent, 255),
        )
        caption = YuvSprite.from_rgba(box, self.margin, h - self.margin - bh)
        # Shot label, top left.
        label = self._pill(f"REELWAY ANIMATIC · SEED {scene.seed}", 0, 0, record=True)
        caption, label = self._place(caption, label, avoid)
        self.sprites += [caption, label]
        # Frame marks in the corners: the storyboard's safe-area brackets.
        arm, thick = int(unit * 0.05), max(2, unit // 360)
        for cx, cy in ((0, 0), (1, 0), (0, 1), (1, 1)):
            mark = Image.new("RGBA", (arm, arm), (0, 0, 0, 0))
            md = ImageDraw.Draw(mark)
            xe, ye = (arm - 1) * cx, (arm - 1) * cy
            md.line((xe, 0, xe, arm), fill=(255, 255, 255, 200), width=thick)
            md.line((0, ye, arm, ye), fill=(255, 255, 255, 200), width=thick)
            x = self.margin // 2 if cx == 0 else w - self.margin // 2 - arm
            y = self.margin // 2 if cy == 0 else h - self.margin // 2 - arm
            self.sprites.append(YuvSprite.from_rgba(mark, x, y))

    def _place(
        self, caption: YuvSprite, label: YuvSprite, avoid: Sequence[Box]
    ) -> tuple[YuvSprite, YuvSprite]:
        """Where the caption and the label go: the first layout (bottom-left caption and
        top-left label, as a storyboard has them, first) that no frame's subject box
        touches, else the one it touches least."""
        w, h, m = self.scene.width, self.scene.height, self.margin
        (cw, ch), (lw, lh) = caption.size, label.size
        below_top = m + lh + m // 2  # under the label and the timecode
        captions = [
            (m, h - m - ch), (w - m - cw, h - m - ch), (m, below_top), (w - m - cw, below_top),
        ]  # fmt: skip
        labels = [(m, m), (w - m - lw, h - m - lh), (m, h - m - lh)]
        subject = np.asarray(avoid, np.float64).reshape(-1, 4)
        best: tuple[float, int, tuple[int, int], tuple[int, int]] | None = None
        order = 0
        for lx, ly in labels:
            for cx, cy in captions:
                cbox: Box = (cx, cy, cx + cw, cy + ch)
                lbox: Box = (lx, ly, lx + lw, ly + lh)
                if _overlap(cbox, lbox) > 0:
                    continue
                cost = _covered(cbox, subject) + _covered(lbox, subject)
                if best is None or (cost, order) < best[:2]:
                    best = (cost, order, (cx, cy), (lx, ly))
                order += 1
        assert best is not None
        (cx, cy), (lx, ly) = best[2], best[3]
        caption, label = caption.moved(cx, cy), label.moved(lx, ly)
        self.caption_box = (caption.x, caption.y, caption.x + cw, caption.y + ch)
        self.label_box = (label.x, label.y, label.x + lw, label.y + lh)
        return caption, label

    def _pill(
        self,
        text: str,
        x: int,
        y: int,
        *,
        record: bool = False,
        right: bool = False,
        part: str = "whole",
    ) -> YuvSprite:
        """A rounded dark label; ``part`` "head"/"tail" draws one end, for split labels."""
        font = self._tc_font
        size = getattr(font, "size", 10)
        scratch = ImageDraw.Draw(Image.new("RGBA", (1, 1)))
        ph = int(size * 1.5)
        pad = ph // 2
        dot = int(size * 0.9) if record else 0
        tw = int(scratch.textlength(text, font=font))
        if part == "tail":  # frame numbers: a fixed width, so the clock never jitters
            tw = max(tw, int(scratch.textlength("00", font=font)))
        left = 0 if part == "tail" else pad
        pw = left + dot + tw + (0 if part == "head" else pad)
        pw += pw % 2
        img = Image.new("RGBA", (pw, ph), (0, 0, 0, 0))
        d = ImageDraw.Draw(img)
        box = {"head": (0, 0, pw + ph, ph - 1), "tail": (-ph, 0, pw - 1, ph - 1)}
        d.rounded_rectangle(
            box.get(part, (0, 0, pw - 1, ph - 1)), radius=ph // 2, fill=(12, 12, 16, 150)
        )
        if record:
            r = size * 0.25
            dot_colour = palette.stylise((230, 40, 40), self.scene.style)
            d.ellipse((left, ph / 2 - r, left + 2 * r, ph / 2 + r), fill=(*dot_colour, 255))
        d.text((left + dot, ph / 2), text, font=font, fill=(240, 240, 236, 255), anchor="lm")
        return YuvSprite.from_rgba(img, x - pw if right else x, y)

    def timecode(self, index: int) -> list[YuvSprite]:
        """``SHOT 01  HH:MM:SS:FF``, from a per-second sprite and a per-frame-number sprite.

        Both are cached, so a clip renders at most seconds + fps small texts in all.  A loop
        has no start or end to count from: it shows a steady ``LOOP`` label instead.
        """
        if self.scene.loop:
            label = self._tc_cache.get("loop")
            if label is None:
                label = self._pill("LOOP", self.scene.width - self.margin, self.margin, right=True)
                self._tc_cache["loop"] = label
            return [label]
        secs, frame = divmod(index, self.scene.fps)
        clock = f"SHOT 01  {secs // 3600:02d}:{secs // 60 % 60:02d}:{secs % 60:02d}:"
        right = self.scene.width - self.margin
        frames = self._tc_cache.get(f"f{frame}")
        if frames is None:
            frames = self._pill(f"{frame:02d}", right, self.margin, right=True, part="tail")
            self._tc_cache[f"f{frame}"] = frames
        head = self._tc_cache.get(clock)
        if head is None:
            head = self._pill(clock, frames.x, self.margin, right=True, part="head")
            self._tc_cache = {k: v for k, v in self._tc_cache.items() if k.startswith("f")}
            self._tc_cache[clock] = head
        return [head, frames]

    def opacity(self, index: int) -> float:
        """With an input image, frame 0 is the image untouched; overlays fade in after it."""
        if not self.fade_in:
            return 1.0
        return min(1.0, index / max(1.0, self.scene.fps * 0.5))

    def apply(self, frame: VideoFrame, index: int) -> None:
        if not self.enabled:
            return
        opacity = self.opacity(index)
        if opacity <= 0:
            return
        y, u, v = planes(frame)
        for sprite in (*self.sprites, *self.timecode(self.scene.start_frame + index)):
            sprite.blend(y, u, v, opacity)


def _overlap(a: Box, b: Box) -> float:
    """The area two boxes share (0 when apart)."""
    return max(0.0, min(a[2], b[2]) - max(a[0], b[0])) * max(0.0, min(a[3], b[3]) - max(a[1], b[1]))


def _covered(box: Box, boxes: NDArray[np.float64]) -> float:
    """The area ``box`` shares with each of ``boxes`` (an (n, 4) array), summed."""
    w = np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0])
    h = np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1])
    return float((np.maximum(w, 0.0) * np.maximum(h, 0.0)).sum())
