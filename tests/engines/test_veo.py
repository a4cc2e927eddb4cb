"""The veo engine against a fake Google Veo, through the Gemini API and through Vertex AI."""

from __future__ import annotations

import base64
import dataclasses
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest

from reelway import catalog, errors, jobs
from reelway.engines import base, veo
from reelway.engines.veo import VeoEngine
from reelway.worker import sources
from tests.engines import contract
from tests.engines.contract import Case, RemoteEngineContract
from tests.fakes import server
from tests.fakes.veo import FakeVeo, google_error

PROJECT = "reelway-test"


def _job(kind: str, code: str | None = None, message: str | None = None):
    return lambda fake: fake.next_outcome(server.Outcome(kind, code=code, message=message))


def _http(endpoint: str, status: int, name: str, message: str, reason: str | None = None):
    return lambda fake: fake.script(
        endpoint, server.fault(status, google_error(status, name, message, reason))
    )


def _rpc(code: int, name: str, kind: type[errors.UpstreamError]) -> Case:
    return Case(f"operation error {code} {name}", _job("fail", str(code), "Oh no."), kind, name)


FAILURES: list[Case] = [
    _rpc(3, "INVALID_ARGUMENT", errors.UpstreamInvalidRequest),
    _rpc(9, "FAILED_PRECONDITION", errors.UpstreamInvalidRequest),
    _rpc(11, "OUT_OF_RANGE", errors.UpstreamInvalidRequest),
    _rpc(7, "PERMISSION_DENIED", errors.UpstreamAuthFailed),
    _rpc(16, "UNAUTHENTICATED", errors.UpstreamAuthFailed),
    _rpc(8, "RESOURCE_EXHAUSTED", errors.UpstreamRateLimited),
    _rpc(14, "UNAVAILABLE", errors.UpstreamUnavailable),
    _rpc(4, "DEADLINE_EXCEEDED", errors.UpstreamTimeout),
    _rpc(13, "INTERNAL", errors.UpstreamGenerationFailed),
    _rpc(2, "UNKNOWN", errors.UpstreamGenerationFailed),
    _rpc(1, "CANCELLED", errors.UpstreamCancelled),
    _rpc(10, "ABORTED", errors.UpstreamGenerationFailed),
    Case("cancelled at Google", _job("cancelled"), errors.UpstreamCancelled, "CANCELLED"),
    Case(
        "outputs filtered by safety",
        _job("moderated"),
        errors.UpstreamModerationBlocked,
        "RAI_MEDIA_FILTERED",
    ),
    Case(
        "done without a video or an error",
        _job("unknown_status", "empty"),
        errors.UpstreamProtocolError,
    ),
    Case(
        "create 400 INVALID_ARGUMENT",
        _http("create", 400, "INVALID_ARGUMENT", "Unsupported aspect ratio."),
        errors.UpstreamInvalidRequest,
        "INVALID_ARGUMENT",
    ),
    Case(
        "create 400 with a bad Gemini key",
        _http("create", 400, "INVALID_ARGUMENT", "API key not valid.", "API_KEY_INVALID"),
        errors.UpstreamAuthFailed,
        "INVALID_ARGUMENT/API_KEY_INVALID",
    ),
    Case(
        "create 429 RESOURCE_EXHAUSTED",
        _http("create", 429, "RESOURCE_EXHAUSTED", "Quota exceeded for this project."),
        errors.UpstreamRateLimited,
        "RESOURCE_EXHAUSTED",
    ),
    Case(
        "poll 404, operation gone",
        _http("poll", 404, "NOT_FOUND", "Operation not found."),
        errors.UpstreamGenerationFailed,
        "NOT_FOUND",
    ),
]


def gemini_engine(fake: FakeVeo, **options: Any) -> VeoEngine:
    options = {"api_key": contract.API_KEY, "timeout": contract.TIMEOUT, **options}
    return VeoEngine(base_url=fake.base_url + "/v1beta", **options)


def vertex_engine(fake: FakeVeo, **options: Any) -> VeoEngine:
    return VeoEngine(
        "vertex",
        access_token=contract.API_KEY,
        project=PROJECT,
        base_url=fake.base_url + "/v1",
        storage_base_url=fake.base_url + "/storage",
        timeout=contract.TIMEOUT,
        **options,
    )


