"""The older Sora models through the official SDK, with their limits; negative_prompt and loop
end to end, the rendered MP4s decoded (SQLite and PostgreSQL deployments alike)."""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import av
import httpx
import numpy as np
import openai
import pytest

from tests import harness, media_checks
from tests.acceptance.conftest import finished, made, refused


def _frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data), "r") as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _bad(call: Any, code: str, param: str) -> openai.BadRequestError:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    error = caught.value
    assert (error.status_code, error.code, error.param) == (400, code, param), error.message
    assert error.request_id and error.request_id.startswith("req_")
    return error


def test_the_models_list_shows_the_legacy_models_and_their_limits(client: openai.OpenAI) -> None:
    models = {m.id: m for m in client.models.list()}
    assert {"sora", "sora-turbo", "sora-2", "sora-2-pro"} <= models.keys()
    sora, turbo, new = (models[n].model_dump() for n in ("sora", "sora-turbo", "sora-2"))
    assert sora["legacy"] is True and turbo["legacy"] is True and new["legacy"] is False
    assert "Legacy" in sora["description"] and "Legacy" in turbo["description"]
    assert "up to 1080p and 20 s" in sora["limits"] and "loop: no" in sora["limits"]
    assert "up to 720p and 10 s" in turbo["limits"] and "limited" in turbo["limits"]
    assert {"1920x1080", "1080x1080", "1080x1920"} <= set(sora["sizes"])
    assert max(int(s) for s in turbo["seconds"]) == 10
    assert {"negative_prompt", "loop"} <= set(new["capabilities"])
    assert "negative_prompt" in sora["capabilities"] and "loop" not in sora["capabilities"]


@pytest.mark.parametrize(
    ("model", "size", "seconds"), [("sora", "1080x1080", "5"), ("sora-turbo", "480x854", "10")]
)
def test_a_legacy_model_makes_its_sizes_and_lengths(
    client: openai.OpenAI, model: str, size: str, seconds: str
) -> None:
    create: Any = client.videos.create  # the SDK's enums name only Sora 2's values
    video = finished(client, create(prompt="a kite over the dunes", model=model, size=size,
                                    seconds=seconds).id)  # fmt: skip
    assert video.status == "completed", video.error
    assert (video.model, video.size, video.seconds) == (model, size, seconds)
    facts = media_checks.decode_mp4(client.videos.download_content(video.id).content)
    width, height = (int(n) for n in size.split("x"))
    assert (facts.width, facts.height) == (width, height)
    assert abs(facts.duration - int(seconds)) < 0.1


def test_requests_outside_the_legacy_limits_are_refused_naming_them(
    server: harness.Server, client: openai.OpenAI
) -> None:
    create: Any = client.videos.create
    error = _bad(
        lambda: create(prompt="x", model="sora-turbo", size="1920x1080"), "invalid_value", "size"
    )
    assert "up to 720p and 10 s" in error.message and "16:9 1280x720/854x480" in error.message
    error = _bad(
        lambda: create(prompt="x", model="sora-turbo", seconds="20"), "invalid_value", "seconds"
    )
    assert "seconds 5, 10;" in error.message
    error = _bad(lambda: create(prompt="x", model="sora", seconds="30"), "invalid_value", "seconds")
    assert "up to 1080p and 20 s" in error.message
    error = _bad(
        lambda: create(prompt="x", model="sora", extra_body={"loop": True}),
        "capability_not_supported",
        "loop",
    )
    assert "loop: no" in error.message and "sizes 16:9 1920x1080" in error.message
    error = _bad(
        lambda: create(prompt="x", model="sora-turbo", extra_body={"negative_prompt": "d" * 201}),
        "capability_not_supported",
        "negative_prompt",
    )
    assert "limited (up to 200 characters)" in error.message
    _bad(lambda: create(prompt="x", extra_body={"loop": "maybe"}), "invalid_value", "loop")
    answer = httpx.post(  # JSON, where a number stays a number (a form sends it as text)
        f"{server.base_url}/videos",
        headers={"Authorization": f"Bearer {client.api_key}"},
        json={"prompt": "x", "negative_prompt": 7},
    )
    refused(answer, "invalid_value", "negative_prompt")


