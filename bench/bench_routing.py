"""Utilisation of an upstream rate limit: how close Reelway keeps to a provider's limit
without ever going over it.

A fake ``/v1/videos`` provider on loopback enforces N creates per sliding window of W
seconds (429 beyond it); Reelway's engine is configured with the same limit and given more
jobs than fit.  The baseline is the provider's limit itself: utilisation = the sustained
submit rate (submits after the first window's burst, over the time they took) divided by
N / W.  Target: >= 0.95 with zero upstream 429s.  W is 10 s instead of a minute so the run
takes half a minute; the code path is the one ``requests_per_minute`` uses.

Run: ``.venv/bin/python -m bench.bench_routing``
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from tests.fake_provider import REMOTE, catalog_for
from tests.fakes import server
from tests.fakes.openai import FakeOpenAI

from reelway import settings as settings_module
from reelway.runtime import Runtime
from reelway.service import Caller

REQUESTS, WINDOW = 20, 10.0
WINDOWS = 3
JOBS = REQUESTS * (WINDOWS + 1)
TARGET = 0.95
CLIP = b"\x00\x00\x00\x18ftypmp42"  # never downloaded: the bench stops at submit counts


async def _run(folder: Path) -> tuple[float, int, int, float]:
    provider = FakeOpenAI(CLIP, api_key="sk-bench", offer=REMOTE)
    provider.rate_limit = (REQUESTS, WINDOW)
    for _ in range(JOBS):
        provider.next_outcome(server.Outcome("never"))
    config = folder / "reelway.toml"
    config.write_text(
        f'[engines.p1]\ntype = "openai_compat"\nbase_url = "{provider.v1}"\n'
        f'api_key = "sk-bench"\nrate_limits = [{{requests = {REQUESTS}, seconds = {WINDOW}}}]\n'
        '[models."remote"]\nroute = ["p1"]\n'
    )
    settings = settings_module.from_env(
        {},
        data_dir=folder / "data",
        catalog=catalog_for("animatic", folder / "catalog.toml"),
        config=config,
        claim_poll_seconds=0.05,
        remote_poll_seconds=5.0,
        lease_seconds=60.0,
        project_queue_limit=JOBS,
    )
    runtime = await Runtime.open(settings, migrate=True)
    worker = runtime.worker(JOBS)
    try:
        project, _ = await runtime.keys.ensure_project("bench")
        caller = Caller(project_id=project.id, key_id="bench")
        for n in range(JOBS):
            await runtime.service.create(caller, {"prompt": f"shot {n}", "model": "remote"})
        await worker.start()
        deadline = time.monotonic() + WINDOW * (WINDOWS + 1.5)
        while provider.creates() < REQUESTS * (WINDOWS + 1) and time.monotonic() < deadline:  # noqa: ASYNC110 (the fake provider is in another thread)
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(1)
        await runtime.close()
        provider.close()
    times = sorted(at for at, endpoint, _ in provider.log if endpoint == "create")
    after_burst = len(times) - REQUESTS
    span = times[-1] - times[0]
    rate = after_burst / span if span > 0 else 0.0
    return rate / (REQUESTS / WINDOW), len(times), provider.answered[429], span


def main() -> None:
    print("upstream rate limit: submits per window vs the provider's limit")
    with tempfile.TemporaryDirectory() as folder:
        utilisation, submits, rejected, span = asyncio.run(_run(Path(folder)))
    verdict = "PASS" if utilisation >= TARGET and rejected == 0 else "FAIL"
    print(
        f"  limit {REQUESTS} per {WINDOW:g} s; {submits} submits over {span:.1f} s; "
        f"upstream 429s: {rejected}"
    )
    print(f"  utilisation {utilisation:.3f} of the limit (target >= {TARGET}): {verdict}")


if __name__ == "__main__":
    os.environ.setdefault("REELWAY_LOG_LEVEL", "warning")
    main()
