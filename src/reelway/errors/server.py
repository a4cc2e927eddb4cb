"""Errors of the server itself (5xx)."""

from __future__ import annotations

from typing import Any

from reelway.errors.base import ReelwayError


class NotImplementedYet(ReelwayError):
    """This part of the OpenAI Videos API is not implemented by this Reelway version yet."""

    code = "not_implemented"
    http_status = 501
    error_type = "invalid_request_error"


class Unavailable(ReelwayError):
    """The service is briefly unavailable; retry after the time given."""

    code = "unavailable"
    http_status = 503
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float = 2.0, **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)


class ServerBusy(Unavailable):
    """The server's queue is full; retry after the time given."""

    code = "server_busy"


class ModerationUnavailable(Unavailable):
    """The moderation service this server relies on did not answer; nothing was queued or
    charged."""

    code = "moderation_unavailable"


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached right now; retry after the time given."""

    code = "database_unavailable"


class StorageUnavailable(Unavailable):
    """File storage cannot be reached right now; retry after the time given."""

    code = "storage_unavailable"


class InternalError(ReelwayError):
    """The server hit an unexpected error; quote the request id when you report it."""

    code = "internal_error"
    http_status = 500
    retryable = True
