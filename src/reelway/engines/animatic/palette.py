"""Colours: setting x lighting x style, plus the subject's own colour.

Every colour of a shot is decided here, once; style treatments that are colour maps (black
and white, sepia, watercolour wash, a retro palette) are applied to these few colours rather
than to every pixel of every frame.
"""

from __future__ import annotations

import colorsys
from dataclasses import dataclass

from reelway import prompting
from reelway.engines.animatic import figures, seeding

RGB = tuple[int, int, int]


@dataclass(frozen=True)
class Palette:
    """The colours of one scene, already through the style's colour treatment."""

    sky_top: RGB
    sky_horizon: RGB
    ground_far: RGB
    ground_near: RGB
    far: RGB
    mid: RGB
    near: RGB
    accent: RGB
    light: RGB
    """Sun, moon or lamp colour."""
    subject: RGB
    outline: RGB
    caption: RGB
    caption_accent: RGB


# Day colours per setting: ground far/near, far/mid/near layer, accent.
_SETTING_COLOURS: dict[str, tuple[RGB, RGB, RGB, RGB, RGB, RGB]] = {
    "beach": (
        (232, 212, 160),
        (244, 226, 182),
        (96, 136, 120),
        (44, 128, 186),
        (48, 104, 60),
        (248, 250, 252),
    ),
    "ocean": (
        (40, 104, 160),
        (22, 66, 116),
        (84, 120, 110),
        (46, 116, 174),
        (34, 94, 150),
        (226, 242, 250),
    ),
    "forest": (
        (70, 118, 56),
        (40, 82, 36),
        (96, 140, 150),
        (34, 96, 56),
        (24, 62, 32),
        (210, 230, 160),
    ),
    "city": (
        (84, 84, 94),
        (52, 52, 60),
        (128, 146, 176),
        (82, 92, 114),
        (40, 42, 52),
        (255, 220, 120),
    ),
    "desert": (
        (228, 184, 124),
        (206, 150, 96),
        (192, 122, 92),
        (232, 172, 112),
        (72, 128, 72),
        (250, 232, 200),
    ),
    "mountain": (
        (236, 240, 246),
        (214, 224, 236),
        (112, 132, 172),
        (80, 100, 132),
        (52, 72, 84),
        (250, 252, 255),
    ),
    "space": (
        (20, 16, 40),
        (10, 8, 24),
        (196, 120, 90),
        (120, 110, 130),
        (80, 74, 92),
        (250, 220, 170),
    ),
    "interior": (
        (152, 106, 72),
        (118, 80, 52),
        (196, 176, 150),
        (112, 80, 60),
        (62, 70, 50),
        (255, 236, 190),
    ),
    "field": (
        (122, 180, 82),
        (80, 140, 60),
        (122, 168, 118),
        (62, 122, 62),
        (48, 100, 44),
        (250, 236, 120),
    ),
    "underwater": (
        (164, 152, 112),
        (122, 110, 80),
        (34, 84, 112),
        (222, 112, 108),
        (40, 122, 84),
        (200, 240, 255),
    ),
    "sky": (
        (200, 220, 240),
        (230, 238, 248),
        (244, 246, 250),
        (250, 250, 252),
        (255, 255, 255),
        (255, 250, 220),
    ),
}

# Lighting: sky top, sky horizon, ambient multiplier, light colour.
_LIGHTING: dict[str, tuple[RGB, RGB, tuple[float, float, float], RGB]] = {
    "day": ((66, 136, 222), (186, 220, 246), (1.0, 1.0, 1.0), (255, 250, 222)),
    "golden": ((72, 76, 150), (252, 170, 92), (1.05, 0.8, 0.62), (255, 190, 96)),
    "night": ((6, 10, 32), (34, 46, 92), (0.26, 0.32, 0.52), (236, 240, 255)),
    "neon": ((20, 6, 46), (124, 24, 116), (0.5, 0.34, 0.7), (255, 80, 200)),
    "overcast": ((122, 130, 142), (178, 182, 188), (0.76, 0.79, 0.84), (220, 224, 230)),
    "candle": ((44, 26, 16), (124, 72, 32), (0.82, 0.52, 0.3), (255, 176, 80)),
}


