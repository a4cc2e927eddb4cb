"""The root of every Reelway error: its code, status, type, envelope, and how it crosses
process boundaries."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ReelwayError(Exception):
    """Unexpected error."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    retryable: ClassVar[bool] = False
    failover: ClassVar[bool] = False
    """A job that fails with it may move to the next engine on the model's route."""

    def __init__(
        self,
        message: str | None = None,
        *,
        param: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or _default_message(type(self))
        self.param = param
        self.retry_after = retry_after
        self.headers: dict[str, str] = dict(headers or {})
        self.details: dict[str, str] = dict(details or {})
        """Reelway's additions beside OpenAI's four keys (a moderation ``category`` and
        ``stage``); absent from the envelope when empty, so other errors keep their shape."""
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (render children); keep the keyword arguments.
        return (
            _rebuild,
            (type(self), self.message, self.param, self.retry_after, self.headers, self.details),
        )

    def to_dict(self) -> dict[str, Any]:
        """The body of OpenAI's error envelope: ``{"message", "type", "param", "code"}``."""
        return {
            "message": self.message,
            "type": self.error_type,
            "param": self.param,
            "code": self.code,
            **self.details,
        }


def _rebuild(
    cls: type[ReelwayError],
    message: str,
    param: str | None,
    retry_after: float | None,
    headers: dict[str, str],
    details: dict[str, str] | None = None,
) -> ReelwayError:
    return cls(message, param=param, retry_after=retry_after, headers=headers, details=details)


def show(value: object, limit: int = 60) -> str:
    """A value quoted for an error message, cut short so messages stay readable."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # not a repr of all of a 48 MiB string, only to cut it
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _default_message(cls: type) -> str:
    doc = (cls.__doc__ or cls.__name__).strip()
    return doc.split("\n\n", 1)[0].replace("\n", " ")
