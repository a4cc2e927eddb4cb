"""How fast is the animatic engine, and how much does its rendering cost over encoding?

Two numbers on the same 1280x720, 8 s clip at the engine's default frame rate:

(a) the whole engine: scene, soundtrack, rendering, encoding, thumbnail and spritesheet;
(b) the baseline: the *same* final frames and soundtrack, rendered into memory beforehand,
    written with ``Mp4Writer`` alone (same settings, audio included).

Targets: (a) at least 0.8x the frames per second of (b), and at least 4x real time.  The
machine is noisy, so the two are timed alternately, several times, and the medians compared.
An encode-only figure (frames already converted to yuv420p) is printed as the ceiling.

(d) What each look costs: the same shot without style words (the plain storyboard) and with
each heavier look's words, whole engine, timed alternately.  Both wall-clock frames per
second and CPU seconds per clip (all threads) are printed; the target is on CPU, which a
busy machine skews far less: at least 0.9x the plain shot's (vintage: 0.6x, since its
per-frame film grain, which x264 must code anew every frame, predates the other looks and
measured 0.6x already).  A look's texture costs twice: once to make and add, and again in
x264, which has to code it wherever the picture moves under it.

Run: ``.venv/bin/python -m bench.bench_animatic``
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame

from reelway.engines import base
from reelway.engines.animatic import audio, render, scene
from reelway.engines.animatic.engine import AnimaticEngine
from reelway.media import encode

PROMPT = "A red fox running through a snowy forest at golden hour, tracking shot, watercolor"
WIDTH, HEIGHT, SECONDS, SEED = 1280, 720, 8, 7
RUNS = 7
LOOK_RUNS = 3
LOOK_SHOT = "A red fox running through a snowy forest at golden hour, tracking shot"
LOOKS = {
    "watercolor": 0.9, "film noir": 0.9, "oil painting": 0.9, "pencil sketch": 0.9,
    "claymation": 0.9, "vintage film": 0.6,
}  # fmt: skip
"""Each look's target: its CPU per clip at most 1/target times the plain shot's."""
TARGET_RATIO = 0.8
TARGET_REALTIME = 4.0


def _request(prompt: str = PROMPT) -> base.GenerationRequest:
    return base.GenerationRequest(
        video_id="bench", model="sora-2", prompt=prompt, width=WIDTH, height=HEIGHT,
        seconds=SECONDS, seed=SEED,
    )  # fmt: skip


def time_engine(engine: AnimaticEngine, directory: Path, prompt: str = PROMPT) -> float:
    """Wall seconds for one full render (video, audio, thumbnail, spritesheet)."""
    return time_and_cpu(engine, directory, prompt)[0]


def time_and_cpu(engine: AnimaticEngine, directory: Path, prompt: str) -> tuple[float, float]:
    """Wall and CPU seconds (the process's, so every thread's) for one full render."""
    out = base.RenderOutput(directory / "a.mp4", directory / "a.webp", directory / "a.jpg")
    start, cpu = time.perf_counter(), time.process_time()
    engine.render(_request(prompt), out, lambda _: None)
    return time.perf_counter() - start, time.process_time() - cpu


def time_looks(engine: AnimaticEngine, directory: Path) -> None:
    """(d): each look against the plain shot, alternately; medians and their ratios."""
    frames = SECONDS * engine.fps
    print(f"(d) looks against the plain shot {LOOK_SHOT!r}, median of {LOOK_RUNS} pairs:")
    for look, target in LOOKS.items():
        prompt = f"{LOOK_SHOT}, {look}"
        time_engine(engine, directory, prompt)  # warm-up
        plain: list[tuple[float, float]] = []
        styled: list[tuple[float, float]] = []
        for _ in range(LOOK_RUNS):
            plain.append(time_and_cpu(engine, directory, LOOK_SHOT))
            styled.append(time_and_cpu(engine, directory, prompt))
        pw, pc = (statistics.median(x) for x in zip(*plain, strict=True))
        sw, sc = (statistics.median(x) for x in zip(*styled, strict=True))
        verdict = "PASS" if pc / sc >= target else "FAIL"
        wall = f"{frames / sw:6.1f} fps vs {frames / pw:6.1f} plain ({pw / sw:4.2f}x)"
        cpu = f"CPU {sc:5.2f} s vs {pc:5.2f} s ({pc / sc:4.2f}x)"
        print(f"    {look:14}: {wall}; {cpu}  target >= {target}: {verdict}")


def prerender(engine: AnimaticEngine) -> tuple[list[np.ndarray], list[VideoFrame], np.ndarray]:
    """The engine's final frames (as RGB and as yuv420p) and its soundtrack, in memory."""
    shot = scene.build(PROMPT, SEED, WIDTH, HEIGHT, SECONDS, engine.fps)
    renderer = render.Renderer(shot, scale=engine.detail)
    scratch = Path(tempfile.mkdtemp()) / "scratch.mp4"
    rgb: list[np.ndarray] = []
    yuv: list[VideoFrame] = []
    with encode.Mp4Writer(scratch, WIDTH, HEIGHT, engine.fps) as writer:
        for index in range(shot.frame_count):
            frame = writer.convert(renderer.picture(index), pixelated=renderer.pixelated)
            renderer.finish(frame, index)
            yuv.append(frame)
            rgb.append(frame.to_ndarray(format="rgb24"))
        writer.abort()
    return rgb, yuv, audio.soundtrack(shot)


