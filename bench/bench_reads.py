"""API read throughput: ``GET /v1/videos/{id}`` against a bare Starlette JSON endpoint, same run.

Served and driven as in ``bench/bench_api.py`` (``bench/servers.py``); the CPU each request
costs the server process is printed beside the bare endpoint's.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

import httpx

from bench import loadgen, servers

SECONDS = 2.0
ROUNDS = 9
CONNECTIONS = 16
TARGET = 0.5


def main() -> None:
    print(f"API reads ({CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS:g}s, median)")
    measured: dict[str, list[servers.Measured]] = {"bare": [], "retrieve": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.process(servers.bare_cmd(), Path(tmp) / "bare.log") as bare,
        servers.process(servers.reelway_cmd(Path(tmp) / "data"), Path(tmp) / "rw.log") as rw,
    ):
        auth = {"Authorization": f"Bearer {rw.development_key()}"}
        created = httpx.post(
            f"http://{servers.HOST}:{rw.port}/v1/videos",
            headers=auth,
            files={"prompt": (None, "a cat")},
        )
        created.raise_for_status()
        path = f"/v1/videos/{created.json()['id']}"
        requests = {
            "bare": (bare, loadgen.get(path, servers.HOST)),
            "retrieve": (rw, loadgen.get(path, servers.HOST, auth)),
        }
        for server, request in requests.values():  # warm up
            servers.measure(server, request, connections=CONNECTIONS, seconds=SECONDS)
        for _ in range(ROUNDS):
            for name, (server, request) in requests.items():
                measured[name].append(
                    servers.measure(server, request, connections=CONNECTIONS, seconds=SECONDS)
                )
    bare_rate = statistics.median(m.rate for m in measured["bare"])
    bare_cpu = statistics.median(m.cpu_ms for m in measured["bare"])
    print(
        f"  bare Starlette JSON       {bare_rate:9.0f} req/s  {bare_cpu:6.3f} CPU ms/req (baseline)"
    )
    rate = statistics.median(m.rate for m in measured["retrieve"])
    cpu = statistics.median(m.cpu_ms for m in measured["retrieve"])
    ratio = rate / bare_rate
    print(
        f"  GET /v1/videos/{{id}}       {rate:9.0f} req/s  {cpu:6.3f} CPU ms/req "
        f"{ratio:5.2f}x baseline (target >= {TARGET}x) {servers.verdict(ratio, TARGET)}"
    )


if __name__ == "__main__":
    main()
