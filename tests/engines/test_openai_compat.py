"""The openai_compat engine against a fake /v1/videos server."""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
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
from reelway.media import probe
from tests.engines import contract
from tests.engines.contract import Case, LongformContract, RemoteEngineContract
from tests.fakes import openai as openai_fake
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
    ("edit without a video", "POST", "/edits", {"json": PROMPT}, 400,
     "missing_required_parameter", "video"),
    ("edit of an unknown id", "POST", "/edits", {"json": {**PROMPT, "video": {
        "id": "video_9999"}}}, 404, None, None),
    ("edit of an unknown id, multipart", "POST", "/edits", {"files": {
        "prompt": (None, "a boat"), "video[id]": (None, "video_9999")}}, 404, None, None),
    ("edit with the video as a string", "POST", "/edits", {"json": {**PROMPT,
     "video": "video_0001"}}, 400, "invalid_type", "video"),
    ("edit with seconds", "POST", "/edits", {"json": {**PROMPT, "seconds": "4", "video": {
        "id": "video_0001"}}}, 400, "unknown_parameter", "seconds"),
    ("edit of a file that is no video", "POST", "/edits", {"data": PROMPT, "files": {
        "video": ("a.mp4", b"not a video", "video/mp4")}}, 400, "invalid_value", "video"),
    ("extension without seconds", "POST", "/extensions", {"json": {**PROMPT, "video": {
        "id": "video_0001"}}}, 400, "missing_required_parameter", "seconds"),
    ("extension of 5 seconds", "POST", "/extensions", {"json": {**PROMPT, "seconds": "5",
     "video": {"id": "video_0001"}}}, 400, "invalid_value", "seconds"),
    ("extension seconds as a number", "POST", "/extensions", {"json": {**PROMPT, "seconds": 4,
     "video": {"id": "video_0001"}}}, 400, "invalid_type", "seconds"),
    ("characters on an extension", "POST", "/extensions", {"json": {**PROMPT, "seconds": "4",
     "video": {"id": "video_0001"}, "characters": [{"id": "char_0001"}]}}, 400,
     "unknown_parameter", "characters"),
    ("input_reference on an extension", "POST", "/extensions", {"json": {**PROMPT,
     "seconds": "4", "video": {"id": "video_0001"}, "input_reference": {"file_id": "f"}}}, 400,
     "unknown_parameter", "input_reference"),
    ("extension of an unknown id", "POST", "/extensions", {"files": {"prompt": (None, "on"),
     "seconds": (None, "4"), "video[id]": (None, "video_9999")}}, 404, None, None),
    ("character as JSON", "POST", "/characters", {"json": {"name": "Rusty"}}, 400, None, None),
    ("character without a name", "POST", "/characters", {"files": {"video": (
        "c.mp4", b"x", "video/mp4")}}, 400, "missing_required_parameter", "name"),
    ("character name too long", "POST", "/characters", {"data": {"name": "x" * 81}, "files": {
        "video": ("c.mp4", b"x", "video/mp4")}}, 400, "invalid_value", "name"),
    ("character without a video", "POST", "/characters", {"files": {"name": (None, "Rusty")}},
     400, "missing_required_parameter", "video"),
    ("character clip that is no video", "POST", "/characters", {"data": {"name": "Rusty"},
     "files": {"video": ("c.mp4", b"not a video", "video/mp4")}}, 400, "invalid_value",
     "video"),
    ("get an unknown character", "GET", "/characters/char_9999", {}, 404, None, None),
    ("get a character without a key", "GET", "/characters/char_0001", {"key": None}, 401, None,
     None),
    ("three characters", "POST", "", {"json": {**PROMPT, "characters": [{"id": "char_1"}] * 3}},
     400, "array_above_max_length", "characters"),
    ("an unknown character", "POST", "", {"json": {**PROMPT, "characters": [{"id": "char_9"}]}},
     400, "invalid_value", "characters"),
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


# ------------------------------------------------------------------ edits, extensions, characters


async def _made(engine: OpenAICompatEngine, folder: Path) -> tuple[base.Operation, Path]:
    """A completed upstream video and its file, as the worker hands a source over."""
    operation = await engine.submit(contract.REQUEST)
    path = folder / "source.mp4"
    path.write_bytes(await contract.drive(engine, operation=operation))
    return operation, path


