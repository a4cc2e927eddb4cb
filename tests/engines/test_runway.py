"""The runway engine against a fake Runway API."""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from reelway import errors, jobs
from reelway.catalog import Capability
from reelway.engines import base, runway
from reelway.engines.runway import RunwayEngine
from reelway.media import probe
from tests.engines import contract
from tests.engines.contract import Case, LongformContract, RemoteEngineContract
from tests.fakes import server
from tests.fakes.runway import VERSION, FakeRunway


def _job(kind: str, code: str | None = None, message: str | None = None):
    return lambda fake: fake.next_outcome(server.Outcome(kind, code=code, message=message))


def _fails(code: str, expected: type[errors.UpstreamError]) -> Case:
    return Case(code, _job("fail", code, "diagnostic text"), expected, code)


@pytest.fixture
def fake(clip: bytes) -> Iterator[FakeRunway]:
    provider = FakeRunway(clip, api_key=contract.API_KEY)
    yield provider
    provider.close()


@pytest.fixture
def make_engine(fake: FakeRunway):
    return lambda **options: RunwayEngine(
        api_key=contract.API_KEY, base_url=fake.base_url, timeout=contract.TIMEOUT, **options
    )


def _request(**changes: Any) -> base.GenerationRequest:
    return base.GenerationRequest(**{**contract.REQUEST.__dict__, **changes})


async def _until_done(engine: RunwayEngine, operation: base.Operation) -> dict[str, Any]:
    for _ in range(200):
        outcome = await engine.poll(operation)
        if isinstance(outcome, base.Succeeded):
            return outcome.result
        assert isinstance(outcome, base.Pending), outcome
        await asyncio.sleep(0.02)
    raise AssertionError("the task never finished")


class TestRunway(RemoteEngineContract):
    FAILURES: ClassVar[list[Case]] = [
        _fails("SAFETY.INPUT.TEXT", errors.UpstreamInputBlocked),
        _fails("SAFETY.INPUT.IMAGE", errors.UpstreamInputBlocked),
        Case(
            "moderated output",
            _job("moderated"),
            errors.UpstreamModerationBlocked,
            "SAFETY.OUTPUT.VIDEO",
        ),
        _fails("SAFETY.SOMETHING_NEW", errors.UpstreamModerationBlocked),
        _fails("INPUT_PREPROCESSING.SAFETY.TEXT", errors.UpstreamInputBlocked),
        _fails("INPUT_PREPROCESSING.INTERNAL", errors.UpstreamUnavailable),
        _fails("INTERNAL.BAD_OUTPUT.CODE01", errors.UpstreamGenerationFailed),
        _fails("INTERNAL", errors.UpstreamGenerationFailed),
        _fails("ASSET.INVALID", errors.UpstreamInvalidRequest),
        _fails("THIRD_PARTY.UNAVAILABLE", errors.UpstreamUnavailable),
        _fails("BRAND.NEW.CODE", errors.UpstreamGenerationFailed),
        Case("failed without a code", _job("fail"), errors.UpstreamGenerationFailed),
        Case("cancelled at Runway", _job("cancelled"), errors.UpstreamCancelled, "CANCELLED"),
        Case("succeeded with no output", _job("empty_output"), errors.UpstreamProtocolError),
        Case(
            "task vanished",
            lambda f: f.script("poll", server.fault(404, {"error": "Task not found."})),
            errors.UpstreamGenerationFailed,
        ),
        Case(
            "create 400 invalid",
            lambda f: f.script("create", server.fault(400, {"error": "ratio: Invalid enum"})),
            errors.UpstreamInvalidRequest,
        ),
    ]


class TestRunwayLongform(LongformContract):
    """Edits natively (``gen4_aleph``); no extension or characters in Runway's API."""

    LONGFORM: ClassVar[frozenset[Capability]] = frozenset({Capability.EDITS})

    @pytest.fixture
    def fake(self, clip: bytes) -> Iterator[FakeRunway]:
        provider = FakeRunway(clip, api_key=contract.API_KEY, render_lengths=True)
        yield provider
        provider.close()

    @pytest.fixture
    def make_engine(self, fake: FakeRunway):
        # A 4 s, 1280x720 source as the contract's create: a model that makes that length.
        return lambda: RunwayEngine(
            api_key=contract.API_KEY, base_url=fake.base_url, timeout=contract.TIMEOUT
        )


