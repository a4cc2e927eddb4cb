"""The diffusers engine end to end through the official SDK: a real ``reelway serve`` whose
catalogue routes ``wan-2.2-5b`` to a tiny Wan 2.2 folder and ``sora-2`` to a tiny LTX-Video
folder, videos created, polled, downloaded and decoded back."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import openai
import pytest
from openai import omit

from tests import backends, harness, media_checks, tiny_models
from tests.acceptance.conftest import finished, made, sdk_client

TINY_ENV = {"HF_HUB_OFFLINE": "1", "OMP_NUM_THREADS": "1"}
"""Tiny models gain nothing from torch's thread pool, whose spinning threads only slow them
when other work shares the cores; and nothing is ever fetched from a hub."""

WAN_SIZE = "320x180"

CATALOG = f"""
[credits_per_second]
"480p" = 4
"720p" = 16
"1080p" = 40

[models."wan-2.2-5b"]
description = "Wan 2.2 TI2V-5B on this machine."
sizes = ["{WAN_SIZE}", "180x320"]
seconds = [2, 4]
default_size = "{WAN_SIZE}"
default_seconds = 2
capabilities = ["image_input", "extensions"]
route = ["animatic"]

[models."wan-2.2-5b".price_per_second]
"480p" = 0.01

[models."sora-2"]
description = "Fast, general-purpose video generation."
sizes = ["1280x720", "720x1280"]
seconds = [4]
default_size = "720x1280"
default_seconds = 4
capabilities = ["image_input"]
route = ["animatic"]

[models."sora-2".price_per_second]
"720p" = 0.10
"""

BY_ID: Any = omit
"""``video=`` when the source goes in ``extra_body`` (the SDK cannot send a dict)."""

TWO: Any = "2"
"""The catalogue's 2 s, which the SDK's types (4, 8, 12) do not list."""


def config(wan: Path, ltx: Path) -> str:
    return f"""
[engines.wan]
type = "diffusers"
model_path = "{wan}"
device = "cpu"
native_size = "64x32"
steps = 4
fps = 8

[engines.ltx]
type = "diffusers"
model_path = "{ltx}"
device = "cpu"
native_size = "64x32"
steps = 2
fps = 8

[models."wan-2.2-5b"]
route = ["wan"]

[models."sora-2"]
route = ["ltx"]
"""


@pytest.fixture(scope="module")
def local_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[harness.Server]:
    folder = tmp_path_factory.mktemp("diffusers-sdk")
    wan = tiny_models.build_wan22(folder / "wan22")
    ltx = tiny_models.build_ltx(folder / "ltx")
    (folder / "catalog.toml").write_text(CATALOG)
    (folder / "reelway.toml").write_text(config(wan, ltx))
    env = {
        **TINY_ENV,
        "REELWAY_CATALOG": str(folder / "catalog.toml"),
        "REELWAY_WORKERS": "2",
        "REELWAY_POLL_AFTER_MS": "200",
    }
    deployment = backends.Deployment("sqlite", folder / "data")
    server = harness.Server(deployment, env, "--config", str(folder / "reelway.toml"))
    try:
        yield server
        assert server.terminate() == 0, server.output
        assert "Traceback" not in server.output, server.output
    finally:
        server.kill()


@pytest.fixture(scope="module")
def client(local_server: harness.Server) -> Iterator[openai.OpenAI]:
    with sdk_client(local_server, local_server.create_key("local")) as sdk:
        yield sdk


@pytest.fixture(scope="module")
def first(client: openai.OpenAI) -> openai.types.Video:
    """The first wan video of the server's life: it loads the model."""
    video = made(client, model="wan-2.2-5b", prompt="a red kite over a green hill", seconds="2")
    assert video.status == "completed", video.error
    return video


def content(client: openai.OpenAI, video: openai.types.Video) -> bytes:
    assert video.status == "completed", video.error
    return client.videos.download_content(video.id).read()


