"""A negative prompt: what the scene must leave out.

The animatic reads a prompt as five elements and draws a few kinds of scenery; a negative
prompt ("dog, trees, red") removes what it names from both.  Three steps, all on words:
the named phrases are cut from the prompt before it is analysed (so "a cat and a dog",
without "cat", is a dog), any element still naming a term is blanked (a remix's inherited
setting, a weather word such as "rainy"), and the scenery drawings a term names (trees,
lamps, clouds, bubbles...) are left out of the layers.
"""

from __future__ import annotations

import dataclasses
import re

from reelway import prompting

_SPLIT = re.compile(r"\s*(?:[,;/\n]|\band\b|\bor\b)\s*", re.IGNORECASE)
_LEAD = re.compile(r"^(?:(?:no|not|without|avoid|any|a|an|the)\s+)+", re.IGNORECASE)

DRAWINGS: dict[str, tuple[str, ...]] = {
    "tree": ("tree",),
    "pine": ("tree", "pine"),
    "palm": ("tree", "palm"),
    "trunk": ("tree", "trunk"),
    "lamp": ("lamp", "lamp post", "street light", "streetlight", "lamppost"),
    "cactus": ("cactus", "cacti"),
    "rock": ("rock", "boulder"),
    "stone": ("stone", "rock", "pebble"),
    "pebble": ("pebble", "stone"),
    "flower": ("flower",),
    "tuft": ("grass",),
    "cloud": ("cloud",),
    "cloud_near": ("cloud",),
    "coral": ("coral",),
    "kelp": ("kelp", "seaweed"),
    "plant": ("plant", "houseplant"),
    "furniture": ("furniture", "chair", "table", "sofa"),
    "shell": ("shell", "seashell"),
    "asteroid": ("asteroid",),
    "debris": ("debris",),
    "crests": ("wave",),
    "crest_big": ("wave",),
    "hills": ("hill",),
    "peaks": ("mountain", "peak"),
    "ridges": ("mountain", "ridge"),
    "skyline": ("skyline", "building", "skyscraper"),
    "buildings": ("building", "skyscraper", "house"),
    "mesas": ("mesa",),
    "dunes": ("dune",),
    "islands": ("island",),
    "reef": ("reef",),
    "planet": ("planet",),
    "bubbles": ("bubble",),
}
"""Scenery drawing (``scenery.SETTINGS``, the renderer's particles) -> words naming it."""


def terms(negative: str | None) -> tuple[str, ...]:
    """The things a negative prompt names: "no dogs, trees and red" -> dogs, trees, red."""
    if not negative:
        return ()
    found: list[str] = []
    for part in _SPLIT.split(negative):
        word = _LEAD.sub("", " ".join(part.split())).strip(" .!-'\"").lower()
        if word and word not in found:
            found.append(word)
    return tuple(found)


def _stem(word: str) -> str:
    """A crude singular, for comparing a term with a keyword or a kind ("trees" ~ "tree")."""
    word = word.lower()
    for tail, head in (("ies", "y"), ("ches", "ch"), ("shes", "sh"), ("es", "e"), ("s", "")):
        if word.endswith(tail) and len(word) > len(tail) + 2:
            return word[: -len(tail)] + head
    return word


def _names(phrase: str | None, term: str) -> bool:
    """Whether ``phrase`` (an element's words or kind) mentions ``term``."""
    if not phrase:
        return False
    if prompting.find_all({"term": (term,)}, phrase):
        return True
    wanted = _stem(term).split()
    words = [_stem(w) for w in re.findall(r"[\w'-]+", phrase.lower())]
    n = len(wanted)
    return any(words[i : i + n] == wanted for i in range(len(words) - n + 1))


def cut(prompt: str, avoid: tuple[str, ...]) -> str:
    """``prompt`` without the phrases ``avoid`` names (each with its inflections)."""
    text = " ".join(prompt.split())
    for term in avoid:
        spans = prompting.find_all({"term": (term, _stem(term))}, text)
        for match in reversed(spans):
            text = text[: match.start] + text[match.end :]
    return " ".join(text.split())


_ELEMENTS = (
    (
        "subject",
        "subject_kind",
        "subject_colour",
        "subject_family",
        "subject_pattern",
        "subject_size",
    ),
    ("second_subject", "second_family", "pairing"),
    ("action", "action_kind"),
    ("setting", "setting_kind"),
    ("camera", "camera_kind"),
    ("shot", "shot_kind"),
    ("lighting", "lighting_kind"),
    ("style", "style_kind"),
)
"""Each element's fields: its phrase, its kind (and the subject's colour)."""


def drop(
    analysis: prompting.PromptAnalysis,
    avoid: tuple[str, ...],
    before: prompting.PromptAnalysis | None = None,
) -> prompting.PromptAnalysis:
    """``analysis`` with every element that names a term blanked (its phrase or its kind),
    and the colours, weather and mood the terms name removed.  ``before``: the analysis of
    the uncut prompt; a subject guessed from leftover words (a table subject was cut, "a
    brown dog" leaving "a brown") is dropped too."""
    if not avoid:
        return analysis
    blank: dict[str, object] = {}
    guessed = analysis.subject_family == "sign"
    if before is not None and guessed and before.subject_family not in (None, "sign"):
        blank.update(dict.fromkeys(_ELEMENTS[0]))
    for fields in _ELEMENTS:
        phrase, kind = getattr(analysis, fields[0]), getattr(analysis, fields[1])
        if any(_names(phrase, t) or _names(kind, t) for t in avoid):
            blank.update(dict.fromkeys(fields))
    if "subject" in blank:
        blank["subject_count"] = 1
        if analysis.second_family is not None and "second_subject" not in blank:
            blank.update(_promoted(analysis))
    if any(prompting.find(prompting.PATTERNS, t) for t in avoid):
        blank["subject_pattern"] = "plain"  # "no stripes", even on a tiger
    for name in ("weather", "mood"):
        if any(_names(getattr(analysis, name), t) for t in avoid):
            blank[name] = None
    colours = tuple(c for c in analysis.colours if not any(_names(c, t) for t in avoid))
    blank["colours"] = colours
    if analysis.subject_colour not in colours:
        blank["subject_colour"] = None
    return dataclasses.replace(analysis, **blank)  # type: ignore[arg-type]


def _promoted(analysis: prompting.PromptAnalysis) -> dict[str, object]:
    """The second subject as the only one, when the first is left out (a remix of "a cat and
    a dog" told "no cats" keeps the dog, as the cut prompt of a new render does)."""
    family = analysis.second_family or ""
    return {
        "subject": analysis.second_subject,
        "subject_family": family,
        "subject_kind": prompting.FAMILY_KIND.get(family),
        "second_subject": None,
        "second_family": None,
        "pairing": None,
    }


def left_out(avoid: tuple[str, ...]) -> frozenset[str]:
    """The scenery drawings the terms name (``DRAWINGS``)."""
    return frozenset(
        drawing
        for drawing, words in DRAWINGS.items()
        if any(_names(term, word) or _names(word, term) for term in avoid for word in words)
    )
