"""The database connection: how store queries run, and schema migrations.

Store queries are plain SQLAlchemy Core functions of a ``Connection``; ``Database`` decides
where they run:

- **SQLite** (the embedded default, WAL): on the calling thread when the write lock is free,
  see ``store.sqlite`` for why and the measurements behind it.
- **PostgreSQL** (scale-out): through SQLAlchemy's async engine (``run_sync``), in ordinary
  transactions.

The request path's hottest statements are prebuilt at module level and run through
``read_rows`` / ``execute``, which on SQLite skip SQLAlchemy's per-call machinery.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
from importlib import resources
from typing import Any, TypeVar

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from reelway import errors
from reelway.store import stats
from reelway.store.sqlite import ConnectionStatements, Query, Rows, SqliteRunner, Unit

log = logging.getLogger(__name__)

T = TypeVar("T")
CONNECT_SECONDS = 5.0
STATEMENT_SECONDS = 60.0
SQLITE_PREFIXES = ("sqlite:", "sqlite+pysqlite:", "sqlite+aiosqlite:")


class SchemaOutOfDate(RuntimeError):
    """The database's schema is older (or newer) than this Reelway version expects."""


class Database:
    """Runs store queries: ``await db.read(fn)`` and ``await db.write(fn)``."""

    def __init__(self, url: str, *, echo: bool = False, sqlite_synchronous: str = "normal") -> None:
        self.url = url
        self.is_sqlite = url.startswith(SQLITE_PREFIXES)
        self._sqlite: SqliteRunner | None = None
        self._async: AsyncEngine | None = None
        if self.is_sqlite:
            self._sqlite = SqliteRunner(_sync_sqlite_url(url), echo, sqlite_synchronous)
        else:
            self._async = create_async_engine(
                url,
                echo=echo,
                pool_pre_ping=True,
                pool_timeout=CONNECT_SECONDS,
                connect_args=_connect_args(url),
            )

    async def read(self, query: Query[T]) -> T:
        """Run a read-only query; it sees everything committed before it started."""
        try:
            if self._sqlite is not None:
                return self._sqlite.read(query)
            assert self._async is not None
            async with self._async.connect() as conn:
                return await conn.run_sync(query)
        except Exception as exc:
            raise _failure(exc) from exc

    async def read_long(self, query: Query[T]) -> T:
        """A read that scans many rows (seconds on a large SQLite file): on SQLite it runs on a
        thread with that thread's own connection, so the event loop keeps answering requests
        meanwhile; on PostgreSQL it is an ordinary asynchronous read."""
        if self._sqlite is None:
            return await self.read(query)
        runner = self._sqlite
        try:
            return await asyncio.to_thread(runner.read, query)
        except Exception as exc:
            raise _failure(exc) from exc

    async def read_rows(self, statement: sa.Executable, params: dict[str, Any]) -> Rows:
        """Rows of a prebuilt (module-level) SELECT, as tuples."""
        if self._sqlite is not None:
            try:
                return self._sqlite.read_rows(statement, params)
            except Exception as exc:
                raise _failure(exc) from exc
        return await self.read(lambda conn: [tuple(r) for r in conn.execute(statement, params)])

    async def write(self, query: Query[T]) -> T:
        """Run a query in one transaction that holds the write lock; commit on success."""
        query = stats.gathering(query)
        try:
            if self._sqlite is not None:
                return await self._sqlite.write(query)
            assert self._async is not None
            async with self._async.begin() as conn:
                return await conn.run_sync(query)
        except Exception as exc:
            raise _failure(exc) from exc

    async def execute(self, statement: sa.Executable, params: dict[str, Any]) -> Rows:
        """Run one prebuilt (module-level) statement as its own transaction; its rows."""
        if self._sqlite is not None:
            try:
                return await self._sqlite.execute(statement, params)
            except Exception as exc:
                raise _failure(exc) from exc

        def run(conn: sa.Connection) -> Rows:
            result = conn.execute(statement, params)
            return [tuple(r) for r in result] if result.returns_rows else []

        return await self.write(run)

    async def execute_unit(self, unit: Unit[T]) -> T:
        """Run ``unit``'s prebuilt statements together: inside SQLite's group commit (in a
        savepoint of their own, ``SqliteRunner.execute_unit``), or as one transaction on
        PostgreSQL."""
        if self._sqlite is None:
            return await self.write(lambda conn: unit(ConnectionStatements(conn)))
        try:
            return await self._sqlite.execute_unit(unit)
        except Exception as exc:
            raise _failure(exc) from exc

    async def close(self) -> None:
        if self._sqlite is not None:
            await self._sqlite.close()
        if self._async is not None:
            await self._async.dispose()

    async def migrate(self) -> tuple[str | None, str]:
        """Bring the schema up to this version (creating it in an empty database).

        Returns the revisions before and after.
        """
        before, head = await self.schema_revision()
        if before != head:
            await self.write(_upgrade)
        return before, head

    async def schema_revision(self) -> tuple[str | None, str]:
        """(the database's revision, this code's head revision)."""
        current = await self.read(
            lambda conn: MigrationContext.configure(conn).get_current_revision()
        )
        return current, head_revision()

    async def check_schema(self) -> None:
        current, head = await self.schema_revision()
        if current != head:
            raise SchemaOutOfDate(
                f"the database schema is at revision {current or 'none (empty database)'} but "
                f"this Reelway needs {head}; run 'reelway migrate' first"
            )

    async def ping(self) -> None:
        await self.read(lambda conn: conn.execute(sa.text("SELECT 1")).scalar())


