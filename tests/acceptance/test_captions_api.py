"""``captions`` through the official SDK and plain HTTP, on SQLite and PostgreSQL: a video
asked without captions is decoded and its caption band compared with a captioned render of the
same request and with the engine's own captions-off render; a storyboard takes it per shot; a
value that is not a boolean is refused naming the field."""

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

from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
from tests import harness
from tests.acceptance.conftest import finished, made, refused

PROMPT = "A lighthouse on a cliff at night, static camera, film noir"
COMMON: dict[str, Any] = {"model": "sora-2", "size": "1280x720", "seconds": "4"}
SEED = 21


def _frames(data: bytes) -> list[np.ndarray]:
    with av.open(io.BytesIO(data), "r") as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


def _band(rgb: np.ndarray) -> np.ndarray:
    """The lower third, where the storyboard caption sits."""
    return rgb[rgb.shape[0] * 2 // 3 :]


def _diff(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a - b).mean())


def _engine_render(tmp_path: Path, captions: bool) -> list[np.ndarray]:
    """The same request rendered here by the engine with its captions option."""
    request = base.GenerationRequest(
        video_id="video_local", model="sora-2", prompt=PROMPT, width=1280, height=720,
        seconds=4, seed=SEED,
    )  # fmt: skip
    tmp_path.mkdir(parents=True, exist_ok=True)
    out = base.RenderOutput(tmp_path / "v.mp4", tmp_path / "v.webp", tmp_path / "v.jpg")
    AnimaticEngine(captions=captions).render(request, out, lambda _: None)
    return _frames(out.video.read_bytes())


def test_captions_false_through_the_sdk_leaves_the_caption_band_empty(
    client: openai.OpenAI, tmp_path: Path
) -> None:
    off = made(client, prompt=PROMPT, extra_body={"seed": SEED, "captions": False}, **COMMON)
    on = made(client, prompt=PROMPT, extra_body={"seed": SEED}, **COMMON)
    assert (off.status, on.status) == ("completed", "completed"), (off.error, on.error)
    got = _frames(client.videos.download_content(off.id).content)
    captioned = _frames(client.videos.download_content(on.id).content)
    middle = len(got) // 2
    assert _diff(_band(got[middle]), _band(captioned[middle])) > 1.5
    want = _engine_render(tmp_path, captions=False)
    assert len(got) == len(want)
    assert max(_diff(a, b) for a, b in zip(got, want, strict=True)) < 1.0


def test_a_storyboard_takes_it_for_its_shots_and_a_shot_overrides_it(
    server: harness.Server, client: openai.OpenAI
) -> None:
    """The same storyboard with ``captions: false`` (shot 1 saying true) and without: shot 0
    loses its caption band, shot 1 is the same as the captioned storyboard's."""

    def board(**extra: Any) -> list[np.ndarray]:
        body = {
            "model": "sora-2",
            "size": "1280x720",
            "seed": SEED,
            **extra,
            "shots": [
                {"prompt": PROMPT, "seconds": "4"},
                {"prompt": "The beam sweeps the sea", "seconds": "4", "captions": True},
            ],
        }
        answer = httpx.post(
            f"{server.base_url}/videos/storyboards",
            json=body,
            headers={"Authorization": f"Bearer {client.api_key}"},
            timeout=60,
        )
        assert answer.status_code == 200, answer.text
        video = finished(client, answer.json()["id"], limit=240)
        assert video.status == "completed", video.error
        return _frames(client.videos.download_content(video.id).content)

    off, on = board(captions=False), board()
    assert len(off) == len(on)
    first, second = len(off) // 4, 3 * len(off) // 4
    assert _diff(_band(off[first]), _band(on[first])) > 1.5
    assert _diff(off[second], on[second]) < 1.0


@pytest.mark.parametrize("value", ["nope", 1, ["false"]])
def test_a_captions_that_is_not_a_boolean_is_refused(client: openai.OpenAI, value: Any) -> None:
    with pytest.raises(openai.BadRequestError) as caught:
        client.videos.create(prompt=PROMPT, extra_body={"captions": value}, **COMMON)
    error = caught.value
    assert (error.status_code, error.code, error.param) == (400, "invalid_value", "captions")
    assert "captions must be true or false" in error.message


def test_a_form_and_the_preflight_refuse_it_alike(
    server: harness.Server, client: openai.OpenAI
) -> None:
    headers = {"Authorization": f"Bearer {client.api_key}"}
    form = httpx.post(
        f"{server.base_url}/videos",
        headers=headers,
        data={"prompt": PROMPT, "captions": "maybe"},  # a form's text, as loop takes it
        timeout=30,
    )
    refused(form, "invalid_value", "captions")
    checked = httpx.post(
        f"{server.base_url}/videos/preflight",
        headers=headers,
        json={"prompt": PROMPT, "captions": "maybe"},
        timeout=30,
    )
    refused(checked, "invalid_value", "captions")
    fine = httpx.post(
        f"{server.base_url}/videos/preflight",
        headers=headers,
        json={"prompt": PROMPT, "captions": False},
        timeout=30,
    )
    assert fine.status_code == 200, fine.text


def test_a_promote_keeps_its_drafts_captions_off(client: openai.OpenAI, tmp_path: Path) -> None:
    """A draft made without captions is promoted without them: the final's caption band is
    the engine's captions-off render's, not the captioned one's."""
    draft = made(
        client,
        prompt=PROMPT,
        model="sora-2",
        size="854x480",
        seconds="4",
        extra_body={"seed": SEED, "captions": False},
    )
    assert draft.status == "completed", draft.error
    promoted = client.post(
        f"/videos/{draft.id}/promote", body={"size": "1280x720"}, cast_to=openai.types.Video
    )
    final = finished(client, promoted.id)
    assert final.status == "completed", final.error
    got = _frames(client.videos.download_content(final.id).content)
    middle = len(got) // 2
    off = _engine_render(tmp_path / "off", captions=False)
    on = _engine_render(tmp_path / "on", captions=True)
    assert _diff(_band(got[middle]), _band(off[middle])) < 1.0
    assert _diff(_band(got[middle]), _band(on[middle])) > 1.5


def test_reelway_generate_no_captions(
    server: harness.Server, client: openai.OpenAI, tmp_path: Path
) -> None:
    """``reelway generate --no-captions`` sends the field: its video is the engine's
    captions-off render (same prompt and seed)."""
    out = tmp_path / "cli.mp4"
    done = subprocess.run(
        harness.reelway_cmd(
            "generate", PROMPT, "--model", "sora-2", "--size", "1280x720", "--seconds", "4",
            "--seed", str(SEED), "--no-captions", "-o", str(out), "--base-url", server.base_url,
            "--api-key", client.api_key,
        ),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    got = _frames(out.read_bytes())
    middle = len(got) // 2
    off = _engine_render(tmp_path / "off", captions=False)
    on = _engine_render(tmp_path / "on", captions=True)
    assert _diff(_band(got[middle]), _band(off[middle])) < 1.0
    assert _diff(_band(got[middle]), _band(on[middle])) > 1.5
