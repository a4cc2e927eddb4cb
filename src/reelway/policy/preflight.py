"""Prompt preflight: how a prompt will read as a shot, judged before any job is created.

The preflight endpoint and ``reelway lint`` both call :func:`review`; it is pure and cheap so it
can run on every keystroke.  The five elements come from :mod:`reelway.prompting`; the tables
below add only what a linter needs on top.  Every check is conservative, because a linter that
flags clean prompts gets ignored: a well-written prompt comes back with no findings.
docs/preflight.md documents each code, the tables and the score.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any, Literal

from reelway import prompting

Severity = Literal["info", "warning"]
Table = Mapping[str, tuple[str, ...]]

MAX_CHARACTERS, MAX_WORDS, MIN_WORDS = 1_000, 180, 8
SCENE_CHANGE_LIMIT, SECONDS_PER_SCENE_CHANGE = 2, 4
ELEMENT_POINTS, MODIFIER_POINTS, DETAIL_POINTS = 12, 5, 3
TECHNICAL_POINTS, TECHNICAL_CAP = 5, 25
PENALTY: Mapping[Severity, int] = {"warning": 10, "info": 3}
GRADES = ((85, "production"), (65, "good"), (40, "fair"), (0, "weak"))

MISSING_ADVICE: Mapping[str, str] = {
    "subject": 'Say who or what, specifically: "a golden retriever puppy", not "a dog".',
    "action": 'Describe movement and timing: "running through leaves, occasionally jumping".',
    "setting": 'Say where and when: "autumn park with orange maple trees, late afternoon".',
    "camera_lighting": 'Name the shot type, camera move and light: "tracking shot, warm golden '
    'hour sunlight, shallow depth of field".',
    "style": 'Name a mood, genre or look: "documentary style, naturalistic colors".',
}
MESSAGES: Mapping[str, str] = {
    "prompt_too_long": "The prompt is {characters:,} characters and {words} words; keep it under "
    f"{MAX_CHARACTERS:,} characters and {MAX_WORDS} words. Very long prompts can fail "
    "mid-pipeline: trim detail or split the idea into several clips.",
    "prompt_too_short": "The prompt is {words} word(s); use at least "
    f"{MIN_WORDS} and name the subject, action, setting, camera/lighting and style.",
    "too_many_scene_changes": "{changes} scene changes{per}; keep to {allowed}. Many cuts can "
    "fail mid-pipeline: split the story into separate clips.",
    "contradictory_instructions": 'Contradictory {name}: "{one}" and "{other}" in the same '
    "shot. Keep one, or put them in separate shots joined by a transition.",
    "missing_elements": "Missing {names}. {advice}",
    "vague_subject": '"{span}" is generic: describe it (breed, age, colour, clothing, size). '
    '"A golden retriever puppy" produces more predictable results than "a dog".',
    "violent_wording": '"{span}" may be read as violence, tripping moderation or rendering '
    'violent imagery. Constrain it ("family-friendly", "non-violent", "cartoon") or describe '
    "the sport or adventure instead.",
    "negative_phrasing": "Negated wording ({quoted}): video models often draw what a prompt "
    'names, negated or not. Say what should be there instead: "an empty street", not "no people".',
}
CODES = tuple(MESSAGES)
"""Every finding code, stable: clients branch on these, never on the messages."""

# Technical phrases that collide with prompting's setting words ("depth of field" is no field).
MASKS: Mapping[str, str] = {"depth of field": "depth of focus"}

ACTIONS_EXTRA: Table = {"action": (
    "play", "bat", "roll", "toss", "throw", "catch", "kick", "eat", "drink", "cook", "pour",
    "sing", "paint", "build", "explore", "splash", "crawl", "sniff", "dig", "pounce", "stretch",
    "yawn", "turn", "shake", "bloom", "melt", "grow", "hug", "wag", "flow", "fight", "battle",
    "duel", "wrestle", "flip", "stir", "chop", "crash", "lean", "hold", "carry", "shine", "glow",
    "flicker", "sparkle",
)}  # fmt: skip
TECHNICAL: Table = {  # each kind scores once: "close-up" and "extreme close-up" are one idea
    "close_up": ("close-up", "closeup", "extreme close-up", "macro shot"),
    "medium": ("medium shot", "mid shot", "medium close-up"),
    "wide": ("wide shot", "extreme wide shot", "establishing shot"),
    "moving": ("tracking shot", "tracking", "steadicam", "dolly shot", "dolly in", "dolly out",
               "panning", "whip pan", "tilt up", "tilt down", "crane shot", "orbit shot"),
    "aerial": ("aerial shot", "aerial view", "drone shot", "overhead shot", "bird's-eye view"),
    "handheld": ("handheld camera", "handheld shot", "hand-held camera", "shaky cam"),
    "static": ("static shot", "static camera", "locked-off"),
    "angle": ("eye-level", "low angle", "high angle", "dutch angle", "over-the-shoulder", "pov"),
    "focus": ("shallow depth of field", "depth of field", "deep focus", "rack focus", "bokeh"),
    "speed": ("slow motion", "slow-mo", "time-lapse", "timelapse", "hyperlapse"),
    "lens": ("lens", "telephoto", "anamorphic", "fisheye"),
    "grading": ("color grading", "colour grading", "color graded", "colour graded"),
}  # fmt: skip
TECHNICAL_PATTERNS: Mapping[str, re.Pattern[str]] = {
    "frame_rate": re.compile(r"(\b\d{2,3}\s?fps\b|\b\d{2,3} frames per second\b)", re.I),
    "focal_length": re.compile(r"(\b\d{2,3}\s?mm\b)", re.I),
    "aperture": re.compile(r"(\bf/\d+(?:\.\d)?)", re.I),
}
LIGHTING_EXTRA: Table = {"light": (
    "sunlight", "backlit", "backlighting", "silhouette", "long shadows", "shadows", "god rays",
    "volumetric light", "lens flare", "chiaroscuro", "high key", "low key",
)}  # fmt: skip
STYLES_EXTRA: Table = {"style": (
    "naturalistic", "music video", "minimalist", "surreal", "dreamlike", "editorial",
    "commercial", "moody", "retro", "futuristic", "fantasy", "whimsical",
)}  # fmt: skip
_LIGHT_PHRASE = re.compile(r"\b([a-z][\w-]{2,})\s+(?:lighting|light)\b", re.I)
_STYLE_PHRASE = re.compile(r"\b([a-z][\w-]{2,})\s+(?:style|mood|aesthetic|look|vibe|feel)\b", re.I)

SCENE_TRANSITIONS: Table = {"transition": (
    "then", "cut to", "smash cut", "jump cut", "next scene", "new scene", "after that",
    "afterwards", "afterward", "suddenly", "meanwhile", "later", "transition to", "fade to",
    "dissolve to", "switch to", "scene change",
)}  # fmt: skip
_SHOT_LABEL = re.compile(r"\b(?:shot|scene)\s*#?\s*(\d{1,2})\b", re.I)

_COLOURFUL = tuple(f"{a} {c}" for a in ("vibrant", "vivid", "saturated", "bright", "bold",
                   "rainbow", "full") for c in ("color", "colour"))  # fmt: skip
# (what conflicts, one side, the other side): only directions that cannot share one shot.
CONTRADICTIONS: tuple[tuple[str, tuple[str, ...], tuple[str, ...]], ...] = (
    ("time of day", ("daytime", "broad daylight", "midday", "noon", "sunny", "sunshine"),
     ("night", "nighttime", "midnight", "moonlit", "night sky")),
    ("sun position", ("sunrise", "dawn", "daybreak"), ("sunset", "dusk", "nightfall")),
    ("playback speed", ("slow motion", "slow-mo", "slowmo"),
     ("time-lapse", "timelapse", "hyperlapse", "fast motion", "fast-forward", "sped up")),
    ("camera movement",
     ("static camera", "static shot", "locked-off", "fixed camera", "stationary camera",
      "tripod shot", "camera does not move", "camera stays still"),
     ("tracking shot", "tracking camera", "camera track", "panning shot", "camera pan",
      "whip pan", "pan left", "pan right", "handheld camera", "handheld shot", "shaky cam",
      "dolly shot", "dolly in", "dolly out", "dolly zoom", "push in", "crane shot", "steadicam",
      "camera follow", "following shot", "camera move", "drone shot", "camera orbit")),
    ("colour",
     ("black and white film", "black and white footage", "black and white photography",
      "black and white style", "in black and white", "monochrome", "monochromatic",
      "grayscale", "greyscale", "b&w"),
     (*_COLOURFUL, "oversaturated", "technicolor")),
    ("framing", ("close-up", "closeup", "extreme close-up"),
     ("wide shot", "extreme wide shot", "establishing shot")),
    ("sound",
     ("silent film", "silent movie", "no sound", "no audio", "without sound", "without audio",
      "no soundtrack", "complete silence", "total silence"),
     ("dialogue", "dialog", "music", "soundtrack", "narration", "voiceover", "sound effects",
      "sing", "speak", "talk")),
)  # fmt: skip
# A shot that shows time passing, or moves between framings, may name both sides.
_TIME_PASSING = r"time[\s-]?lapse|hyperlapse|\b(?:from|until|till|turns? into|becomes?)\b"
CONTRADICTION_EXEMPTIONS: Mapping[str, str] = {
    "time of day": _TIME_PASSING, "sun position": _TIME_PASSING,
    "framing": r"\b(?:pull(?:s|ing)? (?:back|out)|zoom(?:s|ing)? (?:in|out)|dolly (?:in|out)"
    r"|push(?:es|ing)? in|reveal\w*|widen\w*|from)\b",
}  # fmt: skip

VIOLENT: Table = {"violent": (
    "fight", "battle", "explosion", "explode", "attack", "war", "warfare", "combat", "gunfight",
    "shootout", "stab", "kill", "blood", "bloody", "gore", "weapon", "gun", "brawl", "punch",
    "action scene", "massacre", "murder", "assault", "bomb", "sword fight",
)}  # fmt: skip
BENIGN_COMPOUNDS: Table = {"benign": (
    "pillow fight", "snowball fight", "food fight", "water fight", "tickle fight", "dance battle",
    "rap battle", "explosion of color", "explosion of colour", "water gun", "glue gun",
    "bath bomb", "fruit punch", "blood orange", "blood moon", "fireworks explode",
)}  # fmt: skip
SAFE_MODIFIERS: Table = {"safe": (
    "family-friendly", "kid-friendly", "child-friendly", "all-ages", "non-violent", "nonviolent",
    "bloodless", "cartoon", "cartoonish", "lighthearted", "slapstick", "playful", "g-rated",
)}  # fmt: skip
GENERIC_SUBJECTS: Table = {"generic": (
    "dog", "cat", "person", "people", "man", "woman", "child", "kid", "boy", "girl", "bird",
    "fish", "horse", "animal", "car", "robot", "thing", "object", "someone", "something",
    "creature", "vehicle", "guy",
)}  # fmt: skip
_POST_MODIFIERS = frozenset(("with", "wearing", "dressed", "who", "whose", "named", "called"))
_DETERMINERS = frozenset(("a", "an", "the", "one", "two", "three", "some", "several", "many"))
_STOP = _DETERMINERS | {"this", "that", "its", "his", "her", "their", "your", "and", "with",
                        "any", "of", "in", "on", "at", "to", "by", "from", "into"}  # fmt: skip
_NEGATION = re.compile(r"\b(?:no|not|without|never|avoid|(?:do not|don't) (?:show|include))\s+"
                       r"(?:(?:any|a|an|the)\s+)?([a-z][\w'-]*)", re.I)  # fmt: skip
_NEGATION_EXCEPTIONS = frozenset(("longer", "matter", "doubt", "only", "just", "less", "too", "so"))
_NEGATED_BEFORE = re.compile(r"\b(?:no|not|without|never|avoid)\s+(?:[\w'-]+\s+)?$", re.I)


@dataclass(frozen=True)
class Advice:
    """One thing to fix: a stable ``code``, advice for a person, and the words that caused it."""

    code: str
    message: str
    severity: Severity
    span: str | None = None


@dataclass(frozen=True)
class Stats:
    """Counts a reader can check the length and scene-change findings against."""

    characters: int
    words: int
    sentences: int
    scene_changes: int


@dataclass(frozen=True)
class Review:
    """The preflight's reading of one prompt; ``to_dict`` is its JSON form."""

    elements: dict[str, str | None]
    missing: tuple[str, ...]
    warnings: tuple[Advice, ...]
    score: int
    grade: str
    stats: Stats

    @property
    def codes(self) -> tuple[str, ...]:
        """The codes of ``warnings``, in order, for callers that only branch on them."""
        return tuple(f.code for f in self.warnings)

    def to_dict(self) -> dict[str, Any]:
        d = asdict(self)
        return {**d, "missing": list(self.missing), "warnings": list(d["warnings"])}