def test_a_form_body_takes_loop_as_text(server: harness.Server, client: openai.OpenAI) -> None:
    """Multipart sends every field as text: "true" is a loop; a model that cannot loop says so."""
    image = media_checks.solid_image(1280, 720, "PNG", (40, 90, 160))
    for model, expected in (("sora-2", 200), ("sora", 400)):
        answer = httpx.post(
            f"{server.base_url}/videos",
            headers={"Authorization": f"Bearer {client.api_key}"},
            data={"prompt": "a slow push in", "model": model, "size": "1280x720", "loop": "true"},
            files={"input_reference": ("ref.png", image, "image/png")},
            timeout=30,
        )
        if expected == 200:
            assert answer.status_code == 200, answer.text
            assert finished(client, answer.json()["id"]).status == "completed"
        else:
            refused(answer, "capability_not_supported", "loop")


def test_a_negative_prompt_takes_what_it_names_out_of_the_video(client: openai.OpenAI) -> None:
    """The animatic drops the named subject: the video renders as the prompt without it
    (frames decoded and compared), and differs from the prompt with it."""
    common: dict[str, Any] = {"model": "sora-2", "size": "1280x720", "seconds": "4"}
    negated = made(client, prompt="a robot and a cat in a city", extra_body={
        "seed": 42, "negative_prompt": "robot"}, **common)  # fmt: skip
    plain = made(client, prompt="a cat in a city", extra_body={"seed": 42}, **common)
    robot = made(client, prompt="a robot and a cat in a city", extra_body={"seed": 42}, **common)
    assert {negated.status, plain.status, robot.status} == {"completed"}
    got, want, other = (
        _frames(client.videos.download_content(v.id).content)[48] for v in (negated, plain, robot)
    )
    assert _diff(got, want) < 1.0
    assert _diff(got, other) > 2 * max(_diff(got, want), 0.5)


def test_a_loop_flows_from_its_last_frame_into_its_first(client: openai.OpenAI) -> None:
    """Decoded: with loop the wrap is no larger a change than a step between consecutive
    frames; the same request without loop jumps there."""
    prompt = "a whale swimming underwater, orbit shot"
    for loop in (True, False):
        video = made(client, prompt=prompt, model="sora-2", size="1280x720", seconds="4",
                     extra_body={"seed": 9, "loop": loop})  # fmt: skip
        assert video.status == "completed", video.error
        frames = _frames(client.videos.download_content(video.id).content)
        steps = [_diff(frames[i + 1], frames[i]) for i in range(len(frames) - 1)]
        wrap = _diff(frames[0], frames[-1])
        assert (wrap <= max(steps)) is loop, (loop, wrap, max(steps))


def test_reelway_generate_takes_negative_prompt_and_loop(
    server: harness.Server, tmp_path: Path
) -> None:
    key = server.create_key("cli-loop")

    def generate(model: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            harness.reelway_cmd(
                "generate", "a robot and a cat in a city", "--model", model, "--seconds", "5"
                if model == "sora" else "4", "--negative-prompt", "robot", "--loop", "-o",
                str(tmp_path / f"{model}.mp4"), "--base-url", server.base_url, "--api-key", key,
            ),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )  # fmt: skip

    done = generate("sora-2")
    assert done.returncode == 0, done.stdout + done.stderr
    frames = _frames((tmp_path / "sora-2.mp4").read_bytes())
    steps = [_diff(frames[i + 1], frames[i]) for i in range(len(frames) - 1)]
    assert _diff(frames[0], frames[-1]) <= max(steps)  # it loops
    refused_loop = generate("sora")
    assert refused_loop.returncode == 1
    assert "[capability_not_supported]" in refused_loop.stderr
    assert "(param: loop)" in refused_loop.stderr and "loop: no" in refused_loop.stderr
