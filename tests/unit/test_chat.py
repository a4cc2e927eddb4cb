"""A chat body read as a create, and the stream's events (keep-alives, progress, the end),
each chunk parsed by the official SDK's own model."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import orjson
import pytest
from openai.types.chat import ChatCompletionChunk
from starlette.requests import Request

from reelway import chat, errors, jobs
from reelway.api import chat as api_chat
from reelway.api.links import LinkSigner
from reelway.service import Caller
from reelway.storage import open_storage

MODELS = ("sora-2", "sora-2-pro")
CALLER = Caller(project_id="proj_1", key_id="key_1")


def _video(**changes: Any) -> jobs.Video:
    row = dict.fromkeys(jobs.VIDEO_FIELDS)
    row.update(
        id="video_" + "c" * 32,
        model="sora-2",
        size="1280x720",
        seconds="4",
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


def test_the_last_user_message_is_the_prompt_and_its_image_the_reference() -> None:
    ask = chat.read(
        {
            "model": "sora-2",
            "messages": [
                {"role": "system", "content": "be brief"},
                {
                    "role": "user",
                    "content": [
                        {"type": "text", "text": "a kite"},
                        {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA"}},
                        {"type": "text", "text": "over hills"},
                    ],
                },
            ],
            "seconds": "8",
            "seed": 7,
            "user": "someone",
            "stream": True,
            "stream_options": {"include_usage": True},
        },
        MODELS,
    )
    assert ask.params == {
        "model": "sora-2",
        "prompt": "a kite\nover hills",
        "input_reference": {"image_url": "data:image/png;base64,AA"},
        "seconds": "8",
        "seed": 7,
    }
    assert ask.stream and ask.include_usage


@pytest.mark.parametrize(
    ("body", "error", "param"),
    [
        ({"model": "gpt-4o"}, errors.ModelNotFound, "model"),
        ({"n": 3}, errors.InvalidValue, "n"),
        ({"n": True}, errors.InvalidValue, "n"),
        ({"max_tokens": 10}, errors.UnsupportedParameter, "max_tokens"),
        ({"stream": True, "stream_options": {"x": 1}}, errors.UnknownParameter, "stream_options.x"),
        (
            {
                "input_reference": {"image_url": "https://a/b.png"},
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "x"},
                            {"type": "image_url", "image_url": "https://a/c.png"},
                        ],
                    }
                ],
            },
            errors.DuplicateParameter,
            "input_reference",
        ),
    ],
)
def test_refusals_name_the_field(
    body: dict[str, Any], error: type[errors.ReelwayError], param: str
) -> None:
    full = {"model": "sora-2", "messages": [{"role": "user", "content": "a cat"}], **body}
    with pytest.raises(error) as caught:
        chat.read(full, MODELS)
    assert caught.value.param == param
    if error is errors.ModelNotFound:
        assert "sora-2, sora-2-pro" in caught.value.message


class FakeVideos:
    """``ChatVideos.watch`` replaying states, as the store would show them poll by poll."""

    def __init__(self, states: list[jobs.Video]) -> None:
        self.states = states

    async def watch(self, caller: Caller, video_id: str) -> AsyncIterator[jobs.Video]:
        for state in self.states:
            yield state


async def _events(tmp_path: Path, states: list[jobs.Video], usage: bool) -> list[bytes]:
    signer = LinkSigner(open_storage(str(tmp_path)), "secret", 3600)
    routes = api_chat.ChatRoutes(
        FakeVideos(states),  # type: ignore[arg-type]
        auth=None,  # type: ignore[arg-type]
        signer=signer,
        max_file_bytes=1,
    )
    scope = {"type": "http", "scheme": "http", "server": ("example.test", 80), "path": "/"}
    request = Request({**scope, "headers": [], "root_path": "", "query_string": b""})
    ask = chat.ChatAsk(model="sora-2", params={}, stream=True, include_usage=usage)
    answer = api_chat.Answer(routes, request, CALLER, ask, states[0])
    return [event async for event in answer.events()]


async def test_a_stream_says_each_change_once_keeps_alive_and_ends_with_the_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(api_chat, "KEEPALIVE_SECONDS", 0.0)  # every unchanged poll
    running = jobs.JobStatus.RUNNING
    states = [
        _video(),
        _video(),
        _video(status=running, progress=40),
        _video(status=running, progress=40),
        _video(status=jobs.JobStatus.SUCCEEDED, progress=100, expires_at=4102444800.0),
    ]
    events = await _events(tmp_path, states, usage=True)
    assert events[-1] == b"data: [DONE]\n\n"
    assert events.count(b": keep-alive\n\n") == 2
    chunks = [
        ChatCompletionChunk.model_validate(orjson.loads(e.removeprefix(b"data: ")))
        for part in events[:-1]
        for e in part.strip().split(b"\n\n")
        if e.startswith(b"data: ")
    ]
    assert chunks[0].choices[0].delta.role == "assistant"
    texts = [c.choices[0].delta.content for c in chunks[1:3]]
    assert texts == ["queued\n", "rendering 40%\n"]
    last = chunks[3].choices[0]
    assert last.finish_reason == "stop"
    video = (last.delta.model_extra or {})["video"]
    assert video["url"].startswith("http://example.test/links/")
    assert video["url"] in (last.delta.content or "")
    assert chunks[4].choices == [] and chunks[4].usage is not None
    assert all(c.id == "chatcmpl-" + "c" * 32 for c in chunks)


async def test_a_failed_video_ends_the_stream_with_its_own_code(tmp_path: Path) -> None:
    error = jobs.JobError("moderation_blocked", "The output was refused.", {"category": "violence"})
    states = [_video(), _video(status=jobs.JobStatus.FAILED, error=error)]
    events = await _events(tmp_path, states, usage=False)
    assert events[-1] == b"data: [DONE]\n\n"
    body = orjson.loads(events[-2].removeprefix(b"data: "))
    assert body["error"]["code"] == "moderation_blocked"
    assert body["error"]["video_id"] == states[0].id
    assert body["error"]["category"] == "violence"
    assert body["error"]["type"] == "invalid_request_error"
