"""Styles that show: each style's look, baked once into the drawings, plus a cheap screen pass.

A style has two halves.  ``Baker`` turns a drawing (the back plate, a layer's band or prop, a
subject pose) into that style's version once, when the shot is built: paper, watercolour
edges that pool and bleed, cel outlines, pencil strokes, clay shading, neon glows, brush
strokes.  Per frame the renderer only pastes those.  ``Screen`` is what lies on top of the
picture rather than in it (a watercolour wash, venetian blinds, scanlines, film flicker):
static tiles made once per clip and added to the yuv420p planes, where limited range
(Y 16..235) leaves room for a small signed byte added with wrap-around arithmetic never to
overflow.  So a style costs an add or two per frame, whatever it looks like; and because a
fixed texture over a moving picture is what costs x264 most, textures go into the drawings
wherever they can.
"""

from __future__ import annotations

import colorsys
import dataclasses
import re
from collections.abc import Callable
from typing import Any

import numpy as np
from numpy.typing import NDArray
from PIL import Image, ImageChops, ImageFilter, ImageOps, ImageStat

from reelway.engines.animatic import motion, seeding
from reelway.engines.animatic import palette as palette_mod
from reelway.engines.animatic import scene as scene_mod

U8 = NDArray[np.uint8]
RGB = tuple[int, int, int]

KINDS = (
    "storyboard", "watercolor", "oil", "noir", "anime", "pixel", "claymation", "synthwave",
    "sketch", "vintage", "documentary", "cinematic",
)  # fmt: skip
"""Every look the renderer knows; ``prompting.STYLES`` finds most, ``kind`` the rest."""

# Phrases that pick a finer look than the prompt table's kind (which files oil painting under
# watercolour and documentary under cinematic, and has no pencil sketch).
_OIL = re.compile(r"\b(oil paint(ing)?|oils|impasto|impressionis[mt]|van gogh|canvas painting)\b")
_DOCUMENTARY = re.compile(
    r"\b(documentary|realistic|photo-?real(istic)?|nature film|wildlife film|live[- ]action|"
    r"natural light)\b"
)
_SKETCH = re.compile(
    r"\b(sketch(ed|y|book)?|pencil (drawing|sketch|style|art)|charcoal|graphite|hand-drawn|"
    r"line drawing|cross-?hatch(ed|ing)?)\b"
)


def kind(scene: scene_mod.Scene) -> str:
    """The look a scene is rendered in: its style kind, refined by the prompt's words."""
    style = scene.style
    words = (scene.analysis.style or "").lower()
    text = scene.analysis.prompt.lower()
    if style == "watercolor" and _OIL.search(words or text):
        return "oil"
    if style == "cinematic" and _DOCUMENTARY.search(words or text):
        return "documentary"
    if scene.analysis.style_kind is None and style == "storyboard" and _SKETCH.search(text):
        return "sketch"
    return style


def restyle(scene: scene_mod.Scene) -> scene_mod.Scene:
    """The scene with its refined look, and the palette redone for looks the palette lacks."""
    look = kind(scene)
    if look == scene.style and look not in _TINTED:
        return scene
    raw = palette_mod.palette(
        scene.analysis,
        scene.setting,
        scene.lighting,
        "untreated",  # unknown to ``palette.stylise``: the colours come back as they are
        scene.character.colour if scene.character is not None else None,
    )
    fields = {
        f.name: tint(getattr(raw, f.name), look)
        for f in dataclasses.fields(raw)
        if f.name not in ("caption", "caption_accent")
    }
    if look == "documentary":  # no outlines: an edge a shade darker than the subject
        fields["outline"] = _scale(fields["subject"], 0.72)
    if look == "noir":
        own = scene.character.colour if scene.character is not None else None
        black = _luma(own or palette_mod.subject_colour(scene.analysis)) < BLACK_BY_NATURE
        keyed = noir_key(fields["subject"], _surroundings(fields), black=black)
        fields["subject"], fields["outline"] = keyed
    companion = scene.companion_colour
    if scene.companion is not None and companion is not None:
        raw_companion = palette_mod.figure(scene.companion.colour, scene.lighting, "untreated")
        companion = tint(raw_companion, look)
        if look == "noir":
            black = _luma(scene.companion.colour) < BLACK_BY_NATURE
            companion = noir_key(companion, _surroundings(fields), black=black)[0]
    return dataclasses.replace(
        scene,
        style=look,
        palette=dataclasses.replace(scene.palette, **fields),  # captions keep their colours
        companion_colour=companion,
    )


