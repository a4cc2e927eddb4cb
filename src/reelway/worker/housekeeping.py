"""Housekeeping: the reaper's tidying that no request waits for.

Files of deleted videos (a crash, or a job still running at the delete, left them), files of
videos past their ``expires_at``, Idempotency-Keys past their time, old refused-request logs,
and uploads (``/v1/files``) that expired or were deleted.  It lives with the worker, which
runs it on every reaper pass; the video service only removes a finished video's files at once
when it is deleted.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Awaitable, Callable

from reelway import jobs
from reelway.storage import Storage
from reelway.store.diagnosis import RequestLog
from reelway.store.videos import VideoStore

log = logging.getLogger(__name__)

PRUNE_INTERVAL_SECONDS = 60.0
"""Refused requests are pruned once a minute at most (a delete over the whole log)."""


class Housekeeping:
    def __init__(
        self,
        videos: VideoStore,
        storage: Storage,
        request_log: RequestLog,
        *,
        request_log_seconds: float,
        clock: Callable[[], float] = time.monotonic,
        purge_files: Callable[[], Awaitable[int]] | None = None,
    ) -> None:
        self.videos = videos
        self.storage = storage
        self.request_log = request_log
        self.request_log_seconds = request_log_seconds
        self.clock = clock
        self.purge_files = purge_files
        """Removes the bytes of expired and deleted uploads (``FileService.purge_due``)."""
        self._pruned_at = float("-inf")

    async def tidy(self) -> None:
        """One pass: purge, expire, forget old keys, and (at most once a minute) prune."""
        await self.purge_deleted()
        await self.expire_assets()
        await self.videos.forget_expired_keys()
        if self.purge_files is not None:
            await self.purge_files()
        if self.clock() - self._pruned_at >= PRUNE_INTERVAL_SECONDS:
            self._pruned_at = self.clock()
            await self.request_log.prune(self.request_log_seconds)

    async def purge(self, video: jobs.Video) -> None:
        """Remove a deleted video's files, then record that they are gone."""
        await self.storage.delete_prefix(f"videos/{video.id}/")
        await self.videos.mark_purged(video.id)

    async def purge_deleted(self) -> int:
        """Finish purges that a crash or a still-running job left for later."""
        pending = await self.videos.deleted_unpurged()
        for video in pending:
            await self.purge(video)
        return len(pending)

    async def expire_assets(self) -> int:
        """Delete the files of videos past their expires_at; the videos stay listed."""
        due = await self.videos.expired_with_files()
        for video in due:
            await self.storage.delete_prefix(f"videos/{video.id}/")
            await self.videos.mark_assets_deleted(video.id)
        if due:
            log.info("housekeeping: expired the files of %d video(s)", len(due))
        return len(due)
