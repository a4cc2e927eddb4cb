"""One shared ``reelway serve`` for the acceptance suite, plus clients for two projects."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import openai
import pytest

from tests import backends, harness, waiting
from tests.conftest import deployment_for

SERVER_ENV = {
    "REELWAY_WORKERS": "2",
    "REELWAY_POLL_AFTER_MS": "200",
    "REELWAY_AUTH_CACHE_SECONDS": "0",
    "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS": "true",
    "REELWAY_MAX_REQUEST_BYTES": str(8 * 1024 * 1024),
    "REELWAY_MAX_IMAGE_BYTES": str(4 * 1024 * 1024),
}


@pytest.fixture(scope="session", params=backends.BACKENDS)
def server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    """One shared server per deployment kind; every test using it runs on both."""
    data_dir = tmp_path_factory.mktemp(f"acceptance-{request.param}") / "data"
    deployment = deployment_for(request, request.param, data_dir, postgres_missing, moto)
    with harness.serving(deployment, SERVER_ENV) as srv:
        yield srv


def sdk_client(server: harness.Server, key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=server.base_url, api_key=key, max_retries=0, timeout=60)


FINISH_SECONDS = 120.0
"""How long a test waits for a video to end; a few seconds' render each, on a busy CI."""


def finished(
    client: openai.OpenAI, video_id: str, limit: float = FINISH_SECONDS
) -> openai.types.Video:
    """The video once it is completed or failed (its last state in the assertion if not).

    Use it instead of the SDK's ``videos.poll``, which waits forever."""
    return waiting.until(
        lambda: client.videos.retrieve(video_id),
        lambda video: video.status in ("completed", "failed"),
        limit=limit,
        what=f"video {video_id} to finish",
    )


def made(client: openai.OpenAI, limit: float = FINISH_SECONDS, **params: Any) -> openai.types.Video:
    """``videos.create_and_poll`` with a deadline: create, then wait until it ends."""
    return finished(client, client.videos.create(**params).id, limit)


def refused(answer: httpx.Response, code: str, param: str | None, status: int = 400) -> str:
    """Assert OpenAI's error envelope with the code, the param and the request id."""
    assert answer.status_code == status, (answer.status_code, answer.text[:500])
    error = answer.json()["error"]
    assert (error["code"], error["param"]) == (code, param), error
    assert error["type"] == "invalid_request_error"
    assert answer.headers["x-request-id"].startswith("req_")
    assert len(error["message"]) < 600
    return str(error["message"])


@pytest.fixture(scope="session")
def client(server: harness.Server) -> Iterator[openai.OpenAI]:
    with sdk_client(server, server.create_key("alpha")) as sdk:
        yield sdk


@pytest.fixture(scope="session")
def other_client(server: harness.Server) -> Iterator[openai.OpenAI]:
    with sdk_client(server, server.create_key("beta")) as sdk:
        yield sdk


@pytest.fixture
def processes() -> Iterator[list[harness.Process]]:
    """Processes a test starts; whatever happens, they are stopped at teardown."""
    started: list[harness.Process] = []
    yield started
    for process in started:
        process.kill()


@pytest.fixture
def fresh_client(server: harness.Server, request: pytest.FixtureRequest) -> Iterator[openai.OpenAI]:
    """A client for a project of its own (lists start empty)."""
    key = server.create_key(f"p-{request.node.name[:40]}")
    with sdk_client(server, key) as sdk:
        yield sdk
