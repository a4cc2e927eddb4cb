"""Read a video prompt as the five elements a shot needs: subject, action, setting,
camera/lighting and style.

Good video prompts name all five; the animatic engine draws them and a prompt linter can point
at the missing ones.  This module and ``vocabulary`` are leaves (standard library only) so
both can share them.  The keyword tables are plain data in ``vocabulary`` (re-exported here);
matching is case-insensitive, on word boundaries, and accepts the common inflections of each
word (plurals, -ing, -ed) without a stemmer.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from reelway.vocabulary import (
    _PLURALS,
    ACTIONS,
    CAMERAS,
    COLOURS,
    COUNTS,
    ELEMENTS,
    FAMILIES,
    FAMILY_KIND,
    LIGHTING,
    MOODS,
    MOUNTS,
    PAIRINGS,
    PATTERNS,
    RIDERS,
    SETTINGS,
    SHOTS,
    SIZES,
    STYLES,
    SUBJECTS,
    WEATHER,
)

COLOURS_TABLE: Mapping[str, tuple[str, ...]] = {name: (name,) for name in COLOURS}
_CONTENT_TABLES = (ACTIONS, SETTINGS, CAMERAS, SHOTS, LIGHTING, STYLES, MOODS, WEATHER)
_NOUN_VERB_TABLES = (SUBJECTS, ACTIONS, SETTINGS, CAMERAS, SHOTS, STYLES)

_STOP = frozenset(
    (
        "a", "an", "the", "of", "in", "on", "at", "with", "and", "or", "but", "through", "across",
        "over", "under", "by", "to", "from", "into", "onto", "his", "her", "their", "its", "this",
        "that", "these", "those", "is", "are", "was", "were", "while", "as", "who", "which", "near",
        "along", "around", "behind", "beside", "between", "above", "below", "during", "for",
    )
)  # fmt: skip


@dataclass(frozen=True)
class PromptAnalysis:
    """What a prompt says about each element: the phrase it used (or None) and its class."""

    prompt: str
    subject: str | None
    action: str | None
    setting: str | None
    camera: str | None
    shot: str | None
    lighting: str | None
    style: str | None
    subject_kind: str | None
    action_kind: str | None
    setting_kind: str | None
    camera_kind: str | None
    shot_kind: str | None
    lighting_kind: str | None
    weather: str | None
    style_kind: str | None
    mood: str | None
    colours: tuple[str, ...]
    subject_colour: str | None
    subject_family: str | None = None
    """The subject's family (``FAMILIES``): what the animatic draws."""
    subject_pattern: str | None = None
    """Markings on the subject (``PATTERNS``): calico, striped, spotted, glowing..."""
    subject_size: str | None = None
    """"tiny" or "giant" when the prompt says so (``SIZES``)."""
    subject_count: int = 1
    """How many of the subject ("three birds", "a pair of swans", "wolves")."""
    second_subject: str | None = None
    """A second subject the prompt joins to the first ("a cat and a dog", "a cowboy riding a
    horse"): its phrase, so the animatic draws both."""
    second_family: str | None = None
    """The second subject's family (``FAMILIES``)."""
    pairing: str | None = None
    """How the two go (``PAIRINGS``): "riding" (the subject rides the second), "ahead" (the
    subject chases or follows it, so it goes first), "beside" (together)."""

    @property
    def camera_lighting(self) -> str | None:
        """The fourth element: camera move, framing and light, as the prompt put them."""
        parts = [p for p in (self.camera, self.shot, self.lighting) if p]
        return ", ".join(parts) if parts else None

    @property
    def elements(self) -> dict[str, str | None]:
        """The five elements by name (see ``ELEMENTS``)."""
        return {
            "subject": self.subject,
            "action": self.action,
            "setting": self.setting,
            "camera_lighting": self.camera_lighting,
            "style": self.style,
        }

    @property
    def missing(self) -> tuple[str, ...]:
        """Elements the prompt does not name, for a linter to ask about."""
        return tuple(name for name, phrase in self.elements.items() if phrase is None)


