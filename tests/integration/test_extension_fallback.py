"""The worker's side of edits, extensions and characters, against fake hosted providers.

Both engines take an input image but cannot extend, so an extension's new segment is generated
from the source's last frame and stitched onto the source by the worker; the first can edit
and draw characters.  Checked on the stored files: the stitched length, the source's frames at
the start, the charge for the new seconds only, and a manifest that lists the source video.
"""

from __future__ import annotations

import asyncio
import dataclasses
import io
import json
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any, ClassVar

import av
import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from PIL import Image

from reelway import catalog, errors, ids, jobs
from reelway import settings as settings_module
from reelway.cli.provenance import provenance as provenance_cli
from reelway.engines import base
from reelway.longform import Longform
from reelway.media import encode, previews, probe, watermark
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.store.characters import CharacterStore
from reelway.store.tables import charges
from tests.backends import Deployment
from tests.fake_engines import FakeRemoteEngine
from tests.fake_provider import FakeProvider

C = catalog.Capability
FIRST = "tests.integration.test_extension_fallback:FirstEngine"
SECOND = "tests.integration.test_extension_fallback:SecondEngine"
LOCAL = "tests.integration.test_extension_fallback:LocalSegmentEngine"


class _Recording(FakeRemoteEngine):
    """Remembers what each request asked (the files are gone once the job ends)."""

    seen: ClassVar[list[dict[str, Any]]] = []
    fail_segments: ClassVar[bool] = False

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        type(self).seen.append(
            {
                "engine": type(self).__name__,
                "kind": request.kind,
                "seconds": request.seconds,
                "image": request.input_image.read_bytes() if request.input_image else None,
                "source": request.source_video.read_bytes() if request.source_video else None,
                "source_prompt": request.source_prompt,
                "source_seconds": request.source_seconds,
                "characters": [(c.id, c.name, c.clip.read_bytes()) for c in request.characters],
            }
        )
        operation = await super().submit(request)
        return {**operation, "segment": request.input_image is not None}

    async def poll(self, operation: base.Operation) -> base.PollResult:
        outcome = await super().poll(operation)
        if operation.get("segment") and type(self).fail_segments:
            return base.Failed(errors.UpstreamGenerationFailed("the provider fell over"))
        return outcome


class FirstEngine(_Recording):
    info = dataclasses.replace(
        FakeRemoteEngine.info,
        name="first",
        capabilities=frozenset({C.IMAGE_INPUT, C.EDITS, C.CHARACTERS}),
    )


class SecondEngine(_Recording):
    info = dataclasses.replace(
        FakeRemoteEngine.info, name="second", capabilities=frozenset({C.IMAGE_INPUT})
    )


class LocalSegmentEngine:
    """A local engine that takes an input image but cannot extend: it brightens the image
    a little each frame (a flat grey without one), with a tone."""

    info = base.EngineInfo(name="local-segment", capabilities=frozenset({C.IMAGE_INPUT}))
    FPS = 12

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        width, height, fps = request.width, request.height, self.FPS
        start = np.full((height, width, 3), 60, np.uint8)
        if request.input_image is not None:
            with Image.open(request.input_image) as image:
                start = np.asarray(image.convert("RGB"))
        count = request.seconds * fps
        collector = previews.PreviewCollector(count, width, height)
        t = np.arange(request.seconds * encode.AUDIO_RATE) / encode.AUDIO_RATE
        tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
        with encode.Mp4Writer(output.video, width, height, fps) as writer:
            writer.write_audio(np.stack([tone, tone]))
            for index in range(count):
                frame = np.clip(start.astype(np.int16) + 4 * index, 0, 255).astype(np.uint8)
                writer.write_frame(frame)
                collector.add(index, frame)
                progress(100 * index // count)
        collector.save(output.thumbnail, output.spritesheet)
        return base.RenderResult(duration=request.seconds, frames=count, fps=fps, has_audio=True)


def _catalog(path: Path) -> Path:
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."remote"]\nsizes = ["320x180"]\nseconds = [1, 2]\n'
        'default_size = "320x180"\ndefault_seconds = 1\n'
        'capabilities = ["image_input", "edits", "extensions", "characters"]\n'
        f'route = ["{FIRST}", "{SECOND}"]\n'
        '[models."remote".price_per_second]\n"480p" = 0.01\n'
        '[models."local"]\nsizes = ["320x180"]\nseconds = [1, 2]\n'
        'default_size = "320x180"\ndefault_seconds = 1\n'
        'capabilities = ["image_input", "extensions"]\n'
        f'route = ["{LOCAL}"]\n'
        '[models."local".price_per_second]\n"480p" = 0.01\n'
    )
    return path


