"""The two deployments every store and API test runs against.

- ``sqlite``: the embedded default, SQLite in the data dir and files in a local directory.
- ``postgres``: PostgreSQL on 127.0.0.1:5432 (a database created and dropped per use) and
  S3-compatible storage served by ``moto_server`` on loopback (a bucket per use).

PostgreSQL tests skip with a clear reason on a machine without it; on this project's machines
(and CI) they run.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import psycopg

PG_HOST = os.environ.get("REELWAY_TEST_PG_HOST", "127.0.0.1")
PG_PORT = int(os.environ.get("REELWAY_TEST_PG_PORT", "5432"))
PG_USER = os.environ.get("REELWAY_TEST_PG_USER", "postgres")
BACKENDS = ("sqlite", "postgres")


def postgres_missing() -> str | None:
    """Why PostgreSQL tests cannot run here, or None when they can."""
    try:
        with psycopg.connect(_admin_dsn(), connect_timeout=3):
            return None
    except psycopg.Error as exc:
        return f"PostgreSQL is not reachable on {PG_HOST}:{PG_PORT} ({exc.__class__.__name__})"


def _admin_dsn() -> str:
    return f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname=postgres"


def create_database(port: int = PG_PORT) -> tuple[str, str]:
    """A fresh, empty database: (its name, its SQLAlchemy URL for reelway)."""
    name = f"reelway_test_{secrets.token_hex(6)}"
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, f"postgresql+asyncpg://{PG_USER}@{PG_HOST}:{port}/{name}"


def drop_database(name: str) -> None:
    with psycopg.connect(_admin_dsn(), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class MotoServer:
    """An S3 server on loopback (moto's), for one test session."""

    def __init__(self) -> None:
        self.port = free_port()
        self.endpoint = f"http://127.0.0.1:{self.port}"
        moto = Path(sys.executable).with_name("moto_server")
        self.process = subprocess.Popen(
            [str(moto), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                httpx.get(self.endpoint, timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("moto_server did not start")

    def create_bucket(self) -> str:
        bucket = f"reelway-{secrets.token_hex(6)}"
        httpx.put(f"{self.endpoint}/{bucket}", timeout=10).raise_for_status()
        return bucket

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(10)


@dataclass
class Deployment:
    """Where one test's server keeps its data: the REELWAY_* variables that say so."""

    name: str
    data_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    database: str | None = None

    @property
    def database_url(self) -> str | None:
        return self.env.get("REELWAY_DATABASE_URL")

    def list_keys(self, prefix: str) -> list[str]:
        """Stored file keys under a prefix, in whichever storage this deployment uses."""
        from reelway.storage import open_storage

        storage = open_storage(
            self.env.get("REELWAY_STORAGE_URL", str(self.data_dir / "files")),
            s3_endpoint_url=self.env.get("REELWAY_S3_ENDPOINT_URL", ""),
            s3_access_key_id=self.env.get("REELWAY_S3_ACCESS_KEY_ID", ""),
            s3_secret_access_key=self.env.get("REELWAY_S3_SECRET_ACCESS_KEY", ""),
        )
        return asyncio.run(storage.list_keys(prefix))

    def query(self, sql: str) -> list[tuple[object, ...]]:
        """Run a read-only SQL query against this deployment's database."""
        if self.database is None:
            with sqlite3.connect(self.data_dir / "reelway.db") as conn:
                return list(conn.execute(sql).fetchall())
        dsn = f"host={PG_HOST} port={PG_PORT} user={PG_USER} dbname={self.database}"
        with psycopg.connect(dsn) as conn:
            return list(conn.execute(sql).fetchall())

    def close(self) -> None:
        if self.database is not None:
            drop_database(self.database)


def make_deployment(name: str, data_dir: Path, moto: MotoServer) -> Deployment:
    if name == "sqlite":
        return Deployment(name, data_dir)
    database, url = create_database()
    bucket = moto.create_bucket()
    return Deployment(
        name,
        data_dir,
        env={
            "REELWAY_DATABASE_URL": url,
            "REELWAY_STORAGE_URL": f"s3://{bucket}/videos-store",
            "REELWAY_S3_ENDPOINT_URL": moto.endpoint,
            "REELWAY_S3_ACCESS_KEY_ID": "test",
            "REELWAY_S3_SECRET_ACCESS_KEY": "test",
        },
        database=database,
    )
