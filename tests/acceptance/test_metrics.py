"""GET /metrics on real servers: the numbers match what happened through the official SDK,
and two API processes on one database report the same job totals but their own requests."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest
from prometheus_client.parser import text_string_to_metric_families

from reelway import __version__
from tests import backends, fake_engines, harness
from tests.acceptance.conftest import sdk_client
from tests.unit.test_metrics_docs import documented

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]
PER_PROCESS = (
    "reelway_http_",
    "reelway_build_info",
    "reelway_process_start_time_seconds",
)
TOKEN = "metrics-s3cret"


def scrape(server: harness.Server, token: str | None = None) -> tuple[str, Samples]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = httpx.get(f"{server.root}/metrics", headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(response.text)
        for s in family.samples
    }
    return response.text, samples


def named(samples: Samples, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {tuple(sorted(labels)): value for (n, labels), value in samples.items() if n == name}


def summed(samples: Samples, name: str, *by: str) -> dict[tuple[str, ...], float]:
    """A family's samples added up over every label but ``by``."""
    totals: dict[tuple[str, ...], float] = {}
    for (n, labels), value in samples.items():
        if n == name:
            key = tuple(dict(labels)[label] for label in by)
            totals[key] = totals.get(key, 0.0) + value
    return totals


def requests(samples: Samples) -> dict[tuple[str, str, str], float]:
    return {
        (dict(labels)["method"], dict(labels)["route"], dict(labels)["status"]): value
        for (n, labels), value in samples.items()
        if n == "reelway_http_requests_total"
    }


def deployment_wide(samples: Samples) -> Samples:
    return {key: value for key, value in samples.items() if not key[0].startswith(PER_PROCESS)}