def _edit(video: Path, source: base.Operation | None = None) -> base.GenerationRequest:
    return contract.derived(jobs.JobKind.EDIT, source, video, "the same pond at dusk")


async def test_an_edit_sends_the_source_video_to_video_to_video(
    fake: FakeRunway, make_engine, clip: bytes, tmp_path: Path
) -> None:
    video = tmp_path / "source.mp4"
    video.write_bytes(clip)
    engine = make_engine()
    try:
        assert engine.info.has(Capability.EDITS)
        edited = await contract.drive(engine, _edit(video))
    finally:
        await engine.close()
    assert edited == clip  # the fake's "restyle" keeps the input
    (create,) = fake.requests("create")
    assert create.path == "/v1/video_to_video"
    (job,) = fake.jobs.values()
    head, _, data = job.body.pop("videoUri").partition(",")
    assert head == "data:video/mp4;base64" and base64.b64decode(data) == clip
    assert job.body == {
        "model": "gen4_aleph",
        "promptText": "the same pond at dusk",
        "ratio": "1280:720",
        "seed": 7,
    }


async def test_an_edit_reports_runways_cost(
    fake: FakeRunway, make_engine, clip: bytes, tmp_path: Path
) -> None:
    video = tmp_path / "source.mp4"
    video.write_bytes(clip)
    engine = make_engine()
    try:
        operation = await engine.submit(_edit(video))
        for _ in range(200):
            outcome = await engine.poll(operation)
            if not isinstance(outcome, base.Pending):
                break
            await asyncio.sleep(0.02)
    finally:
        await engine.close()
    assert isinstance(outcome, base.Succeeded)
    seconds = probe.probe(video).duration
    assert outcome.cost_usd == pytest.approx(round(15 * seconds) * runway.USD_PER_CREDIT)


async def test_a_refused_source_video_is_blocked_input(
    fake: FakeRunway, make_engine, clip: bytes, tmp_path: Path
) -> None:
    video = tmp_path / "source.mp4"
    video.write_bytes(clip)
    fake.next_outcome(server.Outcome("fail", code="SAFETY.INPUT.VIDEO"))
    engine = make_engine()
    try:
        with pytest.raises(errors.UpstreamInputBlocked) as caught:
            await contract.drive(engine, _edit(video))
    finally:
        await engine.close()
    assert "refused the source video (SAFETY.INPUT.VIDEO); edit another video" in (
        caught.value.message
    )


@pytest.mark.parametrize(
    ("options", "changes", "said"),
    [
        ({"edit_model": None}, {}, "an edit (edit_model is not set)"),
        ({}, {"prompt": "x" * 1001}, "over 1000 characters"),
        ({}, {"kind": jobs.JobKind.EXTEND}, "does not extend a video"),
        ({}, {"kind": jobs.JobKind.GENERATE, "characters": (base.CharacterRef(
            "char_1", "Rusty", Path("fox.mp4")),)}, "no character references"),
    ],
    ids=["edits off", "edit prompt too long", "an extension", "characters"],
)  # fmt: skip
async def test_what_runway_cannot_do_is_refused_before_any_call(
    fake: FakeRunway, make_engine, clip: bytes, tmp_path: Path, options: dict[str, Any],
    changes: dict[str, Any], said: str,
) -> None:  # fmt: skip
    video = tmp_path / "source.mp4"
    video.write_bytes(clip)
    engine = make_engine(**options)
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(replace(_edit(video), **changes))
    finally:
        await engine.close()
    assert said in caught.value.message and caught.value.failover
    assert fake.log == []
    assert engine.info.has(Capability.EDITS) is ("edit_model" not in options)
    assert not engine.info.has(Capability.EXTENSIONS)
    assert not engine.info.has(Capability.CHARACTERS)


