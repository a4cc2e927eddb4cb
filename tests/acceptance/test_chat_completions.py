"""Video through ``POST /v1/chat/completions``, driven by the official SDKs (issue 18, part 1).

Every test runs on SQLite with local files and on PostgreSQL with S3 (the ``server`` and
``deployment`` fixtures), so the generated link secret is kept and read back in both."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest
from openai.types.chat import ChatCompletion, ChatCompletionMessage, ChatCompletionMessageParam

from tests import backends, fake_engines, harness, media_checks
from tests.acceptance.conftest import FINISH_SECONDS, finished, refused

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_SDK = NODE_DIR / "node_modules" / "openai" / "package.json"


def video_of(message: ChatCompletionMessage | Any) -> dict[str, Any]:
    """Reelway's ``message.video`` (or a chunk's ``delta.video``), kept by the SDK as an
    extra field."""
    extra = message.model_extra or {}
    found = extra.get("video")
    assert isinstance(found, dict), message
    return found


def chat_client(server: harness.Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key=key, max_retries=0, timeout=FINISH_SECONDS
    )


def keyless(url: str, **headers: str) -> httpx.Response:
    """A GET with no API key at all (a browser opening the link)."""
    return httpx.get(url, headers=headers, timeout=30)


def test_a_chat_completion_answers_with_a_keyless_link_to_a_real_mp4(
    client: openai.OpenAI,
) -> None:
    answer = client.chat.completions.create(
        model="sora-2",
        messages=[
            {"role": "system", "content": "You are a video generator."},
            {"role": "user", "content": "A red kite over green hills, slow pan left"},
        ],
        extra_body={"size": "1280x720", "seconds": "8"},
        timeout=FINISH_SECONDS,
    )
    assert isinstance(answer, ChatCompletion)
    assert answer.object == "chat.completion" and answer.id.startswith("chatcmpl-")
    assert answer.model == "sora-2" and len(answer.choices) == 1
    choice = answer.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert answer.usage is not None and answer.usage.total_tokens == 0
    video = video_of(choice.message)
    text = choice.message.content or ""
    assert video["id"] in text and video["url"] in text and video["thumbnail_url"] in text
    assert video["expires_at"] > time.time() + 3600

    # The same video the videos API knows, with the size and length the extra body asked for.
    same = client.videos.retrieve(video["id"])
    assert (same.status, same.size, same.seconds) == ("completed", "1280x720", "8")
    assert same.prompt == "A red kite over green hills, slow pan left"

    mp4 = keyless(video["url"])
    assert mp4.status_code == 200, mp4.text[:300]
    assert mp4.headers["content-type"] == "video/mp4"
    facts = media_checks.decode_mp4(mp4.content)
    assert (facts.width, facts.height) == (1280, 720)
    assert abs(facts.duration - 8.0) < 0.1
    part = keyless(video["url"], range="bytes=0-99")
    assert part.status_code == 206 and part.content == mp4.content[:100]

    thumbnail = keyless(video["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail.headers["content-type"] == "image/webp"
    assert media_checks.decode_image(thumbnail.content, "WEBP").size == (1280, 720)


def test_a_tampered_link_is_refused_and_a_deleted_video_is_gone(
    client: openai.OpenAI,
) -> None:
    answer = client.chat.completions.create(
        model="sora-2", messages=[{"role": "user", "content": "a lighthouse, static camera"}]
    )
    video = video_of(answer.choices[0].message)
    url: str = video["url"]
    base, token = url.rsplit("/", 1)
    payload, signature = token.split(".")
    named = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert named.split(":")[1:3] == [video["id"], "video"]

    thumbnail_token = video["thumbnail_url"].rsplit("/", 1)[1]
    swapped = f"{thumbnail_token.split('.')[0]}.{signature}"  # a thumbnail's payload, signed?
    longer = named.rsplit(":", 1)[0] + f":{int(named.rsplit(':', 1)[1]) + 86400}"
    stretched = base64.urlsafe_b64encode(longer.encode()).decode().rstrip("=")
    for bad in (swapped, f"{stretched}.{signature}", token[:-2], "nonsense", token + "x"):
        refused(keyless(f"{base}/{bad}"), "link_invalid", "token", 403)
    assert keyless(url).status_code == 200, "the link itself still works"

    client.videos.delete(video["id"])
    refused(keyless(url), "video_not_found", "video_id", 404)


def test_streaming_shows_progress_and_ends_with_the_link(client: openai.OpenAI) -> None:
    chunks = list(
        client.chat.completions.create(
            model="sora-2",
            messages=[{"role": "user", "content": [{"type": "text", "text": "a river at dawn"}]}],
            stream=True,
            stream_options={"include_usage": True},
            extra_body={"seconds": "8"},
        )
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert {c.id for c in chunks} == {chunks[0].id} and chunks[0].id.startswith("chatcmpl-")
    assert all(c.object == "chat.completion.chunk" for c in chunks)
    lines = [c.choices[0].delta.content for c in chunks[1:] if c.choices]
    progress = [line for line in lines[:-1] if line]
    assert progress, lines
    assert all(p in ("queued\n",) or p.startswith("rendering ") for p in progress), progress
    assert len(progress) == len(set(progress)), "a line only when the progress changes"
    assert chunks[-1].choices == [] and chunks[-1].usage is not None, "include_usage"
    last = chunks[-2].choices[0]
    assert last.finish_reason == "stop"
    video = video_of(last.delta)
    assert video["url"] in (last.delta.content or "")
    assert media_checks.decode_mp4(keyless(video["url"]).content).duration > 7.9


def test_a_client_that_leaves_the_stream_does_not_cancel_the_video(
    server: harness.Server, client: openai.OpenAI
) -> None:
    body = {
        "model": "sora-2",
        "messages": [{"role": "user", "content": "a harbour at dusk, boats rocking"}],
        "stream": True,
        "seconds": "8",
    }
    headers = {"Authorization": f"Bearer {client.api_key}"}
    url = f"{server.base_url}/chat/completions"
    with httpx.stream("POST", url, json=body, headers=headers, timeout=30) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        assert answer.headers["x-request-id"].startswith("req_")
        first = next(line for line in answer.iter_lines() if line.startswith("data: "))
    chunk = json.loads(first.removeprefix("data: "))
    video_id = "video_" + chunk["id"].removeprefix("chatcmpl-")
    done = finished(client, video_id)
    assert done.status == "completed", done.error


def test_an_idempotency_key_makes_one_video_however_often_it_is_sent(
    client: openai.OpenAI,
) -> None:
    ask: dict[str, Any] = {
        "model": "sora-2",
        "messages": [{"role": "user", "content": "a windmill turning, wide shot"}],
        "extra_headers": {"Idempotency-Key": f"chat-{time.time_ns()}"},
    }
    first = video_of(client.chat.completions.create(**ask).choices[0].message)
    again = video_of(client.chat.completions.create(**ask).choices[0].message)
    assert first["id"] == again["id"]


def test_an_image_url_part_is_the_first_frame(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(1280, 720, "PNG", (40, 90, 200))
    data_url = "data:image/png;base64," + base64.b64encode(image).decode()
    answer = client.chat.completions.create(
        model="sora-2",
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "the scene comes alive, gentle push in"},
                    {"type": "image_url", "image_url": {"url": data_url}},
                ],
            }
        ],
        extra_body={"size": "1280x720"},
    )
    video = video_of(answer.choices[0].message)
    facts = media_checks.decode_mp4(keyless(video["url"]).content)
    expected = np.asarray(media_checks.decode_image(image, "PNG").convert("RGB"), dtype=np.int16)
    difference = np.abs(facts.first_frame.astype(np.int16) - expected).mean()
    assert difference < 8, difference


def _post(server: harness.Server, key: str | None, body: dict[str, Any]) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return httpx.post(f"{server.base_url}/chat/completions", json=body, headers=headers, timeout=30)


def test_chat_fields_that_change_the_answer_are_refused_by_name(
    server: harness.Server, client: openai.OpenAI
) -> None:
    key = client.api_key
    user = [{"role": "user", "content": "a cat"}]
    with pytest.raises(openai.BadRequestError) as caught:
        client.chat.completions.create(model="sora-2", messages=user, n=2)  # type: ignore[arg-type]
    assert (caught.value.code, caught.value.param) == ("invalid_value", "n")
    audio = [{"role": "user", "content": [{"type": "input_audio", "input_audio": {}}]}]
    two_images = [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "a cat"},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
                {"type": "image_url", "image_url": {"url": "data:image/png;base64,AA=="}},
            ],
        }
    ]
    cases: list[tuple[dict[str, Any], str, str]] = [
        ({"temperature": 0.2}, "unsupported_parameter", "temperature"),
        ({"tools": []}, "unsupported_parameter", "tools"),
        ({"duration": 8}, "unknown_parameter", "duration"),
        ({"prompt": "a dog"}, "unknown_parameter", "prompt"),
        ({"stream_options": {"include_usage": True}}, "invalid_value", "stream_options"),
        ({"stream": "yes"}, "invalid_value", "stream"),
        ({"size": "999x999"}, "invalid_value", "size"),
        ({"seconds": "5"}, "invalid_value", "seconds"),
        ({"messages": []}, "invalid_value", "messages"),
        (
            {"messages": [*user, {"role": "assistant", "content": "ok"}]},
            "invalid_value",
            "messages[1].role",
        ),
        (
            {"messages": [{"role": "user", "content": " "}]},
            "missing_required_parameter",
            "messages[0].content",
        ),
        ({"messages": audio}, "unsupported_parameter", "messages[0].content[0].type"),
        ({"messages": two_images}, "invalid_value", "messages[0].content[2]"),
        ({"messages": [{"role": "user", "content": "add Batman"}]}, "sentinel_block", "prompt"),
    ]
    for extra, code, param in cases:
        refused(_post(server, key, {"model": "sora-2", "messages": user, **extra}), code, param)
    missing = _post(server, None, {"model": "sora-2", "messages": user})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"


# ---------------------------------------------------------------------- the seed's code

SEED_GENERATION = """
import openai
# APIYI backup access solution
client = openai.OpenAI(
api_key="your_apiyi_key",
base_url="https://vip.apiyi.com/v1"
)
response = client.chat.completions.create(
model="sora-2",
messages=[{
"role": "user",
"content": "A serene lake at sunset with mountains"
}]
)
"""

SEED_HEALTH_CHECK = """
import openai
import time
def check_sora_status():
    try:
        client = openai.OpenAI(
            api_key="your_key",
            base_url="https://vip.apiyi.com/v1"
        )
        # Test with a simple prompt
        response = client.chat.completions.create(
            model="sora-2",
            messages=[{"role": "user", "content": "test"}]
        )
        return "OK"
    except Exception as e:
        return f"Error: {str(e)}"
