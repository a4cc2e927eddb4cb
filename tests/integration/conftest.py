"""A real, migrated SQLite database file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reelway import settings as settings_module
from reelway.runtime import Runtime
from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.queue import QueueStore
from reelway.store.videos import NewVideo, VideoStore
from tests.backends import Deployment
from tests.fake_provider import REMOTE, catalog_for
from tests.fakes.openai import FakeOpenAI


class Clock:
    """A clock the test moves by hand, so leases and deadlines lapse on demand."""

    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
async def db(deployment: Deployment) -> AsyncIterator[Database]:
    """A migrated database of each kind (SQLite file, fresh PostgreSQL database)."""
    deployment.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(
        deployment.database_url or f"sqlite:///{deployment.data_dir / 'reelway.db'}"
    )
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
async def sqlite_db(tmp_path: Path) -> AsyncIterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'reelway.db'}")
    await database.migrate()
    yield database
    await database.close()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def videos(db: Database, clock: Clock) -> VideoStore:
    return VideoStore(db, clock)


@pytest.fixture
def queue(db: Database, clock: Clock) -> QueueStore:
    return QueueStore(db, clock)


@pytest.fixture
async def project_id(db: Database) -> str:
    project, _ = await KeyStore(db).ensure_project("test")
    return project.id


def new_video(project_id: str, n: int, **changes: object) -> NewVideo:
    fields: dict[str, object] = {
        "id": f"video_{n:04d}",
        "project_id": project_id,
        "model": "sora-2",
        "catalog_model": "sora-2",
        "prompt": f"prompt {n}",
        "size": "720x1280",
        "seconds": "4",
        "seed": n,
        "input_reference": None,
        "request_id": None,
    }
    fields.update(changes)
    return NewVideo(**fields)  # type: ignore[arg-type]


# ---------------------------------------------------------------- two fake providers

KEY = "sk-routing-test"


@pytest.fixture
def providers(clip: bytes) -> Iterator[tuple[FakeOpenAI, FakeOpenAI]]:
    """Two upstream Reelways whose catalogue is ``catalog_for``'s, as strict as the real API."""
    first, second = (FakeOpenAI(clip, api_key=KEY, offer=REMOTE) for _ in range(2))
    yield first, second
    first.close()
    second.close()


Open = Callable[..., Any]


@pytest.fixture
async def open_runtime(
    tmp_path: Path,
    deployment: Deployment,
    providers: tuple[FakeOpenAI, FakeOpenAI],
    monkeypatch: pytest.MonkeyPatch,
) -> AsyncIterator[Open]:
    monkeypatch.setenv("P_KEY", KEY)  # the config file names it as env:P_KEY
    opened: list[Runtime] = []

    async def open_with(route: list[str], p1_extra: str = "", **overrides: Any) -> Runtime:
        p1, p2 = providers
        config = tmp_path / "reelway.toml"
        config.write_text(
            f'[engines.p1]\ntype = "openai_compat"\nbase_url = "{p1.v1}"\n'
            f'api_key = "env:P_KEY"\ntimeout = 5\n{p1_extra}\n'
            f'[engines.p2]\ntype = "openai_compat"\nbase_url = "{p2.v1}"\napi_key = "env:P_KEY"\n'
            f'[models."remote"]\nroute = {route!r}\n'.replace("'", '"')
        )
        settings = settings_module.from_env(
            deployment.env,
            data_dir=deployment.data_dir,
            catalog=catalog_for("animatic", tmp_path / "catalog.toml"),
            config=config,
            remote_poll_seconds=0.05,
            claim_poll_seconds=0.05,
            heartbeat_seconds=0.2,
            lease_seconds=5.0,
            route_retry_seconds=0.2,
            **overrides,
        )
        rt = await Runtime.open(settings, migrate=True)
        opened.append(rt)
        return rt

    yield open_with
    for rt in opened:
        await rt.close()
