"""Two subjects in real MP4s, decoded back: both are drawn, a rider moves on its mount, and a
negative prompt naming the second renders the shot without it, exactly.

Like ``test_animatic_subjects``: the same seed gives the same layout, light and camera, so
a figure is what differs between two renders (captions and sound off).
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from reelway import jobs
from reelway.engines.animatic import render, scene
from tests.engines.test_animatic import frames, render_to, request

QUIET = {"captions": False, "audio": False}
STILL = "in a garden at midday, static camera"


def _frames(tmp_path: Path, prompt: str, name: str, **kw: object) -> list[NDArray[np.int16]]:
    req = dataclasses.replace(request(prompt, size=(320, 180), seconds=2), **kw)  # type: ignore[arg-type]
    out = render_to(tmp_path, req, name, **QUIET)
    return [f.astype(np.int16) for f in frames(out.video)]


def _differs(a: NDArray[np.int16], b: NDArray[np.int16]) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = np.abs(a - b).sum(axis=2) > 60
    return mask


def _near(frame: NDArray[np.int16], colour: tuple[int, int, int]) -> NDArray[np.bool_]:
    mask: NDArray[np.bool_] = np.abs(frame - np.array(colour, np.int16)).sum(axis=2) < 45
    return mask


def _colours(prompt: str) -> tuple[tuple[int, int, int], tuple[int, int, int]]:
    """The subject's and the companion's colours as the renderer paints them."""
    shot = render.Renderer(scene.build(prompt, 7, 320, 180, 2, 24), None, captions=False).scene
    assert shot.companion_colour is not None
    return shot.palette.subject, shot.companion_colour


def test_a_cat_and_a_dog_are_both_drawn(tmp_path: Path) -> None:
    empty = _frames(tmp_path, f"A garden {STILL}", "empty")[24]
    cat = _frames(tmp_path, f"A cat plays {STILL}", "cat")[24]
    pair_prompt = f"A cat and a dog play {STILL}"
    pair = _frames(tmp_path, pair_prompt, "pair")[24]
    alone, both = _differs(cat, empty), _differs(pair, empty)
    assert alone.sum() > 300
    assert both.sum() > 1.6 * alone.sum()
    cat_colour, dog_colour = _colours(pair_prompt)
    dogs = _near(pair, dog_colour) & both & ~alone  # the dog is where the cat alone is not
    assert dogs.sum() > 150
    assert (_near(pair, cat_colour) & both).sum() > 150  # and the cat is still there


def test_the_rider_moves_with_its_mount(tmp_path: Path) -> None:
    prompt = "A cowboy riding a horse across the desert at midday, static camera"
    shot = _frames(tmp_path, prompt, "ride")
    empty = _frames(tmp_path, "The desert at midday, static camera", "desert")
    rider_colour, horse_colour = _colours(prompt)
    centres = []
    for k in (0, len(shot) - 1):
        drawn = _differs(shot[k], empty[k])
        rider, horse = _near(shot[k], rider_colour) & drawn, _near(shot[k], horse_colour) & drawn
        assert rider.sum() > 40 and horse.sum() > 200
        (ry, rx), (hy, hx) = (np.argwhere(m).mean(axis=0) for m in (rider, horse))
        assert ry < hy  # up on its back
        assert abs(rx - hx) < 0.25 * np.ptp(np.argwhere(horse)[:, 1])  # over it, not beside
        centres.append((rx, hx))
    (r0, h0), (r1, h1) = centres
    assert abs(h1 - h0) > 20  # the horse travelled...
    assert abs((r1 - r0) - (h1 - h0)) < 6  # ...and the rider with it


def test_a_negative_prompt_naming_the_second_renders_the_shot_without_it(
    tmp_path: Path,
) -> None:
    pairs = [
        ("A cat and a dog play in a garden", "dog", "A cat plays in a garden"),
        ("A cowboy riding a horse across the desert", "horse", "A cowboy riding across the desert"),
    ]
    for k, (prompt, negative, without) in enumerate(pairs):
        told = _frames(tmp_path, prompt, f"told{k}", sources=_negative(negative))
        plain = _frames(tmp_path, without, f"plain{k}")
        both = _frames(tmp_path, prompt, f"both{k}")
        assert max(np.abs(a - b).mean() for a, b in zip(told, plain, strict=True)) < 0.5
        assert min(np.abs(a - b).mean() for a, b in zip(told, both, strict=True)) > 0.5


def _negative(words: str) -> jobs.Sources:
    return jobs.Sources(negative_prompt=words)
