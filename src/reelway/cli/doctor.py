"""``reelway doctor [VIDEO_ID | REQUEST_ID]``: why a video failed, for the operator.

The API shows a failed video's code and message only; the provider's own status, code,
message and request id, and every engine the job went through, are kept for this command.
Without an argument it shows each engine's shared state (circuit breaker, back-off).
"""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any

import click

from reelway import jobs
from reelway.cli.common import config_option, data_dir_option, load_settings, run
from reelway.runtime import Runtime


@click.command()
@click.argument("ident", required=False)
@data_dir_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the raw record as JSON.")
def doctor(ident: str | None, data_dir: Path | None, config: Path | None, as_json: bool) -> None:
    """Explain a video (by video id or the request id that created it), or engine health."""
    settings = load_settings(data_dir=data_dir, config=config)

    async def main() -> None:
        runtime = await Runtime.open(settings)
        try:
            if ident is None:
                _health(await runtime.engine_store.health(), sorted(runtime.catalog.engines()))
                return
            video = await runtime.queue.source(ident) or await runtime.videos.by_request_id(ident)
            if video is None:
                raise click.ClickException(f"no video with id or request id {ident!r}")
            if as_json:
                click.echo(json.dumps(_record(video), indent=2, default=str))
            else:
                _explain(video)
        finally:
            await runtime.close()

    run(main)


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.datetime.fromtimestamp(value, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _record(video: jobs.Video) -> dict[str, Any]:
    return {
        "id": video.id,
        "project_id": video.project_id,
        "request_id": video.request_id,
        "model": video.model,
        "status": video.status.value,
        "public_status": video.public_status,
        "engine": video.engine,
        "operation": video.operation,
        "attempts": video.attempts,
        "created_at": video.created_at,
        "started_at": video.started_at,
        "completed_at": video.completed_at,
        "error": video.error,
        "engine_attempts": video.engine_attempts,
    }


def _explain(video: jobs.Video) -> None:
    click.echo(f"video      {video.id}  (project {video.project_id}, request {video.request_id})")
    click.echo(f"model      {video.model}  {video.size}  {video.seconds}s")
    click.echo(f"status     {video.status.value} (API: {video.public_status})")
    click.echo(f"engine     {video.engine or '-'}  operation {json.dumps(video.operation)}")
    click.echo(f"created    {_when(video.created_at)}")
    click.echo(f"started    {_when(video.started_at)}")
    click.echo(f"finished   {_when(video.completed_at)}")
    if video.error:
        click.echo(f"error      {video.error.get('code')}: {video.error.get('message')}")
    history = (video.error or {}).get("attempts") or video.engine_attempts or []
    for number, attempt in enumerate(a for a in history if a.get("engine")):
        click.echo(
            f"attempt {number + 1}  {attempt['engine']}: {attempt['code']} at "
            f"{_when(attempt.get('at'))}\n           {attempt.get('message', '')}"
        )
        upstream = attempt.get("upstream") or {}
        facts = [
            f"{key}={upstream[key]}"
            for key in ("http_status", "provider_code", "request_id", "transport")
            if upstream.get(key) is not None
        ]
        if facts:
            click.echo(f"           provider: {', '.join(facts)}")
        if upstream.get("provider_message"):
            click.echo(f"           provider said: {upstream['provider_message']}")


def _health(states: list[Any], engines: list[str]) -> None:
    known = {state.engine: state for state in states}
    for engine in engines:
        state = known.get(engine)
        if state is None:
            click.echo(f"{engine:24} no calls recorded")
            continue
        opened = f"breaker open until {_when(state.opened_until)}" if state.opened_until else ""
        blocked = (
            f"provider back-off until {_when(state.blocked_until)}" if state.blocked_until else ""
        )
        detail = "; ".join(x for x in (opened, blocked) if x) or "healthy"
        click.echo(f"{engine:24} consecutive failures {state.failures}; {detail}")
