"""``/health`` on one server process while hostile 48 MiB bodies are in flight, against the
same process idle, same run.

The attacker runs in a process of its own (its uploads must not share the measuring client's
GIL) and posts its body again as soon as each answer comes back.  Bodies: a urlencoded field
name of sixteen million bracket levels (issue 13, item 7), and a JSON array of twenty-four
million numbers.  Target: under attack ``/health`` answers within 100 ms.
"""

from __future__ import annotations

import multiprocessing
import statistics
import tempfile
import time
from multiprocessing.synchronize import Event
from pathlib import Path

import httpx

from bench import servers

SECONDS = 4.0
TARGET_MS = 100.0
BODY_BYTES = 48 * 1024 * 1024


def _hostile_form() -> tuple[bytes, str]:
    name = b"x" + b"[a]" * ((BODY_BYTES - 3) // 3)
    return name + b"=1", "application/x-www-form-urlencoded"


def _hostile_json() -> tuple[bytes, str]:
    return b'{"prompt": "x", "seed": [' + b"1," * (BODY_BYTES // 2 - 20) + b"1]}", (
        "application/json"
    )


ATTACKS = {"48 MiB form name, x[a][a]...": _hostile_form, "48 MiB JSON of numbers": _hostile_json}


def _attack(url: str, key: str, kind: str, started: Event, stop: Event, counts: list[int]) -> None:
    body, content_type = ATTACKS[kind]()
    headers = {"Authorization": f"Bearer {key}", "Content-Type": content_type}
    sent = refused = 0
    with httpx.Client(timeout=120) as client:
        while not stop.is_set():
            answer = client.post(url, content=body, headers=headers)
            sent += 1
            refused += answer.status_code == 400
            started.set()
    counts.extend([sent, refused])


def _latencies(root: str, seconds: float) -> list[float]:
    found: list[float] = []
    with httpx.Client(timeout=60) as client:
        client.get(f"{root}/health").raise_for_status()
        end = time.monotonic() + seconds
        while time.monotonic() < end:
            began = time.perf_counter()
            client.get(f"{root}/health").raise_for_status()
            found.append((time.perf_counter() - began) * 1000)
            time.sleep(0.002)
    return found


def _describe(values: list[float]) -> str:
    ordered = sorted(values)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return (
        f"median {statistics.median(ordered):6.2f} ms, p99 {p99:6.2f} ms, max {ordered[-1]:6.2f} ms"
    )


def main() -> None:
    print(f"/health under hostile bodies (one server process, {SECONDS:g}s each)")
    with (
        tempfile.TemporaryDirectory() as tmp,
        servers.process(servers.reelway_cmd(Path(tmp) / "data"), Path(tmp) / "r.log") as rw,
    ):
        root = f"http://127.0.0.1:{rw.port}"
        idle = _latencies(root, SECONDS)
        print(f"  idle                            {_describe(idle)}  (baseline)")
        for kind in ATTACKS:
            with multiprocessing.Manager() as manager:
                started, stop, counts = manager.Event(), manager.Event(), manager.list()
                attacker = multiprocessing.Process(
                    target=_attack,
                    args=(f"{root}/v1/videos", rw.development_key(), kind, started, stop, counts),
                )
                attacker.start()
                if not started.wait(120):
                    raise RuntimeError(f"{kind}: the first attack did not finish within 120 s")
                loaded = _latencies(root, SECONDS)
                stop.set()
                attacker.join(180)
                sent, refused = list(counts) or [0, 0]
            ratio = statistics.median(loaded) / statistics.median(idle)
            worst = max(loaded)
            verdict = "PASS" if worst < TARGET_MS else "FAIL"
            print(
                f"  {kind:31} {_describe(loaded)}  {ratio:5.2f}x idle median; "
                f"{sent} bodies sent, {refused} refused with 400 (target: max < {TARGET_MS:g} ms) "
                f"{verdict}"
            )


if __name__ == "__main__":
    main()