@dataclass(frozen=True)
class Match:
    """One keyword found in a prompt."""

    kind: str
    text: str
    start: int
    end: int


def _inflect(word: str) -> str:
    """A regex for a word and its cheap inflections: fox/foxes, city/cities, run/running."""
    if len(word) < 3 or not word.isalpha():
        return re.escape(word)
    if word.endswith("e"):
        return re.escape(word[:-1]) + "(?:e|es|ed|ing)"
    if word.endswith("y") and word[-2] not in "aeiou":
        return re.escape(word[:-1]) + "(?:y|ies|ied|ying)"
    last = word[-1]
    doubled = ""
    if last not in "aeiouwxy" and word[-2] in "aeiou" and word[-3] not in "aeiou":
        doubled = f"|{last}ing|{last}ed|{last}er"
    return re.escape(word) + f"(?:s|es|ed|ing{doubled})?"


def _phrase(phrase: str) -> str:
    words = phrase.lower().replace("-", " ").split()
    return r"[\s-]+".join(_inflect(w) for w in words)


@cache
def _compiled(table: tuple[tuple[str, tuple[str, ...]], ...]) -> _Table:
    return _Table(table)


class _Table:
    """One keyword table compiled into a single regex; the leftmost, then longest, match wins."""

    def __init__(self, table: tuple[tuple[str, tuple[str, ...]], ...]) -> None:
        entries = sorted(
            ((phrase, kind) for kind, phrases in table for phrase in phrases),
            key=lambda e: -len(e[0]),
        )
        self._kinds = [kind for _, kind in entries]
        alternatives = "|".join(f"(?P<k{i}>{_phrase(p)})" for i, (p, _) in enumerate(entries))
        self._regex = re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)

    def finditer(self, text: str) -> list[Match]:
        return [
            Match(self._kinds[int(m.lastgroup[1:])], m.group(0), m.start(), m.end())
            for m in self._regex.finditer(text)
            if m.lastgroup is not None
        ]


def find_all(table: Mapping[str, tuple[str, ...]], text: str) -> list[Match]:
    """Every non-overlapping keyword of ``table`` in ``text``, left to right."""
    frozen = tuple((kind, tuple(phrases)) for kind, phrases in table.items())
    return _compiled(frozen).finditer(text)


def find(table: Mapping[str, tuple[str, ...]], text: str) -> Match | None:
    """The first keyword of ``table`` in ``text``, or None."""
    found = find_all(table, text)
    return found[0] if found else None


def _with_modifiers(text: str, match: Match, blocked: list[Match], limit: int = 2) -> str:
    """Extend a noun match leftwards by up to ``limit`` modifiers: 'fox' -> 'red fox'.

    Words that other tables claim (an action verb, another noun) end the phrase, so
    'whale swims under the sea' gives the setting 'under the sea', not the whole clause.
    """
    words: list[str] = []
    head = text[: match.start]
    for _ in range(limit):
        m = re.search(r"([A-Za-z0-9][\w'&-]*)\s+$", head)
        if m is None or m.group(1).lower() in _STOP:
            break
        if any(b.start < m.end(1) and m.start(1) < b.end for b in blocked):
            break
        words.insert(0, m.group(1))
        head = head[: m.start()]
    return " ".join([*words, match.text])


def _fallback_subject(text: str, blocked: list[Match]) -> str | None:
    """'A teapot spinning ...' names a subject no table knows: take the opening noun phrase."""
    m = re.match(
        r"\s*(?:a|an|the|one|two|three)\s+([A-Za-z][\w'-]*)(?:\s+([A-Za-z][\w'-]*))?", text, re.I
    )
    if m is None:
        return None
    taken: list[str] = []
    for group in (1, 2):
        word, start = m.group(group), m.start(group)
        if word is None or word.lower() in _STOP or any(b.start <= start < b.end for b in blocked):
            break
        if group == 1 and word.lower() in _NOT_THINGS:
            return None  # "the same forest", "the scene comes alive": no new subject
        if group == 2 and word.lower().endswith("s") and not taken[0].lower().endswith("s"):
            break  # "the beam sweeps": a verb, not the second word of the noun
        taken.append(word)
    return " ".join(taken) if taken else None


