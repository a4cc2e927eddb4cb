"""Both storage backends honour one contract: streamed, hashed, ranged, listed, deleted."""

from __future__ import annotations

import io
import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from reelway import errors
from reelway.storage import Storage, open_storage
from tests import backends


@pytest.fixture(params=["local", "s3"])
async def storage(
    request: pytest.FixtureRequest, tmp_path: Path, moto: backends.MotoServer
) -> AsyncIterator[Storage]:
    if request.param == "local":
        yield open_storage(str(tmp_path / "files"))
        return
    yield open_storage(
        f"s3://{moto.create_bucket()}/some/prefix",
        s3_endpoint_url=moto.endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )


async def _read(storage: Storage, key: str, start: int, end: int) -> bytes:
    return b"".join([chunk async for chunk in storage.open_range(key, start, end)])


@pytest.mark.parametrize("size", [0, 1000, 3 * 1024 * 1024 + 17])
async def test_round_trip_with_hash_and_ranges(storage: Storage, tmp_path: Path, size: int) -> None:
    data = os.urandom(size)
    asset = await storage.put_stream("videos/v1/t/video.mp4", io.BytesIO(data), "video/mp4")
    assert (asset.size, asset.content_type) == (size, "video/mp4")
    other = await storage.put_file(
        "videos/v2/t/video.mp4", _write(tmp_path / "src.bin", data), "video/mp4"
    )
    assert other.etag == asset.etag, "the same bytes get the same ETag on either path"
    assert await storage.exists("videos/v1/t/video.mp4")
    assert not await storage.exists("videos/v1/t/missing.mp4")
    if size:
        assert await _read(storage, asset.key, 0, size - 1) == data
        assert (
            await _read(storage, asset.key, size // 3, size // 2) == data[size // 3 : size // 2 + 1]
        )
    target = tmp_path / "back.bin"
    await storage.download(asset.key, target)
    assert target.read_bytes() == data


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


async def test_prefixes_list_copy_and_delete_by_path_segment(storage: Storage) -> None:
    for key in ("videos/abc/1.txt", "videos/abc/x/2.txt", "videos/abcd/3.txt"):
        await storage.put_stream(key, io.BytesIO(b"x"), "text/plain")
    assert await storage.list_keys("videos/abc/") == ["videos/abc/1.txt", "videos/abc/x/2.txt"]
    await storage.copy("videos/abc/1.txt", "videos/abcd/copy.txt")
    await storage.delete_prefix("videos/abc/")
    assert await storage.list_keys("videos/") == ["videos/abcd/3.txt", "videos/abcd/copy.txt"]
    with pytest.raises(FileNotFoundError):
        await storage.download("videos/abc/1.txt", Path(os.devnull))
    await storage.check_writable()


async def test_presigned_urls_only_where_there_is_a_store_to_sign(storage: Storage) -> None:
    await storage.put_stream("videos/p/video.mp4", io.BytesIO(b"0123456789"), "video/mp4")
    url = await storage.presigned_url("videos/p/video.mp4", 60)
    if url is None:
        return  # a local directory has nothing to presign
    async with httpx.AsyncClient() as client:
        answer = await client.get(url, headers={"Range": "bytes=2-5"})
    assert answer.status_code == 206 and answer.content == b"2345"
    assert answer.headers["content-type"] == "video/mp4"


async def test_a_missing_bucket_is_a_clear_storage_error(moto: backends.MotoServer) -> None:
    storage = open_storage(
        "s3://no-such-bucket/x",
        s3_endpoint_url=moto.endpoint,
        s3_access_key_id="test",
        s3_secret_access_key="test",
    )
    with pytest.raises(errors.StorageUnavailable, match="does the bucket exist"):
        await storage.check_writable()


def test_storage_urls_are_checked() -> None:
    with pytest.raises(ValueError, match="names no bucket"):
        open_storage("s3:///prefix")
    with pytest.raises(ValueError, match="neither a directory nor"):
        open_storage("gs://bucket/prefix")
