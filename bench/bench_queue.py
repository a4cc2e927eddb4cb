"""The queue: claim latency as PostgreSQL's queue grows, and a job's end-to-end overhead.

1. ``QueueStore.claim`` (the real store code, asyncpg) with 1k, 100k and 1M queued jobs in a
   scratch database that grows between sizes, timed in rounds that alternate with a second
   scratch database kept at 1k queued jobs: the baseline, measured under the same machine
   noise.  Target: p99 at 1M < 2x p99 at 1k (``ix_videos_claim`` should make a claim cost
   the same at any depth).  A first run on a never-ANALYZEd table checks that each claim
   takes exactly one row (infra notes §8.1), and EXPLAIN shows the plan at 1M.
2. create -> completed through a real ``reelway serve`` (one worker slot) with a zero-length
   engine (``bench.null_engine``), on SQLite and on PostgreSQL, next to a plain retrieve
   round trip on the same server, and split into phases.  No target.

Run: ``.venv/bin/python -m bench.bench_queue``
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
import sqlalchemy as sa
from tests import backends, harness

from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.queue import QueueStore

ROOT = Path(__file__).resolve().parent.parent
SIZES = {1_000: "1k", 100_000: "100k", 1_000_000: "1M"}
FIRST, LAST = min(SIZES), max(SIZES)
ROUNDS = 9
CLAIMS = 100  # per round; the queue is topped up to size + CLAIMS/2 before each round
WARMUP_CLAIMS = 20  # untimed, after each ANALYZE
PLAN_LINES = 8
FILL_BATCH = 1_000  # rows per INSERT: the trigger's counter row makes big ones quadratic
TARGET_RATIO = 2.0
JOBS = 100
WARMUP_JOBS = 5
RETRIEVES = 200

FILL = """
INSERT INTO videos (id, project_id, model, catalog_model, prompt, size, seconds, seed,
    input_reference, request_id, status, progress, created_at,
    priority, run_at, deadline_at, attempts, max_attempts, cancel_requested)
SELECT 'video_bench_' || g, %(project)s, 'sora-2', 'sora-2',
    'a calico cat walks along a beach at sunset, take ' || g, '1280x720', '8', g %% 2147483647,
    NULL, 'req_bench_' || g, 'queued', 0, t.at,
    CASE WHEN g %% 10 < 7 THEN 0 WHEN g %% 10 < 9 THEN 1 ELSE 2 END,
    t.at, t.at + 3600, 0, 3, false
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g,
    LATERAL (SELECT %(now)s::float8 - 3000 + (g * 7919 %% 3000000) / 1000.0 AS at) AS t
