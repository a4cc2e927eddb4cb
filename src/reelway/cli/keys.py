"""``reelway keys create|list|revoke``: API keys, each belonging to a project."""

from __future__ import annotations

import datetime
from pathlib import Path

import click

from reelway.cli.common import data_dir_option, load_settings, open_runtime, run


@click.group()
def keys() -> None:
    """Create, list and revoke API keys."""


@keys.command("create")
@click.option("--project", required=True, help="Project name; created if it does not exist.")
@click.option("--name", default="default", show_default=True, help="A label for the key.")
@data_dir_option
def create(project: str, name: str, data_dir: Path | None) -> None:
    """Create a key; its secret is printed once, as the last line."""
    settings = load_settings(data_dir=data_dir)

    async def main() -> None:
        runtime = await open_runtime(settings)
        try:
            proj, created = await runtime.keys.ensure_project(project)
            key, secret = await runtime.keys.create_key(proj.id, name=name)
        finally:
            await runtime.close()
        if created:
            click.echo(f"created project {proj.name} ({proj.id})")
        click.echo(f"created key {key.id} for project {proj.name}; the secret is shown only once:")
        click.echo(secret)

    run(main)


@keys.command("list")
@click.option("--project", default=None, help="Only this project's keys.")
@data_dir_option
def list_keys(project: str | None, data_dir: Path | None) -> None:
    """List keys (their hints, never their secrets)."""
    settings = load_settings(data_dir=data_dir)

    async def main() -> None:
        runtime = await open_runtime(settings)
        try:
            project_id = None
            if project is not None:
                found = await runtime.keys.project_by_name(project)
                if found is None:
                    raise click.ClickException(f"no project named {project!r}")
                project_id = found.id
            rows = await runtime.keys.list_keys(project_id)
        finally:
            await runtime.close()
        click.echo(f"{'ID':38} {'PROJECT':16} {'NAME':14} {'KEY':18} {'CREATED':20} STATUS")
        for key, project_name in rows:
            created = _when(key.created_at)
            status = f"revoked {_when(key.revoked_at)}" if key.revoked_at else "active"
            click.echo(
                f"{key.id:38} {project_name:16} {key.name:14} {key.hint:18} {created:20} {status}"
            )

    run(main)


@keys.command("revoke")
@click.argument("key_id")
@data_dir_option
def revoke(key_id: str, data_dir: Path | None) -> None:
    """Revoke a key by its id (key_…); servers stop accepting it within seconds."""
    settings = load_settings(data_dir=data_dir)

    async def main() -> None:
        runtime = await open_runtime(settings)
        try:
            key = await runtime.keys.revoke_key(key_id)
        finally:
            await runtime.close()
        if key is None:
            raise click.ClickException(f"no key with id {key_id!r}")
        click.echo(f"revoked {key.id} ({key.hint})")

    run(main)


def _when(timestamp: float | None) -> str:
    if timestamp is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S")
