"""One contract suite for every remote engine, each run against its fake provider.

An engine's test module subclasses ``RemoteEngineContract`` and provides two fixtures,
``fake`` (a started ``tests.fakes.server.FakeServer``) and ``make_engine`` (builds a fresh
engine pointed at it, with ``API_KEY`` as its secret and a 1-second HTTP timeout), and lists
its provider-specific failures in ``FAILURES``.  The common HTTP faults are checked for every
engine by ``COMMON_FAILURES``.
"""

from __future__ import annotations

import asyncio
import functools
import json
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest
from numpy.typing import NDArray

from reelway import errors, jobs
from reelway.catalog import Capability
from reelway.engines import base
from reelway.media import probe
from tests.fakes import server

API_KEY = "sk-test-never-in-logs-4f1c"
TIMEOUT = 1.0

MakeEngine = Callable[[], Any]


@dataclass(frozen=True)
class Case:
    """A scripted provider behaviour and the Reelway error it must become."""

    name: str
    script: Callable[[server.FakeServer], None]
    expected: type[errors.UpstreamError]
    provider_code: str | None = None
    """The provider's own code that must be kept in the error's ``upstream`` detail."""
    retry_after: float | None = None


def _on(endpoint: str, reply: server.Reply) -> Callable[[server.FakeServer], None]:
    return lambda fake: fake.script(endpoint, reply)


VAGUE = {
    "error": {"message": "The server had an error processing your request.", "type": "server_error"}
}

COMMON_FAILURES = [
    Case(
        "create 500, vague message",
        _on("create", server.fault(500, VAGUE)),
        errors.UpstreamUnavailable,
    ),
    Case(
        "create 502", _on("create", server.fault(502, b"bad gateway")), errors.UpstreamUnavailable
    ),
    Case(
        "create 503 shedding load",
        _on("create", server.fault(503, VAGUE, retry_after=7)),
        errors.UpstreamUnavailable,
        retry_after=7,
    ),
    Case("create 504", _on("create", server.fault(504, {})), errors.UpstreamTimeout),
    Case(
        "create 429 with retry-after",
        _on("create", server.fault(429, {}, retry_after=12)),
        errors.UpstreamRateLimited,
        retry_after=12,
    ),
    Case("create 401", _on("create", server.fault(401, {})), errors.UpstreamAuthFailed),
    Case("create 403", _on("create", server.fault(403, {})), errors.UpstreamAuthFailed),
    Case("create timeout", _on("create", server.slow(TIMEOUT * 2.5)), errors.UpstreamTimeout),
    Case("create dropped connection", _on("create", server.DROP), errors.UpstreamUnavailable),
    Case("create malformed JSON", _on("create", server.MALFORMED), errors.UpstreamProtocolError),
    Case("poll 503", _on("poll", server.fault(503, VAGUE)), errors.UpstreamUnavailable),
    Case("poll malformed JSON", _on("poll", server.MALFORMED), errors.UpstreamProtocolError),
    Case("poll dropped connection", _on("poll", server.DROP), errors.UpstreamUnavailable),
    Case(
        "result URL expired",
        lambda f: f.next_outcome(server.Outcome("expired_url")),
        errors.UpstreamResultExpired,
    ),
    Case(
        "unknown job status",
        lambda f: f.next_outcome(server.Outcome("unknown_status")),
        errors.UpstreamProtocolError,
    ),
]


