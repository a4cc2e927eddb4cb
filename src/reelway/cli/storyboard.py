"""``reelway storyboard FILE``: many shots made as one video, with a live line per shot.

FILE holds the body of ``POST /v1/videos/storyboards`` as YAML or JSON. With ``--base-url``
the command speaks the HTTP API like any client; without, it runs an embedded instance on
the data dir, as ``reelway generate`` does. Both sides answer the API's wire shapes, so the
display and the failure report are one piece of code.
"""

from __future__ import annotations

import asyncio
import json
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

import click
import httpx
import yaml  # type: ignore[import-untyped]

from reelway import errors, storyboards
from reelway.api import wire
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
from reelway.cli.follow import refused
from reelway.runtime import DEFAULT_PROJECT, Runtime
from reelway.service import Caller
from reelway.settings import Settings

POLL_SECONDS = 0.5
EMBEDDED_POLL_SECONDS = 0.2
PLAIN_EVERY = 5.0
"""Without a terminal, progress-only changes are printed at most this often (status changes
at once): a log or CI output gets a line per step, not per poll."""


class BadStoryboardFile(click.ClickException):
    """The file cannot be read as a storyboard: a usage error (exit 2), one line."""

    exit_code = 2


@click.command()
@click.argument("file", type=click.Path(dir_okay=False, exists=True, path_type=Path))
@client_options
def storyboard(
    file: Path,
    output: Path | None,
    base_url: str | None,
    api_key: str | None,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Render the storyboard in FILE (YAML or JSON: model, size, seed, soundtrack, shots)."""
    body = load_body(file)
    if base_url is not None:
        key = api_key or os.environ.get("OPENAI_API_KEY")
        if not key:
            raise click.UsageError("--base-url needs --api-key or OPENAI_API_KEY")
        run(lambda: _remote(api_root(base_url), key, body, output))
    else:
        settings = load_settings(data_dir=data_dir, config=config)
        run(lambda: _embedded(settings, body, output))


def load_body(path: Path) -> dict[str, Any]:
    """The request body in ``path``; shot ``seconds`` written as YAML numbers become the
    strings the API takes (``4`` -> ``"4"``)."""
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise BadStoryboardFile(f"{path}: cannot read it: {exc}") from None
    try:
        parse = json.loads if path.suffix.lower() == ".json" else yaml.safe_load
        body = parse(text)
    except json.JSONDecodeError as exc:
        raise BadStoryboardFile(f"{path}: not valid JSON: {exc}") from None
    except yaml.YAMLError as exc:
        raise BadStoryboardFile(f"{path}: not valid YAML: {_yaml_problem(exc)}") from None
    if not isinstance(body, dict):
        found = "nothing" if body is None else type(body).__name__
        raise BadStoryboardFile(f"{path}: expected a mapping with 'shots', found {found}")
    shots = body.get("shots")
    if isinstance(shots, list):
        body["shots"] = [_shot(shot) for shot in shots]
    try:
        json.dumps(body)
    except (TypeError, ValueError) as exc:
        raise BadStoryboardFile(f"{path}: a value JSON cannot carry: {exc}") from None
    return body


def _yaml_problem(exc: Exception) -> str:
    """One line: where and what, without the snippet PyYAML draws under it."""
    mark = getattr(exc, "problem_mark", None)
    problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
    where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark is not None else ""
    return f"{where}{problem}"


def _shot(shot: Any) -> Any:
    if not isinstance(shot, dict):
        return shot  # the server names it (shots[i])
    seconds = shot.get("seconds")
    if isinstance(seconds, bool):
        return shot
    if isinstance(seconds, float) and seconds.is_integer():
        seconds = int(seconds)
    if isinstance(seconds, int | float):
        shot = {**shot, "seconds": str(seconds)}
    return shot


class Source(Protocol):
    """Where the storyboard lives: a server over HTTP, or an embedded instance."""

    async def video(self, video_id: str) -> dict[str, Any]: ...

    async def shots(self, video_id: str) -> list[dict[str, Any]]: ...


class Display:
    """One line for the storyboard and one per shot: redrawn in place on a terminal, printed
    as plain lines when they change otherwise."""

    def __init__(self, live: bool, clock: Callable[[], float] = time.monotonic) -> None:
        self._live = live
        self._clock = clock
        self._shown: list[str] = []
        self._printed: dict[int, str] = {}
        self._statuses: dict[int, str] = {}
        self._last_plain = float("-inf")

    def show(self, video: dict[str, Any], shots: list[dict[str, Any]], final: bool = False) -> None:
        rows = [(-1, video.get("status", ""), _video_line(video))]
        rows += [(int(s["index"]), s.get("status", ""), shot_line(s, len(shots))) for s in shots]
        if self._live:
            self._redraw([line for _, _, line in rows])
            return
        now = self._clock()
        periodic = final or now - self._last_plain >= PLAIN_EVERY
        for key, status, line in rows:
            moved = self._statuses.get(key) != status
            if self._printed.get(key) != line and (periodic or moved):
                click.echo(line)
                self._printed[key] = line
                self._statuses[key] = status
        if periodic:
            self._last_plain = now

    def _redraw(self, lines: list[str]) -> None:
        if lines == self._shown:
            return  # no flicker while nothing moves
        up = f"\x1b[{len(self._shown)}A" if self._shown else ""
        click.echo(up + "".join(f"\r\x1b[2K{line}\n" for line in lines), nl=False)
        self._shown = lines


def _video_line(video: dict[str, Any]) -> str:
    return f"storyboard {video['id']}  {video.get('status', ''):<11} {video.get('progress', 0):>3}%"


def shot_line(shot: dict[str, Any], count: int) -> str:
    """``shot 2/3  in_progress  45%  animatic``: numbered from 1, like the error messages."""
    number = f"{int(shot['index']) + 1}/{count}"
    engine = shot.get("engine") or "-"
    status = shot.get("status") or "-"
    return f"  shot {number:<5} {status:<11} {int(shot.get('progress') or 0):>3}%  {engine}"


async def follow(source: Source, video_id: str, display: Display, interval: float) -> None:
    """Show progress until the storyboard ends; a failed one raises, naming the shot."""
    while True:
        video = await source.video(video_id)
        shots = await source.shots(video_id)
        ended = video.get("status") in ("completed", "failed")
        display.show(video, shots, final=ended)
        if video.get("status") == "failed":
            raise GenerationFailed(failure_message(video, shots))
        if ended:
            return
        await asyncio.sleep(interval)


def failure_message(video: dict[str, Any], shots: list[dict[str, Any]]) -> str:
    """The storyboard's error, then the shot that caused it with its own error and the retry
    that fixes it (which also requeues the shots cancelled with it)."""
    error = video.get("error") or {}
    lines = [f"storyboard failed: [{error.get('code')}] {error.get('message')}"]
    ended = [shot for shot in shots if shot.get("status") == "failed"]
    causes = [s for s in ended if (s.get("error") or {}).get("code") != "cancelled"] or ended
    for shot in causes:
        own = shot.get("error") or {}
        index = int(shot["index"])
        lines.append(
            f"  shot {index + 1} ({shot.get('video_id')}): [{own.get('code')}] {own.get('message')}"
        )
        lines.append(f"  retry it: POST /v1/videos/{video['id']}/shots/{index}/retry")
    if len(ended) > len(causes):
        lines.append(f"  {len(ended) - len(causes)} shot(s) not yet made were cancelled with it")
    return "\n".join(lines)


def announce(video: dict[str, Any], shots: int) -> None:
    click.echo(
        f"queued {video['id']} ({video['model']}, {video['size']}, {video['seconds']}s "
        f"in {shots} shots)"
    )


class _Remote:
    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def video(self, video_id: str) -> dict[str, Any]:
        return api_json(await self._client.get(f"/videos/{video_id}"))

    async def shots(self, video_id: str) -> list[dict[str, Any]]:
        data = api_json(await self._client.get(f"/videos/{video_id}/shots")).get("data")
        return list(data) if isinstance(data, list) else []


async def _remote(root: str, key: str, body: dict[str, Any], output: Path | None) -> None:
    headers = {"Authorization": f"Bearer {key}"}
    async with httpx.AsyncClient(base_url=root, headers=headers, timeout=60) as client:
        video = api_json(await client.post("/videos/storyboards", json=body))
        video_id = video["id"]
        announce(video, len(body.get("shots") or ()))
        live = sys.stdout.isatty()
        await follow(_Remote(client), video_id, Display(live), POLL_SECONDS)
        target = output or Path(f"{video_id}.mp4")
        await download(client, video_id, target)
    click.echo(f"saved {target}")


class _Embedded:
    """The same wire shapes as the API's, read from the embedded service."""

    def __init__(self, runtime: Runtime, caller: Caller) -> None:
        self._runtime = runtime
        self._caller = caller
        self.boards = storyboards.Storyboards(runtime.service)

    async def video(self, video_id: str) -> dict[str, Any]:
        return wire.video(await self._runtime.service.get(self._caller, video_id))

    async def shots(self, video_id: str) -> list[dict[str, Any]]:
        return [wire.shot(shot, None) for shot in await self.boards.shots(self._caller, video_id)]


async def _embedded(settings: Settings, body: dict[str, Any], output: Path | None) -> None:
    runtime = await open_runtime(settings)
    worker = runtime.worker(1)
    try:
        project, _ = await runtime.keys.ensure_project(DEFAULT_PROJECT)
        caller = Caller(project_id=project.id, key_id="cli")
        source = _Embedded(runtime, caller)
        try:
            video = (await source.boards.create(caller, body)).video
        except errors.RequestError as exc:
            raise refused(exc) from None
        announce(wire.video(video), len(body.get("shots") or ()))
        await worker.start()
        try:
            await follow(source, video.id, Display(sys.stdout.isatty()), EMBEDDED_POLL_SECONDS)
        except (asyncio.CancelledError, KeyboardInterrupt):
            await runtime.videos.delete(project.id, video.id)  # and its unfinished shots
            raise
        found = await runtime.service.content(caller, video.id, "video")
        target = output or Path(f"{video.id}.mp4")
        await runtime.storage.download(found.asset.key, target)
        click.echo(f"saved {target}")
    finally:
        await worker.stop(0)
        await runtime.close()
