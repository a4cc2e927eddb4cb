"""Safety and provenance through the official SDK: refusals before generation with their
category and stage and no charge, faces in input images, output moderation through a hosted
backend (a fake HTTP server), the preflight, watermarks and C2PA on what is downloaded."""

from __future__ import annotations

import base64
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import openai
import pytest

from tests import backends, harness, media_checks
from tests.acceptance.conftest import SERVER_ENV, finished, sdk_client
from tests.faces import face_image, landscape_image
from tests.fakes.moderation import FakeModeration
from tests.fakes.server import fault

REFUSED = [
    ("Taylor Swift walking through a rainy street", "real_people"),
    ("Darth Vader on a beach at sunset", "copyrighted_characters"),
    ("a close-up of Nike sneakers on wet asphalt", "brands"),
    ("a soldier aiming a rifle across a field", "violence"),
    ("a naked couple in a hotel room", "adult"),
]
SEED_PROMPTS = [
    "A cat playing",
    "A fluffy orange tabby cat batting at a red yarn ball on a hardwood floor, afternoon "
    "sunlight streaming through a window, warm home interior, eye-level camera, playful mood",
    "Close-up tracking shot of an orange tabby cat's paws batting at a rolling red yarn ball. "
    "Warm afternoon sunlight creates long shadows on honey-colored hardwood floors. Shallow "
    "depth of field keeps focus on the cat while blurring a cozy living room background. "
    "Slow-motion capture at 120fps equivalent, naturalistic color grading, documentary style.",
]


def _blocked(call: Any, param: str) -> dict[str, Any]:
    with pytest.raises(openai.BadRequestError) as caught:
        call()
    error = caught.value
    assert error.code == "sentinel_block", error.message
    assert error.param == param
    assert error.request_id and error.request_id.startswith("req_")
    assert error.response.headers["x-should-retry"] == "false"
    body: dict[str, Any] = error.response.json()["error"]
    return body


def _one_backend(server: harness.Server) -> None:
    """What a test checks does not depend on the database or storage: run it once."""
    if server.deployment.name != backends.BACKENDS[0]:
        pytest.skip(f"covered on {backends.BACKENDS[0]}; nothing here depends on the backend")


def _usage(client: openai.OpenAI) -> dict[str, Any]:
    report: dict[str, Any] = client.get("/usage", cast_to=dict[str, Any])
    return report


def test_each_category_is_refused_before_generation_and_never_charged(
    fresh_client: openai.OpenAI,
) -> None:
    for prompt, category in REFUSED:
        body = _blocked(lambda p=prompt: fresh_client.videos.create(prompt=p), "prompt")
        assert body["category"] == category, body
        assert body["stage"] == "prompt"
        assert (
            f"category {category}" in body["message"] and "Nothing was charged" in body["message"]
        )
    assert fresh_client.videos.list().data == []
    usage = _usage(fresh_client)
    assert usage["totals"]["requests"] == 0 and usage["totals"]["cost_usd"] == 0
    period = usage["project"]["period"]
    assert period["spent_usd"] == 0 and period["reserved_usd"] == 0


def test_a_face_is_refused_a_clean_image_passes_and_every_file_is_signed(
    fresh_client: openai.OpenAI,
) -> None:
    face = face_image(1280, 720)
    body = _blocked(
        lambda: fresh_client.videos.create(
            prompt="she smiles and waves", size="1280x720", input_reference=("me.png", face)
        ),
        "input_reference",
    )
    assert (body["category"], body["stage"]) == ("human_faces", "input_image")
    data_url = "data:image/png;base64," + base64.b64encode(face).decode()
    body = _blocked(
        lambda: fresh_client.videos.create(
            prompt="she smiles",
            size="1280x720",
            extra_body={"input_reference": {"image_url": data_url}},
        ),
        "input_reference.image_url",
    )
    assert body["category"] == "human_faces"
    assert fresh_client.videos.list().data == []

    video = fresh_client.videos.create(
        prompt="a calm valley at golden hour, slow dolly shot",
        size="1280x720",
        seconds="4",
        input_reference=("valley.png", landscape_image(1280, 720)),
    )
    done = finished(fresh_client, video.id, 120)
    assert done.status == "completed", done.error
    data = fresh_client.videos.download_content(video.id).content
    facts = media_checks.decode_mp4(data)  # asserts a valid C2PA manifest
    generation = facts.provenance.generation or {}
    assert generation["video_id"] == video.id and generation["model"] == "sora-2"
    assert generation["engine"] == "animatic"
    for variant, mime in (("thumbnail", "image/webp"), ("spritesheet", "image/jpeg")):
        download: Any = fresh_client.videos.download_content
        image = download(video.id, variant=variant).content
        media_checks.assert_signed(media_checks.read_provenance(image, mime))

    tampered = bytearray(data)
    tampered[data.rindex(b"mdat") + 200] ^= 0x01
    report = media_checks.read_provenance(bytes(tampered), "video/mp4")
    assert report.state == "Invalid", report

    body = _blocked(lambda: fresh_client.videos.remix(video.id, prompt="add Batman"), "prompt")
    assert body["category"] == "copyrighted_characters"


