"""Storyboards: what running shots in parallel gains, and what the join costs.

An 8-shot storyboard of animatic shots is made with a 2-slot worker (its coordinator beside
the slots), timed from insert to the storyboard's completion; the baseline is the same 8 shots
as plain videos rendered one after another by a 1-slot worker.  The join's cost is then timed
alone, on the storyboard's own shot files, against the shots' summed render time.  Ratios:
storyboard wall / one-after-another wall (below 1 when the machine has cores to spare; the
coordinator's polling adds up to one poll), stitch / render.

Run: ``.venv/bin/python -m bench.storyboard``
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from pathlib import Path

from tests.fake_provider import catalog_for

from reelway import catalog, ids, jobs
from reelway import settings as settings_module
from reelway.media import storyboard as joiner
from reelway.runtime import Runtime
from reelway.store.videos import NewVideo

SHOTS = 8
SIZE = "320x180"
SECONDS = "4"
PROMPTS = ("a lighthouse at dusk", "waves on rocks", "a gull", "the lamp turns")
S = jobs.JobStatus


def _video(project_id: str, n: int, **changes: object) -> NewVideo:
    fields: dict[str, object] = {
        "id": ids.new_id("video"),
        "project_id": project_id,
        "model": "remote",
        "catalog_model": "remote",
        "prompt": PROMPTS[n % len(PROMPTS)],
        "size": SIZE,
        "seconds": SECONDS,
        "seed": n,
        "input_reference": None,
        "request_id": None,
    }
    fields.update(changes)
    return NewVideo(**fields)  # type: ignore[arg-type]


async def _wait(runtime: Runtime, video_ids: list[str]) -> None:
    while True:
        found = [await runtime.videos.get(v) for v in video_ids]
        if all(v is not None and v.is_terminal for v in found):
            bad = [v for v in found if v is not None and v.status is not S.SUCCEEDED]
            assert not bad, bad[0].error
            return
        await asyncio.sleep(0.05)


async def _timed(runtime: Runtime, slots: int, made: list[str]) -> float:
    worker = runtime.worker(slots)
    started = time.perf_counter()
    await worker.start()
    try:
        await _wait(runtime, made)
    finally:
        await worker.stop(5)
    return time.perf_counter() - started


async def _run(folder: Path) -> dict[str, float]:
    settings = settings_module.from_env(
        {},
        data_dir=folder / "data",
        catalog=catalog_for("animatic", folder / "catalog.toml"),
        claim_poll_seconds=0.05,
        storyboard_poll_seconds=0.1,
    )
    runtime = await Runtime.open(settings, migrate=True)
    try:
        project, _ = await runtime.keys.ensure_project("bench")
        plain = [await runtime.videos.insert(_video(project.id, n)) for n in range(SHOTS)]
        one_by_one = await _timed(runtime, 1, [v.id for v in plain])

        parent_id = ids.new_id("video")
        shots = [
            _video(
                project.id,
                n,
                kind=jobs.JobKind.SHOT,
                storyboard_id=parent_id,
                sources=jobs.Sources(
                    storyboard_id=parent_id,
                    shot_index=n,
                    transition="crossfade" if n % 2 else "cut",
                    crossfade_seconds=0.5,
                ),
            )
            for n in range(SHOTS)
        ]
        parent = _video(
            project.id,
            0,
            id=parent_id,
            kind=jobs.JobKind.STORYBOARD,
            seconds=str(SHOTS * int(SECONDS)),
            sources=jobs.Sources(soundtrack="per_shot", shots=SHOTS),
        )
        await runtime.videos.insert_storyboard(parent, shots)
        together = await _timed(runtime, 2, [parent_id])

        rendered = await runtime.videos.shots(parent_id)
        render_seconds = sum((s.completed_at or 0) - (s.started_at or 0) for s in rendered)
        files = []
        for n, shot in enumerate(rendered):
            asset = shot.asset("video")
            assert asset is not None
            files.append(folder / f"shot-{n}.mp4")
            await runtime.storage.download(asset.key, files[-1])
        width, height = catalog.parse_size(SIZE)
        started = time.perf_counter()
        await asyncio.to_thread(
            joiner.stitch,
            [
                joiner.Shot(f, s.sources.transition or "cut", 0.5)
                for f, s in zip(files, rendered, strict=True)
            ],
            folder / "joined.mp4",
            width=width,
            height=height,
            thumbnail=folder / "t.webp",
            spritesheet=folder / "s.jpg",
        )
        stitch_seconds = time.perf_counter() - started
    finally:
        await runtime.close()
    return {
        "one_by_one": one_by_one,
        "together": together,
        "render": render_seconds,
        "stitch": stitch_seconds,
    }


def main() -> None:
    print(f"storyboard: {SHOTS} animatic shots of {SECONDS} s at {SIZE} ({os.cpu_count()} CPUs)")
    with tempfile.TemporaryDirectory() as folder:
        found = asyncio.run(_run(Path(folder)))
    print(
        f"  one after another (1 slot): {found['one_by_one']:.2f} s; as a storyboard "
        f"(2 slots + join): {found['together']:.2f} s; ratio "
        f"{found['together'] / found['one_by_one']:.2f}"
    )
    print(
        f"  join of {SHOTS * int(SECONDS)} s: {found['stitch']:.2f} s vs the shots' render "
        f"{found['render']:.2f} s: ratio {found['stitch'] / max(found['render'], 1e-9):.2f}"
    )


if __name__ == "__main__":
    os.environ.setdefault("REELWAY_LOG_LEVEL", "warning")
    main()
