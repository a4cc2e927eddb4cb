"""Two subjects in one prompt: the reader finds the second, the scene draws it as the
companion (or as the first's mount), captions name both, a negative prompt removes it.

Frame-level checks (the real MP4) are in ``tests/engines/test_animatic_two_subjects.py``;
these read the analysis, the scene and the renderer's placements, which are cheap.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from numpy.typing import NDArray
from PIL import Image

from reelway import prompting
from reelway.engines.animatic import captions, figures, palette, render, scene, sprites

OUTLINE = (20, 18, 26)
CAT_AND_DOG = "A cat and a dog play in a garden"
COWBOY = "A cowboy riding a horse across the desert at sunset"


def _shot(prompt: str, seed: int = 3, **kw: object) -> scene.Scene:
    return scene.build(prompt, seed, 640, 360, 2, 24, **kw)  # type: ignore[arg-type]


# ----------------------------------------------------------------------------- reading


@pytest.mark.parametrize(
    ("prompt", "family", "pairing"),
    [
        (CAT_AND_DOG, "dog", "beside"),
        (COWBOY, "horse", "riding"),
        ("A knight on a dragon", "dragon", "riding"),
        ("A boy on his bicycle", "bicycle", "riding"),
        ("A robot rides a motorbike at night", "motorcycle", "riding"),
        ("A woman walks with her dog in the park", "dog", "beside"),
        ("A girl and her kite on a beach", "kite", "beside"),
        ("A dog chasing a ball", "ball", "ahead"),
        ("A cat, a dog and a bird", "dog", "beside"),
        ("A cat in a garden with a rabbit", "rabbit", "beside"),
        ("A knight with a sword on a horse", "horse", "riding"),
    ],
)
def test_a_second_subject_joined_to_the_first_is_read(
    prompt: str, family: str, pairing: str
) -> None:
    a = prompting.analyse(prompt)
    assert (a.second_family, a.pairing) == (family, pairing)
    assert a.second_subject is not None and a.second_subject.lower().endswith(
        tuple(prompting.FAMILIES[family])
    )


@pytest.mark.parametrize(
    "prompt",
    [
        "a cat in a forest of trees",  # scenery after a preposition: a setting
        "A fox runs past a house and a tree",  # scenery is never a second subject
        "three cats sleep on a rug",  # a count, one family
        "A cat and her kittens",  # one family
        "a cat on a table",  # not a subject at all
        "a cat on a horse",  # a cat does not ride
        "A girl rides a bus",  # nor is a bus a mount
        "A knight with a sword",  # a held thing, drawn as a sign: not a second figure
        "A cat sleeps. A dog barks.",  # another sentence
        "A quiet beach with no people and without any boats",
        "A cat plays with toys near a dog",  # "near" is no joining word
        "A lighthouse and a boat",  # a building is where a shot happens
    ],
)
def test_no_second_subject_where_the_prompt_joins_none(prompt: str) -> None:
    a = prompting.analyse(prompt)
    assert (a.second_subject, a.second_family, a.pairing) == (None, None, None)


def test_the_second_subject_leaves_the_first_as_it_was() -> None:
    a = prompting.analyse(CAT_AND_DOG)
    assert (a.subject, a.subject_family, a.subject_count) == ("cat", "cat", 1)
    assert (a.setting, a.setting_kind) == ("garden", "field")
    assert a.second_subject == "dog"
    two = prompting.analyse("Two cowboys riding horses across a prairie")
    assert (two.subject, two.subject_count, two.second_family) == ("Two cowboys", 2, "horse")


def test_the_second_phrase_keeps_its_modifiers_but_not_the_joining_verb() -> None:
    assert prompting.analyse("A fox hunting rabbits in the snow").second_subject == "rabbits"
    assert prompting.analyse("A man and a big brown dog").second_subject == "big brown dog"


def test_every_mount_has_a_seat_and_every_rider_a_drawing() -> None:
    assert set(sprites.SEATS) == prompting.MOUNTS
    assert set(figures.FAMILIES) >= prompting.RIDERS


# ----------------------------------------------------------------------------- the scene


def test_side_by_side_the_second_is_the_companion_in_its_own_colours() -> None:
    shot = _shot(CAT_AND_DOG)
    assert shot.subject_kind == "cat" and shot.pairing == "beside"
    assert shot.companion is not None and shot.companion.kind == "dog"
    assert shot.companion.colour == figures.FAMILIES["dog"].colour
    assert shot.companion_colour == palette.figure(shot.companion.colour, "day", "storyboard")
    assert shot.title == "CAT & DOG"
    black = _shot("A cat and a black dog play in a garden").companion
    assert black is not None and black.colour == prompting.COLOURS["black"]


def test_a_rider_rides_its_mount_which_leads_the_motion() -> None:
    shot = _shot(COWBOY)
    assert shot.title == "COWBOY ON HORSE · RIDING"
    assert (shot.pairing, shot.subject_kind, shot.analysis.subject_family) == (
        "riding",
        "horse",
        "person",
    )
    dragon = _shot("A knight on a dragon")
    assert dragon.subject_kind == "dragon" and dragon.action == "fly"  # a dragon flies
    assert dragon.title.startswith("KNIGHT ON DRAGON")


def test_a_named_character_keeps_its_own_companion() -> None:
    fox = scene.Look("Captain Fox", "fox", (200, 100, 40))
    shot = _shot(CAT_AND_DOG, character=fox)
    assert shot.companion is None and shot.title.startswith("CAPTAIN FOX")


def test_a_remix_keeps_the_pair_unless_it_names_a_subject() -> None:
    night = _shot("the same shot at night", source_prompt=CAT_AND_DOG)
    assert night.companion is not None and night.companion.kind == "dog"
    assert night.lighting == "night"
    fox = _shot("now a fox", source_prompt=CAT_AND_DOG)
    assert fox.subject_kind == "fox" and fox.companion is None


def test_the_recorded_scene_keeps_the_second_subject() -> None:
    analysis = prompting.analyse(COWBOY)
    assert scene.recall(scene.describe(analysis)) == analysis


@pytest.mark.parametrize(
    ("prompt", "negative", "title", "kind"),
    [
        (CAT_AND_DOG, "dog", "CAT", "cat"),
        (CAT_AND_DOG, "no cats", "DOG", "dog"),
        (COWBOY, "horses", "COWBOY · RIDING", "person"),
        (COWBOY, "cowboy", "HORSE · RIDING", "horse"),
    ],
)
def test_a_negative_prompt_naming_either_subject_removes_it(
    prompt: str, negative: str, title: str, kind: str
) -> None:
    shot = _shot(prompt, negative=negative)
    assert shot.companion is None and shot.pairing == "beside"
    assert (shot.title, shot.subject_kind) == (title, kind)


def test_a_remix_told_to_leave_the_first_out_keeps_the_second() -> None:
    shot = _shot("the same shot at night", source_prompt=CAT_AND_DOG, negative="cat")
    assert shot.subject_kind == "dog" and shot.companion is None
    assert "cat" not in scene.describe(shot.analysis).lower()
    kept = _shot("the same shot at night", source_prompt=CAT_AND_DOG, negative="dog")
    assert kept.subject_kind == "cat" and kept.companion is None


# ----------------------------------------------------------------------------- drawing


def _alpha(img: Image.Image) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = np.asarray(img.getchannel("A")) > 127
    return mask


@pytest.mark.parametrize("mount", sorted(prompting.MOUNTS))
def test_the_rider_sits_on_the_mounts_back_smaller_than_a_person_alone(mount: str) -> None:
    colour = figures.FAMILIES[mount].colour
    size = 120.0
    bare = sprites.draw_subject(mount, size, colour, OUTLINE, 0.25, "idle")
    rider = sprites.Rider("person", (60, 110, 200))
    ridden = sprites.draw_subject(mount, size, colour, OUTLINE, 0.25, "idle", rider=rider)
    # Same anchor (bottom centre): align the bare mount inside the taller ridden drawing.
    base = np.zeros(ridden.size[::-1], bool)
    x0 = (ridden.width - bare.width) // 2
    base[ridden.height - bare.height :, x0 : x0 + bare.width] = _alpha(bare)
    on = _alpha(ridden) & ~base  # the rider, where the mount is not
    rows, cols = np.nonzero(on)
    assert rows.size > 200
    head = cols[rows < rows.min() + 4]
    mount_rows = np.nonzero(base[:, head.min() : head.max() + 1].any(axis=1))[0]
    assert rows.min() < mount_rows.min() - 4  # the head above the mount's back...
    overlap = _alpha(ridden) & base & _rider_coloured(ridden)
    assert overlap.sum() > 20  # ...and the rider drawn over the mount, not beside it
    person = sprites.draw_subject(
        "person", size * sprites.SIZE["person"] / sprites.SIZE[mount], colour, OUTLINE, 0, "idle"
    )
    assert rows.max() - rows.min() < 0.9 * person.height  # seated, and smaller


def _rider_coloured(img: Image.Image) -> NDArray[np.bool_]:
    px = np.asarray(img.convert("RGB")).astype(np.int16)
    near: NDArray[np.bool_] = np.abs(px - np.array((60, 110, 200))).sum(axis=2) < 90
    return near


def test_a_ridden_animal_gallops_and_a_bicycle_is_driven() -> None:
    assert sprites.mount_action("horse", "drive") == "run"
    assert sprites.mount_action("bicycle", "drive") == "drive"
    assert sprites.mount_action("horse", "walk") == "walk"


def test_the_rider_is_drawn_on_the_mount_as_one_figure() -> None:
    r = render.Renderer(_shot(COWBOY), None, captions=False)
    assert r.companion is None and r.subject is not None
    assert r.subject.kind == "horse" and r.subject.rider is not None
    assert r.subject.rider.kind == "person"
    ridden = _alpha(r.subject.get(0.0, 0.0, False)).sum()
    bare = render.Renderer(_shot("A horse gallops across the desert at sunset"), None)
    assert bare.subject is not None and bare.subject.size == r.subject.size
    assert ridden > _alpha(bare.subject.get(0.0, 0.0, False)).sum() * 1.15


def _boxes_inside(r: render.Renderer) -> bool:
    w = r.scene.width
    return all(x0 >= 0 and x1 <= w for x0, _, x1, _ in r.subject_boxes())


@pytest.mark.parametrize("seed", range(1, 9))
@pytest.mark.parametrize(
    "prompt",
    [
        CAT_AND_DOG,
        "A dog chasing a ball in a park, static camera",
        "A fox hunting a rabbit in the snow, slow dolly in",
        "A cat and a dog walk along a beach, tracking shot",
        "Close-up of a cat and a dog",
    ],
)
def test_both_stay_inside_the_frame(prompt: str, seed: int) -> None:
    r = render.Renderer(_shot(prompt, seed), None, captions=False)
    assert r.companion is not None
    assert _boxes_inside(r)


def test_the_chased_goes_ahead_and_a_companion_a_step_behind() -> None:
    for prompt, sign in (("A dog chasing a ball in a park", 1), (CAT_AND_DOG, -1)):
        r = render.Renderer(_shot(prompt, seed=5), None, captions=False)
        assert r._step * r.motion.direction * sign > 0, prompt


def test_a_walking_companion_stays_on_the_ground_under_a_flying_subject() -> None:
    r = render.Renderer(_shot("An eagle and a fox in the mountains"), None, captions=False)
    assert r.motion.airborne and r._on_ground
    x, y, _, cam = r._subject_at(10)
    _, feet = r._companion_at(x, y, cam.y)
    assert feet == pytest.approx(r.motion.ground + cam.y)
    kite = render.Renderer(_shot("A girl and her kite on a beach"), None, captions=False)
    assert kite._lift < 0  # the kite flies beside the girl, higher


def test_the_subject_boxes_take_in_the_companion() -> None:
    shot = _shot(CAT_AND_DOG)
    pair = render.Renderer(shot, None, captions=False)
    alone = render.Renderer(dataclasses.replace(shot, companion=None), None, captions=False)
    for (a0, _, a1, _), (b0, _, b1, _) in zip(
        pair.subject_boxes(), alone.subject_boxes(), strict=True
    ):
        assert a1 - a0 > (b1 - b0) * 1.5


def test_the_caption_and_label_avoid_the_companion() -> None:
    """Over several seeds: whenever a layout clear of both subjects exists, the one chosen
    covers neither (the default bottom-left one is taken only where it is clear)."""
    for seed in range(1, 13):
        r = render.Renderer(_shot(CAT_AND_DOG, seed), None)
        boxes = np.asarray(r.subject_boxes(), np.float64)
        assert r.overlay.caption_box is not None and r.overlay.label_box is not None
        for box in (r.overlay.caption_box, r.overlay.label_box):
            assert captions._covered(box, boxes) == 0, seed
