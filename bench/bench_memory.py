"""The API process's memory: RSS after 100,000 creates and 100,000 retrieves against its RSS
after start-up (issue 20: within 1.5x).

Served as in ``bench/bench_api.py`` (``bench/servers.py``: SQLite, no render slots, so every
create stays queued); driven by the same load generator with a request budget.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import httpx

from bench import loadgen, servers

CREATES = 100_000
RETRIEVES = 100_000
CONNECTIONS = 16
TARGET = 1.5
"""Largest growth allowed: RSS at the end over RSS after start-up."""
MAX_SECONDS = 900.0
"""A bound on each phase, far above what it takes (a budget, not a timing)."""


def main() -> None:
    print(f"API memory ({CREATES:,} creates, then {RETRIEVES:,} retrieves, SQLite)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.process(servers.reelway_cmd(Path(tmp) / "data"), Path(tmp) / "rw.log") as rw,
    ):
        auth = {"Authorization": f"Bearer {rw.development_key()}"}
        base = f"http://{servers.HOST}:{rw.port}/v1/videos"
        first = httpx.post(base, headers=auth, files={"prompt": (None, "a cat")})
        first.raise_for_status()
        httpx.get(f"{base}/{first.json()['id']}", headers=auth).raise_for_status()
        started = servers.rss_bytes(rw.pid)
        print(f"  RSS after start-up (one create, one retrieve) {started / 2**20:8.1f} MiB")
        create = loadgen.post_multipart("/v1/videos", servers.HOST, {"prompt": "a cat"}, auth)
        made = servers.measure_many(
            [rw], create, connections=CONNECTIONS, seconds=MAX_SECONDS, total=CREATES
        )
        after_creates = servers.rss_bytes(rw.pid)
        print(
            f"  RSS after {CREATES:,} creates               {after_creates / 2**20:8.1f} MiB "
            f"({made.rate:.0f} req/s)"
        )
        last = httpx.get(f"{base}?limit=1", headers=auth).json()["data"][0]["id"]
        poll = loadgen.get(f"/v1/videos/{last}", servers.HOST, auth)
        polled = servers.measure_many(
            [rw], poll, connections=CONNECTIONS, seconds=MAX_SECONDS, total=RETRIEVES
        )
        ended = servers.rss_bytes(rw.pid)
        print(
            f"  RSS after {RETRIEVES:,} retrieves             {ended / 2**20:8.1f} MiB "
            f"({polled.rate:.0f} req/s)"
        )
        counted = httpx.get(f"{base}?limit=100", headers=auth).json()
        if len(counted["data"]) != 100:
            raise RuntimeError("the creates did not land")
    ratio = ended / started
    print(
        f"  growth                                      {ratio:8.2f}x start-up "
        f"(target <= {TARGET}x) {servers.verdict(ratio, TARGET, at_least=False)}"
    )


if __name__ == "__main__":
    main()
