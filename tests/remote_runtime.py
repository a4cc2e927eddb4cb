"""A runtime whose model ``remote`` is served by one remote engine, for the integration tests
that run remote jobs through a real worker slot (kept apart from ``fake_provider``, which
engine child processes import, so that module never pulls in the runtime)."""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from reelway import settings as settings_module
from reelway.runtime import Runtime
from tests.backends import Deployment
from tests.fake_provider import catalog_for


@contextlib.asynccontextmanager
async def remote_runtime(
    deployment: Deployment, engine: str, options: dict[str, Any], folder: Path
) -> AsyncIterator[Runtime]:
    """``engine`` (with ``options``) serves ``remote``; polls and heartbeats are fast, so a
    remote job finishes in well under a second of waiting."""
    env = {**deployment.env, "REELWAY_ENGINE_OPTIONS": json.dumps({engine: options})}
    settings = settings_module.from_env(
        env,
        data_dir=deployment.data_dir,
        catalog=catalog_for(engine, folder / "catalog.toml"),
        remote_poll_seconds=0.1,
        claim_poll_seconds=0.1,
        heartbeat_seconds=0.2,
        lease_seconds=5.0,
    )
    rt = await Runtime.open(settings, migrate=True)
    try:
        yield rt
    finally:
        await rt.close()