# What each failure must look like to the worker, written out rather than read from the
# classes: the code clients see, and whether the job may move to the next engine on its route.
WIRE: dict[type[errors.UpstreamError], tuple[str, bool]] = {
    errors.UpstreamUnavailable: ("upstream_unavailable", True),
    errors.UpstreamTimeout: ("upstream_timeout", True),
    errors.UpstreamRateLimited: ("upstream_rate_limited", True),
    errors.UpstreamCapacity: ("upstream_capacity", True),
    errors.UpstreamGenerationFailed: ("upstream_generation_failed", True),
    errors.UpstreamProtocolError: ("upstream_protocol_error", True),
    errors.UpstreamResultExpired: ("upstream_result_expired", True),
    errors.UpstreamAuthFailed: ("upstream_auth_failed", True),
    errors.EngineCannotServe: ("engine_cannot_serve", True),
    errors.UpstreamInvalidRequest: ("upstream_invalid_request", False),
    errors.UpstreamModerationBlocked: ("moderation_blocked", False),
    errors.UpstreamInputBlocked: ("sentinel_block", False),
    errors.UpstreamCancelled: ("cancelled", False),
}


REQUEST = base.GenerationRequest(
    video_id="video_contract",
    model="sora-2",
    prompt="a paper boat on a pond",
    width=1280,
    height=720,
    seconds=4,
    seed=7,
)


async def drive(
    engine: Any,
    request: base.GenerationRequest = REQUEST,
    operation: base.Operation | None = None,
    limit: float = 10.0,
) -> bytes:
    """What the worker does, minus the database: submit (unless resuming), poll, fetch."""
    if operation is None:
        operation = await engine.submit(request)
    operation = json.loads(json.dumps(operation))  # it is stored as JSON
    loop = asyncio.get_running_loop()
    deadline = loop.time() + limit
    while True:
        outcome = await engine.poll(operation)
        if isinstance(outcome, base.Failed):
            raise outcome.error
        if isinstance(outcome, base.Succeeded):
            break
        assert isinstance(outcome, base.Pending), outcome
        assert loop.time() < deadline, "the job never finished"
        await asyncio.sleep(0.05)
    chunks = [chunk async for chunk in engine.fetch(operation, outcome.result)]
    return b"".join(chunks)


class RemoteEngineContract:
    FAILURES: ClassVar[list[Case]] = []
    """Provider-specific failures (job failure codes, moderation...)."""

    async def test_a_job_succeeds_with_the_providers_video(
        self, fake: server.FakeServer, make_engine: MakeEngine
    ) -> None:
        engine = make_engine()
        try:
            video = await drive(engine)
        finally:
            await engine.close()
        assert video == fake.video
        assert fake.creates() == 1

    async def test_the_operation_is_json_and_resumes_in_a_new_engine_without_a_second_submit(
        self, fake: server.FakeServer, make_engine: MakeEngine
    ) -> None:
        first = make_engine()
        operation = await first.submit(REQUEST)
        await first.close()  # the worker that submitted it dies
        stored = json.loads(json.dumps(operation))
        second = make_engine()
        try:
            video = await drive(second, operation=stored)
        finally:
            await second.close()
        assert video == fake.video
        assert fake.creates() == 1, "resuming must not submit again"

    async def test_cancel_reaches_the_provider(
        self, fake: server.FakeServer, make_engine: MakeEngine
    ) -> None:
        fake.next_outcome(server.Outcome("never"))
        engine = make_engine()
        try:
            operation = await engine.submit(REQUEST)
            assert isinstance(await engine.poll(operation), base.Pending)
            await engine.cancel(operation)
        finally:
            await engine.close()
        assert fake.calls["cancel"] == 1
        assert all(job.cancelled for job in fake.jobs.values())

    async def test_a_job_that_never_finishes_stays_pending(
        self, fake: server.FakeServer, make_engine: MakeEngine
    ) -> None:
        fake.next_outcome(server.Outcome("never"))
        engine = make_engine()
        try:
            operation = await engine.submit(REQUEST)
            for _ in range(3):
                assert isinstance(await engine.poll(operation), base.Pending)
                await asyncio.sleep(0.05)
        finally:
            await engine.close()

    async def test_failure_is_mapped(
        self, fake: server.FakeServer, make_engine: MakeEngine, case: Case
    ) -> None:
        case.script(fake)
        engine = make_engine()
        try:
            with pytest.raises(errors.UpstreamError) as caught:
                await drive(engine)
        finally:
            await engine.close()
        error = caught.value
        assert type(error) is case.expected, (
            f"{case.name}: got {type(error).__name__}: {error.message}"
        )
        assert (error.code, error.failover) == WIRE[case.expected]
        assert error.message and len(error.message) < 700
        assert API_KEY not in error.message and API_KEY not in json.dumps(error.upstream)
        if case.provider_code is not None:
            assert error.upstream.get("provider_code") == case.provider_code, error.upstream
        if case.retry_after is not None:
            assert error.retry_after == pytest.approx(case.retry_after)