def _connect_args(url: str) -> dict[str, Any]:
    """Give up on an unreachable server in seconds, not the drivers' default minute."""
    if "+asyncpg" in url:
        return {"timeout": CONNECT_SECONDS, "command_timeout": STATEMENT_SECONDS}
    if "+psycopg" in url:
        return {"connect_timeout": int(CONNECT_SECONDS)}
    return {}


def _failure(exc: Exception) -> BaseException:
    """What a failed query raises: the cancellation itself when its task is being cancelled.

    A statement cancelled under way invalidates its connection, and cleanup that touches the
    connection afterwards raises an ordinary error (PendingRollbackError) in place of the
    ``CancelledError``; a loop that retries failed queries would then never end (issue 20).
    """
    task = asyncio.current_task()
    if task is not None and task.cancelling():
        return asyncio.CancelledError()
    return _translate(exc)


_SQLITE_TRANSIENT = {
    sqlite3.SQLITE_BUSY,
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_IOERR,
    sqlite3.SQLITE_FULL,
    sqlite3.SQLITE_CANTOPEN,
}


def _translate(exc: Exception) -> Exception:
    """A failure of the connection (not of the query) becomes ``DatabaseUnavailable``.

    Everything else (constraint violations, programming errors) passes through unchanged.
    """
    cause = exc.orig if isinstance(exc, sa.exc.DBAPIError) and exc.orig is not None else exc
    transient = False
    if isinstance(cause, sqlite3.OperationalError):
        transient = cause.sqlite_errorcode in _SQLITE_TRANSIENT
    elif isinstance(exc, sa.exc.DBAPIError):
        transient = exc.connection_invalidated or isinstance(
            exc, sa.exc.OperationalError | sa.exc.InterfaceError
        )
    elif isinstance(exc, OSError | TimeoutError):
        transient = True
    if not transient:
        return exc
    log.warning("database unavailable: %s: %s", type(cause).__name__, cause)
    return errors.DatabaseUnavailable(
        "The database cannot be reached right now; retry shortly (send an Idempotency-Key "
        "so that a retried create cannot make a second video)."
    )


def _sync_sqlite_url(url: str) -> str:
    for prefix in SQLITE_PREFIXES:
        if url.startswith(prefix):
            return "sqlite:" + url[len(prefix) :]
    return url


def alembic_config() -> Config:
    cfg = Config()
    location = resources.files("reelway.store").joinpath("migrations")
    cfg.set_main_option("script_location", str(location))
    return cfg


def head_revision() -> str:
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def _upgrade(sync_conn: sa.Connection) -> None:
    cfg = alembic_config()
    cfg.attributes["connection"] = sync_conn
    command.upgrade(cfg, "head")