"""


def _dsn(database: str) -> str:
    return (
        f"host={backends.PG_HOST} port={backends.PG_PORT} user={backends.PG_USER} dbname={database}"
    )


@contextmanager
def _scratch_database() -> Iterator[tuple[str, str]]:
    """(name, reelway URL) of a new empty database, dropped afterwards whatever happens."""
    name, url = backends.create_database()
    try:
        yield name, url
    finally:
        backends.drop_database(name)


def _p(samples: list[float], q: int) -> float:
    """The q-th percentile (q in 1..99)."""
    return statistics.quantiles(samples, n=100)[q - 1]


# ---------------------------------------------------------------------- 1. claim latency


class _Queue:
    """One scratch database's queue: the store under test, and psycopg beside it to fill it."""

    def __init__(self, database: str, url: str) -> None:
        self.db = Database(url)
        self.store = QueueStore(self.db)
        self.conn = psycopg.connect(_dsn(database), autocommit=True)
        self.project_id = ""
        self.next = 1
        self.claimed = 0

    async def open(self) -> None:
        await self.db.migrate()
        self.project_id = (await KeyStore(self.db).ensure_project("bench"))[0].id

    async def close(self) -> None:
        self.conn.close()
        await self.db.close()

    def scalar(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = self.conn.execute(sql, params).fetchone()
        return None if row is None else row[0]

    def queued(self) -> int:
        """Queued rows, as the trigger-kept counter says."""
        sql = "SELECT queued FROM queue_counts WHERE project_id = %s"
        return int(self.scalar(sql, (self.project_id,)) or 0)

    def top_up(self, target: int) -> None:
        """Insert rows until ``target`` are queued (autocommit: one transaction a batch)."""
        missing, now = target - self.queued(), time.time()
        while missing > 0:
            count = min(missing, FILL_BATCH)
            last = self.next + count - 1
            self.conn.execute(
                FILL, {"project": self.project_id, "first": self.next, "last": last, "now": now}
            )
            self.next, missing = self.next + count, missing - count

    def settle(self) -> None:
        """ANALYZE, and leave no bulk-load debt (autovacuum, checkpoint) to stall the timing."""
        self.conn.execute("VACUUM (ANALYZE) videos")
        self.conn.execute("CHECKPOINT")

    async def claims(self, n: int) -> list[float]:
        """Milliseconds per ``QueueStore.claim``; each must return a job."""
        samples = []
        for _ in range(n):
            start = time.perf_counter()
            video = await self.store.claim("bench", 30)
            samples.append((time.perf_counter() - start) * 1000)
            if video is None:
                raise RuntimeError("a claim found no job although the queue was full")
        self.claimed += n
        return samples

    def check_running(self) -> str:
        running = int(self.scalar("SELECT count(*) FROM videos WHERE status = 'running'"))
        if running != self.claimed:
            raise AssertionError(f"{self.claimed} claims left {running} rows running")
        return f"{running} rows running = {self.claimed} claims"


async def _claim_plan(queue: _Queue) -> list[str]:
    """EXPLAIN ANALYZE (rolled back) of the statement ``QueueStore.claim`` really sends."""
    sent: list[tuple[str, Any]] = []

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *rest: Any) -> None:
        if statement.lstrip().upper().startswith("WITH PICK"):
            sent.append((statement, params))

    sa.event.listen(sa.engine.Engine, "before_cursor_execute", capture)
    try:
        await queue.claims(1)
    finally:
        sa.event.remove(sa.engine.Engine, "before_cursor_execute", capture)
    if not sent:
        return ["(the claim statement was not seen)"]
    statement, params = sent[-1]
    explain = "EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + statement
    return await queue.db.read(
        lambda conn: [str(r[0]) for r in conn.exec_driver_sql(explain, params)]
    )


def _line(label: str, rounds: list[list[float]], tail: str = "") -> tuple[float, float]:
    """Print (and return) p50 and p99; p99 is the median of the rounds' p99s, which one
    stray stall (a checkpoint, another process) moves little."""
    pooled = [x for r in rounds for x in r]
    p50, p99 = statistics.median(pooled), statistics.median(_p(r, 99) for r in rounds)
    print(
        f"  {label:17} p50 {p50:5.2f} ms  p99 {p99:5.2f} ms  (pooled p99 "
        f"{_p(pooled, 99):5.2f}, max {max(pooled):5.1f})  n={len(pooled)}  {tail}".rstrip(),
        flush=True,
    )
    return p50, p99


async def _claim_latency(big_db: tuple[str, str], small_db: tuple[str, str]) -> None:
    queues: list[_Queue] = []  # each holds connections from its construction on
    try:
        for database in (big_db, small_db):
            queues.append(_Queue(*database))
            await queues[-1].open()
        await _grow(*queues)
    finally:
        for queue in queues:
            await queue.close()


