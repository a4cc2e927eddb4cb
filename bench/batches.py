"""A 10,000-line batch: how long validating and queueing it takes, and the API's latency for
ordinary requests (``GET /v1/videos/{id}``, ``/health``) while it happens, against the same
server idle just before (same run).

Reelway runs as one ``reelway serve --workers 0`` process on SQLite: the batch coordinator
runs in the API process itself (the case that could hold the event loop), and nothing renders,
so every line stays queued and the time measured is validation, admission and the insert.
"""

from __future__ import annotations

import io
import json
import sqlite3
import statistics
import tempfile
import threading
import time
from pathlib import Path

import httpx

from bench import servers

LINES = 10_000
IDLE_SECONDS = 3.0
LIMIT_SECONDS = 900.0


def _probe(base: str, auth: dict[str, str], video_id: str, stop: threading.Event) -> list[float]:
    """Latencies (ms) of ordinary requests, one after another, until ``stop``."""
    found: list[float] = []
    with httpx.Client(base_url=base, headers=auth, timeout=30) as client:
        while not stop.is_set():
            for path in (f"/v1/videos/{video_id}", "/health"):
                started = time.perf_counter()
                client.get(path).raise_for_status()
                found.append((time.perf_counter() - started) * 1000)
            time.sleep(0.005)
    return found


def _summary(name: str, found: list[float]) -> str:
    ordered = sorted(found)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"  {name:<24} {len(found):>6} requests  p50 {statistics.median(found):6.1f} ms  "
        f"p99 {p99:6.1f} ms  max {ordered[-1]:6.1f} ms"
    )


def _settled(db: Path, batch_id: str) -> int:
    """Lines queued or refused so far (read from the server's own database)."""
    with sqlite3.connect(db, timeout=30) as conn:
        (count,) = conn.execute(
            "SELECT COUNT(*) FROM batch_lines WHERE batch_id = ? "
            "AND (video_id IS NOT NULL OR error IS NOT NULL)",
            (batch_id,),
        ).fetchone()
    return int(count)


def main() -> None:
    print(f"Batches: validating and queueing {LINES:,} lines (one API process, SQLite)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.process(servers.reelway_cmd(Path(tmp) / "data"), Path(tmp) / "rw.log") as rw,
    ):
        auth = {"Authorization": f"Bearer {rw.development_key()}"}
        base = f"http://127.0.0.1:{rw.port}"
        db = Path(tmp) / "data" / "reelway.db"
        with httpx.Client(base_url=base, headers=auth, timeout=60) as client:
            made = client.post("/v1/videos", json={"prompt": "a lighthouse at dusk"})
            made.raise_for_status()
            video_id = made.json()["id"]
            lines = b"".join(
                json.dumps(
                    {
                        "custom_id": f"line-{n}",
                        "method": "POST",
                        "url": "/v1/videos",
                        "body": {"prompt": f"shot {n}: a lighthouse at dusk", "seconds": "4"},
                    }
                ).encode()
                + b"\n"
                for n in range(LINES)
            )
            uploaded = client.post(
                "/v1/files",
                files={"file": ("batch.jsonl", io.BytesIO(lines))},
                data={"purpose": "batch"},
            )
            uploaded.raise_for_status()

            stop = threading.Event()
            idle: list[float] = []
            probe = threading.Thread(target=lambda: idle.extend(_probe(base, auth, video_id, stop)))
            probe.start()
            time.sleep(IDLE_SECONDS)
            stop.set()
            probe.join()

            stop = threading.Event()
            busy: list[float] = []
            probe = threading.Thread(target=lambda: busy.extend(_probe(base, auth, video_id, stop)))
            probe.start()
            started = time.perf_counter()
            created = client.post(
                "/v1/batches",
                json={
                    "input_file_id": uploaded.json()["id"],
                    "endpoint": "/v1/videos",
                    "completion_window": "24h",
                },
            )
            answered = time.perf_counter() - started
            created.raise_for_status()
            batch_id = created.json()["id"]
            while _settled(db, batch_id) < LINES:
                if time.perf_counter() - started > LIMIT_SECONDS:
                    stop.set()
                    raise RuntimeError(f"only {_settled(db, batch_id)} lines after the limit")
                time.sleep(0.2)
            took = time.perf_counter() - started
            stop.set()
            probe.join()
            state = client.get(f"/v1/batches/{batch_id}").json()
    print(f"  create answered in {answered * 1000:.1f} ms (status {created.json()['status']})")
    print(
        f"  {LINES:,} lines validated and queued in {took:.1f} s "
        f"({LINES / took:,.0f} lines/s); batch now {state['status']}, "
        f"total {state['request_counts']['total']}"
    )
    print(_summary("idle (before)", idle))
    print(_summary("during the batch", busy))


if __name__ == "__main__":
    main()