_NOT_THINGS = frozenset(
    (
        "same", "scene", "shot", "camera", "view", "whole", "entire", "new", "next", "other",
        "story", "moment", "frame", "video", "clip", "image", "picture", "sequence", "montage",
        "footage", "film", "movie", "animation", "final", "first", "last", "following",
    )
)  # fmt: skip
"""Opening words that do not name a thing to draw."""


def _named_subject(text: str, actions: list[Match]) -> Match | None:
    """A capitalised name that opens a clause right before its verb ("Mossy hops across a
    stream", "At dawn, Captain Moss walks on"): the subject, as a "sign" (no drawing of its
    own).  Words another table claims ("Snow falls"), pronouns and the like are not names."""
    if not actions:
        return None
    verb = actions[0]
    m = re.search(r"(?:^|[.;:!?,]\s*)((?:[A-Z][\w'-]*\s+)?[A-Z][\w'-]*)\s+$", text[: verb.start])
    if m is None:
        return None
    words = m.group(1).split()
    if any(w.lower() in _STOP or w.lower() in _NOT_NAMES for w in words):
        return None
    if not _agrees_with_one(verb.text.split()[0].lower(), words[-1]):
        return None  # "Leaves fall", "Waves crashed": a plural noun, not somebody's name
    found = Match("sign", m.group(1), m.start(1), m.end(1))
    tables = (*_CONTENT_TABLES, FAMILIES, COLOURS_TABLE, PATTERNS, SIZES, COUNTS)
    if any(_overlaps(found, o) for t in tables for o in find_all(t, text)):
        return None
    return found


def _agrees_with_one(verb: str, name: str) -> bool:
    """The verb is written for one subject: "hops", or a past tense after a word that does not
    look plural ("Mossy hopped", not "Leaves drifted")."""
    if verb.endswith("s") and not verb.endswith("ss"):
        return True
    return verb.endswith("ed") and not name.lower().endswith("s")


_NOT_NAMES = frozenset(
    (
        "i", "you", "he", "she", "it", "we", "they", "everything", "everyone", "everybody",
        "something", "someone", "somebody", "nothing", "nobody", "anything", "anyone", "all",
        "then", "now", "here", "there", "suddenly", "slowly", "quickly", "gently", "finally",
        "later", "soon", "still", "each", "both", "what", "when", "where", "why",
        "how", "one", "no", "not", "just", "only", "also", "again", "camera", "scene", "shot",
    )
)  # fmt: skip
"""Capitalised words before a verb that are not a name ("It spins", "Suddenly it falls")."""


def _subject_match(text: str) -> Match | None:
    """The first subject noun, skipping "couple" in "a couple of" (a count, not people)."""
    for m in find_all(FAMILIES, text):
        if m.text.lower() == "couple" and re.match(r"\s+of\b", text[m.end :], re.I):
            continue
        return m
    return None


def _before(text: str, match: Match, words: int = 5) -> tuple[str, int]:
    """Up to ``words`` words before ``match`` in its clause, and where they start."""
    head = text[: match.start]
    cut = max(head.rfind(c) for c in ",.;:!?")
    start = cut + 1
    found = list(re.finditer(r"\S+", head[start:]))[-words:]
    if found:
        start += found[0].start()
    else:
        start = match.start
    return text[start : match.start], start


def _modifiers(
    text: str, subject: Match, claimed: list[Match]
) -> tuple[str | None, str | None, int]:
    """The subject's pattern, size and count: size and count from the words just before its
    noun ("three tiny birds"), a pattern from anywhere in its clause ("a cat with calico
    fur") unless another table claims the word ("glowing signs" is neon light)."""
    window, _ = _before(text, subject)
    size = find(SIZES, window)
    count_m = find(COUNTS, window)
    count = int(count_m.kind) if count_m else 1
    noun = subject.text.lower()
    if count_m is None and noun in _PLURALS:
        count = _PLURALS[noun]
    elif count_m is None and _plural(noun, FAMILIES[subject.kind]):
        count = 3  # a plain plural: "birds fly over the sea"
    _, start = _before(text, subject)
    tail = re.search(r"[.;:!?]", text[subject.end :])
    end = subject.end + tail.start() if tail else len(text)
    clause = text[start:end]
    pattern = None
    for m in find_all(PATTERNS, clause):
        s, e = m.start + start, m.end + start
        if not any(c.start < e and s < c.end for c in claimed):
            pattern = m.kind
            break
    return pattern, (size.kind if size else None), min(5, count)