_TINTED = frozenset({"oil", "sketch", "documentary", "noir"})
"""Looks whose colours ``tint`` decides (noir: harder than ``palette.stylise``'s)."""


def tint(c: RGB, look: str) -> RGB:
    """The colour treatment of the looks in ``_TINTED`` (once per colour, never per pixel)."""
    r, g, b = c
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    if look == "noir":  # hard black and white: mid-greys pushed apart
        v = min(255.0, max(0.0, (luma - 128) * 2.1 + 100))  # low key: darker mid-tones
        return (round(v), round(v), round(v))
    if look == "sketch":  # graphite on paper: light greys, the darks hatched later
        v = 250 - (255 - luma) * 0.55
        return (round(v), round(v), round(v))
    h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
    if look == "oil":  # rich, deep pigments
        s, v = min(1.0, s * 1.2), min(1.0, v * 0.96 + 0.02)
    elif look == "documentary":  # natural: a touch less saturated than a cartoon, no grade
        s = s * 0.85
    out = colorsys.hsv_to_rgb(h, s, v)
    return (round(out[0] * 255), round(out[1] * 255), round(out[2] * 255))


NOIR_CONTRAST = 130
"""Film noir: how far (in luma) the subject's grey stands from the scenery round it."""
NOIR_ROOM = 80
"""Scenery at least this light shows a dark figure; darker scenery needs a lit one."""
BLACK_BY_NATURE = 60
"""A subject this dark in its own colour (a black cat, a panther) stays black in noir."""
RIM = (250, 250, 250)
"""The pale outline that rim-lights a black figure in a dark noir frame."""


def noir_key(subject: RGB, around: float, *, black: bool) -> tuple[RGB, RGB]:
    """Film noir's key light: (fill, outline) for a figure among scenery of luma ``around``.
    The figure's grey moves ``NOIR_CONTRAST`` away from the scenery's: darker wherever the
    scenery is light enough to show a silhouette (its black outline adds to it), lit in a
    dark frame (a pale coat on night streets).  A figure black by nature stays black,
    rim-lit by a pale outline against dark scenery, as a backlit silhouette is."""
    if black:
        return subject, (RIM if around < NOIR_ROOM else (0, 0, 0))
    v = _luma(subject)
    if around >= NOIR_ROOM:
        v = min(v, max(0.0, around - NOIR_CONTRAST))
    else:
        v = max(v, min(235.0, around + NOIR_CONTRAST))
    grey = round(v)
    return (grey, grey, grey), (0, 0, 0)


def _surroundings(fields: dict[str, Any]) -> float:
    """The mean luma of what a subject stands against: the sky at the horizon, the scenery
    layers and the ground."""
    names = ("sky_horizon", "far", "mid", "near", "ground_far", "ground_near")
    return sum(_luma(fields[n]) for n in names) / len(names)


def _luma(c: RGB) -> float:
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def _scale(c: RGB, k: float) -> RGB:
    return (round(c[0] * k), round(c[1] * k), round(c[2] * k))


# ----------------------------------------------------------------------------- textures


def _signed(field: NDArray[Any]) -> U8:
    """Signed offsets as wrapping bytes: ``plane += tile`` then adds or subtracts."""
    return np.round(field).astype(np.int16).astype(np.uint8)


