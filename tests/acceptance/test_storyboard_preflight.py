"""The storyboard preflight over HTTP, on SQLite and PostgreSQL, through the official SDK's
generic ``post``: ``POST /v1/videos/storyboards/preflight`` answers each shot's single
preflight report and their summed estimate; a blocked prompt is flagged, not refused; a bad
body is refused as a create refuses it, naming the exact parameter; nothing is created,
counted against the rate limit, or charged."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests import harness
from tests.acceptance.conftest import refused, sdk_client
from tests.acceptance.test_storyboards_api import BAD

PATH = "/videos/storyboards/preflight"
SHOTS: list[dict[str, Any]] = [
    {"prompt": "A lighthouse at dawn, waves below, wide shot, golden light", "seconds": "4"},
    {
        "prompt": "Gulls circling the lighthouse",
        "seconds": "8",
        "model": "sora-2-pro-2025-10-06",  # an alias: reported as the model it names
        "transition": "crossfade",
    },
    {"prompt": "The lamp turns on as night falls", "seconds": "4", "transition": "continue"},
]
BODY: dict[str, Any] = {"model": "sora-2", "size": "720x1280", "shots": SHOTS}
"""16 s: $0.40 (sora-2) + $2.40 (sora-2-pro at 720p) + $0.40, 16 credits a second each."""
BLOCKED = "a soldier aiming a rifle across a field"
"""A prompt the default moderation refuses (``sentinel_block`` on a create)."""


@pytest.fixture(scope="module")
def project(server: harness.Server) -> str:
    """A key of a project that one request a minute and $0.50 would stop, were a preflight
    counted or priced against them."""
    server.cli("projects", "create", "sb-preflight", "--rpm", "1", "--budget-usd", "0.5")
    return server.create_key("sb-preflight")


@pytest.fixture(scope="module")
def sdk(server: harness.Server, project: str) -> Iterator[openai.OpenAI]:
    with sdk_client(server, project) as client:
        yield client


def _preflight(sdk: openai.OpenAI, body: dict[str, Any]) -> dict[str, Any]:
    answer = sdk.post(PATH, body=body, cast_to=object)
    assert isinstance(answer, dict), answer
    return answer


def _usage(server: harness.Server, key: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{server.base_url}/usage", headers={"Authorization": f"Bearer {key}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    usage: dict[str, Any] = answer.json()
    return usage


def test_each_shot_is_priced_as_its_single_preflight_and_the_total_is_their_sum(
    sdk: openai.OpenAI,
) -> None:
    report = _preflight(sdk, BODY)
    assert report["object"] == "video.storyboard.preflight"
    assert (report["model"], report["size"], report["seconds"]) == ("sora-2", "720x1280", "16")
    shots = report["shots"]
    assert [s["index"] for s in shots] == [0, 1, 2]
    for shot, asked in zip(shots, SHOTS, strict=True):
        single = sdk.post(
            "/videos/preflight",
            body={
                "prompt": asked["prompt"],
                "model": asked.get("model", "sora-2"),
                "size": "720x1280",
                "seconds": asked["seconds"],
            },
            cast_to=object,
        )
        assert isinstance(single, dict) and single.pop("object") == "video.preflight"
        assert shot == {"index": shot["index"], **single}, "the single preflight's report"
    assert [s["model"] for s in shots] == ["sora-2", "sora-2-pro", "sora-2"]
    assert [s["estimate"]["cost_usd"] for s in shots] == [0.4, 2.4, 0.4]
    assert report["estimate"] == {
        "credits": sum(s["estimate"]["credits"] for s in shots),
        "cost_usd": 3.2,
        "relaxed": False,
    }
    assert report["estimate"]["credits"] == 16 * 16
    assert report["moderation"] == {"blocked": False, "shots": []}


def test_a_blocked_shot_is_flagged_and_the_answer_is_still_200(sdk: openai.OpenAI) -> None:
    body = {**BODY, "shots": [SHOTS[0], {"prompt": BLOCKED, "seconds": "4"}, SHOTS[2]]}
    report = _preflight(sdk, body)
    assert report["moderation"] == {"blocked": True, "shots": [1]}
    flags = [s["moderation"]["blocked"] for s in report["shots"]]
    assert flags == [False, True, False]
    assert report["shots"][1]["moderation"]["findings"], "the finding is shown"
    assert report["estimate"]["cost_usd"] == 1.2, "a blocked shot is still priced"


REFUSED = [b for b in BAD if b[2] != "sentinel_block"]
"""Every body a create refuses, but a blocked prompt (the preflight flags it)."""


@pytest.mark.parametrize(
    ("body", "code", "param"), [b[1:] for b in REFUSED], ids=[b[0] for b in REFUSED]
)
def test_a_bad_body_is_refused_as_a_create_refuses_it(
    server: harness.Server, project: str, body: dict[str, Any], code: str, param: str
) -> None:
    status = 404 if code == "character_not_found" else 400
    answer = httpx.post(
        f"{server.base_url}{PATH}",
        json=body,
        headers={"Authorization": f"Bearer {project}"},
        timeout=60,
    )
    refused(answer, code, param, status)


def test_nothing_is_created_counted_or_charged(
    server: harness.Server, project: str, sdk: openai.OpenAI
) -> None:
    before = _usage(server, project)
    for _ in range(3):  # one request a minute: a counted preflight would be refused
        assert _preflight(sdk, BODY)["estimate"]["cost_usd"] == 3.2, "over the $0.50 budget"
    with pytest.raises(openai.BadRequestError):
        sdk.post(PATH, body={**BODY, "shots": SHOTS[:1]}, cast_to=object)
    assert sdk.videos.list(limit=100).data == []
    after = _usage(server, project)
    assert after["totals"] == before["totals"]
    assert after["totals"]["requests"] == 0 and after["totals"]["credits"] == 0
    assert after["project"]["period"]["credits_reserved"] == 0
    # The minute's one request and the budget are still whole: a create goes through.
    video = sdk.videos.create(prompt="A paper boat on a pond", seconds="4")
    try:
        assert video.status in ("queued", "in_progress", "completed")
    finally:
        sdk.videos.delete(video.id)