def _overlaps(a: Match, b: Match) -> bool:
    return a.start < b.end and b.start < a.end


def _plural(noun: str, phrases: tuple[str, ...]) -> bool:
    """Whether ``noun`` is the plural of one of ``phrases`` (and not a phrase itself)."""
    return noun not in phrases and any(noun in (p + "s", p + "es", p[:-1] + "ies") for p in phrases)


def analyse(prompt: str) -> PromptAnalysis:
    """Find the five elements and the keyword classes in ``prompt``; pure and cheap."""
    text = " ".join(prompt.split())
    subject = _subject_match(text)
    actions = find_all(ACTIONS, text)
    # "roses" is not the verb "rose", nor "falling snow" or "as night falls" a fall
    taken = [m for t in (WEATHER, LIGHTING) for m in find_all(t, text)]
    actions = [m for m in actions if not any(_overlaps(m, o) for o in taken)]
    name = _named_subject(text, actions)
    if name is not None and (subject is None or name.end <= subject.start):
        subject = name  # "Mossy hops across a stream": a name no table knows, on a sign
    taken += [subject] if subject is not None else []
    actions = [m for m in actions if not any(_overlaps(m, o) for o in taken)]
    action = actions[0] if actions else None
    settings = find_all(SETTINGS, text)
    setting = settings[0] if settings else None
    if subject is not None and setting is not None and FAMILY_KIND[subject.kind] != "sky":
        # "a house on a hill": the subject's own noun is not where it stands
        apart = [m for m in settings if not (m.start < subject.end and subject.start < m.end)]
        setting = apart[0] if apart else None
    camera = find(CAMERAS, text)
    shot = find(SHOTS, text)
    lighting = find(LIGHTING, text)
    style = find(STYLES, text)
    weather = find(WEATHER, text)
    mood = find(MOODS, text)
    colours = tuple(m.kind for m in find_all(COLOURS_TABLE, text))

    # Words of these tables never modify another element's noun ("a fox runs" + "forest").
    claimed = [m for t in _NOUN_VERB_TABLES for m in find_all(t, text)]
    subject_phrase: str | None = None
    subject_colour: str | None = None
    family: str | None = None
    pattern: str | None = None
    size: str | None = None
    count = 1
    if subject is not None:
        subject_phrase = _with_modifiers(text, subject, claimed)
        for m in find_all(COLOURS_TABLE, subject_phrase):
            subject_colour = m.kind
        family = subject.kind
        others = [m for t in (LIGHTING, STYLES, SETTINGS, WEATHER) for m in find_all(t, text)]
        pattern, size, count = _modifiers(text, subject, others)
        if family == "bird" and action is not None and action.kind in _GROUNDED:
            family = "perched_bird"
    else:
        others = [m for t in _CONTENT_TABLES for m in find_all(t, text)]
        subject_phrase = _fallback_subject(text, others)
        family = "sign" if subject_phrase else None
        lit = [m for t in (LIGHTING, STYLES, SETTINGS, WEATHER) for m in find_all(t, text)]
        marks = [m for m in find_all(PATTERNS, text) if not any(_overlaps(m, o) for o in lit)]
        pattern = marks[0].kind if marks else None  # "make it striped": for a remix

    return PromptAnalysis(
        prompt=prompt,
        subject=subject_phrase,
        action=action.text if action else None,
        setting=_with_modifiers(text, setting, claimed) if setting else None,
        camera=camera.text if camera else None,
        shot=shot.text if shot else None,
        lighting=lighting.text if lighting else None,
        style=style.text if style else None,
        subject_kind=FAMILY_KIND[subject.kind]
        if subject
        else ("object" if subject_phrase else None),
        action_kind=action.kind if action else None,
        setting_kind=setting.kind if setting else None,
        camera_kind=camera.kind if camera else None,
        shot_kind=shot.kind if shot else None,
        lighting_kind=lighting.kind if lighting else None,
        weather=weather.kind if weather else None,
        style_kind=style.kind if style else None,
        mood=mood.kind if mood else None,
        colours=colours,
        subject_colour=subject_colour,
        subject_family=family,
        subject_pattern=pattern,
        subject_size=size,
        subject_count=count,
        **_second_fields(text, subject, claimed),
    )


