"""Prompt + seed -> a scene description the renderer and the soundtrack draw from.

The split between the two inputs is what makes remix work: ``composition`` reads only the
seed (where the layers' objects stand, where the subject starts, which way things move, the
shape of the camera path) and everything else reads only the prompt (palette, setting,
subject, action, captions).  A remix keeps the seed, so it keeps the composition and swaps
the content.

A remix or an edit also keeps the source's content where the new prompt is silent: both
prompts are analysed and ``merge`` takes the new prompt's element wherever it states one, the
source's elsewhere ("the same shot at night" keeps the beach and the fox).  An extension is a
scene that ``follows`` the source's: its frames continue the source's timeline.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass

import numpy as np

from reelway import prompting
from reelway.engines.animatic import figures, seeding
from reelway.engines.animatic import negative as negative_mod
from reelway.engines.animatic import palette as palette_mod

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


_DEFAULT_ACTION = {"air": "fly", "hover": "float", "water": "swim"}
"""What a family does when the prompt names no action: a bird flies, a fish swims."""
_DEFAULT_SETTING = {"sky": "space", "water": "underwater", "surface": "ocean"}
_FAMILY_SETTING = {"market": "city"}
"""Where a family stands when the prompt names no place: a market in a street."""

_DEFAULT_LIGHTING = {"space": "night", "interior": "candle", "underwater": "day"}
_NIGHT_SKY = frozenset(("moon", "full_moon", "star"))
"""Families that mean night when no lighting word is given ("a wolf howls at the full moon"),
where a day sky would put the scene's own sun beside them."""
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
    """The subject's family (``figures.FAMILIES``), or a character's figure class."""
    palette: palette_mod.Palette
    title: str
    """Caption line one: subject and action."""
    subtitle: str
    """Caption line two: setting, camera, style."""
    follows: Scene | None = None
    """For an extension: the source's scene, whose timeline this one continues (its frame
    0 comes right after the source's last frame)."""
    character: Look | None = None
    """A character's look from its clip, when the prompt names it: it is the subject."""
    companion: Look | None = None
    """A second named character, or the prompt's second subject ("a cat and a dog"): drawn
    beside the subject, moving with it (or carrying it, when ``pairing`` is "riding")."""
    companion_colour: tuple[int, int, int] | None = None
    """The companion's colour as this shot's light and style show it."""
    pairing: str = "beside"
    """How the companion goes with the subject (``prompting.PAIRINGS``): "beside" (a step
    behind it), "ahead" (a step ahead: the subject chases it) or "riding" (the companion is
    the subject's mount: ``subject_kind`` is then the mount's family, which carries the rider
    and leads the motion, and the rider is the analysis's subject)."""
    left_out: frozenset[str] = frozenset()
    """Scenery drawings a negative prompt named (``negative.DRAWINGS``): not drawn."""
    loop: bool = False
    """Every motion is periodic over the clip, so its last frame flows into its first."""
    figure: Figure = dataclasses.field(default_factory=lambda: Figure())
    """How the subject's drawing varies: markings, how many, the word on a sign."""

    @property
    def frame_count(self) -> int:
        return self.seconds * self.fps

    @property
    def start_frame(self) -> int:
        """Frames of the timeline before this scene's first (the source's, for an extension)."""
        return 0 if self.follows is None else self.follows.start_frame + self.follows.frame_count

    @property
    def audio_key(self) -> str:
        """What seeds the soundtrack's key and phases: the first scene's prompt, so an
        extension continues the source's music instead of starting another piece."""
        return self.analysis.prompt if self.follows is None else self.follows.audio_key


@dataclass(frozen=True)
class Figure:
    """The subject's drawing beyond its family: what the prompt's modifiers ask for."""

    pattern: str | None = None
    """``figures.patterns.PATTERNS``: calico, striped, tabby, spotted, metallic, glowing."""
    count: int = 1
    label: str | None = None
    """The noun a labelled sign shows (the fallback for a subject with no drawing)."""


@dataclass(frozen=True)
class Look:
    """A character as the renderer draws it: a name, a figure class and colours."""

    name: str
    kind: str
    """A ``sprites`` figure class, from the clip's silhouette."""
    colour: tuple[int, int, int]
    """The character's dominant colour."""
    size: float = 1.0
    """Relative figure size (1: the class's usual size)."""


def _label(phrase: str | None, kind: str) -> str:
    return (phrase or kind.replace("_", " ")).upper()


def _head(phrase: str | None) -> str:
    """A phrase's last word, lower-cased ('red fox' -> 'fox')."""
    words = (phrase or "").lower().split()
    return words[-1] if words else ""


