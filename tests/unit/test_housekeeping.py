"""The worker's housekeeping pass: purges, expiry, old keys and the request log's pruning."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

from reelway.storage import Storage
from reelway.store.diagnosis import RequestLog
from reelway.store.videos import VideoStore
from reelway.worker.housekeeping import Housekeeping


class FakeVideos:
    def __init__(self) -> None:
        self.deleted = [SimpleNamespace(id="video_gone")]
        self.expired = [SimpleNamespace(id="video_old")]
        self.calls: list[tuple[str, str]] = []

    async def deleted_unpurged(self) -> list[Any]:
        found, self.deleted = self.deleted, []
        return found

    async def expired_with_files(self) -> list[Any]:
        found, self.expired = self.expired, []
        return found

    async def mark_purged(self, video_id: str) -> None:
        self.calls.append(("purged", video_id))

    async def mark_assets_deleted(self, video_id: str) -> None:
        self.calls.append(("expired", video_id))

    async def forget_expired_keys(self) -> int:
        self.calls.append(("keys", ""))
        return 0


class FakeStorage:
    def __init__(self) -> None:
        self.deleted: list[str] = []

    async def delete_prefix(self, prefix: str) -> None:
        self.deleted.append(prefix)


class FakeRequestLog:
    def __init__(self) -> None:
        self.pruned: list[float] = []

    async def prune(self, keep_seconds: float) -> int:
        self.pruned.append(keep_seconds)
        return 0


def test_a_pass_purges_expires_forgets_and_prunes_once_a_minute() -> None:
    videos, storage, request_log = FakeVideos(), FakeStorage(), FakeRequestLog()
    now = [1000.0]
    house = Housekeeping(
        cast(VideoStore, videos),
        cast(Storage, storage),
        cast(RequestLog, request_log),
        request_log_seconds=7 * 86400,
        clock=lambda: now[0],
    )
    asyncio.run(house.tidy())
    assert storage.deleted == ["videos/video_gone/", "videos/video_old/"]
    assert videos.calls == [("purged", "video_gone"), ("expired", "video_old"), ("keys", "")]
    assert request_log.pruned == [7 * 86400]
    now[0] += 30
    asyncio.run(house.tidy())
    assert request_log.pruned == [7 * 86400], "not again within the minute"
    now[0] += 30
    asyncio.run(house.tidy())
    assert request_log.pruned == [7 * 86400] * 2
    assert storage.deleted == ["videos/video_gone/", "videos/video_old/"], "nothing new to purge"
