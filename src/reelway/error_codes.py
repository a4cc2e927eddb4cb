"""Every error class Reelway defines, found by walking ``errors``' tree: for the docs table,
the tests that check it, and diagnostics that rebuild a recorded failure from its code."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from reelway.errors import (
    AuthenticationFailed,
    JobFailure,
    NotFound,
    ReelwayError,
    RequestError,
    Unavailable,
)

_ABSTRACT: frozenset[type[ReelwayError]] = frozenset(
    {ReelwayError, RequestError, AuthenticationFailed, NotFound, Unavailable}
)


def all_error_classes() -> Iterator[type[ReelwayError]]:
    """Every error class that can reach a user, for docs and tests."""

    def walk(cls: type[ReelwayError]) -> Iterable[type[ReelwayError]]:
        yield cls
        for sub in cls.__subclasses__():
            yield from walk(sub)

    seen: set[str] = set()
    for cls in walk(ReelwayError):
        key = f"{cls.__module__}.{cls.__qualname__}"
        if key not in seen and cls not in _ABSTRACT:
            seen.add(key)
            yield cls


def job_failure_for(code: str, message: str) -> JobFailure:
    """Rebuild a recorded failure from its code (for the CLI and diagnostics)."""
    for cls in all_error_classes():
        if issubclass(cls, JobFailure) and cls.code == code:
            return cls(message)
    return JobFailure(message)
