"""Chaos for storyboards: worker processes are SIGKILLed while a 10-shot storyboard renders.

Shots are plain jobs and the storyboard's coordinator holds only a lease, so a killed worker's
shots and storyboard are taken over by the others: the storyboard completes at its full
length, and every shot is charged exactly once (the storyboard itself nothing).
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import av
import httpx
import pytest

from tests import backends, harness

SHOTS = 10
WORKERS = 2
KILL_AFTER_SHOTS = (0, 3, 6)
"""A worker is killed while a shot renders: at once, then after 3 and 6 shots are done."""
LIMIT_SECONDS = 150
TRANSITIONS = ("cut", "crossfade", "continue")

pytestmark = pytest.mark.slow


def _tiny_catalog(path: Path) -> Path:
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."tiny"]\nsizes = ["256x144"]\nseconds = [4]\ndefault_size = "256x144"\n'
        'default_seconds = 4\ncapabilities = ["image_input"]\nroute = ["animatic"]\n'
        '[models."tiny".price_per_second]\n"480p" = 0.01\n'
    )
    return path


@pytest.mark.timeout(LIMIT_SECONDS + 120)
def test_killing_workers_mid_storyboard_loses_and_repeats_nothing(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    env = {
        "REELWAY_CATALOG": str(_tiny_catalog(tmp_path / "catalog.toml")),
        "REELWAY_ENGINE_OPTIONS": json.dumps({"animatic": {"fps": 12}}),
        "REELWAY_LEASE_SECONDS": "2",
        "REELWAY_HEARTBEAT_SECONDS": "0.5",
        "REELWAY_REAP_INTERVAL_SECONDS": "0.5",
        "REELWAY_CLAIM_POLL_SECONDS": "0.1",
        "REELWAY_STORYBOARD_POLL_SECONDS": "0.1",
        "REELWAY_MAX_ATTEMPTS": "30",
        "REELWAY_WORKERS": "0",
        "REELWAY_STORAGE_URL": str(tmp_path / "files"),
    }
    api = harness.Server(deployment, env)
    processes.append(api)
    auth = {"Authorization": f"Bearer {api.create_key('chaos')}"}
    shots = [
        {"prompt": f"shot {n}: a lighthouse", "seconds": "4", "transition": TRANSITIONS[n % 3]}
        for n in range(SHOTS)
    ]
    body = {"model": "tiny", "size": "256x144", "soundtrack": "per_shot", "shots": shots}
    with httpx.Client(base_url=api.base_url, headers=auth, timeout=30) as client:
        made = client.post("/videos/storyboards", json=body)
        assert made.status_code == 200, made.text
        board = made.json()["id"]

        def start_worker() -> harness.WorkerProcess:
            worker = harness.WorkerProcess(deployment, env)
            processes.append(worker)
            return worker

        workers = [start_worker() for _ in range(WORKERS)]
        rng = random.Random(11)
        kills = 0
        # Kill by progress, not by the clock: a fast machine finishes ten small shots
        # before a timer fires twice.  A worker dies while a shot is rendering, at the
        # start and again once some shots are done (its coordinator, perhaps, too).
        milestones = list(KILL_AFTER_SHOTS)
        started = time.monotonic()
        while True:
            video = client.get(f"/videos/{board}").json()
            if video["status"] in ("completed", "failed"):
                break
            assert time.monotonic() - started < LIMIT_SECONDS, video
            listed = client.get(f"/videos/{board}/shots").json()["data"]
            done = sum(1 for s in listed if s["status"] == "completed")
            rendering = any(s["status"] == "in_progress" for s in listed)
            if milestones and done >= milestones[0] and rendering:
                milestones.pop(0)
                victim = rng.randrange(WORKERS)
                workers[victim].kill()
                kills += 1
                workers[victim] = start_worker()
            time.sleep(0.05)
        for worker in workers:
            assert worker.terminate() == 0
        assert video["status"] == "completed", video
        assert kills >= 2, "the run was too short to kill anything"
        content = client.get(f"/videos/{board}/content")
        assert content.status_code == 200
        listed = client.get(f"/videos/{board}/shots").json()["data"]
        assert [s["status"] for s in listed] == ["completed"] * SHOTS, listed
    result = tmp_path / "board.mp4"
    result.write_bytes(content.content)
    with av.open(str(result)) as container:
        frames = sum(1 for _ in container.decode(video=0))
    assert frames == SHOTS * 4 * 12, frames  # every shot in full, nothing twice

    charges = deployment.query(
        "SELECT video_id, state, outcome, credits_charged FROM charges ORDER BY video_id"
    )
    assert len(charges) == SHOTS and board not in {c[0] for c in charges}
    assert {tuple(c[1:]) for c in charges} == {("settled", "completed", 16)}, charges
    usage = deployment.query("SELECT video_id, count(*) FROM usage GROUP BY video_id")
    assert len(usage) == SHOTS and {n for _, n in usage} == {1}, "usage once per shot"
    (spent,) = deployment.query("SELECT SUM(credits_spent), SUM(credits_reserved) FROM balances")
    assert tuple(spent) == (16 * SHOTS, 0), "nothing left held, each shot charged once"
