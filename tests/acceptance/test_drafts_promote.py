"""Drafts at 480p promoted to finals, through the official Python SDK's generic ``client.post``
(``POST /v1/videos/{id}/promote`` is Reelway's addition), on SQLite and PostgreSQL.

The animatic decides a scene from the prompt and the seed, so a promote (the draft's prompt
and seed at the final size) shows the draft's scene: its middle frame scaled down to the
draft's size is close to the draft's own; a draft with another seed is not.
"""

from __future__ import annotations

import io
import subprocess
from pathlib import Path
from typing import Any

import av
import numpy as np
import openai
import pytest
from openai.types import Video
from PIL import Image

from tests import backends, character_clips, harness, media_checks, waiting
from tests.acceptance.conftest import finished, made, sdk_client

pytestmark = pytest.mark.slow

PROMPT = "A red kite over a sandy beach at noon, slow pan right, watercolour style"
SAME_SCENE = 8.0
"""Largest mean absolute difference (0-255) between a draft's middle frame and its promote's
scaled down to the draft's size: resampling and a second H.264 encode of the same scene,
with captions drawn at each size's own resolution, measure about 3; the promote of a draft
with another seed about 18."""

CAST = 1.0
"""Smallest mean absolute difference between a final that casts a character and the same
request without it (identical renders differ by 0: the animatic is deterministic)."""


def promote(client: openai.OpenAI, video_id: str, **body: Any) -> Video:
    return client.post(f"/videos/{video_id}/promote", body=body, cast_to=Video)