# ------------------------------------------------------------------ edits, extensions, characters

SECONDS_TOLERANCE = 0.25
"""How far a delivered video's length may be from the length asked for (a frame or two)."""


@functools.cache
def character_clip() -> bytes:
    """A 2 s MP4 (320x180) to make a character from (or to upload as a source), rendered once
    per test session."""
    from reelway.engines.animatic.engine import AnimaticEngine

    with tempfile.TemporaryDirectory() as folder:
        where = Path(folder)
        output = base.RenderOutput(where / "c.mp4", where / "c.webp", where / "c.jpg")
        request = base.GenerationRequest("char_clip", "fake", "a red fox", 320, 180, 2, 3)
        AnimaticEngine(fps=8).render(request, output, lambda _: None)
        return output.video.read_bytes()


def derived(
    kind: jobs.JobKind,
    source: base.Operation | None,
    source_video: Path,
    prompt: str,
    seconds: int = REQUEST.seconds,
    source_seconds: int = REQUEST.seconds,
) -> base.GenerationRequest:
    """An edit or extension of ``REQUEST``'s video, as the worker builds it: ``source`` is
    the operation that made it on this engine (None for a video it did not make)."""
    return replace(
        REQUEST,
        video_id=f"video_{kind.value}",
        prompt=prompt,
        kind=kind,
        seconds=seconds,
        sources=jobs.Sources(video_id=REQUEST.video_id),
        source_operation=source,
        source_video=source_video,
        source_prompt=REQUEST.prompt if source is not None else None,
        source_seconds=source_seconds,
    )


