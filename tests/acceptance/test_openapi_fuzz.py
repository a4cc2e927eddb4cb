"""schemathesis, driven by OpenAI's own OpenAPI document for ``/videos``, against a real
``reelway serve`` on loopback: whatever the generated requests hold, valid (positive) or not
(negative), no answer is a 5xx and the server logs no traceback.  Runs on SQLite and
PostgreSQL (PostgreSQL refuses text that SQLite stores, NUL bytes for one)."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests import backends, harness

pytest.importorskip(
    "schemathesis", reason="schemathesis is not installed (pip install -e '.[dev]')"
)

import hypothesis  # after the skip: schemathesis brings it
import schemathesis
from schemathesis.checks import not_a_server_error

SPEC = Path(__file__).resolve().parents[1] / "openapi" / "openai-videos-openapi.yaml"
EXAMPLES = 10
"""Examples per operation and mode (10 operations, 2 modes)."""
SECONDS_EACH = 1.2
"""Time for one operation and mode, after which its remaining examples are skipped: the run
stays near half a minute a backend however slow the machine (each still gets one request)."""


@pytest.mark.slow
def test_no_videos_path_answers_a_server_error(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    # API only: the valid creates the fuzzer sends are queued, never rendered.
    server = harness.Server(deployment, {"REELWAY_WORKERS": "0", "REELWAY_AUTH_CACHE_SECONDS": "0"})
    processes.append(server)
    server.cli("projects", "create", "fuzz", "--rpm", "100000", "--rpd", "1000000")
    headers = {"Authorization": f"Bearer {server.create_key('fuzz')}"}
    schema = schemathesis.openapi.from_path(str(SPEC))
    operations = [result.ok() for result in schema.get_all_operations()]  # type: ignore[union-attr]
    paths = {operation.path for operation in operations}
    assert {"/videos/edits", "/videos/extensions", "/videos/characters"} <= paths, paths
    assert "/videos/characters/{character_id}" in paths, paths
    calls: list[str] = []
    failures: list[str] = []
    for operation in operations:
        for mode in (schemathesis.GenerationMode.POSITIVE, schemathesis.GenerationMode.NEGATIVE):
            failure = _fuzz(operation, mode, server.base_url, headers, calls)
            if failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= len(operations) * 2, calls
    code = server.terminate()
    assert code == 0 and "Traceback" not in server.output, server.output[-4000:]


def _described(exc: BaseException) -> str:
    """A failure's message with what schemathesis found (the status, the body, a curl line)."""
    parts = [str(exc)]
    if isinstance(exc, BaseExceptionGroup):
        parts += [str(inner) for inner in exc.exceptions]
    return "\n".join(parts)[:1500]


def _fuzz(
    operation: schemathesis.APIOperation[Any, Any, Any, Any],
    mode: schemathesis.GenerationMode,
    base_url: str,
    headers: dict[str, str],
    calls: list[str],
    checks: tuple[Any, ...] = (not_a_server_error,),
    seconds: float = SECONDS_EACH,
    prepare: Callable[[Any], None] | None = None,
) -> str | None:
    """Up to ``EXAMPLES`` requests for one operation and mode (``seconds`` at most after the
    first), each answer held to ``checks``; what schemathesis found, or None.  ``prepare``
    may change a case before it is sent."""
    deadline = time.monotonic() + seconds
    sent = len(calls)

    @hypothesis.settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(generation_mode=mode))
    def fuzz(case: Any) -> None:
        if len(calls) > sent and time.monotonic() > deadline:
            return
        if prepare is not None:
            prepare(case)
        response = case.call(base_url=base_url, headers=headers, timeout=30)
        calls.append(f"{case.method} {case.path} {response.status_code}")
        case.validate_response(response, checks=list(checks), headers=headers)

    try:
        fuzz()
    except hypothesis.errors.Unsatisfiable:
        return None  # no invalid request exists for it (a lone string path parameter)
    except (Exception, BaseExceptionGroup) as exc:  # every operation's, not the first only
        return _described(exc)
    return None
