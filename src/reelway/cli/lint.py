"""``reelway lint "PROMPT"``: the preflight on the command line, without a server or a job.

It reads the same settings as the server (catalogue, moderation backends, detail level), so
what it says is what a create would meet.  Exit status 1 when moderation would refuse the
prompt, 0 otherwise (warnings are advice, not errors).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from reelway import errors, safety, service
from reelway.cli.common import config_option, data_dir_option, load_settings, run
from reelway.runtime import load_catalog


@click.command()
@click.argument("prompt")
@click.option("--model", default=None, help="Model name or alias (default sora-2).")
@click.option("--size", default=None, help="Size, e.g. 1280x720 (default: the model's).")
@click.option("--seconds", default=None, help="Length in seconds (default: the model's).")
@click.option("--json", "as_json", is_flag=True, help="Print the preflight as JSON.")
@data_dir_option
@config_option
def lint(
    prompt: str,
    model: str | None,
    size: str | None,
    seconds: str | None,
    as_json: bool,
    data_dir: Path | None,
    config: Path | None,
) -> None:
    """Check a prompt: moderation, complexity, the five elements and the cost."""
    settings = load_settings(drivers=False, data_dir=data_dir, config=config)
    params = {"prompt": prompt, "model": model, "size": size, "seconds": seconds}

    async def main() -> dict[str, Any]:
        moderation = safety.moderation(settings)
        try:
            models = load_catalog(settings)
            found = {k: v for k, v in params.items() if v is not None}
            return await service.check_prompt(models, moderation, found)
        except errors.ReelwayError as exc:
            raise click.ClickException(exc.message) from None
        finally:
            await moderation.close()

    report = run(main)
    if as_json:
        click.echo(json.dumps(report, indent=2))
    else:
        _show(report)
    if report["moderation"]["blocked"]:
        raise SystemExit(1)


def _show(report: dict[str, Any]) -> None:
    cost = report["estimate"]
    click.echo(
        f"{report['model']} {report['size']} {report['seconds']}s: score {report['score']}/100 "
        f"({report['grade']}), estimate {cost['credits']} credits, ${cost['cost_usd']:.2f}"
    )
    moderation = report["moderation"]
    if moderation["blocked"]:
        click.echo("moderation: would be refused before generation (sentinel_block)")
        for finding in moderation["findings"]:
            evidence = f" - {finding['evidence']}" if finding.get("evidence") else ""
            click.echo(f"  {finding['category']}{evidence}")
            if finding.get("advice"):
                click.echo(f"    {finding['advice']}")
    else:
        click.echo("moderation: passes the prompt checks")
    click.echo("elements:")
    for name, found in report["elements"].items():
        click.echo(f"  {name:16} {found if found else '- missing'}")
    if report["warnings"]:
        click.echo("warnings:")
        for warning in report["warnings"]:
            click.echo(f"  [{warning['severity']}] {warning['code']}: {warning['message']}")
