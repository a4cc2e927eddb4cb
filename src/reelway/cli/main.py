"""Entry point: ``reelway COMMAND``."""

from __future__ import annotations

import click

from reelway import __version__
from reelway.cli import (
    doctor,
    generate,
    keys,
    lint,
    models,
    pause,
    projects,
    promote,
    provenance,
    serve,
    storyboard,
    webhooks,
)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="reelway")
def cli() -> None:
    """Reelway: a self-hosted video generation API that speaks OpenAI's /v1/videos."""


cli.add_command(serve.serve)
cli.add_command(serve.worker)
cli.add_command(serve.migrate)
cli.add_command(keys.keys)
cli.add_command(projects.projects)
cli.add_command(projects.usage)
cli.add_command(generate.generate)
cli.add_command(promote.promote)
cli.add_command(storyboard.storyboard)
cli.add_command(doctor.doctor)
cli.add_command(lint.lint)
cli.add_command(provenance.provenance)
cli.add_command(webhooks.webhooks)
cli.add_command(models.models)
cli.add_command(pause.pause)
cli.add_command(pause.resume)


def main() -> None:
    cli()
