"""What does Reelway add on top of a diffusers pipeline, and does a resident child keep the
model loaded between jobs?

A tiny Wan 2.2 pipeline (tests/tiny_models.py, built offline in a temp dir) on the CPU, the
same request each time: 2 s at 8 fps (17 frames generated at the 256x128 native size), 32
denoising steps, scaled to 320x160.  Three ways, timed alternately, medians compared:

(a) baseline: ``Loaded.generate`` called directly (the pipeline, nothing else);
(b) the engine's full ``render``: the same generation, plus scaling, encoding (H.264 + a
    silent AAC track), thumbnail and spritesheet;
(c) through the resident executor (``ResidentProcess`` with an EngineSpec for "diffusers"):
    (b) in a long-lived child, the request and report over a pipe, progress in shared memory.

Target: (c)/(a) <= 1.05 at 32 steps.  Also: the first job through the executor pays the
model's load, the second none (wall times, and the engine's ``load_seconds``).  The tiny
model's step is far cheaper than a real one's, so the ratio here is an upper bound on the
overhead a real model sees.

Run: ``.venv/bin/python -m bench.diffusers_overhead``
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from tests import tiny_models

from reelway.engines import base
from reelway.engines.diffusers.engine import DiffusersEngine
from reelway.engines.directory import EngineSpec
from reelway.worker.resident import ResidentProcess

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # the tiny model is local; never ask a hub

STEPS = 32
NATIVE = "256x128"
WIDTH, HEIGHT, SECONDS, FPS, SEED = 320, 160, 2, 8, 11
RUNS = 9
WARMUPS = 3
TARGET = 1.05
PROMPT = "a red kite over a green hill, slow pan right"


def _options(folder: Path) -> dict[str, Any]:
    return {
        "model_path": str(folder),
        "device": "cpu",
        "native_size": NATIVE,
        "steps": STEPS,
        "fps": FPS,
    }


def _request(n: int) -> base.GenerationRequest:
    return base.GenerationRequest(
        f"video_bench{n}", "wan-2.2-5b", PROMPT, WIDTH, HEIGHT, SECONDS, SEED
    )


def _output(folder: Path, n: int) -> base.RenderOutput:
    return base.RenderOutput(folder / f"{n}.mp4", folder / f"{n}.webp", folder / f"{n}.jpg")


def time_pipeline(engine: DiffusersEngine) -> float:
    """(a): the loaded pipeline alone, with the arguments the engine's plan gives it."""
    loaded = engine.load()
    plan = engine.plan(WIDTH, HEIGHT, SECONDS)
    start = time.perf_counter()
    for number, frames in enumerate(plan.segments):
        loaded.generate(
            prompt=PROMPT,
            negative_prompt=engine.negative_prompt,
            width=plan.width,
            height=plan.height,
            frames=frames,
            fps=plan.fps,
            steps=plan.steps,
            guidance=engine.guidance,
            seed=SEED + number,
            image=None,
            on_step=lambda _step: None,
        )
    return time.perf_counter() - start


def time_engine(engine: DiffusersEngine, folder: Path, n: int) -> float:
    """(b): the engine's whole render, in this process."""
    start = time.perf_counter()
    engine.render(_request(n), _output(folder, n), lambda _percent: None)
    return time.perf_counter() - start


async def time_resident(
    executor: ResidentProcess, spec: EngineSpec, folder: Path, n: int
) -> tuple[float, dict[str, Any]]:
    """(c): one job through the resident executor; its wall time and the engine's details."""
    start = time.perf_counter()
    result = await executor.render(spec, _request(n), _output(folder, n), lambda _percent: None)
    return time.perf_counter() - start, dict(result.details)


async def _run(folder: Path) -> None:
    model = tiny_models.build_wan22(folder / "wan22")
    options = _options(model)
    engine = DiffusersEngine(**options)
    spec = EngineSpec(name="wan", type="diffusers", options=options)
    executor = ResidentProcess(["reelway.engines.diffusers.engine"], lambda _name: ("cpu",))
    plan = engine.plan(WIDTH, HEIGHT, SECONDS)
    print(
        f"diffusers overhead: tiny Wan 2.2 on cpu, {STEPS} steps, native {plan.width}x"
        f"{plan.height}, segments {list(plan.segments)} frames, scaled to {WIDTH}x{HEIGHT}, "
        f"{SECONDS} s at {FPS} fps; median of {RUNS} runs"
    )
    print(f"load average before: {_load()}")
    try:
        first_wall, first = await time_resident(executor, spec, folder, 0)
        second_wall, second = await time_resident(executor, spec, folder, 1)
        for n in range(WARMUPS):  # loads the model here; first calls at a shape are slow
            time_engine(engine, folder, 2 + n)
            time_pipeline(engine)
            await time_resident(executor, spec, folder, 5 + n)
        a_times, b_times, c_times = [], [], []
        for n in range(RUNS):
            a_times.append(time_pipeline(engine))
            b_times.append(time_engine(engine, folder, 10 + n))
            c_times.append((await time_resident(executor, spec, folder, 20 + n))[0])
    finally:
        await executor.close()
    a, b, c = (statistics.median(x) for x in (a_times, b_times, c_times))
    print(f"(a) pipeline alone           : {a:6.3f} s  (runs {_fmt(a_times)})")
    print(f"(b) engine render            : {b:6.3f} s  (runs {_fmt(b_times)})")
    print(f"(c) resident executor        : {c:6.3f} s  (runs {_fmt(c_times)})")
    print(f"ratio (b)/(a)                : {b / a:6.3f}   (information)")
    print(
        f"ratio (c)/(a)                : {c / a:6.3f}   target <= {TARGET}: "
        f"{'PASS' if c / a <= TARGET else 'FAIL'}"
    )
    print(
        f"overhead per job             : engine {1000 * (b - a):.0f} ms, executor "
        f"{1000 * (c - a):.0f} ms over {STEPS} steps of {1000 * a / STEPS:.1f} ms "
        "(a fixed cost: a real model's steps take seconds)"
    )
    print(
        f"resident first job           : {first_wall:6.3f} s  load_seconds "
        f"{first.get('load_seconds')}"
    )
    reloaded = second.get("load_seconds")
    print(
        f"resident second job          : {second_wall:6.3f} s  load_seconds {reloaded}   "
        f"no reload: {'PASS' if reloaded == 0 else 'FAIL'}"
    )
    print(f"load average after : {_load()}")


def _fmt(times: list[float]) -> str:
    return " ".join(f"{t:.3f}" for t in times)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(_run(Path(tmp)))


if __name__ == "__main__":
    main()
