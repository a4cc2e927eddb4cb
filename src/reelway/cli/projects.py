"""``reelway projects create|update|list|show``: projects as accounts (tier, plan, budget,
relaxed mode), administered on the database directly."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from reelway import accounts, errors
from reelway.cli.common import data_dir_option, with_runtime
from reelway.runtime import Runtime

T = TypeVar("T")


def account_options(update: bool) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """The settings ``create`` and ``update`` share; ``update`` can also clear them."""

    def wrap(command: Callable[..., Any]) -> Callable[..., Any]:
        options = [
            click.option("--tier", default=None, help="A tier from the plans file (tier2, pro…)."),
            click.option("--plan", default=None, help="A plan (plus, pro) with monthly credits."),
            click.option("--budget-usd", type=float, default=None, help="Spend limit a period."),
            click.option(
                "--relaxed/--no-relaxed",
                default=None,
                help="May ask for relaxed mode (default: as the plan says).",
            ),
            click.option(
                "--watermark/--no-watermark",
                default=None,
                help="A visible watermark on its videos (default: as the plan, then the server).",
            ),
            click.option("--rpm", type=int, default=None, help="Override the tier's per minute."),
            click.option("--rpd", type=int, default=None, help="Override the tier's per day."),
        ]
        if update:
            options += [
                click.option("--no-plan", is_flag=True, help="Remove the plan (no credit limit)."),
                click.option("--no-budget", is_flag=True, help="Remove the budget."),
                click.option("--default-tier", is_flag=True, help="Follow the default tier."),
                click.option(
                    "--disabled/--enabled", default=None, help="Refuse or allow new videos."
                ),
            ]
        for option in reversed(options):
            command = option(command)
        return command

    return wrap


def _changes(values: dict[str, Any]) -> dict[str, Any]:
    names = {"tier": "tier", "plan": "plan", "budget_usd": "budget_usd", "relaxed": "relaxed"}
    names |= {"watermark": "watermark"}
    names |= {"rpm": "requests_per_minute", "rpd": "requests_per_day", "disabled": "disabled"}
    changes = {names[k]: v for k, v in values.items() if k in names and v is not None}
    for flag, name in (("no_plan", "plan"), ("no_budget", "budget_usd"), ("default_tier", "tier")):
        if values.get(flag):
            changes[name] = None
    return changes


async def _record(runtime: Runtime, id_or_name: str) -> dict[str, Any]:
    return await runtime.accounts.record(await runtime.accounts.accounts.require(id_or_name))


def _show(record: dict[str, Any], as_json: bool) -> None:
    if as_json:
        click.echo(json.dumps(record, indent=2))
        return
    period = record["period"]
    credits = (
        "no plan"
        if period["credits_limit"] is None
        else (
            f"{period['credits_spent']:,} spent, {period['credits_reserved']:,} held, "
            f"{period['credits_remaining']:,} of {period['credits_limit']:,} left"
        )
    )
    budget = "none" if record["budget_usd"] is None else f"${record['budget_usd']:,.2f}"
    limits = f"{record['requests_per_minute'] or '-'}/min, {record['requests_per_day'] or '-'}/day"
    click.echo(f"{record['name']} ({record['id']}) {record['status']}")
    click.echo(
        f"  tier {record['tier']} ({limits}), plan {record['plan'] or '-'}, "
        f"relaxed {'yes' if record['relaxed'] else 'no'}, "
        f"watermark {'yes' if record['watermark'] else 'no'}"
    )
    click.echo(
        f"  budget {budget}; this period ${period['spent_usd']:,.2f} spent, "
        f"${period['reserved_usd']:,.2f} held"
    )
    click.echo(f"  credits: {credits}")
    files = record.get("files")
    if files is not None:
        click.echo(f"  files: {files['count']:,} stored, {files['bytes']:,} bytes")


@click.group()
def projects() -> None:
    """Create, update and list projects: tier, plan, budget and relaxed mode."""


@projects.command("create")
@click.argument("name")
@account_options(update=False)
@click.option("--json", "as_json", is_flag=True, help="Print the project as JSON.")
@data_dir_option
def create(name: str, as_json: bool, data_dir: Path | None, **values: Any) -> None:
    """Create a project (then give it a key with 'reelway keys create --project NAME')."""

    async def work(runtime: Runtime) -> dict[str, Any]:
        try:
            project = await runtime.accounts.create_project(name, _changes(values))
        except errors.ProjectExists as exc:
            raise click.ClickException(
                f"{exc.message} Change its settings with 'reelway projects update {name} "
                "...' (see --help), or give it a key with "
                f"'reelway keys create --project {name}'."
            ) from None
        return await runtime.accounts.record(project)

    _show(with_runtime(data_dir, work), as_json)


@projects.command("update")
@click.argument("name")
@account_options(update=True)
@click.option("--json", "as_json", is_flag=True, help="Print the project as JSON.")
@data_dir_option
def update(name: str, as_json: bool, data_dir: Path | None, **values: Any) -> None:
    """Change a project's settings; a new plan starts a new billing cycle today."""
    changes = _changes(values)
    if not changes:
        raise click.UsageError("nothing to change; see 'reelway projects update --help'")

    async def work(runtime: Runtime) -> dict[str, Any]:
        project = await runtime.accounts.update_project(name, changes)
        return await runtime.accounts.record(project)

    _show(with_runtime(data_dir, work), as_json)


