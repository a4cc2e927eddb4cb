"""What every command shares: settings from flags and environment, logging, the event loop."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any, TypeVar

import click

from reelway import settings as settings_module
from reelway.settings import Settings

T = TypeVar("T")

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (env REELWAY_DATA_DIR, default ./.reelway).",
)

config_option = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Engines and model routes, a TOML file (env REELWAY_CONFIG); see docs/engines.md.",
)


def load_settings(**overrides: Any) -> Settings:
    try:
        return settings_module.from_env(**overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def setup_logging(level: str) -> None:
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Schema upgrades are worth one line at most; alembic narrates every step at INFO.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on uvloop when it is installed, else on asyncio's default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())
