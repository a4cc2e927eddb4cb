"""The luma engine against a fake Luma Dream Machine API."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from reelway import errors, jobs
from reelway.catalog import Capability
from reelway.engines import base, luma
from reelway.engines.luma import LumaEngine
from reelway.media import probe
from tests.engines import contract
from tests.engines.contract import Case, LongformContract, RemoteEngineContract
from tests.fakes import server
from tests.fakes.luma import FakeLuma

CONTRACT_DURATIONS = {"4": "5s", "8": "9s"}
"""The contract requests 4 s; an operator with a 4/8 s catalogue maps them like this."""


def _job(kind: str, message: str | None = None):
    return lambda fake: fake.next_outcome(server.Outcome(kind, message=message))


def _request(**changes: Any) -> base.GenerationRequest:
    return base.GenerationRequest(**{**contract.REQUEST.__dict__, **changes})


@pytest.fixture
def fake(clip: bytes) -> Iterator[FakeLuma]:
    provider = FakeLuma(clip, api_key=contract.API_KEY)
    yield provider
    provider.close()


@pytest.fixture
def make_engine(fake: FakeLuma):
    def make(**options: Any) -> LumaEngine:
        return LumaEngine(
            **{
                "api_key": contract.API_KEY,
                "base_url": fake.api_url,
                "timeout": contract.TIMEOUT,
                "durations": CONTRACT_DURATIONS,
                **options,
            }
        )

    return make


class TestLuma(RemoteEngineContract, LongformContract):
    LONGFORM: ClassVar[frozenset[Capability]] = frozenset({Capability.EXTENSIONS})
    EXTENSION_FAILURES: ClassVar[list[Case]] = [
        Case(
            "Luma is overloaded mid-extension",
            _job("fail", "Servers are overloaded, please try again later"),
            errors.UpstreamCapacity,
            "capacity",
        ),
        Case(
            "the extension times out",
            _job("fail", "Generation timed out"),
            errors.UpstreamTimeout,
            "timeout",
        ),
        Case(
            "the extension fails without a reason",
            _job("fail"),
            errors.UpstreamGenerationFailed,
            "generation_failed",
        ),
    ]

    async def test_an_extension_is_the_whole_video(
        self, make_engine: contract.MakeEngine, tmp_path: Path
    ) -> None:
        """Overrides the contract's: Luma's segment is one of its own lengths (the contract's
        4 s is mapped to 5s), so the whole is the source plus 5 s, not plus 4."""
        engine = make_engine()
        try:
            operation, video = await self._source(engine, tmp_path)
            request = contract.derived(jobs.JobKind.EXTEND, operation, video, "drifts on", 4)
            whole = await contract.drive(engine, request)
        finally:
            await engine.close()
        source = probe.probe(video).duration
        assert _seconds(whole, tmp_path) == pytest.approx(source + 5, abs=SLACK)

    async def test_an_extension_of_a_video_it_did_not_make(
        self, fake: server.FakeServer, make_engine: contract.MakeEngine, tmp_path: Path
    ) -> None:
        """Overrides the contract's: Luma extends only its own generations (by id), so an
        uploaded video's extension is refused before any call and fails over."""
        video = tmp_path / "upload.mp4"
        video.write_bytes(fake.video)
        request = contract.derived(jobs.JobKind.EXTEND, None, video, "and on", 4, 1)
        engine = make_engine()
        try:
            with pytest.raises(errors.EngineCannotServe) as caught:
                await engine.submit(request)
        finally:
            await engine.close()
        assert "did not make this video" in caught.value.message
        assert caught.value.failover is True
        assert sum(fake.calls.values()) == 0

    FAILURES: ClassVar[list[Case]] = [
        Case(
            "prompt not allowed",
            _job("fail", "400: prompt not allowed because advanced moderation failed"),
            errors.UpstreamInputBlocked,
            "input_blocked",
        ),
        Case(
            "keyframe image moderated",
            _job("fail", "frame0 image was flagged by content moderation"),
            errors.UpstreamInputBlocked,
            "input_blocked",
        ),
        Case(
            "output moderated",
            _job("moderated"),
            errors.UpstreamModerationBlocked,
            "output_moderated",
        ),
        Case(
            "nsfw result",
            _job("fail", "NSFW content detected in the generated video"),
            errors.UpstreamModerationBlocked,
            "output_moderated",
        ),
        Case(
            "overloaded",
            _job("fail", "Servers are overloaded, please try again later"),
            errors.UpstreamCapacity,
            "capacity",
        ),
        Case(
            "too many generations",
            _job("fail", "Too many concurrent generations"),
            errors.UpstreamCapacity,
            "capacity",
        ),
        Case(
            "timed out",
            _job("fail", "Generation timed out"),
            errors.UpstreamTimeout,
            "timeout",
        ),
        Case(
            "invalid keyframe (not moderation)",
            _job("fail", "Invalid keyframe: unsupported image format"),
            errors.UpstreamInvalidRequest,
            "invalid_request",
        ),
        Case(
            "vague: unable to process",
            _job("fail", "Unable to process request"),
            errors.UpstreamGenerationFailed,
            "generation_failed",
        ),
        Case(
            "vague: server had an error",
            _job("fail", "The server had an error processing your request"),
            errors.UpstreamGenerationFailed,
            "generation_failed",
        ),
        Case(
            "no failure_reason at all",
            _job("fail"),
            errors.UpstreamGenerationFailed,
            "generation_failed",
        ),
        Case(
            "create 400 validation list",
            lambda f: f.script(
                "create",
                server.fault(
                    400,
                    {"detail": [{"type": "missing", "loc": ["body", "prompt"], "msg": "Required"}]},
                ),
            ),
            errors.UpstreamInvalidRequest,
            "missing",
        ),
        Case(
            "create 400 detail text",
            lambda f: f.script("create", server.fault(400, {"detail": "Prompt is too long"})),
            errors.UpstreamInvalidRequest,
        ),
        Case(
            "create 402 no credits",
            lambda f: f.script("create", server.fault(402, {"detail": "Insufficient credits"})),
            errors.UpstreamAuthFailed,
        ),
        Case(
            "generation vanished (poll 404)",
            lambda f: f.script("poll", server.fault(404, {"detail": "Generation not found"})),
            errors.UpstreamGenerationFailed,
        ),
        Case(
            "generation deleted at Luma",
            _job("cancelled"),
            errors.UpstreamGenerationFailed,
        ),
        Case(
            "completed without a video URL",
            lambda f: f.script(
                "poll",
                server.Reply(200, {"id": "x", "state": "completed", "assets": {"video": None}}),
            ),
            errors.UpstreamProtocolError,
        ),
        Case(
            "poll answer without a state",
            lambda f: f.script("poll", server.Reply(200, {"id": "x"})),
            errors.UpstreamProtocolError,
        ),
    ]


