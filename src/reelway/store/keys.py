"""Projects and their API keys.  Keys are stored only as SHA-256 hashes."""

from __future__ import annotations

import hmac
import time
from collections.abc import Callable, Mapping
from typing import Any

import sqlalchemy as sa

from reelway import ids, jobs
from reelway.store import rows
from reelway.store.database import Database
from reelway.store.tables import api_keys as k
from reelway.store.tables import projects as p
from reelway.store.tables import queue_counts as qc

_BY_HASH = sa.select(k).where(k.c.key_hash == sa.bindparam("digest"))
_KEY_COLUMNS = [c.name for c in k.c]


def _key(m: Mapping[Any, Any]) -> jobs.ApiKey:
    return jobs.ApiKey(
        id=m["id"],
        project_id=m["project_id"],
        name=m["name"],
        hint=m["hint"],
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


class KeyStore:
    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock

    async def project_by_name(self, name: str) -> jobs.Project | None:
        query = sa.select(p).where(p.c.name == name)
        row = await self.db.read(lambda conn: conn.execute(query).first())
        return None if row is None else rows.project_from(row)

    async def ensure_project(self, name: str) -> tuple[jobs.Project, bool]:
        """The project called ``name``, created if missing; True when it was created."""
        fresh = jobs.Project(id=ids.new_id("proj"), name=name, created_at=self.clock())

        def get_or_create(conn: sa.Connection) -> tuple[jobs.Project, bool]:
            row = conn.execute(sa.select(p).where(p.c.name == name)).first()
            if row is not None:
                return rows.project_from(row), False
            conn.execute(
                sa.insert(p).values(id=fresh.id, name=fresh.name, created_at=fresh.created_at)
            )
            conn.execute(sa.insert(qc).values(project_id=fresh.id, queued=0))
            return fresh, True

        return await self.db.write(get_or_create)

    async def create_key(self, project_id: str, name: str = "default") -> tuple[jobs.ApiKey, str]:
        """A new key for the project: the record and the secret, which is never stored."""
        secret = ids.new_api_key()
        key = jobs.ApiKey(
            id=ids.new_id("key"),
            project_id=project_id,
            name=name,
            hint=ids.key_hint(secret),
            created_at=self.clock(),
            revoked_at=None,
        )
        insert = sa.insert(k).values(
            id=key.id,
            project_id=key.project_id,
            name=key.name,
            key_hash=ids.hash_api_key(secret),
            hint=key.hint,
            created_at=key.created_at,
            revoked_at=None,
        )
        await self.db.write(lambda conn: conn.execute(insert))
        return key, secret

    async def list_keys(self, project_id: str | None = None) -> list[tuple[jobs.ApiKey, str]]:
        """Keys with their project's name, oldest first."""
        query = sa.select(k, p.c.name.label("project_name")).join(p, p.c.id == k.c.project_id)
        if project_id is not None:
            query = query.where(k.c.project_id == project_id)
        ordered = query.order_by(k.c.created_at)
        found = await self.db.read(lambda conn: conn.execute(ordered).all())
        return [(_key(r._mapping), str(r.project_name)) for r in found]

    async def revoke_key(self, key_id: str) -> jobs.ApiKey | None:
        query = (
            sa.update(k)
            .where(k.c.id == key_id)
            .values(revoked_at=sa.func.coalesce(k.c.revoked_at, self.clock()))
            .returning(*k.c)
        )
        row = await self.db.write(lambda conn: conn.execute(query).first())
        return None if row is None else _key(row._mapping)

    async def authenticate(self, secret: str) -> jobs.ApiKey | None:
        """The key record for a presented secret, or None; revoked keys are returned too."""
        digest = ids.hash_api_key(secret)
        matches = await self.db.read_rows(_BY_HASH, {"digest": digest})
        if not matches:
            return None
        row = dict(zip(_KEY_COLUMNS, matches[0], strict=True))
        if not hmac.compare_digest(row["key_hash"], digest):
            return None
        return _key(row)

    async def count_keys(self) -> int:
        query = sa.select(sa.func.count()).select_from(k)
        return await self.db.read(lambda conn: int(conn.execute(query).scalar_one()))