class TestVeoGemini(RemoteEngineContract):
    FAILURES: ClassVar[list[Case]] = FAILURES

    @pytest.fixture
    def fake(self, clip: bytes) -> Iterator[FakeVeo]:
        provider = FakeVeo(clip, contract.API_KEY)
        yield provider
        provider.close()

    @pytest.fixture
    def make_engine(self, fake: FakeVeo) -> Callable[[], VeoEngine]:
        return lambda: gemini_engine(fake)


class TestVeoVertex(RemoteEngineContract):
    FAILURES: ClassVar[list[Case]] = FAILURES

    @pytest.fixture
    def fake(self, clip: bytes) -> Iterator[FakeVeo]:
        provider = FakeVeo(clip, contract.API_KEY)
        yield provider
        provider.close()

    @pytest.fixture
    def make_engine(self, fake: FakeVeo) -> Callable[[], VeoEngine]:
        return lambda: vertex_engine(fake)


# ---------------------------------------------------------------------- beyond the contract


@pytest.fixture
def fake(clip: bytes) -> Iterator[FakeVeo]:
    provider = FakeVeo(clip, contract.API_KEY)
    yield provider
    provider.close()


def _request(**changes: Any) -> base.GenerationRequest:
    return dataclasses.replace(contract.REQUEST, **changes)


def _bodies(fake: FakeVeo, endpoint: str) -> list[Any]:
    return [request.json() for _, name, request in fake.log if name == endpoint]


@pytest.mark.parametrize("api", ["gemini", "vertex"])
@pytest.mark.parametrize(
    ("changes", "said"),
    [
        ({"seconds": 12}, "4, 6 or 8 seconds"),
        ({"width": 1024, "height": 1024}, "16:9 or 9:16"),
        ({"width": 1792, "height": 1024}, "16:9 or 9:16"),
        ({"width": 3840, "height": 2160}, "720p or 1080p"),
    ],
)
async def test_what_veo_cannot_make_is_refused_before_any_call(
    fake: FakeVeo, api: str, changes: dict[str, int], said: str
) -> None:
    engine = gemini_engine(fake) if api == "gemini" else vertex_engine(fake)
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(_request(**changes))
    finally:
        await engine.close()
    assert said in caught.value.message
    assert caught.value.failover
    assert fake.log == []


@pytest.mark.parametrize(
    ("size", "seconds", "aspect", "resolution"),
    [
        ((1280, 720), 4, "16:9", "720p"),
        ((720, 1280), 6, "9:16", "720p"),
        ((1920, 1080), 8, "16:9", "1080p"),
        ((1080, 1920), 8, "9:16", "1080p"),
    ],
)
async def test_the_request_body_says_the_frame_and_length(
    fake: FakeVeo, size: tuple[int, int], seconds: int, aspect: str, resolution: str
) -> None:
    engine = gemini_engine(fake, person_generation="allow_adult")
    try:
        await engine.submit(_request(width=size[0], height=size[1], seconds=seconds))
    finally:
        await engine.close()
    (body,) = _bodies(fake, "create")
    assert body == {
        "instances": [{"prompt": contract.REQUEST.prompt}],
        "parameters": {
            "sampleCount": 1,
            "durationSeconds": seconds,
            "aspectRatio": aspect,
            "resolution": resolution,
            "personGeneration": "allow_adult",
        },
    }


@pytest.mark.parametrize("api", ["gemini", "vertex"])
async def test_a_negative_prompt_is_sent_as_negative_prompt(fake: FakeVeo, api: str) -> None:
    engine = gemini_engine(fake) if api == "gemini" else vertex_engine(fake)
    asked = jobs.Sources(negative_prompt="blurry, dogs")
    try:
        await engine.submit(_request(sources=asked))
    finally:
        await engine.close()
    (body,) = _bodies(fake, "create")
    assert body["parameters"]["negativePrompt"] == "blurry, dogs"
    assert "negativePrompt" not in json.dumps(body["instances"])


async def test_a_loop_veo_cannot_make_is_refused_before_any_call(fake: FakeVeo) -> None:
    engine = gemini_engine(fake)
    try:
        assert not engine.info.has(catalog.Capability.LOOP)
        with pytest.raises(errors.EngineCannotServe, match="loops"):
            await engine.submit(_request(sources=jobs.Sources(loop=True)))
    finally:
        await engine.close()
    assert fake.log == []


