"""docs/errors.md's provider table is the engines' own mapping data, row for row.

Regenerate the block with ``.venv/bin/python -m tests.unit.test_provider_errors``.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

from reelway import errors
from reelway.engines import base, http, registry

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"
START, END = "<!-- provider-errors:start -->", "<!-- provider-errors:end -->"


def hosted_engines() -> list[str]:
    """The built-in engines whose class declares itself remote."""
    return sorted(
        name
        for name in registry.BUILTIN_ENGINES
        if registry.declared_kind(name) is base.EngineKind.REMOTE
    )


def render() -> str:
    lines = ["| engine | the provider says | code |", "| --- | --- | --- |"]
    lines += [
        f"| every hosted engine | {said} | `{kind.code}` |" for said, kind in http.HTTP_ERRORS
    ]
    for engine in hosted_engines():
        module = importlib.import_module(f"reelway.engines.{engine}")
        table: tuple[tuple[str, type[errors.UpstreamError]], ...] = module.PROVIDER_ERRORS
        lines += [
            f"| {engine} | {said.replace('|', '/')} | `{kind.code}` |" for said, kind in table
        ]
    return "\n".join(lines)


def test_the_docs_table_is_the_engines_mapping() -> None:
    text = DOCS.read_text("utf-8")
    block = re.search(re.escape(START) + r"\n(.*?)\n" + re.escape(END), text, re.S)
    assert block, f"docs/errors.md lacks the {START} ... {END} block"
    assert block.group(1) == render(), (
        "docs/errors.md is out of date; regenerate it with "
        "`.venv/bin/python -m tests.unit.test_provider_errors`"
    )


def test_every_hosted_engine_maps_its_failures_to_upstream_codes() -> None:
    for engine in hosted_engines():
        module = importlib.import_module(f"reelway.engines.{engine}")
        assert module.PROVIDER_ERRORS, engine
        for said, kind in module.PROVIDER_ERRORS:
            assert issubclass(kind, errors.UpstreamError), (engine, said)


def test_every_code_in_the_table_is_documented_above_it() -> None:
    text = DOCS.read_text("utf-8")
    for code in set(re.findall(r"`([a-z_]+)` \|$", render(), re.M)):
        assert f"| `{code}` | — |" in text, code


if __name__ == "__main__":
    text = DOCS.read_text("utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    DOCS.write_text(f"{head}{START}\n{render()}\n{END}{tail}", "utf-8")
    print(f"rewrote the provider table in {DOCS}")