"""


def _seed(code: str, server: harness.Server, key: str) -> dict[str, Any]:
    """Run a seed snippet as written, its gateway's address and key replaced by ours."""
    code = code.replace("https://vip.apiyi.com/v1", server.base_url)
    code = code.replace('"your_apiyi_key"', repr(key)).replace('"your_key"', repr(key))
    scope: dict[str, Any] = {}
    exec(compile(code, "seed_001", "exec"), scope)  # the test's own text
    return scope


def test_the_seed_snippets_run_unchanged(server: harness.Server) -> None:
    key = server.create_key("seed-001")
    generation = _seed(SEED_GENERATION, server, key)
    response = generation["response"]
    assert response.choices[0].finish_reason == "stop"
    assert "/links/" in response.choices[0].message.content
    health = _seed(SEED_HEALTH_CHECK, server, key)
    status = health["check_sora_status"]()
    assert status == "OK", status


# ---------------------------------------------------------------------- the Node SDK


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(not NODE_SDK.exists(), reason="the openai Node SDK is not installed")
def test_node_sdk_streams_a_video_to_the_end(server: harness.Server) -> None:
    result = subprocess.run(
        ["node", str(NODE_DIR / "chat.mjs")],
        capture_output=True,
        text=True,
        timeout=FINISH_SECONDS + 60,
        env={
            **os.environ,
            "OPENAI_BASE_URL": server.base_url,
            "OPENAI_API_KEY": server.create_key("node-chat"),
        },
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["roles"] == ["assistant"]
    assert any(line.startswith("rendering ") for line in report["lines"]), report["lines"]
    assert "/links/" in report["lines"][-1] and report["finish"] == ["stop"]
    assert report["usage"] == {"prompt_tokens": 0, "completion_tokens": 0, "total_tokens": 0}
    assert report["download"]["status"] == 200 and report["download"]["type"] == "video/mp4"
    assert report["download"]["bytes"] > 10_000
    assert report["error"] == {"status": 400, "code": "invalid_value", "param": "n"}


# ---------------------------------------------------------------------- servers of their own


@pytest.fixture
def broken(deployment: backends.Deployment, tmp_path: Path) -> Iterator[harness.Server]:
    """Models ``tiny`` and ``broken`` (a prompt saying "refuse" fails its video)."""
    env = {
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(tmp_path / "catalog.toml")),
        "REELWAY_ROUTE_PASSES": "1",
        "REELWAY_AUTH_CACHE_SECONDS": "0",
    }
    with harness.serving(deployment, env) as srv:
        yield srv


