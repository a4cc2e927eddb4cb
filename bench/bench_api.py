"""API create throughput: ``POST /v1/videos`` against a bare Starlette JSON endpoint, same run.

Both servers run as single uvicorn processes (uvloop + httptools, no access log) on loopback,
driven by the same load generator (``bench/servers.py``).  Reelway runs with ``--workers 0``
so rendering does not compete for the CPU; the numbers are the API path: auth, parsing,
validation, admission, the insert, JSON.  Reads (retrieve, list, content) are measured in
``bench/bench_reads.py``.

Creates are measured three ways: by the default project (unlimited, no plan, no budget), and
with accounts on (a project with a tier whose windows are counted, a plan whose credits are
held and a budget, made with ``reelway projects create``) on SQLite and on a fresh PostgreSQL
database (skipped, and said so, when none is reachable).
"""

from __future__ import annotations

import statistics
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from tests import backends

from bench import loadgen, servers

SECONDS = 2.0
ROUNDS = 7
CONNECTIONS = 16
TARGET = 0.25
CREATE_FIELDS = {
    "prompt": "a calico cat walks along a beach at sunset",
    "model": "sora-2",
    "size": "1280x720",
    "seconds": "8",
}
# Limits the bench's load never reaches, so that every create is counted and none refused.
PLANS = """
default_tier = "unlimited"

[tiers.unlimited]
priority = 0

[tiers.bench]
description = "Counted in both windows, never refused by the benchmark's load"
requests_per_minute = 2000000000
requests_per_day = 2000000000
priority = 10

[plans.bench]
description = "More credits than the benchmark can spend"
monthly_credits = 1000000000000000
relaxed = false
"""
ACCOUNT = ("--tier", "bench", "--plan", "bench", "--budget-usd", "100000000000")


@contextmanager
def _postgres() -> Iterator[str | None]:
    """A fresh PostgreSQL database's URL (dropped afterwards), or None when none is reachable."""
    if backends.postgres_missing() is not None:
        yield None
        return
    name, url = backends.create_database()
    try:
        yield url
    finally:
        backends.drop_database(name)


def main() -> None:
    print(f"API create ({CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS:g}s, median)")
    requests: dict[str, tuple[servers.Server, bytes]] = {}
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        folder = Path(tmp)
        plans = folder / "plans.toml"
        plans.write_text(PLANS)
        env = {"REELWAY_PLANS": str(plans)}
        bare = stack.enter_context(servers.process(servers.bare_cmd(), folder / "bare.log"))
        requests["bare"] = (bare, loadgen.get("/v1/videos/video_x", servers.HOST))
        data = folder / "sqlite"
        rw = stack.enter_context(servers.process(servers.reelway_cmd(data), folder / "rw.log", env))
        for name, key in (
            ("create, default project", rw.development_key()),
            ("create, accounts, SQLite", servers.project_key(data, "bench", *ACCOUNT, env=env)),
        ):
            auth = {"Authorization": f"Bearer {key}"}
            requests[name] = (
                rw,
                loadgen.post_multipart("/v1/videos", servers.HOST, CREATE_FIELDS, auth),
            )
        url = stack.enter_context(_postgres())
        if url is not None:
            pg_env = {**env, "REELWAY_DATABASE_URL": url}
            pg_data = folder / "pg"
            servers.reelway_cli("migrate", "--data-dir", str(pg_data), env=pg_env)
            pg = stack.enter_context(
                servers.process(servers.reelway_cmd(pg_data), folder / "pg.log", pg_env)
            )
            key = servers.project_key(pg_data, "bench", *ACCOUNT, env=pg_env)
            auth = {"Authorization": f"Bearer {key}"}
            requests["create, accounts, PostgreSQL"] = (
                pg,
                loadgen.post_multipart("/v1/videos", servers.HOST, CREATE_FIELDS, auth),
            )
        measured = servers.alternate(
            requests, rounds=ROUNDS, connections=CONNECTIONS, seconds=SECONDS
        )
    baseline = measured.pop("bare")
    bare_rate = statistics.median(m.rate for m in baseline)
    bare_cpu = statistics.median(m.cpu_ms for m in baseline)
    print(
        f"  {'bare Starlette JSON':30} {bare_rate:9.0f} req/s  {bare_cpu:6.3f} CPU ms/req "
        "(baseline)"
    )
    for name, found in measured.items():
        rate = statistics.median(m.rate for m in found)
        cpu = statistics.median(m.cpu_ms for m in found)
        ratio = rate / bare_rate
        print(
            f"  {name:30} {rate:9.0f} req/s  {cpu:6.3f} CPU ms/req "
            f"{ratio:5.2f}x baseline (target >= {TARGET}x) {servers.verdict(ratio, TARGET)}"
        )
    if "create, accounts, PostgreSQL" not in measured:
        print(f"  create, accounts, PostgreSQL: skipped: {backends.postgres_missing()}")


if __name__ == "__main__":
    main()
