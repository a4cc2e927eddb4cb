"""Dependencies point one way and modules stay small (DESIGN.md)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "reelway"
MAX_LINES = 800

# A layer may import its own layer and the layers listed for it, nothing above.
LAYERS = {
    "errors": set(),
    "limits": set(),
    "ids": set(),
    "numeric": set(),
    "prompting": set(),
    "datafiles": set(),
    "catalog": {"errors", "datafiles"},
    "capabilities": {"catalog"},
    "jobs": set(),
    "settings": set(),
    "logs": set(),
    "images": {"errors"},
    "inputs": {"errors", "numeric"},
    "idempotency": {"errors"},
    "validation": {"errors", "catalog", "capabilities", "policy"},
    "engines": {
        "errors",
        "catalog",
        "capabilities",
        "jobs",
        "prompting",
        "media",
        "ids",
        "limits",
    },
    "media": {"errors", "catalog", "prompting", "images"},
    "storage": {"jobs", "errors"},
    "store": {"jobs", "ids", "errors", "limits"},
    "config_file": {"catalog", "engines", "limits"},
    "policy": {"errors", "catalog", "jobs", "limits", "prompting", "images", "datafiles"},
    "safety": {"media", "policy", "settings"},
    "accounts": {"catalog", "errors", "jobs", "limits", "numeric", "policy", "store"},
    "service": {
        "logs",
        "accounts",
        "policy",
        "catalog",
        "errors",
        "ids",
        "images",
        "inputs",
        "jobs",
        "settings",
        "storage",
        "store",
        "idempotency",
        "numeric",
        "capabilities",
        "validation",
    },
    "worker": {
        "logs",
        "catalog",
        "errors",
        "ids",
        "jobs",
        "settings",
        "storage",
        "store",
        "engines",
        "limits",
        "media",
        "policy",
    },
    "webhooks": {"errors", "ids", "inputs", "numeric", "store"},
    "runtime": {
        "webhooks",
        "safety",
        "media",
        "accounts",
        "policy",
        "catalog",
        "config_file",
        "engines",
        "limits",
        "service",
        "settings",
        "storage",
        "store",
        "worker",
        "operations",
        "wakeup",
    },
    "wakeup": set(),
    "operations": {"jobs", "limits", "engines", "store"},
    "metrics": {"catalog", "jobs", "store"},
    "api": {
        "logs",
        "metrics",
        "webhooks",
        "errors",
        "ids",
        "jobs",
        "catalog",
        "service",
        "storage",
        "runtime",
        "inputs",
        "accounts",
        "policy",
        "operations",
        "numeric",
    },
    "cli": {
        "logs",
        "config_file",
        "webhooks",
        "errors",
        "jobs",
        "settings",
        "runtime",
        "service",
        "operations",
        "api",
        "accounts",
        "policy",
        "safety",
        "media",
    },
}


def _layer(path: Path) -> str:
    return path.relative_to(SRC).parts[0].removesuffix(".py")


def _modules() -> list[Path]:
    return [p for p in SRC.rglob("*.py") if "migrations" not in p.parts]


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_imports_point_one_way(path: Path) -> None:
    layer = _layer(path)
    if layer in ("__init__", "__main__"):
        return
    allowed = LAYERS[layer] | {layer}
    tree = ast.parse(path.read_text("utf-8"))
    for node in ast.walk(tree):
        names: list[str] = []
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("reelway"):
            parts = node.module.split(".")
            names = [parts[1]] if len(parts) > 1 else [a.name for a in node.names]
        elif isinstance(node, ast.Import):
            names = [a.name.split(".")[1] for a in node.names if a.name.startswith("reelway.")]
        for name in names:
            if name in ("__version__",):
                continue
            assert name in allowed, f"{path.relative_to(SRC)} ({layer}) must not import {name}"


@pytest.mark.parametrize("path", _modules(), ids=lambda p: str(p.relative_to(SRC)))
def test_modules_stay_small(path: Path) -> None:
    lines = len(path.read_text("utf-8").splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(SRC)} has {lines} lines; split it"


def test_only_the_store_speaks_sql() -> None:
    for path in _modules():
        if _layer(path) == "store":
            continue
        text = path.read_text("utf-8")
        assert "import sqlalchemy" not in text, path
