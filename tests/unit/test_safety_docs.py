"""docs/safety.md's categories table is the shipped moderation_rules.toml, row for row.

The table between ``<!-- categories:start -->`` and ``<!-- categories:end -->`` must list
exactly the file's categories, each with the file's description and advice, and example terms
that are among the category's terms.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

DOCS = Path(__file__).resolve().parents[2] / "docs" / "safety.md"
BLOCK = re.compile(r"<!-- categories:start -->\n(.*?)<!-- categories:end -->", re.S)
ROW = re.compile(
    r"^\| `(?P<name>[^`|]+)` \| (?P<description>[^|]*) \| "
    r"(?P<examples>[^|]*) \| (?P<advice>[^|]*) \|$"
)


def shipped_categories() -> dict[str, Any]:
    raw = resources.files("reelway.policy").joinpath("moderation_rules.toml").read_text()
    categories: dict[str, Any] = tomllib.loads(raw)["categories"]
    return categories


def table_rows(text: str) -> list[dict[str, str]]:
    """The rows of the categories table; every body line of the block must be one."""
    block = BLOCK.search(text)
    assert block is not None, "docs/safety.md lost its <!-- categories:start/end --> markers"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) >= 2 and lines[1].startswith("| ---"), "the block must be one table"
    rows = []
    for line in lines[2:]:
        match = ROW.match(line)
        assert match is not None, f"not a category row: {line!r}"
        rows.append(match.groupdict())
    return rows


def check(text: str, categories: dict[str, Any]) -> None:
    rows = table_rows(text)
    names = [row["name"] for row in rows]
    assert len(names) == len(set(names)), f"a category is listed twice: {names}"
    assert set(names) == set(categories), (
        f"docs/safety.md lists {sorted(names)}, moderation_rules.toml has {sorted(categories)}"
    )
    for row in rows:
        spec = categories[row["name"]]
        assert row["description"] == spec["description"], row["name"]
        assert row["advice"] == spec["advice"], row["name"]
        examples = re.findall(r"`([^`]+)`", row["examples"])
        assert examples, f"{row['name']}: no example terms"
        unknown = [e for e in examples if e not in spec["terms"]]
        assert not unknown, f"{row['name']}: {unknown} are not among its terms"


def test_the_categories_table_is_the_shipped_rules_file() -> None:
    check(DOCS.read_text("utf-8"), shipped_categories())


@pytest.mark.parametrize(
    "change",
    [
        lambda t: re.sub(r"^\| `adult` .*\n", "", t, flags=re.M),  # a category missing
        lambda t: t.replace(
            "<!-- categories:end -->",
            "| `gambling` | Betting. | `casino` | Leave it out. |\n<!-- categories:end -->",
        ),  # one the file does not have
        lambda t: t.replace("Violence, injuries, gore and weapons.", "Violence."),
        lambda t: t.replace("`rifle`", "`bazooka`"),  # an example that is not a term
    ],
)
def test_the_check_notices_a_table_that_drifted(change: Callable[[str], str]) -> None:
    text = DOCS.read_text("utf-8")
    changed = change(text)
    assert changed != text
    with pytest.raises(AssertionError):
        check(changed, shipped_categories())
