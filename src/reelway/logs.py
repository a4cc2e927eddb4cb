"""Log lines: the ids of what is being worked on, JSON or text, and secrets masked.

- ``request_id`` and ``video_id`` are context variables: the API's edge middleware sets the
  first for each request, the service sets the second once a create or remix picks the id,
  and the worker sets it for each job it works on.  ``ContextFilter`` copies them onto
  every record, whichever library logged it (uvicorn, alembic, httpx…).
- ``JsonFormatter`` writes one JSON object per line; ``TextFormatter`` the classic line,
  with the ids in brackets when known.
- ``RedactFilter`` masks API keys, webhook secrets, bearer tokens, passwords in URLs and the
  values of the deployment's secret settings, in the message, its arguments, ``extra=``
  fields and tracebacks, before any handler formats the record.

This module imports nothing of Reelway's, so every layer may use it.
"""

from __future__ import annotations

import datetime
import json
import logging
import re
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

request_id: ContextVar[str | None] = ContextVar("reelway_request_id", default=None)
video_id: ContextVar[str | None] = ContextVar("reelway_video_id", default=None)

FORMATS = ("text", "json")
MASK = "[redacted]"
MIN_SECRET_CHARS = 4
"""Shorter configured secrets are not searched for: they would mask ordinary words."""

_IDS = ("request_id", "video_id")
_STANDARD = frozenset(
    {
        *logging.LogRecord("", 0, "", 0, "", None, None).__dict__,
        "message",
        "asctime",
        *_IDS,
        "color_message",  # uvicorn's ANSI-coloured copy of the message
        "ids",
    }
)

# What a secret looks like wherever it appears; each keeps a recognisable prefix.
_PATTERNS: tuple[tuple[str, str], ...] = (
    # Reelway's API keys (ids.API_KEY_PREFIX), then other providers' ``sk-…`` keys.
    (r"sk-rw-[A-Za-z0-9_\-]+", "sk-rw-" + MASK),
    (r"\bsk-[A-Za-z0-9_\-]{16,}", "sk-" + MASK),
    # Standard Webhooks signing secrets.
    (r"whsec_[A-Za-z0-9+/=_\-]+", "whsec_" + MASK),
    # Authorization headers and the like.
    (r"\b((?i:bearer|basic))(\s+|%20)[A-Za-z0-9._~+/=\-]+", r"\1\2" + MASK),
    # Credentials in query strings (Gemini's ?key=, presigned URLs' signatures).
    (
        r"([?&](?i:key|api_key|apikey|access_token|token|sig|signature|x-amz-signature"
        r"|x-amz-credential|x-amz-security-token)=)[^&\s\"'#]+",
        r"\1" + MASK,
    ),
    # user:password@ in URLs (database, Redis).
    (r"(://[^/\s:@]+:)[^@/\s]+@", r"\1" + MASK + "@"),
)


@contextmanager
def bound(*, request: str | None = None, video: str | None = None) -> Iterator[None]:
    """Set the request and/or video id for the code inside, then restore what was there."""
    tokens = []
    if request is not None:
        tokens.append((request_id, request_id.set(request)))
    if video is not None:
        tokens.append((video_id, video_id.set(video)))
    try:
        yield
    finally:
        for var, token in reversed(tokens):
            var.reset(token)


class ContextFilter(logging.Filter):
    """Puts ``request_id`` and ``video_id`` on every record (None when unknown); an id
    given with ``extra=`` wins."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "request_id", None) is None:
            record.request_id = request_id.get()
        if getattr(record, "video_id", None) is None:
            record.video_id = video_id.get()
        return True


class Redactor:
    """Masks secrets in text: the shapes in ``_PATTERNS`` and the given literal values."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        literals = sorted(
            {s for s in secrets if isinstance(s, str) and len(s) >= MIN_SECRET_CHARS},
            key=len,
            reverse=True,
        )
        self._literal = re.compile("|".join(map(re.escape, literals))) if literals else None
        self._patterns = [(re.compile(p), r) for p, r in _PATTERNS]
        self._any = re.compile("|".join(p for p, _ in _PATTERNS))
        """One scan that finds whether any pattern matches: most lines hold no secret."""

    def __call__(self, text: str) -> str:
        if self._literal is not None:
            text = self._literal.sub(MASK, text)
        if self._any.search(text) is None:
            return text
        for pattern, replacement in self._patterns:
            text = pattern.sub(replacement, text)
        return text


class RedactFilter(logging.Filter):
    """Masks secrets before any handler sees the record: the message is formatted with its
    arguments first (so a secret passed as an argument is caught), and the traceback is
    rendered and masked too."""

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self.redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a bad format string: keep what we can, masked
            message = f"{record.msg} {record.args}"
        record.msg = self.redact(message)
        record.args = None
        if record.exc_info and not record.exc_text:
            record.exc_text = _EXC_FORMATTER.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        for key, value in list(record.__dict__.items()):
            if key not in _STANDARD and isinstance(value, str):
                setattr(record, key, self.redact(value))
        return True


_EXC_FORMATTER = logging.Formatter()


def _extras(record: logging.LogRecord) -> dict[str, Any]:
    return {
        key: value
        for key, value in record.__dict__.items()
        if key not in _STANDARD and not key.startswith("_")
    }


class JsonFormatter(logging.Formatter):
    """One JSON object per line: ``ts`` (ISO 8601, UTC), ``level``, ``logger``, ``message``,
    ``request_id`` and ``video_id`` when known, ``exc_info`` when there is a traceback, and
    every ``extra=`` field."""

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "ts": datetime.datetime.fromtimestamp(record.created, datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        for name in _IDS:
            value = getattr(record, name, None)
            if value is not None:
                entry[name] = value
        for key, value in _extras(record).items():
            entry.setdefault(key, value)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            entry["exc_info"] = record.exc_text
        if record.stack_info:
            entry["stack_info"] = record.stack_info
        return json.dumps(entry, default=str, ensure_ascii=False)


class TextFormatter(logging.Formatter):
    """``TIME LEVEL LOGGER [REQUEST_ID VIDEO_ID]: MESSAGE``, the brackets only when known."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s%(ids)s: %(message)s")

    def format(self, record: logging.LogRecord) -> str:
        known = [v for v in (getattr(record, n, None) for n in _IDS) if v is not None]
        record.ids = f" [{' '.join(known)}]" if known else ""
        return super().format(record)


def handler(log_format: str, secrets: Iterable[str] = (), stream: Any = None) -> logging.Handler:
    """A stream handler (stderr by default) with the id and redaction filters."""
    if log_format not in FORMATS:
        raise ValueError(f"log format must be one of {', '.join(FORMATS)}, not {log_format!r}")
    out = logging.StreamHandler(sys.stderr if stream is None else stream)
    out.addFilter(ContextFilter())
    out.addFilter(RedactFilter(Redactor(secrets)))
    out.setFormatter(JsonFormatter() if log_format == "json" else TextFormatter())
    return out


def configure(
    level: str, log_format: str = "text", secrets: Iterable[str] = (), stream: Any = None
) -> None:
    """Route every logger through one handler on the root logger (replacing any)."""
    logging.basicConfig(
        level=getattr(logging, level.upper(), logging.INFO),
        handlers=[handler(log_format, secrets, stream)],
        force=True,
    )
    # Warnings would otherwise be printed to stderr as bare, unmasked lines.
    logging.captureWarnings(True)
