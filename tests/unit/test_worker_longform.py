"""The worker's rules for edits, extensions and characters: what a job needs of its engine,
what each engine is asked to render, what the video records, the charge of an extension, and
the source video as a component in the manifest."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np

from reelway import jobs
from reelway.capabilities import EngineInfo
from reelway.media import certificates, encode
from reelway.media import provenance as pv
from reelway.worker import remote_job, routing
from tests.unit.test_routing_capabilities import Capability, _route, _video

EXTENDS = jobs.Sources(video_id="video_src", extends_seconds=4, extensions=1)
NATIVE = EngineInfo("native", capabilities=frozenset({Capability.EXTENSIONS}))
FROM_IMAGE = EngineInfo("from_image", capabilities=frozenset({Capability.IMAGE_INPUT}))
NEITHER = EngineInfo("neither", capabilities=frozenset({Capability.EDITS}))


def test_each_kind_needs_its_capability_and_an_extension_its_new_seconds() -> None:
    extension = routing.needs(_video(kind=jobs.JobKind.EXTEND, seconds="12", sources=EXTENDS))
    assert extension.capabilities == {Capability.EXTENSIONS} and extension.seconds == 8
    edit = routing.needs(_video(kind=jobs.JobKind.EDIT, sources=jobs.Sources(video_id="v")))
    assert edit.capabilities == {Capability.EDITS} and edit.seconds == 8
    cast = routing.needs(_video(sources=jobs.Sources(characters=("char_a",))))
    assert cast.capabilities == {Capability.CHARACTERS}


def test_an_extension_is_native_where_it_can_be_and_generated_from_the_last_frame_else() -> None:
    video = _video(kind=jobs.JobKind.EXTEND, seconds="12", sources=EXTENDS)
    route = _route(video, NEITHER, FROM_IMAGE, NATIVE)
    assert route.order == ("from_image", "native") and route.skipped == {"neither": "video"}
    assert route.rendering("native") is jobs.JobKind.EXTEND
    assert route.rendering("from_image") is jobs.JobKind.GENERATE
    # A stitched extension is still an extension; a remix made afresh says so.
    assert routing.rendered_as(jobs.JobKind.EXTEND, jobs.JobKind.GENERATE) is None
    assert routing.rendered_as(jobs.JobKind.REMIX, jobs.JobKind.GENERATE) == "generation"
    assert routing.rendered_as(jobs.JobKind.EDIT, jobs.JobKind.EDIT) is None


def test_an_edit_skips_engines_that_cannot_edit() -> None:
    video = _video(kind=jobs.JobKind.EDIT, sources=jobs.Sources(video_id="video_src"))
    route = _route(video, FROM_IMAGE, NEITHER)
    assert route.order == ("neither",) and route.skipped == {"from_image": "video"}
    assert route.rendering("neither") is jobs.JobKind.EDIT


def _clip(path: Path, seconds: float, fps: int = 10) -> Path:
    with encode.Mp4Writer(path, 32, 32, fps, audio=False) as writer:
        for index in range(round(seconds * fps)):
            writer.write_frame(np.full((32, 32, 3), 10 * index % 250, np.uint8))
    return path


def _billed(video: jobs.Video, path: Path) -> int | None:
    run: Any = object.__new__(remote_job.RemoteRun)
    run.video, run.cost_usd = video, None
    settlement = asyncio.run(remote_job.RemoteRun.billing(run, path))
    return settlement.billed_seconds


def test_a_remote_extension_is_charged_for_its_new_seconds_only(tmp_path: Path) -> None:
    whole = _clip(tmp_path / "whole.mp4", 11.0)  # a 4 s source and 7 s of the 8 s asked
    extension = _video(kind=jobs.JobKind.EXTEND, seconds="12", sources=EXTENDS)
    assert _billed(extension, whole) == 7
    assert _billed(_video(seconds="12"), whole) == 11  # any other kind: its whole length


def test_the_source_video_is_a_component_ingredient_with_its_own_manifest(
    tmp_path: Path,
) -> None:
    signer = pv.Signer(certificates.development(tmp_path / "c2pa"))
    claim = pv.Claim("v.mp4", "sora-2", "animatic", "video_new", "0.1.0")
    source = _clip(tmp_path / "source.mp4", 1.0)
    signer.sign(source, source, "video/mp4", claim)
    made = _clip(tmp_path / "made.mp4", 2.0)
    signer.sign(made, made, "video/mp4", claim, components=[pv.Component(source, "source")])

    report = pv.read(made)
    assert report.ok
    [ingredient] = report.ingredients
    assert (ingredient["title"], ingredient["relationship"]) == ("source", "componentOf")
    assert ingredient["has_manifest"] and ingredient["validation_state"] == "Valid"
    actions = [
        a["action"]
        for a in pv.manifest("video/mp4", claim, False, (), 1)["assertions"][0]["data"]["actions"]
    ]
    assert actions == ["c2pa.created", "c2pa.placed"]
