"""The pytest side of ``tests.netguard``: a test during which this process tried to reach
beyond loopback fails, even when the code under test swallowed the refusal; and every Python
process the tests start (``reelway serve``, ``reelway worker``, the CLI, their render
children) installs the guard at start-up through ``netguard_site/sitecustomize.py``."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests import netguard

SITE = Path(__file__).with_name("netguard_site")
_refusals: list[str] = []
_lock = threading.Lock()
_saved_env: dict[str, str | None] = {}


def _record(message: str) -> None:
    with _lock:
        _refusals.append(message)


def _take() -> list[str]:
    with _lock:
        taken = list(_refusals)
        _refusals.clear()
    return taken


@contextmanager
def expected() -> Iterator[list[str]]:
    """Refusals provoked on purpose (the guard's own tests): collected here, not failed."""
    earlier = _take()
    seen: list[str] = []
    try:
        yield seen
    finally:
        seen.extend(_take())
        with _lock:
            _refusals[:0] = earlier


@contextmanager
def suspended() -> Iterator[None]:
    """This process without the session's guard (the guard's own tests install their own)."""
    netguard.uninstall()
    try:
        yield
    finally:
        netguard.install(_record)


def pytest_configure(config: pytest.Config) -> None:
    netguard.install(_record)
    for name in (netguard.ENV, "PYTHONPATH"):
        _saved_env[name] = os.environ.get(name)
    os.environ[netguard.ENV] = "1"
    os.environ["PYTHONPATH"] = os.pathsep.join(
        part for part in (str(SITE), os.environ.get("PYTHONPATH")) if part
    )


def pytest_unconfigure(config: pytest.Config) -> None:
    netguard.uninstall()
    for name, value in _saved_env.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


@pytest.fixture(autouse=True)
def _nothing_leaves_the_machine() -> Iterator[None]:
    """Torn down after the test's other fixtures, so their teardown is checked too."""
    yield
    refused = _take()
    if refused:
        pytest.fail(
            "the test tried to reach beyond loopback:\n\n" + "\n\n".join(refused), pytrace=False
        )


def pytest_sessionfinish(session: pytest.Session) -> None:
    refused = _take()  # after the last test: session-scoped fixtures' teardown
    if refused:
        print("\nnetguard: reached beyond loopback after the last test:\n\n" + "\n\n".join(refused))
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
