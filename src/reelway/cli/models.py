"""``reelway models check PATH``: is this folder a model the diffusers engine can serve here?

An operator downloads weights by hand; before pointing an engine at them this command says
which family the folder holds (or exactly which parts are missing), loads it on the device
and makes one tiny clip, so a broken download or a device without enough memory shows up
here instead of as a failed first job.  It is the only command that imports torch.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

import click

from reelway.engines.diffusers import families
from reelway.engines.diffusers.families import FAMILIES, Family

ASPECTS = {"16:9": (16, 9), "9:16": (9, 16), "1:1": (1, 1)}
"""The catalogue's aspects, shown as the native size each one is generated at."""

CHECK_WIDTH = 256
"""About how wide the test clip is: big enough to exercise every layer, quick on any device."""
CHECK_STEPS = 2
CHECK_PROMPT = "a red kite over a green hill, slow pan"


@click.group()
def models() -> None:
    """Local model folders for the diffusers engine."""


@models.command()
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--device", default="cpu", show_default=True, help="cpu, cuda or cuda:N.")
@click.option(
    "--pipeline",
    type=click.Choice(sorted(FAMILIES)),
    default=None,
    help="The family (default: read from model_index.json).",
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON.")
def check(path: Path, device: str, pipeline: str | None, as_json: bool) -> None:
    """Load the model in PATH on DEVICE and make one tiny clip with it."""
    if not _is_device(device):
        raise click.ClickException(f"--device must be cpu, cuda or cuda:N, got {device!r}")
    family = _family(path.expanduser(), pipeline)
    report = _describe(family) | _try(path.expanduser(), family, device)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _show(path, report)


def _family(folder: Path, pipeline: str | None) -> Family:
    """The folder's family, or a ClickException saying what is wrong with the folder."""
    try:
        index = families.read_model_index(folder)
    except ValueError as exc:
        raise click.ClickException(str(exc).removeprefix("model_path ")) from None
    found = families.detect(index)
    if pipeline is None and found is None:
        raise click.ClickException(
            f"{folder}: model_index.json names {index.get('_class_name')!r}, not a pipeline "
            f"Reelway knows; pass --pipeline (one of {', '.join(FAMILIES)})"
        )
    if pipeline is not None and found is not None and found != pipeline:
        raise click.ClickException(
            f"{folder} holds a {found!r} model (model_index.json), not {pipeline!r}"
        )
    missing = families.missing_parts(folder)
    if missing:
        raise click.ClickException(f"{folder} is incomplete; missing: " + ", ".join(missing))
    return FAMILIES[pipeline or found or ""]


def _describe(family: Family) -> dict[str, Any]:
    native = {
        aspect: "{}x{}".format(
            *families.native_size(w, h, family.native_size, family.size_multiple)
        )
        for aspect, (w, h) in ASPECTS.items()
    }
    return {
        "family": family.name,
        "description": family.description,
        "native_sizes": native,
        "fps": family.fps,
        "segment_seconds": round(family.max_segment_seconds, 3),
        "image_to_video": family.image_to_video is not None,
    }


def check_size(family: Family) -> tuple[int, int]:
    """The family's native aspect scaled down to about ``CHECK_WIDTH`` wide."""
    native_w, native_h = family.native_size
    multiple = family.size_multiple
    width = max(multiple, round(CHECK_WIDTH / multiple) * multiple)
    height = max(multiple, round(width * native_h / native_w / multiple) * multiple)
    return width, height


def _try(folder: Path, family: Family, device: str) -> dict[str, Any]:
    """Load on ``device`` and generate one clip; the numbers, or a ClickException."""
    from reelway.engines.diffusers import pipeline

    on_gpu = device.startswith("cuda")
    options = pipeline.LoadOptions(
        folder=folder,
        family=family,
        device="cuda:0" if device == "cuda" else device,
        dtype=family.dtype if on_gpu else "float32",
    )
    try:
        loaded = pipeline.Loaded(options)
    except Exception as exc:  # a torn file, a device that is not there: say it, no traceback
        raise click.ClickException(f"cannot load {folder} on {device}: {_reason(exc)}") from None
    width, height = check_size(family)
    frames = family.frame_step + 1
    loaded.reset_peak()
    began = time.monotonic()
    try:
        video = loaded.generate(
            prompt=CHECK_PROMPT,
            negative_prompt=family.negative_prompt,
            width=width,
            height=height,
            frames=frames,
            fps=family.fps,
            steps=CHECK_STEPS,
            guidance=family.guidance,
            seed=0,
            image=None,
            on_step=lambda _step: None,
        )
    except pipeline.OutOfMemory:
        raise click.ClickException(
            f"{device} ran out of memory making a {width}x{height} x {frames} frame clip"
        ) from None
    except Exception as exc:
        raise click.ClickException(f"generation failed on {device}: {_reason(exc)}") from None
    seconds = time.monotonic() - began
    if video.shape[:3] != (frames, height, width):
        raise click.ClickException(
            f"the model made frames of shape {video.shape}, not {frames}x{height}x{width}"
        )
    return {
        "device": options.device,
        "dtype": options.dtype,
        "load_seconds": round(loaded.load_seconds, 3),
        "check_size": f"{width}x{height}",
        "check_frames": frames,
        "check_steps": CHECK_STEPS,
        "generation_seconds": round(seconds, 3),
        "memory_bytes": loaded.memory_bytes(),
    }


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0] if text else ''}"


def _show(path: Path, report: dict[str, Any]) -> None:
    memory = report["memory_bytes"]
    lines = [
        f"{path}: {report['family']} ({report['description']})",
        "  native sizes:  "
        + ", ".join(f"{aspect} {size}" for aspect, size in report["native_sizes"].items()),
        f"  fps:           {report['fps']}",
        f"  segment:       {report['segment_seconds']} s (trained length in one go)",
        f"  image input:   {'yes' if report['image_to_video'] else 'no'}",
        f"  device:        {report['device']} ({report['dtype']})",
        f"  load:          {report['load_seconds']:.2f} s",
        f"  generation:    {report['generation_seconds']:.2f} s for "
        f"{report['check_size']} x {report['check_frames']} frames, {report['check_steps']} steps",
        f"  memory:        {_mib(memory)}",
        "OK",
    ]
    click.echo("\n".join(lines))


def _mib(value: int | None) -> str:
    return "unknown" if value is None else f"{math.ceil(value / 2**20)} MiB"


def _is_device(value: str) -> bool:
    if value in ("cpu", "cuda"):
        return True
    kind, _, number = value.partition(":")
    return kind == "cuda" and number.isdigit()