def merge(
    source: prompting.PromptAnalysis, new: prompting.PromptAnalysis
) -> prompting.PromptAnalysis:
    """The source's scene with what ``new`` states: each element from ``new`` where it names
    one, from ``source`` elsewhere.

    Only a subject the tables know replaces the source's ("the same shot at night" names no
    subject), and a colour the new prompt gives without a subject colours the subject ("make
    the fox blue").
    """
    text = " ".join(new.prompt.split())
    keep: dict[str, object] = {}
    # A bare colour is the subject's unless the prompt has a place or light it may describe
    # ("under a blue sky", "golden hour").
    bare = new.setting_kind is None and new.lighting_kind is None
    implied = new.colours[0] if new.colours and bare else None
    if new.subject_kind is not None and prompting.find(prompting.SUBJECTS, text) is not None:
        same = _head(new.subject) == _head(source.subject)
        keep.update({f: getattr(new, f) for f in _SUBJECT_FIELDS})
        keep["subject_colour"] = (
            new.subject_colour or implied or (source.subject_colour if same else None)
        )
    else:
        keep.update({f: getattr(source, f) for f in _SUBJECT_FIELDS})
        keep["subject_colour"] = implied or source.subject_colour
        if new.subject_pattern:  # "make it striped"
            keep["subject_pattern"] = new.subject_pattern
    pairs = (
        ("action", "action_kind"),
        ("setting", "setting_kind"),
        ("camera", "camera_kind"),
        ("shot", "shot_kind"),
        ("lighting", "lighting_kind"),
        ("style", "style_kind"),
    )
    for phrase, kind in pairs:
        stated = getattr(new, kind) is not None
        chosen = new if stated else source
        keep[phrase], keep[kind] = getattr(chosen, phrase), getattr(chosen, kind)
    keep["weather"] = new.weather or source.weather
    keep["mood"] = new.mood or source.mood
    keep["colours"] = new.colours or source.colours
    return dataclasses.replace(new, **keep)  # type: ignore[arg-type]


_SUBJECT_FIELDS = (
    "subject", "subject_kind", "subject_family", "subject_pattern", "subject_size",
    "subject_count", "second_subject", "second_family", "pairing",
)  # fmt: skip
"""What a remix takes together from one prompt: the subject, its modifiers and a second
subject joined to it."""

SCENE_TAG = "synopsis"
"""The MP4 metadata tag a render records its scene in (ldes): a later remix, edit or
extension of the file reads the whole scene back, even when the file's own prompt said only
what its step changed ("now at night")."""
_SCENE_MARK = "reelway-scene/1 "


def describe(analysis: prompting.PromptAnalysis) -> str:
    """The scene as the tag stores it: the analysis, as JSON after a marker."""
    return _SCENE_MARK + json.dumps(dataclasses.asdict(analysis), separators=(",", ":"))


def recall(text: str | None) -> prompting.PromptAnalysis | None:
    """The analysis ``describe`` stored, or None for anything else (another tool's tag)."""
    if not text or not text.startswith(_SCENE_MARK):
        return None
    try:
        fields = json.loads(text[len(_SCENE_MARK) :])
        fields["colours"] = tuple(fields["colours"])
        return prompting.PromptAnalysis(**fields)
    except (ValueError, TypeError, KeyError):
        return None


def build(
    prompt: str,
    seed: int,
    width: int,
    height: int,
    seconds: int,
    fps: int,
    *,
    source_prompt: str | None = None,
    source_seconds: int | None = None,
    character: Look | None = None,
    source_scene: prompting.PromptAnalysis | None = None,
    companion: Look | None = None,
    negative: str | None = None,
    loop: bool = False,
) -> Scene:
    """Decide the whole shot from the prompt (content) and the seed (composition).

    ``source_prompt``: a remix, edit or extension keeps that prompt's scene and applies this
    one's changes; ``source_scene`` (read back from the source file's tag) does the same,
    better.  ``source_seconds``: an extension, whose timeline starts where a source of that
    length (rendered from that scene, or this prompt) ended.  ``negative``: what the scene
    leaves out (``negative.py``); ``loop``: make every motion periodic over the clip.
    """
    avoid = negative_mod.terms(negative)
    analysis = prompting.analyse(negative_mod.cut(prompt, avoid) if avoid else prompt)
    source = source_scene
    if source is None and source_prompt:
        source = prompting.analyse(source_prompt)
    if source is not None:
        analysis = merge(source, analysis)
    if avoid:
        analysis = negative_mod.drop(analysis, avoid, prompting.analyse(prompt))
    follows = None
    if source_seconds:
        before = source or prompting.analyse(prompt)
        follows = _decide(
            before, seed, width, height, source_seconds, fps, None, character, companion
        )
    scene = _decide(analysis, seed, width, height, seconds, fps, follows, character, companion)
    if avoid or loop:
        scene = dataclasses.replace(scene, left_out=negative_mod.left_out(avoid), loop=loop)
    return scene


