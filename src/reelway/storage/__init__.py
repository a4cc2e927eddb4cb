"""The blob store for video files: a local directory, or S3-compatible object storage.

Files move as streams: ``put_file`` and ``put_stream`` hash while they copy (the hash is the
ETag), ``open_range`` yields chunks of a byte range, and nothing holds a whole video in
memory.  ``open_storage`` picks the backend from ``REELWAY_STORAGE_URL``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import BinaryIO, Protocol

from reelway import jobs


class Storage(Protocol):
    @property
    def description(self) -> str:
        """Where files go, for logs (never with credentials)."""
        ...

    async def put_file(self, key: str, source: Path, content_type: str) -> jobs.Asset: ...

    async def put_stream(self, key: str, source: BinaryIO, content_type: str) -> jobs.Asset:
        """Store what ``source`` holds from its current position to its end."""
        ...

    async def exists(self, key: str) -> bool: ...

    def open_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        """Bytes ``start..end`` inclusive, in chunks."""
        ...

    async def download(self, key: str, target: Path) -> None: ...

    async def copy(self, source_key: str, target_key: str) -> None: ...

    async def delete_prefix(self, prefix: str) -> None: ...

    async def list_keys(self, prefix: str) -> list[str]: ...

    async def check_writable(self) -> None: ...

    async def presigned_url(self, key: str, seconds: int) -> str | None:
        """A URL a client may GET the file from directly, or None if there is none."""
        ...


def open_storage(
    url: str,
    *,
    s3_endpoint_url: str = "",
    s3_region: str = "us-east-1",
    s3_access_key_id: str = "",
    s3_secret_access_key: str = "",
) -> Storage:
    """The backend for a storage URL: ``s3://bucket/prefix`` or a directory path."""
    if url.startswith("s3://"):
        from reelway.storage import s3

        bucket, _, prefix = url[len("s3://") :].partition("/")
        if not bucket:
            raise ValueError(f"storage URL {url!r} names no bucket; use s3://bucket/prefix")
        return s3.S3Storage(
            bucket,
            prefix.strip("/"),
            endpoint_url=s3_endpoint_url,
            region=s3_region,
            access_key_id=s3_access_key_id,
            secret_access_key=s3_secret_access_key,
        )
    if "://" in url and not url.startswith("file://"):
        raise ValueError(f"storage URL {url!r} is neither a directory nor s3://bucket/prefix")
    from reelway.storage import local

    return local.LocalStorage(Path(url.removeprefix("file://")))