def _finding(code: str, severity: Severity, span: str | None = None, **fields: Any) -> Advice:
    return Advice(code, MESSAGES[code].format(span=span, **fields), severity, span)


def _negated(text: str, start: int) -> bool:
    return _NEGATED_BEFORE.search(text[max(0, start - 40) : start]) is not None


def _first(table: Table, text: str, unless: Table | None = None) -> prompting.Match | None:
    """The first match that is not negated nor part of an ``unless`` match ("no sound effects")."""
    taken = [(m.start, m.end) for m in prompting.find_all(unless, text)] if unless else []
    for m in prompting.find_all(table, text):
        if not _negated(text, m.start) and not any(s < m.end and m.start < e for s, e in taken):
            return m
    return None


def _extras(text: str, tables: tuple[Table, ...], *patterns: re.Pattern[str]) -> list[str]:
    """Phrases of ``tables`` and ``patterns`` in ``text``, in reading order."""
    found = [(m.start, m.text) for t in tables for m in prompting.find_all(t, text)]
    for pattern in patterns:
        found += [(m.start(), m[0]) for m in pattern.finditer(text) if m[1].lower() not in _STOP]
    return [phrase for _, phrase in sorted(found)]


def _join(base: str | None, extras: list[str]) -> str | None:
    """``base`` plus the extra phrases it does not already contain."""
    parts = [p for p in (base or "").split(", ") if p]
    for phrase in extras:
        if not any(phrase.lower() in p.lower() or p.lower() in phrase.lower() for p in parts):
            parts.append(phrase)
    return ", ".join(parts) or None


