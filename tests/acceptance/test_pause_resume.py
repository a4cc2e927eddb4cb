"""Pause and resume through the official SDK's generic methods (``client.post``) and the CLI,
on SQLite and PostgreSQL: a project, the deployment, an engine (fail over or wait), a
project's budget threshold, and what a project key may not pause."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests import backends, harness, waiting
from tests.acceptance.conftest import FINISH_SECONDS, finished, sdk_client

ADMIN_KEY = "sk-admin-pause-test"
REAP_SECONDS = 0.5
ENV = {
    "REELWAY_WORKERS": "1",
    "REELWAY_ADMIN_KEY": ADMIN_KEY,
    "REELWAY_AUTH_CACHE_SECONDS": "0",
    "REELWAY_POLL_AFTER_MS": "200",
    "REELWAY_REAP_INTERVAL_SECONDS": str(REAP_SECONDS),
}
TWO_ENGINES = """
[engines.first]
type = "animatic"

[engines.second]
type = "animatic"

[models."sora-2"]
route = ["first", "second"]
"""


def _post(client: openai.OpenAI, path: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(path, body=body or {}, cast_to=object)


def _get(client: openai.OpenAI, path: str) -> Any:
    return client.get(path, cast_to=object)


def _status(client: openai.OpenAI, video_id: str) -> str:
    return str(client.videos.retrieve(video_id).status)


def _stays_queued(client: openai.OpenAI, video_ids: list[str], passes: int = 4) -> None:
    """Nothing to poll for when nothing may happen: watch a few reaper passes go by."""
    deadline = time.monotonic() + passes * REAP_SECONDS
    while time.monotonic() < deadline:
        assert [_status(client, v) for v in video_ids] == ["queued"] * len(video_ids)
        time.sleep(0.1)


@pytest.fixture
def admin_server(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> Iterator[harness.Server]:
    server = harness.Server(deployment, ENV)
    processes.append(server)
    yield server
    assert server.terminate() == 0
    assert "Traceback" not in server.output, server.output


def test_a_paused_project_queues_and_resumes_in_order(admin_server: harness.Server) -> None:
    server = admin_server
    with (
        sdk_client(server, server.create_key("alpha")) as alpha,
        sdk_client(server, server.create_key("beta")) as beta,
        sdk_client(server, ADMIN_KEY) as admin,
    ):
        running = alpha.videos.create(prompt="a long walk along the harbour", seconds="12")
        waiting.until(
            lambda: _status(alpha, running.id),
            lambda status: status != "queued",
            limit=FINISH_SECONDS,
            what="the first video to start",
            every=0.02,
        )
        paused = _post(alpha, "/pause", {"reason": "review the storyboard first"})
        assert (paused["scope"], paused["paused_by"]) == ("project", "project")
        assert paused["reason"] == "review the storyboard first"
        held = [alpha.videos.create(prompt=f"held {n}", seconds="4").id for n in range(3)]
        # A job that was running when the pause came finishes.
        assert finished(alpha, running.id).status == "completed"
        # Another project's job, queued after them, completes while they wait.
        other = beta.videos.create(prompt="meanwhile elsewhere", seconds="4")
        assert finished(beta, other.id).status == "completed"
        assert [_status(alpha, v) for v in held] == ["queued"] * 3
        usage = _get(alpha, "/usage")["project"]["pause"]
        assert usage["paused"] is True and usage["queued_jobs_held"] == 3
        assert usage["project"]["paused_by"] == "project"
        board = _get(alpha, "/dashboard/summary")
        assert [p["paused"] for p in board["spend"]] == [True], board["spend"]
        assert board["deployment_paused"] is False
        listed = _get(admin, "/organization/pauses")["data"]
        assert [(p["scope"], p["queued_jobs_held"]) for p in listed] == [("project", 3)]
        doctor = server.cli("doctor")
        assert "Paused" in doctor and "alpha" in doctor and "3 queued job(s) held" in doctor

        # A project key cannot pause another project, the deployment or an engine.
        for body, param in [
            ({"project": "beta"}, "project"),
            ({"scope": "deployment"}, "scope"),
            ({"scope": "engine", "engine": "animatic"}, "scope"),
        ]:
            with pytest.raises(openai.PermissionDeniedError) as caught:
                _post(alpha, "/pause", body)
            error = caught.value.body
            assert isinstance(error, dict)
            assert (error["code"], error["param"]) == ("pause_forbidden", param), error
        with pytest.raises(openai.PermissionDeniedError) as denied:
            _post(alpha, "/organization/pause", {"scope": "deployment"})
        assert denied.value.status_code == 403
        with pytest.raises(openai.BadRequestError) as bad:
            _post(admin, "/organization/pause", {"scope": "galaxy"})
        assert isinstance(bad.value.body, dict) and bad.value.body["param"] == "scope"

        resumed = _post(alpha, "/resume")
        assert resumed["was_paused"] is True and resumed["paused_by"] == "project"
        done = [finished(alpha, v) for v in held]
        assert [v.status for v in done] == ["completed"] * 3
        ends = [v.completed_at or 0 for v in done]
        assert ends == sorted(ends), ends
        assert _get(alpha, "/usage")["project"]["pause"]["paused"] is False


def test_the_operator_pauses_the_deployment_and_a_project_from_the_cli(
    admin_server: harness.Server,
) -> None:
    server = admin_server
    with (
        sdk_client(server, server.create_key("gamma")) as gamma,
        sdk_client(server, ADMIN_KEY) as admin,
    ):
        whole = _post(admin, "/organization/pause", {"scope": "deployment", "reason": "upgrade"})
        assert (whole["scope"], whole["paused_by"]) == ("deployment", "operator")
        waiting_video = gamma.videos.create(prompt="during the upgrade", seconds="4")
        _stays_queued(gamma, [waiting_video.id])
        state = _get(gamma, "/usage")["project"]["pause"]
        assert state["paused"] is True and state["deployment"]["reason"] == "upgrade"
        ready = httpx.get(f"{server.root}/ready", timeout=30).json()
        assert ready["checks"]["pauses"]["deployment"] is True, ready
        assert _get(admin, "/dashboard/summary")["deployment_paused"] is True
        assert _post(admin, "/organization/resume", {"scope": "deployment"})["was_paused"]
        assert finished(gamma, waiting_video.id).status == "completed"

        # The CLI: pause a project, list, resume it.
        shown = json.loads(server.cli("pause", "--project", "gamma", "--reason", "x", "--json"))
        assert (shown["scope"], shown["paused_by"], shown["reason"]) == ("project", "operator", "x")
        held = gamma.videos.create(prompt="held by the CLI", seconds="4")
        _stays_queued(gamma, [held.id])
        assert "project" in server.cli("pause", "--list")
        with pytest.raises(openai.PermissionDeniedError) as theirs:
            _post(gamma, "/resume")  # the operator's pause: not the project's to lift
        assert isinstance(theirs.value.body, dict)
        assert theirs.value.body["code"] == "pause_forbidden"
        assert "resumed" in server.cli("resume", "--project", "gamma")
        assert finished(gamma, held.id).status == "completed"
        assert "was not paused" in server.cli("resume", "--project", "gamma")
        assert "nothing is paused" in server.cli("pause", "--list")


def test_a_project_pauses_when_its_spend_reaches_the_threshold(
    admin_server: harness.Server,
) -> None:
    server = admin_server
    with sdk_client(server, ADMIN_KEY) as admin:
        made = _post(
            admin,
            "/organization/projects",
            {"name": "thrifty", "budget_usd": 10, "pause_at_budget_percent": 1},
        )
        assert made["pause_at_budget_percent"] == 1
        with pytest.raises(openai.BadRequestError) as bad:
            _post(admin, "/organization/projects/thrifty", {"pause_at_budget_percent": 150})
        assert isinstance(bad.value.body, dict)
        assert bad.value.body["param"] == "pause_at_budget_percent"
    with sdk_client(server, server.create_key("thrifty")) as thrifty:
        first = thrifty.videos.create(prompt="the first one", seconds="4")  # $0.40 = 4%
        assert finished(thrifty, first.id).status == "completed"
        second = thrifty.videos.create(prompt="over the threshold", seconds="4")
        _stays_queued(thrifty, [second.id])
        state = _get(thrifty, "/usage")["project"]["pause"]
        assert state["project"]["paused_by"] == "budget" and state["queued_jobs_held"] == 1
        # The operator raises the threshold: the next create lifts the budget's pause.
        with sdk_client(server, ADMIN_KEY) as admin:
            _post(admin, "/organization/projects/thrifty", {"pause_at_budget_percent": 50})
        third = thrifty.videos.create(prompt="under the new threshold", seconds="4")
        assert finished(thrifty, second.id).status == "completed"
        assert finished(thrifty, third.id).status == "completed"


def _engine_of(server: harness.Server, video_id: str, config: Path) -> str:
    report = json.loads(server.cli("doctor", video_id, "--json", "--config", str(config)))
    return str(report["engine"])


def test_a_paused_engine_fails_over_or_makes_its_jobs_wait(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    config = tmp_path / "two.toml"
    config.write_text(TWO_ENGINES)
    server = harness.Server(deployment, ENV, "--config", str(config))
    processes.append(server)
    with (
        sdk_client(server, server.create_key("delta")) as delta,
        sdk_client(server, ADMIN_KEY) as admin,
    ):
        before = delta.videos.create(prompt="on the first engine", seconds="4")
        assert finished(delta, before.id).status == "completed"
        assert _engine_of(server, before.id, config) == "first"
        drained = _post(admin, "/organization/pause", {"engine": "first", "reason": "upgrade"})
        assert (drained["scope"], drained["on_queued"]) == ("engine", "failover")
        engines = _get(admin, "/dashboard/summary")["engines"]
        paused = {e["engine"]: e["paused"] for e in engines}
        assert (paused["first"], paused["second"]) == (True, False), paused
        moved = delta.videos.create(prompt="fails over", seconds="4")
        assert finished(delta, moved.id).status == "completed"
        assert _engine_of(server, moved.id, config) == "second"
        _post(admin, "/organization/resume", {"engine": "first"})

        shown = server.cli(
            "pause", "--engine", "first", "--on-queued", "wait", "--config", str(config)
        )
        assert "queued jobs wait" in shown
        waits = delta.videos.create(prompt="waits for the first engine", seconds="4")
        # It may be claimed and put back (each look is 5 s apart) but never rendered.
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline:
            assert _status(delta, waits.id) in ("queued", "in_progress")
            time.sleep(0.2)
        assert "resumed" in server.cli("resume", "--engine", "first", "--config", str(config))
        assert finished(delta, waits.id).status == "completed"
        assert _engine_of(server, waits.id, config) == "first"
        with pytest.raises(openai.BadRequestError) as bad:
            _post(admin, "/organization/pause", {"engine": "nowhere"})
        assert isinstance(bad.value.body, dict) and bad.value.body["param"] == "engine"
    assert server.terminate() == 0
    assert "Traceback" not in server.output, server.output
