"""Identifiers and secrets: public ids, API keys, and the hash keys are stored under."""

from __future__ import annotations

import hashlib
import itertools
import re
import secrets
import struct

API_KEY_PREFIX = "sk-rw-"


_SHAPE = re.compile(r"[A-Za-z0-9_-]{1,64}")


def well_formed(value: str) -> bool:
    """Whether ``value`` could be an id this server made: anything else (a NUL byte, which
    PostgreSQL refuses even to compare, or a megabyte id) never reaches the database."""
    return _SHAPE.fullmatch(value) is not None


def new_id(prefix: str) -> str:
    """A random public id such as ``video_3f…``: unguessable, so ids leak nothing."""
    return f"{prefix}_{secrets.token_hex(16)}"


_REQUEST_PREFIX = secrets.token_hex(4)
_request_numbers = itertools.count(1)


def new_request_id() -> str:
    """Unique across processes (a random per-process prefix) without a syscall per request."""
    return f"req_{_REQUEST_PREFIX}{next(_request_numbers):016x}"


def new_api_key() -> str:
    return API_KEY_PREFIX + secrets.token_urlsafe(32)


def hash_api_key(key: str) -> str:
    """Keys carry 256 random bits, so a plain SHA-256 is a safe at-rest form."""
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def key_hint(key: str) -> str:
    """What a listing shows of a key: its prefix and last four characters."""
    return f"{key[: len(API_KEY_PREFIX) + 4]}…{key[-4:]}"


def stable_seed(*parts: str | int) -> int:
    """A 31-bit seed from strings and numbers, the same in every process and run."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode("utf-8")).digest()
    return int(struct.unpack(">I", digest[:4])[0] & 0x7FFFFFFF)
