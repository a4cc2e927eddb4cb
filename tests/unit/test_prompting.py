"""The prompt reader: five elements, keyword classes, inflections and word boundaries."""

from __future__ import annotations

import ast
import dataclasses
import sys
from pathlib import Path
from types import ModuleType

import pytest

from reelway import prompting, vocabulary


def test_a_full_prompt_names_all_five_elements() -> None:
    a = prompting.analyse(
        "A red fox running through a snowy forest at golden hour, slow dolly in, watercolor"
    )
    assert a.subject == "red fox"
    assert a.action == "running"
    assert a.setting == "snowy forest"
    assert a.camera == "dolly in"
    assert a.lighting == "golden hour"
    assert a.style == "watercolor"
    assert a.camera_lighting == "dolly in, golden hour"
    assert a.missing == ()
    assert (a.subject_kind, a.action_kind, a.setting_kind) == ("animal", "run", "forest")
    assert (a.camera_kind, a.lighting_kind, a.style_kind) == ("dolly_in", "golden", "watercolor")
    assert a.weather == "snow"
    assert a.subject_colour == "red"
    assert a.colours == ("red", "golden")


def test_a_prompt_without_elements_reports_them_all_missing() -> None:
    a = prompting.analyse("nothing to see here, honestly")
    assert a.elements == dict.fromkeys(prompting.ELEMENTS)
    assert a.missing == prompting.ELEMENTS
    assert a.subject_kind is None and a.mood is None and a.colours == ()


def test_empty_prompt() -> None:
    assert prompting.analyse("").missing == prompting.ELEMENTS


def test_matching_ignores_case_and_accepts_plurals() -> None:
    a = prompting.analyse("Two DOGS Run on the BEACHES, TRACKING SHOT, 8-Bit Pixel Art")
    assert a.subject == "Two DOGS"
    assert (a.subject_kind, a.action_kind, a.setting_kind) == ("animal", "run", "beach")
    assert (a.camera_kind, a.style_kind) == ("tracking", "pixel")


@pytest.mark.parametrize(
    ("prompt", "field", "kind"),
    [
        ("three butterflies flutter", "subject_kind", "bird"),
        ("a bird flies over the cities", "setting_kind", "city"),
        ("a bird flies over the cities", "action_kind", "fly"),
        ("the camera is panning left", "camera_kind", "pan_left"),
        ("camera pans to the right", "camera_kind", "pan_right"),
        ("it zooms in slowly", "camera_kind", "dolly_in"),
        ("a slow push-in", "camera_kind", "dolly_in"),
        ("a drone shot over it", "camera_kind", "crane_up"),
        ("swimming with dolphins", "action_kind", "swim"),
        ("a dancer twirling", "action_kind", "spin"),
        ("kids jumped", "action_kind", "jump"),
        ("a car driving", "action_kind", "drive"),
        ("shot in black and white", "style_kind", "noir"),
        ("B&W footage", "style_kind", "noir"),
        ("an anime short", "style_kind", "anime"),
        ("claymation dinosaur", "style_kind", "claymation"),
        ("grainy super 8 home movie", "style_kind", "vintage"),
        ("synthwave sunset", "style_kind", "synthwave"),
        ("photorealistic", "style_kind", "cinematic"),
        ("a moonlit pond", "lighting_kind", "night"),
        ("a neon-lit alley", "lighting_kind", "neon"),
        ("candlelit dinner", "lighting_kind", "candle"),
        ("an overcast afternoon", "lighting_kind", "overcast"),
        ("in the pouring rain", "weather", "rain"),
        ("a cheerful song", "mood", "happy"),
        ("an eerie house", "mood", "dark"),
        ("extreme close-up of an eye", "shot_kind", "close"),
    ],
)
def test_keyword_classes(prompt: str, field: str, kind: str) -> None:
    assert getattr(prompting.analyse(prompt), field) == kind


@pytest.mark.parametrize(
    "prompt", ["spinach salad", "a scary scarecrow", "the cartography barn", "carpet"]
)
def test_words_match_on_boundaries_only(prompt: str) -> None:
    a = prompting.analyse(prompt)
    assert a.action_kind is None
    # No car in "cartography", cat in "scarecrow"...; a barn is a house (issue 21's families).
    assert a.subject_family in (None, "sign", "house")
    assert a.setting_kind is None


def test_leftmost_then_longest_phrase_wins() -> None:
    assert prompting.analyse("crossing sand dunes").setting_kind == "desert"
    assert prompting.analyse("a whale swims under the sea").setting_kind == "underwater"
    assert prompting.analyse("a whale swims under the sea").setting == "under the sea"
    assert prompting.analyse("a city at night by the beach").setting_kind == "city"


def test_modifiers_stop_at_words_other_tables_claim() -> None:
    a = prompting.analyse("A lonely astronaut walks across a rocky red desert")
    assert a.subject == "lonely astronaut"
    assert a.setting == "rocky red desert"
    assert a.subject_colour is None


def test_an_unknown_subject_falls_back_to_the_opening_noun_phrase() -> None:
    a = prompting.analyse("A gramophone spinning on a kitchen table, static shot")
    assert a.subject == "gramophone"
    assert a.subject_kind == "object"
    assert a.action_kind == "spin"
    assert a.setting_kind == "interior"


def test_find_and_find_all() -> None:
    matches = prompting.find_all(prompting.COLOURS_TABLE, "a red car and a Blue boat")
    assert [(m.kind, m.text) for m in matches] == [("red", "red"), ("blue", "Blue")]
    first = prompting.find(prompting.SETTINGS, "from the forest to the city")
    assert first is not None and first.kind == "forest" and first.start == 9
    assert prompting.find(prompting.SETTINGS, "nowhere") is None


def test_the_analysis_is_frozen_and_repeatable() -> None:
    prompt = "A knight rides a horse through a misty valley at dawn, crane down, vintage"
    a, b = prompting.analyse(prompt), prompting.analyse(prompt)
    assert a == b
    with pytest.raises(dataclasses.FrozenInstanceError):
        a.subject = "dragon"  # type: ignore[misc]


@pytest.mark.parametrize("module", [prompting, vocabulary])
def test_the_module_is_a_standard_library_leaf(module: ModuleType) -> None:
    """Only the standard library (and prompting's own word tables)."""
    source = Path(str(module.__file__)).read_text("utf-8")
    modules: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            modules.add(node.module)
    allowed = {"reelway.vocabulary"} if module is prompting else set()
    stdlib = {m for m in modules if m.split(".")[0] in sys.stdlib_module_names}
    assert modules - stdlib <= {"__future__"} | allowed