async def test_an_extensions_segment_is_image_to_video_from_the_last_frame(
    fake: FakeRunway, make_engine, tmp_path: Path
) -> None:
    """Runway cannot extend, so the worker asks for the new segment from the source's last
    frame (a PNG) as a plain create; that must be Runway's image-to-video."""
    frame = tmp_path / "last-frame.png"
    frame.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    segment = _request(kind=jobs.JobKind.GENERATE, input_image=frame, seconds=5)
    engine = make_engine()
    try:
        video = await contract.drive(engine, segment)
    finally:
        await engine.close()
    assert video == fake.video
    (create,) = fake.requests("create")
    assert create.path == "/v1/image_to_video"
    (job,) = fake.jobs.values()
    assert job.body["promptImage"].startswith("data:image/png;base64,")
    assert job.body["model"] == "gen4_turbo" and job.body["duration"] == 5


async def test_an_extensions_segment_failing_fails_over(
    fake: FakeRunway, make_engine, tmp_path: Path
) -> None:
    frame = tmp_path / "last-frame.png"
    frame.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 64)
    fake.next_outcome(server.Outcome("fail", code="INPUT_PREPROCESSING.INTERNAL"))
    engine = make_engine()
    try:
        with pytest.raises(errors.UpstreamUnavailable) as caught:
            await contract.drive(engine, _request(input_image=frame, seconds=5))
    finally:
        await engine.close()
    assert caught.value.failover
    assert caught.value.upstream["provider_code"] == "INPUT_PREPROCESSING.INTERNAL"


def test_every_failure_code_rule_has_a_case() -> None:
    covered = {
        rule[0]
        for case in TestRunway.FAILURES
        if (rule := runway.failure_rule(case.provider_code)) is not None
    }
    assert covered == {rule[0] for rule in runway.FAILURE_RULES}
    assert {kind for _, kind in runway.PROVIDER_ERRORS} >= {k for _, k, _ in runway.FAILURE_RULES}


async def test_users_see_our_message_and_the_operator_sees_runways(
    fake: FakeRunway, make_engine
) -> None:
    fake.next_outcome(server.Outcome("fail", code="SAFETY.INPUT.TEXT", message="flagged: x"))
    engine = make_engine()
    try:
        with pytest.raises(errors.UpstreamInputBlocked) as caught:
            await contract.drive(engine)
    finally:
        await engine.close()
    assert "refused the prompt (SAFETY.INPUT.TEXT); rephrase it" in caught.value.message
    assert "flagged" not in caught.value.message
    assert caught.value.upstream["provider_message"] == "flagged: x"
    assert caught.value.upstream["upstream_id"] in fake.jobs


async def test_throttled_too_long_is_capacity_and_the_task_is_cancelled(
    fake: FakeRunway, make_engine
) -> None:
    fake.next_outcome(server.Outcome("throttled"))
    engine = make_engine(max_throttled_seconds=0.3)
    try:
        operation = await engine.submit(contract.REQUEST)
        assert await engine.poll(operation) == base.Pending()
        await asyncio.sleep(0.4)
        outcome = await engine.poll(operation)
    finally:
        await engine.close()
    assert isinstance(outcome, base.Failed)
    assert isinstance(outcome.error, errors.UpstreamCapacity)
    assert outcome.error.failover and "not billed" in outcome.error.message
    assert fake.calls["cancel"] == 1 and all(job.cancelled for job in fake.jobs.values())


@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"width": 1920, "height": 1080}, "1280x720, 720x1280 videos, not 1920x1080"),
        ({"seconds": 12}, "2 to 10 seconds, not 12"),
        ({"input_image": Path("unused.png"), "seconds": 4}, "5 or 10 seconds, not 4"),
    ],
)
async def test_what_the_model_cannot_make_is_refused_before_any_call(
    fake: FakeRunway, make_engine, changes: dict[str, Any], said: str
) -> None:
    engine = make_engine()
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(_request(**changes))
    finally:
        await engine.close()
    assert said in caught.value.message
    assert caught.value.failover
    assert fake.log == []


async def test_models_without_a_table_are_not_checked(fake: FakeRunway, make_engine) -> None:
    engine = make_engine(model="veo3.1")
    try:
        await engine.submit(_request(width=1920, height=1080, seconds=8))
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["model"] == "veo3.1" and job.body["ratio"] == "1920:1080"