def _read(text: str) -> tuple[prompting.PromptAnalysis, dict[str, str | None], bool]:
    """The five elements (prompting's reading, completed by the tables above); lit or not."""
    masked = text
    for phrase, mask in MASKS.items():
        masked = re.sub(r"[\s-]+".join(map(re.escape, phrase.split())), mask, masked, flags=re.I)
    a = prompting.analyse(masked)
    elements = a.elements
    if elements["action"] is None and (action := _first(ACTIONS_EXTRA, text)) is not None:
        elements["action"] = action.text
    light = _extras(text, (LIGHTING_EXTRA,), _LIGHT_PHRASE)
    camera = _extras(text, (TECHNICAL,), *TECHNICAL_PATTERNS.values())
    elements["camera_lighting"] = _join(a.camera_lighting, sorted(camera + light, key=text.find))
    if elements["style"] is None:
        elements["style"] = _join(None, _extras(text, (STYLES_EXTRA,), _STYLE_PHRASE)[:1])
    return a, elements, bool(a.lighting or light)


def _scene_changes(text: str) -> tuple[int, list[str], list[str]]:
    """How many times the prompt changes scene, the words that do it, and the shots between."""
    marks = [(m.start, m.end, m.text) for m in prompting.find_all(SCENE_TRANSITIONS, text)]
    labels = list(_SHOT_LABEL.finditer(text))
    numbers = {int(m[1]) for m in labels}
    from_labels = max(len(numbers) - 1, min(max(numbers, default=1), 10) - 1, 0)
    cuts = sorted([*marks, *((m.start(), m.end(), m[0]) for m in labels)])
    bounds = [0, *(i for start, end, _ in cuts for i in (start, end)), len(text)]
    shots = [text[bounds[i] : bounds[i + 1]] for i in range(0, len(bounds), 2)]
    return len(marks) + from_labels, [c[2] for c in cuts], shots