def _tile(tile: U8, w: int, h: int) -> U8:
    """A seamless tile repeated over (w, h), as one contiguous array."""
    th, tw = tile.shape
    return np.ascontiguousarray(np.tile(tile, (-(-h // th), -(-w // tw)))[:h, :w])


class Noise:
    """Seamless square tiles of smooth noise for one clip, each filtered from one white-noise
    spectrum (so a look needing five textures pays for one random draw and five inverse
    FFTs), and shifted by its name's hash so that no two textures line up."""

    SIZE = 256

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._spectrum: NDArray[np.complex128] | None = None

    def field(
        self, name: str, along: float, across: float, angle: float = 0.0
    ) -> NDArray[np.float32]:
        """About -1..1; ``along``/``across``: feature lengths in pixels in the direction
        ``angle`` (degrees) and across it, so long thin features read as strokes."""
        n = self.SIZE
        if self._spectrum is None:
            white = seeding.rng(self.seed, "texture").normal(0.0, 1.0, (n, n))
            self._spectrum = np.fft.rfft2(white)
        fy = np.fft.fftfreq(n)[:, None]
        fx = np.fft.rfftfreq(n)[None, :]
        a = np.radians(angle)
        fa, fc = fx * np.cos(a) + fy * np.sin(a), -fx * np.sin(a) + fy * np.cos(a)
        lowpass = np.exp(-((fa * along) ** 2 + (fc * across) ** 2) * 2.0)
        field = np.fft.irfft2(self._spectrum * lowpass, s=(n, n))
        shift = seeding.stable_hash("texture-shift", name)
        field = np.roll(field, (shift % n, (shift // n) % n), axis=(0, 1))
        out: NDArray[np.float32] = np.asarray(
            field / max(1e-6, float(field.std()) * 2.5), np.float32
        )
        return out


def _paper(noise: Noise, amount: float) -> NDArray[np.float32]:
    """Paper: a slow mottle with faint, soft fibres (a seamless tile).  Nothing fine on
    purpose: a fixed fine texture over a moving picture is what costs the encoder most
    (every block has a residual), while a slow mottle costs it little."""
    fibres = noise.field("paper-fibre", 6.0, 3.0)
    mottle = noise.field("paper-mottle", 40.0, 40.0)
    out: NDArray[np.float32] = (fibres * 0.6 + mottle * 2.0) * np.float32(amount)
    return out


def _strokes(noise: Noise, length: float) -> NDArray[np.float32]:
    """Brush marks in relief (impasto): patches of parallel strokes, each patch at its own
    angle, embossed so each stroke has a lit and a shaded edge."""
    size = noise.SIZE
    patches = noise.field("stroke-mask", 50.0, 50.0)
    field = np.zeros((size, size), np.float32)
    for k, angle in enumerate((20.0, 75.0, 135.0)):
        strokes = noise.field(f"stroke-{k}", length, length / 5, angle)
        near = np.clip(1.0 - np.abs(patches * 3.0 - (k - 1) * 1.2) * 1.5, 0.0, 1.0)
        field += strokes * near
    relief = field - np.roll(np.roll(field, 2, axis=0), 2, axis=1)  # lit from the top left
    return relief * 2.0


# ----------------------------------------------------------------------------- screen pass


class Screen:
    """A look's per-frame pass on the yuv420p planes: static tiles, added in place."""

    def __init__(self, scene: scene_mod.Scene, noise: Noise) -> None:
        self.look = scene.style
        w, h = scene.width, scene.height
        cw, ch = (w + 1) // 2, (h + 1) // 2
        seed = scene.seed
        self.luma: list[U8] = []
        """Tiles added to Y in turn (one per frame); empty for none."""
        self.chroma: tuple[U8, U8] | None = None
        self.grey = self.look in ("noir", "sketch")
        self.flicker: list[int] = []
        self.period = scene.frame_count if scene.loop else 0
        """A loop's length: its last frame must flow into its first, so patterns repeat."""
        look = self.look
        tile: NDArray[Any] | None = None
        if look == "watercolor":  # the paper is in the plate; the wash lies on top
            wash = (noise.field("wash-u", 60, 60), noise.field("wash-v", 45, 45))
            self.chroma = (
                _tile(_signed(wash[0] * 2.5), cw, ch),
                _tile(_signed(wash[1] * 2.5), cw, ch),
            )
        elif look == "synthwave":  # scanlines
            tile = np.zeros((3, 256), np.float32)
            tile[1] = -9.0
        elif look == "noir":  # venetian-blind light falling across the frame, and grain
            yy = np.arange(h, dtype=np.float32)[:, None]
            xx = np.arange(w, dtype=np.float32)[None, :]
            band = np.sin((xx * 0.35 + yy) * np.float32(2 * np.pi / max(8.0, h / 9)))
            fall = np.clip(1.2 - np.hypot(xx / w - 0.3, yy / h - 0.3) * 1.6, 0.0, 1.0)
            blinds = np.clip(band * 3.0, -1.0, 1.0) * (fall * 10.0)
            edge = np.clip(np.hypot(xx / w - 0.5, yy / h - 0.5) * 2.4 - 0.7, 0.0, 1.0)
            blinds -= edge * 14.0  # and the corners fall into shadow
            grain = seeding.rng(seed, "noir-grain").normal(0.0, 1.6, (256, 256))
            self.luma.append(
                _signed(np.clip(blinds + _tile(_signed(grain), w, h).view(np.int8), -16, 16))
            )
        elif look == "vintage":
            r = seeding.rng(seed, "flicker")
            self.flicker = [int(v) for v in r.integers(-3, 4, 24)]
        if tile is not None:
            self.luma.append(_tile(_signed(tile), w, h))

    def apply(self, y: U8, u: U8, v: U8, index: int) -> None:
        if self.period:
            index %= self.period
        if self.luma:
            y += self.luma[index % len(self.luma)]
        if self.flicker:
            step = self.flicker[index % len(self.flicker)]
            if step > 0:
                y += np.uint8(step)
            elif step < 0:
                y -= np.uint8(-step)
        if self.grey:
            u.fill(128)
            v.fill(128)
        elif self.chroma is not None:
            u += self.chroma[0]
            v += self.chroma[1]


class Weave:
    """Gate weave (vintage): the whole picture's offset in canvas pixels for each frame, drawn
    once for the clip's timeline (an extension continues its source's).  Claymation has no
    such jitter (a whole-picture shift on every held pose is new work for x264 each time);
    its puppet moves on twos instead (``motion``)."""

    def __init__(self, scene: scene_mod.Scene) -> None:
        self.start = scene.start_frame
        self.period = scene.frame_count if scene.loop else 0
        n = scene.start_frame + scene.frame_count
        self.dx: list[int] = []
        self.dy: list[int] = []
        if scene.style == "vintage":
            t = np.arange(n) / scene.fps
            r = seeding.rng(scene.seed, "weave").uniform(-0.6, 0.6, (2, n // 2 + 1))
            held = np.arange(n) // 2
            wx = 2 * np.pi / motion.period(scene, 2 * np.pi / 7.3)  # a loop's divide the clip
            wy = 2 * np.pi / motion.period(scene, 2 * np.pi / 5.1)
            self.dx = np.round(np.sin(t * wx) * 1.2 + r[0][held]).astype(int).tolist()
            self.dy = np.round(np.sin(t * wy + 1.0) * 1.6 + r[1][held]).astype(int).tolist()

    def at(self, index: int) -> tuple[int, int]:
        if not self.dx:
            return 0, 0
        if self.period:  # a loop: the same shake every time round
            index %= self.period
        k = min(max(0, self.start + index), len(self.dx) - 1)
        return self.dx[k], self.dy[k]


# ----------------------------------------------------------------------------- baking

_POOL = (196, 186, 198)
"""Pigment pooled at a wash's edge: the colour times this (a multiply), darker and cooler."""
_BLEED = [0] + [min(255, round(a * 1.3) + 40) for a in range(1, 256)]
"""Alpha lookup: a soft edge pushed out (bleeding), lifted by 40 where there is any colour;
then the "bleed" texture (0..40) is subtracted, which leaves the outside clear and the
edge ragged, and ``_OPAQUE`` makes the body whole again (an opaque sprite pastes fastest)."""
_OPAQUE = [255 if a >= 215 else a * 255 // 215 for a in range(256)]
_ROUND = [255 if a > 128 else (a - 90) * 6 if a > 90 else 0 for a in range(256)]
"""Clay: a blurred silhouette cut at half height, so corners round off and edges stay soft."""
_HARDEN = [int(min(255, max(0, (a - 128) * 2.2 + 128))) for a in range(256)]

BAKED = frozenset({"watercolor", "oil", "anime", "claymation", "synthwave", "sketch"})
"""Looks whose drawings are redrawn once at build time (the others paste them as drawn)."""


class Baker:
    """Redraws a scene's pieces in its look, each image once (cached by identity)."""

    def __init__(self, scene: scene_mod.Scene, height: int, noise: Noise) -> None:
        self.look = scene.style
        self.unit = max(1.0, height / 360)
        """Canvas pixels per pixel of a 360-line frame: effects scale with the canvas."""
        self.accent = scene.palette.accent
        self.outline = scene.palette.outline
        self.seed = scene.seed
        self.noise = noise
        self._done: dict[int, tuple[Image.Image, Image.Image]] = {}
        self._textures: dict[str, U8] = {}

    @property
    def active(self) -> bool:
        return self.look in BAKED

    def piece(self, image: Image.Image) -> Image.Image:
        """An RGBA drawing in the look (the same object back for looks that bake nothing)."""
        if not self.active:
            return image
        hit = self._done.get(id(image))
        if hit is not None and hit[0] is image:
            return hit[1]
        out = self._bake(image)
        if len(self._done) > 512:  # rotated poses come and go: keep the cache bounded
            self._done.clear()
        self._done[id(image)] = (image, out)  # holding the key image keeps its id unique
        return out

    def plate(self, image: Image.Image) -> Image.Image:
        """The back plate (opaque RGB) in the look.  Paper and canvas textures go here, not
        on the screen: the plate moves slowly and by whole pixels, so x264 predicts it from
        the frame before, while a fixed texture over a moving picture is new in every block
        of every frame (it cost the watercolour benchmark 6 % more bits and CPU)."""
        look, u = self.look, self.unit
        if look in ("watercolor", "sketch", "claymation"):
            grain = self._texture("paper", image.size)
            image = ImageChops.add(image, Image.merge("RGB", (grain,) * 3), offset=-128)
        if look == "oil":
            return self._brush(image.filter(ImageFilter.BoxBlur(round(u))))
        if look == "anime":  # cel sky: flat steps instead of a smooth gradient
            return ImageOps.posterize(image, 3)
        if look == "sketch":
            return self._pencil(image.convert("RGBA"), outline=False, weight=0.35).convert("RGB")
        if look == "claymation":
            return image.filter(ImageFilter.BoxBlur(round(2 * u)))
        return image

    # ------------------------------------------------------------------ per look

    def _bake(self, image: Image.Image) -> Image.Image:
        if image.mode != "RGBA":
            image = image.convert("RGBA")
        if image.width < 3 or image.height < 3:
            return image
        pad = round(4 * self.unit)
        padded = Image.new("RGBA", (image.width + 2 * pad, image.height + 2 * pad), (0, 0, 0, 0))
        padded.paste(image, (pad, pad))
        look = self.look
        if look == "watercolor":
            out = self._watercolor(padded)
        elif look == "oil":
            out = self._oil(padded)
        elif look == "anime":
            out = self._outlined(padded, self.outline, round(1.5 * self.unit), glow=False)
        elif look == "synthwave":
            out = self._outlined(padded, self.accent, max(1, round(self.unit)), glow=True)
        elif look == "claymation":
            out = self._clay(padded)
        else:
            out = self._pencil(padded, outline=True)
        return out.crop((pad, pad, pad + image.width, pad + image.height))

    def _filled(self, image: Image.Image) -> tuple[Image.Image, Image.Image]:
        """RGB with the transparent pixels set to the drawing's mean colour, and its alpha:
        colour can then spread past the edge without dragging black in."""
        alpha = image.getchannel("A")
        rgb = image.convert("RGB")
        if alpha.getbbox() is None:
            return rgb, alpha
        mean = ImageStat.Stat(rgb, alpha).mean
        fill = Image.new("RGB", rgb.size, (round(mean[0]), round(mean[1]), round(mean[2])))
        return Image.composite(rgb, fill, alpha), alpha

    def _texture(self, name: str, size: tuple[int, int]) -> Image.Image:
        """A greyscale texture (mid-grey 128 = none) of ``size``, cut from one seamless tile
        per name that is made once and repeated as far as the largest drawing needs."""
        w, h = size
        big = self._textures.get(name)
        if big is None or big.shape[0] < h or big.shape[1] < w:
            u = self.unit
            makers: dict[str, Callable[[], NDArray[Any]]] = {
                "bleed": lambda: self.noise.field("bleed", 5 * u, 5 * u) * 20 - 108,
                "dabs": lambda: self.noise.field("dabs", 6 * u, 6 * u) * 70,
                "strokes": lambda: _strokes(self.noise, 16.0 * u) * 14,
                "dabbed": lambda: _strokes(self.noise, 10.0 * u) * 9,
                "paper": lambda: _paper(self.noise, 5.0),
            }
            field = makers[name]()
            tile = np.clip(field + 128, 0, 255).astype(np.uint8)
            have = (0, 0) if big is None else big.shape
            big = _tile(tile, max(w, have[1], 1024), max(h, have[0], 512))
            self._textures[name] = big
        return Image.fromarray(big[:h, :w], "L")

    def _watercolor(self, image: Image.Image) -> Image.Image:
        """Soft, bleeding edges with pigment pooled just inside them, and an uneven wash that
        lets the paper show through (the paper's grain is the screen pass's)."""
        r = round(1.5 * self.unit)
        bled, alpha = self._filled(image)  # colour already reaches past the edge
        soft = alpha.filter(ImageFilter.BoxBlur(r))
        wide = alpha.filter(ImageFilter.BoxBlur(2 * r))
        rim = ImageChops.subtract(alpha, wide, scale=0.5)  # just inside the edge
        pooled = Image.composite(
            ImageChops.multiply(bled, Image.new("RGB", bled.size, _POOL)), bled, rim
        )
        bite = self._texture("bleed", image.size)
        ragged = ImageChops.subtract(soft.point(_BLEED), bite).point(_OPAQUE)
        out = pooled.convert("RGBA")
        out.putalpha(ragged)
        return out

    def _brush(self, image: Image.Image, texture: str = "strokes") -> Image.Image:
        """Stroke relief in the paint: lit and shaded ridges over the colour."""
        relief = self._texture(texture, image.size)
        return ImageChops.overlay(image.convert("RGB"), Image.merge("RGB", (relief,) * 3))

    def _oil(self, image: Image.Image) -> Image.Image:
        """Brushed: colour dabbed past a slightly broken edge, stroke relief in the paint."""
        rgb, alpha = self._filled(image)
        soft = alpha.filter(ImageFilter.BoxBlur(round(self.unit)))
        edge = ImageChops.add(soft, self._texture("dabs", image.size), offset=-128).point(_HARDEN)
        out = self._brush(rgb, "dabbed").convert("RGBA")  # moving: lighter, smaller marks
        out.putalpha(edge)
        return out

    def _outlined(self, image: Image.Image, colour: RGB, width: int, *, glow: bool) -> Image.Image:
        """A line round the silhouette (cel ink), or a neon tube with its glow."""
        alpha = image.getchannel("A")
        grown = alpha.filter(ImageFilter.MaxFilter(2 * width + 1))
        ring = ImageChops.subtract(grown, alpha.filter(ImageFilter.MinFilter(3)) if glow else alpha)
        out = Image.new("RGBA", image.size, (0, 0, 0, 0))
        if glow:
            halo = grown.filter(ImageFilter.GaussianBlur(3 * width)).point(lambda a: a * 3 // 5)
            out.paste((*colour, 255), (0, 0), halo)
            out.alpha_composite(image)
            out.paste((*colour, 255), (0, 0), ring)
            return out
        out.paste((*colour, 255), (0, 0), grown)
        out.paste(image, (0, 0), alpha)
        out.paste((*colour, 255), (0, 0), ring)
        return out

    def _clay(self, image: Image.Image) -> Image.Image:
        """Rounded corners and soft, puffy shading lit from the top left."""
        u = self.unit
        alpha = image.getchannel("A").filter(ImageFilter.GaussianBlur(2.5 * u))
        rounded = alpha.point(_ROUND)
        height = np.asarray(rounded.filter(ImageFilter.GaussianBlur(4 * u)), np.float32)
        gy, gx = np.gradient(height)
        light = np.asarray(np.clip(1.0 + (gx + gy) * (0.02 / u), 0.72, 1.22), np.float32)
        rgb, _ = self._filled(image)
        arr = np.asarray(rgb, np.float32) * light[..., None]
        out = Image.fromarray(np.clip(arr, 0, 255).astype(np.uint8), "RGB").convert("RGBA")
        out.putalpha(rounded)
        return out

    def _pencil(self, image: Image.Image, *, outline: bool, weight: float = 1.0) -> Image.Image:
        """Graphite: paper where the drawing is light, hatching (then cross-hatching) where
        it is dark, and a grey line round each shape."""
        w, h = image.size
        grey = np.asarray(image.convert("L"), np.float32)
        tone = np.clip((235.0 - grey) / 110.0, 0.0, 1.0) * weight  # 0: paper, 1: darkest
        # Horizontal strokes, denser where darker: a pan or a tracking shot slides them along
        # themselves, so x264 finds each frame's hatching in the last one (diagonal hatching
        # moved under a pan cost it four times the bits).
        step = max(4, round(4 * self.unit))
        rows = np.arange(h)[:, None] % step
        wobble = (np.arange(w)[None, :] // (step * 5)) % 2  # strokes in short dashes
        one = rows == 0
        two = rows == step // 2
        three = (rows == step // 4) & (wobble == 0)
        ink = (one & (tone > 0.15)) * 0.6 + (two & (tone > 0.45)) * 0.55
        ink = ink + (three & (tone > 0.75)) * 0.5
        shade = 246.0 - 150.0 * np.clip(ink, 0.0, 1.0) - 20.0 * tone
        alpha = image.getchannel("A")
        if outline:
            edge = ImageChops.subtract(alpha, alpha.filter(ImageFilter.MinFilter(3)))
            shade = np.minimum(shade, 255.0 - np.asarray(edge, np.float32) * 0.62)
        v = np.clip(shade, 0, 255).astype(np.uint8)
        out = Image.fromarray(np.dstack([v, v, v]), "RGB").convert("RGBA")
        out.putalpha(alpha)
        return out
