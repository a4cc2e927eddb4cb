"""Files: a project's uploads (``/v1/files``), their expiry, and what they add up to.

A file belongs to one project: every API read is scoped by ``project_id`` so another
project's id reads as absent.  Deleting or expiring one leaves a tombstone row (``deleted_at``
set), so a list cursor naming it stays valid and its id is never reused; ``purged_at`` says its
bytes are gone from storage (set after the blob is removed, so a crash in between is retried).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import ids
from reelway.store.database import Database
from reelway.store.tables import files as f


@dataclass(frozen=True)
class StoredFile:
    id: str
    project_id: str
    filename: str
    purpose: str
    bytes: int
    content_type: str
    blob: str
    """The storage key of its bytes (``files/{id}/content``)."""
    created_at: float
    expires_at: float
    deleted_at: float | None = None
    purged_at: float | None = None


_COLUMNS = [
    f.c.id,
    f.c.project_id,
    f.c.filename,
    f.c.purpose,
    f.c.bytes,
    f.c.content_type,
    f.c.blob,
    f.c.created_at,
    f.c.expires_at,
    f.c.deleted_at,
    f.c.purged_at,
]


def _file(row: Sequence[Any]) -> StoredFile:
    return StoredFile(*row)


class FileStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def insert(self, found: StoredFile) -> StoredFile:
        values = {col.name: getattr(found, col.name) for col in _COLUMNS}
        await self.db.write(lambda conn: conn.execute(sa.insert(f).values(**values)))
        return found

    def _live(self) -> sa.ColumnElement[bool]:
        return sa.and_(f.c.deleted_at.is_(None), f.c.expires_at > self.clock())

    async def get(self, project_id: str, file_id: str) -> StoredFile | None:
        """The project's live file with this id (None: absent, deleted, expired or another
        project's)."""
        if not ids.well_formed(file_id):
            return None
        query = sa.select(*_COLUMNS).where(
            f.c.id == file_id, f.c.project_id == project_id, self._live()
        )
        row = await self.db.read(lambda conn: conn.execute(query).first())
        return None if row is None else _file(row)

    async def list_page(
        self,
        project_id: str,
        *,
        after: str | None,
        limit: int,
        descending: bool,
        purpose: str | None = None,
    ) -> tuple[list[StoredFile], bool]:
        """One page of a project's live files (of one purpose, if given) and whether more
        follow.  ``after`` may name a deleted file; ``LookupError`` when it names none of
        this project's."""
        live = self._live()

        def page(conn: sa.Connection) -> tuple[list[StoredFile], bool]:
            query = sa.select(*_COLUMNS).where(f.c.project_id == project_id, live)
            if purpose is not None:
                query = query.where(f.c.purpose == purpose)
            if after is not None:
                cursor = conn.execute(
                    sa.select(f.c.seq).where(f.c.id == after, f.c.project_id == project_id)
                ).scalar()
                if cursor is None:
                    raise LookupError(after)
                query = query.where(f.c.seq < cursor if descending else f.c.seq > cursor)
            query = query.order_by(f.c.seq.desc() if descending else f.c.seq.asc())
            found = conn.execute(query.limit(limit + 1)).all()
            return [_file(r) for r in found[:limit]], len(found) > limit

        return await self.db.read(page)

    async def delete(self, project_id: str, file_id: str) -> StoredFile | None:
        """Mark the project's live file deleted: the row, or None when it had no such file."""
        if not ids.well_formed(file_id):
            return None
        query = (
            sa.update(f)
            .where(f.c.id == file_id, f.c.project_id == project_id, self._live())
            .values(deleted_at=self.clock())
            .returning(*_COLUMNS)
        )
        row = await self.db.write(lambda conn: conn.execute(query).first())
        return None if row is None else _file(row)

    async def due_for_purge(self, limit: int = 500) -> list[StoredFile]:
        """Files deleted or expired whose bytes are still stored, oldest first."""
        query = (
            sa.select(*_COLUMNS)
            .where(
                f.c.purged_at.is_(None),
                sa.or_(f.c.deleted_at.is_not(None), f.c.expires_at <= self.clock()),
            )
            .order_by(f.c.expires_at)
            .limit(limit)
        )
        rows = await self.db.read(lambda conn: conn.execute(query).all())
        return [_file(r) for r in rows]

    async def mark_purged(self, file_id: str) -> None:
        """Its bytes are gone: an expired file becomes a tombstone too."""
        now = self.clock()
        query = (
            sa.update(f)
            .where(f.c.id == file_id)
            .values(purged_at=now, deleted_at=sa.func.coalesce(f.c.deleted_at, now))
        )
        await self.db.write(lambda conn: conn.execute(query))

    async def usage(self, project_id: str) -> tuple[int, int]:
        """How many live files the project stores, and their bytes."""
        query = sa.select(sa.func.count(), sa.func.coalesce(sa.func.sum(f.c.bytes), 0)).where(
            f.c.project_id == project_id, self._live()
        )
        row = await self.db.read(lambda conn: conn.execute(query).one())
        return int(row[0]), int(row[1])
