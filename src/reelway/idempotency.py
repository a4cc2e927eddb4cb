"""Idempotency-Key helpers: which keys are acceptable, and what makes two requests the same.

Two requests are the same when they go to the same endpoint with the same parameters; an
uploaded file counts by its content (its SHA-256), not its name, and so does a string longer
than any prompt (a data URL): ``json.dumps`` escaping 27 MB of base64 holds the GIL for
~140 ms, hashing it releases the GIL.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Mapping
from typing import Any, BinaryIO

from reelway import errors

MAX_KEY_LENGTH = 255
LONG_TEXT_CHARS = 32 * 1024
"""Strings longer than this (longer than any prompt) count by their SHA-256."""
INLINE_CHARS = 64 * 1024
"""Requests of flat scalars up to this many characters are hashed on the event loop (tens of
microseconds); anything larger, nested or with a file is hashed in a thread."""
_CHUNK = 256 * 1024


def check_key(raw: str | None) -> str | None:
    """The key if the request sent a usable one, None if it sent none."""
    if raw is None:
        return None
    key = raw.strip()
    if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable() or not key.isascii():
        raise errors.InvalidValue(
            f"Idempotency-Key must be 1 to {MAX_KEY_LENGTH} printable ASCII characters.",
            param="Idempotency-Key",
        )
    return key


async def fingerprint(endpoint: str, params: Mapping[str, Any]) -> str:
    """``request_hash``, in a thread unless the request is small enough not to matter."""
    if _small(params):
        return request_hash(endpoint, params)
    return await asyncio.to_thread(request_hash, endpoint, params)


def _small(params: Mapping[str, Any]) -> bool:
    chars = 0
    for value in params.values():
        if isinstance(value, str):
            chars += len(value)
        elif not (value is None or isinstance(value, int | float)):
            return False
    return chars <= INLINE_CHARS


def request_hash(endpoint: str, params: Mapping[str, Any]) -> str:
    """A digest of the request that ignores field order and file names."""
    canonical = json.dumps(
        {"endpoint": endpoint, "params": _plain(params)},
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _plain(value: Any) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, str) and len(value) > LONG_TEXT_CHARS:
        return {"text_sha256": hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()}
    upload = getattr(value, "file", None)
    if upload is not None:
        return {"file_sha256": _file_digest(upload)}
    return value


def _file_digest(file: BinaryIO) -> str:
    position = file.tell()
    digest = hashlib.sha256()
    file.seek(0)
    while chunk := file.read(_CHUNK):
        digest.update(chunk)
    file.seek(position)
    return digest.hexdigest()
