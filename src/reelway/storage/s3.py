"""S3-compatible object storage through obstore (AWS, MinIO, R2, moto…).

Uploads stream from a file in chunks (multipart above 5 MiB), hashed on the way so the ETag
matches the local backend's; downloads and ranges stream back.  Connection failures and
server errors become ``StorageUnavailable`` (503 for an API call; the worker retries).
"""

from __future__ import annotations

import asyncio
import datetime
import hashlib
import os
import secrets
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, TypeVar

import obstore
from obstore.exceptions import BaseError, NotFoundError
from obstore.store import S3Store

from reelway import errors, jobs
from reelway.storage.chunks import CHUNK_BYTES

if TYPE_CHECKING:
    from obstore.store import ClientConfig, RetryConfig

T = TypeVar("T")
# obstore raises its NotFoundError for some calls and the builtin FileNotFoundError for others.
_MISSING = (NotFoundError, FileNotFoundError)
UPLOAD_CHUNK_BYTES = 1024 * 1024
STREAM_CHUNK_BYTES = CHUNK_BYTES


class S3Storage:
    def __init__(
        self,
        bucket: str,
        prefix: str,
        *,
        endpoint_url: str = "",
        region: str = "us-east-1",
        access_key_id: str = "",
        secret_access_key: str = "",
    ) -> None:
        options: dict[str, Any] = {"region": region}
        if endpoint_url:
            options["endpoint"] = endpoint_url
        if access_key_id:
            options["access_key_id"] = access_key_id
            options["secret_access_key"] = secret_access_key
        # Fail within seconds when the store is down (obstore's default retries for minutes);
        # the caller answers 503 or the worker tries the job again later.
        client_options: ClientConfig = {
            "connect_timeout": datetime.timedelta(seconds=5),
            "timeout": datetime.timedelta(seconds=120),
        }
        if endpoint_url.startswith("http://"):
            client_options["allow_http"] = True
        retry: RetryConfig = {
            "max_retries": 2,
            "retry_timeout": datetime.timedelta(seconds=15),
            "backoff": {
                "init_backoff": datetime.timedelta(milliseconds=100),
                "max_backoff": datetime.timedelta(seconds=2),
                "base": 2.0,
            },
        }
        self._where = f"s3://{bucket}/{prefix}" + (f" at {endpoint_url}" if endpoint_url else "")
        self.store = S3Store(
            bucket,
            prefix=prefix or None,
            client_options=client_options,
            retry_config=retry,
            **options,
        )

    @property
    def description(self) -> str:
        return self._where

    async def put_file(self, key: str, source: Path, content_type: str) -> jobs.Asset:
        handle = await asyncio.to_thread(source.open, "rb")
        try:
            return await self.put_stream(key, handle, content_type)
        finally:
            await asyncio.to_thread(handle.close)

    async def put_stream(self, key: str, source: BinaryIO, content_type: str) -> jobs.Asset:
        """One PUT for a small file; a multipart upload, chunk by chunk, for a large one."""
        digest = hashlib.sha256()
        first = await asyncio.to_thread(source.read, UPLOAD_CHUNK_BYTES)
        digest.update(first)
        size = len(first)
        attributes = {"Content-Type": content_type}
        rest = await asyncio.to_thread(source.read, UPLOAD_CHUNK_BYTES)
        if not rest:
            await self._write(
                lambda: obstore.put_async(self.store, key, first, attributes=attributes)
            )
        else:

            async def chunks() -> AsyncIterator[bytes]:
                nonlocal size
                chunk = rest
                yield first
                while chunk:
                    digest.update(chunk)
                    size += len(chunk)
                    yield chunk
                    chunk = await asyncio.to_thread(source.read, UPLOAD_CHUNK_BYTES)

            await self._write(
                lambda: obstore.put_async(self.store, key, chunks(), attributes=attributes)
            )
        return jobs.Asset(
            key=key, size=size, etag=digest.hexdigest()[:32], content_type=content_type
        )

    async def exists(self, key: str) -> bool:
        try:
            await self._call(lambda: obstore.head_async(self.store, key))
        except _MISSING:
            return False
        return True

    async def open_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        response = await self._call(
            lambda: obstore.get_async(self.store, key, options={"range": (start, end + 1)})
        )
        async for chunk in response.stream(min_chunk_size=STREAM_CHUNK_BYTES):
            yield bytes(chunk)

    async def download(self, key: str, target: Path) -> None:
        try:
            response = await self._call(lambda: obstore.get_async(self.store, key))
        except _MISSING:
            raise FileNotFoundError(key) from None
        handle = await asyncio.to_thread(target.open, "wb")
        try:
            async for chunk in response.stream(min_chunk_size=UPLOAD_CHUNK_BYTES):
                await asyncio.to_thread(handle.write, bytes(chunk))
        finally:
            await asyncio.to_thread(handle.close)

    async def copy(self, source_key: str, target_key: str) -> None:
        await self._write(lambda: obstore.copy_async(self.store, source_key, target_key))

    async def delete_prefix(self, prefix: str) -> None:
        keys = await self.list_keys(prefix)
        for start in range(0, len(keys), 1000):
            await self._delete(keys[start : start + 1000])

    async def _delete(self, keys: list[str]) -> None:
        await self._call(lambda: obstore.delete_async(self.store, keys))

    async def list_keys(self, prefix: str) -> list[str]:
        batches = await self._call(
            lambda: obstore.list(self.store, prefix=prefix.rstrip("/")).collect_async()
        )
        return sorted(str(meta["path"]) for meta in batches)

    async def check_writable(self) -> None:
        probe = f".write-probe-{os.getpid()}-{secrets.token_hex(4)}"
        await self._write(lambda: obstore.put_async(self.store, probe, b"ok"))
        await self._call(lambda: obstore.delete_async(self.store, probe))

    async def presigned_url(self, key: str, seconds: int) -> str | None:
        url = await self._call(
            lambda: obstore.sign_async(self.store, "GET", key, datetime.timedelta(seconds=seconds))
        )
        return str(url)

    async def _write(self, operation: Callable[[], Any]) -> Any:
        """A write that finds nothing found is a missing bucket, not a missing object."""
        try:
            return await self._call(operation)
        except _MISSING as exc:
            raise errors.StorageUnavailable(
                f"Object storage ({self._where}) answered 'not found' to a write: does the "
                "bucket exist?"
            ) from exc

    async def _call(self, operation: Callable[[], Any]) -> Any:
        try:
            return await operation()
        except _MISSING:
            raise
        except (BaseError, OSError) as exc:
            raise errors.StorageUnavailable(
                f"Object storage ({self._where}) failed: {type(exc).__name__}; try again shortly."
            ) from exc