async def _grow(big: _Queue, small: _Queue) -> None:
    """``big`` grows through SIZES; ``small`` stays at the first size, timed alternately."""
    half = CLAIMS // 2
    # Never ANALYZEd: the planner guesses, and a claim must still take exactly one row.
    big.top_up(FIRST + half)
    reltuples = big.scalar("SELECT reltuples FROM pg_class WHERE relname = 'videos'")
    await big.claims(WARMUP_CLAIMS)  # first use: statement compile, asyncpg prepare
    fresh = await big.claims(CLAIMS)
    note = f"reltuples={reltuples:g}: every claim got a job, {big.check_running()}, OK"
    _line(f"{SIZES[FIRST]}, no ANALYZE", [fresh], note)
    small.top_up(FIRST + half)
    small.settle()
    for size in SIZES:
        start, before = time.perf_counter(), big.next
        big.top_up(size + half)
        big.settle()
        print(
            f"  ... {big.next - before:,} rows inserted, VACUUM (ANALYZE), CHECKPOINT in "
            f"{time.perf_counter() - start:.1f} s; {big.queued():,} queued",
            flush=True,
        )
        for queue in (big, small):
            await queue.claims(WARMUP_CLAIMS)  # the first claims after ANALYZE re-plan
        big_rounds, small_rounds = [], []
        for _ in range(ROUNDS):
            small.top_up(FIRST + half)
            small_rounds.append(await small.claims(CLAIMS))
            big.top_up(size + half)
            big_rounds.append(await big.claims(CLAIMS))
        big.check_running()
        small.check_running()
        measured = _line(f"{SIZES[size]} queued", big_rounds)
        baseline = _line(f"  {SIZES[FIRST]} alongside", small_rounds, "(baseline)")
        ratio = measured[1] / baseline[1]
        verdict = "PASS" if ratio < TARGET_RATIO else "FAIL"
        target = f" (target < {TARGET_RATIO}) {verdict}" if size == LAST else ""
        print(
            f"  {'':17} {SIZES[size]} / {SIZES[FIRST]}: p50 {measured[0] / baseline[0]:4.2f}x, "
            f"p99 {ratio:4.2f}x{target}",
            flush=True,
        )
    plan = await _claim_plan(big)
    uses = any("ix_videos_claim" in line for line in plan)
    print(f"  plan at {SIZES[LAST]} (EXPLAIN ANALYZE, rolled back): ", end="")
    print("uses ix_videos_claim" if uses else "does NOT use ix_videos_claim")
    for line in [line for line in plan if "Buffers:" not in line][:PLAN_LINES]:
        print(f"    {line.strip()}")


def claim_section() -> None:
    print(
        f"Claim latency on PostgreSQL (QueueStore.claim via asyncpg; per size {ROUNDS} rounds "
        f"of {CLAIMS} sequential claims after {WARMUP_CLAIMS} untimed, alternating with a "
        f"{SIZES[FIRST]} queue in a second database; queues topped up to size+{CLAIMS // 2} "
        "each round; p99 = median of the rounds' p99s)"
    )
    reason = backends.postgres_missing()
    if reason is not None:
        print(f"  skipped: {reason}")
        return
    with _scratch_database() as big, _scratch_database() as small:
        asyncio.run(_claim_latency(big, small))


# ---------------------------------------------------------------------- 2. end to end


def _catalog(path: Path) -> Path:
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."null"]\nsizes = ["320x180"]\nseconds = [1]\ndefault_size = "320x180"\n'
        'default_seconds = 1\nroute = ["bench.null_engine:NullEngine"]\n'
        '[models."null".price_per_second]\n"480p" = 0.01\n'
    )
    return path


def _one_job(client: httpx.Client) -> tuple[str, float, float]:
    """(id, wall clock at the first GET that says completed, ms from the POST response)."""
    created = client.post("/videos", files={"prompt": (None, "nothing"), "model": (None, "null")})
    created.raise_for_status()
    start = time.perf_counter()
    video_id = created.json()["id"]
    while True:
        status = client.get(f"/videos/{video_id}").json()["status"]
        if status == "completed":
            return video_id, time.time(), (time.perf_counter() - start) * 1000
        if status not in ("queued", "in_progress") or time.perf_counter() - start > 30:
            raise RuntimeError(f"{video_id} ended {status!r}")
        time.sleep(0.01)


