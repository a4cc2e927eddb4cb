"""``reelway pause`` / ``reelway resume``: the operator pauses the deployment, a project or
an engine on the database directly (the same use cases as ``/v1/organization/pause``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import click

from reelway import errors
from reelway.cli.common import (
    config_option,
    data_dir_option,
    load_settings,
    open_runtime,
    run,
    tolerate_unset_secrets,
)
from reelway.pauses import ON_QUEUED
from reelway.runtime import Runtime


def _target(project: str | None, engine: str | None, everything: bool) -> dict[str, Any]:
    chosen = [name for name, on in (("--project", project), ("--engine", engine)) if on]
    if everything:
        chosen.append("--all")
    if len(chosen) != 1:
        raise click.UsageError("name exactly one of --project NAME, --engine NAME or --all.")
    if everything:
        return {"scope": "deployment"}
    if project:
        return {"scope": "project", "project": project}
    return {"scope": "engine", "engine": engine}


def _run(
    data_dir: Path | None, config: Path | None, work: Callable[[Runtime], Awaitable[Any]]
) -> Any:
    settings = load_settings(data_dir=data_dir, config=config)
    tolerate_unset_secrets(settings)  # it only writes a row: the engines' secrets are not needed

    async def main() -> Any:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        except errors.ReelwayError as exc:
            raise click.ClickException(exc.message) from None
        finally:
            await runtime.close()

    return run(main)


def _show(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    click.echo(_line(record))


def _line(record: dict[str, Any]) -> str:
    what = record.get("project_id") or record.get("engine") or "the deployment"
    if record["object"] == "pause.resumed":
        was = "resumed" if record["was_paused"] else "was not paused"
        return f"{record['scope']} {what}: {was}"
    parts = [f"{record['scope']} {what}: paused by {record['paused_by']}"]
    if record.get("on_queued"):
        parts.append(f"queued jobs {record['on_queued']}")
    if record.get("queued_jobs_held") is not None:
        parts.append(f"{record['queued_jobs_held']} queued jobs held")
    if record.get("reason"):
        parts.append(f"reason: {record['reason']}")
    return ", ".join(parts)


_project = click.option("--project", help="Pause one project (id or name).")
_engine = click.option("--engine", help="Pause one engine (its name in the config).")
_all = click.option("--all", "everything", is_flag=True, help="Pause the whole deployment.")
_json = click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")


@click.command()
@_project
@_engine
@_all
@click.option("--reason", help="Why (shown in /v1/usage, the dashboard, /ready and doctor).")
@click.option(
    "--on-queued",
    type=click.Choice(ON_QUEUED),
    default=None,
    help="An engine's queued jobs: fail over along their routes (default) or wait for it.",
)
@click.option("--list", "listing", is_flag=True, help="List every pause now, and pause nothing.")
@_json
@data_dir_option
@config_option
def pause(
    project: str | None,
    engine: str | None,
    everything: bool,
    reason: str | None,
    on_queued: str | None,
    listing: bool,
    as_json: bool,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Pause processing: creates are still accepted and queued, nothing new starts, running
    jobs finish.  ``reelway resume`` starts the queued jobs again, in queue order."""
    if listing:
        found = _run(data_dir, config, lambda runtime: runtime.pauses.list())
        if as_json:
            click.echo(json.dumps(found, indent=2))
        for record in [] if as_json else found["data"]:
            click.echo(_line(record))
        if not found["data"] and not as_json:
            click.echo("nothing is paused")
        return
    body = _target(project, engine, everything)
    if reason is not None:
        body["reason"] = reason
    if on_queued is not None:
        body["on_queued"] = on_queued
    _show(_run(data_dir, config, lambda runtime: runtime.pauses.pause(body)), as_json)


@click.command()
@_project
@_engine
@_all
@_json
@data_dir_option
@config_option
def resume(
    project: str | None,
    engine: str | None,
    everything: bool,
    as_json: bool,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Lift a pause (the operator's, a project's own or its budget's)."""
    body = _target(project, engine, everything)
    _show(_run(data_dir, config, lambda runtime: runtime.pauses.resume(body)), as_json)