SLACK = contract.SECONDS_TOLERANCE


def _seconds(video: bytes, folder: Path) -> float:
    path = folder / "measured.mp4"
    path.write_bytes(video)
    return probe.probe(path).duration


# --------------------------------------------------------------------------- extensions


async def test_an_extension_continues_the_generation_by_id(fake: FakeLuma, make_engine) -> None:
    engine = make_engine()
    try:
        source = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=source)
        request = contract.derived(jobs.JobKind.EXTEND, source, Path("/x.mp4"), "on", 8)
        operation = await engine.submit(request)
    finally:
        await engine.close()
    made = fake.jobs[operation["id"]]
    assert made.body["keyframes"] == {"frame0": {"type": "generation", "id": source["id"]}}
    assert made.body["duration"] == "9s"
    assert operation == {"id": made.id, "extends": source["id"], "seconds": 9}


async def test_an_extension_luma_returns_whole_is_not_stitched_again(
    fake: FakeLuma, make_engine, tmp_path: Path
) -> None:
    fake.whole_extensions = True
    engine = make_engine()
    try:
        source = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=source)
        request = contract.derived(jobs.JobKind.EXTEND, source, Path("/x.mp4"), "on", 4)
        operation = await engine.submit(request)
        whole = await contract.drive(engine, operation=operation)
    finally:
        await engine.close()
    assert whole == fake.contents[operation["id"]]
    assert _seconds(whole, tmp_path) == pytest.approx(1 + 5, abs=SLACK)