@projects.command("show")
@click.argument("name")
@click.option("--json", "as_json", is_flag=True, help="Print the project as JSON.")
@data_dir_option
def show(name: str, as_json: bool, data_dir: Path | None) -> None:
    """A project's settings and this period's credits and spend."""

    async def work(runtime: Runtime) -> dict[str, Any]:
        return await _record(runtime, name)

    _show(with_runtime(data_dir, work), as_json)


@projects.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print the projects as JSON.")
@data_dir_option
def list_projects(as_json: bool, data_dir: Path | None) -> None:
    """Every project with its tier, plan, budget and this period's spend."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        found = await runtime.accounts.accounts.list_projects()
        return [await runtime.accounts.record(p) for p in found]

    records = with_runtime(data_dir, work)
    if as_json:
        click.echo(json.dumps(records, indent=2))
        return
    click.echo(
        f"{'NAME':20} {'TIER':11} {'PLAN':6} {'BUDGET':>10} {'SPENT':>10} "
        f"{'CREDITS LEFT':>12} STATUS"
    )
    for r in records:
        budget = "-" if r["budget_usd"] is None else f"${r['budget_usd']:,.2f}"
        left = r["period"]["credits_remaining"]
        click.echo(
            f"{r['name']:20} {r['tier']:11} {r['plan'] or '-':6} {budget:>10} "
            f"{'$' + format(r['period']['spent_usd'], ',.2f'):>10} "
            f"{'-' if left is None else format(left, ','):>12} {r['status']}"
        )


@click.command("usage")
@click.option("--project", default=None, help="One project (id or name); default: all.")
@click.option("--start", default=None, help="First UTC day, YYYY-MM-DD (default: 29 days ago).")
@click.option("--end", default=None, help="Last UTC day, YYYY-MM-DD (default: today).")
@click.option(
    "--format",
    "output",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
)
@data_dir_option
def usage(
    project: str | None, start: str | None, end: str | None, output: str, data_dir: Path | None
) -> None:
    """Requests, seconds, credits and spend by day and model."""

    async def work(runtime: Runtime) -> list[dict[str, Any]]:
        project_id = None
        if project is not None:
            project_id = (await runtime.accounts.accounts.require(project)).id
        return accounts.usage_records(await runtime.accounts.usage(project_id, start, end))

    records = with_runtime(data_dir, work)
    if output == "csv":
        click.echo(accounts.usage_csv(records), nl=False)
    elif output == "json":
        totals = accounts.usage_totals(records)
        click.echo(json.dumps({"data": records, "totals": totals}, indent=2))
    else:
        click.echo(
            f"{'DAY':10} {'PROJECT':38} {'MODEL':12} {'REQ':>5} {'DONE':>5} "
            f"{'FAIL':>5} {'SECONDS':>8} {'CREDITS':>8} {'COST':>10}"
        )
        for r in records:
            click.echo(
                f"{r['day']:10} {r['project_id']:38} {r['model']:12} {r['requests']:>5} "
                f"{r['completed']:>5} {r['failed']:>5} {r['seconds']:>8} {r['credits']:>8} "
                f"{'$' + format(r['cost_usd'], ',.2f'):>10}"
            )
