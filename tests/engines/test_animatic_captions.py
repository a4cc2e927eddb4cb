"""Captions off per request (``captions`` in ``jobs.Sources``) and per deployment (the
engine's ``captions`` option): decoded frames compared, and a remix keeps its source's choice."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from reelway import jobs
from reelway.engines import base
from reelway.engines.animatic import extension
from reelway.engines.animatic.engine import AnimaticEngine
from tests.engines.test_animatic import frames, render_to, request

PROMPT = "A lighthouse on a cliff at night, static camera, film noir"


def asking(captions: bool | None, **changes: object) -> base.GenerationRequest:
    req = request(PROMPT, size=(320, 180), seconds=1)
    return dataclasses.replace(req, sources=jobs.Sources(captions=captions), **changes)  # type: ignore[arg-type]


def band(rgb: np.ndarray) -> np.ndarray:
    """The lower third, where the storyboard caption sits."""
    return rgb[rgb.shape[0] * 2 // 3 :].astype(np.int16)


def diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.int16) - b.astype(np.int16)).mean())


@pytest.fixture(scope="module")
def renders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[np.ndarray]]:
    """The same shot four ways: request on/off/unsaid against deployment on/off."""
    where = tmp_path_factory.mktemp("captions")
    made = {
        "default": render_to(where, asking(None), "default", audio=False),
        "asked_off": render_to(where, asking(False), "asked_off", audio=False),
        "deployed_off": render_to(where, asking(None), "deployed_off", audio=False, captions=False),
        "asked_on": render_to(where, asking(True), "asked_on", audio=False, captions=False),
    }
    return {name: frames(out.video) for name, out in made.items()}


def test_a_request_turns_the_captions_off_whatever_the_deployment_says(
    renders: dict[str, list[np.ndarray]],
) -> None:
    middle = len(renders["default"]) // 2
    captioned, off = renders["default"][middle], renders["asked_off"][middle]
    assert diff(band(captioned), band(off)) > 1.5  # the caption band is gone
    # exactly the deployment's captions-off render, every frame
    for got, want in zip(renders["asked_off"], renders["deployed_off"], strict=True):
        assert diff(got, want) < 0.5


def test_a_request_turns_them_on_where_the_deployment_has_them_off(
    renders: dict[str, list[np.ndarray]],
) -> None:
    for got, want in zip(renders["asked_on"], renders["default"], strict=True):
        assert diff(got, want) < 0.5
    middle = len(renders["default"]) // 2
    assert diff(band(renders["asked_on"][middle]), band(renders["deployed_off"][middle])) > 1.5


def test_a_remix_keeps_its_sources_captions_unless_it_says(tmp_path: Path) -> None:
    source = render_to(tmp_path, asking(False), "source", audio=False).video
    comment = extension.tag(source, "comment") or ""
    assert comment.endswith("captions off")
    remix = {
        "kind": jobs.JobKind.REMIX,
        "source_video": source,
        "source_prompt": PROMPT,
        "prompt": "The same lighthouse, in falling snow",
    }
    kept = render_to(tmp_path, asking(None, **remix), "kept", audio=False)
    plain = render_to(tmp_path, asking(None, **remix), "plain", audio=False, captions=False)
    told = render_to(tmp_path, asking(True, **remix), "told", audio=False)
    kept_frames, plain_frames = frames(kept.video), frames(plain.video)
    assert all(diff(a, b) < 0.5 for a, b in zip(kept_frames, plain_frames, strict=True))
    middle = len(kept_frames) // 2
    assert diff(band(frames(told.video)[middle]), band(kept_frames[middle])) > 1.5
    assert not (extension.tag(told.video, "comment") or "").endswith("captions off")


def test_the_engine_reads_the_request_first_then_the_source_then_its_option(
    tmp_path: Path,
) -> None:
    on, off = AnimaticEngine(), AnimaticEngine(captions=False)
    assert on.shows(asking(None)) and not off.shows(asking(None))
    assert not on.shows(asking(False)) and off.shows(asking(True))
    # a source that is not an animatic's MP4 leaves the deployment's option
    stranger = tmp_path / "upload.mp4"
    stranger.write_bytes(b"not a video")
    remix = asking(None, kind=jobs.JobKind.EDIT, source_video=stranger)
    assert on.shows(remix) and not off.shows(remix)
