"""The openai_compat engine against a fake /v1/videos server."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import httpx
import pytest
from PIL import Image

from reelway import errors, jobs
from reelway.catalog import Capability
from reelway.engines import base
from reelway.engines.openai_compat import OpenAICompatEngine
from tests.engines import contract
from tests.engines.contract import Case, LongformContract, RemoteEngineContract
from tests.fakes import server
from tests.fakes.openai import FakeOpenAI


def _job(kind: str, code: str | None = None, message: str | None = None):
    return lambda fake: fake.next_outcome(server.Outcome(kind, code=code, message=message))


@pytest.fixture
def fake(clip: bytes) -> Iterator[FakeOpenAI]:
    provider = FakeOpenAI(clip, api_key=contract.API_KEY)
    yield provider
    provider.close()


@pytest.fixture
def make_engine(fake: FakeOpenAI):
    return lambda: OpenAICompatEngine(
        fake.v1, contract.API_KEY, name="upstream", timeout=contract.TIMEOUT
    )


class TestOpenAICompat(RemoteEngineContract, LongformContract):
    LONGFORM: ClassVar[frozenset[Capability]] = frozenset(
        {Capability.EDITS, Capability.EXTENSIONS, Capability.CHARACTERS}
    )
    EXTENSION_FAILURES: ClassVar[list[Case]] = [
        Case(
            "the upstream fails the extension (server_busy)",
            _job("fail", "server_busy"),
            errors.UpstreamCapacity,
            "server_busy",
        ),
        Case(
            "the upstream fails the extension, no code",
            _job("fail", None, "Unable to process request"),
            errors.UpstreamGenerationFailed,
        ),
        Case(
            "the extension is refused with 503",
            lambda f: f.script("create", server.fault(503, contract.VAGUE)),
            errors.UpstreamUnavailable,
        ),
    ]
    FAILURES: ClassVar[list[Case]] = [
        Case(
            "moderation_blocked",
            _job("moderated"),
            errors.UpstreamModerationBlocked,
            "moderation_blocked",
        ),
        Case(
            "sentinel_block",
            _job("fail", "sentinel_block", "Prompt refused"),
            errors.UpstreamInputBlocked,
            "sentinel_block",
        ),
        Case(
            "vague failure, no code",
            _job("fail", None, "Unable to process request"),
            errors.UpstreamGenerationFailed,
        ),
        Case(
            "capacity (server_busy)",
            _job("fail", "server_busy"),
            errors.UpstreamCapacity,
            "server_busy",
        ),
        Case(
            "upstream of upstream timed out",
            _job("fail", "upstream_timeout"),
            errors.UpstreamTimeout,
            "upstream_timeout",
        ),
        Case(
            "invalid value",
            _job("fail", "invalid_value"),
            errors.UpstreamInvalidRequest,
            "invalid_value",
        ),
        Case(
            "create 400 invalid",
            lambda f: f.script(
                "create",
                server.fault(
                    400,
                    {
                        "error": {
                            "message": "Invalid size",
                            "code": "invalid_value",
                            "param": "size",
                        }
                    },
                ),
            ),
            errors.UpstreamInvalidRequest,
            "invalid_value",
        ),
        Case(
            "video vanished upstream",
            lambda f: f.script(
                "poll", server.fault(404, {"error": {"message": "Video not found"}})
            ),
            errors.UpstreamGenerationFailed,
        ),
    ]


async def test_remix_of_an_upstream_video_is_an_upstream_remix(
    fake: FakeOpenAI, make_engine
) -> None:
    engine = make_engine()
    try:
        source = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=source)  # only a completed video is remixed
        remix = base.GenerationRequest(
            **{
                **contract.REQUEST.__dict__,
                "video_id": "video_remix",
                "kind": jobs.JobKind.REMIX,
                "sources": jobs.Sources(video_id="video_contract"),
                "source_operation": source,
                "prompt": "the same boat at night",
            }
        )
        await contract.drive(engine, remix)
    finally:
        await engine.close()
    remixed = [job for job in fake.jobs.values() if job.body.get("remix_of")]
    assert len(remixed) == 1 and remixed[0].body["remix_of"] == source["id"]
    assert remixed[0].body["prompt"] == "the same boat at night"
    assert fake.answered.keys() == {200}, "the strict fake accepted every call"


async def test_declared_without_remix_a_remix_is_a_fresh_generation(fake: FakeOpenAI) -> None:
    """The documented ``capabilities`` option takes effect: an upstream declared without
    remix says so in its info, and a remix job is sent as a new create, not a remix."""
    engine = OpenAICompatEngine(
        fake.v1,
        contract.API_KEY,
        name="plain",
        timeout=contract.TIMEOUT,
        capabilities=["image_input"],
    )
    try:
        assert not engine.info.remix_own and not engine.info.has(Capability.REMIX)
        assert engine.info.capabilities == {Capability.IMAGE_INPUT}
        source = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=source)
        remix = base.GenerationRequest(
            **{
                **contract.REQUEST.__dict__,
                "video_id": "video_remix",
                "kind": jobs.JobKind.REMIX,
                "sources": jobs.Sources(video_id="video_contract"),
                "source_operation": source,
                "prompt": "the same boat at night",
            }
        )
        await contract.drive(engine, remix)
    finally:
        await engine.close()
    assert not [job for job in fake.jobs.values() if job.body.get("remix_of")]
    assert len(fake.jobs) == 2


def test_by_default_it_relays_everything_it_offers_and_its_own_remixes(fake: FakeOpenAI) -> None:
    engine = OpenAICompatEngine(fake.v1, contract.API_KEY, name="upstream")
    info = engine.info
    assert info.kind is base.EngineKind.REMOTE and info.name == "upstream"
    assert info.capabilities == {
        Capability.IMAGE_INPUT,
        Capability.AUDIO,
        Capability.EDITS,
        Capability.EXTENSIONS,
        Capability.CHARACTERS,
    }
    assert info.remix_own and info.can_remix("upstream") and not info.can_remix("animatic")
    assert info.previews and info.cancel and info.sizes is None and info.seconds is None


@pytest.mark.parametrize("given", [["remix", "telepathy"], "remix", [1]])
def test_an_unknown_capability_is_refused_naming_the_valid_ones(given: Any) -> None:
    with pytest.raises(ValueError, match="image_input, remix, audio"):
        OpenAICompatEngine("http://127.0.0.1:9/v1", name="up", capabilities=given)


async def test_declared_without_image_input_an_image_is_not_sent(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(_png(720, 1280))
    engine = OpenAICompatEngine(fake.v1, contract.API_KEY, name="t2v", capabilities=[])
    request = base.GenerationRequest(**{**contract.REQUEST.__dict__, "input_image": image})
    try:
        with pytest.raises(errors.EngineCannotServe, match="image_input"):
            await engine.submit(request)
    finally:
        await engine.close()
    assert fake.jobs == {}


async def test_a_create_without_an_image_is_the_json_body_openai_takes(
    fake: FakeOpenAI, make_engine
) -> None:
    engine = make_engine()
    try:
        await contract.drive(engine)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body == {
        "prompt": contract.REQUEST.prompt,
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "encoding": "application/json",
    }
    (_, _, create) = fake.log[0]
    assert create.headers["authorization"] == f"Bearer {contract.API_KEY}"
    assert fake.answered.keys() == {200}


async def test_an_input_image_is_sent_as_a_well_formed_multipart_body(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    image = tmp_path / "input.png"
    Image.new("RGB", (1280, 720), (200, 80, 40)).save(image)
    request = base.GenerationRequest(**{**contract.REQUEST.__dict__, "input_image": image})
    engine = make_engine()
    try:
        await contract.drive(engine, request)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body == {
        "prompt": contract.REQUEST.prompt,
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "encoding": "multipart/form-data",
        "input_reference": {
            "filename": "input.png",
            "content_type": "image/png",
            "format": "image/png",
            "size": "1280x720",
        },
    }
    assert fake.answered.keys() == {200}


async def test_upstream_previews_are_fetched(fake: FakeOpenAI, make_engine) -> None:
    engine = make_engine()
    try:
        operation = await engine.submit(contract.REQUEST)
        await contract.drive(engine, operation=operation)
        thumb = b"".join([c async for c in engine.fetch_preview(operation, {}, "thumbnail")])
    finally:
        await engine.close()
    assert thumb == fake.thumbnail


async def test_the_api_key_is_sent_and_a_wrong_one_is_an_auth_failure(fake: FakeOpenAI) -> None:
    engine = OpenAICompatEngine(fake.v1, "sk-wrong", name="upstream", timeout=contract.TIMEOUT)
    try:
        with pytest.raises(errors.UpstreamAuthFailed) as caught:
            await engine.submit(contract.REQUEST)
    finally:
        await engine.close()
    assert "sk-wrong" not in caught.value.message
    assert caught.value.upstream["provider_code"] == "invalid_api_key"
    # OpenAI's sentence keeps one full stop before the advice that follows it.
    assert "HTTP 401: Incorrect API key provided. The credentials" in caught.value.message


# ------------------------------------------------------------------ the fake is strict


def _png(width: int, height: int) -> bytes:
    with io.BytesIO() as out:
        Image.new("RGB", (width, height)).save(out, "PNG")
        return out.getvalue()


PROMPT = {"prompt": "a paper boat"}
BOUNDARY = {"content-type": "multipart/form-data; boundary=xyz"}
REFUSALS: list[tuple[str, str, str, dict[str, Any], int, str | None, str | None]] = [
    ("wrong key", "POST", "", {"key": "sk-wrong", "json": PROMPT}, 401, "invalid_api_key", None),
    ("no key", "POST", "", {"key": None, "json": PROMPT}, 401, None, None),
    ("no prompt", "POST", "", {"json": {"model": "sora-2"}}, 400, "missing_required_parameter",
     "prompt"),
    ("no prompt, multipart", "POST", "", {"files": {"model": (None, "sora-2")}}, 400,
     "missing_required_parameter", "prompt"),
    ("empty prompt", "POST", "", {"json": {"prompt": ""}}, 400, "empty_string", "prompt"),
    ("form-urlencoded body", "POST", "", {"data": PROMPT}, 400, None, None),
    ("text body", "POST", "", {"content": b"a boat", "headers": {"content-type": "text/plain"}},
     400, None, None),
    ("malformed JSON", "POST", "", {"content": b'{"prompt": ', "headers": {
        "content-type": "application/json"}}, 400, None, None),
    ("malformed multipart", "POST", "", {"content": b"--xyz\r\nbroken", "headers": BOUNDARY},
     400, None, None),
    ("seconds as a number", "POST", "", {"json": {**PROMPT, "seconds": 4}}, 400, "invalid_type",
     "seconds"),
    ("size not offered", "POST", "", {"json": {**PROMPT, "size": "320x180"}}, 400,
     "invalid_value", "size"),
    ("unknown model", "POST", "", {"json": {**PROMPT, "model": "sora-9"}}, 400, "invalid_value",
     "model"),
    ("unknown field", "POST", "", {"json": {**PROMPT, "seed": 7}}, 400, "unknown_parameter",
     "seed"),
    ("image of another size", "POST", "", {"data": PROMPT, "files": {
        "input_reference": ("a.png", _png(640, 360), "image/png")}}, 400, "invalid_value",
     "input_reference"),
    ("not an image", "POST", "", {"data": PROMPT, "files": {
        "input_reference": ("a.png", b"\x89PNG not really", "image/png")}}, 400, "invalid_value",
     "input_reference"),
    ("reference with two sources", "POST", "", {"json": {**PROMPT, "input_reference": {
        "image_url": "https://example.com/a.png", "file_id": "file_1"}}}, 400, "invalid_value",
     "input_reference"),
    ("retrieve without a key", "GET", "/video_0001", {"key": None}, 401, None, None),
    ("download with a wrong key", "GET", "/video_0001/content", {"key": "sk-wrong"}, 401,
     "invalid_api_key", None),
    ("delete without a key", "DELETE", "/video_0001", {"key": None}, 401, None, None),
    ("retrieve an unknown id", "GET", "/video_9999", {}, 404, None, None),
    ("download an unknown id", "GET", "/video_9999/content", {}, 404, None, None),
    ("delete an unknown id", "DELETE", "/video_9999", {}, 404, None, None),
    ("remix an unknown id", "POST", "/video_9999/remix", {"json": PROMPT}, 404, None, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "call", "status", "code", "param"),
    [case[1:] for case in REFUSALS],
    ids=[case[0] for case in REFUSALS],
)
async def test_the_fake_refuses_what_openai_refuses(
    fake: FakeOpenAI,
    method: str,
    path: str,
    call: dict[str, Any],
    status: int,
    code: str | None,
    param: str | None,
) -> None:
    call = dict(call)
    key = call.pop("key", contract.API_KEY)
    headers = {**({"Authorization": f"Bearer {key}"} if key else {}), **call.pop("headers", {})}
    async with httpx.AsyncClient(timeout=5) as client:
        answer = await client.request(method, f"{fake.v1}/videos{path}", headers=headers, **call)
    assert answer.status_code == status, answer.text
    error = answer.json()["error"]
    assert error.keys() == {"message", "type", "param", "code"} and error["message"]
    assert (error["type"], error["code"], error["param"]) == ("invalid_request_error", code, param)
    assert fake.jobs == {}


async def test_the_fake_refuses_a_remix_or_download_of_an_unfinished_video(
    fake: FakeOpenAI,
) -> None:
    fake.next_outcome(server.Outcome("never"))
    auth = {"Authorization": f"Bearer {contract.API_KEY}"}
    async with httpx.AsyncClient(base_url=fake.v1, headers=auth, timeout=5) as client:
        created = (await client.post("/videos", files={"prompt": (None, "a boat")})).json()
        remix = await client.post(f"/videos/{created['id']}/remix", json={"prompt": "at night"})
        download = await client.get(f"/videos/{created['id']}/content")
        no_prompt = await client.post(f"/videos/{created['id']}/remix", json={})
    assert created["status"] == "queued" and created["size"] == "720x1280"
    for answer in (remix, download):
        assert answer.status_code == 400
        assert answer.json()["error"]["code"] == "video_not_ready"
    assert no_prompt.json()["error"]["param"] == "prompt"
    assert len(fake.jobs) == 1
