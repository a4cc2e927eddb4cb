"""docs/accounts.md's tables of tiers, plans and prices are the built-in data, row for row.

Regenerate the blocks with ``.venv/bin/python -m tests.unit.test_accounts_docs``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from reelway import accounts, catalog
from reelway.policy import tiers
from reelway.store import ledger

DOCS = Path(__file__).resolve().parents[2] / "docs" / "accounts.md"


def _limit(value: int | None) -> str:
    return "no limit" if value is None else f"{value:,}"


def _usd(value: float) -> str:
    """At least two decimals, more only when the price has them: $0.10, $0.125."""
    text = f"{value:.6f}".rstrip("0")
    whole, _, cents = text.partition(".")
    return f"${whole}.{cents.ljust(2, '0')}"


def render_tiers(plans: tiers.Plans) -> str:
    lines = [
        "| tier | description | requests per minute | requests per UTC day | priority |",
        "| --- | --- | --- | --- | --- |",
    ]
    for t in plans.tiers.values():
        name = f"`{t.name}` (default)" if t.name == plans.default_tier else f"`{t.name}`"
        lines.append(
            f"| {name} | {t.description} | {_limit(t.requests_per_minute)} | "
            f"{_limit(t.requests_per_day)} | {t.priority} |"
        )
    return "\n".join(lines)


def render_plans(plans: tiers.Plans) -> str:
    lines = ["| plan | monthly credits | relaxed mode |", "| --- | --- | --- |"]
    for p in plans.plans.values():
        lines.append(f"| `{p.name}` | {p.monthly_credits:,} | {'yes' if p.relaxed else 'no'} |")
    return "\n".join(lines)


def render_prices(models: catalog.Catalog) -> str:
    lines = [
        "| model | resolution class | sizes | USD per second | credits per second |",
        "| --- | --- | --- | --- | --- |",
    ]
    for model in models.models:
        by_class: dict[str, list[str]] = {}
        for size in model.sizes:
            by_class.setdefault(catalog.resolution_class(*catalog.parse_size(size)), []).append(
                size
            )
        for res_class in catalog.RESOLUTION_CLASSES:
            if res_class not in by_class:
                continue
            width, height = catalog.parse_size(by_class[res_class][0])
            sizes = ", ".join(by_class[res_class])
            lines.append(
                f"| `{model.name}` | {res_class} | {sizes} | "
                f"{_usd(model.price_per_second_usd(width, height))} | "
                f"{model.credits(width, height, 1)} |"
            )
    return "\n".join(lines)


BLOCKS: dict[str, Callable[[], str]] = {
    "tiers": lambda: render_tiers(tiers.load()),
    "plans": lambda: render_plans(tiers.load()),
    "prices": lambda: render_prices(catalog.load()),
}


def _markers(name: str) -> tuple[str, str]:
    return f"<!-- {name}:begin -->", f"<!-- {name}:end -->"


def rewrite(text: str) -> str:
    """The page with every generated block replaced by the data's current rendering."""
    for name, render in BLOCKS.items():
        start, end = _markers(name)
        head, found, rest = text.partition(start)
        _, found_end, tail = rest.partition(end)
        if not found or not found_end:
            raise ValueError(f"docs/accounts.md lacks the {start} ... {end} block")
        text = f"{head}{start}\n{render()}\n{end}{tail}"
    return text


@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_the_docs_table_is_the_data(name: str) -> None:
    start, end = _markers(name)
    text = DOCS.read_text("utf-8")
    block = re.search(re.escape(start) + r"\n(.*?)\n" + re.escape(end), text, re.S)
    assert block, f"docs/accounts.md lacks the {start} ... {end} block"
    assert block.group(1) == BLOCKS[name](), (
        f"the {name} table in docs/accounts.md is out of date; regenerate it with "
        "`.venv/bin/python -m tests.unit.test_accounts_docs`"
    )


def test_every_usage_column_is_explained() -> None:
    text = DOCS.read_text("utf-8")
    for column in accounts.USAGE_COLUMNS:
        assert f"\n| `{column}` |" in text, column


def test_the_budget_thresholds_are_the_ledgers() -> None:
    first, second, last = ledger.BUDGET_ALERTS
    text = DOCS.read_text("utf-8")
    assert f"{first}%, {second}% and {last}%" in text
    assert f"`{ledger.BUDGET_ALERT_EVENT}`" in text


if __name__ == "__main__":
    DOCS.write_text(rewrite(DOCS.read_text("utf-8")), "utf-8")
    print(f"rewrote the tiers, plans and prices tables in {DOCS}")
