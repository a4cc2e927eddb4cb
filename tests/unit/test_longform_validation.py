"""Edits and extensions: the rules (validation), the uploaded video check, what a job needs
and is charged for."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from reelway import capabilities, catalog, errors, jobs, longform, service, validation
from reelway.media import encode

MODELS = catalog.load()
SORA = MODELS.resolve("sora-2")


def _mp4(path: Path, width: int, height: int, seconds: float, fps: int = 8) -> Path:
    frame = np.full((height, width, 3), (40, 90, 160), dtype=np.uint8)
    with encode.Mp4Writer(path, width, height, fps, audio=False) as writer:
        for _ in range(round(seconds * fps)):
            writer.write_frame(frame)
    return path


# ---------------------------------------------------------------------- extension rules


@pytest.mark.parametrize("name", ["characters", "input_reference"])
def test_characters_and_an_input_image_are_refused_on_an_extension(name: str) -> None:
    with pytest.raises(errors.NotAllowedOnExtension) as caught:
        validation.not_on_extension({"prompt": "on", name: [{"id": "char_1"}]})
    assert caught.value.param == name and caught.value.code == "not_allowed_on_extension"
    validation.not_on_extension({"prompt": "on", "seconds": "4"})


def test_the_new_segment_is_required_and_one_the_model_makes() -> None:
    with pytest.raises(errors.MissingParameter) as missing:
        validation.extension_seconds(SORA, None)
    assert missing.value.param == "seconds"
    assert [validation.extension_seconds(SORA, s) for s in ("4", "8", "12", "16", "20")] == [
        4,
        8,
        12,
        16,
        20,
    ]
    with pytest.raises(errors.InvalidValue) as odd:
        validation.extension_seconds(SORA, "5")
    assert odd.value.param == "seconds" and "16, 20" in odd.value.message


def test_a_chain_holds_six_extensions_and_120_seconds() -> None:
    validation.check_extension(source_seconds=100, chain=5, seconds=20)  # the sixth, 120 s
    with pytest.raises(errors.TooManyExtensions) as many:
        validation.check_extension(source_seconds=28, chain=6, seconds=4)
    assert (many.value.code, many.value.param) == ("too_many_extensions", "video")
    with pytest.raises(errors.VideoTooLong) as long:
        validation.check_extension(source_seconds=104, chain=2, seconds=20)
    assert (long.value.code, long.value.param) == ("video_too_long", "seconds")
    assert "at most 16 s can be added" in long.value.message


def test_an_uploaded_video_keeps_a_size_the_model_makes_and_a_length_it_allows() -> None:
    assert validation.uploaded_video(SORA, 720, 1280, 4.04, longest=20) == ("720x1280", 4)
    with pytest.raises(errors.VideoSizeNotAllowed) as size:
        validation.uploaded_video(SORA, 640, 480, 4.0, longest=20)
    assert size.value.param == "video" and "1280x720" in size.value.message
    with pytest.raises(errors.VideoTooLong) as long:
        validation.uploaded_video(SORA, 1280, 720, 31.0, longest=20)
    assert long.value.param == "video"


# ---------------------------------------------------------------------- the upload check


def test_an_mp4_that_decodes_is_read(tmp_path: Path) -> None:
    path = _mp4(tmp_path / "ok.mp4", 128, 72, 2.0)
    info, sampled = longform.read_video(path), longform.sample_frames(path)
    assert len(sampled) == longform.SCREENED_FRAMES and sampled[0][:2] == b"\xff\xd8"
    assert (info.width, info.height) == (128, 72)
    assert info.duration == pytest.approx(2.0, abs=0.2)


@pytest.mark.parametrize(
    "content",
    [
        b"not a video at all",
        b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom",  # a header and nothing else
        b"\x89PNG\r\n\x1a\n" + b"\x00" * 64,
    ],
)
def test_anything_else_is_invalid_video(tmp_path: Path, content: bytes) -> None:
    path = tmp_path / "bad.mp4"
    path.write_bytes(content)
    with pytest.raises(errors.InvalidVideo) as caught:
        longform.read_video(path)
    assert (caught.value.code, caught.value.param) == ("invalid_video", "video")


def test_a_truncated_mp4_is_invalid_video(tmp_path: Path) -> None:
    whole = _mp4(tmp_path / "whole.mp4", 128, 72, 1.0).read_bytes()
    cut = tmp_path / "cut.mp4"
    cut.write_bytes(whole[: len(whole) // 2])
    with pytest.raises(errors.InvalidVideo):  # its header reads; its frames do not decode
        longform.read_video(cut)
        longform.sample_frames(cut)


# ---------------------------------------------------------------------- what a job is


def _spec(kind: jobs.JobKind, seconds: int, sources: jobs.Sources) -> service.JobSpec:
    return service.JobSpec(
        kind=kind,
        model_name="sora-2",
        model=SORA,
        prompt="p",
        size="720x1280",
        seconds=seconds,
        seed=1,
        sources=sources,
    )


def test_an_extension_needs_extensions_for_its_new_segment_and_is_charged_for_it() -> None:
    spec = _spec(jobs.JobKind.EXTEND, 12, jobs.Sources(video_id="video_a", extends_seconds=8))
    assert spec.new_seconds == 4
    assert spec.needs.seconds == 4
    assert spec.needs.capabilities == {catalog.Capability.EXTENSIONS}
    edit = _spec(jobs.JobKind.EDIT, 8, jobs.Sources(video_id="video_a"))
    assert (edit.new_seconds, edit.needs.capabilities) == (8, frozenset({catalog.Capability.EDITS}))
    plain = _spec(jobs.JobKind.GENERATE, 8, jobs.NO_SOURCES)
    assert (plain.new_seconds, plain.needs.capabilities) == (8, frozenset())


def test_sources_keep_the_chain_through_json() -> None:
    sources = jobs.Sources(video_id="video_a", extends_seconds=8, extensions=2)
    assert jobs.Sources.from_json(sources.to_json()) == sources
    assert jobs.Sources.from_json({"video_id": "video_a"}).extensions == 0


def test_a_route_that_cannot_edit_refuses_an_edit_naming_video() -> None:
    infos = {"animatic": capabilities.EngineInfo("animatic", capabilities=frozenset())}
    edit = _spec(jobs.JobKind.EDIT, 8, jobs.Sources(video_id="video_a"))
    with pytest.raises(errors.UnsupportedParameter) as caught:
        validation.check_servable(SORA, edit.needs, infos)
    assert caught.value.param == "video"
    # An extension is served from the last frame by an engine that takes an input image.
    image_only = frozenset({catalog.Capability.IMAGE_INPUT})
    infos = {"animatic": capabilities.EngineInfo("animatic", capabilities=image_only)}
    extend = _spec(jobs.JobKind.EXTEND, 12, jobs.Sources(video_id="video_a", extends_seconds=8))
    validation.check_servable(SORA, extend.needs, infos)
    # ...for the new segment's length: an engine making 4 s clips serves a 4 s extension.
    infos = {
        "animatic": capabilities.EngineInfo(
            "animatic", capabilities=image_only, seconds=frozenset({4})
        )
    }
    validation.check_servable(SORA, extend.needs, infos)
