"""Servers for the API benchmarks: the bare Starlette baseline and Reelway, on loopback.

Every API benchmark starts its servers here and measures them with ``measure``, so that each
ratio compares two servers started, driven and accounted for (requests, CPU) the same way.
"""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench import loadgen

PORT_LINE = re.compile(r"Uvicorn running on http://127\.0\.0\.1:(\d+)")
KEY_LINE = re.compile(r"^\s+(sk-rw-\S+)$", re.M)
HOST = "127.0.0.1"
_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass(frozen=True)
class Server:
    port: int
    pid: int
    output: str
    """What the server printed up to the line that gave its port."""

    def development_key(self) -> str:
        """The key ``reelway serve`` prints on a fresh data dir."""
        match = KEY_LINE.search(self.output)
        if match is None:
            raise RuntimeError(f"no development key in:\n{self.output}")
        return match.group(1)


@dataclass(frozen=True)
class Measured:
    rate: float
    """Requests per second."""
    cpu_ms: float
    """The server process's CPU time (user + system) per request, in milliseconds."""


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def rss_bytes(pid: int) -> int:
    """Resident set size of a process now (Linux /proc)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


@contextmanager
def process(args: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[Server]:
    """A server whose output goes to a file (a full pipe would stall it mid-benchmark)."""
    with log.open("w") as sink:
        # Creates pile up unrendered (no workers): lift the queue bounds so that they all count.
        full_env = {**os.environ, "REELWAY_QUEUE_LIMIT": "100000000"}
        full_env["REELWAY_PROJECT_QUEUE_LIMIT"] = "100000000"
        full_env.update(env or {})
        proc = subprocess.Popen(
            args, stdout=sink, stderr=subprocess.STDOUT, text=True, env=full_env
        )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            output = log.read_text()
            match = PORT_LINE.search(output)
            if match:
                yield Server(int(match.group(1)), proc.pid, output)
                return
            if proc.poll() is not None:
                raise RuntimeError(f"server exited:\n{output}")
            time.sleep(0.1)
        raise RuntimeError(f"server did not start:\n{log.read_text()}")
    finally:
        proc.terminate()
        proc.wait(30)


def bare_cmd() -> list[str]:
    """The ceiling: a bare Starlette app answering fixed JSON (``bench/bare_app.py``)."""
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


def reelway_cmd(data_dir: Path, *extra: str) -> list[str]:
    """``reelway serve`` with no render slots: what is measured is the API path alone."""
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
        *extra,
    ]


def measure(server: Server, request: bytes, *, connections: int, seconds: float) -> Measured:
    """Drive ``server`` with one request shape; every answer must be a success."""

    async def once() -> loadgen.Result:
        return await loadgen.run(
            HOST, server.port, request, connections=connections, seconds=seconds
        )

    before = cpu_seconds(server.pid)
    result = asyncio.run(once())
    used = cpu_seconds(server.pid) - before
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.requests} requests failed")
    return Measured(result.rate, 1000 * used / max(1, result.requests))


def measure_many(
    fleet: list[Server],
    request: bytes,
    *,
    connections: int,
    seconds: float,
    total: int | None = None,
) -> Measured:
    """``measure`` over several server processes at once (connections dealt out in turn),
    their CPU summed; with ``total``, stop after that many requests."""

    async def once() -> loadgen.Result:
        return await loadgen.run(
            HOST,
            [s.port for s in fleet],
            request,
            connections=connections,
            seconds=seconds,
            total=total,
        )

    before = sum(cpu_seconds(s.pid) for s in fleet)
    result = asyncio.run(once())
    used = sum(cpu_seconds(s.pid) for s in fleet) - before
    if result.errors:
        raise RuntimeError(f"{result.errors} of {result.requests} requests failed")
    return Measured(result.rate, 1000 * used / max(1, result.requests))


def verdict(ratio: float, target: float, *, at_least: bool = True) -> str:
    ok = ratio >= target if at_least else ratio <= target
    return "PASS" if ok else "FAIL"


def reelway_cli(*args: str, env: dict[str, str] | None = None) -> str:
    """A ``reelway`` command (``projects``, ``keys``...) against a server's data; its stdout."""
    done = subprocess.run(
        [sys.executable, "-m", "reelway", *args],
        env={**os.environ, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"reelway {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def project_key(
    data_dir: Path, project: str, *settings: str, env: dict[str, str] | None = None
) -> str:
    """A new project made with ``reelway projects create NAME *settings`` and its first key."""
    where = ("--data-dir", str(data_dir))
    reelway_cli("projects", "create", project, *settings, *where, env=env)
    printed = reelway_cli("keys", "create", "--project", project, *where, env=env)
    return printed.strip().splitlines()[-1].strip()


def alternate(
    requests: Mapping[str, tuple[Server, bytes]], *, rounds: int, connections: int, seconds: float
) -> dict[str, list[Measured]]:
    """Each request shape measured once to warm up, then ``rounds`` times in turn: the
    servers share the machine's noise, so their ratio holds where absolute rates move."""
    for server, request in requests.values():
        measure(server, request, connections=connections, seconds=seconds)
    measured: dict[str, list[Measured]] = {name: [] for name in requests}
    for _ in range(rounds):
        for name, (server, request) in requests.items():
            measured[name].append(
                measure(server, request, connections=connections, seconds=seconds)
            )
    return measured
