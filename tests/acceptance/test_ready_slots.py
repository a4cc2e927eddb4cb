"""``/ready`` and ``/metrics`` count render slots, not processes.

An API started with ``--workers 0`` checks in (it runs the reaper) but renders nothing: on its
own it is not ready for rendering and says why; a worker of N slots makes it ready and is
reported as N slots; the metrics agree.  On SQLite and PostgreSQL.
"""

from __future__ import annotations

from typing import Any

import httpx

from tests import backends, harness, waiting


def ready(server: harness.Server) -> tuple[int, dict[str, Any]]:
    answer = httpx.get(f"{server.root}/ready", timeout=30)
    return answer.status_code, answer.json()


def gauge(server: harness.Server, name: str) -> float:
    text = httpx.get(f"{server.root}/metrics", timeout=30).text
    (line,) = [line for line in text.splitlines() if line.startswith(f"{name} ")]
    return float(line.split()[1])


def test_an_api_without_render_slots_is_not_ready_until_a_worker_brings_some(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    env = {"REELWAY_REAP_INTERVAL_SECONDS": "0.5"}
    api = harness.Server(deployment, {**env, "REELWAY_WORKERS": "0"})
    processes.append(api)
    status, body = waiting.until(
        lambda: ready(api),
        lambda found: "no render slots" in found[1]["checks"]["workers"].get("detail", ""),
        limit=30,
        what="/ready to report the API process's check-in with no render slot",
    )
    workers = body["checks"]["workers"]
    assert status == 503 and body["status"] == "not_ready", body
    assert workers["ok"] is False and workers["slots"] == 0 and workers["seen"] == 0
    assert "--workers 0" in workers["detail"] and "reelway worker" in workers["detail"]
    assert gauge(api, "reelway_workers_seen") == 0
    assert gauge(api, "reelway_worker_slots") == 0

    worker = harness.WorkerProcess(deployment, {**env, "REELWAY_WORKERS": "3"})
    processes.append(worker)
    status, body = waiting.until(
        lambda: ready(api),
        lambda found: found[0] == 200,
        limit=30,
        what="/ready once the worker checked in",
    )
    workers = body["checks"]["workers"]
    assert (workers["slots"], workers["seen"]) == (3, 1), workers
    assert workers["detail"].startswith("3 render slot(s) in 1 worker(s) seen"), workers
    assert gauge(api, "reelway_workers_seen") == 1
    assert gauge(api, "reelway_worker_slots") == 3
    assert worker.terminate() == 0 and api.terminate() == 0
    assert "Traceback" not in api.output + worker.output