def test_metrics_match_what_happened_and_every_api_process_agrees(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    env = {
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(tmp_path / "catalog.toml")),
        "REELWAY_WORKERS": "2",
        "REELWAY_AUTH_CACHE_SECONDS": "0",
    }
    api = harness.Server(deployment, env)
    processes.append(api)
    calls: dict[tuple[str, str, str], float] = {("GET", "/health", "200"): 1}  # the harness's

    def call(method: str, route: str, status: int) -> None:
        key = (method, route, str(status))
        calls[key] = calls.get(key, 0) + 1

    with sdk_client(api, api.create_key("metrics")) as client:
        made = [client.videos.create(model="tiny", prompt=f"a kite, take {n}") for n in range(3)]
        made += [client.videos.create(model="broken", prompt=f"refuse {n}") for n in range(2)]
        for _ in made:
            call("POST", "/v1/videos", 200)
        with pytest.raises(openai.BadRequestError):
            client.videos.create(model="tiny", size="1x1", prompt="too small")  # type: ignore[arg-type]
        call("POST", "/v1/videos", 400)
        with pytest.raises(openai.NotFoundError):
            client.videos.retrieve("video_missing")
        call("GET", "/v1/videos/{video_id}", 404)
        ended: dict[str, Any] = {}
        deadline = time.monotonic() + 30
        while len(ended) < len(made):
            assert time.monotonic() < deadline, f"still running: {ended}"
            for video in made:
                if video.id not in ended:
                    current = client.videos.retrieve(video.id)
                    call("GET", "/v1/videos/{video_id}", 200)
                    if current.status in ("completed", "failed"):
                        ended[video.id] = current
            time.sleep(0.1)
        usage = client.get("/usage", cast_to=httpx.Response).json()
        call("GET", "/v1/usage", 200)

    text, samples = scrape(api)
    statuses = [video.status for video in ended.values()]
    assert sorted(statuses) == ["completed"] * 3 + ["failed"] * 2
    codes = {video.error.code for video in ended.values() if video.error is not None}
    assert codes == {"engine_runtime_error"}

    # Jobs: created = finished + in flight, and nothing is in flight any more.
    assert named(samples, "reelway_jobs_created_total") == {
        (("model", "broken"),): 2.0,
        (("model", "tiny"),): 3.0,
    }
    assert summed(samples, "reelway_jobs_finished_total", "model", "status", "code") == {
        ("tiny", "completed", ""): 3.0,
        ("broken", "failed", "engine_runtime_error"): 2.0,
    }
    assert summed(samples, "reelway_jobs_finished_total", "model", "engine") == {
        ("tiny", "animatic"): 3.0,
        ("broken", "tests.fake_engines:FailingEngine"): 2.0,
    }
    assert set(named(samples, "reelway_jobs_in_flight").values()) == {0.0}
    assert set(named(samples, "reelway_queue_depth").values()) == {0.0}
    assert named(samples, "reelway_queue_oldest_runnable_age_seconds") == {(): 0.0}

    # Durations: one observation per video and stage.
    for stage in ("queued", "generating", "total"):
        counts = summed(samples, f"reelway_job_{stage}_seconds_count", "model", "status")
        assert counts == {("tiny", "completed"): 3.0, ("broken", "failed"): 2.0}, stage
        infinite = summed(samples, f"reelway_job_{stage}_seconds_bucket", "model", "le")
        assert infinite[("tiny", "+Inf")] == 3.0 and infinite[("broken", "+Inf")] == 2.0
    assert summed(samples, "reelway_job_generating_seconds_sum", "model")[("tiny",)] > 0

    # Money: the three completed 1 s videos at $0.01 a second, as /v1/usage says.
    assert usage["totals"]["cost_usd"] == pytest.approx(0.03)
    assert named(samples, "reelway_cost_usd_total") == {
        (("model", "tiny"),): pytest.approx(usage["totals"]["cost_usd"])
    }
    assert named(samples, "reelway_credits_charged_total") == {
        (("model", "tiny"),): float(usage["totals"]["credits"])
    }
    assert summed(samples, "reelway_webhook_events_total", "event_type") == {
        ("video.completed",): 3.0,
        ("video.failed",): 2.0,
    }
    assert named(samples, "reelway_webhook_outbox_pending") == {(): 0.0}
    assert set(named(samples, "reelway_engine_circuit_open")) == {
        (("engine", "animatic"),),
        (("engine", "tests.fake_engines:FailingEngine"),),
    }
    assert named(samples, "reelway_build_info") == {(("version", __version__),): 1.0}

    # This process's requests, by route template (the scrape counts after it answers).
    assert requests(samples) == calls
    assert not any(route.startswith("/v1/videos/video_") for _, route, _ in requests(samples))
    polls = summed(samples, "reelway_http_request_duration_seconds_count", "route")
    assert polls[("/v1/videos/{video_id}",)] == sum(
        n for (_, route, _), n in calls.items() if route == "/v1/videos/{video_id}"
    )
    exposed = {line.split()[2] for line in text.splitlines() if line.startswith("# TYPE ")}
    assert exposed == set(documented())

    # A second API process, without workers and with a token, on the same database.
    guarded = harness.Server(
        deployment, {**env, "REELWAY_WORKERS": "0", "REELWAY_METRICS_TOKEN": TOKEN}
    )
    processes.append(guarded)
    refused = httpx.get(f"{guarded.root}/metrics", timeout=30)
    assert refused.status_code == 401
    _, theirs = scrape(guarded, TOKEN)
    _, ours = scrape(api)
    assert deployment_wide(theirs) == deployment_wide(ours)
    # Render slots, not processes: the guarded API (--workers 0) renders nothing.
    assert named(ours, "reelway_workers_seen") == {(): 1.0}
    assert named(ours, "reelway_worker_slots") == {(): 2.0}
    assert requests(theirs) == {("GET", "/health", "200"): 1, ("GET", "/metrics", "401"): 1}
    assert requests(ours) == {**calls, ("GET", "/metrics", "200"): 1}
    assert guarded.terminate() == 0 and api.terminate() == 0
    assert "Traceback" not in api.output + guarded.output
