"""``reelway doctor`` says what a remix, edit or extension started from."""

from __future__ import annotations

from reelway import jobs
from reelway.cli import doctor


def test_the_source_in_a_few_words() -> None:
    extension = jobs.Sources(video_id="video_a", extends_seconds=8, extensions=2)
    assert doctor._source(extension) == "video_a (8s, extension 2 of its chain)"
    assert doctor._source(jobs.Sources(file="videos/b/source.mp4")) == "an uploaded video"
    assert doctor._source(jobs.Sources(video_id="video_c")) == "video_c"
