"""The API side of the job store: create (with admission control), read, list, delete,
and the upkeep of finished videos (purges, expiry).  The worker side is ``store.queue``."""

from __future__ import annotations

import functools
import hashlib
import threading
import time
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as postgres_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from reelway import jobs
from reelway.store import ledger, outbox, rows, sqlite, storyboards
from reelway.store.database import Database
from reelway.store.tables import idempotency_keys as ik
from reelway.store.tables import queue_counts as qc
from reelway.store.tables import videos as v

S = jobs.JobStatus
T = TypeVar("T")


UNBOUNDED = 2**31 - 1


class QueueLimitReached(Exception):
    """The project already has as many queued videos as it may."""


@dataclass(frozen=True)
class IdempotencyKey:
    """An Idempotency-Key to record with the new video, in the same transaction."""

    key: str
    request_hash: str
    ttl_seconds: float


@dataclass(frozen=True)
class KeyTaken:
    """Another request already used this key: what it asked and what it created."""

    request_hash: str
    video_id: str


@dataclass(frozen=True)
class NewVideo:
    """The fields a create or remix supplies; the store fills in the queue columns."""

    id: str
    project_id: str
    model: str
    catalog_model: str
    prompt: str
    size: str
    seconds: str
    seed: int
    input_reference: str | None
    request_id: str | None
    kind: jobs.JobKind = jobs.JobKind.GENERATE
    sources: jobs.Sources = jobs.NO_SOURCES
    priority: int = 0
    max_attempts: int = 3
    deadline_seconds: float | None = None
    run_at: float | None = None
    """Not before this time (relaxed jobs wait for their window); None: now."""
    reservation: ledger.Reservation | None = None
    """The cost to hold against the project's credits and budget, with the row."""
    watermark: bool = False
    storyboard_id: str | None = None
    """A storyboard's shot: the storyboard (``sources.storyboard_id``)."""


# Statements on the request path, built once so SQLAlchemy compiles them once.
_GET_VISIBLE = sa.select(v).where(
    v.c.id == sa.bindparam("video_id"),
    v.c.project_id == sa.bindparam("project_id"),
    v.c.deleted_at.is_(None),
)
_INSERTED = (
    "id", "project_id", "model", "catalog_model", "prompt", "size", "seconds", "seed",
    "input_reference", "request_id", "status", "progress",
    "created_at", "priority", "run_at", "deadline_at", "attempts", "max_attempts",
    "cancel_requested", "watermark", "kind", "sources", "storyboard_id",
)  # fmt: skip
# The row goes in only while the project has fewer than queue_limit videos queued.  SQLite
# runs one writer at a time; on PostgreSQL creates of one project take an advisory lock first
# (_insert_keyed), so concurrent creates cannot both take the last place.
_QUEUED_NOW = (
    sa.select(qc.c.queued).where(qc.c.project_id == sa.bindparam("project_id")).scalar_subquery()
)
_INSERT = (
    sa.insert(v)
    .from_select(
        list(_INSERTED),
        sa.select(*[sa.bindparam(name, type_=v.c[name].type) for name in _INSERTED]).where(
            sa.func.coalesce(_QUEUED_NOW, 0) < sa.bindparam("queue_limit")
        ),
    )
    .returning(v.c.seq)
)
_QUEUED_TOTAL = sa.select(sa.func.coalesce(sa.func.sum(qc.c.queued), 0))
_INSERTED_ROW = _INSERT.cte("inserted")
_INSERT_RESERVED = sa.select(
    _INSERTED_ROW.c.seq,
    sa.select(sa.func.count()).select_from(ledger.charged_after(_INSERTED_ROW)).scalar_subquery(),
)
"""PostgreSQL: the job row, its hold and its charge row in one statement (one round trip
inside the project's lock instead of three)."""
_KEY_COLUMNS = ("project_id", "key", "request_hash", "video_id", "created_at", "expires_at")


