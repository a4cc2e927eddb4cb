"""A request that no engine on its model's route can serve is refused at create time with the
parameter named, through the official SDK; what some engine can serve is queued as before."""

from __future__ import annotations

from pathlib import Path

import openai
import pytest

from tests import backends, harness, media_checks
from tests.acceptance.conftest import sdk_client

# sora-2 (image input, 4/8/12 s) routed to two engines that serve it only between them:
# "plain" makes any length but takes no image, "veo" takes an image but makes 4 or 8 s.
CONFIG = """
[engines.plain]
type = "openai_compat"
base_url = "http://127.0.0.1:9/v1"
capabilities = ["remix"]

[engines.veo]
type = "veo"
api_key = "unused"
base_url = "http://127.0.0.1:9"
durations = [4, 8]

[models."sora-2"]
route = ["plain", "veo"]
# What this route serves: neither engine edits or draws characters.
capabilities = ["image_input", "remix", "audio", "extensions"]
"""


@pytest.fixture
def split_route(processes: list[harness.Process], tmp_path: Path) -> harness.Server:
    config = tmp_path / "split.toml"
    config.write_text(CONFIG)
    server = harness.Server(
        backends.Deployment("sqlite", tmp_path / "data"), {}, "--config", str(config)
    )
    processes.append(server)
    return server


def test_a_request_no_engine_on_the_route_serves_is_a_400_naming_the_parameter(
    split_route: harness.Server,
) -> None:
    image = media_checks.solid_image(720, 1280, "PNG", (30, 120, 60))
    with sdk_client(split_route, split_route.create_key("route")) as client:
        with pytest.raises(openai.BadRequestError) as caught:
            client.videos.create(
                prompt="a kite over the dunes", seconds="12", input_reference=image
            )
        assert caught.value.code == "unsupported_parameter"
        assert caught.value.param == "input_reference"
        assert "'plain'" in caught.value.message and "'veo'" in caught.value.message
        assert client.videos.list().data == [], "nothing was queued"

        # Each half alone has an engine: an image at 4 s (veo), 12 s without one (plain).
        with_image = client.videos.create(
            prompt="a kite over the dunes", seconds="4", input_reference=image
        )
        long_one = client.videos.create(prompt="a kite over the dunes", seconds="12")
        assert {with_image.status, long_one.status} <= {"queued", "in_progress", "failed"}
    assert split_route.terminate() == 0, split_route.output
