"""Prompt reading for the animatic's subjects: every family found from each of its phrases,
and the modifiers (pattern, size, count, action) kept as fields of the analysis."""

from __future__ import annotations

import dataclasses
import json

import pytest

from reelway import prompting
from reelway.engines.animatic import scene

FAMILY_PHRASES = [(f, p) for f, phrases in prompting.FAMILIES.items() for p in phrases]


@pytest.mark.parametrize(("family", "phrase"), FAMILY_PHRASES, ids=lambda v: str(v))
def test_every_family_is_found_from_each_of_its_phrases(family: str, phrase: str) -> None:
    a = prompting.analyse(f"A {phrase} in the distance, wide shot")
    assert a.subject_family == family, (phrase, a.subject_family)
    assert a.subject_kind == prompting.FAMILY_KIND[family]
    assert a.subject is not None and phrase.split()[-1] in a.subject.lower()


@pytest.mark.parametrize(
    ("pattern", "phrase"), [(k, p) for k, ps in prompting.PATTERNS.items() for p in ps]
)
def test_every_pattern_is_found(pattern: str, phrase: str) -> None:
    a = prompting.analyse(f"A {phrase} cat walks along the beach")
    assert (a.subject_family, a.subject_pattern) == ("cat", pattern)


def test_a_pattern_may_follow_its_noun_but_not_belong_to_the_scenery() -> None:
    assert prompting.analyse("A cat with calico fur naps").subject_pattern == "calico"
    assert prompting.analyse("A jellyfish, glowing, drifts in the deep sea").subject_pattern == (
        "glowing"
    )
    neon = prompting.analyse("A dog walks past glowing signs in the city")
    assert neon.subject_pattern is None and neon.lighting_kind == "neon"
    assert prompting.analyse("A dog walks. Glowing lanterns hang above.").subject_pattern is None


@pytest.mark.parametrize(
    ("size", "phrase"), [(k, p) for k, ps in prompting.SIZES.items() for p in ps]
)
def test_every_size_word_is_found(size: str, phrase: str) -> None:
    a = prompting.analyse(f"a {phrase} dog runs in a park")
    assert (a.subject_family, a.subject_size) == ("dog", size)


def test_a_size_word_elsewhere_is_not_the_subjects() -> None:
    a = prompting.analyse("A dog runs through a big city, with huge buildings")
    assert a.subject_size is None


@pytest.mark.parametrize(
    ("prompt", "family", "count"),
    [
        ("Three birds fly over the sea", "bird", 3),
        ("three tiny striped birds fly over the sea", "bird", 3),
        ("A pair of swans on a lake", "swan", 2),
        ("A couple of swans glide on a lake", "swan", 2),
        ("A couple walks on the beach", "person", 2),
        ("Two DOGS Run on the BEACHES", "dog", 2),
        ("A flock of seagulls over the harbour", "bird", 5),
        ("wolves run through the snow", "fox", 3),
        ("buses drive down the street", "bus", 3),
        ("a crowd dances in the street", "person", 5),
        ("twelve cats sleep on a sofa", "cat", 3),  # a plain plural
        ("A dog sleeps", "dog", 1),
        ("A bus drives through the city", "bus", 1),
        ("A fish swims", "fish", 1),
        ("10 balloons rise over the hills", "balloon", 5),
    ],
)
def test_counts(prompt: str, family: str, count: int) -> None:
    a = prompting.analyse(prompt)
    assert (a.subject_family, a.subject_count) == (family, count)


@pytest.mark.parametrize(
    ("verb", "kind"),
    [
        ("walks", "walk"), ("runs", "run"), ("flies", "fly"), ("swims", "swim"),
        ("jumps", "jump"), ("spins", "spin"), ("sleeps", "sleep"), ("dances", "dance"),
        ("is asleep", "sleep"), ("naps", "sleep"), ("is curled up", "sleep"),
        ("twirls", "spin"), ("gallops", "run"), ("hops", "jump"),
    ],
)  # fmt: skip
def test_actions(verb: str, kind: str) -> None:
    assert prompting.analyse(f"A cat {verb} in a garden").action_kind == kind


def test_a_bird_on_a_perch_is_drawn_perched() -> None:
    assert prompting.analyse("A bird perched on a branch").subject_family == "perched_bird"
    assert prompting.analyse("A robin sits on a fence").subject_family == "perched_bird"
    assert prompting.analyse("A bird flies over a meadow").subject_family == "bird"
    assert prompting.analyse("An eagle over the mountains").subject_family == "bird"


def test_the_subjects_own_noun_is_not_its_setting() -> None:
    house = prompting.analyse("A house on a hill at golden hour")
    assert house.subject_family == "house" and house.setting_kind is None
    assert prompting.analyse("A cat asleep in a house").setting_kind == "interior"
    assert prompting.analyse("A planet with rings").setting_kind == "space"


def test_the_readme_prompts_name_their_subjects() -> None:
    cases = {
        "A lighthouse on a cliff at night, static camera, film noir": "lighthouse",
        "A calico cat walks along a beach at sunset, slow tracking shot, watercolor style": "cat",
        "A red fox running through a snowy forest at golden hour, slow dolly in, watercolor": "fox",
        "A teapot spinning in space": "teapot",
    }
    for prompt, family in cases.items():
        assert prompting.analyse(prompt).subject_family == family, prompt
    calico = prompting.analyse("A calico cat walks along a beach at sunset")
    assert calico.subject_pattern == "calico" and calico.subject == "calico cat"


def test_an_unknown_noun_is_kept_for_its_sign() -> None:
    a = prompting.analyse("A zorblatt on a table, static camera")
    assert (a.subject_kind, a.subject_family, a.subject) == ("object", "sign", "zorblatt")
    assert prompting.analyse("A guitar on a chair").subject_family == "sign"


