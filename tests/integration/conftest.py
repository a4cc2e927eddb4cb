"""A real, migrated SQLite database file per test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelway.store.database import Database
from reelway.store.keys import KeyStore
from reelway.store.queue import QueueStore
from reelway.store.videos import NewVideo, VideoStore
from tests.backends import Deployment


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
        "remixed_from_video_id": None,
        "request_id": None,
    }
    fields.update(changes)
    return NewVideo(**fields)  # type: ignore[arg-type]
