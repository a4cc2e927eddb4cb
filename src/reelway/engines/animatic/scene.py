"""Prompt + seed -> a scene description the renderer and the soundtrack draw from.

The split between the two inputs is what makes remix work: ``composition`` reads only the
seed (where the layers' objects stand, where the subject starts, which way things move, the
shape of the camera path) and everything else reads only the prompt (palette, setting,
subject, action, captions).  A remix keeps the seed, so it keeps the composition and swaps
the content.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from reelway import prompting
from reelway.engines.animatic import palette as palette_mod
from reelway.engines.animatic import seeding

DEFAULT_SETTING = "field"
TRAVELLING = frozenset({"walk", "run", "drive", "swim", "fly"})
"""Actions that cover ground; with no camera phrase the camera follows them."""
LAYER_SLOTS = 48
"""Objects per parallax layer; fixed so a layer's layout never depends on the prompt."""


# ----------------------------------------------------------------------------- composition


@dataclass(frozen=True)
class Composition:
    """Everything the seed decides, in unit numbers the renderer scales to the frame."""

    seed: int
    horizon: float
    """Horizon height as a fraction of the frame, from the top."""
    slots: tuple[tuple[tuple[float, float, float], ...], ...]
    """Per layer (far, mid, near): (x, size, variant) of each object, all in 0..1."""
    subject_x: float
    subject_y: float
    direction: int
    """+1: the subject travels and the camera pans right; -1: left."""
    camera_phase: float
    camera_amount: float
    shake: tuple[float, ...]
    """Phases for the handheld shake."""
    sky: tuple[float, float]
    """Where the sun or moon stands (x, height above the horizon)."""


def composition(seed: int) -> Composition:
    """The layout for ``seed``; reads nothing else, by construction."""
    r = seeding.rng(seed, "composition")
    slots = tuple(
        tuple((float(x), float(s), float(v)) for x, s, v in r.random((LAYER_SLOTS, 3)))
        for _ in range(3)
    )
    return Composition(
        seed=seed,
        horizon=float(r.uniform(0.5, 0.64)),
        slots=slots,
        subject_x=float(r.uniform(0.34, 0.6)),
        subject_y=float(r.uniform(0.22, 0.4)),
        direction=1 if r.random() < 0.5 else -1,
        camera_phase=float(r.uniform(0, 2 * np.pi)),
        camera_amount=float(r.uniform(0.8, 1.2)),
        shake=tuple(float(p) for p in r.uniform(0, 2 * np.pi, 8)),
        sky=(float(r.uniform(0.15, 0.85)), float(r.uniform(0.35, 0.75))),
    )


_DEFAULT_LIGHTING = {"space": "night", "interior": "candle", "underwater": "day"}
_DEFAULT_MOOD = {
    "night": "calm",
    "golden": "calm",
    "neon": "tense",
    "overcast": "dark",
    "candle": "calm",
}


# ----------------------------------------------------------------------------- scene


@dataclass(frozen=True)
class Scene:
    """One shot, fully decided: the renderer and the soundtrack read only this."""

    width: int
    height: int
    seconds: int
    fps: int
    seed: int
    analysis: prompting.PromptAnalysis
    composition: Composition
    setting: str
    lighting: str
    weather: str | None
    camera: str
    shot: str
    action: str
    style: str
    mood: str
    subject_kind: str | None
    palette: palette_mod.Palette
    title: str
    """Caption line one: subject and action."""
    subtitle: str
    """Caption line two: setting, camera, style."""

    @property
    def frame_count(self) -> int:
        return self.seconds * self.fps


def _label(phrase: str | None, kind: str) -> str:
    return (phrase or kind.replace("_", " ")).upper()


def build(prompt: str, seed: int, width: int, height: int, seconds: int, fps: int) -> Scene:
    """Decide the whole shot from the prompt (content) and the seed (composition)."""
    analysis = prompting.analyse(prompt)
    setting = analysis.setting_kind or DEFAULT_SETTING
    weather = analysis.weather
    grey = "overcast" if weather in ("rain", "fog") else "day"
    lighting = analysis.lighting_kind or _DEFAULT_LIGHTING.get(setting, grey)
    style = analysis.style_kind or ("synthwave" if lighting == "neon" else "storyboard")
    mood = analysis.mood or _DEFAULT_MOOD.get(lighting, "happy")
    action = analysis.action_kind or ("swim" if analysis.subject_kind == "fish" else "idle")
    camera = analysis.camera_kind or ("tracking" if action in TRAVELLING else "drift")
    if camera == "pan":
        camera = "pan_right" if composition(seed).direction > 0 else "pan_left"
    subject_words = analysis.subject or ""
    if subject_words:
        title = " · ".join((subject_words.upper(), _label(analysis.action, action)))
    else:  # no subject: the shot is about the place
        title = " · ".join(p for p in ("ESTABLISHING SHOT", (analysis.action or "").upper()) if p)
    subtitle = " · ".join(
        (
            _label(analysis.setting, "open " + setting if setting == "field" else setting),
            _label(analysis.camera or analysis.shot, camera),
            _label(analysis.style, style),
        )
    )
    return Scene(
        width=width,
        height=height,
        seconds=seconds,
        fps=fps,
        seed=seed,
        analysis=analysis,
        composition=composition(seed),
        setting=setting,
        lighting=lighting,
        weather=weather,
        camera=camera,
        shot=analysis.shot_kind or "medium",
        action=action,
        style=style,
        mood=mood,
        subject_kind=analysis.subject_kind,
        palette=palette_mod.palette(analysis, setting, lighting, style),
        title=title,
        subtitle=subtitle,
    )
