"""The Video object names what an edit or extension started from (Reelway's additions beside
``remixed_from_video_id``), and the official SDK still parses it."""

from __future__ import annotations

from typing import Any

import pytest
from openai.types import Video as SdkVideo

from reelway import jobs
from reelway.api import wire


def _video(**changes: Any) -> jobs.Video:
    row = dict.fromkeys(jobs.VIDEO_FIELDS)
    row.update(
        id="video_new",
        model="sora-2",
        size="1280x720",
        seconds="8",
        status=jobs.JobStatus.QUEUED,
        progress=0,
        created_at=1.0,
        priority=0,
        run_at=1.0,
        engine_attempts=(),
        kind=jobs.JobKind.GENERATE,
        sources=jobs.NO_SOURCES,
    )
    row.update(changes)
    return jobs.video_from_row(list(row.values()))


@pytest.mark.parametrize(
    ("kind", "key"),
    [(jobs.JobKind.EDIT, "edited_from_video_id"), (jobs.JobKind.EXTEND, "extended_from_video_id")],
)
def test_an_edit_or_extension_names_its_source(kind: jobs.JobKind, key: str) -> None:
    shown = wire.video(_video(kind=kind, sources=jobs.Sources(video_id="video_src")))
    assert shown[key] == "video_src"
    assert shown["remixed_from_video_id"] is None
    parsed = SdkVideo.model_validate(shown)
    assert parsed.id == "video_new" and getattr(parsed, key) == "video_src"


def test_an_uploaded_source_or_a_plain_video_adds_no_key() -> None:
    uploaded = wire.video(
        _video(kind=jobs.JobKind.EDIT, sources=jobs.Sources(file="videos/x/source.mp4"))
    )
    plain = wire.video(_video())
    remix = wire.video(_video(kind=jobs.JobKind.REMIX, sources=jobs.Sources(video_id="video_a")))
    for shown in (uploaded, plain, remix):
        assert not set(shown) & set(wire.SOURCE_KEYS.values())
    assert remix["remixed_from_video_id"] == "video_a"
