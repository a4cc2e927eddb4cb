"""API create throughput: ``POST /v1/videos`` against a bare Starlette JSON endpoint, same run.

Both servers run as single uvicorn processes (uvloop + httptools, no access log) on loopback,
driven by the same load generator (``bench/servers.py``).  Reelway runs with ``--workers 0``
so rendering does not compete for the CPU; the numbers are the API path: auth, parsing,
validation, admission, the insert, JSON.  Reads (retrieve, list, content) are measured in
``bench/bench_reads.py``.
"""

from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from bench import loadgen, servers

SECONDS = 2.0
ROUNDS = 9
CONNECTIONS = 16
TARGET = 0.25
CREATE_FIELDS = {
    "prompt": "a calico cat walks along a beach at sunset",
    "model": "sora-2",
    "size": "1280x720",
    "seconds": "8",
}


def main() -> None:
    print(f"API create ({CONNECTIONS} connections, {ROUNDS} rounds of {SECONDS:g}s, median)")
    measured: dict[str, list[servers.Measured]] = {"bare": [], "create": []}
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.process(servers.bare_cmd(), Path(tmp) / "bare.log") as bare,
        servers.process(servers.reelway_cmd(Path(tmp) / "data"), Path(tmp) / "rw.log") as rw,
    ):
        auth = {"Authorization": f"Bearer {rw.development_key()}"}
        requests = {
            "bare": (bare, loadgen.get("/v1/videos/video_x", servers.HOST)),
            "create": (
                rw,
                loadgen.post_multipart("/v1/videos", servers.HOST, CREATE_FIELDS, auth),
            ),
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
    rate = statistics.median(m.rate for m in measured["create"])
    cpu = statistics.median(m.cpu_ms for m in measured["create"])
    ratio = rate / bare_rate
    print(
        f"  POST /v1/videos           {rate:9.0f} req/s  {cpu:6.3f} CPU ms/req "
        f"{ratio:5.2f}x baseline (target >= {TARGET}x) {servers.verdict(ratio, TARGET)}"
    )


if __name__ == "__main__":
    main()
