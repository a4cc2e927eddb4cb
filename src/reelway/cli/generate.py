"""``reelway generate``: one video from the command line, with a progress bar.

With ``--base-url`` it speaks the HTTP API like any client; without, it runs an embedded
instance on the data dir (the same service and worker as ``reelway serve``).
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click
import httpx

from reelway import errors, jobs
from reelway.cli.common import (
    GenerationFailed,
    api_json,
    api_root,
    client_options,
    download,
    load_settings,
    open_runtime,
    run,
)
from reelway.runtime import DEFAULT_PROJECT
from reelway.service import Caller, Upload
from reelway.settings import Settings

TERMINAL = ("completed", "failed")


@click.command()
@click.argument("prompt")
@click.option("--model", default=None, help="Model (default sora-2).")
@click.option("--size", default=None, help="WIDTHxHEIGHT, e.g. 1280x720.")
@click.option("--seconds", default=None, help="Clip length, e.g. 8.")
@click.option("--seed", type=int, default=None, help="Seed (Reelway extension).")
@click.option(
    "--negative-prompt",
    default=None,
    help="What the video must not show (Reelway extension; models with negative_prompt).",
)
@click.option(
    "--loop",
    is_flag=True,
    default=False,
    help="Make the last frame flow into the first (Reelway extension; models with loop).",
)
@click.option(
    "--image",
    type=click.Path(dir_okay=False, exists=True, path_type=Path),
    default=None,
    help="Reference image used as the first frame (PNG, JPEG or WebP of exactly --size).",
)
@client_options
def generate(
    prompt: str,
    model: str | None,
    size: str | None,
    seconds: str | None,
    seed: int | None,
    negative_prompt: str | None,
    loop: bool,
    image: Path | None,
    output: Path | None,
    base_url: str | None,
    api_key: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Generate one video from PROMPT and save it."""
    params: dict[str, Any] = {"prompt": prompt, "model": model, "size": size, "seconds": seconds}
    if seed is not None:
        params["seed"] = str(seed)
    params["negative_prompt"] = negative_prompt
    if loop:
        params["loop"] = "true"  # as a form sends it, to a remote server or in process
    params = {k: v for k, v in params.items() if v is not None}
    upload = Upload(filename=image.name, file=io.BytesIO(image.read_bytes())) if image else None
    if base_url is not None:
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise click.UsageError("--base-url needs --api-key or OPENAI_API_KEY")
        run(lambda: _remote(api_root(base_url), key, params, upload, output))
    else:
        settings = load_settings(data_dir=data_dir, config=config)
        run(lambda: _embedded(settings, params, upload, output))


class _Bar:
    """A 0..100 progress bar that only moves forward."""

    def __init__(self) -> None:
        self._bar = click.progressbar(length=100, label="rendering", show_eta=False)
        self._shown = 0

    def __enter__(self) -> _Bar:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def show(self, progress: int) -> None:
        if progress > self._shown:
            self._bar.update(progress - self._shown)
            self._shown = progress


async def _poll(
    fetch: Callable[[], Awaitable[tuple[str, int, jobs.JobError | None]]], interval: float
) -> None:
    with _Bar() as bar:
        while True:
            status, progress, error = await fetch()
            bar.show(100 if status == "completed" else progress)
            if status == "failed":
                code, message = (error.code, error.message) if error else (None, None)
                raise GenerationFailed(f"video failed: [{code}] {message}")
            if status == "completed":
                return
            await asyncio.sleep(interval)


async def _remote(
    root: str, key: str, params: dict[str, Any], image: Upload | None, output: Path | None
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=root, headers=headers, timeout=60) as client:
        files = {"input_reference": (image.filename, image.file)} if image else None
        video = api_json(await client.post("/videos", data=params, files=files))
        video_id = video["id"]
        click.echo(f"queued {video_id} ({video['model']}, {video['size']}, {video['seconds']}s)")

        async def fetch() -> tuple[str, int, jobs.JobError | None]:
            current = api_json(await client.get(f"/videos/{video_id}"))
            error = current.get("error")
            return (
                current["status"],
                int(current["progress"]),
                jobs.JobError.from_json(error) if isinstance(error, dict) else None,
            )

        await _poll(fetch, 0.5)
        target = output or Path(f"{video_id}.mp4")
        await download(client, video_id, target)
    click.echo(f"saved {target}")


async def _embedded(
    settings: Settings, params: dict[str, Any], image: Upload | None, output: Path | None
) -> None:
    runtime = await open_runtime(settings)
    worker = runtime.worker(1)
    try:
        project, _ = await runtime.keys.ensure_project(DEFAULT_PROJECT)
        caller = Caller(project_id=project.id, key_id="cli")
        if image is not None:
            params["input_reference"] = image
        try:
            video = (await runtime.service.create(caller, params)).video
        except errors.RequestError as exc:
            param = f" (param: {exc.param})" if exc.param else ""
            raise click.ClickException(f"[{exc.code}] {exc.message}{param}") from None
        click.echo(f"queued {video.id} ({video.model}, {video.size}, {video.seconds}s)")
        await worker.start()
        video_id = video.id

        async def fetch() -> tuple[str, int, jobs.JobError | None]:
            current = await runtime.service.get(caller, video_id)
            return current.public_status, current.progress, current.error

        try:
            await _poll(fetch, 0.2)
        except (asyncio.CancelledError, KeyboardInterrupt):
            await runtime.videos.delete(project.id, video_id)
            raise
        found = await runtime.service.content(caller, video_id, "video")
        target = output or Path(f"{video_id}.mp4")
        await runtime.storage.download(found.asset.key, target)
        click.echo(f"saved {target}")
    finally:
        await worker.stop(0)
        await runtime.close()