def test_the_fake_refuses_a_negative_prompt_that_is_not_text(fake: FakeVeo) -> None:
    body = {
        "instances": [{"prompt": "x"}],
        "parameters": {"durationSeconds": 8, "aspectRatio": "16:9", "negativePrompt": ["dog"]},
    }
    with httpx.Client() as client:
        answer = client.post(
            f"{fake.base_url}/v1beta/models/veo-3.0-generate-001:predictLongRunning",
            json=body,
            headers={"x-goog-api-key": contract.API_KEY},
        )
    assert answer.status_code == 400 and "negativePrompt" in answer.text


async def test_vertex_sends_the_seed_and_polls_with_fetch_predict_operation(
    fake: FakeVeo,
) -> None:
    engine = vertex_engine(fake)
    try:
        await contract.drive(engine)
    finally:
        await engine.close()
    (body,) = _bodies(fake, "create")
    assert body["parameters"]["seed"] == contract.REQUEST.seed
    assert body["parameters"]["generateAudio"] is True
    polls = [request for _, name, request in fake.log if name == "poll"]
    assert polls and all(r.path.endswith(":fetchPredictOperation") for r in polls)
    assert polls[0].json()["operationName"].startswith(f"projects/{PROJECT}/locations/")


async def test_vertex_inline_base64_result_decodes_to_the_clip(clip: bytes) -> None:
    fake = FakeVeo(clip, contract.API_KEY, vertex_inline=True)
    engine = vertex_engine(fake)
    try:
        video = await contract.drive(engine)
    finally:
        await engine.close()
        fake.close()
    assert video == clip
    assert fake.calls["download"] == 0


async def test_vertex_gcs_result_is_downloaded_with_the_token(fake: FakeVeo) -> None:
    engine = vertex_engine(fake, storage_uri="gs://my-videos/reelway/")
    try:
        operation = await engine.submit(contract.REQUEST)
        video = await contract.drive(engine, operation=operation)
        outcome = await engine.poll(operation)
    finally:
        await engine.close()
    assert video == fake.video
    (body,) = _bodies(fake, "create")
    assert body["parameters"]["storageUri"] == "gs://my-videos/reelway/"
    assert isinstance(outcome, base.Succeeded)
    assert outcome.result["gcs_uri"].startswith("gs://my-videos/reelway/op")
    (download,) = [request for _, name, request in fake.log if name == "download"]
    assert download.path.startswith("/storage/my-videos/reelway/")
    assert download.headers["authorization"] == f"Bearer {contract.API_KEY}"


async def test_an_input_image_goes_inline_as_base64(fake: FakeVeo, tmp_path: Path) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    engine = gemini_engine(fake)
    try:
        await contract.drive(engine, _request(input_image=image))
    finally:
        await engine.close()
    (body,) = _bodies(fake, "create")
    assert body["instances"][0]["image"] == {
        "bytesBase64Encoded": base64.b64encode(image.read_bytes()).decode(),
        "mimeType": "image/png",
    }


@pytest.mark.parametrize("api", ["gemini", "vertex"])
async def test_an_extensions_segment_is_sent_as_an_image_to_video_create(
    fake: FakeVeo, api: str, tmp_path: Path
) -> None:
    """Veo does not extend here (EXTENSIONS is not declared), so the worker asks it for the
    new segment from the source's last frame: that must be Veo's image-to-video create."""
    source = tmp_path / "source.mp4"
    source.write_bytes(fake.video)
    extension = contract.derived(jobs.JobKind.EXTEND, None, source, "the boat drifts on", 6)
    engine = gemini_engine(fake) if api == "gemini" else vertex_engine(fake)
    try:
        assert not engine.info.has(catalog.Capability.EXTENSIONS)
        segment = await sources.from_last_frame(extension, tmp_path)
        made = await contract.drive(engine, segment)
    finally:
        await engine.close()
    assert made == fake.video
    assert segment.input_image is not None
    (body,) = _bodies(fake, "create")
    assert body["instances"] == [
        {
            "prompt": "the boat drifts on",
            "image": {
                "bytesBase64Encoded": base64.b64encode(segment.input_image.read_bytes()).decode(),
                "mimeType": "image/png",
            },
        }
    ]
    assert body["parameters"]["durationSeconds"] == 6
    assert body["parameters"]["aspectRatio"] == "16:9"


