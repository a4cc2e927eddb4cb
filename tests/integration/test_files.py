"""Files: the store (project scoping, paging, purpose filter, tombstones, expiry, usage) and
the use cases (purpose and content checks, expiry, opening a file as a video's input, the
housekeeping purge), on SQLite and PostgreSQL."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from reelway import errors
from reelway.files import FileService, blob_key, check_jsonl, check_media
from reelway.service import Upload
from reelway.storage.local import LocalStorage
from reelway.store.database import Database
from reelway.store.files import FileStore
from reelway.store.keys import KeyStore
from tests import faces
from tests.integration.conftest import Clock

DAY = 86_400


@pytest.fixture
def store(db: Database, clock: Clock) -> FileStore:
    return FileStore(db, clock)


@pytest.fixture
async def projects(db: Database) -> tuple[str, str]:
    keys = KeyStore(db)
    first, _ = await keys.ensure_project("first")
    second, _ = await keys.ensure_project("second")
    return first.id, second.id


@pytest.fixture
def storage(tmp_path: Path) -> LocalStorage:
    return LocalStorage(tmp_path / "files")


@pytest.fixture
def service(store: FileStore, storage: LocalStorage, clock: Clock) -> FileService:
    return FileService(store, storage, max_bytes=4096, expiry_seconds=30 * DAY, clock=clock)


def upload(data: bytes, name: str = "input.jsonl") -> Upload:
    return Upload(filename=name, file=io.BytesIO(data))


BATCH = b'{"custom_id": "a"}\n{"custom_id": "b"}\n'


async def test_create_read_list_and_delete_scoped_to_the_project(
    service: FileService, storage: LocalStorage, projects: tuple[str, str], clock: Clock
) -> None:
    first, second = projects
    made = await service.create(first, {"file": upload(BATCH), "purpose": "batch"})
    assert made.id.startswith("file-") and made.bytes == len(BATCH)
    assert (made.filename, made.purpose, made.content_type) == (
        "input.jsonl",
        "batch",
        "application/jsonl",
    )
    assert made.expires_at == clock.now + 30 * DAY
    assert storage.path(blob_key(made.id)).read_bytes() == BATCH
    assert (await service.get(first, made.id)).id == made.id
    with pytest.raises(errors.FileNotFound):
        await service.get(second, made.id)  # another project's file reads as absent
    with pytest.raises(errors.FileNotFound):
        await service.delete(second, made.id)
    assert await service.store.usage(first) == (1, len(BATCH))
    assert await service.store.usage(second) == (0, 0)

    gone = await service.delete(first, made.id)
    assert gone.id == made.id
    assert not storage.path(blob_key(made.id)).exists()
    with pytest.raises(errors.FileNotFound):
        await service.get(first, made.id)
    with pytest.raises(errors.FileNotFound):
        await service.delete(first, made.id)
    assert await service.store.usage(first) == (0, 0)


async def test_pages_filter_by_purpose_and_keep_cursors_of_deleted_files(
    service: FileService, projects: tuple[str, str], clock: Clock
) -> None:
    first, _ = projects
    png = faces.landscape_image(64, 32)
    made = []
    for n in range(4):
        clock.advance(1)
        if n % 2:
            found = await service.create(first, {"file": upload(png, "a.png"), "purpose": "vision"})
        else:
            found = await service.create(first, {"file": upload(BATCH), "purpose": "batch"})
        made.append(found.id)
    newest = await service.list(first, after=None, limit="2", order=None, purpose=None)
    assert [f.id for f in newest.files] == [made[3], made[2]] and newest.has_more
    rest = await service.list(first, after=made[2], limit="2", order=None, purpose=None)
    assert [f.id for f in rest.files] == [made[1], made[0]] and not rest.has_more
    oldest = await service.list(first, after=None, limit=None, order="asc", purpose="vision")
    assert [f.id for f in oldest.files] == [made[1], made[3]]
    await service.delete(first, made[2])
    after_deleted = await service.list(first, after=made[2], limit=None, order=None, purpose=None)
    assert [f.id for f in after_deleted.files] == [made[1], made[0]]
    with pytest.raises(errors.InvalidValue) as caught:
        await service.list(first, after="file-nothing", limit=None, order=None, purpose=None)
    assert caught.value.param == "after"
    with pytest.raises(errors.InvalidValue) as caught:
        await service.list(first, after=None, limit=None, order=None, purpose="fine-tune")
    assert caught.value.param == "purpose"


async def test_refusals_name_the_parameter(service: FileService, projects: tuple[str, str]) -> None:
    first, _ = projects
    with pytest.raises(errors.UnsupportedFilePurpose) as purpose:
        await service.create(first, {"file": upload(BATCH), "purpose": "fine-tune"})
    assert purpose.value.param == "purpose" and "batch, vision, user_data" in purpose.value.message
    with pytest.raises(errors.MissingParameter):
        await service.create(first, {"file": upload(BATCH)})
    with pytest.raises(errors.InvalidValue) as text:
        await service.create(first, {"file": "not a file", "purpose": "batch"})
    assert text.value.param == "file"
    with pytest.raises(errors.FileTooLarge) as large:
        await service.create(first, {"file": upload(b"{}\n" * 2000), "purpose": "batch"})
    assert large.value.param == "file" and "4096" in large.value.message
    with pytest.raises(errors.UnknownParameter):
        await service.create(first, {"file": upload(BATCH), "purpose": "batch", "x": "1"})
    for bad, param in (
        ({"anchor": "last_active_at", "seconds": 60}, "expires_after.anchor"),
        ({"anchor": "created_at", "seconds": "0"}, "expires_after.seconds"),
        ({"anchor": "created_at", "seconds": 31 * DAY}, "expires_after.seconds"),
        ({"anchor": "created_at", "seconds": True}, "expires_after.seconds"),
        ("soon", "expires_after"),
    ):
        with pytest.raises(errors.InvalidRequest) as caught:
            params = {"file": upload(BATCH), "purpose": "batch", "expires_after": bad}
            await service.create(first, params)
        assert caught.value.param == param, bad
    assert await service.store.usage(first) == (0, 0)  # nothing refused was stored


async def test_expiry_hides_the_file_and_housekeeping_removes_its_bytes(
    service: FileService, storage: LocalStorage, projects: tuple[str, str], clock: Clock
) -> None:
    first, _ = projects
    params = {"anchor": "created_at", "seconds": "60"}  # multipart sends text
    short = await service.create(
        first, {"file": upload(BATCH), "purpose": "batch", "expires_after": params}
    )
    kept = await service.create(first, {"file": upload(BATCH), "purpose": "batch"})
    assert short.expires_at == short.created_at + 60
    assert await service.purge_due() == 0
    clock.advance(61)
    with pytest.raises(errors.FileNotFound):
        await service.get(first, short.id)
    assert storage.path(blob_key(short.id)).exists()  # until housekeeping runs
    assert await service.purge_due() == 1
    assert not storage.path(blob_key(short.id)).exists()
    assert storage.path(blob_key(kept.id)).exists()
    assert await service.purge_due() == 0  # done once
    assert await service.store.usage(first) == (1, len(BATCH))


async def test_open_reference_checks_purpose_project_and_size(
    service: FileService, projects: tuple[str, str]
) -> None:
    first, second = projects
    png = faces.landscape_image(64, 32)
    image = await service.create(first, {"file": upload(png, "f.png"), "purpose": "user_data"})
    batch = await service.create(first, {"file": upload(BATCH), "purpose": "batch"})
    with await service.open_reference(first, image.id, param="p.file_id", max_bytes=4096) as f:
        assert f.read() == png
    for project, file_id, kind in (
        (second, image.id, errors.FileNotFound),
        (first, batch.id, errors.InvalidValue),
        (first, 7, errors.InvalidValue),
    ):
        with pytest.raises(kind) as caught:
            await service.open_reference(project, file_id, param="p.file_id", max_bytes=4096)
        assert caught.value.param == "p.file_id"
    with pytest.raises(errors.ImageTooLarge):
        await service.open_reference(first, image.id, param="p.file_id", max_bytes=10)


@pytest.mark.parametrize(
    ("data", "line"),
    [
        (b'{"a": 1}\n{"a": \n', 2),
        (b'{"a": 1}\n\n[1, 2]\n', 3),
        (b'{"a": "\xff"}\n', 1),
        (b"not json\n", 1),
    ],
)
def test_a_bad_batch_line_is_named(data: bytes, line: int) -> None:
    with pytest.raises(errors.InvalidFile) as caught:
        check_jsonl(io.BytesIO(data))
    assert f"Line {line} " in caught.value.message and caught.value.param == "file"


def test_batch_and_media_files_pass_by_their_bytes() -> None:
    assert check_jsonl(io.BytesIO(b'\xef\xbb\xbf{"a": 1}\n\n{"b": 2}')) == "application/jsonl"
    with pytest.raises(errors.InvalidFile):
        check_jsonl(io.BytesIO(b"\n \n"))
    png = faces.landscape_image(64, 32)
    assert check_media(io.BytesIO(png), len(png)) == "image/png"
    mp4 = b"\x00\x00\x00\x18ftypisom" + bytes(40)
    assert check_media(io.BytesIO(mp4), len(mp4)) == "video/mp4"
    with pytest.raises(errors.InvalidFile) as caught:
        check_media(io.BytesIO(b"<html>hi</html>"), 15)
    assert "HTML page" in caught.value.message
