"""Files under one local directory; keys are relative POSIX paths."""

from __future__ import annotations

import asyncio
import hashlib
import os
import secrets
import shutil
from collections.abc import AsyncIterator
from pathlib import Path, PurePosixPath
from typing import BinaryIO

from reelway import jobs
from reelway.storage.chunks import CHUNK_BYTES


class LocalStorage:
    def __init__(self, root: Path) -> None:
        self.root = root.resolve()
        self.root.mkdir(parents=True, exist_ok=True)

    @property
    def description(self) -> str:
        return str(self.root)

    def path(self, key: str) -> Path:
        parts = PurePosixPath(key).parts
        if not parts or key.startswith("/") or any(part in {"..", "."} for part in parts):
            raise ValueError(f"invalid storage key {key!r}")
        return self.root.joinpath(*parts)

    async def put_file(self, key: str, source: Path, content_type: str) -> jobs.Asset:
        def copy() -> tuple[int, str]:
            with source.open("rb") as handle:
                return _copy_hashing(handle, self.path(key))

        size, digest = await asyncio.to_thread(copy)
        return jobs.Asset(key=key, size=size, etag=digest[:32], content_type=content_type)

    async def put_stream(self, key: str, source: BinaryIO, content_type: str) -> jobs.Asset:
        size, digest = await asyncio.to_thread(_copy_hashing, source, self.path(key))
        return jobs.Asset(key=key, size=size, etag=digest[:32], content_type=content_type)

    async def exists(self, key: str) -> bool:
        return await asyncio.to_thread(self.path(key).is_file)

    async def open_range(self, key: str, start: int, end: int) -> AsyncIterator[bytes]:
        handle = await asyncio.to_thread(self.path(key).open, "rb")
        try:
            await asyncio.to_thread(handle.seek, start)
            remaining = end - start + 1
            while remaining > 0:
                chunk = await asyncio.to_thread(handle.read, min(CHUNK_BYTES, remaining))
                if not chunk:
                    break
                remaining -= len(chunk)
                yield chunk
        finally:
            await asyncio.to_thread(handle.close)

    async def download(self, key: str, target: Path) -> None:
        await asyncio.to_thread(shutil.copyfile, self.path(key), target)

    async def copy(self, source_key: str, target_key: str) -> None:
        def copy() -> None:
            with self.path(source_key).open("rb") as handle:
                _copy_hashing(handle, self.path(target_key))

        await asyncio.to_thread(copy)

    async def delete_prefix(self, prefix: str) -> None:
        await asyncio.to_thread(shutil.rmtree, self.path(prefix.rstrip("/")), True)

    async def list_keys(self, prefix: str) -> list[str]:
        def walk() -> list[str]:
            base = self.path(prefix.rstrip("/"))
            if base.is_file():
                return [prefix]
            if not base.is_dir():
                return []
            return sorted(
                p.relative_to(self.root).as_posix()
                for p in base.rglob("*")
                if p.is_file() and not p.name.startswith(".")
            )

        return await asyncio.to_thread(walk)

    async def check_writable(self) -> None:
        # A name of its own: processes probing at once must not delete each other's file.
        probe = self.root / f".write-probe-{os.getpid()}-{secrets.token_hex(4)}"
        await asyncio.to_thread(probe.write_bytes, b"ok")
        await asyncio.to_thread(probe.unlink)

    async def presigned_url(self, key: str, seconds: int) -> str | None:
        return None


def _copy_hashing(source: BinaryIO, target: Path) -> tuple[int, str]:
    """Copy through a temporary name, hashing as we go; the target appears whole or not at all."""
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(f".{target.name}.partial-{os.getpid()}")
    digest = hashlib.sha256()
    size = 0
    try:
        with partial.open("wb") as out:
            while chunk := source.read(CHUNK_BYTES):
                digest.update(chunk)
                out.write(chunk)
                size += len(chunk)
            out.flush()
            os.fsync(out.fileno())
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return size, digest.hexdigest()
