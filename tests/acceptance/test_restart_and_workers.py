"""Durability: a job survives its server stopping or dying mid-render, and remote workers."""

from __future__ import annotations

import json
import re
import time
from pathlib import Path

import openai
import pytest

from tests import backends, harness, media_checks
from tests.acceptance.conftest import finished, sdk_client
from tests.fake_provider import FakeProvider, catalog_for

LONG = {
    "prompt": "a slow orbit around a statue, golden hour",
    "model": "sora-2-pro",
    "size": "1920x1080",
    "seconds": "20",
}


def _client(server: harness.Server, key: str) -> openai.OpenAI:
    return sdk_client(server, key)


def _wait_running(client: openai.OpenAI, video_id: str, at_least: int = 1) -> None:
    deadline = time.monotonic() + 60
    while True:
        video = client.videos.retrieve(video_id)
        if video.status == "in_progress" and video.progress >= at_least:
            return
        assert video.status in ("queued", "in_progress"), video
        assert time.monotonic() < deadline, "the video never started rendering"
        time.sleep(0.1)


def _check_completed(client: openai.OpenAI, video_id: str) -> None:
    done = finished(client, video_id)
    assert done.status == "completed", done.error
    facts = media_checks.decode_mp4(client.videos.download_content(video_id).content)
    assert (facts.width, facts.height) == (1920, 1080)
    assert abs(facts.duration - 20) < 0.1


@pytest.mark.slow
def test_stopping_the_server_mid_job_loses_nothing(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    env = {"REELWAY_SHUTDOWN_GRACE_SECONDS": "0"}
    first = harness.Server(deployment, env)
    processes.append(first)
    assert first.dev_key is not None
    with _client(first, first.dev_key) as client:
        video = client.videos.create(**LONG)  # type: ignore[arg-type]
        _wait_running(client, video.id, at_least=5)
    assert first.terminate() == 0
    assert "handed" in first.output and video.id in first.output

    second = harness.Server(deployment, env)
    processes.append(second)
    assert second.dev_key is None, "a restart must not mint a new development key"
    with _client(second, first.dev_key) as client:
        _check_completed(client, video.id)
    assert second.terminate() == 0


@pytest.mark.slow
def test_a_killed_server_is_recovered_by_the_reaper(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    env = {
        "REELWAY_LEASE_SECONDS": "3",
        "REELWAY_HEARTBEAT_SECONDS": "0.5",
        "REELWAY_REAP_INTERVAL_SECONDS": "0.5",
    }
    first = harness.Server(deployment, env)
    processes.append(first)
    assert first.dev_key is not None
    with _client(first, first.dev_key) as client:
        video = client.videos.create(**LONG)  # type: ignore[arg-type]
        _wait_running(client, video.id, at_least=5)
    first.kill()

    second = harness.Server(deployment, env)
    processes.append(second)
    with _client(second, first.dev_key) as client:
        _check_completed(client, video.id)
    assert "requeued" in second.output
    assert second.terminate() == 0


@pytest.mark.slow
def test_api_only_server_with_a_separate_worker_process(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    api = harness.Server(deployment, {"REELWAY_WORKERS": "0"})
    processes.append(api)
    assert api.dev_key is not None
    with _client(api, api.dev_key) as client:
        video = client.videos.create(prompt="a hummingbird hovers, macro", size="1280x720")
        # No render slot in the API process (it logs its worker's slots before it listens), so
        # nothing there can take the video: it waits for the worker process.
        assert re.search(r"worker \S+ started with 0 slot\(s\)", api.output), api.output
        assert client.videos.retrieve(video.id).status == "queued"
        worker = harness.WorkerProcess(deployment)
        processes.append(worker)
        done = finished(client, video.id)
    assert done.status == "completed", done.error
    assert worker.terminate() == 0
    assert "Traceback" not in worker.output
    assert api.terminate() == 0


@pytest.mark.slow
def test_a_killed_worker_remote_job_is_resumed_not_resubmitted(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    clip = tmp_path / "clip.mp4"
    harness.run_cli(
        "generate",
        "a kite",
        "--size",
        "1280x720",
        "--seconds",
        "4",
        "-o",
        str(clip),
        data_dir=tmp_path / "clip-data",
    )
    provider = FakeProvider(clip.read_bytes(), seconds_per_job=6.0)
    try:
        engine = "tests.fake_engines:FakeRemoteEngine"
        env = {
            "REELWAY_CATALOG": str(catalog_for(engine, tmp_path / "catalog.toml")),
            "REELWAY_ENGINE_OPTIONS": json.dumps(
                {engine: {"base_url": provider.base_url, "api_key": provider.api_key}}
            ),
            "REELWAY_WORKERS": "0",
            "REELWAY_LEASE_SECONDS": "2",
            "REELWAY_HEARTBEAT_SECONDS": "0.5",
            "REELWAY_REAP_INTERVAL_SECONDS": "0.5",
            "REELWAY_REMOTE_POLL_SECONDS": "0.2",
        }
        api = harness.Server(deployment, env)
        processes.append(api)
        first = harness.WorkerProcess(deployment, env)
        processes.append(first)
        with _client(api, api.create_key("remote")) as client:
            video = client.videos.create(prompt="a kite", model="remote")
            # The worker logs the submission once the operation is saved on the job row.
            first.wait_for(re.compile(f"submitted {video.id} to "))
            assert provider.submits == {video.id: 1}
            first.kill()
            polls_before = provider.polls
            second = harness.WorkerProcess(deployment, env)
            processes.append(second)
            done = finished(client, video.id)
            assert done.status == "completed", done.error
            facts = media_checks.decode_mp4(client.videos.download_content(video.id).content)
            assert (facts.width, facts.height) == (1280, 720)
        assert provider.submits == {video.id: 1}, "the provider saw one submission"
        assert provider.polls > polls_before, "the second worker polled the same operation"
        assert "resuming " + video.id in second.output
    finally:
        provider.close()