class LongformContract:
    """Edits, extensions and characters, for an engine that serves them natively.  An engine's
    suite opts in by mixing this in and listing what it serves in ``LONGFORM``; a test of
    anything not listed is skipped.  ``EXTENSION_FAILURES`` are scripted after the source is
    made: the provider fails the extension, which must fail over to the next engine."""

    LONGFORM: ClassVar[frozenset[Capability]] = frozenset()
    EXTENSION_FAILURES: ClassVar[list[Case]] = []

    def _serves(self, capability: Capability) -> None:
        if capability not in self.LONGFORM:
            pytest.skip(f"the engine does not serve {capability.value} natively")

    async def _source(self, engine: Any, folder: Path) -> tuple[base.Operation, Path]:
        """A video the engine made, and its file as the worker hands it over."""
        operation = await engine.submit(REQUEST)
        path = folder / "source.mp4"
        path.write_bytes(await drive(engine, operation=operation))
        return json.loads(json.dumps(operation)), path

    async def test_an_edit_of_its_own_video(self, make_engine: MakeEngine, tmp_path: Path) -> None:
        self._serves(Capability.EDITS)
        engine = make_engine()
        try:
            operation, video = await self._source(engine, tmp_path)
            request = derived(jobs.JobKind.EDIT, operation, video, "the same pond at dusk")
            assert engine.info.has(Capability.EDITS)
            edited = await drive(engine, request)
        finally:
            await engine.close()
        assert _length(edited, tmp_path) == pytest.approx(REQUEST.seconds, abs=SECONDS_TOLERANCE)

    async def test_an_edit_of_a_video_it_did_not_make_keeps_its_length(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        self._serves(Capability.EDITS)
        video = tmp_path / "upload.mp4"
        video.write_bytes(character_clip())  # 2 s: not a length a create would make
        request = derived(jobs.JobKind.EDIT, None, video, "in winter", source_seconds=2)
        engine = make_engine()
        try:
            edited = await drive(engine, request)
        finally:
            await engine.close()
        assert _length(edited, tmp_path) == pytest.approx(2, abs=SECONDS_TOLERANCE)

    async def test_an_extension_is_the_whole_video(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        self._serves(Capability.EXTENSIONS)
        engine = make_engine()
        try:
            operation, video = await self._source(engine, tmp_path)
            request = derived(jobs.JobKind.EXTEND, operation, video, "the boat drifts on", 4)
            whole = await drive(engine, request)
        finally:
            await engine.close()
        assert engine.info.has(Capability.EXTENSIONS)
        total = REQUEST.seconds + 4
        assert _length(whole, tmp_path) == pytest.approx(total, abs=SECONDS_TOLERANCE)

    async def test_an_extension_of_a_video_it_did_not_make(
        self, fake: server.FakeServer, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        self._serves(Capability.EXTENSIONS)
        video = tmp_path / "upload.mp4"
        video.write_bytes(fake.video)
        length = round(probe.probe(video).duration)
        request = derived(jobs.JobKind.EXTEND, None, video, "and on", 8, source_seconds=length)
        engine = make_engine()
        try:
            whole = await drive(engine, request)
        finally:
            await engine.close()
        assert _length(whole, tmp_path) == pytest.approx(length + 8, abs=SECONDS_TOLERANCE)

    async def test_characters_are_used_and_reused(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        self._serves(Capability.CHARACTERS)
        clip = tmp_path / "fox.mp4"
        clip.write_bytes(character_clip())
        fox = base.CharacterRef("char_fox", "Rusty", clip)
        owl = base.CharacterRef("char_owl", "Hoot", clip)
        engine = make_engine()
        try:
            assert engine.info.has(Capability.CHARACTERS)
            for prompt in ("Rusty and Hoot by a pond", "Rusty alone at dawn, Hoot watching"):
                request = replace(REQUEST, prompt=prompt, characters=(fox, owl))
                assert _length(await drive(engine, request), tmp_path) > 0
        finally:
            await engine.close()

    async def test_a_failure_mid_extension_fails_over(
        self,
        fake: server.FakeServer,
        make_engine: MakeEngine,
        tmp_path: Path,
        extension_case: Case | None,
    ) -> None:
        self._serves(Capability.EXTENSIONS)
        if extension_case is None:
            pytest.fail("an engine that extends natively lists its EXTENSION_FAILURES")
        engine = make_engine()
        try:
            operation, video = await self._source(engine, tmp_path)
            extension_case.script(fake)
            request = derived(jobs.JobKind.EXTEND, operation, video, "the boat drifts on", 4)
            with pytest.raises(errors.UpstreamError) as caught:
                await drive(engine, request)
        finally:
            await engine.close()
        error = caught.value
        assert type(error) is extension_case.expected, error.message
        assert (error.code, error.failover) == WIRE[extension_case.expected]
        assert error.failover, "a failed extension moves to the next engine on the route"
        if extension_case.provider_code is not None:
            assert error.upstream.get("provider_code") == extension_case.provider_code


def _length(video: bytes, folder: Path) -> float:
    """The seconds of video in an MP4 (it must decode)."""
    path = folder / "result.mp4"
    path.write_bytes(video)
    return probe.probe(path).duration


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``case`` with the common faults plus the engine's own ``FAILURES``, and
    ``extension_case`` with its ``EXTENSION_FAILURES``."""
    if "case" in metafunc.fixturenames and metafunc.cls is not None:
        cases = [*COMMON_FAILURES, *getattr(metafunc.cls, "FAILURES", [])]
        metafunc.parametrize("case", cases, ids=[c.name for c in cases])
    if "extension_case" in metafunc.fixturenames and metafunc.cls is not None:
        found = list(getattr(metafunc.cls, "EXTENSION_FAILURES", []))
        if found:
            metafunc.parametrize("extension_case", found, ids=[c.name for c in found])
        else:
            metafunc.parametrize("extension_case", [None], ids=["none declared"])


# ------------------------------------------------------------------ local engines


class Stop(Exception):
    """Raised by a progress callback to stop a render, as the worker does on cancel."""


def reference_image(path: Path, size: tuple[int, int]) -> Path:
    """A PNG with a horizontal ramp, a vertical ramp and a red disc: easy to tell apart from
    whatever a model makes without it."""
    from PIL import Image, ImageDraw

    width, height = size
    ramp = np.linspace(40, 220, width, dtype=np.float32)[None, :].repeat(height, axis=0)
    rgb = np.stack([ramp, ramp[::-1, ::-1] * 0.8, np.full((height, width), 120.0)], -1)
    image = Image.fromarray(rgb.astype(np.uint8))
    box = (width * 0.3, height * 0.3, width * 0.6, height * 0.8)
    ImageDraw.Draw(image).ellipse(box, fill=(200, 60, 60))
    image.save(path)
    return path


def decoded_frames(path: Path) -> list[NDArray[np.float32]]:
    """Every video frame of an MP4, decoded back as RGB."""
    import av

    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.float32) for f in container.decode(video=0)]


def local_outputs(folder: Path, name: str = "out") -> base.RenderOutput:
    return base.RenderOutput(
        folder / f"{name}.mp4", folder / f"{name}.webp", folder / f"{name}.jpg"
    )


class LocalEngineContract:
    """What every local engine must do, checked on real files decoded back.

    A subclass provides a ``make_engine`` fixture (an engine, or the same resident engine
    again: a resident engine renders many jobs on one instance) and may set the size, length
    and the sizes it must refuse.  Image-to-video checks run only when the engine's ``info``
    declares ``Capability.IMAGE_INPUT``.
    """

    SIZE: ClassVar[tuple[int, int]] = (160, 90)
    SECONDS: ClassVar[int] = 2
    BAD_SIZES: ClassVar[list[tuple[int, int]]] = [(161, 90), (160, 91), (8, 8), (0, 90)]
    STOP_AT: ClassVar[list[int]] = [0, 40, 95, 100]
    """Progress values at which a raising callback is tried."""
    FIRST_FRAME_CLOSE: ClassVar[float] = 8.0
    """Mean absolute difference (0..255) under which a first frame is "the reference"."""

    def _request(self, seed: int = 7, image: Path | None = None) -> base.GenerationRequest:
        return base.GenerationRequest(
            video_id="video_local_contract",
            model="sora-2",
            prompt="a paper boat on a pond at dawn",
            width=self.SIZE[0],
            height=self.SIZE[1],
            seconds=self.SECONDS,
            seed=seed,
            input_image=image,
        )

    def _render(
        self, engine: Any, folder: Path, name: str, request: base.GenerationRequest
    ) -> tuple[base.RenderOutput, base.RenderResult]:
        output = local_outputs(folder, name)
        return output, engine.render(request, output, lambda _: None)

    def test_text_to_video_has_the_exact_size_and_length(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        from PIL import Image

        output, result = self._render(make_engine(), tmp_path, "t2v", self._request())
        width, height = self.SIZE
        info = probe.probe(output.video)
        assert (info.width, info.height) == (width, height)
        assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
        assert info.duration == pytest.approx(self.SECONDS, abs=1 / info.fps)
        frames = decoded_frames(output.video)
        assert len(frames) == info.frames == result.frames
        assert round(len(frames) / result.fps, 3) == pytest.approx(self.SECONDS, abs=1e-3)
        assert all(f.shape == (height, width, 3) for f in frames)
        assert result.duration == pytest.approx(self.SECONDS, abs=1 / result.fps)
        with Image.open(output.thumbnail) as thumbnail:
            assert thumbnail.format == "WEBP"
            thumbnail.load()
        with Image.open(output.spritesheet) as sheet:
            assert sheet.format == "JPEG"
            sheet.load()

    def test_progress_rises_to_100_last_with_the_files_complete(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        seen: list[int] = []
        output = local_outputs(tmp_path)

        def progress(value: int) -> None:
            if value == 100:
                assert output.thumbnail.exists() and output.spritesheet.exists()
                assert probe.probe(output.video).width == self.SIZE[0]
            seen.append(value)

        make_engine().render(self._request(), output, progress)
        assert seen[0] == 0 and seen[-1] == 100 and seen.count(100) == 1, seen
        assert seen == sorted(seen), seen
        assert all(0 <= value <= 100 for value in seen), seen
        assert len(set(seen)) > 3, f"progress barely moved: {seen}"

    def test_a_raising_progress_stops_the_render_and_leaves_no_files(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        engine = make_engine()
        for at in self.STOP_AT:
            folder = tmp_path / f"stop{at}"
            folder.mkdir()
            calls: list[int] = []

            def progress(value: int, at: int = at, calls: list[int] = calls) -> None:
                calls.append(value)
                if value >= at:
                    raise Stop

            with pytest.raises(Stop):
                engine.render(self._request(), local_outputs(folder), progress)
            assert list(folder.iterdir()) == [], f"stopped at {at}: files left behind"
            assert calls[-1] >= at and all(v < at for v in calls[:-1]), (at, calls)
        # Stopped renders leave the engine usable for the next job.
        output, result = self._render(make_engine(), tmp_path, "after", self._request())
        assert len(decoded_frames(output.video)) == result.frames

    def test_image_to_video_starts_on_the_reference(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        engine = make_engine()
        if not engine.info.has(Capability.IMAGE_INPUT):
            pytest.skip("the engine does not declare image input")
        image = reference_image(tmp_path / "reference.png", self.SIZE)
        from PIL import Image

        with Image.open(image) as opened:
            expected = np.asarray(opened.convert("RGB"), np.float32)
        with_image, _ = self._render(engine, tmp_path, "i2v", self._request(image=image))
        without, _ = self._render(engine, tmp_path, "t2v", self._request())
        started = decoded_frames(with_image.video)
        plain = decoded_frames(without.video)
        assert np.abs(started[0] - expected).mean() < self.FIRST_FRAME_CLOSE
        assert np.abs(plain[0] - expected).mean() > 2 * self.FIRST_FRAME_CLOSE
        assert np.abs(started[0] - plain[0]).mean() > 2 * self.FIRST_FRAME_CLOSE

    def test_the_same_seed_gives_the_same_frames_another_seed_others(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        engine = make_engine()
        first = decoded_frames(self._render(engine, tmp_path, "a", self._request(7))[0].video)
        again = decoded_frames(self._render(engine, tmp_path, "b", self._request(7))[0].video)
        other = decoded_frames(self._render(engine, tmp_path, "c", self._request(8))[0].video)
        assert len(first) == len(again) == len(other)
        assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
        differences = [np.abs(a - c).mean() for a, c in zip(first, other, strict=True)]
        assert float(np.mean(differences)) > 2, differences

    def test_bad_sizes_are_refused_without_files(
        self, make_engine: MakeEngine, tmp_path: Path
    ) -> None:
        engine = make_engine()
        for width, height in self.BAD_SIZES:
            request = replace(self._request(), width=width, height=height)
            folder = tmp_path / f"{width}x{height}"
            folder.mkdir()
            with pytest.raises((ValueError, errors.JobFailure)) as caught:
                engine.render(request, local_outputs(folder), lambda _: None)
            assert str(caught.value), f"{width}x{height}: an error without a message"
            assert list(folder.iterdir()) == [], f"{width}x{height}: files left behind"
