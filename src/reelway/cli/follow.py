"""Following a queued video to its MP4, for the commands that make one (generate, promote):
a progress bar that only moves forward, the poll, and the download, over HTTP or embedded."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import click
import httpx

from reelway import errors, jobs
from reelway.cli.common import GenerationFailed, api_json, download
from reelway.runtime import Runtime
from reelway.service import Caller

Fetch = Callable[[], Awaitable[tuple[str, int, jobs.JobError | None]]]
"""One look at the video: its public status, progress and error."""


class ProgressBar:
    """A 0..100 progress bar that only moves forward."""

    def __init__(self) -> None:
        self._bar = click.progressbar(length=100, label="rendering", show_eta=False)
        self._shown = 0

    def __enter__(self) -> ProgressBar:
        self._bar.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        self._bar.__exit__(None, None, None)

    def show(self, progress: int) -> None:
        if progress > self._shown:
            self._bar.update(progress - self._shown)
            self._shown = progress


async def poll(fetch: Fetch, interval: float) -> None:
    """Until the video completes; a failed video raises ``GenerationFailed`` with its code."""
    with ProgressBar() as bar:
        while True:
            status, progress, error = await fetch()
            bar.show(100 if status == "completed" else progress)
            if status == "failed":
                code, message = (error.code, error.message) if error else (None, None)
                raise GenerationFailed(f"video failed: [{code}] {message}")
            if status == "completed":
                return
            await asyncio.sleep(interval)


def refused(exc: errors.RequestError) -> click.ClickException:
    """A refused request as the one line the commands print."""
    param = f" (param: {exc.param})" if exc.param else ""
    return click.ClickException(f"[{exc.code}] {exc.message}{param}")


async def follow_remote(client: httpx.AsyncClient, video_id: str, output: Path | None) -> Path:
    """Poll a server's video until it completes and save its MP4; the path saved to."""

    async def fetch() -> tuple[str, int, jobs.JobError | None]:
        current = api_json(await client.get(f"/videos/{video_id}"))
        error = current.get("error")
        return (
            current["status"],
            int(current["progress"]),
            jobs.JobError.from_json(error) if isinstance(error, dict) else None,
        )

    await poll(fetch, 0.5)
    target = output or Path(f"{video_id}.mp4")
    await download(client, video_id, target)
    return target


async def follow_embedded(
    runtime: Runtime, caller: Caller, video_id: str, output: Path | None
) -> Path:
    """The same in this process (the embedded worker renders it); the path saved to."""

    async def fetch() -> tuple[str, int, jobs.JobError | None]:
        current = await runtime.service.get(caller, video_id)
        return current.public_status, current.progress, current.error

    await poll(fetch, 0.2)
    found = await runtime.service.content(caller, video_id, "video")
    target = output or Path(f"{video_id}.mp4")
    await runtime.storage.download(found.asset.key, target)
    return target