@pytest.fixture
def providers(clip: bytes) -> Iterator[tuple[FakeProvider, FakeProvider]]:
    first, second = FakeProvider(clip, seconds_per_job=0.2), FakeProvider(clip, 0.2)
    _Recording.seen.clear()
    FirstEngine.fail_segments = SecondEngine.fail_segments = False
    yield first, second
    first.close()
    second.close()


@pytest.fixture
async def runtime(
    tmp_path: Path, deployment: Deployment, providers: tuple[FakeProvider, FakeProvider]
) -> AsyncIterator[Runtime]:
    options = {
        engine: {"base_url": provider.base_url, "api_key": provider.api_key}
        for engine, provider in zip((FIRST, SECOND), providers, strict=True)
    }
    settings = settings_module.from_env(
        {**deployment.env, "REELWAY_ENGINE_OPTIONS": json.dumps(options)},
        data_dir=deployment.data_dir,
        catalog=_catalog(tmp_path / "catalog.toml"),
        remote_poll_seconds=0.05,
        claim_poll_seconds=0.05,
        heartbeat_seconds=0.2,
        lease_seconds=5.0,
        route_retry_seconds=0.2,
    )
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def _finished(rt: Runtime, video_id: str, limit: float = 40) -> jobs.Video:
    worker = rt.worker(1)
    await worker.start()
    try:
        deadline = time.monotonic() + limit
        while True:
            video = await rt.videos.get(video_id, include_deleted=True)
            if video is not None and video.is_terminal:
                return video
            assert time.monotonic() < deadline, video
            await asyncio.sleep(0.05)
    finally:
        await worker.stop(5)


async def _caller(rt: Runtime) -> Caller:
    project, _ = await rt.keys.ensure_project("longform")
    return Caller(project_id=project.id, key_id="k")


async def _source(rt: Runtime, caller: Caller) -> jobs.Video:
    made = await rt.service.create(caller, {"prompt": "a kite", "model": "remote"})
    source = await _finished(rt, made.video.id)
    assert source.status is jobs.JobStatus.SUCCEEDED, source.error
    _Recording.seen.clear()
    return source


async def _stored(rt: Runtime, video: jobs.Video, folder: Path) -> Path:
    asset = video.asset("video")
    assert asset is not None
    path = folder / f"{video.id}.mp4"
    await rt.storage.download(asset.key, path)
    return path


def _frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.float64) for f in container.decode(video=0)]


def _psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / max(1e-9, np.mean((a - b) ** 2))))


async def _charge(rt: Runtime, video_id: str) -> tuple[int, int, int]:
    query = sa.select(
        charges.c.seconds, charges.c.credits_per_second, charges.c.credits_charged
    ).where(charges.c.video_id == video_id)
    row = await rt.db.read(lambda conn: conn.execute(query).one())
    return row[0], row[1], row[2]


def _verified(path: Path) -> dict[str, Any]:
    """``reelway provenance verify --json`` on the file: it must exit 0 (Valid)."""
    result = CliRunner().invoke(provenance_cli, ["verify", str(path), "--json"])
    assert result.exit_code == 0, result.output
    report: dict[str, Any] = json.loads(result.output)
    return report