_LOCK_PROJECT = sa.select(
    sa.func.pg_advisory_xact_lock(sa.bindparam("lock_key", type_=sa.BigInteger))
)
_CLAIM_KEY = {
    name: insert(ik)
    .values({n: sa.bindparam(n, type_=ik.c[n].type) for n in _KEY_COLUMNS})
    .on_conflict_do_nothing(index_elements=["project_id", "key"])
    .returning(ik.c.key)
    for name, insert in (("sqlite", sqlite_insert), ("postgresql", postgres_insert))
}
_KEY_HOLDER = sa.select(ik.c.request_hash, ik.c.video_id, ik.c.expires_at).where(
    ik.c.project_id == sa.bindparam("project_id"), ik.c.key == sa.bindparam("key")
)
_TAKE_KEY = (
    sa.update(ik)
    .where(ik.c.project_id == sa.bindparam("k_project"), ik.c.key == sa.bindparam("k_key"))
    .values({n: sa.bindparam(n, type_=ik.c[n].type) for n in _KEY_COLUMNS[2:]})
)


def _insert_keyed(
    st: sqlite.Statements,
    params: dict[str, Any],
    idempotency: IdempotencyKey | None,
    reservation: ledger.Reservation | None = None,
) -> list[tuple[Any, ...]] | KeyTaken:
    """The video, its idempotency key and its reservation: one unit (a transaction on
    PostgreSQL, a savepoint of a group commit on SQLite) of prebuilt statements."""
    if st.dialect == "postgresql":
        # Serialise creates per project so the queue bound holds exactly (see _QUEUED_NOW).
        digest = hashlib.sha256(params["project_id"].encode()).digest()
        st.rows(_LOCK_PROJECT, {"lock_key": int.from_bytes(digest[:8], signed=True)})
    if idempotency is not None:
        now = params["created_at"]
        key = {"project_id": params["project_id"], "key": idempotency.key}
        record = {
            **key,
            "request_hash": idempotency.request_hash,
            "video_id": params["id"],
            "created_at": now,
            "expires_at": now + idempotency.ttl_seconds,
        }
        if not st.rows(_CLAIM_KEY[st.dialect], record):
            request_hash, video_id, expires_at = st.rows(_KEY_HOLDER, key)[0]
            if expires_at > now:
                return KeyTaken(request_hash=request_hash, video_id=video_id)
            st.rows(_TAKE_KEY, {**record, "k_project": key["project_id"], "k_key": key["key"]})
    if reservation is not None and st.dialect == "postgresql":
        now = params["created_at"]
        found = st.rows(_INSERT_RESERVED, {**params, **ledger.reserve_params(reservation, now)})
        if found and not found[0][1]:
            ledger.refuse(st, reservation)  # raises; the job row goes with the transaction
        if not found:
            raise QueueLimitReached(params["project_id"])
        return [found[0][:1]]
    inserted = st.rows(_INSERT, params)
    if not inserted:
        # The queue is full: roll back, so that the key does not stay pointing at a video
        # that was never made.
        raise QueueLimitReached(params["project_id"])
    if reservation is not None:
        ledger.reserve_in(st, reservation, params["created_at"])
    return inserted


def _delete_and_release(statement: sa.Update, now: float, conn: sa.Connection) -> jobs.Video | None:
    """The delete's update; a queued video it cancelled gives its reservation back."""
    found = rows.maybe_video(conn.execute(statement).first())
    if found is not None and found.status is S.CANCELLED:
        ledger.settle(conn, found.id, ledger.Settlement("cancelled"), now)
        outbox.video_ended(conn, found, now)
    if found is not None and found.kind is jobs.JobKind.STORYBOARD:
        storyboards.cancel_shots(conn, found.id, now)  # its shots go with it
    return found