@pytest.mark.parametrize(
    ("kind", "made", "said"),
    [
        (jobs.JobKind.EDIT, {"id": "gen-1"}, "does not edit videos"),
        (jobs.JobKind.EXTEND, {"id": "gen-2", "extends": "gen-1", "seconds": 5}, "not an ext"),
    ],
    ids=["edit", "extension of an extension"],
)
async def test_what_luma_cannot_extend_is_refused_before_any_call(
    fake: FakeLuma, make_engine, kind: jobs.JobKind, made: dict[str, Any], said: str
) -> None:
    engine = make_engine()
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(contract.derived(kind, made, Path("/x.mp4"), "on", 4))
    finally:
        await engine.close()
    assert said in caught.value.message and caught.value.failover
    assert sum(fake.calls.values()) == 0


async def test_a_source_generation_gone_before_the_stitch_fails_the_extension(
    fake: FakeLuma, make_engine
) -> None:
    engine = make_engine()
    try:
        source = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=source)
        request = contract.derived(jobs.JobKind.EXTEND, source, Path("/x.mp4"), "on", 4)
        operation = await engine.submit(request)
        await engine.cancel(source)
        with pytest.raises(errors.UpstreamGenerationFailed):
            await contract.drive(engine, operation=operation)
    finally:
        await engine.close()


# --------------------------------------------------------------------------- request shape


@pytest.mark.parametrize(
    ("width", "height", "ratio", "resolution"),
    [
        (1280, 720, "16:9", "720p"),
        (720, 1280, "9:16", "720p"),
        (854, 480, "16:9", "540p"),
        (1920, 1080, "16:9", "1080p"),
        (3840, 2160, "16:9", "4k"),
        (1024, 1024, "1:1", "1080p"),
        (960, 720, "4:3", "720p"),
        (720, 960, "3:4", "720p"),
        (1680, 720, "21:9", "720p"),
        (2560, 1080, "21:9", "1080p"),
        (720, 1680, "9:21", "720p"),
    ],
)
async def test_size_becomes_aspect_ratio_and_resolution(
    fake: FakeLuma, make_engine, width: int, height: int, ratio: str, resolution: str
) -> None:
    engine = make_engine()
    try:
        await engine.submit(_request(width=width, height=height))
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert (job.body["aspect_ratio"], job.body["resolution"]) == (ratio, resolution)


async def test_the_create_body_is_lumas(fake: FakeLuma, make_engine) -> None:
    engine = make_engine(model="ray-flash-2")
    try:
        operation = await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert operation == {"id": job.id}
    assert job.body == {
        "prompt": contract.REQUEST.prompt,
        "model": "ray-flash-2",
        "aspect_ratio": "16:9",
        "duration": "5s",
        "resolution": "720p",
        "loop": False,
    }


async def test_a_loop_is_asked_for_with_lumas_loop(fake: FakeLuma, make_engine) -> None:
    engine = make_engine()
    try:
        await engine.submit(_request(sources=jobs.Sources(loop=True)))
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["loop"] is True


async def test_a_negative_prompt_luma_cannot_take_is_refused_before_any_call(
    fake: FakeLuma, make_engine
) -> None:
    engine = make_engine()
    try:
        assert not engine.info.has(Capability.NEGATIVE_PROMPT)
        with pytest.raises(errors.EngineCannotServe, match="negative prompt"):
            await engine.submit(_request(sources=jobs.Sources(negative_prompt="dogs")))
    finally:
        await engine.close()
    assert sum(fake.calls.values()) == 0


async def test_default_durations_send_5s_and_9s(fake: FakeLuma) -> None:
    engine = LumaEngine(contract.API_KEY, base_url=fake.api_url, timeout=contract.TIMEOUT)
    try:
        assert engine.info.seconds is not None and max(engine.info.seconds) == 9
        await engine.submit(_request(seconds=5))
        await engine.submit(_request(seconds=9))
    finally:
        await engine.close()
    assert [job.body["duration"] for job in fake.jobs.values()] == ["5s", "9s"]