def _mix(a: RGB, b: RGB, t: float) -> RGB:
    return (
        round(a[0] + (b[0] - a[0]) * t),
        round(a[1] + (b[1] - a[1]) * t),
        round(a[2] + (b[2] - a[2]) * t),
    )


def _clamp(c: tuple[float, float, float]) -> RGB:
    return (
        int(min(255, max(0, round(c[0])))),
        int(min(255, max(0, round(c[1])))),
        int(min(255, max(0, round(c[2])))),
    )


def _lit(c: RGB, ambient: tuple[float, float, float]) -> RGB:
    return _clamp((c[0] * ambient[0], c[1] * ambient[1], c[2] * ambient[2]))


def stylise(c: RGB, style: str) -> RGB:
    """The style's colour treatment for one colour (done once per colour, never per pixel)."""
    r, g, b = c
    luma = 0.2126 * r + 0.7152 * g + 0.0722 * b
    if style == "noir":
        v = (luma - 128) * 1.45 + 128
        return _clamp((v, v, v))
    if style == "vintage":
        sepia = (luma * 1.07 + 20, luma * 0.9 + 12, luma * 0.68 + 4)
        return _mix(_clamp(sepia), (236, 220, 190), 0.12)
    if style == "watercolor":
        soft = _mix(c, (int(luma), int(luma), int(luma)), 0.3)
        return _mix(soft, (246, 240, 228), 0.28)
    if style in ("anime", "claymation", "pixel"):
        h, s, v = colorsys.rgb_to_hsv(r / 255, g / 255, b / 255)
        s = min(1.0, s * (1.3 if style != "claymation" else 1.15))
        v = min(1.0, v * 1.08)
        out = _clamp(tuple(x * 255 for x in colorsys.hsv_to_rgb(h, s, v)))  # type: ignore[arg-type]
        if style == "pixel":  # a small retro palette: 4 levels per channel
            return (out[0] // 64 * 85, out[1] // 64 * 85, out[2] // 64 * 85)
        return out
    if style == "cinematic":  # teal shadows, warm highlights
        k = (luma - 128) / 128 * 0.12
        return _clamp((r * (1 + k), g, b * (1 - k)))
    return c


# What a subject usually looks like: colour, and size relative to its family's usual one.
NOUN_LOOKS: dict[str, tuple[RGB | None, float]] = {
    "whale": ((72, 98, 132), 1.0), "orca": ((34, 34, 42), 0.85),
    "shark": ((122, 136, 152), 1.0), "dolphin": ((118, 150, 182), 0.85),
    "jellyfish": ((240, 160, 220), 1.0), "turtle": ((92, 140, 80), 1.0),
    "goldfish": ((250, 140, 30), 0.7), "koi": ((250, 122, 60), 0.8),
    "salmon": ((236, 130, 110), 1.0), "seal": ((110, 110, 118), 1.3),
    "fox": ((222, 112, 40), 1.0), "wolf": ((132, 132, 142), 1.2), "wolves": ((132, 132, 142), 1.2),
    "coyote": ((170, 140, 100), 1.0), "raccoon": ((120, 116, 120), 0.7),
    "squirrel": ((170, 100, 50), 0.5), "otter": ((110, 80, 56), 0.8),
    "koala": ((150, 150, 156), 0.6), "hedgehog": ((130, 100, 80), 0.9),
    "camel": ((204, 164, 104), 1.0), "bear": ((112, 78, 52), 1.0),
    "panda": ((240, 240, 240), 0.9), "polar bear": ((246, 246, 240), 1.1),
    "elephant": ((142, 142, 152), 1.0), "mammoth": ((120, 80, 50), 1.1),
    "horse": ((132, 88, 58), 1.0), "pony": ((180, 140, 100), 0.75),
    "zebra": ((246, 246, 240), 0.95), "donkey": ((140, 130, 124), 0.85),
    "cat": ((232, 152, 72), 1.0), "kitten": ((232, 168, 96), 0.7),
    "dog": ((192, 142, 92), 1.0), "puppy": ((210, 170, 120), 0.7), "corgi": ((226, 150, 70), 0.8),
    "husky": ((160, 164, 176), 1.05), "dalmatian": ((246, 246, 240), 1.0),
    "mouse": ((150, 150, 156), 1.0), "rat": ((120, 110, 104), 1.1),
    "hamster": ((230, 170, 100), 1.0), "rabbit": ((222, 212, 202), 1.0),
    "bunny": ((236, 226, 216), 0.9), "hare": ((170, 130, 90), 1.1),
    "lion": ((212, 162, 82), 1.0), "tiger": ((236, 132, 40), 1.0),
    "leopard": ((226, 180, 90), 0.9), "cheetah": ((230, 186, 100), 0.9),
    "panther": ((34, 32, 38), 0.95), "jaguar": ((222, 170, 80), 0.95),
    "cow": ((240, 240, 236), 1.0), "bull": ((70, 50, 40), 1.05), "sheep": ((246, 246, 240), 1.0),
    "goat": ((226, 220, 206), 0.9), "llama": ((236, 222, 196), 1.1), "pig": ((240, 172, 172), 1.0),
    "deer": ((172, 112, 72), 1.0), "reindeer": ((150, 110, 80), 1.0), "moose": ((90, 64, 44), 1.2),
    "dinosaur": ((92, 142, 82), 1.0), "dragon": ((172, 42, 42), 1.0),
    "unicorn": ((250, 250, 255), 1.0), "giraffe": ((232, 182, 92), 1.0),
    "astronaut": ((238, 240, 244), 1.0), "knight": ((172, 176, 186), 1.0),
    "ninja": ((42, 42, 50), 1.0), "chef": ((246, 246, 242), 1.0),
    "child": (None, 0.7), "kid": (None, 0.7), "boy": (None, 0.8), "girl": (None, 0.8),
    "baby": (None, 0.5), "robot": ((172, 182, 196), 1.0),
    "taxi": ((242, 198, 40), 1.0), "police car": ((236, 236, 240), 1.0),
    "bus": ((232, 182, 40), 1.0), "truck": ((60, 110, 200), 1.0), "van": ((236, 236, 240), 0.85),
    "train": ((182, 42, 42), 1.0), "tram": ((236, 180, 40), 0.9),
    "rocket": ((232, 232, 238), 1.0), "ufo": ((182, 192, 204), 1.0),
    "jet": ((236, 236, 242), 1.0), "plane": ((236, 236, 242), 1.0),
    "airplane": ((236, 236, 242), 1.0), "ship": (None, 1.0), "yacht": ((246, 246, 246), 0.8),
    "spaceship": ((202, 206, 216), 1.0), "helicopter": ((202, 62, 52), 1.0),
    "submarine": ((232, 202, 40), 1.0),
    "eagle": ((112, 82, 52), 1.3), "hawk": ((140, 100, 70), 1.1), "owl": ((152, 112, 72), 1.0),
    "crow": ((34, 34, 40), 1.0), "raven": ((30, 30, 38), 1.0), "seagull": ((240, 240, 240), 1.0),
    "gull": ((240, 240, 240), 1.0), "flamingo": ((250, 140, 170), 1.0),
    "egret": ((246, 246, 242), 0.9), "stork": ((242, 242, 238), 1.0), "witch": ((52, 44, 64), 1.0),
    "parrot": ((40, 182, 72), 1.0), "robin": ((200, 90, 60), 0.8),
    "hummingbird": ((40, 170, 140), 0.6), "phoenix": ((242, 112, 30), 1.4),
    "swan": ((250, 250, 250), 1.0), "duck": ((150, 110, 70), 0.75), "goose": ((236, 236, 230), 0.9),
    "butterfly": ((250, 150, 40), 1.0), "moth": ((170, 150, 120), 0.9),
    "bee": ((242, 202, 40), 1.0), "ladybug": ((214, 40, 40), 0.8), "firefly": ((240, 230, 90), 0.7),
    "apple": ((212, 40, 40), 1.0), "pear": ((190, 210, 70), 1.0), "lemon": ((246, 220, 60), 0.9),
    "strawberry": ((226, 40, 56), 0.8), "peach": ((250, 170, 120), 1.0),
    "ball": ((232, 82, 62), 1.0), "teapot": ((222, 222, 232), 1.0), "balloon": (None, 1.0),
    "blood moon": ((200, 84, 60), 1.0), "harvest moon": ((246, 200, 130), 1.0),
    "saturn": ((214, 180, 120), 1.0), "jupiter": ((206, 150, 110), 1.1),
    "sunflower": ((250, 200, 40), 1.1), "rose": ((214, 30, 60), 1.0),
    "palm tree": ((60, 150, 70), 1.0), "pine tree": ((30, 100, 60), 1.0),
}  # fmt: skip
NOUN_PATTERNS: dict[str, str] = {
    "tiger": "striped", "zebra": "striped", "leopard": "spotted", "cheetah": "spotted",
    "jaguar": "spotted", "giraffe": "spotted", "dalmatian": "spotted", "ladybug": "spotted",
    "phoenix": "glowing", "firefly": "glowing", "fireflies": "glowing", "ghost": "glowing",
    "robot": "metallic", "ufo": "metallic", "bee": "striped",
}  # fmt: skip
"""A noun's usual markings, when the prompt gives none (a tiger is striped)."""
SIZE_WORDS = {"tiny": 0.6, "giant": 1.6}
"""``PromptAnalysis.subject_size`` -> how much bigger than usual."""


def _noun(analysis: prompting.PromptAnalysis, table: dict[str, object]) -> str | None:
    """The subject phrase's head noun (or last two words) as ``table`` knows it."""
    words = (analysis.subject or "").lower().split()
    for noun in (" ".join(words[-2:]), *words[-1:]):
        for candidate in (noun, noun[:-1], noun[:-2]):
            if candidate in table:
                return candidate
    return None


def noun_look(analysis: prompting.PromptAnalysis) -> tuple[RGB | None, float]:
    """The usual colour of the subject's noun ('red fox' -> fox) and its size against its
    family's usual one, times what a size word asks ("a tiny dog")."""
    noun = _noun(analysis, NOUN_LOOKS)  # type: ignore[arg-type]
    colour, size = NOUN_LOOKS[noun] if noun else (None, 1.0)
    return colour, size * SIZE_WORDS.get(analysis.subject_size or "", 1.0)


def noun_pattern(analysis: prompting.PromptAnalysis) -> str | None:
    """The noun's usual markings (``NOUN_PATTERNS``), or None."""
    noun = _noun(analysis, NOUN_PATTERNS)  # type: ignore[arg-type]
    return NOUN_PATTERNS[noun] if noun else None


def subject_colour(analysis: prompting.PromptAnalysis) -> RGB:
    """The colour the prompt gives its subject, else its noun's usual one, else its family's,
    else one from its words."""
    if analysis.subject_colour:
        return prompting.COLOURS[analysis.subject_colour]
    usual = noun_look(analysis)[0]
    if usual is not None:
        return usual
    family = analysis.subject_family
    if family in figures.FAMILIES and family != "sign":
        return figures.FAMILIES[family].colour
    word = (analysis.subject or "subject").lower().split()[-1]
    hue = seeding.stable_hash("subject-hue", word) % 360 / 360
    return _clamp(tuple(x * 255 for x in colorsys.hsv_to_rgb(hue, 0.62, 0.9)))  # type: ignore[arg-type]


LUMINOUS = frozenset({"moon", "full_moon", "sun", "star"})
"""Families that give light: a night sky does not dim them (a grey moon reads as a rock)."""


def figure(colour: RGB, lighting: str, style: str) -> RGB:
    """A figure's own colour as the shot shows it: half lit by a dark light, then styled
    (how the subject's colour is treated; a second character gets the same)."""
    if lighting in ("night", "neon", "candle"):
        colour = _mix(colour, _lit(colour, _LIGHTING[lighting][2]), 0.5)
    return stylise(colour, style)


def palette(
    analysis: prompting.PromptAnalysis,
    setting: str,
    lighting: str,
    style: str,
    subject: RGB | None = None,
) -> Palette:
    """Setting x lighting x style -> colours; ``subject`` overrides the subject's (a
    character's own colour)."""
    ground_far, ground_near, far, mid, near, accent = _SETTING_COLOURS[setting]
    sky_top, sky_horizon, ambient, light = _LIGHTING[lighting]
    if setting == "underwater":
        sky_top, sky_horizon = _lit((70, 186, 214), ambient), _lit((12, 64, 112), ambient)
    elif setting == "space":
        sky_top, sky_horizon = (4, 4, 14), (26, 14, 48)
    elif setting == "interior":
        sky_top, sky_horizon = _lit((206, 188, 160), ambient), _lit((226, 210, 182), ambient)
    if style == "synthwave":
        sky_top, sky_horizon, light = (18, 2, 40), (255, 70, 150), (255, 200, 90)
        ground_far, ground_near, far, mid, near = (
            (40, 6, 70), (14, 2, 30), (120, 30, 130), (70, 16, 100), (30, 6, 56),
        )  # fmt: skip
        accent = (0, 240, 255)
    else:
        if analysis.weather == "snow" and setting not in ("space", "interior", "underwater"):
            snow = (236, 240, 248)
            ground_far, ground_near = _mix(ground_far, snow, 0.8), _mix(ground_near, snow, 0.7)
        ground_far, ground_near = _lit(ground_far, ambient), _lit(ground_near, ambient)
        # Atmospheric perspective: the farther the layer, the more it takes the horizon colour
        # (and much more so in fog).
        haze = 0.3 if analysis.weather == "fog" else 0.0
        far = _mix(_lit(far, ambient), sky_horizon, 0.45 + haze)
        mid = _mix(_lit(mid, ambient), sky_horizon, 0.18 + haze)
        near = _lit(near, ambient)
        if lighting in ("night", "neon"):
            accent = (255, 214, 120) if setting == "city" else _lit(accent, ambient)
    subject = subject if subject is not None else subject_colour(analysis)
    if lighting in ("night", "neon", "candle") and analysis.subject_family not in LUMINOUS:
        subject = _mix(subject, _lit(subject, ambient), 0.5)
    colours = [
        sky_top,
        sky_horizon,
        ground_far,
        ground_near,
        far,
        mid,
        near,
        accent,
        light,
        subject,
    ]
    styled = [stylise(c, style) for c in colours]
    luma = 0.2126 * styled[9][0] + 0.7152 * styled[9][1] + 0.0722 * styled[9][2]
    outline = stylise((20, 18, 26) if luma > 70 else (236, 232, 220), style)
    caption_accent = (0, 232, 255) if style == "synthwave" else (255, 204, 82)
    return Palette(
        sky_top=styled[0],
        sky_horizon=styled[1],
        ground_far=styled[2],
        ground_near=styled[3],
        far=styled[4],
        mid=styled[5],
        near=styled[6],
        accent=styled[7],
        light=styled[8],
        subject=styled[9],
        outline=outline,
        caption=(246, 246, 242),
        caption_accent=stylise(caption_accent, style),
    )
