"""``reelway generate``: one video from the command line, with a progress bar.

With ``--base-url`` it speaks the HTTP API like any client; without, it runs an embedded
instance on the data dir (the same service and worker as ``reelway serve``).
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import click
import httpx

from reelway import errors
from reelway.cli.common import (
    api_json,
    api_root,
    client_options,
    load_settings,
    open_runtime,
    run,
)
from reelway.cli.follow import follow_embedded, follow_remote, refused
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
    "--captions/--no-captions",
    default=None,
    help="Draw the animatic's storyboard captions, or not (Reelway extension; default: as "
    "the deployment says).",
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
    captions: bool | None,
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
    if captions is not None:
        params["captions"] = "true" if captions else "false"
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


async def _remote(
    root: str, key: str, params: dict[str, Any], image: Upload | None, output: Path | None
) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=root, headers=headers, timeout=60) as client:
        files = {"input_reference": (image.filename, image.file)} if image else None
        video = api_json(await client.post("/videos", data=params, files=files))
        video_id = video["id"]
        click.echo(f"queued {video_id} ({video['model']}, {video['size']}, {video['seconds']}s)")
        target = await follow_remote(client, video_id, output)
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
            raise refused(exc) from None
        click.echo(f"queued {video.id} ({video.model}, {video.size}, {video.seconds}s)")
        await worker.start()
        try:
            target = await follow_embedded(runtime, caller, video.id, output)
        except (asyncio.CancelledError, KeyboardInterrupt):
            await runtime.videos.delete(project.id, video.id)
            raise
        click.echo(f"saved {target}")
    finally:
        await worker.stop(0)
        await runtime.close()