def test_the_modifiers_travel_with_the_scene_tag() -> None:
    """A remix reads the source's subject back with its modifiers; a tag written before
    the modifiers existed still reads."""
    a = prompting.analyse("Three giant striped cats sleep on a rug")
    assert scene.recall(scene.describe(a)) == a
    old = {k: v for k, v in dataclasses.asdict(a).items() if not k.startswith("subject_")}
    old |= {"subject_kind": a.subject_kind, "subject_colour": None}
    back = scene.recall("reelway-scene/1 " + json.dumps(old))
    assert back is not None and back.subject_family is None and back.subject_count == 1
    merged = scene.merge(a, prompting.analyse("the same shot at night"))
    assert (merged.subject_family, merged.subject_pattern, merged.subject_count) == (
        "cat", "striped", 3,
    )  # fmt: skip
    recoloured = scene.merge(a, prompting.analyse("make them spotted"))
    assert recoloured.subject_pattern == "spotted" and recoloured.subject_family == "cat"
    swapped = scene.merge(a, prompting.analyse("a dog instead"))
    assert (swapped.subject_family, swapped.subject_count, swapped.subject_pattern) == (
        "dog", 1, None,
    )  # fmt: skip


def test_weather_and_light_are_not_the_subjects_action() -> None:
    assert prompting.analyse("The same cat, in falling snow").action_kind is None
    assert prompting.analyse("A boat drifts as night falls").action_kind == "float"
    assert prompting.analyse("A bouquet of roses in a vase").action_kind is None
    assert prompting.analyse("An apple falls from a tree").action_kind == "fall"


@pytest.mark.parametrize(
    ("prompt", "family", "action"),
    [
        ("A night market in the rain", "market", None),
        ("A night market in the rain, slow pan", "market", None),
        ("A wizard casts a spell in a tower", "wizard", "idle"),
        ("A witch walks through a forest at night", "wizard", "walk"),
        ("A knight walks toward a castle, pixel art", "knight", "walk"),
        ("A heron stands in a misty marsh at dawn, watercolor", "heron", "idle"),
        ("A white egret wades in a pond", "heron", None),
        ("A flamingo flies over a lagoon", "heron", "fly"),
    ],
)
def test_the_gallery_subjects_have_their_own_families(
    prompt: str, family: str, action: str | None
) -> None:
    a = prompting.analyse(prompt)
    assert (a.subject_family, a.action_kind) == (family, action), prompt
    assert a.subject_kind == prompting.FAMILY_KIND[family]


def test_a_market_stands_in_a_street_and_names_one_for_others() -> None:
    """A market is a building-like subject (drawn, never walking) in a city street when the
    prompt names no place; as a place for another subject it is the city."""
    market = scene.build("A night market in the rain", 1, 320, 180, 1, 24)
    assert (market.subject_kind, market.setting, market.lighting) == ("market", "city", "night")
    assert market.weather == "rain" and prompting.FAMILY_KIND["market"] == "building"
    cat = prompting.analyse("A cat walks through a market")
    assert (cat.subject_family, cat.setting_kind) == ("cat", "city")
    assert prompting.analyse("A heron in a marsh").setting_kind == "ocean"


def test_knights_and_wizards_still_ride() -> None:
    for rider in ("knight", "wizard"):
        a = prompting.analyse(f"A {rider} on a dragon")
        assert (a.subject_family, a.second_family, a.pairing) == (rider, "dragon", "riding")
    assert {"person", "knight", "wizard"} <= prompting.RIDERS


@pytest.mark.parametrize(
    ("prompt", "name", "action"),
    [
        ("Mossy hops across a mountain stream at dawn", "Mossy", "jump"),
        ("Mossy hops across a stream", "Mossy", "jump"),
        ("At dawn, Captain Moss walks along the shore", "Captain Moss", "walk"),
        ("Zed runs through a forest", "Zed", "run"),
    ],
)
def test_a_name_before_its_verb_is_the_subject_on_a_sign(
    prompt: str, name: str, action: str
) -> None:
    """A character name with no character entry is the subject, drawn as the unknown-noun
    signboard with its name, and it moves as the verb says ("hops": a jump)."""
    a = prompting.analyse(prompt)
    assert (a.subject, a.subject_family, a.subject_kind) == (name, "sign", "object")
    assert a.action_kind == action
    shot = scene.build(prompt, 1, 320, 180, 1, 24)
    assert shot.subject_kind == "sign" and shot.action == action
    assert shot.figure.label == name.split()[-1].lower()
    assert shot.title.startswith(name.upper())


@pytest.mark.parametrize(
    ("prompt", "subject"),
    [
        ("Snow falls on a quiet city", None),  # a weather word, not a name
        ("It spins slowly in space", None),
        ("Suddenly it falls", None),
        ("Leaves drift down a quiet lane", None),  # a plural noun: its verb is not "drifts"
        ("Sparks flew into the night", None),
        ("Ribbons drifted over a lake", None),
        ("Pip drifted down a quiet lane", "Pip"),
        ("The fox leaps a fallen log", "fox"),
        ("Mossy chases a cat", "Mossy"),  # the name comes first: the cat is the second
        ("A cat watches as Mossy hops by", "cat"),  # a family named first keeps its place
    ],
)
def test_only_a_name_is_taken_for_one(prompt: str, subject: str | None) -> None:
    a = prompting.analyse(prompt)
    assert a.subject == subject, prompt
    if subject == "Mossy":
        assert (a.second_family, a.pairing) == ("cat", "ahead")
