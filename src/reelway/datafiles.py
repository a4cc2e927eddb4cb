"""Reelway's editable data files (catalogue, plans, moderation rules): the operator's copy,
or the packaged default."""

from __future__ import annotations

import tomllib
from importlib import resources
from pathlib import Path
from typing import Any


def read_toml(path: Path | None, package: str, name: str) -> dict[str, Any]:
    """Parse ``path``, or ``name`` shipped in ``package`` when ``path`` is None; raises
    ``OSError``, ``UnicodeDecodeError`` or ``tomllib.TOMLDecodeError`` for the caller to word."""
    if path is None:
        text = resources.files(package).joinpath(name).read_text("utf-8")
    else:
        text = path.read_text("utf-8")
    return tomllib.loads(text)