def test_a_failed_video_answers_its_own_code_and_other_models_are_not_found(
    broken: harness.Server,
) -> None:
    with chat_client(broken, broken.create_key("broken")) as client:
        user: list[ChatCompletionMessageParam] = [{"role": "user", "content": "please refuse"}]
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(model="broken", messages=user)
        assert caught.value.code == "engine_runtime_error", caught.value.body
        body = caught.value.body
        assert isinstance(body, dict)
        failed = client.videos.retrieve(body["video_id"])
        assert failed.status == "failed" and failed.error is not None
        assert failed.error.code == "engine_runtime_error"
        assert caught.value.response.headers["x-should-retry"] == "false"

        with pytest.raises(openai.APIError) as streamed:
            for _ in client.chat.completions.create(model="broken", messages=user, stream=True):
                pass
        assert streamed.value.code == "engine_runtime_error"

        with pytest.raises(openai.NotFoundError) as missing:
            client.chat.completions.create(model="gpt-4o", messages=user)
        assert (missing.value.code, missing.value.param) == ("model_not_found", "model")
        assert "tiny" in missing.value.message and "broken" in missing.value.message

        answer = client.chat.completions.create(
            model="tiny", messages=[{"role": "user", "content": "a kite"}]
        )
        assert video_of(answer.choices[0].message)["id"].startswith("video_")


