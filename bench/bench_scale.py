"""Scale-out (information, no target): create and retrieve throughput of 1, 2 and 4 API
processes (``reelway serve --workers 0``, each on its own port) on one PostgreSQL database,
the load generator dealing its connections out across them.

On a 2-core machine the processes, PostgreSQL and the load generator share two cores, so
what this shows is how far the API path scales before the machine is the limit, and what a
process costs per request (CPU ms, summed over the processes) as more of them share it.
"""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

import httpx

from bench import loadgen, servers

PROCESSES = (1, 2, 4)
SECONDS = 3.0
ROUNDS = 3
CONNECTIONS = 32
PG = "host=127.0.0.1 port=5432 user=postgres dbname=postgres"


@contextmanager
def database() -> Iterator[str]:
    """A fresh PostgreSQL database, migrated, dropped after: its SQLAlchemy URL."""
    import psycopg

    name = f"reelway_bench_{secrets.token_hex(6)}"
    with psycopg.connect(PG, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    print(
        f"API scale-out on PostgreSQL ({CONNECTIONS} connections spread over the processes, "
        f"best of {ROUNDS} rounds of {SECONDS:g}s; information, no target)"
    )
    print("  processes   create req/s  CPU ms/req   retrieve req/s  CPU ms/req")
    for count in PROCESSES:
        create, retrieve = run_fleet(count)
        print(
            f"  {count:9d}   {create.rate:12.0f}  {create.cpu_ms:10.3f}   "
            f"{retrieve.rate:14.0f}  {retrieve.cpu_ms:10.3f}"
        )


def run_fleet(count: int) -> tuple[servers.Measured, servers.Measured]:
    with tempfile.TemporaryDirectory() as tmp, database() as url, ExitStack() as stack:
        env = {"REELWAY_DATABASE_URL": url}
        data = Path(tmp) / "data"
        subprocess.run(
            [sys.executable, "-m", "reelway", "migrate", "--data-dir", str(data)],
            env={**os.environ, **env},
            check=True,
            capture_output=True,
        )
        fleet = [
            stack.enter_context(
                servers.process(servers.reelway_cmd(data), Path(tmp) / f"rw{n}.log", env=env)
            )
            for n in range(count)
        ]
        key = fleet[0].development_key()  # the first process made the project and its key
        auth = {"Authorization": f"Bearer {key}"}
        created = httpx.post(
            f"http://{servers.HOST}:{fleet[0].port}/v1/videos",
            headers=auth,
            files={"prompt": (None, "a cat")},
        )
        created.raise_for_status()
        create = loadgen.post_multipart("/v1/videos", servers.HOST, {"prompt": "a cat"}, auth)
        poll = loadgen.get(f"/v1/videos/{created.json()['id']}", servers.HOST, auth)
        best: dict[str, servers.Measured] = {}
        for _ in range(ROUNDS):
            for name, request in (("create", create), ("retrieve", poll)):
                got = servers.measure_many(fleet, request, connections=CONNECTIONS, seconds=SECONDS)
                if name not in best or got.rate > best[name].rate:
                    best[name] = got
        return best["create"], best["retrieve"]


if __name__ == "__main__":
    main()