def _retrieves(client: httpx.Client, video_id: str, n: int) -> list[float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        client.get(f"/videos/{video_id}").raise_for_status()
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def _phases(
    runs: list[tuple[str, float, float]], found: list[Any], files: Path
) -> dict[str, list[float]]:
    """Where each job's time went: database timestamps, and the engine's stamp in storage."""
    rows = {row[0]: row[1:] for row in found}
    marks = []
    for video_id, seen, _ in runs:
        created, claimed, completed = rows[video_id]
        ran = float(next((files / "videos" / video_id).glob("*/video.mp4")).read_text())
        marks.append((created, claimed, ran, completed, seen))
    names = (
        "created -> claimed (worker woken by the create)",
        "claimed -> engine ran (render child start)",
        "engine ran -> completed (child's report, files, fenced update)",
        "completed -> seen by a GET (10 ms polling)",
    )
    return {name: [(m[n + 1] - m[n]) * 1000 for m in marks] for n, name in enumerate(names)}


def _end_to_end(label: str, deployment: backends.Deployment, env: dict[str, str]) -> None:
    print(f"  {label}: starting reelway serve, {WARMUP_JOBS} warm-up jobs ...", flush=True)
    server = harness.Server(deployment, env)
    try:
        auth = {"Authorization": f"Bearer {server.dev_key}"}
        with httpx.Client(base_url=server.base_url, headers=auth, timeout=30) as client:
            for _ in range(WARMUP_JOBS):
                _one_job(client)
            last = _one_job(client)[0]
            baseline = _retrieves(client, last, RETRIEVES // 2)
            runs = [_one_job(client) for _ in range(JOBS)]
            baseline += _retrieves(client, last, RETRIEVES // 2)
    finally:
        server.terminate()
    ids = ",".join(f"'{run[0]}'" for run in runs)  # server-made ids: video_<hex>
    found = deployment.query(
        f"SELECT id, created_at, started_at, completed_at FROM videos WHERE id IN ({ids})"
    )
    files = Path(
        {**deployment.env, **env}.get("REELWAY_STORAGE_URL", deployment.data_dir / "files")
    )
    phases = _phases(runs, found, files)
    total = [run[2] for run in runs]
    get_p50, p50 = statistics.median(baseline), statistics.median(total)
    print(
        f"    GET /v1/videos/{{id}} round trip  p50 {get_p50:6.2f} ms  n={len(baseline)} (baseline)"
    )
    print(
        f"    create -> completed             p50 {p50:6.2f} ms  "
        f"p90 {statistics.quantiles(total, n=10)[8]:6.2f} ms  n={len(total)}  "
        f"= {p50 / get_p50:.0f}x a retrieve round trip"
    )
    for name, values in phases.items():
        print(f"      {name:66} p50 {statistics.median(values):6.2f} ms")
    print(f"      dominated by: {max(phases, key=lambda k: statistics.median(phases[k]))}")


def end_to_end_section() -> None:
    print(
        f"End to end: create -> completed with a zero-length engine ({JOBS} sequential jobs "
        "per backend, 1 worker slot, GET every 10 ms; no target)"
    )
    with tempfile.TemporaryDirectory(prefix="reelway-bench-") as tmp:
        env = {
            "PYTHONPATH": str(ROOT),  # the server's render children import bench.null_engine
            "REELWAY_WORKERS": "1",
            "REELWAY_POLL_AFTER_MS": "50",
            "REELWAY_CATALOG": str(_catalog(Path(tmp) / "catalog.toml")),
        }
        _end_to_end("SQLite", backends.Deployment("sqlite", Path(tmp) / "sqlite"), env)
        reason = backends.postgres_missing()
        if reason is not None:
            print(f"  PostgreSQL: skipped: {reason}")
            return
        with _scratch_database() as (name, url):
            files = str(Path(tmp) / "pg-files")  # local storage: the figure is about the queue
            pg_env = {"REELWAY_DATABASE_URL": url, "REELWAY_STORAGE_URL": files}
            deployment = backends.Deployment("postgres", Path(tmp) / "pg", pg_env, name)
            _end_to_end("PostgreSQL (local-directory storage)", deployment, env)


def main() -> None:
    started = time.perf_counter()
    claim_section()
    print()
    end_to_end_section()
    print(f"(bench_queue took {time.perf_counter() - started:.0f} s)")


if __name__ == "__main__":
    main()