@pytest.mark.parametrize("api", ["gemini", "vertex"])
@pytest.mark.parametrize("what", ["edit", "extend", "characters"])
async def test_edits_extensions_and_characters_are_refused_before_any_call(
    fake: FakeVeo, api: str, what: str, tmp_path: Path
) -> None:
    """Sent as a plain create, they would silently lose the source video or the characters."""
    clip = tmp_path / "clip.mp4"
    clip.write_bytes(fake.video)
    if what == "characters":
        request = _request(characters=(base.CharacterRef("char_fox", "Rusty", clip),))
    else:
        request = contract.derived(jobs.JobKind(what), None, clip, "in winter")
    engine = gemini_engine(fake) if api == "gemini" else vertex_engine(fake)
    try:
        with pytest.raises(errors.EngineCannotServe) as caught:
            await engine.submit(request)
    finally:
        await engine.close()
    assert caught.value.failover
    assert fake.log == []


async def test_progress_in_the_operations_metadata_is_reported(fake: FakeVeo) -> None:
    engine = gemini_engine(fake)
    # A job that never finishes: the unscripted second poll must find it still running however
    # slowly the test machine gets there (the default job finishes after 0.05 s).
    fake.next_outcome(server.Outcome("never"))
    try:
        operation = await engine.submit(contract.REQUEST)
        fake.script(
            "poll",
            server.Reply(
                200, {"name": operation["name"], "done": False, "metadata": {"progressPercent": 40}}
            ),
        )
        assert await engine.poll(operation) == base.Pending(progress=40)
        assert await engine.poll(operation) == base.Pending()  # `done` left out
    finally:
        await engine.close()


async def test_the_gemini_key_is_not_sent_to_a_host_that_is_not_googles(fake: FakeVeo) -> None:
    engine = gemini_engine(fake)
    foreign = fake.base_url.replace("127.0.0.1", "localhost") + "/v1beta/files/op0001:download"
    try:
        operation = await engine.submit(contract.REQUEST)
        with pytest.raises(errors.UpstreamResultExpired):
            async for _ in engine.fetch(operation, {"uri": foreign}):
                pass
    finally:
        await engine.close()
    (download,) = [request for _, name, request in fake.log if name == "download"]
    assert "x-goog-api-key" not in download.headers


@pytest.mark.parametrize("api", ["gemini", "vertex"])
async def test_wrong_credentials_are_an_auth_failure_and_stay_secret(
    fake: FakeVeo, api: str
) -> None:
    wrong = "AIza-wrong-key-never-in-logs"
    if api == "gemini":
        engine = gemini_engine(fake, api_key=wrong)
    else:
        engine = VeoEngine(
            "vertex", access_token=wrong, project=PROJECT, base_url=fake.base_url + "/v1"
        )
    try:
        with pytest.raises(errors.UpstreamAuthFailed) as caught:
            await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    assert wrong not in caught.value.message and wrong not in json.dumps(caught.value.upstream)
    expected = "INVALID_ARGUMENT/API_KEY_INVALID" if api == "gemini" else "UNAUTHENTICATED"
    assert caught.value.upstream["provider_code"] == expected


async def test_an_operation_error_keeps_googles_code_and_message(fake: FakeVeo) -> None:
    fake.next_outcome(
        server.Outcome("fail", code="3", message="The prompt could not be processed.")
    )
    engine = gemini_engine(fake)
    try:
        with pytest.raises(errors.UpstreamInvalidRequest) as caught:
            await contract.drive(engine)
    finally:
        await engine.close()
    upstream = caught.value.upstream
    assert upstream["rpc_code"] == 3 and upstream["provider_code"] == "INVALID_ARGUMENT"
    assert upstream["provider_message"] == "The prompt could not be processed."
    assert upstream["operation"].startswith("models/veo-3.1-generate-preview/operations/")


async def test_filtered_outputs_keep_their_reasons(fake: FakeVeo) -> None:
    fake.next_outcome(server.Outcome("moderated", message="Person generation is blocked."))
    engine = vertex_engine(fake)
    try:
        with pytest.raises(errors.UpstreamModerationBlocked) as caught:
            await contract.drive(engine)
    finally:
        await engine.close()
    assert not caught.value.failover
    assert caught.value.upstream["rai_media_filtered_reasons"] == ["Person generation is blocked."]
    assert "Person generation is blocked." in caught.value.message


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({}, "needs api_key"),
        ({"api": "vertex", "access_token": "t"}, "and project"),
        ({"api": "vertex", "project": "p"}, "needs access_token"),
        ({"api": "bedrock", "api_key": "k"}, "'gemini' or 'vertex'"),
        ({"api_key": "k", "durations": []}, "durations"),
    ],
)
def test_missing_settings_are_refused_at_construction(options: dict[str, Any], said: str) -> None:
    with pytest.raises(ValueError, match=said):
        VeoEngine(**options)


