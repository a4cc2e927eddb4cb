"""The animatic honours negative_prompt and loop: scenes and decoded frames checked."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from reelway import jobs
from reelway.catalog import Capability
from reelway.engines import base
from reelway.engines.animatic import layers, render, scene
from reelway.engines.animatic.engine import AnimaticEngine
from tests.engines.test_animatic import frames, reference_image, render_to, request

QUIET = {"captions": False, "audio": False}
"""Frames without captions (which print the prompt) compare scene against scene."""


def asking(
    prompt: str, *, negative: str | None = None, loop: bool = False, **kw: object
) -> base.GenerationRequest:
    req = request(prompt, **kw)  # type: ignore[arg-type]
    return dataclasses.replace(req, sources=jobs.Sources(negative_prompt=negative, loop=loop))


def decoded(path: Path) -> list[np.ndarray]:
    return [f.astype(np.int16) for f in frames(path)]


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def test_the_animatic_declares_both() -> None:
    info = AnimaticEngine().info
    assert info.has(Capability.NEGATIVE_PROMPT) and info.has(Capability.LOOP)


def test_a_negative_subject_leaves_the_scene_and_the_next_one_takes_its_place() -> None:
    both = "a cat and a dog in a park"
    without_dog = scene.build(both, 3, 320, 180, 1, 24, negative="dog")
    told = " ".join((scene.describe(without_dog.analysis), without_dog.title, without_dog.subtitle))
    assert "dog" not in told.lower() and without_dog.analysis.subject == "cat"
    without_cat = scene.build(both, 3, 320, 180, 1, 24, negative="no cats")
    assert without_cat.analysis.subject == "dog" and "CAT" not in without_cat.title
    assert "cat" not in scene.describe(without_cat.analysis).lower()
    # a subject whose noun is cut does not come back as its leftover adjective
    alone = scene.build("a brown dog runs in a park", 3, 320, 180, 1, 24, negative="dog")
    assert alone.analysis.subject is None and alone.subject_kind is None


def test_a_negative_subject_renders_exactly_as_the_prompt_without_it(tmp_path: Path) -> None:
    negated = render_to(
        tmp_path, asking("a robot and a cat in a city", negative="robot"), "neg", **QUIET
    )
    plain = render_to(tmp_path, asking("a cat in a city"), "plain", **QUIET)
    robot = render_to(tmp_path, asking("a robot and a cat in a city"), "robot", **QUIET)
    got, want, other = decoded(negated.video), decoded(plain.video), decoded(robot.video)
    assert max(diff(a, b) for a, b in zip(got, want, strict=True)) < 0.5
    assert min(diff(a, b) for a, b in zip(got, other, strict=True)) > 0.5


def test_a_negative_scenery_word_takes_its_props_out(tmp_path: Path) -> None:
    shot = scene.build("a fox in a forest", 3, 320, 180, 1, 24, negative="trees")
    assert {"pine", "trunk"} <= shot.left_out
    kept = render.Renderer(scene.build("a fox in a forest", 3, 320, 180, 1, 24), None)
    cut = render.Renderer(shot, None)
    depths = {layer.depth for layer in (*kept.behind, *kept.front) if layer.props}
    assert {layers.MID_DEPTH, layers.NEAR_DEPTH} <= depths  # pines and trunks
    left = {layer.depth for layer in (*cut.behind, *cut.front) if layer.props}
    assert not left & {layers.MID_DEPTH, layers.NEAR_DEPTH}  # only the grass is left
    with_trees = decoded(render_to(tmp_path, asking("a fox in a forest"), "a", **QUIET).video)
    no_trees = decoded(
        render_to(tmp_path, asking("a fox in a forest", negative="trees"), "b", **QUIET).video
    )
    assert diff(with_trees[0], no_trees[0]) > 1.0


def test_a_negative_style_or_colour_word_is_not_drawn(tmp_path: Path) -> None:
    prompt = "a red fox in a noir city"
    shot = scene.build(prompt, 3, 320, 180, 1, 24, negative="red, noir")
    assert shot.style != "noir" and "red" not in shot.analysis.colours
    assert shot.analysis.subject_colour is None
    noir = frames(render_to(tmp_path, asking(prompt), "noir", **QUIET).video)[5]
    colour = frames(render_to(tmp_path, asking(prompt, negative="noir"), "c", **QUIET).video)[5]

    def chroma(rgb: np.ndarray) -> float:
        return float(np.ptp(rgb.astype(np.int16), axis=2).mean())

    assert chroma(noir) < 4 < chroma(colour)


LOOPED = [
    "a whale swimming underwater, orbit shot",
    "a robot dancing in a neon city, handheld",
    "A red fox running through a snowy forest at golden hour, tracking shot, watercolor",
    "a balloon floating in the sky in the rain, dolly in, vintage",
]


@pytest.mark.parametrize("prompt", LOOPED)
def test_a_loop_flows_from_its_last_frame_into_its_first(tmp_path: Path, prompt: str) -> None:
    """Decoded: the wrap (last frame -> first) is no larger a change than the largest step
    between consecutive frames; without loop the same clip jumps there."""
    for loop in (True, False):
        out = render_to(tmp_path, asking(prompt, loop=loop, seconds=2), f"l{loop}", crf=12)
        got = decoded(out.video)
        steps = [diff(got[i + 1], got[i]) for i in range(len(got) - 1)]
        wrap = diff(got[0], got[-1])
        if loop:
            assert wrap <= max(steps), (wrap, max(steps))
        else:
            assert wrap > max(steps), (wrap, max(steps))


def test_a_loop_from_an_input_image_comes_back_to_the_image(tmp_path: Path) -> None:
    image = reference_image(tmp_path / "ref.png", (320, 180))
    req = dataclasses.replace(asking("a slow push in", loop=True, seconds=2), input_image=image)
    got = decoded(render_to(tmp_path, req, "img", crf=12).video)
    steps = [diff(got[i + 1], got[i]) for i in range(len(got) - 1)]
    assert diff(got[0], got[-1]) <= max(steps)
    assert diff(got[0], got[len(got) // 2]) > max(steps)  # it moved in between


def test_a_loops_scene_returns_exactly_to_its_first_frame() -> None:
    """Before encoding: one frame past the end is frame 0 again, for every camera move."""
    for camera in ("pan left", "tracking shot", "crane up", "orbit", "dolly out", "handheld"):
        shot = scene.build(f"a knight walking on a beach, {camera}", 5, 192, 108, 1, 24, loop=True)
        renderer = render.Renderer(shot, None, captions=False)
        first = np.asarray(renderer.picture(0)).copy()
        again = np.asarray(renderer.picture(shot.frame_count))
        assert first.shape == again.shape and np.array_equal(first, again), camera
