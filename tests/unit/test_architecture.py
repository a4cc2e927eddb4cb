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
    "error_codes": {"errors"},
    "limits": set(),
    "ids": set(),
    "numeric": set(),
    "vocabulary": set(),
    "prompting": {"vocabulary"},
    "datafiles": set(),
    "catalog": {"errors", "datafiles"},
    "capabilities": {"catalog"},
    "jobs": set(),
    "settings": set(),
    "logs": set(),
    "images": {"errors"},
    "inputs": {"errors", "numeric"},
    "idempotency": {"errors"},
    "validation": {"errors", "catalog", "capabilities", "ids", "numeric", "policy"},
    "engines": {
        "errors",
        "catalog",
        "capabilities",
        "images",
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
    # Pause and resume: the deployment, a project, an engine (the API's and CLI's use cases).
    "pauses": {"errors", "jobs", "store"},
    "characters": {
        "errors",
        "ids",
        "numeric",
        "validation",
        "media",
        "policy",
        "storage",
        "store",
    },
    # Files: a project's uploads (/v1/files), checked for their purpose, kept in storage.
    "files": {"errors", "ids", "images", "inputs", "numeric", "storage", "store", "validation"},
    "service": {
        "logs",
        "accounts",
        "characters",
        "files",
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
    # Edits and extensions: use cases over the service that read uploaded videos (media).
    "longform": {"service", "media", "catalog", "errors", "jobs", "validation"},
    # Promote: a draft rendered again at a final size, a use case over the service.
    "promote": {"service", "catalog", "errors", "jobs", "validation"},
    # Storyboards: a use case over the service that queues a storyboard and its shots in one
    # insert (the store's), with each shot's route checked (capabilities).
    "storyboards": {
        "service",
        "capabilities",
        "catalog",
        "errors",
        "ids",
        "images",
        "jobs",
        "logs",
        "numeric",
        "store",
        "validation",
    },
    # Batches of videos (/v1/batches): use cases over the service and the files, whose output
    # lines hold the Video exactly as the API renders it (api.wire).
    "batches": {"api", "errors", "files", "ids", "jobs", "service", "settings", "store"}
    | {"validation"},
    "worker": {
        "logs",
        "catalog",
        "capabilities",
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
    # Video through chat completions: a chat body read as a create, and the wait for its end.
    "chat": {"service", "errors", "jobs", "validation"},
    "webhooks": {"errors", "ids", "inputs", "numeric", "store"},
    "runtime": {
        "batches",
        "ids",
        "pauses",
        "webhooks",
        "characters",
        "files",
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
        "batches",
        "pauses",
        # /openapi.json lists each body's fields from the validators' own field sets.
        "validation",
        "files",
        "chat",
        "longform",
        "promote",
        "storyboards",
        "logs",
        "characters",
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
        "pauses",
        "promote",
        "storyboards",
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
        "error_codes",
        # `reelway models check` inspects an open model's folder with the diffusers engine's
        # own family table and loader (the edge tool for an engine's weights).
        "engines",
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


def _module_name(path: Path) -> str:
    parts = ("reelway", *path.relative_to(SRC).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """Module -> the reelway modules it imports anywhere in its text: at the top, under
    ``TYPE_CHECKING`` and inside functions (each is an edge a refactor can close into a loop).
    Importing ``reelway.a.b`` also runs ``reelway.a``'s ``__init__``, except from inside
    ``reelway.a`` itself: a package is always initialised before its own submodules."""
    known = {_module_name(path) for path in _modules()}
    module = ""

    def targets(name: str) -> set[str]:
        found = set()
        parts = name.split(".")
        for n in range(2, len(parts) + 1):
            prefix = ".".join(parts[:n])
            if prefix in known and not (n < len(parts) and module.startswith(prefix + ".")):
                found.add(prefix)
        return found

    graph: dict[str, set[str]] = {}
    for path in _modules():
        module = _module_name(path)
        edges: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                if node.module == "reelway" or node.module.startswith("reelway."):
                    edges |= targets(node.module)
                    for alias in node.names:
                        edges |= targets(f"{node.module}.{alias.name}")
            elif isinstance(node, ast.Import):
                for alias in node.names:
                    if alias.name.startswith("reelway."):
                        edges |= targets(alias.name)
        graph[module] = edges - {module}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One cycle per strongly connected component with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph.get(node, ())):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(component)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return [_loop(graph, component) for component in components]


def _loop(graph: dict[str, set[str]], component: set[str]) -> list[str]:
    """The shortest way from the component's first module round to itself."""
    start = min(component)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for nxt in sorted(graph[node] & component):
                if nxt == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [start, *reversed(path[:-1]), start]
                if nxt not in came_from:
                    came_from[nxt] = node
                    following.append(nxt)
        frontier = following
    raise AssertionError(f"no loop in {sorted(component)}")


def test_the_cycle_finder_names_a_loop() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(graph) == [["a", "b", "c", "a"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles_between_modules() -> None:
    cycles = _cycles(_import_graph())
    assert not cycles, "import cycles: " + "; ".join(" -> ".join(c) for c in cycles)