def _decide(
    analysis: prompting.PromptAnalysis,
    seed: int,
    width: int,
    height: int,
    seconds: int,
    fps: int,
    follows: Scene | None,
    character: Look | None,
    companion: Look | None = None,
) -> Scene:
    second = _second_look(analysis) if character is None and analysis.subject else None
    pairing = (analysis.pairing or "beside") if second is not None else "beside"
    family = analysis.subject_family or analysis.subject_kind
    if pairing == "riding" and second is not None:
        family = second.kind  # the mount carries the rider: it walks, gallops or flies
    mode = figures.spec(family).mode if family else "ground"
    setting = (
        analysis.setting_kind
        or _FAMILY_SETTING.get(family or "")
        or _DEFAULT_SETTING.get(mode, DEFAULT_SETTING)
    )
    weather = analysis.weather
    grey = "overcast" if weather in ("rain", "fog") else "day"
    lighting = analysis.lighting_kind or (
        "night" if _names_night_sky(analysis) else _DEFAULT_LIGHTING.get(setting, grey)
    )
    style = analysis.style_kind or ("synthwave" if lighting == "neon" else "storyboard")
    mood = analysis.mood or _DEFAULT_MOOD.get(lighting, "happy")
    action = analysis.action_kind or _DEFAULT_ACTION.get(mode, "idle")
    camera = analysis.camera_kind or ("tracking" if action in TRAVELLING else "drift")
    if camera == "pan":
        camera = "pan_right" if composition(seed).direction > 0 else "pan_left"
    subject_words = analysis.subject or ""
    if second is not None:
        joint = " on " if pairing == "riding" else " & "
        subject_words += joint + second.name
        companion = second
    if character is not None:
        subject_words = character.name
        if companion is not None:
            subject_words += " & " + companion.name
        analysis = dataclasses.replace(
            analysis, subject=character.name, subject_kind=character.kind
        )
        family = character.kind
    if subject_words and not analysis.action and action == "idle":
        title = subject_words.upper()  # a lighthouse is not "idle"
    elif subject_words:
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
        subject_kind=family,
        figure=_figure(analysis, character),
        palette=palette_mod.palette(
            analysis, setting, lighting, style, character.colour if character else None
        ),
        title=title,
        subtitle=subtitle,
        follows=follows,
        character=character,
        companion=companion if character is not None or second is not None else None,
        companion_colour=(
            palette_mod.figure(companion.colour, lighting, style)
            if companion is not None and (character is not None or second is not None)
            else None
        ),
        pairing=pairing,
    )


def _second_look(analysis: prompting.PromptAnalysis) -> Look | None:
    """The prompt's second subject as the renderer draws it: its family, its colour (the
    prompt's for it, else its noun's or family's usual one) and its noun's size."""
    phrase, family = analysis.second_subject, analysis.second_family
    if not phrase or family is None:
        return None
    colours = prompting.find_all(prompting.COLOURS_TABLE, phrase)
    size = prompting.find(prompting.SIZES, phrase)
    alone = dataclasses.replace(
        analysis,
        subject=phrase,
        subject_family=family,
        subject_colour=colours[-1].kind if colours else None,
        subject_size=size.kind if size else None,
    )
    colour = palette_mod.subject_colour(alone)
    return Look(phrase, family, colour, palette_mod.noun_look(alone)[1])


def _names_night_sky(analysis: prompting.PromptAnalysis) -> bool:
    """The prompt names a moon or the stars anywhere, as its subject or as scenery."""
    named = prompting.find_all(prompting.FAMILIES, analysis.prompt)
    return any(m.kind in _NIGHT_SKY for m in named)


def _figure(analysis: prompting.PromptAnalysis, character: Look | None) -> Figure:
    """The drawing's modifiers: the prompt's, or the noun's usual markings (a tiger's
    stripes); a sign shows its noun (a character drawn as a sign, its name)."""
    if character is not None:
        label = character.name if figures.family(character.kind) == "sign" else None
        return Figure(label=label)
    label = None
    if figures.family(analysis.subject_family or analysis.subject_kind) == "sign":
        label = _head(analysis.subject) or None
    pattern = analysis.subject_pattern or palette_mod.noun_pattern(analysis)
    return Figure(pattern=pattern, count=analysis.subject_count, label=label)