_GROUNDED = frozenset({"idle", "sleep", "walk", "jump"})
"""Actions that put a bird on a perch rather than in the air."""


# ----------------------------------------------------------------------------- two subjects

_SCENERY = frozenset({"plant", "building", "sky"})
"""Kinds that are where a shot happens ("a cat in a forest of trees"), never a second
subject; nor is a labelled sign ("a knight with a sword")."""
_LEAD_IN = frozenset(
    (
        "a", "an", "the", "his", "her", "their", "its", "this", "that", "these", "those", "my",
        "our", "your", "another", "one", "some",
    )
)  # fmt: skip
"""Stop words that may stand between a joining word and the second noun ("and her dog")."""
_NOT = frozenset(("no", "not", "without", "never", "nor", "none"))
"""Words that say the second noun is absent ("with no people and without any boats")."""


def _second_fields(text: str, subject: Match | None, claimed: list[Match]) -> dict[str, str]:
    """The ``second_*`` and ``pairing`` fields of a prompt that joins two subjects."""
    if subject is None or FAMILY_KIND[subject.kind] in _SCENERY:
        return {}
    for second in find_all(FAMILIES, text[subject.end :]):
        found = Match(
            second.kind, second.text, second.start + subject.end, second.end + subject.end
        )
        if found.kind == subject.kind or found.kind == "sign":
            continue  # "three cats", "a cat and its kittens": one family, counted
        if FAMILY_KIND[found.kind] in _SCENERY:
            continue
        pairing = _pairing(text[subject.end : found.start], subject.kind, found.kind)
        if pairing is not None:  # its phrase stops at the joining word ("hunting rabbits")
            joins = claimed + find_all(PAIRINGS, text)
            return {
                "second_subject": _with_modifiers(text, found, joins),
                "second_family": found.kind,
                "pairing": pairing,
            }
    return {}


def _pairing(gap: str, first: str, second: str) -> str | None:
    """How the words between two subject nouns join them (``PAIRINGS``), or None when they
    do not: another sentence, a setting ("in a field of sheep"), riding what cannot be
    ridden.  The joining word must come last, before at most three lead-in words."""
    if re.search(r"[.;:!?]", gap):
        return None
    links = find_all(PAIRINGS, gap)
    comma = re.fullmatch(r"\s*,\s*((?:[\w'-]+\s+){0,3})", gap)
    if comma is not None:  # "a cat, a dog and a bird"
        tail, pairing = comma.group(1), "beside"
    elif links:
        tail, pairing = gap[links[-1].end :], links[-1].kind
    else:
        return None
    words = tail.lower().split()
    if len(words) > 3 or any((w in _STOP and w not in _LEAD_IN) or w in _NOT for w in words):
        return None
    if pairing == "riding" and not (first in RIDERS and second in MOUNTS):
        return None
    return pairing


__all__ = [
    "ACTIONS", "CAMERAS", "COLOURS", "COLOURS_TABLE", "COUNTS", "ELEMENTS", "FAMILIES",
    "FAMILY_KIND", "LIGHTING", "MOODS", "MOUNTS", "PAIRINGS", "PATTERNS", "RIDERS", "SETTINGS",
    "SHOTS", "SIZES", "STYLES", "SUBJECTS", "WEATHER", "Match", "PromptAnalysis", "analyse",
    "find", "find_all",
]  # fmt: skip