@pytest.mark.parametrize(
    ("changes", "options", "said"),
    [
        ({"seconds": 4}, {"durations": None}, "5, 9 seconds, not 4"),
        ({"seconds": 12}, {}, "4, 8 seconds, not 12"),
        ({"width": 1000, "height": 700}, {}, "1000x700 is none of them"),
        ({"input_image": Path("/tmp/first.png")}, {}, "needs a public URL for the first frame"),
    ],
    ids=["4s with default durations", "unmapped seconds", "ratio", "image without url base"],
)
async def test_what_luma_cannot_make_is_refused_before_any_call(
    fake: FakeLuma, make_engine, changes: dict[str, Any], options: dict[str, Any], said: str
) -> None:
    engine = make_engine(**options)
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(_request(**changes))
    finally:
        await engine.close()
    assert said in caught.value.message
    assert caught.value.failover is True
    assert sum(fake.calls.values()) == 0


async def test_an_input_image_goes_as_a_frame0_url(fake: FakeLuma, make_engine) -> None:
    engine = make_engine(image_url_base="https://media.example.com/inputs/")
    try:
        await contract.drive(engine, _request(input_image=Path("/data/video 1.png")))
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["keyframes"] == {
        "frame0": {"type": "image", "url": "https://media.example.com/inputs/video%201.png"}
    }


# --------------------------------------------------------------------------- errors


async def test_a_validation_400_is_an_invalid_request_with_lumas_detail(
    fake: FakeLuma, make_engine
) -> None:
    engine = make_engine(model="ray-9")
    try:
        with pytest.raises(errors.UpstreamInvalidRequest) as caught:
            await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    upstream = caught.value.upstream
    assert upstream["http_status"] == 400
    assert upstream["provider_code"] == "literal_error"
    assert upstream["provider_message"].startswith("model: Input should be 'ray-1-6'")
    assert "model: Input should be" in caught.value.message
    assert caught.value.failover is False


async def test_a_wrong_api_key_is_an_auth_failure_without_the_key(fake: FakeLuma) -> None:
    engine = LumaEngine("luma-wrong-key", base_url=fake.api_url, timeout=contract.TIMEOUT)
    try:
        with pytest.raises(errors.UpstreamAuthFailed) as caught:
            await engine.submit(_request(seconds=5))
    finally:
        await engine.close()
    assert caught.value.upstream["provider_message"] == "Invalid API key"
    assert "luma-wrong-key" not in caught.value.message


def test_an_engine_without_an_api_key_is_a_configuration_error() -> None:
    with pytest.raises(ValueError, match="api_key"):
        LumaEngine("")


def test_every_reason_rule_is_in_the_provider_error_table() -> None:
    classes = [kind for _, kind in luma.PROVIDER_ERRORS]
    for rule in (*luma.REASON_RULES, luma.FALLBACK_RULE):
        assert rule.error in classes
    assert len(luma.PROVIDER_ERRORS) == len(luma.REASON_RULES) + 4


# --------------------------------------------------------------------------- results


async def test_the_cdn_gets_no_api_key(fake: FakeLuma, make_engine) -> None:
    engine = make_engine()
    try:
        await contract.drive(engine)
    finally:
        await engine.close()
    assert fake.cdn_headers, "the video was not fetched from the CDN"
    assert all("authorization" not in headers for headers in fake.cdn_headers)


async def test_fetch_asks_for_a_fresh_url_and_falls_back_to_the_stored_one(
    fake: FakeLuma, make_engine
) -> None:
    engine = make_engine()
    try:
        operation = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=operation)
        (job,) = fake.jobs.values()
        stale = {"video": "http://127.0.0.1:9/expired.mp4"}
        fresh = b"".join([c async for c in engine.fetch(operation, stale)])
        fake.script("poll", server.fault(503, {"detail": "busy"}))
        stored = {"video": f"{fake.cdn_url}/{job.id}.mp4"}
        fallback = b"".join([c async for c in engine.fetch(operation, stored)])
    finally:
        await engine.close()
    assert fresh == fallback == fake.video


