"""How fast does a real model run on this machine's GPU, per output size?  A Markdown table
for the docs.

::

    python -m bench.gpu_check --model-path /srv/models/Wan2.2-TI2V-5B-Diffusers \\
        --device cuda --sizes 480p,720p --seconds 5 --steps 50

The model is loaded once (its load time is printed), warmed up with one short generation, then
each size is rendered through the engine's real path (native size, segments, scaling,
encoding) and measured: wall seconds per second of video made, denoising steps per second,
and peak device memory (peak RSS on a CPU).  ``--tiny wan|ltx`` builds a tiny pipeline in a
temp dir instead (tests/tiny_models.py), so the script itself runs anywhere, CPU included.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from reelway.engines import base
from reelway.engines.diffusers.engine import DiffusersEngine
from reelway.engines.diffusers.families import FAMILIES

os.environ.setdefault("HF_HUB_OFFLINE", "1")  # local weights only; never ask a hub

NAMED_SIZES = {"480p": (848, 480), "720p": (1280, 720), "1080p": (1920, 1080)}
"""Landscape sizes for the usual names (480p as 848x480: both sides even, near 16:9)."""

COLUMNS = (
    "size",
    "native",
    "frames",
    "segments",
    "steps",
    "wall s",
    "wall s per video s",
    "steps/s",
    "peak memory GiB",
)
PROMPT = "a red kite over a green hill at golden hour, slow pan right"


@dataclass(frozen=True)
class Row:
    size: str
    native: str
    frames: int
    segments: int
    steps: int
    wall: float
    seconds: float
    steps_per_second: float | None
    memory_bytes: int | None

    def cells(self) -> list[str]:
        memory = "n/a" if self.memory_bytes is None else f"{self.memory_bytes / 2**30:.2f}"
        rate = "n/a" if self.steps_per_second is None else f"{self.steps_per_second:.2f}"
        return [
            self.size,
            self.native,
            str(self.frames),
            str(self.segments),
            str(self.steps),
            f"{self.wall:.2f}",
            f"{self.wall / self.seconds:.2f}",
            rate,
            memory,
        ]


def parse_size(text: str) -> tuple[int, int]:
    """``480p``/``720p``/``1080p`` or ``WxH``."""
    if text in NAMED_SIZES:
        return NAMED_SIZES[text]
    width, _, height = text.partition("x")
    if not (width.isdigit() and height.isdigit()):
        raise ValueError(f"size must be 480p, 720p, 1080p or WxH, got {text!r}")
    return int(width), int(height)


def table(rows: Sequence[Row]) -> str:
    lines = ["| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    lines += ["| " + " | ".join(row.cells()) + " |" for row in rows]
    return "\n".join(lines)


def measure(engine: DiffusersEngine, width: int, height: int, seconds: int, folder: Path) -> Row:
    """One render at ``width`` x ``height`` through the engine, timed."""
    name = f"{width}x{height}"
    request = base.GenerationRequest(f"video_{name}", "check", PROMPT, width, height, seconds, 1)
    output = base.RenderOutput(folder / f"{name}.mp4", folder / f"{name}.webp", folder / "s.jpg")
    began = time.perf_counter()
    result = engine.render(request, output, lambda _percent: None)
    wall = time.perf_counter() - began
    details: dict[str, Any] = dict(result.details)
    return Row(
        size=name,
        native=str(details.get("native_size")),
        frames=result.frames,
        segments=len(details.get("segments", [])),
        steps=int(details.get("steps", engine.steps)),
        wall=wall,
        seconds=result.duration,
        steps_per_second=details.get("steps_per_second"),
        memory_bytes=details.get("memory_bytes"),
    )


def warm_up(engine: DiffusersEngine, width: int, height: int) -> float:
    """One two-step, shortest-clip generation (kernels chosen, caches filled); its seconds."""
    loaded = engine.load()
    plan = engine.plan(width, height, 1)
    began = time.perf_counter()
    loaded.generate(
        prompt=PROMPT,
        negative_prompt=engine.negative_prompt,
        width=plan.width,
        height=plan.height,
        frames=engine.family.frame_step + 1,
        fps=engine.fps,
        steps=2,
        guidance=engine.guidance,
        seed=0,
        image=None,
        on_step=lambda _step: None,
    )
    return time.perf_counter() - began


def run(args: argparse.Namespace, model_path: Path, folder: Path) -> str:
    options: dict[str, Any] = {"device": args.device, "pipeline": args.pipeline}
    for key in ("steps", "native_size", "fps", "dtype", "offload"):
        if getattr(args, key) is not None:
            options[key] = getattr(args, key)
    engine = DiffusersEngine(str(model_path), **options)
    began = time.perf_counter()
    loaded = engine.load()
    load_seconds = time.perf_counter() - began
    sizes: list[tuple[int, int]] = args.sizes
    warm = warm_up(engine, *sizes[0])
    rows = []
    for width, height in sizes:
        loaded.free_memory()
        rows.append(measure(engine, width, height, args.seconds, folder))
    return "\n".join(
        [
            f"{engine.family.name} ({engine.family.description}) from {model_path}",
            f"device {loaded.device}, dtype {engine.dtype}, offload {engine.offload}, "
            f"{engine.steps} steps, {args.seconds} s at {engine.fps} fps; "
            f"load {load_seconds:.2f} s, warm-up {warm:.2f} s",
            "",
            table(rows),
        ]
    )


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.gpu_check", description=__doc__)
    where = parser.add_mutually_exclusive_group(required=True)
    where.add_argument("--model-path", type=Path, help="A diffusers model folder.")
    where.add_argument("--tiny", choices=("wan", "ltx"), help="Build a tiny model instead.")
    parser.add_argument("--pipeline", choices=sorted(FAMILIES), default=None)
    parser.add_argument("--device", default="cuda", help="cuda, cuda:N or cpu (default cuda).")
    parser.add_argument("--sizes", default="480p,720p", help="Comma-separated: 480p,720p,WxH.")
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=None, help="Default: the family's.")
    parser.add_argument("--native-size", default=None, help="WxH (default: the family's).")
    parser.add_argument("--fps", type=int, default=None)
    parser.add_argument("--dtype", default=None)
    parser.add_argument("--offload", default=None)
    args = parser.parse_args(argv)
    try:
        args.sizes = [parse_size(s.strip()) for s in args.sizes.split(",") if s.strip()]
    except ValueError as exc:
        parser.error(str(exc))
    if not args.sizes:
        parser.error("--sizes names no size")
    return args


def main(argv: Sequence[str] | None = None) -> None:
    args = arguments(argv)
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        model_path = args.model_path
        if args.tiny is not None:
            from tests import tiny_models

            build = tiny_models.build_wan22 if args.tiny == "wan" else tiny_models.build_ltx
            model_path = build(folder / "model")
        print(run(args, model_path, folder))


if __name__ == "__main__":
    main()
