"""Idempotency-Key helpers: which keys are acceptable, and what makes two requests the same.

Two requests are the same when they go to the same endpoint with the same parameters; an
uploaded file counts by its content (its SHA-256), not its name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any, BinaryIO

from reelway import errors

MAX_KEY_LENGTH = 255
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