async def test_cancelling_a_generation_that_is_already_gone_is_quiet(
    fake: FakeLuma, make_engine
) -> None:
    engine = make_engine()
    try:
        operation = await engine.submit(contract.REQUEST)
        await engine.cancel(operation)
        await engine.cancel(operation)
        with pytest.raises(errors.UpstreamGenerationFailed):
            await engine.poll(operation)
    finally:
        await engine.close()
    assert fake.calls["cancel"] == 2


async def test_info_says_image_input_and_loop() -> None:
    engine = LumaEngine("k", image_url_base="https://cdn.example/inputs")
    await engine.close()
    assert engine.info.name == "luma"
    assert engine.info.capabilities == {
        Capability.IMAGE_INPUT,
        Capability.LOOP,
        Capability.EXTENSIONS,
    }


async def test_without_a_public_image_url_it_declares_no_image_input() -> None:
    """Luma fetches the first frame by URL: without image_url_base every image is refused,
    so routing should skip it for image-to-video instead of trying it."""
    engine = LumaEngine("k", durations={"4": "5s", "9": "9s"})
    await engine.close()
    assert engine.info.capabilities == {Capability.LOOP, Capability.EXTENSIONS}
    assert engine.info.seconds == frozenset({4, 9})
    assert engine.info.kind is base.EngineKind.REMOTE and engine.info.cancel


# --------------------------------------------------------------------------- the fake is strict

GOOD = {"prompt": "a boat", "model": "ray-2", "aspect_ratio": "16:9", "duration": "5s"}


@pytest.mark.parametrize(
    ("method", "path", "call", "status", "field"),
    [
        ("POST", "/generations", {"key": "luma-wrong", "json": GOOD}, 401, None),
        ("POST", "/generations", {"key": None, "json": GOOD}, 401, None),
        ("POST", "/generations", {"json": {"model": "ray-2"}}, 400, "prompt"),
        ("POST", "/generations", {"json": {**GOOD, "prompt": ""}}, 400, "prompt"),
        ("POST", "/generations", {"data": GOOD}, 400, ""),
        ("POST", "/generations", {"content": b'{"prompt": ', "headers": {
            "content-type": "application/json"}}, 400, None),
        ("POST", "/generations", {"json": {**GOOD, "duration": "4s"}}, 400, "duration"),
        ("POST", "/generations", {"json": {**GOOD, "loop": "no"}}, 400, "loop"),
        ("POST", "/generations", {"json": {**GOOD, "keyframes": {"frame0": {
            "type": "image"}}}}, 400, "keyframes.frame0.url"),
        ("GET", "/generations/unknown", {}, 404, None),
        ("DELETE", "/generations/unknown", {}, 404, None),
        ("POST", "/generations", {"json": {**GOOD, "keyframes": {"frame0": {
            "type": "generation", "id": "unknown"}}}}, 400, None),
        ("POST", "/generations", {"json": {**GOOD, "keyframes": {"frame0": {
            "type": "generation"}}}}, 400, "keyframes.frame0.id"),
    ],
    ids=[
        "wrong key", "no key", "no prompt", "empty prompt", "form-encoded", "malformed JSON",
        "duration Luma lacks", "loop not a boolean", "keyframe without url", "unknown id",
        "delete unknown id", "extend unknown generation", "extend without an id",
    ],
)  # fmt: skip
async def test_the_fake_refuses_what_luma_refuses(
    fake: FakeLuma,
    method: str,
    path: str,
    call: dict[str, Any],
    status: int,
    field: str | None,
) -> None:
    call = dict(call)
    key = call.pop("key", contract.API_KEY)
    headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **call.pop("headers", {})}
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.request(method, fake.api_url + path, headers=headers, **call)
    assert answer.status_code == status, answer.text
    detail = answer.json()["detail"]
    if field is not None:
        places = [".".join(p["loc"][1:]) for p in detail]
        assert field in places, detail
    assert fake.jobs == {}
