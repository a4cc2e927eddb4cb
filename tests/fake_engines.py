"""Engines that misbehave on purpose, named by import path in test catalogues."""

from __future__ import annotations

import dataclasses
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from reelway import catalog, errors
from reelway.engines import base
from reelway.media import previews
from reelway.media.encode import Mp4Writer

INFO = base.EngineInfo(name="fake", capabilities=frozenset({catalog.Capability.REMIX}))


def _tiny_media() -> tuple[bytes, bytes, bytes]:
    """A 64x36 half-second MP4 and its previews, made once per process (at import, so the
    render processes' forkserver makes it before forking)."""
    with tempfile.TemporaryDirectory() as folder:
        out = base.RenderOutput(*(Path(folder) / name for name in ("v.mp4", "t.webp", "s.jpg")))
        with Mp4Writer(out.video, 64, 36, fps=8, audio=False) as writer:
            for shade in range(4):
                writer.write_frame(np.full((36, 64, 3), 60 + 40 * shade, np.uint8))
        previews.previews_from_video(out.video, out.thumbnail, out.spritesheet)
        return out.video.read_bytes(), out.thumbnail.read_bytes(), out.spritesheet.read_bytes()


_MEDIA = _tiny_media()


def tiny_and_broken_catalog(path: Path) -> Path:
    """A catalogue of two 64x64, one-second models: ``tiny`` (the animatic engine) and
    ``broken`` (``FailingEngine``: a prompt saying "refuse" fails its video)."""
    path.write_text(
        '[credits_per_second]\n"480p" = 4\n"720p" = 16\n"1080p" = 40\n'
        '[models."tiny"]\nsizes = ["64x64"]\nseconds = [1]\ndefault_size = "64x64"\n'
        'default_seconds = 1\nroute = ["animatic"]\n[models."tiny".price_per_second]\n'
        '"480p" = 0.01\n'
        '[models."broken"]\nsizes = ["64x64"]\nseconds = [1]\ndefault_size = "64x64"\n'
        'default_seconds = 1\nroute = ["tests.fake_engines:FailingEngine"]\n'
        '[models."broken".price_per_second]\n"480p" = 0.01\n'
    )
    return path


def _write_outputs(output: base.RenderOutput) -> None:
    """Tiny real media: the worker signs what it stores, and a signer parses what it signs."""
    paths = (output.video, output.thumbnail, output.spritesheet)
    for path, data in zip(paths, _MEDIA, strict=True):
        path.write_bytes(data)


class SlowEngine:
    """Takes ``seconds`` of wall time per clip second, reporting progress as it goes."""

    info = INFO

    def __init__(self, pace: float = 0.5) -> None:
        self.pace = pace

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        steps = 20
        for step in range(steps):
            time.sleep(self.pace * request.seconds / steps)
            progress(int(100 * step / steps))
        _write_outputs(output)
        return base.RenderResult(duration=request.seconds, frames=0, fps=0, has_audio=False)


class GlacialEngine(SlowEngine):
    """A render of minutes: a job that ends sooner than that was stopped, not finished."""

    def __init__(self) -> None:
        super().__init__(pace=60.0)


class FailingEngine:
    info = INFO

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        if "refuse" in request.prompt:
            raise errors.EngineRuntimeError("The fake engine refuses prompts that say refuse.")
        raise ZeroDivisionError("the fake engine divided by zero")


class CrashingEngine:
    info = INFO

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        os._exit(3)


class SilentEngine:
    """Returns without writing its files."""

    info = INFO

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        return base.RenderResult(duration=request.seconds, frames=0, fps=0, has_audio=False)


class CountingEngine(SlowEngine):
    """Writes its process id to ``count_file`` each time it is built, so a test sees how often
    an executor builds it; declares the resident strategy.  A prompt saying "crash" kills its
    process, one saying "fail" raises."""

    info = dataclasses.replace(INFO, name="counting", execution="resident")

    def __init__(self, count_file: str, pace: float = 0.0) -> None:
        super().__init__(pace)
        with open(count_file, "a") as counts:
            counts.write(f"{os.getpid()}\n")

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        if "crash" in request.prompt:
            os._exit(3)
        if "fail" in request.prompt:
            raise ZeroDivisionError("the counting engine divided by zero")
        return super().render(request, output, progress)


class FakeRemoteEngine:
    """A remote engine for tests/fake_provider.py's API."""

    KIND = base.EngineKind.REMOTE
    info = dataclasses.replace(INFO, kind=base.EngineKind.REMOTE)

    def __init__(self, base_url: str, api_key: str) -> None:
        import httpx

        self.base_url = base_url.rstrip("/")
        self.client = httpx.AsyncClient(timeout=10, headers={"Authorization": f"Bearer {api_key}"})

    async def submit(self, request: base.GenerationRequest) -> base.Operation:
        answer = await self.client.post(
            f"{self.base_url}/jobs", json={"prompt": request.prompt, "reference": request.video_id}
        )
        answer.raise_for_status()
        return {"job": answer.json()["id"]}

    async def poll(self, operation: base.Operation) -> base.PollResult:
        answer = await self.client.get(f"{self.base_url}/jobs/{operation['job']}")
        answer.raise_for_status()
        body = answer.json()
        if body["status"] == "pending":
            return base.Pending(progress=body.get("progress"))
        if body["status"] == "succeeded":
            return base.Succeeded({"url": body["video_url"]})
        return base.Failed(errors.EngineRuntimeError(f"the provider says {body['status']}"))

    async def fetch(self, operation: base.Operation, result: dict[str, object]):
        async with self.client.stream("GET", str(result["url"])) as answer:
            answer.raise_for_status()
            async for chunk in answer.aiter_bytes():
                yield chunk

    async def cancel(self, operation: base.Operation) -> None:
        await self.client.post(f"{self.base_url}/jobs/{operation['job']}/cancel")

    async def close(self) -> None:
        await self.client.aclose()


class DeviceEngine(CountingEngine):
    """``CountingEngine`` on two (made-up) devices, as a GPU engine declares them: writes
    "pid device" to ``count_file`` when built (its device read from ``REELWAY_DEVICE``), takes
    ``load`` seconds to build, and reports its device, its process and the numbers a GPU
    engine reports in its details.  A prompt saying "stuck" sleeps ``pace`` seconds without a
    progress report; one saying "die once" kills its process the first time (it leaves
    ``count_file`` + ".crashed")."""

    info = dataclasses.replace(
        INFO, name="devices", execution="resident", devices=("cpu:a", "cpu:b")
    )

    def __init__(self, count_file: str, pace: float = 0.0, load: float = 0.0) -> None:
        SlowEngine.__init__(self, pace)
        self.count_file = count_file
        self.device = os.environ.get("REELWAY_DEVICE", "")
        with open(count_file, "a") as counts:
            counts.write(f"{os.getpid()} {self.device}\n")
        time.sleep(load)  # a model's weights loading (only ever asked of a child)

    def render(
        self,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        progress: base.ProgressCallback,
    ) -> base.RenderResult:
        crashed = Path(self.count_file + ".crashed")
        if "die once" in request.prompt and not crashed.exists():
            crashed.touch()
            os._exit(3)
        if "stuck" in request.prompt:
            time.sleep(self.pace)
        result = super().render(request, output, progress)
        details = {
            "device": self.device,
            "pid": os.getpid(),
            "steps_per_second": 12.5,
            "memory_bytes": 1 << 20,
        }
        return dataclasses.replace(result, details=details)