SECRET = "a-configured-link-secret"


def test_past_the_wait_the_error_names_the_video_to_poll(
    deployment: backends.Deployment,
) -> None:
    env = {
        "REELWAY_WORKERS": "0",
        "REELWAY_CHAT_WAIT_SECONDS": "0.5",
        "REELWAY_LINK_SECRET": SECRET,
        "REELWAY_AUTH_CACHE_SECONDS": "0",
        "REELWAY_READY_REQUIRE_WORKERS": "false",
    }
    with (
        harness.serving(deployment, env) as srv,
        # The SDK's default retries: a retry here would queue a second video.
        openai.OpenAI(base_url=srv.base_url, api_key=srv.create_key("waiting")) as client,
    ):
        with pytest.raises(openai.BadRequestError) as caught:
            client.chat.completions.create(
                model="sora-2", messages=[{"role": "user", "content": "a slow tide"}]
            )
        assert caught.value.code == "video_still_rendering"
        assert caught.value.response.headers["x-should-retry"] == "false"
        body = caught.value.body
        assert isinstance(body, dict)
        video_id = body["video_id"]
        assert video_id in caught.value.message
        assert client.videos.retrieve(video_id).status == "queued", "it keeps its place"
        assert len(client.videos.list().data) == 1, "one video, not one per retry"

        # Links signed with the configured secret: an expired one says so, and a good
        # signature over a video no project has is the content route's 404.
        def forged(expires: int) -> httpx.Response:
            payload = f"proj_x:{video_id}:video:{expires}".encode()
            signature = hmac.digest(SECRET.encode(), payload, hashlib.sha256)
            token = ".".join(
                base64.urlsafe_b64encode(p).decode().rstrip("=") for p in (payload, signature)
            )
            return keyless(f"{srv.root}/links/{token}")

        refused(forged(int(time.time()) - 5), "link_expired", "token", 403)
        refused(forged(int(time.time()) + 600), "video_not_found", "video_id", 404)