def test_a_download_verifies_with_the_cli_and_is_trusted_with_the_development_root(
    server: harness.Server, client: openai.OpenAI, tmp_path: Path
) -> None:
    _one_backend(server)
    video = client.videos.create(prompt="paper boats on a pond, overhead shot", seconds="4")
    assert finished(client, video.id, 120).status == "completed"
    path = tmp_path / "video.mp4"
    path.write_bytes(client.videos.download_content(video.id).content)
    verified = subprocess.run(
        harness.reelway_cmd("provenance", "verify", str(path), "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert verified.returncode == 0, verified.stdout + verified.stderr
    assert json.loads(verified.stdout)["state"] == "Valid"
    root = tmp_path / "root.pem"
    root.write_text(server.cli("provenance", "certificate"))
    assert "BEGIN CERTIFICATE" in root.read_text()
    trusted = subprocess.run(
        harness.reelway_cmd("provenance", "verify", str(path), "--trust", str(root), "--json"),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert trusted.returncode == 0 and json.loads(trusted.stdout)["state"] == "Trusted"
    data = bytearray(path.read_bytes())
    data[data.rindex(b"mdat") + 100] ^= 0x01
    path.write_bytes(bytes(data))
    broken = subprocess.run(
        harness.reelway_cmd("provenance", "verify", str(path)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert broken.returncode == 1, broken.stdout


def test_preflight_over_both_encodings_and_on_the_command_line(
    server: harness.Server, client: openai.OpenAI, fresh_client: openai.OpenAI
) -> None:
    _one_backend(server)
    scores = []
    for prompt in SEED_PROMPTS:
        report: dict[str, Any] = client.post(
            "/videos/preflight", body={"prompt": prompt, "seconds": "8"}, cast_to=dict[str, Any]
        )
        assert report["object"] == "video.preflight" and not report["moderation"]["blocked"]
        assert report["estimate"] == {"credits": 8 * 16, "cost_usd": 0.8, "relaxed": False}
        scores.append(report["score"])
    assert scores[0] < scores[1] < scores[2], scores
    blocked: dict[str, Any] = client.post(
        "/videos/preflight", body={"prompt": "Homer Simpson drinking"}, cast_to=dict[str, Any]
    )
    assert blocked["moderation"] == {
        "blocked": True,
        "findings": [
            {
                "category": "copyrighted_characters",
                "stage": "prompt",
                "advice": "Invent an original character with a similar archetype, e.g. 'a "
                "friendly animated robot companion' instead of a film's robot.",
            }
        ],
    }
    form = httpx.post(
        f"{server.base_url}/videos/preflight",
        headers={"Authorization": f"Bearer {client.api_key}"},
        files={"prompt": (None, SEED_PROMPTS[0]), "model": (None, "sora-2-pro")},
        timeout=30,
    )
    assert form.status_code == 200, form.text
    assert form.json()["model"] == "sora-2-pro" and form.json()["grade"] == "weak"
    with pytest.raises(openai.BadRequestError) as caught:
        client.post(
            "/videos/preflight", body={"prompt": "x", "seconds": "7"}, cast_to=dict[str, Any]
        )
    assert caught.value.code == "invalid_value" and caught.value.param == "seconds"
    assert fresh_client.videos.list().data == []  # a preflight never creates a video

    clean = subprocess.run(
        harness.reelway_cmd("lint", SEED_PROMPTS[2], "--json"),
        capture_output=True,
        text=True,
        timeout=60,
        env=_cli_env(server),
    )
    assert clean.returncode == 0, clean.stderr
    assert json.loads(clean.stdout)["grade"] == "production"
    refused = subprocess.run(
        harness.reelway_cmd("lint", "Taylor Swift drinking Pepsi"),
        capture_output=True,
        text=True,
        timeout=60,
        env=_cli_env(server),
    )
    assert refused.returncode == 1
    assert "real_people" in refused.stdout and "brands" in refused.stdout


def test_a_watermarked_project_gets_marked_videos_still_signed(
    server: harness.Server, fresh_client: openai.OpenAI, request: pytest.FixtureRequest
) -> None:
    _one_backend(server)
    marked_key = server.create_key(f"marked-{request.node.name[:30]}")
    server.cli("projects", "update", f"marked-{request.node.name[:30]}", "--watermark")
    prompt = "a red kite over a green hill, wide shot"
    with sdk_client(server, marked_key) as marked_client:
        marked = marked_client.videos.create(prompt=prompt, seconds="4", extra_body={"seed": 7})
        plain = fresh_client.videos.create(prompt=prompt, seconds="4", extra_body={"seed": 7})
        assert finished(marked_client, marked.id, 120).status == "completed"
        assert finished(fresh_client, plain.id, 120).status == "completed"
        with_mark = media_checks.decode_mp4(
            marked_client.videos.download_content(marked.id).content
        )
    without = media_checks.decode_mp4(fresh_client.videos.download_content(plain.id).content)
    a = with_mark.first_frame.astype(int)
    b = without.first_frame.astype(int)
    corner = np.abs(a[-60:, -300:] - b[-60:, -300:]).mean()
    opposite = np.abs(a[:60, :300] - b[:60, :300]).mean()
    assert corner > 10 > opposite + 5, (corner, opposite)


def _cli_env(server: harness.Server) -> dict[str, str]:
    return {**os.environ, **server.env, "REELWAY_DATA_DIR": str(server.data_dir)}


# ---------------------------------------------------------------------- hosted moderation


@pytest.fixture
def moderation_service() -> Iterator[FakeModeration]:
    fake = FakeModeration(api_key="sk-moderation")
    yield fake
    fake.close()


@pytest.fixture
def guarded(
    tmp_path: Path, processes: list[harness.Process], moderation_service: FakeModeration
) -> harness.Server:
    """A server whose prompts and outputs go through the fake hosted moderation service."""
    srv = harness.Server(
        backends.Deployment("sqlite", tmp_path / "guarded"),
        {
            **SERVER_ENV,
            "REELWAY_MODERATION_URL": moderation_service.v1,
            "REELWAY_MODERATION_API_KEY": "sk-moderation",
            "REELWAY_MODERATION_STAGES": "prompt,output",
            "REELWAY_MODERATION_OUTPUT_FRAMES": "3",
            "REELWAY_MODERATION_TIMEOUT_SECONDS": "2",
        },
    )
    processes.append(srv)
    return srv


def test_a_hosted_backend_refuses_before_and_after_generation(
    guarded: harness.Server, moderation_service: FakeModeration
) -> None:
    moderation_service.text_rules = {"ominous figure": "violence"}
    with sdk_client(guarded, guarded.create_key("guarded")) as client:
        body = _blocked(lambda: client.videos.create(prompt="an ominous figure in fog"), "prompt")
        assert (body["category"], body["stage"]) == ("violence", "prompt")

        clean = client.videos.create(prompt="a lighthouse at dawn", seconds="4")
        assert finished(client, clean.id, 120).status == "completed"
        images = [i for i in moderation_service.inputs if isinstance(i, list)]
        assert len(images) == 3, "three sampled frames of the finished video were checked"
        media_checks.decode_mp4(client.videos.download_content(clean.id).content)

        moderation_service.image_category = "violence/graphic"
        refused = client.videos.create(prompt="a lighthouse at dusk", seconds="4")
        failed = finished(client, refused.id, 120)
        assert failed.status == "failed"
        error = failed.error.model_dump() if failed.error else {}
        assert error["code"] == "moderation_blocked"
        assert (error["category"], error["stage"]) == ("violence", "output")
        with pytest.raises(openai.BadRequestError):
            client.videos.download_content(refused.id)
        rows = {r["day"] + r["model"]: r for r in _usage(client)["data"]}
        assert sum(r["failed"] for r in rows.values()) == 1
        assert _usage(client)["totals"]["credits"] == 2 * 4 * 16, "moderation_blocked is charged"

        moderation_service.script("moderate", fault(500), fault(500))
        with pytest.raises(openai.InternalServerError) as caught:
            client.videos.create(prompt="a quiet harbour")
        assert caught.value.status_code == 503
        assert caught.value.code == "moderation_unavailable"
        assert int(caught.value.response.headers["retry-after"]) >= 1
    assert "sk-moderation" not in guarded.output, "the moderation key is never logged"
