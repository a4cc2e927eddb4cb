"""What webhooks and metrics cost, against baselines measured in the same run (SQLite).

1. A job's end (``QueueStore.complete``: status, usage, charge, metric totals) for a project
   with three webhook endpoints subscribed (the event and three outbox rows are written in
   the same transaction) against the same for a project with none.  Target: at most 1.5x.
2. Delivering 200 events through the real dispatcher (claim under a lease, sign, POST,
   record the outcome) to a receiver on loopback, against POSTing the same 200 bodies with
   httpx at the same concurrency.  Target: at most 3x (two database writes per event).
3. Rendering ``/metrics`` from a database holding 2,000 finished videos of 4 models on 3
   engines, against reading one video by id.  No target: the absolute time is what matters
   to a scraper every 15 s.

Run: ``.venv/bin/python -m bench.bench_operations``
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from pathlib import Path

import httpx
from tests.fakes.receiver import Receiver

from reelway import catalog, jobs, metrics
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.observe import ObserveStore
from reelway.store.queue import QueueStore
from reelway.store.videos import NewVideo, VideoStore
from reelway.store.webhooks import WebhookStore
from reelway.webhooks.dispatcher import Dispatcher

JOBS = 300
EVENTS = 200
FINISHED = 2_000
CONCURRENCY = 8


def _video(project_id: str, n: int, model: str = "sora-2") -> NewVideo:
    return NewVideo(
        id=f"video_{project_id[-6:]}_{n:06d}",
        project_id=project_id,
        model=model,
        catalog_model=model,
        prompt="bench",
        size="720x1280",
        seconds="4",
        seed=n,
        input_reference=None,
        request_id=None,
    )


async def _open(folder: Path) -> Database:
    db = Database(f"sqlite:///{folder / 'bench.db'}")
    await db.migrate()
    return db


async def _end_jobs(
    videos: VideoStore, queue: QueueStore, project_id: str, count: int, offset: int = 0
) -> list[float]:
    for n in range(count):
        await videos.insert(_video(project_id, offset + n))
    times = []
    for _ in range(count):
        job = await queue.claim("bench", 60)
        assert job is not None and job.lease_token is not None
        started = time.perf_counter()
        await queue.complete(job.id, job.lease_token, "animatic", {})
        times.append(time.perf_counter() - started)
    return times


async def job_end_section(folder: Path) -> None:
    db = await _open(folder)
    try:
        keys = KeyStore(db)
        quiet, _ = await keys.ensure_project("quiet")
        busy, _ = await keys.ensure_project("busy")
        hooks = WebhookStore(db)
        for n in range(3):
            await hooks.create(
                busy.id, f"we_{n}", f"h{n}", f"http://127.0.0.1:9/{n}", ["video.completed"], "s"
            )
        videos, queue = VideoStore(db), QueueStore(db)
        baseline: list[float] = []
        measured: list[float] = []
        for round_ in range(3):  # alternate, so both see the same machine noise
            baseline += await _end_jobs(videos, queue, quiet.id, JOBS // 3, round_ * JOBS)
            measured += await _end_jobs(videos, queue, busy.id, JOBS // 3, round_ * JOBS)
        base, with_hooks = statistics.median(baseline), statistics.median(measured)
        ratio = with_hooks / base
        print("1. a job's end, median of", len(measured))
        print(f"   no endpoints (baseline)        {base * 1000:7.3f} ms")
        print(
            f"   3 endpoints subscribed         {with_hooks * 1000:7.3f} ms  {ratio:5.2f}x  "
            f"(target <= 1.5x) {'ok' if ratio <= 1.5 else 'FAIL'}"
        )
    finally:
        await db.close()


async def delivery_section(folder: Path) -> None:
    db = await _open(folder)
    receiver = Receiver()
    try:
        project, _ = await KeyStore(db).ensure_project("hooks")
        hooks = WebhookStore(db)
        await hooks.create(
            project.id,
            "we_bench",
            "bench",
            receiver.url("bench"),
            ["video.completed"],
            "whsec_QQ==",
        )
        videos, queue = VideoStore(db), QueueStore(db)
        await _end_jobs(videos, queue, project.id, EVENTS)
        bodies = [c.delivery.payload for c in await hooks.claim("peek", EVENTS, 0.001)]
        await asyncio.sleep(0.01)  # the peek's leases lapse; the dispatcher reclaims them

        async with httpx.AsyncClient() as client:
            slots = asyncio.Semaphore(CONCURRENCY)

            async def post(body: str) -> None:
                async with slots:
                    (await client.post(receiver.url("raw"), content=body)).raise_for_status()

            started = time.perf_counter()
            await asyncio.gather(*(post(b) for b in bodies))
            raw = time.perf_counter() - started

        dispatcher = Dispatcher(
            hooks, concurrency=CONCURRENCY, timeout_seconds=5, poll_seconds=0.05, allow_private=True
        )
        stopping = asyncio.Event()
        started = time.perf_counter()
        task = asyncio.create_task(dispatcher.run(stopping))
        await asyncio.to_thread(receiver.wait_for, "bench", None, EVENTS, 120)
        delivered = time.perf_counter() - started
        stopping.set()
        await task
        ratio = delivered / raw
        print(f"2. delivering {EVENTS} events, {CONCURRENCY} at once")
        print(f"   bare httpx POSTs (baseline)    {raw * 1000:7.1f} ms  ({EVENTS / raw:6.0f}/s)")
        print(
            f"   dispatcher (claim/sign/record) {delivered * 1000:7.1f} ms  "
            f"({EVENTS / delivered:6.0f}/s)  {ratio:5.2f}x  "
            f"(target <= 3x) {'ok' if ratio <= 3 else 'FAIL'}"
        )
    finally:
        receiver.close()
        await db.close()


async def scrape_section(folder: Path) -> None:
    db = await _open(folder)
    try:
        project, _ = await KeyStore(db).ensure_project("scrape")
        videos, queue = VideoStore(db), QueueStore(db)
        models = ["sora-2", "sora-2-pro", "tiny", "remote"]
        engines = ["animatic", "runway", "veo"]
        for n in range(FINISHED):
            await videos.insert(_video(project.id, n, models[n % 4]))
            job = await queue.claim("bench", 60)
            assert job is not None and job.lease_token is not None
            if n % 5:
                await queue.complete(job.id, job.lease_token, engines[n % 3], {})
            else:
                error = jobs.JobError(["upstream_timeout", "engine_runtime_error"][n % 2], "x")
                await queue.fail(job.id, job.lease_token, error, engine=engines[n % 3])
        exporter = metrics.Exporter(
            ObserveStore(db), catalog.load(None), metrics.ProcessMetrics(), reap_interval_seconds=5
        )
        some_id = _video(project.id, FINISHED // 2, models[(FINISHED // 2) % 4]).id
        reads, scrapes = [], []
        size = 0
        for _ in range(30):
            started = time.perf_counter()
            await videos.get(some_id)
            reads.append(time.perf_counter() - started)
            started = time.perf_counter()
            size = len(await exporter.render())
            scrapes.append(time.perf_counter() - started)
        read, scrape = statistics.median(reads), statistics.median(scrapes)
        print(f"3. /metrics over {FINISHED} finished videos ({size} bytes)")
        print(f"   one video by id (baseline)     {read * 1000:7.3f} ms")
        print(f"   render the exposition          {scrape * 1000:7.3f} ms  {scrape / read:6.1f}x")
    finally:
        await db.close()


def main() -> None:
    print("Operations: webhooks and metrics (SQLite)")
    with tempfile.TemporaryDirectory() as folder:
        for number, section in enumerate((job_end_section, delivery_section, scrape_section)):
            path = Path(folder) / str(number)
            path.mkdir()
            asyncio.run(section(path))


if __name__ == "__main__":
    main()
