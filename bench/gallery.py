"""The animatic gallery: every prompt of ``gallery/prompts.toml`` rendered, to judge by eye.

It exists because the animatic is what a new user sees first: whether a viewer names the
subject without the caption is a question for eyes, and eyes need the same prompts side by
side after every change.  Each group becomes one contact sheet (PNG: the middle frame of each
video, captions off, the prompt printed under each cell), and ``index.html`` plays every
video (the MP4s beside it; no outside assets).

Run: ``make gallery`` (or ``.venv/bin/python -m bench.gallery --help``); output in
``gallery/out/``.
"""

from __future__ import annotations

import argparse
import html
import re
import sys
import time
import tomllib
from collections.abc import Iterable, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import av
from PIL import Image, ImageDraw, ImageFont

from reelway import ids
from reelway.engines import base
from reelway.engines.animatic.engine import AnimaticEngine

ROOT = Path(__file__).resolve().parent.parent
PROMPTS = ROOT / "gallery" / "prompts.toml"
OUT = ROOT / "gallery" / "out"
MIN_PROMPTS = 60
STYLE_GROUPS = (
    "watercolor",
    "film-noir",
    "anime",
    "pixel-art",
    "claymation",
    "neon",
    "oil",
    "sketch",
    "vintage",
    "documentary",
)
"""The issue's styles, one sheet each (besides the docs' own prompts and the unstyled)."""
COLUMNS = 4
CELL_WIDTH = 320
TEXT_LINES = 3
_DOC_PATTERNS = (
    re.compile(r'prompt\s*=\s*"([^"\n]+)"'),  # Python: prompt="..."
    re.compile(r'"prompt"\s*:\s*"([^"\n]+)"'),  # JSON bodies
    re.compile(r"""-F\s*['"]?prompt=([^'"\n]+)"""),  # curl forms
    re.compile(r'reelway\s+(?:generate|lint)\s+"([^"\n]+)"'),  # the CLI
    re.compile(r'"(?:content|text)"\s*:\s*"([^"\n]+)"'),  # chat completions' user message
)


@dataclass(frozen=True)
class Group:
    name: str
    title: str
    prompts: tuple[str, ...]


@dataclass(frozen=True)
class Gallery:
    groups: tuple[Group, ...]
    skipped: dict[str, str]
    """Prompts the docs show that the gallery leaves out, with why."""

    @property
    def prompts(self) -> list[str]:
        return [p for g in self.groups for p in g.prompts]


def load(path: Path = PROMPTS) -> Gallery:
    """The prompts file, checked: named groups, non-empty prompts, no prompt twice."""
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    groups = []
    for entry in data.get("group", []):
        prompts = tuple(str(p) for p in entry["prompts"])
        if not prompts or any(not p.strip() for p in prompts):
            raise ValueError(f"group {entry['name']!r} has an empty prompt or none")
        groups.append(Group(str(entry["name"]), str(entry["title"]), prompts))
    gallery = Gallery(tuple(groups), {str(k): str(v) for k, v in data.get("skipped", {}).items()})
    seen = gallery.prompts
    twice = sorted({p for p in seen if seen.count(p) > 1})
    if twice:
        raise ValueError(f"prompts listed twice: {twice}")
    return gallery


