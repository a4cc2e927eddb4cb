"""Is the animatic still as fast as it was?  This checkout against an earlier revision.

The code of ``BEFORE`` (the animatic as it stood before issue 21 gave it 78 subject families,
ten looks and lighting) is extracted from git into a temporary directory.  A child process
per round renders the same 1280x720, 8 s prompt with one tree or the other; the two trees
take turns, so the machine's noise falls on both alike, and the medians are compared.
Target: this checkout at least 0.9x the earlier frames per second.

Both children run the same script, which uses only the engine's public entry point
(``AnimaticEngine().render``), so the earlier tree needs nothing from this one.  A clone
without that history (a shallow CI checkout) prints SKIP.

Run: ``.venv/bin/python -m bench.animatic_history``
"""

from __future__ import annotations

import io
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
from pathlib import Path

BEFORE = "79adce9"
"""The last commit before issue 21's work on the animatic."""
TARGET = 0.9
ROUNDS = 5
RENDERS = 3
ROOT = Path(__file__).resolve().parent.parent
PROMPT = "A red fox running through a snowy forest at golden hour, tracking shot, watercolor"

CHILD = """
import json, sys, tempfile, time
from pathlib import Path
from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine
prompt, renders = sys.argv[1], int(sys.argv[2])
engine = AnimaticEngine()
request = base.GenerationRequest(
    video_id="bench", model="sora-2", prompt=prompt, width=1280, height=720, seconds=8, seed=7
)
with tempfile.TemporaryDirectory() as tmp:
    d = Path(tmp)
    out = base.RenderOutput(d / "a.mp4", d / "a.webp", d / "a.jpg")
    engine.render(request, out, lambda _: None)  # warm-up: imports, regexes, font
    times, cpu = [], []
    for _ in range(renders):
        start, start_cpu = time.perf_counter(), time.process_time()
        engine.render(request, out, lambda _: None)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
print(json.dumps({"times": times, "cpu": cpu, "frames": 8 * engine.fps}))
"""


def extract(revision: str, into: Path) -> Path | None:
    """The revision's ``src`` tree under ``into``, or None where this clone lacks it."""
    archive = subprocess.run(
        ["git", "-C", str(ROOT), "archive", "--format=tar", revision, "src"],
        capture_output=True,
        check=False,
    )
    if archive.returncode != 0:
        return None
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:  # our own files, from git
        if hasattr(tarfile, "data_filter"):  # Python 3.11.4 and later
            tar.extractall(into, filter="data")
        else:
            tar.extractall(into)
    return into / "src"


def render_times(source: Path) -> tuple[list[float], list[float], int]:
    """Wall and CPU seconds (all threads) of ``RENDERS`` renders, after a warm-up, by the
    engine in ``source``."""
    env = dict(os.environ, PYTHONPATH=str(source), PYTHONDONTWRITEBYTECODE="1")
    done = subprocess.run(
        [sys.executable, "-c", CHILD, PROMPT, str(RENDERS)],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    )
    answer = json.loads(done.stdout.strip().splitlines()[-1])
    return answer["times"], answer["cpu"], answer["frames"]


def main() -> None:
    print(f"animatic against {BEFORE} (before issue 21): {PROMPT!r}, 1280x720, 8 s")
    with tempfile.TemporaryDirectory() as tmp:
        before_src = extract(BEFORE, Path(tmp))
        if before_src is None:
            print(f"    SKIP: {BEFORE} is not in this clone's history")
            return
        now_src = ROOT / "src"
        walls: dict[Path, list[float]] = {before_src: [], now_src: []}
        cpus: dict[Path, list[float]] = {before_src: [], now_src: []}
        frames = 0
        for _ in range(ROUNDS):
            for source in (before_src, now_src):
                wall, cpu, frames = render_times(source)
                walls[source] += wall
                cpus[source] += cpu
        b, n = (statistics.median(walls[s]) for s in (before_src, now_src))
        bc, nc = (statistics.median(cpus[s]) for s in (before_src, now_src))
    ratio = b / n
    verdict = "PASS" if ratio >= TARGET else "FAIL"
    runs = len(walls[now_src])
    print(f"    before: {frames / b:6.1f} fps ({b:.3f} s, CPU {bc:.3f} s; medians of {runs})")
    print(f"    now   : {frames / n:6.1f} fps ({n:.3f} s, CPU {nc:.3f} s)")
    cpu_ratio = f"{bc / nc:.2f}x CPU"
    print(f"    now/before: {ratio:.2f}x fps, {cpu_ratio}  target >= {TARGET}x fps: {verdict}")


if __name__ == "__main__":
    main()