async def test_an_edit_of_its_own_video_names_it_and_uploads_nothing(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    engine = make_engine()
    try:
        operation, video = await _made(engine, tmp_path)
        request = contract.derived(jobs.JobKind.EDIT, operation, video, "the pond in snow")
        await contract.drive(engine, request)
    finally:
        await engine.close()
    edited = fake.jobs["video_0002"].body
    assert edited == {
        "prompt": "the pond in snow",
        "model": "sora-2",
        "size": "1280x720",
        "seconds": "4",
        "edit_of": operation["id"],
        "encoding": "application/json",
    }
    sent = [call for _, endpoint, call in fake.log if endpoint == "create"][1]
    assert json.loads(sent.body) == {"prompt": "the pond in snow", "video": {"id": "video_0001"}}
    assert fake.answered.keys() == {200}


async def test_an_edit_of_a_video_it_did_not_make_uploads_it_with_the_model(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    video = tmp_path / "mine.mp4"
    video.write_bytes(fake.video)
    engine = make_engine()
    try:
        await contract.drive(engine, contract.derived(jobs.JobKind.EDIT, None, video, "at dusk"))
    finally:
        await engine.close()
    (edited,) = fake.jobs.values()
    assert edited.body == {
        "prompt": "at dusk",
        "model": "sora-2",
        "size": "320x180",  # the upload's own size and length
        "seconds": "1",
        "edit_of": "upload",
        "encoding": "multipart/form-data",
    }


async def test_a_source_the_upstream_no_longer_has_is_uploaded_instead(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    engine = make_engine()
    try:
        operation, video = await _made(engine, tmp_path)
        fake.jobs[operation["id"]].deleted = True  # expired upstream
        request = contract.derived(jobs.JobKind.EXTEND, operation, video, "on and on", 4)
        await contract.drive(engine, request)
    finally:
        await engine.close()
    extended = fake.jobs["video_0002"].body
    assert (extended["extension_of"], extended["encoding"]) == ("upload", "multipart/form-data")
    assert fake.answered[404] == 1


async def test_an_extension_of_its_own_video_is_the_stitched_total(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    engine = make_engine()
    try:
        operation, video = await _made(engine, tmp_path)
        request = contract.derived(jobs.JobKind.EXTEND, operation, video, "the boat sails", 8)
        whole = await contract.drive(engine, request)
    finally:
        await engine.close()
    extended = fake.jobs["video_0002"].body
    assert extended["extension_of"] == operation["id"] and extended["encoding"] == (
        "application/json"
    )
    assert (extended["segment"], extended["seconds"], extended["extensions"]) == ("8", "12", 1)
    out = tmp_path / "whole.mp4"
    out.write_bytes(whole)
    assert probe.probe(out).duration == pytest.approx(12, abs=contract.SECONDS_TOLERANCE)


async def test_an_account_not_allowed_to_upload_footage_cannot_serve_it(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    fake.video_uploads = False
    video = tmp_path / "mine.mp4"
    video.write_bytes(fake.video)
    engine = make_engine()
    try:
        with pytest.raises(errors.EngineCannotServe, match="uploaded video") as caught:
            await engine.submit(contract.derived(jobs.JobKind.EDIT, None, video, "at dusk"))
    finally:
        await engine.close()
    assert caught.value.failover, "another engine on the route may edit it"
    assert fake.jobs == {}


async def test_an_upstream_without_the_route_cannot_serve_it(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    """An older server answers 404 to /videos/extensions itself: the job moves on."""
    fake.script("create", server.fault(404, {"error": {"message": "Not Found"}}))
    video = tmp_path / "mine.mp4"
    video.write_bytes(fake.video)
    engine = make_engine()
    try:
        with pytest.raises(errors.EngineCannotServe, match="videos/extensions"):
            await engine.submit(contract.derived(jobs.JobKind.EXTEND, None, video, "on", 4))
    finally:
        await engine.close()


@pytest.mark.parametrize(
    ("kind", "capabilities", "lacking"),
    [(jobs.JobKind.EDIT, ["extensions"], "edits"), (jobs.JobKind.EXTEND, ["edits"], "extensions")],
)
async def test_declared_without_an_operation_it_sends_nothing(
    fake: FakeOpenAI, tmp_path: Path, kind: jobs.JobKind, capabilities: list[str], lacking: str
) -> None:
    video = tmp_path / "mine.mp4"
    video.write_bytes(fake.video)
    engine = OpenAICompatEngine(fake.v1, contract.API_KEY, name="up", capabilities=capabilities)
    try:
        with pytest.raises(errors.EngineCannotServe, match=f"cannot take {lacking}"):
            await engine.submit(contract.derived(kind, None, video, "on", 4))
    finally:
        await engine.close()
    assert not fake.log


def _characters(folder: Path) -> tuple[base.CharacterRef, base.CharacterRef]:
    clip = folder / "clip.mp4"
    clip.write_bytes(contract.character_clip())
    return base.CharacterRef("char_a", "Rusty", clip), base.CharacterRef("char_b", "Hoot", clip)


async def test_characters_are_uploaded_once_and_named_by_their_upstream_ids(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    fox, owl = _characters(tmp_path)
    engine = make_engine()
    try:
        for prompt in ("Rusty meets Hoot", "Hoot follows Rusty home"):
            request = base.GenerationRequest(
                **{**contract.REQUEST.__dict__, "prompt": prompt, "characters": (fox, owl)}
            )
            await contract.drive(engine, request)
    finally:
        await engine.close()
    assert fake.calls["character"] == 2, "one upload per character, not per video"
    assert fake.calls["character_get"] == 2, "the second video checks they are still known"
    assert [c.name for c in fake.characters.values()] == ["Rusty", "Hoot"]
    assert [job.body["characters"] for job in fake.jobs.values()] == [
        ["char_0001", "char_0002"]
    ] * 2
    assert {job.body["encoding"] for job in fake.jobs.values()} == {"application/json"}


async def test_a_character_the_upstream_forgot_or_a_new_clip_is_uploaded_again(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    fox, _ = _characters(tmp_path)
    request = base.GenerationRequest(
        **{**contract.REQUEST.__dict__, "prompt": "Rusty runs", "characters": (fox,)}
    )
    engine = make_engine()
    try:
        await contract.drive(engine, request)
        fake.characters.clear()  # the upstream lost it
        await contract.drive(engine, request)
        other = tmp_path / "other.mp4"
        other.write_bytes(contract.character_clip() + b"\0")  # the same id, another clip
        retaken = base.CharacterRef(fox.id, fox.name, other)
        await contract.drive(
            engine, base.GenerationRequest(**{**request.__dict__, "characters": (retaken,)})
        )
    finally:
        await engine.close()
    assert fake.calls["character"] == 3
    assert [job.body["characters"] for job in fake.jobs.values()] == [
        ["char_0001"],
        ["char_0001"],  # uploaded again, and the fake numbers anew from what it holds
        ["char_0002"],
    ]


async def test_characters_with_an_input_image_go_as_bracketed_multipart_parts(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    fox, owl = _characters(tmp_path)
    image = tmp_path / "first.png"
    image.write_bytes(_png(1280, 720))
    request = base.GenerationRequest(
        **{
            **contract.REQUEST.__dict__,
            "prompt": "Rusty and Hoot",
            "characters": (fox, owl),
            "input_image": image,
        }
    )
    engine = make_engine()
    try:
        await contract.drive(engine, request)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["characters"] == ["char_0001", "char_0002"]
    assert job.body["encoding"] == "multipart/form-data"


async def test_declared_without_characters_none_are_uploaded(
    fake: FakeOpenAI, tmp_path: Path
) -> None:
    fox, _ = _characters(tmp_path)
    engine = OpenAICompatEngine(fake.v1, contract.API_KEY, name="up", capabilities=["remix"])
    request = base.GenerationRequest(
        **{**contract.REQUEST.__dict__, "prompt": "Rusty", "characters": (fox,)}
    )
    try:
        with pytest.raises(errors.EngineCannotServe, match="characters"):
            await engine.submit(request)
    finally:
        await engine.close()
    assert not fake.log


def _auth() -> dict[str, str]:
    return {"Authorization": f"Bearer {contract.API_KEY}"}


async def test_the_fake_makes_characters_as_openai_does(fake: FakeOpenAI) -> None:
    clip = contract.character_clip()
    async with httpx.AsyncClient(base_url=fake.v1, headers=_auth(), timeout=5) as client:
        short = await client.post(
            "/videos/characters",
            data={"name": "Rusty"},
            files={"video": ("c.mp4", fake.video, "video/mp4")},  # 1 s: too short
        )
        made = await client.post(
            "/videos/characters", data={"name": "Rusty"}, files={"video": ("c.mp4", clip)}
        )
        character = made.json()
        got = (await client.get(f"/videos/characters/{character['id']}")).json()
        unnamed = await client.post(
            "/videos", json={"prompt": "a fox", "characters": [{"id": character["id"]}]}
        )
        named = await client.post(
            "/videos",
            files={"prompt": (None, "Rusty the fox"), "characters[][id]": (None, character["id"])},
        )
    assert short.status_code == 400 and short.json()["error"]["param"] == "video"
    assert made.status_code == 200 and character.keys() == {"id", "name", "created_at"}
    assert character["id"].startswith("char_") and got == character
    assert unnamed.status_code == 400 and unnamed.json()["error"]["param"] == "characters"
    assert named.status_code == 200, named.text
    (job,) = fake.jobs.values()
    assert job.body["characters"] == [character["id"]]


async def test_the_fake_holds_a_chain_to_six_extensions_and_120_seconds(fake: FakeOpenAI) -> None:
    near_the_end = fake.new_job(
        "video_long",
        {"prompt": "p", "model": "sora-2", "size": "1280x720", "seconds": "116", "extensions": 1},
    )
    sixth = fake.new_job("video_sixth", {**near_the_end.body, "seconds": "40", "extensions": 6})
    fresh = fake.new_job("video_fresh", {**near_the_end.body, "seconds": "8", "extensions": 0})
    fake.next_outcome(server.Outcome("never"))
    unfinished = fake.new_job("video_unfinished", {**fresh.body})
    await asyncio.sleep(0.1)  # the scripted jobs complete after 0.05 s

    async def extend(client: httpx.AsyncClient, source: str, seconds: str) -> httpx.Response:
        return await client.post(
            "/videos/extensions",
            files={
                "prompt": (None, "on"),
                "seconds": (None, seconds),
                "video[id]": (None, source),  # what the Python SDK's extra_body sends
            },
        )

    async with httpx.AsyncClient(base_url=fake.v1, headers=_auth(), timeout=5) as client:
        too_long = await extend(client, near_the_end.id, "8")
        too_many = await extend(client, sixth.id, "4")
        not_ready = await extend(client, unfinished.id, "4")
        fine = await extend(client, fresh.id, "4")
    assert (too_long.status_code, too_long.json()["error"]["param"]) == (400, "seconds")
    assert (too_many.status_code, too_many.json()["error"]["param"]) == (400, "video")
    assert not_ready.json()["error"]["code"] == "video_not_ready"
    assert fine.status_code == 200 and fine.json()["seconds"] == "12"
    assert fake.jobs[fine.json()["id"]].body["extensions"] == 1


# ---------------------------------------------------------------------------- negative_prompt, loop


async def test_negative_prompt_and_loop_are_relayed_only_when_declared(clip: bytes) -> None:
    """OpenAI refuses both fields (``unknown_parameter``), so by default the engine declares
    neither and a request with them never reaches the upstream; declared (another Reelway
    upstream), they are sent in the JSON create and the upstream receives them."""
    plain = OpenAICompatEngine("http://127.0.0.1:9/v1", name="up")
    assert not plain.info.has(Capability.NEGATIVE_PROMPT) and not plain.info.has(Capability.LOOP)
    asked = base.GenerationRequest(
        **{**contract.REQUEST.__dict__, "sources": jobs.Sources(negative_prompt="dogs", loop=True)}
    )
    try:
        with pytest.raises(errors.EngineCannotServe, match="negative_prompt"):
            await plain.submit(asked)
    finally:
        await plain.close()
    offer = dataclasses.replace(openai_fake.OPENAI, extras=("negative_prompt", "loop"))
    upstream = FakeOpenAI(clip, api_key=contract.API_KEY, offer=offer)
    declared = OpenAICompatEngine(
        upstream.v1,
        contract.API_KEY,
        name="reelway_upstream",
        timeout=contract.TIMEOUT,
        capabilities=["image_input", "negative_prompt", "loop"],
    )
    try:
        assert {Capability.NEGATIVE_PROMPT, Capability.LOOP} <= declared.info.capabilities
        await declared.submit(asked)
    finally:
        await declared.close()
        upstream.close()
    (job,) = upstream.jobs.values()
    assert (job.body["negative_prompt"], job.body["loop"]) == ("dogs", True)


def test_the_fake_openai_refuses_the_fields_openai_does_not_take(fake: FakeOpenAI) -> None:
    with httpx.Client() as client:
        answer = client.post(
            f"{fake.v1}/videos",
            json={"prompt": "x", "negative_prompt": "dogs"},
            headers={"Authorization": f"Bearer {contract.API_KEY}"},
        )
    assert answer.status_code == 400
    assert answer.json()["error"]["code"] == "unknown_parameter"