async def test_the_version_header_is_sent_and_required(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    (create,) = fake.requests("create")
    assert create.headers["x-runway-version"] == VERSION
    async with httpx.AsyncClient(base_url=fake.base_url) as raw:
        answer = await raw.get(
            "/v1/tasks/anything", headers={"Authorization": f"Bearer {contract.API_KEY}"}
        )
    assert answer.status_code == 400 and "X-Runway-Version" in answer.json()["error"]


async def test_text_to_video_body(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        await contract.drive(engine)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body == {
        "model": "gen4.5",
        "promptText": contract.REQUEST.prompt,
        "ratio": "1280:720",
        "duration": 4,
        "seed": 7,
    }


async def test_an_input_image_goes_to_image_to_video_as_a_data_uri(
    fake: FakeRunway, make_engine, tmp_path: Path
) -> None:
    image = tmp_path / "input"  # stored without a suffix: the type comes from the bytes
    image.write_bytes(b"\xff\xd8\xff\xe0" + b"0" * 100)
    engine = make_engine()
    try:
        video = await contract.drive(engine, _request(input_image=image, seconds=5))
    finally:
        await engine.close()
    assert video == fake.video
    (create,) = fake.requests("create")
    assert create.path == "/v1/image_to_video"
    (job,) = fake.jobs.values()
    assert job.body["model"] == "gen4_turbo" and job.body["duration"] == 5
    head, _, data = job.body["promptImage"].partition(",")
    assert head == "data:image/jpeg;base64" and base64.b64decode(data) == image.read_bytes()


async def test_a_remix_is_generated_from_its_prompt(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        await contract.drive(
            engine,
            _request(
                kind=jobs.JobKind.REMIX,
                sources=jobs.Sources(video_id="video_source"),
                prompt="at night",
            ),
        )
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["promptText"] == "at night"


async def test_fetch_reads_the_task_again_for_a_fresh_url(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        operation = await engine.submit(contract.REQUEST)
        result = await _until_done(engine, operation)
        fake.expire_issued_urls()  # the URL the poll saw is stale by the time we download
        polls = fake.calls["poll"]
        video = b"".join([chunk async for chunk in engine.fetch(operation, result)])
    finally:
        await engine.close()
    assert video == fake.video
    assert fake.calls["poll"] == polls + 1


async def test_fetch_falls_back_to_the_polled_url(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        operation = await engine.submit(contract.REQUEST)
        result = await _until_done(engine, operation)
        fake.script("poll", server.fault(503, {"error": "shedding load"}))
        video = b"".join([chunk async for chunk in engine.fetch(operation, result)])
    finally:
        await engine.close()
    assert video == fake.video


async def test_the_api_key_never_goes_to_the_output_host(fake: FakeRunway, make_engine) -> None:
    engine = make_engine()
    try:
        await contract.drive(engine)
    finally:
        await engine.close()
    (download,) = fake.requests("download")
    assert "authorization" not in download.headers
    assert all("authorization" in r.headers for r in fake.requests("poll"))


async def test_a_wrong_key_is_an_auth_failure_without_the_key(fake: FakeRunway) -> None:
    engine = RunwayEngine(api_key="key_wrong", base_url=fake.base_url, timeout=contract.TIMEOUT)
    try:
        with pytest.raises(errors.UpstreamAuthFailed) as caught:
            await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    assert "key_wrong" not in caught.value.message
    assert "Invalid API secret" in caught.value.upstream["provider_message"]


# --------------------------------------------------------------------------- the fake is strict

GOOD = {"model": "gen4.5", "promptText": "a boat", "ratio": "1280:720", "duration": 5}
IMAGE = "data:image/png;base64,iVBORw0KGgo="
EDIT = {"model": "gen4_aleph", "promptText": "at dusk", "ratio": "1280:720",
        "videoUri": "data:video/mp4;base64,AAAAGGZ0eXA="}  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "call", "status", "said"),
    [
        ("POST", "/v1/text_to_video", {"key": "sk-wrong", "json": GOOD}, 401, "API secret"),
        ("POST", "/v1/text_to_video", {"key": None, "json": GOOD}, 401, "API secret"),
        ("POST", "/v1/text_to_video", {"json": {**GOOD, "promptText": ""}}, 400, "promptText"),
        ("POST", "/v1/text_to_video", {"json": {"model": "gen4.5", "ratio": "1280:720",
         "duration": 5}}, 400, "promptText is required"),
        ("POST", "/v1/text_to_video", {"data": GOOD}, 400, "application/json"),
        ("POST", "/v1/text_to_video", {"content": b'{"model": ', "headers": {
            "content-type": "application/json"}}, 400, "not valid JSON"),
        ("POST", "/v1/text_to_video", {"json": {**GOOD, "model": "gen4_turbo"}}, 400,
         "discriminator"),
        ("POST", "/v1/image_to_video", {"json": {**GOOD, "promptImage": IMAGE,
         "ratio": "960:960"}}, 400, "ratio"),
        ("POST", "/v1/image_to_video", {"json": {**GOOD, "model": "gen4_turbo",
         "promptImage": IMAGE, "duration": 4}}, 400, "duration"),
        ("POST", "/v1/text_to_video", {"json": {**GOOD, "seed": 2**32}}, 400, "seed"),
        ("POST", "/v1/text_to_video", {"json": {**GOOD, "negativePrompt": "x"}}, 400,
         "Unrecognized key"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "duration": 5}}, 400,
         "Unrecognized key"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "videoUri": ""}}, 400,
         "videoUri is required"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "promptText": "x" * 1001}}, 400,
         "at most 1000"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "ratio": "1920:1080"}}, 400, "ratio"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "model": "gen4.5"}}, 400,
         "discriminator"),
        ("POST", "/v1/video_to_video", {"json": EDIT}, 400, "could not be decoded"),
        ("POST", "/v1/video_to_video", {"json": {**EDIT, "videoUri": IMAGE}}, 400,
         "Invalid data URI"),
        ("POST", "/v1/text_to_video", {"json": {**EDIT, "duration": 5}}, 400,
         "Unrecognized key"),
        ("GET", "/v1/tasks/unknown-task", {}, 404, "not found"),
        ("DELETE", "/v1/tasks/unknown-task", {}, 404, "not found"),
    ],
    ids=[
        "wrong key", "no key", "empty prompt", "no prompt", "form-encoded", "malformed JSON",
        "image model on text endpoint", "ratio the model lacks", "duration the model lacks",
        "seed too large", "unknown field", "duration on an edit", "edit without a video",
        "edit prompt too long", "edit ratio aleph lacks", "text model on the edit endpoint",
        "edit video not decodable", "edit given an image", "edit body on text endpoint",
        "unknown task", "delete unknown task",
    ],
)  # fmt: skip
async def test_the_fake_refuses_what_runway_refuses(
    fake: FakeRunway, method: str, path: str, call: dict[str, Any], status: int, said: str
) -> None:
    call = dict(call)
    key = call.pop("key", contract.API_KEY)
    headers = {"X-Runway-Version": VERSION, **call.pop("headers", {})}
    if key:
        headers["Authorization"] = f"Bearer {key}"
    async with httpx.AsyncClient(base_url=fake.base_url, timeout=5) as client:
        answer = await client.request(method, path, headers=headers, **call)
    assert answer.status_code == status, answer.text
    assert said in answer.json()["error"]
    assert fake.jobs == {}


@pytest.mark.parametrize(
    "asked", [jobs.Sources(negative_prompt="dogs"), jobs.Sources(loop=True)], ids=["neg", "loop"]
)
async def test_runway_declares_no_negative_prompt_or_loop_and_refuses_them_unsent(
    fake: FakeRunway, make_engine: Any, asked: jobs.Sources
) -> None:
    engine = make_engine()
    try:
        assert not engine.info.has(Capability.NEGATIVE_PROMPT)
        assert not engine.info.has(Capability.LOOP)
        with pytest.raises(errors.EngineCannotServe, match="negative prompt or a loop"):
            await engine.submit(replace(contract.REQUEST, sources=asked))
    finally:
        await engine.close()
    assert fake.log == []
