"""Characters: a project's named clips, and the worker's read of the ones a job uses.

A character belongs to one project: every API read is scoped by ``project_id`` so another
project's id reads as absent.  Deleting one leaves a tombstone row (``deleted_at`` set), so a
list cursor that names it stays valid and its id is never handed out again.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from reelway import ids
from reelway.store.database import Database
from reelway.store.tables import characters as c


@dataclass(frozen=True)
class Character:
    id: str
    project_id: str
    name: str
    """What a prompt calls it by (it must appear there verbatim)."""
    clip: str
    """The storage key of its uploaded clip (``characters/{id}/clip.mp4``)."""
    width: int
    height: int
    duration: float
    """The clip's length in seconds."""
    created_at: float
    deleted_at: float | None = None


_COLUMNS = [
    c.c.id,
    c.c.project_id,
    c.c.name,
    c.c.clip,
    c.c.width,
    c.c.height,
    c.c.duration,
    c.c.created_at,
    c.c.deleted_at,
]


def _character(row: Sequence[Any]) -> Character:
    return Character(*row)


class CharacterStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def insert(
        self,
        character_id: str,
        project_id: str,
        name: str,
        clip: str,
        *,
        width: int,
        height: int,
        duration: float,
    ) -> Character:
        found = Character(
            character_id, project_id, name, clip, width, height, duration, self.clock()
        )
        values = {col.name: getattr(found, col.name) for col in _COLUMNS}
        await self.db.write(lambda conn: conn.execute(sa.insert(c).values(**values)))
        return found

    async def get(self, project_id: str, character_id: str) -> Character | None:
        """The project's live character with this id (None: absent, deleted or another
        project's)."""
        if not ids.well_formed(character_id):
            return None
        query = sa.select(*_COLUMNS).where(
            c.c.id == character_id, c.c.project_id == project_id, c.c.deleted_at.is_(None)
        )
        row = await self.db.read(lambda conn: conn.execute(query).first())
        return None if row is None else _character(row)

    async def get_many(
        self, character_ids: Sequence[str], *, project_id: str | None = None
    ) -> dict[str, Character]:
        """The live characters among ``character_ids``, by id (absent ones are left out).

        With ``project_id`` only that project's; without it any project's (the worker reads
        the characters a job's row names, already checked when the job was created)."""
        wanted = sorted({i for i in character_ids if ids.well_formed(i)})
        if not wanted:
            return {}
        query = sa.select(*_COLUMNS).where(c.c.id.in_(wanted), c.c.deleted_at.is_(None))
        if project_id is not None:
            query = query.where(c.c.project_id == project_id)
        rows = await self.db.read(lambda conn: conn.execute(query).all())
        return {row[0]: _character(row) for row in rows}

    async def list_page(
        self, project_id: str, *, after: str | None, limit: int, descending: bool
    ) -> tuple[list[Character], bool]:
        """One page of a project's live characters and whether more follow.

        ``after`` may name a deleted character (a cursor stays valid); raises ``LookupError``
        when it names none of this project's."""

        def page(conn: sa.Connection) -> tuple[list[Character], bool]:
            query = sa.select(*_COLUMNS).where(
                c.c.project_id == project_id, c.c.deleted_at.is_(None)
            )
            if after is not None:
                cursor = conn.execute(
                    sa.select(c.c.seq).where(c.c.id == after, c.c.project_id == project_id)
                ).scalar()
                if cursor is None:
                    raise LookupError(after)
                query = query.where(c.c.seq < cursor if descending else c.c.seq > cursor)
            query = query.order_by(c.c.seq.desc() if descending else c.c.seq.asc())
            found = conn.execute(query.limit(limit + 1)).all()
            return [_character(r) for r in found[:limit]], len(found) > limit

        return await self.db.read(page)

    async def delete(self, project_id: str, character_id: str) -> Character | None:
        """Mark the project's live character deleted: the deleted row, or None when it had no
        such live character."""
        if not ids.well_formed(character_id):
            return None
        query = (
            sa.update(c)
            .where(c.c.id == character_id, c.c.project_id == project_id, c.c.deleted_at.is_(None))
            .values(deleted_at=self.clock())
            .returning(*_COLUMNS)
        )
        row = await self.db.write(lambda conn: conn.execute(query).first())
        return None if row is None else _character(row)
