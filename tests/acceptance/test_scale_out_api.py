"""Idempotency, admission control, retention and presigned downloads, through the SDK."""

from __future__ import annotations

import concurrent.futures
import time

import httpx
import openai
import pytest

from tests import backends, harness, media_checks
from tests.acceptance.conftest import made, sdk_client


def test_the_same_idempotency_key_returns_the_same_video(
    server: harness.Server, fresh_client: openai.OpenAI
) -> None:
    key = {"Idempotency-Key": "order-42"}
    first = fresh_client.videos.with_raw_response.create(
        prompt="a tram crosses a bridge", extra_headers=key
    )
    assert "idempotent-replayed" not in first.headers
    again = fresh_client.videos.with_raw_response.create(
        prompt="a tram crosses a bridge", extra_headers=key
    )
    assert again.headers["idempotent-replayed"] == "true"
    assert again.parse().id == first.parse().id
    with pytest.raises(openai.UnprocessableEntityError) as caught:
        fresh_client.videos.create(prompt="a different tram", extra_headers=key)
    assert caught.value.code == "idempotency_key_reused"
    assert caught.value.param == "Idempotency-Key"
    other_project = server.create_key("someone-else")
    with sdk_client(server, other_project) as other:
        theirs = other.videos.create(prompt="a tram crosses a bridge", extra_headers=key)
    assert theirs.id != first.parse().id, "keys belong to one project"
    assert len(list(fresh_client.videos.list())) == 1


def test_concurrent_duplicates_make_one_video(
    server: harness.Server, fresh_client: openai.OpenAI
) -> None:
    image = media_checks.solid_image(720, 1280, "PNG", (80, 10, 10))

    def create(_: int) -> str:
        video = fresh_client.videos.create(
            prompt="a red kite",
            input_reference=("ref.png", image),
            extra_headers={"Idempotency-Key": "burst"},
        )
        return video.id

    def inputs() -> set[str]:
        return {k for k in server.deployment.list_keys("videos/") if k.endswith("/input.png")}

    before = inputs()
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        ids = set(pool.map(create, range(8)))
    assert len(ids) == 1
    (video_id,) = ids
    assert [v.id for v in fresh_client.videos.list()] == [video_id]
    assert inputs() - before == {f"videos/{video_id}/input.png"}, "losers' uploads are removed"


def test_remix_honours_idempotency_keys(fresh_client: openai.OpenAI) -> None:
    source = made(fresh_client, prompt="a pond")
    assert source.status == "completed", source.error
    key = {"Idempotency-Key": "remix-1"}
    first = fresh_client.videos.remix(source.id, prompt="a pond in winter", extra_headers=key)
    second = fresh_client.videos.remix(source.id, prompt="a pond in winter", extra_headers=key)
    assert first.id == second.id
    with pytest.raises(openai.BadRequestError) as caught:
        fresh_client.videos.create(prompt="x", extra_headers={"Idempotency-Key": "k" * 256})
    assert caught.value.param == "Idempotency-Key"


def test_full_queues_answer_429_and_503_with_retry_after(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    server = harness.Server(
        deployment,
        {"REELWAY_WORKERS": "0", "REELWAY_PROJECT_QUEUE_LIMIT": "3", "REELWAY_QUEUE_LIMIT": "5"},
    )
    processes.append(server)
    auth_a = {"Authorization": f"Bearer {server.create_key('a')}"}
    auth_b = {"Authorization": f"Bearer {server.create_key('b')}"}
    url = f"{server.base_url}/videos"
    for _ in range(3):
        assert httpx.post(url, headers=auth_a, json={"prompt": "x"}).status_code == 200
    full = httpx.post(url, headers=auth_a, json={"prompt": "x"})
    assert full.status_code == 429
    assert full.json()["error"]["code"] == "queue_full"
    assert int(full.headers["retry-after"]) >= 1
    assert full.headers.get("x-should-retry") != "false"
    with sdk_client(server, auth_a["Authorization"].split()[1]) as client:
        with pytest.raises(openai.RateLimitError) as caught:
            client.with_options(max_retries=0).videos.create(prompt="one more")
        assert caught.value.code == "queue_full"
    for _ in range(2):
        assert httpx.post(url, headers=auth_b, json={"prompt": "x"}).status_code == 200
    # The deployment-wide count is cached for a second, but this one API process adds its own
    # creates to it, so the sixth create sees five at once: no wait for the cache to expire.
    busy = httpx.post(url, headers=auth_b, json={"prompt": "x"})
    assert busy.status_code == 503
    assert busy.json()["error"]["code"] == "server_busy"
    assert int(busy.headers["retry-after"]) >= 1


def test_expired_videos_stay_listed_but_their_files_go(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    server = harness.Server(
        deployment,
        {
            "REELWAY_RETENTION_SECONDS": "2",
            "REELWAY_REAP_INTERVAL_SECONDS": "0.3",
            "REELWAY_POLL_AFTER_MS": "200",
        },
    )
    processes.append(server)
    with sdk_client(server, server.create_key("retention")) as client:
        video = made(client, prompt="a sandcastle")
        assert video.status == "completed"
        assert video.expires_at is not None
        assert video.completed_at is not None and video.expires_at - video.completed_at in (1, 2, 3)
        media_checks.decode_mp4(client.videos.download_content(video.id).content)
        deadline = time.monotonic() + 20
        while server.deployment.list_keys(f"videos/{video.id}"):
            assert time.monotonic() < deadline, "expired files were not deleted"
            time.sleep(0.2)
        with pytest.raises(openai.APIStatusError) as caught:
            client.videos.download_content(video.id)
        assert caught.value.status_code == 410
        assert caught.value.code == "video_expired"
        assert [v.id for v in client.videos.list()] == [video.id]
        assert client.videos.retrieve(video.id).status == "completed"
        with pytest.raises(openai.APIStatusError) as caught:
            client.videos.remix(video.id, prompt="again")
        assert caught.value.code == "video_expired"


def test_downloads_can_redirect_to_presigned_urls(
    postgres_deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    server = harness.Server(postgres_deployment, {"REELWAY_STORAGE_REDIRECT": "true"})
    processes.append(server)
    key = server.create_key("redirect")
    with sdk_client(server, key) as client:
        video = made(client, prompt="a comet")
        assert video.status == "completed", video.error
        followed = client.videos.download_content(video.id)
        facts = media_checks.decode_mp4(followed.content)
        assert (facts.width, facts.height) == (720, 1280)
    raw = httpx.get(
        f"{server.base_url}/videos/{video.id}/content",
        headers={"Authorization": f"Bearer {key}"},
    )
    assert raw.status_code == 302
    location = raw.headers["location"]
    assert "X-Amz-Signature" in location and key not in location
    ranged = httpx.get(location, headers={"Range": "bytes=0-99"})
    assert ranged.status_code == 206 and len(ranged.content) == 100