async def test_an_extension_is_generated_from_the_last_frame_and_stitched_on(
    runtime: Runtime, tmp_path: Path
) -> None:
    caller = await _caller(runtime)
    source = await _source(runtime, caller)
    asked = await Longform(runtime.service).extend(
        caller, {"prompt": "the kite climbs", "seconds": "2", "video": {"id": source.id}}
    )
    assert asked.video.kind is jobs.JobKind.EXTEND and asked.video.seconds == "3"
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED, done.error
    assert done.engine == FIRST and done.rendered_as is None

    [seen] = _Recording.seen
    source_file = await _stored(runtime, source, tmp_path)
    assert seen["kind"] is jobs.JobKind.GENERATE and seen["seconds"] == 2
    assert seen["source"] == source_file.read_bytes()
    assert (seen["source_prompt"], seen["source_seconds"]) == ("a kite", 1)
    with Image.open(io.BytesIO(seen["image"])) as image:
        assert image.format == "PNG" and image.size == (320, 180)
        first_image = np.asarray(image.convert("RGB")).astype(np.float64)
    source_frames = _frames(source_file)
    assert _psnr(first_image, source_frames[-1]) > 40  # the source's last frame, as decoded

    out = await _stored(runtime, done, tmp_path)
    info = probe.probe(out)
    segment = probe.probe(source_file)  # the provider delivers the same 1 s clip
    assert (info.width, info.height, info.frames) == (320, 180, 2 * segment.frames)
    assert info.duration == pytest.approx(2 * segment.duration, abs=0.05)
    assert info.faststart and info.audio_codec == "aac"
    frames = _frames(out)
    for got, want in zip(frames, source_frames, strict=False):
        assert _psnr(got, want) > 30
    for name in ("thumbnail", "spritesheet"):
        asset = done.asset(name)
        assert asset is not None and asset.size > 0

    # Charged for the new seconds the provider really delivered (1 s of the 2 asked), not
    # for the stitched whole.
    reserved, per_second, charged = await _charge(runtime, done.id)
    assert reserved == 2 and charged == per_second * 1

    report = _verified(out)
    assert report["state"] == "Valid"
    parts = {i["title"]: i for i in report["ingredients"]}
    assert set(parts) == {f"source video {source.id}", "generated segment"}
    assert all(i["relationship"] == "componentOf" for i in parts.values())
    kept = parts[f"source video {source.id}"]
    assert kept["has_manifest"] and kept["validation_state"] == "Valid"
    assert report["generation"]["video_id"] == done.id


async def test_a_local_engine_continues_from_the_last_frame_without_a_jump(
    runtime: Runtime, tmp_path: Path
) -> None:
    caller = await _caller(runtime)
    made = await runtime.service.create(caller, {"prompt": "grey", "model": "local"})
    source = await _finished(runtime, made.video.id)
    assert source.status is jobs.JobStatus.SUCCEEDED, source.error
    asked = await Longform(runtime.service).extend(
        caller, {"prompt": "brighter", "seconds": "2", "video": {"id": source.id}}
    )
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED, done.error
    assert done.rendered_as is None and done.seconds == "3"

    out = await _stored(runtime, done, tmp_path)
    info = probe.probe(out)
    assert (info.frames, info.fps) == (36, 12) and info.duration == pytest.approx(3.0)
    assert info.audio_duration == pytest.approx(3.0, abs=0.05)
    frames = _frames(out)
    source_frames = _frames(await _stored(runtime, source, tmp_path))
    for got, want in zip(frames[:12], source_frames, strict=True):
        assert _psnr(got, want) > 35
    # The segment starts from the source's last frame: across the join the picture changes
    # no more than between any two frames (4 levels a frame), where a cut back to the
    # source's first frame would drop by 44.
    steps = [float(np.mean(frames[i + 1] - frames[i])) for i in range(35)]
    assert all(abs(step) <= 5.5 for step in steps), steps
    assert all(step == pytest.approx(4, abs=1.5) for i, step in enumerate(steps) if i != 11)
    reserved, per_second, charged = await _charge(runtime, done.id)
    assert reserved == 2 and charged == 2 * per_second
    report = _verified(out)
    assert [i["title"] for i in report["ingredients"]] == [f"source video {source.id}"]


async def test_a_watermarked_source_is_not_marked_twice_in_its_extension(
    runtime: Runtime, tmp_path: Path
) -> None:
    """The stitched extension of a marked source is marked from the join on only: its first
    part is the stored source's frames (already marked), not those frames marked again."""
    caller = await _caller(runtime)
    await runtime.accounts.accounts.update_project(caller.project_id, {"watermark": True})
    made = await runtime.service.create(caller, {"prompt": "grey", "model": "local"})
    source = await _finished(runtime, made.video.id)
    assert source.status is jobs.JobStatus.SUCCEEDED and source.watermark, source.error
    asked = await Longform(runtime.service).extend(
        caller, {"prompt": "brighter", "seconds": "2", "video": {"id": source.id}}
    )
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED and done.watermark, done.error
    frames = _frames(await _stored(runtime, done, tmp_path))
    source_frames = _frames(await _stored(runtime, source, tmp_path))
    height, width = source_frames[0].shape[:2]
    box, x, y = watermark.render(runtime.mark, width, height)
    mark = (slice(y, y + box.height), slice(x, x + box.width))
    for got, want in zip(frames[:12], source_frames, strict=True):
        drift = float(np.abs(got[mark] - want[mark]).mean())
        assert drift < 4, f"the source's part was marked again ({drift:.1f} levels)"
    # ...and the new segment carries the mark: its box is not the plain brightening grey.
    plain = frames[-1][: box.height, : box.width].mean()
    assert abs(frames[-1][mark].mean() - plain) > 10, "the new segment is not marked"