def middle_frame(data: bytes) -> np.ndarray:
    """The frame halfway through the clip, as RGB (decoding every frame checks the file)."""
    media_checks.decode_mp4(data)
    with av.open(io.BytesIO(data), "r") as container:
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return frames[len(frames) // 2]


def difference(draft: np.ndarray, final: np.ndarray) -> float:
    height, width = draft.shape[:2]
    scaled = Image.fromarray(final).resize((width, height), Image.Resampling.LANCZOS)
    return float(np.abs(np.asarray(scaled, np.float32) - draft.astype(np.float32)).mean())


def content(client: openai.OpenAI, video: Video) -> bytes:
    return client.videos.download_content(video.id).content


@pytest.fixture(scope="module")
def draft(client: openai.OpenAI) -> Video:
    video = made(client, prompt=PROMPT, size="854x480", seconds="4", extra_body={"seed": 11})
    assert video.status == "completed", video.error
    return video


def test_a_promoted_draft_shows_the_same_scene_larger(client: openai.OpenAI, draft: Video) -> None:
    final = promote(client, draft.id, size="1280x720")
    assert final.remixed_from_video_id == draft.id
    assert (final.model, final.size, final.seconds) == ("sora-2", "1280x720", "4")
    assert finished(client, final.id).status == "completed"
    draft_mp4, final_mp4 = content(client, draft), content(client, final)
    assert (
        media_checks.decode_mp4(final_mp4).width,
        media_checks.decode_mp4(final_mp4).height,
    ) == (
        1280,
        720,
    )
    same = difference(middle_frame(draft_mp4), middle_frame(final_mp4))
    assert same < SAME_SCENE, same
    # Another seed lays the scene out differently: its promote is not close to this draft.
    other = made(client, prompt=PROMPT, size="854x480", seconds="4", extra_body={"seed": 12})
    other_final = finished(client, promote(client, other.id, size="1280x720").id)
    assert other_final.status == "completed"
    apart = difference(middle_frame(draft_mp4), middle_frame(content(client, other_final)))
    assert apart > SAME_SCENE, (same, apart)
    # Retrieve and list show where it came from, as a remix shows its source.
    assert client.videos.retrieve(final.id).remixed_from_video_id == draft.id


def test_promote_to_another_model_and_length_is_priced_as_the_final(
    client: openai.OpenAI, draft: Video
) -> None:
    final = promote(client, draft.id, size="1920x1080", model="sora-2-pro", seconds="8")
    assert (final.model, final.size, final.seconds) == ("sora-2-pro", "1920x1080", "8")
    assert final.remixed_from_video_id == draft.id
    done = finished(client, final.id)
    assert done.status == "completed", done.error
    facts = media_checks.decode_mp4(content(client, done))
    assert (facts.width, facts.height) == (1920, 1080) and facts.duration == pytest.approx(8, 0.1)


def test_a_draft_with_an_input_image_is_promoted_with_it_scaled(client: openai.OpenAI) -> None:
    image = media_checks.solid_image(854, 480, "PNG", (40, 90, 200))
    draft = made(
        client,
        prompt="A calm lake under a blue sky, static camera",
        size="854x480",
        seconds="4",
        input_reference=("lake.png", image, "image/png"),
    )
    assert draft.status == "completed", draft.error
    final = finished(client, promote(client, draft.id, size="1280x720").id)
    assert final.status == "completed", final.error
    first = media_checks.decode_mp4(content(client, final)).first_frame
    assert first.shape == (720, 1280, 3)
    # The image is the first frame: its white block sits where the draft's image had it.
    block = first[720 // 4 + 20 : 720 // 2 - 20, 1280 // 4 + 20 : 1280 // 2 - 20]
    assert block.mean() > 200, block.mean()


def test_promote_refusals(client: openai.OpenAI, other_client: openai.OpenAI, draft: Video) -> None:
    def refused(video_id: str, body: dict[str, Any], code: str, param: str | None) -> None:
        with pytest.raises(openai.APIStatusError) as caught:
            promote(client, video_id, **body)
        error = caught.value
        assert (error.code, error.param) == (code, param), error.message
        assert error.status_code == 400
        assert error.request_id and error.request_id.startswith("req_")

    refused(draft.id, {"size": "854x480"}, "nothing_to_promote", "size")
    refused(draft.id, {"size": "480x854"}, "nothing_to_promote", "size")
    refused(draft.id, {"size": "720x1280"}, "not_promotable", "size")
    refused(draft.id, {"size": "1920x1080"}, "invalid_value", "size")  # not a sora-2 size
    refused(draft.id, {}, "missing_required_parameter", "size")
    refused(draft.id, {"size": "1280x720", "seconds": "5"}, "invalid_value", "seconds")
    refused(draft.id, {"size": "1280x720", "model": "sora-9"}, "invalid_value", "model")
    refused(draft.id, {"size": "1280x720", "prompt": "x"}, "unknown_parameter", "prompt")
    remix = finished(client, client.videos.remix(draft.id, prompt="A blue kite instead").id)
    refused(remix.id, {"size": "1280x720"}, "not_promotable", "video_id")
    draft_size: Any = "854x480"  # Reelway's own size: not in the SDK's literal types
    longest: Any = "20"
    busy = client.videos.create(prompt="a long take of clouds", size=draft_size, seconds=longest)
    refused(busy.id, {"size": "1280x720"}, "video_not_ready", "video_id")
    client.videos.delete(busy.id)
    with pytest.raises(openai.NotFoundError) as foreign:
        promote(other_client, draft.id, size="1280x720")
    assert (foreign.value.code, foreign.value.param) == ("video_not_found", "video_id")


def test_promote_is_idempotent_like_a_create(client: openai.OpenAI, draft: Video) -> None:
    key = {"Idempotency-Key": f"promote-{draft.id}"}
    first = client.post(
        f"/videos/{draft.id}/promote",
        body={"size": "1280x720"},
        cast_to=Video,
        options={"headers": key},
    )
    again = client.post(
        f"/videos/{draft.id}/promote",
        body={"size": "1280x720"},
        cast_to=Video,
        options={"headers": key},
    )
    assert again.id == first.id
    with pytest.raises(openai.UnprocessableEntityError) as reused:
        client.post(
            f"/videos/{draft.id}/promote",
            body={"size": "1280x720", "seconds": "8"},
            cast_to=Video,
            options={"headers": key},
        )
    assert reused.value.code == "idempotency_key_reused"


def test_an_expired_draft_cannot_be_promoted(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    server = harness.Server(
        deployment,
        {"REELWAY_RETENTION_SECONDS": "2", "REELWAY_REAP_INTERVAL_SECONDS": "0.3"},
    )
    processes.append(server)
    with sdk_client(server, server.create_key("drafts-expire")) as client:
        draft = made(client, prompt="a sandcastle", size="854x480")
        assert draft.status == "completed"

        def gone() -> bool:
            return not server.deployment.list_keys(f"videos/{draft.id}")

        waiting.until(gone, bool, limit=30, what="the draft's files to expire")
        with pytest.raises(openai.APIStatusError) as caught:
            promote(client, draft.id, size="1280x720")
        assert (caught.value.status_code, caught.value.code) == (410, "video_expired")


def test_the_preflight_prices_draft_then_promote(client: openai.OpenAI) -> None:
    body = {"prompt": PROMPT, "size": "1280x720", "seconds": "8", "drafts": 4}
    plan = client.post("/videos/preflight", body=body, cast_to=dict)["draft_plan"]
    # 4 drafts x 8 s x $0.025 + one final 8 s x $0.10, against 4 x 8 s x $0.10
    assert (plan["draft_size"], plan["final_size"]) == ("854x480", "1280x720")
    assert plan["total"] == pytest.approx(1.6) and plan["all_full_cost"] == pytest.approx(3.2)
    assert plan["saving"] == pytest.approx(1.6) and plan["credits"]["saving"] == 256
    with pytest.raises(openai.BadRequestError) as bad:
        client.post("/videos/preflight", body={**body, "drafts": 0}, cast_to=dict)
    assert (bad.value.code, bad.value.param) == ("invalid_value", "drafts")
    sizes = client.models.retrieve("sora-2-pro").model_dump()
    assert sizes["reelway_sizes"] == ["854x480", "480x854"]
    assert sizes["pricing"]["per_second"]["480x854"] == pytest.approx(0.075)


def test_reelway_promote_on_the_command_line(
    server: harness.Server, draft: Video, tmp_path: Path
) -> None:
    key = server.create_key("alpha")  # the project the draft belongs to
    out = tmp_path / "final.mp4"
    command = ["promote", draft.id, "--size", "1280x720", "--drafts", "3", "-o", str(out)]
    result = subprocess.run(
        harness.reelway_cmd(*command, "--base-url", server.base_url, "--api-key", key),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    # 3 drafts x 4 s x $0.025 = $0.30; final 4 s x $0.10 = $0.40; all full 3 x $0.40
    assert "3 draft(s) at 854x480: $0.3000 (48 credits)" in result.stdout
    assert "every iteration at 1280x720: $1.2000" in result.stdout
    assert "saved $0.5000" in result.stdout and "saved " + str(out) in result.stdout
    facts = media_checks.decode_mp4(out.read_bytes())
    assert (facts.width, facts.height) == (1280, 720)
    refused = subprocess.run(
        harness.reelway_cmd(
            "promote", draft.id, "--size", "854x480", "--base-url", server.base_url,
            "--api-key", key,
        ),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )  # fmt: skip
    assert refused.returncode != 0 and "[nothing_to_promote]" in refused.stderr


def test_a_promote_keeps_the_drafts_loop_and_negative_prompt(client: openai.OpenAI) -> None:
    """The final is rendered with the draft's ``loop`` and ``negative_prompt``: its middle
    frame matches the draft's, and a full-size create with the same prompt and seed but
    without them does not."""
    extras = {"seed": 21, "loop": True, "negative_prompt": "no clouds, no birds"}
    prompt = "Seagulls and clouds over a harbour at dawn, slow pan left"
    draft = made(client, prompt=prompt, size="854x480", seconds="4", extra_body=extras)
    assert draft.status == "completed", draft.error
    final = finished(client, promote(client, draft.id, size="1280x720").id)
    plain = made(client, prompt=prompt, size="1280x720", seconds="4", extra_body={"seed": 21})
    assert final.status == plain.status == "completed"
    draft_frame = middle_frame(content(client, draft))
    same = difference(draft_frame, middle_frame(content(client, final)))
    apart = difference(draft_frame, middle_frame(content(client, plain)))
    assert same < SAME_SCENE < apart, (same, apart)


def test_a_promote_casts_the_drafts_characters(fresh_client: openai.OpenAI, tmp_path: Path) -> None:
    """The final casts the draft's characters (its scene too); one deleted since the draft is
    refused by name, as on a create.  The clip's wide outline makes Foxy an animal, where the
    same prompt without the character draws the name on a sign."""
    clip = character_clips.shape_clip(tmp_path / "fox.mp4", 3.0, stretch=1.8)
    fox = fresh_client.videos.create_character(name="Foxy", video=("fox.mp4", clip, "video/mp4"))
    assert fox.id is not None
    prompt = "Foxy runs along a beach at sunset, tracking shot"
    body = {"seed": 5, "characters": [{"id": fox.id}]}
    draft = made(fresh_client, prompt=prompt, size="854x480", seconds="4", extra_body=body)
    assert draft.status == "completed", draft.error
    final = finished(fresh_client, promote(fresh_client, draft.id, size="1280x720").id)
    assert final.status == "completed", final.error
    plain = made(fresh_client, prompt=prompt, size="1280x720", seconds="4", extra_body={"seed": 5})
    final_frame = middle_frame(content(fresh_client, final))
    same = difference(middle_frame(content(fresh_client, draft)), final_frame)
    assert same < SAME_SCENE, same
    # The same request without the character renders the same scene with a FOXY sign in its
    # place: the animatic is deterministic, so what differs is the character the final casts.
    plain_frame = middle_frame(content(fresh_client, plain)).astype(np.float32)
    cast = float(np.abs(final_frame.astype(np.float32) - plain_frame).mean())
    assert cast > CAST, cast
    fresh_client.delete(f"/videos/characters/{fox.id}", cast_to=object)
    with pytest.raises(openai.NotFoundError) as gone:
        promote(fresh_client, draft.id, size="1280x720")
    assert (gone.value.code, gone.value.param) == ("character_not_found", "characters[0].id")