async def test_info_and_the_error_table() -> None:
    engine = VeoEngine(api_key="k", durations=[8, 4])
    try:
        assert engine.info.capabilities == {
            catalog.Capability.IMAGE_INPUT,
            catalog.Capability.AUDIO,
            catalog.Capability.NEGATIVE_PROMPT,
        }
        assert engine.info.seconds is not None and max(engine.info.seconds) == 8
        assert engine.client.http.base_url.host == "generativelanguage.googleapis.com"
    finally:
        await engine.close()
    vertex = VeoEngine("vertex", access_token="t", project="p", location="europe-west4")
    try:
        assert vertex.client.http.base_url.host == "europe-west4-aiplatform.googleapis.com"
    finally:
        await vertex.close()
    classes = {kind for _, kind in veo.PROVIDER_ERRORS}
    assert set(veo.RPC_FAILURES.values()) <= classes
    assert len(veo.PROVIDER_ERRORS) == len(veo.RPC_FAILURES) + len(veo.RULES)


# ---------------------------------------------------------------------- the fake is strict

GEMINI_CREATE = "/v1beta/models/veo-3.1-generate-preview:predictLongRunning"
VERTEX_MODEL = f"/v1/projects/{PROJECT}/locations/us-central1/publishers/google/models/veo-3"
BODY: dict[str, Any] = {
    "instances": [{"prompt": "a boat"}],
    "parameters": {"durationSeconds": 8, "aspectRatio": "16:9"},
}


def _with(**parameters: Any) -> dict[str, Any]:
    return {**BODY, "parameters": {**BODY["parameters"], **parameters}}


@pytest.mark.parametrize(
    ("path", "call", "status", "said"),
    [
        (GEMINI_CREATE, {"key": "wrong-key", "json": BODY}, 400, "API key not valid"),
        (GEMINI_CREATE, {"key": None, "json": BODY}, 403, "unregistered callers"),
        (f"{VERTEX_MODEL}:predictLongRunning", {"key": None, "json": BODY}, 401,
         "invalid authentication"),
        (GEMINI_CREATE, {"json": {**BODY, "instances": [{"prompt": ""}]}}, 400, "prompt"),
        (GEMINI_CREATE, {"json": {**BODY, "instances": [{}]}}, 400, "prompt"),
        (GEMINI_CREATE, {"data": {"prompt": "a boat"}}, 400, "Invalid JSON payload"),
        (GEMINI_CREATE, {"content": b'{"instances": ', "headers": {
            "content-type": "application/json"}}, 400, "Invalid JSON payload"),
        (GEMINI_CREATE, {"json": {**BODY, "config": {}}}, 400, 'Unknown name "config"'),
        (GEMINI_CREATE, {"json": _with(frameRate=24)}, 400, "frameRate"),
        (GEMINI_CREATE, {"json": _with(seed=7)}, 400, "seed"),
        (GEMINI_CREATE, {"json": {**BODY, "instances": [{"prompt": "a boat", "referenceImages": [
            ]}]}}, 400, "referenceImages"),
        (GEMINI_CREATE, {"json": _with(durationSeconds=5)}, 400, "durationSeconds"),
        (GEMINI_CREATE, {"json": _with(personGeneration="everyone")}, 400, "personGeneration"),
        (f"{VERTEX_MODEL}:fetchPredictOperation", {"json": {"operationName": "op1"}}, 400,
         "operationName"),
    ],
    ids=[
        "wrong Gemini key", "no Gemini key", "no Vertex token", "empty prompt", "no prompt",
        "form-encoded", "malformed JSON", "unknown field", "unknown parameter",
        "Vertex-only parameter on Gemini", "Vertex-only instance field on Gemini",
        "duration out of range", "bad personGeneration",
        "poll a malformed operation name",
    ],
)  # fmt: skip
async def test_the_fake_refuses_what_google_refuses(
    fake: FakeVeo, path: str, call: dict[str, Any], status: int, said: str
) -> None:
    call = dict(call)
    key = call.pop("key", contract.API_KEY)
    headers = call.pop("headers", {})
    if key and path.startswith("/v1beta/"):
        headers["x-goog-api-key"] = key
    elif key:
        headers["Authorization"] = f"Bearer {key}"
    async with httpx.AsyncClient(base_url=fake.base_url, timeout=5) as client:
        answer = await client.post(path, headers=headers, **call)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error["code"] == status and said in error["message"]
    assert fake.jobs == {}
