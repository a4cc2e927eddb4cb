"""``reelway webhooks …``: a project's webhook endpoints and their deliveries, administered on
the database directly (the same use cases as ``/v1/webhook_endpoints``)."""

from __future__ import annotations

import datetime
import json
from pathlib import Path
from typing import Any, TypeVar

import click

from reelway.cli.common import data_dir_option, with_runtime
from reelway.runtime import Runtime
from reelway.webhooks.endpoints import EVENT_TYPES

T = TypeVar("T")


async def _owner(runtime: Runtime, endpoint_id: str) -> str:
    project_id = await runtime.webhook_store.owner(endpoint_id)
    if project_id is None:
        raise click.ClickException(f"no webhook endpoint with id {endpoint_id!r}")
    return project_id


def _echo(record: dict[str, Any]) -> None:
    click.echo(json.dumps(record, indent=2))


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    return datetime.datetime.fromtimestamp(value, datetime.UTC).strftime("%Y-%m-%d %H:%M:%S")


@click.group()
def webhooks() -> None:
    """Webhook endpoints (signing secrets are shown once) and their deliveries."""


@webhooks.command("create")
@click.option("--project", required=True, help="Project id or name.")
@click.option("--name", required=True)
@click.option("--url", required=True)
@click.option(
    "--event",
    "events",
    multiple=True,
    type=click.Choice(EVENT_TYPES),
    default=("video.completed", "video.failed"),
    show_default=True,
)
@data_dir_option
def create(
    project: str, name: str, url: str, events: tuple[str, ...], data_dir: Path | None
) -> None:
    """Register an endpoint; prints it with its signing secret (shown only now)."""

    async def work(runtime: Runtime) -> None:
        project_id = (await runtime.accounts.accounts.require(project)).id
        params = {"name": name, "url": url, "event_types": list(events)}
        _echo(await runtime.webhooks.create(project_id, params))

    with_runtime(data_dir, work)


@webhooks.command("list")
@click.option("--project", required=True, help="Project id or name.")
@data_dir_option
def list_endpoints(project: str, data_dir: Path | None) -> None:
    """A project's endpoints, newest first."""

    async def work(runtime: Runtime) -> None:
        project_id = (await runtime.accounts.accounts.require(project)).id
        page = await runtime.webhooks.list(project_id, after=None, limit=100)
        for endpoint in page["data"]:
            click.echo(
                f"{endpoint['id']}  {endpoint['status']:8}  {endpoint['name']}  "
                f"{endpoint['url']}  {','.join(endpoint['event_types'])}"
            )

    with_runtime(data_dir, work)


@webhooks.command("delete")
@click.argument("endpoint_id")
@data_dir_option
def delete(endpoint_id: str, data_dir: Path | None) -> None:
    """Remove an endpoint; its undelivered events are dropped."""

    async def work(runtime: Runtime) -> None:
        _echo(await runtime.webhooks.delete(await _owner(runtime, endpoint_id), endpoint_id))

    with_runtime(data_dir, work)


@webhooks.command("rotate")
@click.argument("endpoint_id")
@click.option(
    "--keep-old-seconds",
    type=click.FloatRange(0, 7 * 24 * 3600),
    default=0,
    help="Keep signing with the old secret too for this long (receivers can switch).",
)
@data_dir_option
def rotate(endpoint_id: str, keep_old_seconds: float, data_dir: Path | None) -> None:
    """A new signing secret (shown only now)."""

    async def work(runtime: Runtime) -> None:
        project_id = await _owner(runtime, endpoint_id)
        params = {"keep_old_secret_seconds": keep_old_seconds}
        _echo(await runtime.webhooks.rotate(project_id, endpoint_id, params))

    with_runtime(data_dir, work)


@webhooks.command("enable")
@click.argument("endpoint_id")
@data_dir_option
def enable(endpoint_id: str, data_dir: Path | None) -> None:
    """Turn a disabled endpoint back on (new events only; dropped ones are not re-sent)."""

    async def work(runtime: Runtime) -> None:
        project_id = await _owner(runtime, endpoint_id)
        _echo(await runtime.webhooks.update(project_id, endpoint_id, {"enabled": True}))

    with_runtime(data_dir, work)


@webhooks.command("test")
@click.argument("endpoint_id")
@click.option("--event", type=click.Choice(EVENT_TYPES), default="video.completed")
@data_dir_option
def test(endpoint_id: str, event: str, data_dir: Path | None) -> None:
    """Send one signed sample event now and print what the receiver answered."""

    async def work(runtime: Runtime) -> None:
        project_id = await _owner(runtime, endpoint_id)
        _echo(await runtime.webhooks.test(project_id, endpoint_id, {"event_type": event}))

    with_runtime(data_dir, work)


@webhooks.command("deliveries")
@click.option("--endpoint", "endpoint_id", required=True, help="Endpoint id.")
@click.option("--limit", type=click.IntRange(1, 1000), default=50)
@click.option("--json", "as_json", is_flag=True)
@data_dir_option
def deliveries(endpoint_id: str, limit: int, as_json: bool, data_dir: Path | None) -> None:
    """An endpoint's newest deliveries: status, attempts, last answer, next attempt."""

    async def work(runtime: Runtime) -> None:
        project_id = await _owner(runtime, endpoint_id)
        found = await runtime.webhook_store.deliveries(project_id, endpoint_id, limit)
        if as_json:
            _echo(
                {
                    "data": [
                        {
                            "id": d.id,
                            "event_id": d.event_id,
                            "event_type": d.event_type,
                            "status": d.status,
                            "attempts": d.attempts,
                            "last_status_code": d.last_status_code,
                            "last_error": d.last_error,
                            "next_attempt_at": d.next_attempt_at,
                            "created_at": d.created_at,
                            "finished_at": d.finished_at,
                        }
                        for d in found
                    ]
                }
            )
            return
        for d in found:
            answer = d.last_status_code or d.last_error or "-"
            upcoming = _when(d.next_attempt_at) if d.status == "pending" else ""
            click.echo(
                f"{d.id}  {d.event_type:26} {d.status:9} attempts={d.attempts}  "
                f"last={answer}  {upcoming}"
            )

    with_runtime(data_dir, work)
