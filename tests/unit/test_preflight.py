"""The prompt preflight: elements, warning codes, score and grade on prompts a user would write."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import pytest

from reelway import prompting
from reelway.policy import preflight
from reelway.policy.preflight import review

WEAK = "A cat playing"
IMPROVED = (
    "A fluffy orange tabby cat batting at a red yarn ball on a hardwood floor, afternoon sunlight "
    "streaming through a window, warm home interior, eye-level camera, playful mood"
)
PRODUCTION = (
    "Close-up tracking shot of an orange tabby cat's paws batting at a rolling red yarn ball. "
    "Warm afternoon sunlight creates long shadows on honey-colored hardwood floors. Shallow "
    "depth of field keeps focus on the cat while blurring a cozy living room background. "
    "Slow-motion capture at 120fps equivalent, naturalistic color grading, documentary style."
)
SAFE = "a golden retriever running in a park, cinematic lighting"
LONG_SENTENCE = (
    "A golden retriever puppy with a red collar runs through orange autumn leaves in a quiet "
    "park at golden hour, tracking shot, shallow depth of field, documentary style. "
)
LONG = (LONG_SENTENCE * 9).strip()  # about 1,500 characters
CUTS = (
    "A red fox runs through a snowy forest, then cut to a wolf, next scene a bear, after that an "
    "owl, suddenly a storm, tracking shot, cinematic"
)
ALL = frozenset(prompting.ELEMENTS)


@dataclass(frozen=True)
class Case:
    """A prompt and everything the preflight must say about it."""

    id: str
    prompt: str
    missing: tuple[str, ...]
    codes: tuple[str, ...]
    score: tuple[int, int]
    grade: str
    seconds: int | None = None


CASES = [
    Case("seed weak", WEAK, ("setting", "camera_lighting", "style"),
         ("prompt_too_short", "missing_elements", "vague_subject"), (0, 10), "weak"),
    Case("seed improved", IMPROVED, (), (), (65, 84), "good"),
    Case("seed production", PRODUCTION, (), (), (90, 100), "production"),
    Case("seed safe test prompt", SAFE, (), (), (65, 84), "good"),
    Case("1,500 characters", LONG, (), ("prompt_too_long",), (60, 84), "good"),
    Case("five cuts in 4 s", CUTS, (), ("too_many_scene_changes",), (55, 70), "good", seconds=4),
    Case("five cuts in 24 s", CUTS, (), (), (70, 84), "good", seconds=24),
    Case("sunny day at night",
         "An elderly woman in a red coat walks down a quiet city street on a sunny day at night, "
         "wide shot, cinematic", (), ("contradictory_instructions",), (55, 75), "good"),
    Case("slow motion and time-lapse",
         "A hummingbird hovering near red flowers in a garden, slow motion and time-lapse, "
         "close-up, photorealistic", (), ("contradictory_instructions",), (55, 75), "good"),
    Case("static camera and tracking shot",
         "Static camera on a tripod, tracking shot of a cyclist riding down a city street at "
         "sunset, cinematic", (), ("contradictory_instructions",), (50, 70), "fair"),
    Case("battle",
         "Two knights battle in a misty forest at dawn, wide shot, cinematic", (),
         ("violent_wording",), (50, 64), "fair"),
    Case("family-friendly battle",
         "Two knights battle in a misty forest at dawn, family-friendly, wide shot, cinematic", (),
         (), (65, 84), "good"),
    Case("very short", "Sunset", ("subject", "action", "setting", "style"),
         ("prompt_too_short", "missing_elements"), (0, 0), "weak"),
    Case("clean",
         "A man with a gray beard reading a newspaper in a cafe, soft window light, medium shot, "
         "film grain", (), (), (65, 84), "good"),
    Case("negated",
         "A red vintage car drives along a coastal road at sunset, no people, without any "
         "billboards, drone shot, cinematic", (), ("negative_phrasing",), (60, 75), "good"),
    Case("two elements missing",
         "A golden retriever puppy runs through autumn leaves in a park",
         ("camera_lighting", "style"), ("missing_elements",), (35, 50), "fair"),
    Case("four numbered shots",
         "Shot 1: a lighthouse on a cliff at midday, wide shot. Shot 2: the same lighthouse at "
         "midnight, cinematic. Shot 3: waves crash below. Shot 4: a seagull glides away.", (),
         ("too_many_scene_changes",), (50, 64), "fair"),
    Case("colour and sound",
         "A pianist plays music in a smoky jazz bar, silent film, black and white film with "
         "vibrant colors, medium shot", (),
         ("contradictory_instructions", "contradictory_instructions"), (40, 60), "fair"),
    Case("close-up beside a wide shot",
         "Close-up of a hiker on a mountain ridge in a wide shot, cinematic", ("action",),
         ("contradictory_instructions", "missing_elements"), (35, 50), "fair"),
    Case("pillow fight", "Children having a pillow fight in a cozy bedroom, handheld camera, "
         "warm lamplight", ("style",), ("missing_elements",), (45, 64), "fair"),
    Case("vague with no modifier", "a dog running in a park", ("camera_lighting", "style"),
         ("prompt_too_short", "missing_elements", "vague_subject"), (10, 30), "weak"),
]  # fmt: skip


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_each_prompt_reads_as_expected(case: Case) -> None:
    r = review(case.prompt, seconds=case.seconds)
    assert r.missing == case.missing
    assert {k for k, v in r.elements.items() if v is not None} == ALL - set(case.missing)
    assert r.codes == case.codes, [f.message for f in r.warnings]
    low, high = case.score
    assert low <= r.score <= high, r.score
    assert r.grade == case.grade


def test_the_seed_prompts_score_in_order_weak_improved_production() -> None:
    weak, improved, production = (review(p) for p in (WEAK, IMPROVED, PRODUCTION))
    assert weak.score < improved.score < production.score
    assert (weak.grade, production.grade) == ("weak", "production")
    assert improved.grade in ("fair", "good")


def test_the_production_prompt_names_its_technical_parameters() -> None:
    camera = review(PRODUCTION).elements["camera_lighting"] or ""
    for term in ("Close-up", "tracking shot", "Shallow depth of field", "Slow-motion", "120fps"):
        assert term in camera


def test_depth_of_field_is_not_a_setting() -> None:
    r = review("A red fox sitting still, shallow depth of field, documentary style")
    assert r.elements["setting"] is None
    assert r.missing == ("setting",)
    assert review(PRODUCTION).elements["setting"] == "cozy living room"


def test_the_elements_come_from_prompting_and_the_extra_tables() -> None:
    r = review(IMPROVED)
    assert r.elements["subject"] == prompting.analyse(IMPROVED).subject == "orange tabby cat"
    assert r.elements["action"] == "batting"  # ACTIONS_EXTRA: prompting has no "bat"
    assert r.elements["style"] == "playful mood"  # "<word> mood" names a style
    assert review(SAFE).elements["camera_lighting"] == "cinematic lighting"


def test_too_long_names_the_numbers() -> None:
    assert len(LONG) == 1_502
    (finding,) = review(LONG).warnings
    assert finding.severity == "warning"
    assert "The prompt is 1,502 characters and 252 words" in finding.message
    assert "1,000 characters and 180 words" in finding.message


def test_words_alone_can_make_a_prompt_too_long() -> None:
    prompt = " ".join(["a tiny red fox runs"] * 40)  # 200 words, 799 characters
    assert len(prompt) < preflight.MAX_CHARACTERS
    r = review(prompt)
    assert r.stats.words == 200
    assert "prompt_too_long" in r.codes


def test_scene_change_allowance_scales_with_seconds() -> None:
    assert review(CUTS).stats.scene_changes == 5
    message = review(CUTS, seconds=4).warnings[0].message
    assert "5 scene changes for 4 s of video; keep to 1" in message
    assert "keep to 2." in review(CUTS).warnings[0].message
    assert review(CUTS, seconds=20).codes == ()  # five changes in 20 s: one per 4 s
    assert review(CUTS, seconds=16).codes == ("too_many_scene_changes",)


def test_numbered_shots_count_as_scene_changes_and_separate_contradictions() -> None:
    r = review("Scene 1: a lighthouse at midday. Scene 2: the lighthouse at midnight.")
    assert r.stats.scene_changes == 1
    assert "contradictory_instructions" not in r.codes
    assert review("Scene 3: a lighthouse at dusk.").stats.scene_changes == 2


def test_contradiction_messages_name_both_words() -> None:
    r = review("A lone astronaut walks on a sunny day at night on a quiet beach, cinematic")
    (finding,) = [f for f in r.warnings if f.code == "contradictory_instructions"]
    assert '"sunny"' in finding.message and '"night"' in finding.message
    assert finding.span == "sunny"


@pytest.mark.parametrize(
    "prompt",
    [
        "A day to night time-lapse of a city skyline, wide shot, cinematic",
        "A city skyline from sunrise until sunset, wide shot, cinematic",
        "Close-up of a hiker on a ridge as the camera pulls back to a wide shot, cinematic",
        "A lighthouse on a cliff at midday, wide shot. Cut to the lighthouse at midnight.",
        "A black and white cat sleeps on a sofa with vibrant colors, medium shot, cinematic",
        "A quiet violinist plays soft music in a candlelit hall, no sound effects, medium shot",
        "A static camera watches a crowd cross a city square at noon, wide shot, cinematic",
    ],
)
def test_directions_that_can_share_a_shot_are_not_contradictions(prompt: str) -> None:
    assert "contradictory_instructions" not in review(prompt).codes


@pytest.mark.parametrize(
    ("prompt", "expected"),
    [
        ("Soldiers fight on a muddy field at dusk, wide shot", "violent_wording"),
        ("A massive explosion in a city street at night, wide shot", "violent_wording"),
        ("Kids have a snowball fight in a snowy park, wide shot, playful", None),
        ("Fireworks explode over a harbor at night, wide shot, cinematic", None),
        ("Two robots fight in a cartoon city, wide shot", None),
        ("Two boxers train in a gym without fighting, medium shot, cinematic", None),
    ],
)
def test_violent_wording_needs_a_constraining_modifier(prompt: str, expected: str | None) -> None:
    found = "violent_wording" in review(prompt).codes
    assert found == (expected is not None)


def test_negations_are_listed_and_mild() -> None:
    r = review("A quiet beach at dawn with no people and without any boats, wide shot, cinematic")
    (finding,) = [f for f in r.warnings if f.code == "negative_phrasing"]
    assert finding.severity == "info"
    assert finding.span == "no people"
    assert '"without any boats"' in finding.message
    assert "negative_phrasing" not in review("The river no longer flows past the old mill").codes
    base = "A red vintage car drives along a coastal road at sunset, drone shot, cinematic"
    assert review(base).codes == ()
    negated = review(base + ", no billboards")
    assert negated.codes == ("negative_phrasing",)
    assert negated.score == review(base).score - preflight.PENALTY["info"]


def test_missing_elements_gives_the_seed_advice_for_each() -> None:
    (finding,) = [f for f in review(WEAK).warnings if f.code == "missing_elements"]
    assert finding.severity == "warning"
    assert finding.message.startswith("Missing setting, camera/lighting, style.")
    assert "tracking shot, warm golden hour sunlight, shallow depth of field" in finding.message
    mild = review("A golden retriever puppy runs through autumn leaves in a park").warnings
    assert [(f.code, f.severity) for f in mild] == [("missing_elements", "info")]
    assert mild[0].message.startswith("Missing camera/lighting, style.")


def test_vague_subject_looks_past_prompting_s_modifiers() -> None:
    assert "vague_subject" in review("A dog sleeps on a porch at dusk, wide shot").codes
    for prompt in (
        "A man in a red coat waits at a bus stop at dusk, wide shot",
        "A dog with one floppy ear sleeps on a porch at dusk, wide shot",
        "A shaggy dog sleeps on a porch at dusk, wide shot",
    ):
        assert "vague_subject" not in review(prompt).codes, prompt


def test_warnings_cost_more_than_infos_and_production_needs_no_warning() -> None:
    clean = review(PRODUCTION)
    flagged = review(PRODUCTION + " A time-lapse of the clouds.")
    assert flagged.codes == ("contradictory_instructions",)
    assert flagged.score == clean.score - preflight.PENALTY["warning"]
    assert flagged.score >= 85 and flagged.grade == "good"


def test_every_code_is_produced_by_some_case() -> None:
    seen = {code for case in CASES for code in review(case.prompt, seconds=case.seconds).codes}
    assert seen == set(preflight.CODES)


def test_every_code_is_documented() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "preflight.md").read_text("utf-8")
    for code in preflight.CODES:
        assert f"`{code}`" in doc, code


def test_to_dict_is_json() -> None:
    r = review(WEAK)
    d = json.loads(json.dumps(r.to_dict()))
    assert d["elements"] == {
        "subject": "cat", "action": "playing", "setting": None, "camera_lighting": None,
        "style": None,
    }  # fmt: skip
    assert d["missing"] == ["setting", "camera_lighting", "style"]
    assert [w["code"] for w in d["warnings"]] == list(r.codes)
    assert set(d["warnings"][0]) == {"code", "message", "severity", "span"}
    assert (d["score"], d["grade"]) == (r.score, "weak")
    assert d["stats"] == {"characters": 13, "words": 3, "sentences": 1, "scene_changes": 0}


def test_whitespace_and_empty_prompts() -> None:
    assert review("  A cat\n\tplaying  ").to_dict() == review(WEAK).to_dict()
    empty = review("")
    assert empty.missing == prompting.ELEMENTS
    assert (empty.score, empty.grade, empty.stats.words) == (0, "weak", 0)
