"""What ``make serve`` and ``make test`` install: serving needs the database and Redis
drivers but neither the test and lint tools nor the diffusers stack; ``dev`` covers ``serve``
so that ``make serve`` after ``make test`` installs nothing more."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def extras() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))
    found: dict[str, list[str]] = data["project"]["optional-dependencies"]
    return found


def names(extra: str, seen: frozenset[str] = frozenset()) -> set[str]:
    """The distribution names an extra pulls in, following ``reelway[...]`` references."""
    found: set[str] = set()
    for requirement in extras()[extra]:
        name = re.split(r"[\[<>=!~; ]", requirement, maxsplit=1)[0].lower()
        if name == "reelway":
            inner = requirement[requirement.index("[") + 1 : requirement.index("]")]
            for sub in inner.split(","):
                if sub.strip() not in seen:
                    found |= names(sub.strip(), seen | {extra})
        else:
            found.add(name)
    return found


def test_serve_has_the_drivers_and_nothing_for_tests_or_gpus() -> None:
    serve = names("serve")
    assert {"asyncpg", "psycopg", "redis"} <= serve
    assert not serve & (names("diffusers") | {"pytest", "ruff", "mypy", "openai", "selenium"})


def test_dev_covers_serve() -> None:
    assert names("serve") <= names("dev")
    assert {"torch", "pytest", "openai"} <= names("dev")


def test_make_serve_installs_the_serve_extra_and_make_test_dev() -> None:
    makefile = (ROOT / "Makefile").read_text("utf-8")
    assert re.search(r"^serve: \$\(SERVE_STAMP\)$", makefile, re.M)
    assert re.search(r"^test: \$\(STAMP\)", makefile, re.M) and "STAMP := $(DEV_STAMP)" in makefile
    serve_rule = makefile.split("$(SERVE_STAMP): ", 1)[1].split("\n\n", 1)[0]
    dev_rule = makefile.split("$(DEV_STAMP): ", 1)[1].split("\n\n", 1)[0]
    assert "-e '.[serve]'" in serve_rule and "[dev]" not in serve_rule
    assert "-e '.[dev]'" in dev_rule and "$(SERVE_STAMP)" in dev_rule.splitlines()[-1]
