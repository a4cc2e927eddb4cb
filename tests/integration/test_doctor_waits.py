"""``reelway doctor`` says when and why a video waited after a worker first took it.

A rate-limited engine sends the second video back to the queue until its window has room;
the doctor used to report only the first claim ("started by a worker after 0.3 s in the
queue") for a video that really started rendering much later.
"""

from __future__ import annotations

import asyncio
import json
import time
from pathlib import Path

from click.testing import CliRunner, Result

from reelway import jobs
from reelway.cli.doctor import doctor
from reelway.service import Caller
from tests.backends import Deployment
from tests.fakes.openai import FakeOpenAI
from tests.integration.conftest import Open

WINDOW_SECONDS = 4


async def _doctor(deployment: Deployment, folder: Path, *args: str) -> Result:
    """The doctor with the deployment's config file and catalogue, as its operator runs it
    (the fixture wrote both into ``folder``)."""
    return await asyncio.to_thread(
        CliRunner().invoke,
        doctor,
        [*args, "--data-dir", str(deployment.data_dir), "--config", str(folder / "reelway.toml")],
        env={**deployment.env, "REELWAY_CATALOG": str(folder / "catalog.toml")},
    )


async def test_a_rate_limited_video_says_when_and_why_it_waited(
    open_runtime: Open,
    providers: tuple[FakeOpenAI, FakeOpenAI],
    deployment: Deployment,
    tmp_path: Path,
) -> None:
    rt = await open_runtime(
        ["p1"],
        p1_extra=f"rate_limits = [{{requests = 1, seconds = {WINDOW_SECONDS}}}]",
        route_passes=1,
    )
    project, _ = await rt.keys.ensure_project("waits")
    caller = Caller(project_id=project.id, key_id="k")
    first = await rt.service.create(caller, {"prompt": "a kite", "model": "remote"})
    second = await rt.service.create(caller, {"prompt": "a boat", "model": "remote"})
    worker = rt.worker(1)
    await worker.start()
    try:
        deadline = time.monotonic() + 60
        while True:
            videos = [await rt.videos.get(v.video.id) for v in (first, second)]
            if all(v is not None and v.is_terminal for v in videos):
                break
            assert time.monotonic() < deadline, videos
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(5)
    waited = await rt.videos.get(second.video.id)
    assert waited is not None and waited.status is jobs.JobStatus.SUCCEEDED, waited

    result = await _doctor(deployment, tmp_path, waited.id)
    assert result.exit_code == 0, result.output
    out = result.output
    assert "taken by a worker after" in out, out
    assert "back in the queue: the engine's rate or concurrency limit was reached" in out, out
    assert f"(p1: 1 request per {WINDOW_SECONDS} s)" in out, out
    assert "due again after waiting" in out, out
    assert out.index("back in the queue") < out.index("completed on p1")

    report = json.loads((await _doctor(deployment, tmp_path, waited.id, "--json")).output)
    events = [step["event"] for step in report["timeline"]]
    assert events == ["created", "started", "waiting", "due", "finished"], events
    wait = report["timeline"][2]
    assert wait["until"] == waited.run_at
    assert 0.5 < wait["waited_seconds"] <= WINDOW_SECONDS * 1.5, wait

    # The first video never waited: its story is unchanged.
    plain = json.loads((await _doctor(deployment, tmp_path, first.video.id, "--json")).output)
    assert [step["event"] for step in plain["timeline"]] == ["created", "started", "finished"]
    assert "started by a worker after" in plain["timeline"][1]["text"]
