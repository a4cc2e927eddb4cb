"""Serving stored files: streamed, with single byte ranges (players seek), ETags and HEAD."""

from __future__ import annotations

import re

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from reelway import errors, jobs, numeric
from reelway.storage import Storage

_RANGE = re.compile(r"^bytes=(\d*)-(\d*)$")
EXTENSIONS = {"video/mp4": "mp4", "image/webp": "webp", "image/jpeg": "jpg"}


def parse_range(header: str | None, size: int) -> tuple[int, int] | None:
    """The inclusive byte range asked for, or None for the whole file.

    A header we cannot read, or one asking for several ranges, is ignored (RFC 9110 allows
    that); a range wholly past the end raises ``RangeNotSatisfiable``.
    """
    if not header:
        return None
    match = _RANGE.match(header.strip().replace(" ", ""))
    if match is None:
        return None
    first, last = match.groups()
    if not first and not last:
        return None
    if not first:
        length = numeric.capped(last, size)
        if length == 0:
            raise _unsatisfiable(size)
        return size - length, size - 1
    start = numeric.capped(first, size)  # a number past the end is past the end, however long
    end = numeric.capped(last, size) if last else size - 1
    if last and end < start:
        return None
    if start >= size:
        raise _unsatisfiable(size)
    return start, min(end, size - 1)


def _unsatisfiable(size: int) -> errors.RangeNotSatisfiable:
    return errors.RangeNotSatisfiable(
        f"The requested range is outside the file, which is {size} bytes long.",
        param="range",
        headers={"content-range": f"bytes */{size}"},
    )


def file_response(
    request: Request, storage: Storage, asset: jobs.Asset, filename_stem: str
) -> Response:
    etag = f'"{asset.etag}"'
    extension = EXTENSIONS.get(asset.content_type, "bin")
    headers = {
        "accept-ranges": "bytes",
        "etag": etag,
        "cache-control": "private, max-age=3600",
        "content-disposition": f'inline; filename="{filename_stem}.{extension}"',
    }
    if _matches(request.headers.get("if-none-match"), etag):
        return Response(status_code=304, headers=headers)
    wanted = request.headers.get("range")
    if_range = request.headers.get("if-range")
    if if_range is not None and if_range.strip() != etag:
        wanted = None
    span = parse_range(wanted, asset.size) if asset.size > 0 else None
    status = 200
    start, end = 0, asset.size - 1
    if span is not None:
        start, end = span
        status = 206
        headers["content-range"] = f"bytes {start}-{end}/{asset.size}"
    headers["content-length"] = str(end - start + 1 if asset.size else 0)
    if request.method == "HEAD" or asset.size == 0:
        return Response(status_code=status, headers=headers, media_type=asset.content_type)
    return StreamingResponse(
        storage.open_range(asset.key, start, end),
        status_code=status,
        headers=headers,
        media_type=asset.content_type,
    )


def _matches(header: str | None, etag: str) -> bool:
    if not header:
        return False
    candidates = [c.strip().removeprefix("W/") for c in header.split(",")]
    return "*" in candidates or etag in candidates