def rendered_with(video: openai.types.Video) -> dict[str, Any]:
    details = (video.model_extra or {}).get("rendered_with")
    assert isinstance(details, dict), video
    return details


def test_a_wan_video_is_made_at_exactly_the_requested_size_and_length(
    client: openai.OpenAI, first: openai.types.Video
) -> None:
    assert (first.model, first.size, first.seconds) == ("wan-2.2-5b", WAN_SIZE, "2")
    facts = media_checks.decode_mp4(content(client, first))
    assert (facts.width, facts.height) == (320, 180)
    assert abs(facts.duration - 2.0) <= 0.1, facts.duration
    assert facts.audio_codec == "aac", "the silent soundtrack is missing"
    made_with = rendered_with(first)
    assert made_with["model"] == "wan-i2v" and made_with["device"] == "cpu"
    assert made_with["native_size"] == "64x32" and made_with["steps"] == 4
    assert made_with["frames"] == 16 and made_with["fps"] == 8


def test_a_second_video_reuses_the_loaded_model(
    client: openai.OpenAI, first: openai.types.Video
) -> None:
    second = made(client, model="wan-2.2-5b", prompt="a blue kite at dusk", seconds="2")
    assert second.status == "completed", second.error
    assert rendered_with(first)["load_seconds"] > 0
    assert rendered_with(second)["load_seconds"] == 0, "the second job loaded the model again"


def test_an_input_reference_image_starts_the_video(
    client: openai.OpenAI, first: openai.types.Video
) -> None:
    image = media_checks.solid_image(320, 180, "PNG", (200, 40, 40))
    video = made(
        client,
        model="wan-2.2-5b",
        prompt="the red block slides right",
        seconds="2",
        input_reference=("red.png", image, "image/png"),
    )
    assert video.status == "completed", video.error
    facts = media_checks.decode_mp4(content(client, video))
    assert (facts.width, facts.height) == (320, 180)
    # The first frame is the image (pinned), seen through the 64x32 native size.
    expected = media_checks.decode_image(image, "PNG")
    gap = np.abs(facts.first_frame.astype(float) - np.asarray(expected, float)).mean()
    plain = media_checks.decode_mp4(content(client, first)).first_frame.astype(float)
    assert gap < 10 < np.abs(plain - np.asarray(expected, float)).mean(), gap


def test_an_extension_continues_from_the_last_frame(
    client: openai.OpenAI, first: openai.types.Video
) -> None:
    extension = client.videos.extend(
        video=BY_ID,
        prompt="the kite climbs higher",
        seconds=TWO,
        extra_body={"video": {"id": first.id}},
    )
    assert (extension.model, extension.size, extension.seconds) == ("wan-2.2-5b", WAN_SIZE, "4")
    done = finished(client, extension.id)
    assert done.status == "completed", done.error
    facts = media_checks.decode_mp4(content(client, done))
    assert (facts.width, facts.height) == (320, 180)
    assert abs(facts.duration - 4.0) <= 0.1, facts.duration
    assert facts.audio_codec == "aac"
    assert (done.model_extra or {}).get("extended_from_video_id") == first.id
    # Made by the wan engine from the source's last frame (it has no native extensions).
    assert rendered_with(done)["model"] == "wan-i2v"
    source = media_checks.decode_mp4(content(client, first)).first_frame.astype(float)
    assert np.abs(facts.first_frame.astype(float) - source).mean() < 5, "the source part changed"


def test_sora_2_is_served_by_the_ltx_folder(client: openai.OpenAI) -> None:
    video = made(client, model="sora-2", prompt="waves on a pebble beach", size="1280x720")
    assert video.status == "completed", video.error
    facts = media_checks.decode_mp4(content(client, video))
    assert (facts.width, facts.height) == (1280, 720)
    assert abs(facts.duration - 4.0) <= 0.1, facts.duration
    assert rendered_with(video)["model"] == "ltx"