def time_baseline(
    engine: AnimaticEngine,
    frames: list[np.ndarray] | list[VideoFrame],
    sound: np.ndarray,
    path: Path,
) -> float:
    """Wall seconds to write pre-rendered frames and audio with Mp4Writer, nothing else."""
    start = time.perf_counter()
    with encode.Mp4Writer(
        path, WIDTH, HEIGHT, engine.fps, preset=engine.preset, crf=engine.crf
    ) as w:
        w.write_audio(sound)
        for frame in frames:
            w.write_frame(frame)
    return time.perf_counter() - start


def main() -> None:
    engine = AnimaticEngine()
    frames = SECONDS * engine.fps
    print(
        f"animatic benchmark: {WIDTH}x{HEIGHT}, {SECONDS} s at {engine.fps} fps = {frames} frames,"
        f" preset {engine.preset}, crf {engine.crf}; median of {RUNS} runs"
    )
    print(f"prompt: {PROMPT!r}")
    print(f"load average before: {_load()}  (other work on this machine skews both numbers)")
    rgb, yuv, sound = prerender(engine)
    a_times: list[float] = []
    b_times: list[float] = []
    c_times: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        time_engine(engine, directory)  # warm-up: imports, regexes, font
        for _ in range(RUNS):
            a_times.append(time_engine(engine, directory))
            b_times.append(time_baseline(engine, rgb, sound, directory / "b.mp4"))
            c_times.append(time_baseline(engine, yuv, sound, directory / "c.mp4"))
    a, b, c = (statistics.median(x) for x in (a_times, b_times, c_times))
    fps_a, fps_b, fps_c = frames / a, frames / b, frames / c
    ratio, realtime = fps_a / fps_b, SECONDS / a
    print(f"(a) engine, full render     : {fps_a:7.1f} fps  ({a:.2f} s; runs {_fmt(a_times)})")
    print(f"(b) Mp4Writer on RGB frames : {fps_b:7.1f} fps  ({b:.2f} s; runs {_fmt(b_times)})")
    print(f"    encode-only (yuv frames): {fps_c:7.1f} fps  ({c:.2f} s; runs {_fmt(c_times)})")
    print(f"ratio (a)/(b)               : {ratio:7.2f}   target >= {TARGET_RATIO}: "
          f"{'PASS' if ratio >= TARGET_RATIO else 'FAIL'}")  # fmt: skip
    print(f"ratio (a)/encode-only       : {fps_a / fps_c:7.2f}   (information)")
    print(f"load average after : {_load()}")
    print(f"real-time factor (a)        : {realtime:7.2f}x  target >= {TARGET_REALTIME}x: "
          f"{'PASS' if realtime >= TARGET_REALTIME else 'FAIL'}")  # fmt: skip
    if "--no-looks" not in sys.argv:
        with tempfile.TemporaryDirectory() as tmp:
            time_looks(engine, Path(tmp))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _fmt(times: list[float]) -> str:
    return " ".join(f"{t:.2f}" for t in times)


if __name__ == "__main__":
    main()
