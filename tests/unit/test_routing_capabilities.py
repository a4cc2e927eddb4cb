"""Routing reads each engine's EngineInfo: engines that cannot serve a job are skipped, a remix
goes first to the engines that can really remix its source, and the job's error and attempts
are typed records stored in the same JSON as before."""

from __future__ import annotations

import dataclasses
from typing import Any

from reelway import catalog, errors, jobs
from reelway.capabilities import EngineInfo
from reelway.engines.directory import EngineDirectory
from reelway.worker import routing

Capability = catalog.Capability


class Directory(EngineDirectory):
    """Engines known only by their info (nothing is built)."""

    def __init__(self, *infos: EngineInfo) -> None:
        super().__init__()
        self.infos = {info.name: info for info in infos}

    def info(self, name: str) -> EngineInfo:
        return self.infos[name]


def _video(**changes: Any) -> jobs.Video:
    row = dict.fromkeys(jobs.VIDEO_FIELDS)
    row.update(
        id="video_route",
        size="1280x720",
        seconds="8",
        status=jobs.JobStatus.RUNNING,
        engine_attempts=(),
        kind=jobs.JobKind.GENERATE,
        sources=jobs.NO_SOURCES,
    )
    row.update(changes)
    return jobs.video_from_row(list(row.values()))


class NothingPaused:
    """The engine store as routing asks it here: neither limited nor remote, so only which
    engines are paused (none)."""

    async def paused(self) -> dict[str, str]:
        return {}


def _route(video: jobs.Video, *infos: EngineInfo, source: jobs.Video | None = None) -> Any:
    model = catalog.load(None).get("sora-2")
    assert model is not None
    model = dataclasses.replace(model, route=tuple(i.name for i in infos), weights={})
    return routing.Route(
        video,
        model,
        Directory(*infos),
        NothingPaused(),  # type: ignore[arg-type]
        passes=1,
        pass_pause_seconds=0.0,
        remote=lambda _: False,
        source=source,
    )


IMAGES = frozenset({Capability.IMAGE_INPUT})


async def test_an_engine_that_takes_no_input_image_is_skipped_for_a_job_with_one() -> None:
    without, with_images = EngineInfo("p1"), EngineInfo("p2", capabilities=IMAGES)
    route = _route(_video(input_reference="videos/v/input.png"), without, with_images)
    assert route.skipped == {"p1": "input_reference"}
    assert await route.next_engine() == "p2"
    plain = _route(_video(), without, with_images)
    assert plain.skipped == {} and await plain.next_engine() == "p1"


async def test_a_job_no_engine_on_the_route_can_serve_fails_naming_the_parameter() -> None:
    route = _route(
        _video(seconds="12"),
        EngineInfo("p1", seconds=frozenset({4, 8})),
        EngineInfo("p2", seconds=frozenset({8})),
    )
    assert await route.next_engine() is None
    failure = route.exhausted()
    assert isinstance(failure, errors.NoEngineAvailable) and failure.param == "seconds"
    assert "seconds" in failure.message and "p1" in failure.message and "p2" in failure.message


async def test_a_remix_goes_first_to_an_engine_that_can_really_remix_its_source() -> None:
    source = _video(id="video_source", engine="p1", operation={"id": "up_1"})
    remix = _video(kind=jobs.JobKind.REMIX, sources=jobs.Sources(video_id="video_source"))
    cannot = EngineInfo("p1")
    can = EngineInfo("p2", capabilities=frozenset({Capability.REMIX}))
    route = _route(remix, cannot, can, source=source)
    assert await route.next_engine() == "p2"
    assert route.rendering("p2") is jobs.JobKind.REMIX
    assert route.rendering("p1") is jobs.JobKind.GENERATE
    assert routing.rendered_as(jobs.JobKind.REMIX, route.rendering("p1")) == "generation"
    assert routing.rendered_as(jobs.JobKind.REMIX, route.rendering("p2")) is None
    # Only the engine that made the source is handed its operation (an upstream remix).
    own = _route(remix, EngineInfo("p1", remix_own=True), can, source=source)
    assert await own.next_engine() == "p1"
    assert own.source_operation("p1", jobs.JobKind.REMIX) == {"id": "up_1"}
    assert own.source_operation("p2", jobs.JobKind.REMIX) is None
    assert own.source_operation("p1", jobs.JobKind.GENERATE) is None


async def test_the_routes_error_and_attempts_keep_their_stored_json() -> None:
    route = _route(_video(), EngineInfo("p1"), EngineInfo("p2"))
    await route.failed("p1", errors.UpstreamUnavailable("p1 is down."))
    error = route.explain(errors.ModerationBlocked("Refused.", details={"category": "x"}))
    stored = error.to_json()
    (attempt,) = stored["attempts"]
    assert list(attempt) == ["engine", "code", "message", "at", "pass"]
    assert attempt["engine"] == "p1" and attempt["code"] == "upstream_unavailable"
    assert stored["code"] == "moderation_blocked" and stored["category"] == "x"
    assert jobs.JobError.from_json(stored) == error
