"""The openai_compat engine against a fake /v1/videos server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from reelway import errors
from reelway.engines import base
from reelway.engines.openai_compat import OpenAICompatEngine
from tests.engines import contract
from tests.engines.contract import Case, RemoteEngineContract
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


class TestOpenAICompat(RemoteEngineContract):
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
        remix = base.GenerationRequest(
            **{
                **contract.REQUEST.__dict__,
                "video_id": "video_remix",
                "remix_of": "video_contract",
                "remix_source": source,
                "prompt": "the same boat at night",
            }
        )
        await contract.drive(engine, remix)
    finally:
        await engine.close()
    remixed = [
        job for job in fake.jobs.values() if isinstance(job.body, dict) and job.body.get("remix_of")
    ]
    assert len(remixed) == 1 and remixed[0].body["remix_of"] == source["id"]


async def test_an_input_image_is_sent_as_multipart(
    fake: FakeOpenAI, make_engine, tmp_path: Path
) -> None:
    image = tmp_path / "first.png"
    image.write_bytes(b"\x89PNG\r\n\x1a\n" + b"0" * 100)
    request = base.GenerationRequest(**{**contract.REQUEST.__dict__, "input_image": image})
    engine = make_engine()
    try:
        await contract.drive(engine, request)
    finally:
        await engine.close()
    (job,) = fake.jobs.values()
    assert job.body["multipart"] is True


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
