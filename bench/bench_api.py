"""API throughput: retrieve and create against a bare Starlette JSON endpoint, same run.

Both servers run as single uvicorn processes (uvloop + httptools, no access log) on loopback,
driven by the same load generator.  Reelway runs with ``--workers 0`` so rendering does not
compete for the CPU; the numbers are the API path: auth, parsing, validation, SQLite, JSON.
"""

from __future__ import annotations

import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from bench import loadgen

SECONDS = 2.0
ROUNDS = 9
CONNECTIONS = 16
TARGETS = {"retrieve": 0.5, "create": 0.25}
PORT_LINE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
KEY_LINE = re.compile(r"^\s+(sk-rw-\S+)$", re.M)


@contextmanager
def _process(args: list[str], log: Path) -> Iterator[tuple[int, str]]:
    """A server whose output goes to a file (a full pipe would stall it mid-benchmark)."""
    with log.open("w") as sink:
        # Creates pile up unrendered (no workers): lift the queue bounds so that they all count.
        env = {**os.environ, "REELWAY_QUEUE_LIMIT": "100000000"}
        env["REELWAY_PROJECT_QUEUE_LIMIT"] = "100000000"
        proc = subprocess.Popen(args, stdout=sink, stderr=subprocess.STDOUT, text=True, env=env)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            output = log.read_text()
            match = PORT_LINE.search(output)
            if match:
                yield int(match.group(1)), output
                return
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{output}")
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{log.read_text()}")
    finally:
        proc.terminate()
        proc.wait(30)


def _bare() -> list[str]:
    return [
        sys.executable,
        "-m",
        "uvicorn",
        "bench.bare_app:app",
        "--port",
        "0",
        "--no-access-log",
        "--loop",
        "uvloop",
        "--http",
        "httptools",
        "--log-level",
        "info",
    ]


def _reelway(data_dir: Path) -> list[str]:
    return [
        sys.executable,
        "-m",
        "reelway",
        "serve",
        "--port",
        "0",
        "--data-dir",
        str(data_dir),
        "--workers",
        "0",
        "--no-access-log",
    ]


def _measure(port: int, request: bytes) -> float:
    async def once() -> float:
        result = await loadgen.run(
            "127.0.0.1", port, request, connections=CONNECTIONS, seconds=SECONDS
        )
        if result.errors:
            raise RuntimeError(f"{result.errors} of {result.requests} requests failed")
        return result.rate

    return asyncio.run(once())


def main() -> None:
    print(f"API throughput ({CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS:g}s, median)")
    rates: dict[str, list[float]] = {"bare": [], "retrieve": [], "create": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        _process(_bare(), Path(tmp) / "bare.log") as (bare_port, _),
        _process(_reelway(Path(tmp) / "data"), Path(tmp) / "reelway.log") as (port, output),
    ):
        match = KEY_LINE.search(output)
        if match is None:
            raise RuntimeError(f"no development key in:\n{output}")
        auth = {"Authorization": f"Bearer {match.group(1)}"}
        host = "127.0.0.1"
        created = httpx.post(
            f"http://{host}:{port}/v1/videos", headers=auth, files={"prompt": (None, "a cat")}
        )
        created.raise_for_status()
        video_id = created.json()["id"]
        requests: dict[str, tuple[int, bytes]] = {
            "bare": (bare_port, loadgen.get(f"/v1/videos/{video_id}", host)),
            "retrieve": (port, loadgen.get(f"/v1/videos/{video_id}", host, auth)),
            "create": (
                port,
                loadgen.post_multipart(
                    "/v1/videos",
                    host,
                    {
                        "prompt": "a calico cat walks along a beach at sunset",
                        "model": "sora-2",
                        "size": "1280x720",
                        "seconds": "8",
                    },
                    auth,
                ),
            ),
        }
        for p, request in requests.values():
            _measure(p, request)  # warm up
        for _ in range(ROUNDS):
            for name, (p, request) in requests.items():
                rates[name].append(_measure(p, request))
    _report(rates, statistics.median)


def _report(rates: dict[str, list[float]], pick: Callable[[list[float]], float]) -> None:
    bare = pick(rates["bare"])
    print(f"  bare Starlette JSON GET   {bare:9.0f} req/s  (baseline)")
    for name in ("retrieve", "create"):
        rate = pick(rates[name])
        ratio = rate / bare
        verdict = "PASS" if ratio >= TARGETS[name] else "FAIL"
        label = {"retrieve": "GET /v1/videos/{id}", "create": "POST /v1/videos"}[name]
        print(
            f"  {label:25} {rate:9.0f} req/s  {ratio:5.2f}x baseline "
            f"(target >= {TARGETS[name]}x) {verdict}"
        )


if __name__ == "__main__":
    main()
