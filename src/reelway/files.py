"""Files: upload, read, list, download and delete a project's files, and open one as the
input of a video (``input_reference.file_id``).

A file is checked for its purpose before anything is stored: ``batch`` must be UTF-8 JSON
lines (each line one JSON object; a malformed one is refused with its line number),
``vision`` and ``user_data`` a PNG, JPEG, WebP or MP4 judged by its bytes (the full checks of
an input image, its size and moderation, run when a video uses it, on the same code path as an
upload).  The bytes stream from the upload's spool to storage (local or S3) under
``files/{id}/content``; the row follows.  Every file expires (``REELWAY_FILE_EXPIRY_SECONDS``,
or sooner with ``expires_after``); housekeeping removes the bytes of expired and deleted files.
Server code (batches) stores its own files with ``FileService.store``.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, BinaryIO, Protocol, runtime_checkable

import orjson

from reelway import errors, ids, images, inputs, numeric, validation
from reelway.storage import Storage
from reelway.store.files import FileStore, StoredFile

__all__ = ["FileService", "Page", "StoredFile", "blob_key"]

CREATE_FIELDS = frozenset({"file", "purpose", "expires_after"})
PURPOSES = ("batch", "vision", "user_data")
"""What a client may upload for."""
SERVER_PURPOSES = ("batch_output",)
"""What only the server writes (a batch's output and error files)."""
REFERENCE_PURPOSES = ("vision", "user_data")
"""Files a video may take as its input image or source video."""
JSONL_TYPE = "application/jsonl"
MP4_TYPE = "video/mp4"
MAX_FILENAME_CHARS = 255
MAX_LINE_BYTES = 64 * 1024 * 1024
"""One JSON line of a batch file is parsed whole: at most this much."""
_READ_BYTES = 1024 * 1024


@runtime_checkable
class FilePart(Protocol):
    """An uploaded file part (the API's ``service.Upload``)."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class Page:
    files: list[StoredFile]
    has_more: bool


def blob_key(file_id: str) -> str:
    return f"files/{file_id}/content"


class FileService:
    def __init__(
        self,
        store: FileStore,
        storage: Storage,
        *,
        max_bytes: int,
        expiry_seconds: int,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.storage = storage
        self.max_bytes = max_bytes
        self.expiry_seconds = expiry_seconds
        self.clock = clock

    # ------------------------------------------------------------------ create

    async def create(self, project_id: str, params: Mapping[str, Any]) -> StoredFile:
        """Check the purpose, the expiry and the file's content, then store it."""
        validation.check_fields(params, CREATE_FIELDS)
        purpose = _purpose(params.get("purpose"))
        seconds = self._expires_after(params.get("expires_after"))
        upload = _upload(params.get("file"))
        source = upload.file
        size = await asyncio.to_thread(_size, source)
        if size > self.max_bytes:
            raise self.too_large(size)
        if purpose == "batch":
            content_type = await asyncio.to_thread(check_jsonl, source)
        else:
            content_type = await asyncio.to_thread(check_media, source, size)
        await asyncio.to_thread(source.seek, 0)
        return await self.store_file(
            project_id, purpose, _filename(upload.filename), source, content_type, seconds
        )

    async def store_file(
        self,
        project_id: str,
        purpose: str,
        filename: str,
        source: BinaryIO,
        content_type: str,
        expires_in: int | None = None,
    ) -> StoredFile:
        """Store what ``source`` holds from its position on as a file of the project (no
        content check: for server code, such as a batch writing its output).  The bytes go
        first; if the row cannot be written they are removed again."""
        file_id = ids.new_id("file").replace("_", "-", 1)
        key = blob_key(file_id)
        now = self.clock()
        asset = await self.storage.put_stream(key, source, content_type)
        try:
            return await self.store.insert(
                StoredFile(
                    id=file_id,
                    project_id=project_id,
                    filename=filename,
                    purpose=purpose,
                    bytes=asset.size,
                    content_type=content_type,
                    blob=key,
                    created_at=now,
                    expires_at=now + (expires_in or self.expiry_seconds),
                )
            )
        except BaseException:
            await self.storage.delete_prefix(f"files/{file_id}/")
            raise

    def too_large(self, size: int | None = None) -> errors.FileTooLarge:
        said = "" if size is None else f" ({size} bytes)"
        return errors.FileTooLarge(
            f"The file is larger than {self.max_bytes} bytes{said}, this server's limit for files.",
            param="file",
        )

    def _expires_after(self, value: Any) -> int | None:
        """``{"anchor": "created_at", "seconds": N}``: N from 1 to the operator's expiry."""
        if value is None:
            return None
        param = "expires_after"
        if not isinstance(value, Mapping):
            raise errors.InvalidValue(
                'expires_after must be an object {"anchor": "created_at", "seconds": N}.',
                param=param,
            )
        unknown = sorted(str(k) for k in value if k not in ("anchor", "seconds"))
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter expires_after.{errors.show(unknown[0])}; expires_after "
                "takes anchor and seconds.",
                param=f"{param}.{unknown[0][:64]}",
            )
        if value.get("anchor") != "created_at":
            raise errors.InvalidValue(
                f"Invalid expires_after.anchor {errors.show(value.get('anchor'))}. Allowed "
                "values: created_at.",
                param=f"{param}.anchor",
            )
        raw = value.get("seconds")
        text = str(raw) if isinstance(raw, int | str) and not isinstance(raw, bool) else ""
        seconds = numeric.whole(text, 1, self.expiry_seconds)
        if seconds is None:
            raise errors.InvalidValue(
                f"Invalid expires_after.seconds {errors.show(raw)}. Allowed values: whole "
                f"seconds from 1 to {self.expiry_seconds} (this server keeps files at most "
                "that long).",
                param=f"{param}.seconds",
            )
        return seconds

    # ------------------------------------------------------------------ read

    async def get(self, project_id: str, file_id: str, param: str = "file_id") -> StoredFile:
        found = await self.store.get(project_id, file_id)
        if found is None:
            raise errors.FileNotFound(
                f"File with id {errors.show(file_id)} not found in this project (it may have "
                "been deleted or have expired).",
                param=param,
            )
        return found

    async def list(
        self,
        project_id: str,
        *,
        after: str | None,
        limit: str | None,
        order: str | None,
        purpose: str | None,
    ) -> Page:
        ask = validation.page(after, limit, order, "a file")
        if purpose is not None and purpose not in (*PURPOSES, *SERVER_PURPOSES):
            raise errors.InvalidValue(
                f"Invalid purpose {errors.show(purpose)}. Allowed values: "
                f"{', '.join((*PURPOSES, *SERVER_PURPOSES))}.",
                param="purpose",
            )
        try:
            found, more = await self.store.list_page(
                project_id,
                after=ask.after,
                limit=ask.limit,
                descending=ask.descending,
                purpose=purpose or None,
            )
        except LookupError:
            raise validation.unknown_after(after, "a file") from None
        return Page(found, more)

    async def open_reference(
        self, project_id: str, file_id: Any, *, param: str, max_bytes: int
    ) -> BinaryIO:
        """A vision or user_data file of the project, copied from storage to a local spool,
        for the checks an upload of the same bytes goes through."""
        if not isinstance(file_id, str) or not file_id:
            raise errors.InvalidValue(f"{param} must be a file id string.", param=param)
        found = await self.get(project_id, file_id, param=param)
        if found.purpose not in REFERENCE_PURPOSES:
            raise errors.InvalidValue(
                f"File {found.id} has purpose {found.purpose!r}; a video's input must be a "
                f"file uploaded with purpose {' or '.join(REFERENCE_PURPOSES)}.",
                param=param,
            )
        if found.bytes > max_bytes:
            raise errors.ImageTooLarge(
                f"{param} names a file of {found.bytes} bytes; the limit is {max_bytes} bytes.",
                param=param,
            )
        spool = inputs.spooled_file()
        try:
            if found.bytes:
                async for chunk in self.storage.open_range(found.blob, 0, found.bytes - 1):
                    await asyncio.to_thread(spool.write, chunk)
            spool.seek(0)
        except BaseException:
            spool.close()
            raise
        return spool

    # ------------------------------------------------------------------ delete

    async def delete(self, project_id: str, file_id: str) -> StoredFile:
        """Forget the file and remove its bytes (housekeeping finishes if this is cut short).
        Videos already queued keep their own copy of an input image."""
        found = await self.store.delete(project_id, file_id)
        if found is None:
            raise errors.FileNotFound(
                f"File with id {errors.show(file_id)} not found in this project.",
                param="file_id",
            )
        await self.storage.delete_prefix(f"files/{found.id}/")
        await self.store.mark_purged(found.id)
        return found

    async def purge_due(self) -> int:
        """Remove the bytes of expired and deleted files (housekeeping's pass)."""
        due = await self.store.due_for_purge()
        for found in due:
            await self.storage.delete_prefix(f"files/{found.id}/")
            await self.store.mark_purged(found.id)
        return len(due)