def _size(stats: Stats, seconds: int | None, cuts: list[str]) -> list[Advice]:
    """Length and scene changes: what makes a prompt fail mid-pipeline."""
    found: list[Advice] = []
    if stats.characters > MAX_CHARACTERS or stats.words > MAX_WORDS:
        found.append(_finding("prompt_too_long", "warning", **asdict(stats)))
    if stats.words < MIN_WORDS:
        found.append(_finding("prompt_too_short", "warning", words=stats.words))
    allowed = SCENE_CHANGE_LIMIT if seconds is None else max(1, seconds // SECONDS_PER_SCENE_CHANGE)
    if stats.scene_changes > allowed:
        per = "" if seconds is None else f" for {seconds} s of video"
        rate = "" if seconds is None else f" (about one per {SECONDS_PER_SCENE_CHANGE} s)"
        fields = {"changes": stats.scene_changes, "per": per, "allowed": f"{allowed}{rate}"}
        found.append(_finding("too_many_scene_changes", "warning", cuts[0], **fields))
    return found


def _contradictions(shots: list[str]) -> list[Advice]:
    found: dict[str, Advice] = {}
    for shot in shots:
        for name, one, other in CONTRADICTIONS:
            exempt = CONTRADICTION_EXEMPTIONS.get(name)
            if name in found or (exempt and re.search(exempt, shot, re.I)):
                continue
            a, b = _first({"a": one}, shot, {"b": other}), _first({"b": other}, shot, {"a": one})
            if a is not None and b is not None:
                span = min(a, b, key=lambda m: m.start).text
                fields = {"name": name, "one": a.text, "other": b.text}
                found[name] = _finding("contradictory_instructions", "warning", span, **fields)
    return list(found.values())


def _missing(missing: tuple[str, ...]) -> list[Advice]:
    labels = ", ".join(name.replace("_", "/") for name in missing)
    advice = " ".join(f"{n.replace('_', '/').capitalize()}: {MISSING_ADVICE[n]}" for n in missing)
    severity: Severity = "warning" if len(missing) >= 3 else "info"
    return [_finding("missing_elements", severity, names=labels, advice=advice)] if missing else []


def _vague_subject(text: str, subject: str | None) -> list[Advice]:
    words = [w for w in (subject or "").lower().split() if w not in _DETERMINERS]
    generic = prompting.find(GENERIC_SUBJECTS, words[0]) if len(words) == 1 else None
    if subject is None or generic is None or generic.text != words[0]:
        return []
    # prompting stops a subject's modifiers at a style word ("red vintage car"), and never
    # reads past the noun ("a man in a red coat"): look both ways before calling it generic.
    before = re.search(rf"([\w'-]+)\s+{re.escape(subject)}(?!\w)", text)
    after = re.search(rf"(?<!\w){re.escape(subject)}((?:\s+[\w'-]+){{1,4}})", text)
    following = after[1].lower().split() if after else []
    if (before and before[1].lower() not in _STOP) or (
        following and (following[0] in _POST_MODIFIERS or set(following) & set(prompting.COLOURS))
    ):
        return []
    return [_finding("vague_subject", "info", subject)]


def _violence(text: str) -> list[Advice]:
    if prompting.find(SAFE_MODIFIERS, text) is not None:
        return []
    benign = [(m.start, m.end) for m in prompting.find_all(BENIGN_COMPOUNDS, text)]
    for m in prompting.find_all(VIOLENT, text):
        if not _negated(text, m.start) and not any(s <= m.start < e for s, e in benign):
            return [_finding("violent_wording", "warning", m.text)]
    return []


def _negations(text: str) -> list[Advice]:
    spans = [m[0] for m in _NEGATION.finditer(text) if m[1].lower() not in _NEGATION_EXCEPTIONS]
    quoted = ", ".join(f'"{s}"' for s in spans)
    return [_finding("negative_phrasing", "info", spans[0], quoted=quoted)] if spans else []


def review(prompt: str, *, seconds: int | None = None) -> Review:
    """Read ``prompt`` as a shot: its elements, what to fix, and a 0-100 score with a grade.

    ``seconds`` (the requested duration) scales how many scene changes are reasonable.
    """
    text = " ".join(prompt.split())
    a, elements, lighting = _read(text)
    missing = tuple(name for name, words in elements.items() if words is None)
    changes, cuts, shots = _scene_changes(text)
    words = len(re.findall(r"[\w'’&/-]+", text))
    sentences = len([s for s in re.split(r"[.!?]+(?:\s|$)", text) if s.strip()])
    stats = Stats(len(text), words, sentences, changes)
    findings = [*_size(stats, seconds, cuts), *_contradictions(shots), *_missing(missing)]
    findings += [*_vague_subject(text, a.subject), *_violence(text), *_negations(text)]

    technical = {m.kind for m in prompting.find_all(TECHNICAL, text)}
    technical |= {kind for kind, p in TECHNICAL_PATTERNS.items() if p.search(text)}
    subject_words = [w for w in (a.subject or "").lower().split() if w not in _DETERMINERS]
    points = ELEMENT_POINTS * (len(elements) - len(missing))
    points += MODIFIER_POINTS * (len(subject_words) >= 2)
    points += min(TECHNICAL_CAP, TECHNICAL_POINTS * len(technical))
    points += DETAIL_POINTS * sum((bool(a.colours), lighting, bool(a.weather), bool(a.mood)))
    points -= sum(PENALTY[f.severity] for f in findings)
    score = max(0, min(100, points))
    grade = next(name for floor, name in GRADES if score >= floor)
    if grade == "production" and any(f.severity == "warning" for f in findings):
        grade = "good"  # a prompt that may fail mid-pipeline is not production-ready
    return Review(elements, missing, tuple(findings), score, grade, stats)
