"""Accounts end to end: real ``reelway serve`` processes sharing one database, driven over
HTTP by the official SDK; tiers, budgets under concurrency, relaxed mode, the admin API and
the usage report.  Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import csv
import io
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import openai
import pytest

from tests import backends, harness
from tests.acceptance.conftest import finished, made, sdk_client

API_ONLY = {"REELWAY_WORKERS": "0", "REELWAY_AUTH_CACHE_SECONDS": "0"}
ADMIN_KEY = "sk-admin-test-0123456789"


def api_servers(
    deployment: backends.Deployment, processes: list[harness.Process], count: int, **env: str
) -> list[harness.Server]:
    servers = []
    for _ in range(count):
        server = harness.Server(deployment, {**API_ONLY, **env})
        processes.append(server)
        servers.append(server)
    return servers


def project_with_key(server: harness.Server, name: str, *options: str) -> str:
    server.cli("projects", "create", name, *options)
    return server.create_key(name)


def create(base_url: str, key: str, **extra: object) -> httpx.Response:
    """One create as a client sees it, SDK-free so that nothing is retried behind our back."""
    body = {"prompt": "a lighthouse at dusk", "seconds": "4", "size": "720x1280", **extra}
    return httpx.post(
        f"{base_url}/videos", json=body, headers={"Authorization": f"Bearer {key}"}, timeout=60
    )


def burst(servers: list[harness.Server], key: str, count: int) -> list[httpx.Response]:
    """``count`` concurrent creates spread over every API process."""
    with ThreadPoolExecutor(16) as pool:
        futures = [
            pool.submit(create, servers[i % len(servers)].base_url, key) for i in range(count)
        ]
        return [f.result() for f in futures]


def wait_for_fresh_window(length: float, margin: float = 10.0) -> None:
    """Fixed windows are UTC minutes and UTC days (``length`` seconds, counted from the
    epoch): start a burst well inside one, so that it cannot straddle two."""
    left = length - time.time() % length
    if left < margin:
        time.sleep(left + 0.05)


def codes(responses: list[httpx.Response]) -> list[str]:
    return sorted(
        "accepted" if r.status_code == 200 else r.json()["error"]["code"] for r in responses
    )


def test_exactly_n_per_minute_across_processes_and_polling_is_free(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    servers = api_servers(deployment, processes, 2)
    key = project_with_key(servers[0], "plus-shop", "--tier", "plus")  # 5 per minute
    with sdk_client(servers[0], key) as sdk:
        for _ in range(12):  # polling and listing never count
            sdk.videos.list()
    wait_for_fresh_window(60)
    responses = burst(servers, key, 8)
    assert codes(responses) == ["accepted"] * 5 + ["rate_limit_requests_per_minute"] * 3
    accepted = [r for r in responses if r.status_code == 200]
    remaining = sorted(int(r.headers["x-ratelimit-remaining-requests"]) for r in accepted)
    assert remaining == [0, 1, 2, 3, 4]
    assert {r.headers["x-ratelimit-limit-requests"] for r in accepted} == {"5"}
    assert {r.headers["x-ratelimit-limit-requests-day"] for r in accepted} == {"50"}
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["x-ratelimit-remaining-requests"] == "0"
    assert 0 < int(refused.headers["retry-after"]) <= 60
    assert refused.headers["x-ratelimit-reset-requests"].endswith("s")
    assert "x-should-retry" not in refused.headers  # the SDKs may wait and retry it
    with sdk_client(servers[1], key) as sdk:
        for video in sdk.videos.list().data:  # still free while the minute is used up
            sdk.videos.retrieve(video.id)
        with pytest.raises(openai.RateLimitError) as refusal:
            sdk.videos.create(prompt="one more", seconds="4")
    assert refusal.value.code == "rate_limit_requests_per_minute"


def test_the_day_limit_refuses_without_inviting_a_retry(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    servers = api_servers(deployment, processes, 2)
    key = project_with_key(servers[0], "daily", "--tier", "tier2", "--rpd", "3")
    wait_for_fresh_window(86_400, margin=60)  # a burst across midnight gets a fresh 3
    responses = burst(servers, key, 6)
    assert codes(responses) == ["accepted"] * 3 + ["rate_limit_requests_per_day"] * 3
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.headers["x-should-retry"] == "false"
    assert refused.headers["x-ratelimit-limit-requests-day"] == "3"
    assert refused.headers["x-ratelimit-remaining-requests-day"] == "0"
    midnight = (time.time() // 86400 + 1) * 86400
    assert abs(int(refused.headers["retry-after"]) - (midnight - time.time())) < 5


def test_a_budget_for_three_admits_exactly_three_of_fifty_and_failures_give_it_back(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    # Every job fails fast: the only engine on the route is a provider nobody listens to.
    config = tmp_path / "dead-upstream.toml"
    config.write_text(
        '[engines.gone]\ntype = "openai_compat"\nbase_url = "http://127.0.0.1:9/v1"\n'
        'api_key = "unused"\n\n[models."sora-2"]\nroute = ["gone"]\n'
        'capabilities = ["image_input", "remix"]\n'
    )
    env = {"REELWAY_CONFIG": str(config), "REELWAY_ROUTE_PASSES": "1"}
    servers = api_servers(deployment, processes, 2, **env)
    # sora-2 at 720x1280 for 4 s is $0.40: room for exactly three.
    key = project_with_key(servers[0], "thrifty", "--budget-usd", "1.20")
    responses = burst(servers, key, 50)
    assert codes(responses) == ["accepted"] * 3 + ["budget_exceeded"] * 47
    refused = next(r for r in responses if r.status_code == 429)
    assert refused.json()["error"]["type"] == "insufficient_quota"
    assert refused.headers["x-should-retry"] == "false"
    assert "$0.00 of $1.20 left" in refused.json()["error"]["message"]

    worker = harness.WorkerProcess(deployment, env)
    processes.append(worker)
    accepted = [r.json()["id"] for r in responses if r.status_code == 200]
    with sdk_client(servers[0], key) as sdk:
        deadline = time.monotonic() + 60
        while any(sdk.videos.retrieve(v).status != "failed" for v in accepted):
            assert time.monotonic() < deadline, "the three jobs never failed"
            time.sleep(0.2)
    worker.terminate()
    again = burst(servers, key, 5)
    assert codes(again) == ["accepted"] * 3 + ["budget_exceeded"] * 2
    spent = deployment.query(
        "SELECT state, COUNT(*), SUM(usd_micros_charged) FROM charges GROUP BY state ORDER BY state"
    )
    assert [tuple(row) for row in spent] == [("released", 3, 0), ("reserved", 3, 0)]


def test_relaxed_mode_waits_for_its_window_costs_nothing_and_needs_the_plan(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    now = datetime.now(UTC)
    opens = now + timedelta(hours=2)
    window = f"{opens:%H:%M}-{opens + timedelta(hours=1):%H:%M}"
    server = harness.Server(
        deployment,
        {
            "REELWAY_WORKERS": "2",
            "REELWAY_RELAXED_WINDOW": window,
            "REELWAY_RELAXED_TIMEZONE": "UTC",
        },
    )
    processes.append(server)
    pro = project_with_key(server, "night-owl", "--plan", "pro")
    plus = project_with_key(server, "day-only", "--plan", "plus")
    with sdk_client(server, pro) as sdk, sdk_client(server, plus) as other:
        relaxed = sdk.videos.create(
            prompt="slow clouds", seconds="4", extra_body={"service_tier": "relaxed"}
        )
        extra = relaxed.model_extra or {}
        assert extra["service_tier"] == "relaxed"
        expected = opens.replace(second=0, microsecond=0).timestamp()
        assert abs(extra["scheduled_at"] - expected) <= 60
        normal = made(sdk, prompt="fast clouds", seconds="4")
        assert normal.status == "completed"  # the workers were free, yet did not touch it
        assert sdk.videos.retrieve(relaxed.id).status == "queued"
        with pytest.raises(openai.PermissionDeniedError) as refusal:
            other.videos.create(prompt="x", seconds="4", extra_body={"service_tier": "relaxed"})
        assert refusal.value.code == "relaxed_mode_not_allowed"
        with pytest.raises(openai.BadRequestError) as bad:
            sdk.videos.create(prompt="x", seconds="4", extra_body={"service_tier": "fast"})
        assert bad.value.code == "invalid_value" and "relaxed" in bad.value.message
    usage = httpx.get(
        f"{server.base_url}/usage", headers={"Authorization": f"Bearer {pro}"}, timeout=30
    ).json()
    assert usage["totals"]["requests"] == 2 and usage["totals"]["relaxed"] == 1
    assert usage["totals"]["credits"] == 64  # the normal video only
    assert usage["project"]["period"]["credits_reserved"] == 0  # relaxed holds no credits


def test_relaxed_video_inside_its_window_completes_without_credits(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    now = datetime.now(UTC)
    window = f"{now - timedelta(hours=1):%H:%M}-{now + timedelta(hours=1):%H:%M}"
    server = harness.Server(
        deployment,
        {
            "REELWAY_WORKERS": "1",
            "REELWAY_RELAXED_WINDOW": window,
            "REELWAY_RELAXED_TIMEZONE": "UTC",
        },
    )
    processes.append(server)
    key = project_with_key(server, "owl", "--plan", "pro")
    with sdk_client(server, key) as sdk:
        video = sdk.videos.create(
            prompt="moon", seconds="4", extra_body={"service_tier": "relaxed"}
        )
        done = finished(sdk, video.id)
    assert done.status == "completed"
    record = server.cli("projects", "show", "owl", "--json")
    assert '"credits_spent": 0' in record and '"spent_usd": 0.0' in record


def test_admin_api_manages_projects_and_keys_and_reports_usage(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    server = harness.Server(
        deployment,
        {"REELWAY_WORKERS": "1", "REELWAY_ADMIN_KEY": ADMIN_KEY, "REELWAY_AUTH_CACHE_SECONDS": "0"},
    )
    processes.append(server)
    with httpx.Client(
        base_url=f"{server.base_url}/organization",
        headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        timeout=30,
    ) as admin:
        _admin_session(server, admin)


def _admin_session(server: harness.Server, admin: httpx.Client) -> None:
    made = admin.post(
        "/projects", json={"name": "studio", "tier": "tier3", "plan": "plus", "budget_usd": 10}
    )
    assert made.status_code == 200, made.text
    project = made.json()
    assert (project["tier"], project["plan"], project["budget_usd"]) == ("tier3", "plus", 10.0)
    assert (project["requests_per_minute"], project["requests_per_day"]) == (30, 600)
    assert project["period"]["credits_limit"] == 1000
    assert admin.post("/projects", json={"name": "studio"}).json()["error"]["code"] == (
        "project_exists"
    )
    bad = admin.post(f"/projects/{project['id']}", json={"tier": "platinum"}).json()["error"]
    assert (bad["code"], bad["param"]) == ("invalid_value", "tier")
    for method, path, body, status, code, param in [
        ("POST", "/projects/studio", {"budget_usd": -5}, 400, "invalid_value", "budget_usd"),
        ("POST", "/projects/studio", {"colour": "red"}, 400, "unknown_parameter", "colour"),
        ("POST", "/projects", {"name": ""}, 400, "invalid_value", "name"),
        ("GET", "/projects/nowhere", None, 404, "project_not_found", "project_id"),
        ("DELETE", "/projects/studio/api_keys/key_nope", None, 404, "api_key_not_found", "key_id"),
        ("GET", "/usage?format=xml", None, 400, "invalid_value", "format"),
        ("GET", "/usage?start=22-11-2026", None, 400, "invalid_value", "start"),
    ]:
        answer = admin.request(method, path, json=body)
        error = answer.json()["error"]
        assert (answer.status_code, error["code"], error["param"]) == (status, code, param), path
        assert answer.headers["x-request-id"]
    updated = admin.post("/projects/studio", json={"relaxed": True, "budget_usd": None}).json()
    assert updated["relaxed"] is True and updated["budget_usd"] is None

    key = admin.post(f"/projects/{project['id']}/api_keys", json={"name": "ci"}).json()
    secret = key["value"]
    assert secret.startswith("sk-rw-") and key["redacted_value"].endswith(secret[-4:])
    listed = admin.get(f"/projects/{project['id']}/api_keys").json()["data"]
    assert [k["id"] for k in listed] == [key["id"]] and "value" not in listed[0]

    with sdk_client(server, secret) as sdk:
        kite = sdk.videos.create(prompt="a red kite", seconds="4")
        assert finished(sdk, kite.id).status == "completed"
        with pytest.raises(openai.PermissionDeniedError) as denied:
            sdk.get("/organization/projects", cast_to=object)
        assert denied.value.code == "admin_key_required"
    own = httpx.get(
        f"{server.base_url}/usage", headers={"Authorization": f"Bearer {secret}"}, timeout=30
    ).json()
    row = own["data"][0]
    assert (row["model"], row["requests"], row["completed"], row["seconds"]) == ("sora-2", 1, 1, 4)
    assert (row["credits"], row["cost_usd"]) == (64, 0.4)
    assert own["project"]["period"]["credits_remaining"] == 1000 - 64

    report = admin.get("/usage", params={"format": "csv", "project": "studio"})
    assert report.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(report.text)))
    assert [(r["project_id"], r["credits"], r["cost_usd"]) for r in rows] == [
        (project["id"], "64", "0.4")
    ]
    cli = server.cli("usage", "--project", "studio", "--format", "csv")
    assert cli == report.text

    spare = admin.post("/projects/studio/api_keys", json={}).json()["value"]
    revoked = admin.delete(f"/projects/{project['id']}/api_keys/{key['id']}")
    assert revoked.json() == {
        "object": "organization.project.api_key.deleted",
        "id": key["id"],
        "deleted": True,
    }
    with sdk_client(server, secret) as sdk, pytest.raises(openai.AuthenticationError):
        sdk.videos.list()
    disabled = admin.post("/projects/studio", json={"disabled": True}).json()
    assert disabled["status"] == "disabled"
    with sdk_client(server, spare) as sdk:
        assert sdk.videos.list().data  # reading still works
        with pytest.raises(openai.PermissionDeniedError) as off:
            sdk.videos.create(prompt="x", seconds="4")
    assert off.value.code == "project_disabled"
    wrong = httpx.get(
        f"{server.base_url}/organization/projects",
        headers={"Authorization": "Bearer sk-admin-wrong"},
        timeout=30,
    )
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (403, "admin_key_required")