# ---------------------------------------------------------------------- checks


def _purpose(value: Any) -> str:
    if value is None:
        raise errors.MissingParameter(
            f"Missing required parameter: 'purpose' (one of {', '.join(PURPOSES)}).",
            param="purpose",
        )
    if value not in PURPOSES:
        raise errors.UnsupportedFilePurpose(
            f"Invalid purpose {errors.show(value)}: this server stores files for "
            f"{', '.join(PURPOSES)} (batch: JSON lines for /v1/batches; vision and user_data: "
            "images and videos a video takes as input).",
            param="purpose",
        )
    return str(value)


def _upload(value: Any) -> FilePart:
    if value is None:
        raise errors.MissingParameter(
            "Missing required parameter: 'file' (uploaded as a multipart file part).",
            param="file",
        )
    if not isinstance(value, FilePart):
        raise errors.InvalidValue(
            "file must be uploaded as a multipart/form-data file part.", param="file"
        )
    return value


def _filename(name: str | None) -> str:
    """The name the client gave, without any folders, printable, bounded."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    base = "".join(ch for ch in base if ch.isprintable()).strip()
    return base[:MAX_FILENAME_CHARS] or "upload"


def _size(source: BinaryIO) -> int:
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    return size


def check_jsonl(source: BinaryIO) -> str:
    """UTF-8 JSON lines, each one JSON object (blank lines are skipped), at least one; the
    first bad line is refused by its number.  Reads the file once, a line at a time."""
    source.seek(0)
    number = 0
    found = 0
    while True:
        line = source.readline(MAX_LINE_BYTES + 1)
        if not line:
            break
        number += 1
        if len(line) > MAX_LINE_BYTES:
            raise _bad_line(number, f"it is longer than {MAX_LINE_BYTES} bytes")
        if number == 1:
            line = line.removeprefix(b"\xef\xbb\xbf")
        if not line.strip():
            continue
        try:
            value = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            if isinstance(exc.__cause__, UnicodeDecodeError) or _not_utf8(line):
                raise _bad_line(number, "it is not valid UTF-8") from None
            raise _bad_line(number, f"it is not valid JSON ({exc})") from None
        if not isinstance(value, dict):
            raise _bad_line(number, f"it is a JSON {type(value).__name__}, not an object")
        found += 1
    if not found:
        raise errors.InvalidFile(
            "The batch file has no lines; send one JSON object per line.", param="file"
        )
    return JSONL_TYPE


def _not_utf8(line: bytes) -> bool:
    try:
        line.decode("utf-8")
    except UnicodeDecodeError:
        return True
    return False


def _bad_line(number: int, why: str) -> errors.InvalidFile:
    return errors.InvalidFile(
        f"Line {number} of the batch file is not a JSON object: {why}. A batch file holds "
        "one JSON object per line (JSONL, UTF-8).",
        param="file",
    )


def check_media(source: BinaryIO, size: int) -> str:
    """A PNG, JPEG, WebP or MP4, judged by its first bytes; its media type."""
    source.seek(0)
    head = source.read(64)
    kind = images.sniff(head)
    if kind is not None:
        return images.FORMATS[kind]
    if head[4:8] == b"ftyp" and images.looks_like(head, size) == "MP4/QuickTime video":
        return MP4_TYPE
    what = images.looks_like(head, size) if head else "an empty file"
    raise errors.InvalidFile(
        f"The file is not an image or video Reelway can use (it looks like: {what}, judged "
        "by its bytes); vision and user_data files must be PNG, JPEG, WebP or MP4.",
        param="file",
    )