def doc_prompts(root: Path = ROOT) -> dict[str, list[str]]:
    """Every prompt README.md and docs/*.md show being sent (Python, JSON, curl, the CLI),
    with the files that show it; elided examples ("…") are not prompts."""
    found: dict[str, list[str]] = {}
    for path in [root / "README.md", *sorted((root / "docs").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        for pattern in _DOC_PATTERNS:
            for match in pattern.finditer(text):
                prompt = match.group(1).strip()
                if "…" in prompt or "..." in prompt:
                    continue
                files = found.setdefault(prompt, [])
                if path.name not in files:
                    files.append(path.name)
    return found


@dataclass(frozen=True)
class Job:
    group: str
    index: int
    prompt: str
    width: int
    height: int
    seconds: int

    @property
    def stem(self) -> str:
        return f"{self.group}-{self.index:02d}"


def render(job: Job, out: Path) -> Path:
    """One video (captions and sound off) and its middle frame as PNG; returns the PNG."""
    video = out / "videos" / f"{job.stem}.mp4"
    request = base.GenerationRequest(
        video_id=f"video_gallery_{job.stem}",
        model="sora-2",
        prompt=job.prompt,
        width=job.width,
        height=job.height,
        seconds=job.seconds,
        seed=ids.stable_seed("sora-2", job.prompt, f"{job.width}x{job.height}", job.seconds, ""),
    )
    output = base.RenderOutput(
        video, out / "videos" / f"{job.stem}.webp", out / "videos" / f"{job.stem}.jpg"
    )
    AnimaticEngine(captions=False, audio=False).render(request, output, lambda _: None)
    output.thumbnail.unlink(missing_ok=True)
    output.spritesheet.unlink(missing_ok=True)
    frame = out / "frames" / f"{job.stem}.png"
    middle_frame(video).save(frame)
    return frame


def middle_frame(video: Path) -> Image.Image:
    with av.open(str(video)) as container:
        decoded = [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]
    return Image.fromarray(decoded[len(decoded) // 2])


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    return ImageFont.load_default(size=size)  # bundled with Pillow: works offline


def _wrap(text: str, width: int, font: ImageFont.FreeTypeFont | ImageFont.ImageFont) -> list[str]:
    draw = ImageDraw.Draw(Image.new("RGB", (1, 1)))
    lines: list[str] = []
    for word in text.split():
        if lines and draw.textlength(f"{lines[-1]} {word}", font=font) <= width:
            lines[-1] = f"{lines[-1]} {word}"
        else:
            lines.append(word)
    if len(lines) > TEXT_LINES:
        lines = [*lines[: TEXT_LINES - 1], " ".join(lines[TEXT_LINES - 1 :])]
        while draw.textlength(lines[-1] + "…", font=font) > width and lines[-1]:
            lines[-1] = lines[-1][:-1]
        lines[-1] += "…"
    return lines


def sheet(title: str, cells: Sequence[tuple[Path, str]], path: Path) -> None:
    """A contact sheet: a title, then each frame with its numbered prompt under it."""
    font, heading = _font(13), _font(22)
    with Image.open(cells[0][0]) as first:
        height = round(CELL_WIDTH * first.height / first.width)
    pad, line = 8, 16
    cell_h = height + pad + TEXT_LINES * line + pad
    rows = -(-len(cells) // COLUMNS)
    top = 44
    canvas = Image.new("RGB", (COLUMNS * (CELL_WIDTH + pad) + pad, top + rows * cell_h), "white")
    draw = ImageDraw.Draw(canvas)
    draw.text((pad, 10), title, fill="black", font=heading)
    for number, (frame, prompt) in enumerate(cells):
        x = pad + (number % COLUMNS) * (CELL_WIDTH + pad)
        y = top + (number // COLUMNS) * cell_h
        with Image.open(frame) as picture:
            canvas.paste(
                picture.convert("RGB").resize((CELL_WIDTH, height), Image.Resampling.LANCZOS),
                (x, y),
            )
        for row, text in enumerate(_wrap(f"{number + 1}. {prompt}", CELL_WIDTH, font)):
            draw.text((x, y + height + 4 + row * line), text, fill="black", font=font)
    canvas.save(path, optimize=True)


def page(gallery: Gallery, jobs: Sequence[Job], path: Path) -> None:
    """index.html: each group's sheet link and its videos, playing, with their prompts."""
    parts = [
        "<!doctype html><meta charset=utf-8><title>Reelway animatic gallery</title>",
        "<style>body{font:14px sans-serif;margin:16px}figure{display:inline-block;"
        "width:320px;margin:0 8px 16px 0;vertical-align:top}video{width:320px}"
        "figcaption{font-size:13px}</style>",
        f"<h1>Reelway animatic gallery</h1><p>{len(jobs)} prompts, captions off.</p>",
    ]
    for group in gallery.groups:
        parts.append(
            f'<h2 id="{group.name}">{html.escape(group.title)} '
            f'<small><a href="{group.name}.png">contact sheet</a></small></h2>'
        )
        for job in (j for j in jobs if j.group == group.name):
            parts.append(
                f'<figure><video src="videos/{job.stem}.mp4" autoplay loop muted playsinline '
                f"controls></video><figcaption>{job.index + 1}. {html.escape(job.prompt)}"
                "</figcaption></figure>"
            )
    path.write_text("\n".join(parts) + "\n", encoding="utf-8")


def _render_one(job: Job, out: Path) -> Path:
    return render(job, out)


def run(
    gallery: Gallery,
    out: Path,
    size: tuple[int, int],
    seconds: int,
    workers: int,
    only: Iterable[str] = (),
) -> list[Path]:
    """Render everything (``workers`` processes), then the sheets and the page."""
    chosen = set(only)
    groups = [g for g in gallery.groups if not chosen or g.name in chosen]
    jobs = [
        Job(g.name, i, p, size[0], size[1], seconds)
        for g in groups
        for i, p in enumerate(g.prompts)
    ]
    for folder in ("videos", "frames"):
        (out / folder).mkdir(parents=True, exist_ok=True)
    with ProcessPoolExecutor(max_workers=workers) as pool:
        frames = list(pool.map(_render_one, jobs, [out] * len(jobs)))
    made = []
    for group in groups:
        cells = [(f, j.prompt) for f, j in zip(frames, jobs, strict=True) if j.group == group.name]
        target = out / f"{group.name}.png"
        sheet(f"{group.title} ({len(cells)} prompts, captions off)", cells, target)
        made.append(target)
    page(Gallery(tuple(groups), gallery.skipped), jobs, out / "index.html")
    return made


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prompts", type=Path, default=PROMPTS)
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--size", default="480x270", help="WIDTHxHEIGHT of each video")
    parser.add_argument("--seconds", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2, help="render processes")
    parser.add_argument("--group", action="append", default=[], help="only this group")
    args = parser.parse_args(argv)
    width, height = (int(n) for n in args.size.split("x"))
    gallery = load(args.prompts)
    started = time.perf_counter()
    made = run(gallery, args.out, (width, height), args.seconds, args.workers, args.group)
    took = time.perf_counter() - started
    for path in made:
        print(path.relative_to(ROOT) if path.is_relative_to(ROOT) else path)
    count = sum(len(g.prompts) for g in gallery.groups if not args.group or g.name in args.group)
    print(f"{count} prompts in {took:.0f} s; open {args.out / 'index.html'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
