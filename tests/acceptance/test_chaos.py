"""Chaos: workers are SIGKILLed over and over while hundreds of jobs run; nothing is lost.

Bounded to a few minutes; run by ``make test`` on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import collections
import json
import random
import re
import time
from pathlib import Path

import httpx
import pytest

from tests import backends, harness

JOBS = 300
WORKERS = 3
KILL_EVERY_SECONDS = 4.0
LIMIT_SECONDS = 240
COMPLETED = re.compile(r"reelway\.worker\.orchestrate(?: \[[^\]]*\])?: completed (video_\w+)")
REQUEUED = re.compile(r"reaper: requeued \('video_")
"""A reaper pass that took over at least one job whose worker was gone."""


def _tiny_catalog(path: Path) -> Path:
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."tiny"]\nsizes = ["64x64"]\nseconds = [1]\ndefault_size = "64x64"\n'
        'default_seconds = 1\nroute = ["animatic"]\n[models."tiny".price_per_second]\n'
        '"480p" = 0.01\n'
    )
    return path


@pytest.mark.slow
@pytest.mark.timeout(LIMIT_SECONDS + 180)  # its own deadline, plus starting and checking
def test_killing_workers_loses_and_repeats_nothing(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    env = {
        "REELWAY_CATALOG": str(_tiny_catalog(tmp_path / "catalog.toml")),
        "REELWAY_ENGINE_OPTIONS": json.dumps({"animatic": {"fps": 12}}),
        "REELWAY_LEASE_SECONDS": "2",
        "REELWAY_HEARTBEAT_SECONDS": "0.5",
        "REELWAY_REAP_INTERVAL_SECONDS": "0.5",
        "REELWAY_CLAIM_POLL_SECONDS": "0.1",
        "REELWAY_MAX_ATTEMPTS": "20",
        "REELWAY_PROJECT_QUEUE_LIMIT": str(JOBS),
        "REELWAY_WORKERS": "0",
        # The queue is what is under test; files stay local so the run stays short.
        "REELWAY_STORAGE_URL": str(tmp_path / "files"),
    }
    api = harness.Server(deployment, env)
    processes.append(api)
    auth = {"Authorization": f"Bearer {api.create_key('chaos')}"}
    with httpx.Client(base_url=api.base_url, headers=auth, timeout=30) as client:
        created = [
            client.post("/videos", json={"prompt": f"shot {n}", "model": "tiny"}).json()["id"]
            for n in range(JOBS)
        ]
        assert len(set(created)) == JOBS

        def start_worker() -> harness.WorkerProcess:
            worker = harness.WorkerProcess(deployment, env)
            processes.append(worker)
            return worker

        workers = [start_worker() for _ in range(WORKERS)]
        everyone = list(workers)
        kills = 0
        rng = random.Random(7)
        started = time.monotonic()
        next_kill = started + KILL_EVERY_SECONDS
        while True:
            counts = {str(status): int(str(n)) for status, n in api_status_counts(deployment)}
            if counts.get("succeeded", 0) + counts.get("failed", 0) == JOBS:
                break
            assert time.monotonic() - started < LIMIT_SECONDS, counts
            if time.monotonic() >= next_kill:
                victim = rng.randrange(WORKERS)
                workers[victim].kill()
                kills += 1
                workers[victim] = start_worker()
                everyone.append(workers[victim])
                next_kill = time.monotonic() + KILL_EVERY_SECONDS
            time.sleep(0.2)
        for worker in workers:
            assert worker.terminate() == 0

        assert kills >= 3, "the run was too short to kill anything"
        videos = _all_videos(client)
        statuses = collections.Counter(v["status"] for v in videos)
        errors = collections.Counter(str(v["error"]) for v in videos if v["error"])
        assert statuses == {"completed": JOBS}, (statuses, errors)
    completions = collections.Counter(
        match for w in everyone for match in COMPLETED.findall(w.output)
    )
    # A worker killed between its commit and its log line leaves no line, so the log
    # can only prove "never twice"; the usage rows below prove "exactly once".
    assert set(completions) <= set(created)
    assert max(completions.values()) == 1, "no job was completed twice"
    usage = deployment.query("SELECT video_id, count(*) FROM usage GROUP BY video_id")
    assert len(usage) == JOBS and {n for _, n in usage} == {1}, "usage recorded once per job"
    charges = deployment.query(
        "SELECT state, outcome, COUNT(*) FROM charges GROUP BY state, outcome"
    )
    assert [tuple(c) for c in charges] == [("settled", "completed", JOBS)], "charged once each"
    (spent,) = deployment.query("SELECT SUM(credits_spent), SUM(credits_reserved) FROM balances")
    (charged,) = deployment.query("SELECT SUM(credits_charged) FROM charges")
    assert tuple(spent) == (charged[0], 0), "balances agree with the ledger; nothing left held"
    # Every process runs a reaper, the API server's included: whichever reaper saw a killed
    # worker's lease lapse first requeued its job.
    requeued = sum(len(REQUEUED.findall(p.output)) for p in [api, *everyone])
    assert requeued > 0, "no killed worker's job was ever taken over"


def api_status_counts(deployment: backends.Deployment) -> list[tuple[object, ...]]:
    return deployment.query("SELECT status, count(*) FROM videos GROUP BY status")


def _all_videos(client: httpx.Client) -> list[dict[str, object]]:
    videos: list[dict[str, object]] = []
    after = None
    while True:
        params: dict[str, str | int] = {"limit": 100, "order": "asc"}
        if after:
            params["after"] = after
        page = client.get("/videos", params=params).json()
        videos.extend(page["data"])
        if not page["has_more"]:
            return videos
        after = str(page["last_id"])