def _values(new: NewVideo, now: float) -> dict[str, Any]:
    """The row's columns for a new video created at ``now``."""
    return {
        "id": new.id,
        "project_id": new.project_id,
        "model": new.model,
        "catalog_model": new.catalog_model,
        "prompt": new.prompt,
        "size": new.size,
        "seconds": new.seconds,
        "seed": new.seed,
        "input_reference": new.input_reference,
        "request_id": new.request_id,
        "status": S.QUEUED,
        "progress": 0,
        "created_at": now,
        "priority": new.priority,
        "run_at": now if new.run_at is None else max(now, new.run_at),
        "deadline_at": None if new.deadline_seconds is None else now + new.deadline_seconds,
        "attempts": 0,
        "max_attempts": new.max_attempts,
        "cancel_requested": False,
        "watermark": new.watermark,
        "kind": new.kind.value,
        "sources": new.sources.to_json(),
        "storyboard_id": new.storyboard_id,
    }


def _inserted(
    new: NewVideo, values: dict[str, Any], inserted: Sequence[tuple[Any, ...]]
) -> jobs.Video:
    """The inserted row as a Video: everything else is known, so it is not read back."""
    row = dict.fromkeys(jobs.VIDEO_FIELDS)
    row.update(
        values,
        seq=int(inserted[0][0]),
        engine_attempts=(),
        kind=new.kind,
        sources=new.sources,
    )
    return jobs.video_from_row(list(row.values()))


_DATA_VERSION = sa.text("PRAGMA data_version")
_CURSOR = sa.select(v.c.seq).where(
    v.c.id == sa.bindparam("after"), v.c.project_id == sa.bindparam("project_id")
)


def _page(descending: bool, after: bool) -> sa.Select[Any]:
    """A page of a project's listed videos (a storyboard is listed, not its shots)."""
    query = sa.select(v).where(
        v.c.project_id == sa.bindparam("project_id"),
        v.c.deleted_at.is_(None),
        v.c.kind != jobs.JobKind.SHOT.value,
    )
    if after:
        cursor: sa.BindParameter[Any] = sa.bindparam("cursor")
        query = query.where(v.c.seq < cursor if descending else v.c.seq > cursor)
    order = v.c.seq.desc() if descending else v.c.seq.asc()
    return query.order_by(order).limit(sa.bindparam("limit", type_=sa.Integer))


_PAGES = {(d, a): _page(d, a) for d in (True, False) for a in (True, False)}
"""Prebuilt, so SQLAlchemy compiles each once: (descending, after a cursor)."""


class PollCache:
    """Videos and pages this process read, valid while SQLite's ``data_version`` stands still.

    ``PRAGMA data_version`` on the reading connection changes whenever any other connection
    (another process's, or this one's writer) commits, so a video read after the version was
    taken is exactly what the database holds for as long as the version is unchanged: a poll
    that finds it pays one pragma (a few microseconds) instead of the row's read and
    conversion (41 columns).  Any commit empties the cache.  Where commits come faster than
    polls repeat (nearly every look misses), the cache stops looking for a while, so a
    write-heavy deployment does not pay the pragma on every read.  PostgreSQL has no such
    counter; it always reads.
    """

    MAX_VIDEOS = 4_000
    """Videos held, a page counting each of its own (about 2.4 KB each: 10 MB at most)."""
    GIVE_UP_AFTER = 64
    """Consecutive lookups that found the version moved before the cache rests."""
    REST_LOOKUPS = 1024
    """Reads that skip the cache once it rests."""

    def __init__(self) -> None:
        self._version: object = None
        self._found: dict[Hashable, Any] = {}
        self._held = 0
        self._moved = 0
        self._resting = 0

    def checking(self) -> bool:
        """Whether this read should consult the cache (False while it rests)."""
        if self._resting:
            self._resting -= 1
            return False
        return True

    def get(self, version: object, key: Hashable) -> Any:
        """What ``put`` kept under ``key`` at this version, or None."""
        if version != self._version:
            self._version = version
            self._found.clear()
            self._held = 0
            self._moved += 1
            if self._moved >= self.GIVE_UP_AFTER:
                self._moved = 0
                self._resting = self.REST_LOOKUPS
            return None
        self._moved = 0
        return self._found.get(key)

    def put(self, version: object, key: Hashable, found: Any, videos: int = 1) -> None:
        """Keep ``found`` (immutable, holding ``videos`` videos), read after ``version`` was
        taken."""
        if version != self._version or key in self._found:
            return
        if self._held + videos > self.MAX_VIDEOS:
            self._found.clear()
            self._held = 0
        self._found[key] = found
        self._held += videos