async def test_a_provider_failing_mid_extension_fails_over_to_the_next_engine(
    runtime: Runtime, providers: tuple[FakeProvider, FakeProvider], tmp_path: Path
) -> None:
    caller = await _caller(runtime)
    source = await _source(runtime, caller)
    FirstEngine.fail_segments = True
    asked = await Longform(runtime.service).extend(
        caller, {"prompt": "the kite dives", "seconds": "1", "video": {"id": source.id}}
    )
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED, done.error
    assert done.engine == SECOND
    assert [a.code for a in done.engine_attempts] == ["upstream_generation_failed"]
    assert [s["engine"] for s in _Recording.seen] == ["FirstEngine", "SecondEngine"]
    assert _Recording.seen[0]["image"] == _Recording.seen[1]["image"]  # made once
    assert providers[0].cancels == 1  # the failed attempt was called off upstream

    out = await _stored(runtime, done, tmp_path)
    segment = probe.probe(await _stored(runtime, source, tmp_path))
    assert probe.probe(out).frames == 2 * segment.frames
    reserved, per_second, charged = await _charge(runtime, done.id)
    assert reserved == 1 and charged == per_second
    assert _verified(out)["state"] == "Valid"


async def test_an_edit_gets_the_source_and_lists_it_in_its_manifest(
    runtime: Runtime, tmp_path: Path
) -> None:
    caller = await _caller(runtime)
    source = await _source(runtime, caller)
    asked = await Longform(runtime.service).edit(
        caller, {"prompt": "the kite at night", "video": {"id": source.id}}
    )
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED, done.error
    assert done.engine == FIRST, "the second engine cannot edit"
    [seen] = _Recording.seen
    assert seen["kind"] is jobs.JobKind.EDIT and seen["image"] is None
    assert seen["source"] == (await _stored(runtime, source, tmp_path)).read_bytes()
    assert (seen["seconds"], seen["source_seconds"]) == (1, 1)

    report = _verified(await _stored(runtime, done, tmp_path))
    relations = {i["title"]: i["relationship"] for i in report["ingredients"]}
    assert relations[f"source video {source.id}"] == "componentOf"
    assert "parentOf" in relations.values()  # the provider's own file, as for any remote job


async def test_a_job_with_characters_gets_their_clips_by_name(
    runtime: Runtime, tmp_path: Path
) -> None:
    caller = await _caller(runtime)
    clip = tmp_path / "ziggy.mp4"
    with encode.Mp4Writer(clip, 64, 64, 8, audio=False) as writer:
        for shade in range(24):
            writer.write_frame(np.full((64, 64, 3), 40 + shade, np.uint8))
    key = "characters/char_test/clip.mp4"
    await runtime.storage.put_file(key, clip, "video/mp4")
    character = await CharacterStore(runtime.db).insert(
        ids.new_id("char"), caller.project_id, "Ziggy", key, width=64, height=64, duration=3
    )
    made = await runtime.service.create(
        caller,
        {"prompt": "Ziggy flies a kite", "model": "remote", "characters": [{"id": character.id}]},
    )
    done = await _finished(runtime, made.video.id)
    assert done.status is jobs.JobStatus.SUCCEEDED, done.error
    [seen] = _Recording.seen
    assert seen["characters"] == [(character.id, "Ziggy", clip.read_bytes())]
    assert seen["source"] is None and seen["kind"] is jobs.JobKind.GENERATE


async def test_an_extension_whose_source_file_is_gone_fails_with_assets_missing(
    runtime: Runtime,
) -> None:
    caller = await _caller(runtime)
    source = await _source(runtime, caller)
    asked = await Longform(runtime.service).extend(
        caller, {"prompt": "on and on", "seconds": "1", "video": {"id": source.id}}
    )
    asset = source.asset("video")
    assert asset is not None
    await runtime.storage.delete_prefix(asset.key.rsplit("/", 1)[0] + "/")
    done = await _finished(runtime, asked.video.id)
    assert done.status is jobs.JobStatus.FAILED
    assert done.error is not None and done.error.code == "assets_missing"
    assert _Recording.seen == []