class VideoStore:
    """Queries and fenced transitions of video jobs."""

    def __init__(self, db: Database, clock: Callable[[], float] = time.time) -> None:
        self.db = db
        self.clock = clock
        self._polls = PollCache()

    # ------------------------------------------------------------------ the API side

    async def insert(self, new: NewVideo, *, queue_limit: int = UNBOUNDED) -> jobs.Video:
        """Queue a new video, unless its project's queue is full (``QueueLimitReached``)."""
        outcome = await self._insert(new, queue_limit, None)
        assert not isinstance(outcome, KeyTaken)
        return outcome

    async def insert_keyed(
        self, new: NewVideo, key: IdempotencyKey, *, queue_limit: int = UNBOUNDED
    ) -> jobs.Video | KeyTaken:
        """Queue a new video under an Idempotency-Key, or say who already used the key."""
        return await self._insert(new, queue_limit, key)

    async def _insert(
        self, new: NewVideo, queue_limit: int, idempotency: IdempotencyKey | None
    ) -> jobs.Video | KeyTaken:
        now = self.clock()
        values = _values(new, now)
        params = {**values, "queue_limit": queue_limit}
        reservation = new.reservation
        if idempotency is None and reservation is None and self.db.is_sqlite:
            inserted = await self.db.execute(_INSERT, params)  # group commit: the fast path
        else:
            outcome = await self.db.execute_unit(
                functools.partial(
                    _insert_keyed, params=params, idempotency=idempotency, reservation=reservation
                ),
            )
            if isinstance(outcome, KeyTaken):
                return outcome
            inserted = outcome
        if not inserted:
            raise QueueLimitReached(new.project_id)
        return _inserted(new, values, inserted)

    async def insert_storyboard(
        self,
        storyboard: NewVideo,
        shots: Sequence[NewVideo],
        idempotency: IdempotencyKey | None = None,
        *,
        queue_limit: int = UNBOUNDED,
    ) -> tuple[jobs.Video, list[jobs.Video]] | KeyTaken:
        """A storyboard and all its shots, each shot with its reservation, in one transaction:
        all are queued or none (a budget, credits or the project's queue bound refuses the
        whole storyboard; the Idempotency-Key, if any, names the storyboard)."""
        now = self.clock()
        parent_values = _values(storyboard, now)
        shot_values = [_values(shot, now) for shot in shots]

        def insert_all(conn: sa.Connection) -> list[list[tuple[Any, ...]]] | KeyTaken:
            st = sqlite.ConnectionStatements(conn)
            first = _insert_keyed(st, {**parent_values, "queue_limit": UNBOUNDED}, idempotency)
            if isinstance(first, KeyTaken):
                return first
            found = [first]
            for shot, values in zip(shots, shot_values, strict=True):
                params = {**values, "queue_limit": queue_limit}
                made = _insert_keyed(st, params, None, shot.reservation)
                assert not isinstance(made, KeyTaken)  # no key: never taken
                found.append(made)
            return found

        outcome = await self.db.write(insert_all)
        if isinstance(outcome, KeyTaken):
            return outcome
        parent = _inserted(storyboard, parent_values, outcome[0])
        made = [
            _inserted(shot, values, rows_)
            for shot, values, rows_ in zip(shots, shot_values, outcome[1:], strict=True)
        ]
        return parent, made

    async def shots(self, storyboard_id: str) -> list[jobs.Video]:
        """A storyboard's shots in order (deleted ones too: the storyboard keeps its shots)."""
        query = sa.select(v).where(v.c.storyboard_id == storyboard_id)
        found = await self.db.read(lambda conn: [rows.video(r) for r in conn.execute(query)])
        return sorted(found, key=lambda shot: shot.sources.shot_index or 0)

    async def retry_shot(
        self,
        storyboard_id: str,
        index: int,
        prompt: str | None,
        reservations: Mapping[str, ledger.Reservation],
    ) -> jobs.Video:
        """Requeue a failed storyboard's shot ``index`` (from 0; its prompt replaced when
        given) and the shots cancelled because it failed, and the storyboard; returns the
        storyboard, queued again.  ``reservations``: by shot id, at least for every shot
        requeued (one for every shot is fine; only the requeued are held).  Raises
        ``LookupError`` (no such storyboard or shot: 404) or ``ValueError`` (not retryable:
        400), or the ledger's refusals (credits, budget)."""
        return await self.db.write(
            lambda conn: storyboards.retry(
                conn, storyboard_id, index, prompt, reservations, self.clock()
            )
        )

    async def queued_total(self) -> int:
        """Queued videos across every project (from the trigger-kept counters)."""
        return int(await self.db.read(lambda conn: conn.execute(_QUEUED_TOTAL).scalar_one()))

    async def find_key(self, project_id: str, key: str) -> KeyTaken | None:
        """A live Idempotency-Key record of this project, if any."""
        query = sa.select(ik.c.request_hash, ik.c.video_id).where(
            ik.c.project_id == project_id, ik.c.key == key, ik.c.expires_at > self.clock()
        )
        row = await self.db.read(lambda conn: conn.execute(query).first())
        return None if row is None else KeyTaken(request_hash=row[0], video_id=row[1])

    async def forget_expired_keys(self) -> int:
        query = sa.delete(ik).where(ik.c.expires_at <= self.clock())
        return int(await self.db.write(lambda conn: conn.execute(query).rowcount))

    async def by_request_id(self, request_id: str) -> jobs.Video | None:
        """The video a request created (for ``reelway doctor``)."""
        query = sa.select(v).where(v.c.request_id == request_id).limit(1)
        return await self.db.read(lambda conn: rows.maybe_video(conn.execute(query).first()))

    async def get(
        self, video_id: str, *, project_id: str | None = None, include_deleted: bool = False
    ) -> jobs.Video | None:
        if project_id is not None and not include_deleted:
            return await self._get_visible(video_id, project_id)
        query = sa.select(v).where(v.c.id == video_id)
        if project_id is not None:
            query = query.where(v.c.project_id == project_id)
        if not include_deleted:
            query = query.where(v.c.deleted_at.is_(None))
        return await self.db.read(lambda conn: rows.maybe_video(conn.execute(query).first()))

    async def _data_version(self) -> tuple[int, int]:
        """SQLite's ``data_version`` on this thread's reading connection, with the thread: the
        counter is the connection's own, so two threads' counters are never compared."""
        found = await self.db.read_rows(_DATA_VERSION, {})
        return threading.get_ident(), found[0][0]

    async def _get_visible(self, video_id: str, project_id: str) -> jobs.Video | None:
        """A project's video, as a poll reads it: through ``PollCache`` on SQLite."""
        polls = self._polls
        version = None
        if self.db.is_sqlite and polls.checking():
            version = await self._data_version()
            cached = polls.get(version, ("video", video_id, project_id))
            if cached is not None:
                return cast(jobs.Video, cached)
        params = {"video_id": video_id, "project_id": project_id}
        found = await self.db.read_rows(_GET_VISIBLE, params)
        video = rows.video(found[0]) if found else None
        if video is not None and version is not None:
            polls.put(version, ("video", video_id, project_id), video)
        return video

    async def list_page(
        self, project_id: str, *, after: str | None, limit: int, descending: bool
    ) -> tuple[list[jobs.Video], bool]:
        """One page of a project's videos and whether more follow.

        ``after`` may name a deleted video (a cursor stays valid); raises ``LookupError`` if
        it names no video of this project.
        """

        polls = self._polls
        key = ("page", project_id, after, limit, descending)
        version = None
        if self.db.is_sqlite and polls.checking():
            version = await self._data_version()
            cached = polls.get(version, key)
            if cached is not None:
                videos, more = cached
                return list(videos), more
        params: dict[str, Any] = {"project_id": project_id, "limit": limit + 1}
        if after is not None:
            cursor = await self.db.read_rows(_CURSOR, {"after": after, "project_id": project_id})
            if not cursor:
                raise LookupError(after)
            params["cursor"] = cursor[0][0]
        page_rows = await self.db.read_rows(_PAGES[descending, after is not None], params)
        found = tuple(rows.video(r) for r in page_rows[:limit])
        more = len(page_rows) > limit
        if version is not None:
            polls.put(version, key, (found, more), videos=max(1, len(found)))
        return list(found), more

    async def delete(self, project_id: str, video_id: str) -> jobs.Video | None:
        """Hide a video from its project now; cancel it first if it has not finished.

        A queued job is cancelled at once; a running one is flagged and its worker stops at
        its next heartbeat.  Files are purged afterwards (``deleted_unpurged``).
        """
        for _ in range(5):
            current = await self.get(video_id, project_id=project_id)
            if current is None:
                return None
            now = self.clock()
            query = sa.update(v).where(v.c.id == video_id, v.c.deleted_at.is_(None))
            if current.status is S.QUEUED:
                query = query.where(v.c.status == S.QUEUED.value).values(
                    status=S.CANCELLED.value,
                    completed_at=now,
                    error=rows.error("cancelled", "The video was deleted before it started."),
                    deleted_at=now,
                )
            elif current.status is S.RUNNING:
                query = query.where(v.c.status == S.RUNNING.value).values(
                    cancel_requested=True, deleted_at=now
                )
            else:
                query = query.where(v.c.status == current.status.value).values(deleted_at=now)
            found = await self.db.write(
                functools.partial(_delete_and_release, query.returning(*v.c), now)
            )
            if found is not None:
                return found
        raise RuntimeError(f"video {video_id} kept changing state while being deleted")

    # ------------------------------------------------------------------ upkeep

    async def deleted_unpurged(self, limit: int = 50) -> Sequence[jobs.Video]:
        """Deleted videos whose files may still exist and whose job has stopped."""
        query = (
            sa.select(v)
            .where(
                v.c.deleted_at.is_not(None),
                v.c.purged_at.is_(None),
                v.c.status.in_([s.value for s in jobs.TERMINAL]),
            )
            .order_by(v.c.deleted_at)
            .limit(limit)
        )
        return await self.db.read(lambda conn: [rows.video(r) for r in conn.execute(query).all()])

    async def mark_purged(self, video_id: str) -> None:
        """Files are gone: forget the prompt too, keep the row as a tombstone for accounting."""
        query = (
            sa.update(v)
            .where(v.c.id == video_id, v.c.deleted_at.is_not(None))
            .values(purged_at=self.clock(), prompt=None, assets=None, input_reference=None)
        )
        await self.db.write(lambda conn: conn.execute(query))

    async def expired_with_files(self, limit: int = 100) -> list[jobs.Video]:
        """Finished videos past their expires_at whose files still exist."""
        query = (
            sa.select(v)
            .where(
                v.c.expires_at.is_not(None),
                v.c.assets_deleted_at.is_(None),
                v.c.expires_at <= self.clock(),
            )
            .order_by(v.c.expires_at)
            .limit(limit)
        )
        return await self.db.read(lambda conn: [rows.video(r) for r in conn.execute(query).all()])

    async def mark_assets_deleted(self, video_id: str) -> None:
        query = sa.update(v).where(v.c.id == video_id).values(assets_deleted_at=self.clock())
        await self.db.write(lambda conn: conn.execute(query))

    async def counts_by_status(self) -> dict[str, int]:
        query = sa.select(v.c.status, sa.func.count()).group_by(v.c.status)
        return await self.db.read(
            lambda conn: {str(s): int(n) for s, n in conn.execute(query).all()}
        )
