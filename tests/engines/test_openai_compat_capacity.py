"""An OpenAI-compatible upstream that fails a video for lack of capacity: ``upstream_capacity``.

Servers behind the openai_compat engine (gateways, other Reelways, self-hosted servers) name
"no room right now" in several ways; each must reach the user as the capacity code (which
fails over to the next engine on the route), not as ``upstream_generation_failed``.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from reelway import errors
from reelway.engines.openai_compat import FAILURE_CODES, OpenAICompatEngine
from tests.engines import contract
from tests.fakes import server
from tests.fakes.openai import FakeOpenAI

CAPACITY_CODES = (
    "server_overloaded",
    "overloaded",
    "overloaded_error",
    "capacity_exceeded",
    "engine_overloaded",
    "model_overloaded",
    "insufficient_capacity",
    "no_capacity",
    "slow_down",
    "server_busy",
)


@pytest.fixture
def fake(clip: bytes) -> Iterator[FakeOpenAI]:
    provider = FakeOpenAI(clip, api_key=contract.API_KEY)
    yield provider
    provider.close()


@pytest.mark.parametrize("code", CAPACITY_CODES)
async def test_a_capacity_failure_is_upstream_capacity_and_fails_over(
    fake: FakeOpenAI, code: str
) -> None:
    fake.next_outcome(server.Outcome("fail", code=code, message="The server is overloaded"))
    engine = OpenAICompatEngine(
        fake.v1, contract.API_KEY, name="upstream", timeout=contract.TIMEOUT
    )
    try:
        with pytest.raises(errors.UpstreamError) as caught:
            await contract.drive(engine)
    finally:
        await engine.close()
    error = caught.value
    assert type(error) is errors.UpstreamCapacity, f"{code}: {type(error).__name__}"
    assert error.code == "upstream_capacity"
    assert error.failover, "a capacity failure moves the job to the next engine"
    assert error.upstream.get("provider_code") == code


async def test_an_unlisted_code_is_still_a_generation_failure(fake: FakeOpenAI) -> None:
    fake.next_outcome(server.Outcome("fail", code="frame_glitch", message="bad frame"))
    engine = OpenAICompatEngine(
        fake.v1, contract.API_KEY, name="upstream", timeout=contract.TIMEOUT
    )
    try:
        with pytest.raises(errors.UpstreamError) as caught:
            await contract.drive(engine)
    finally:
        await engine.close()
    assert type(caught.value) is errors.UpstreamGenerationFailed


def test_every_capacity_code_is_in_the_mapping() -> None:
    for code in CAPACITY_CODES:
        assert FAILURE_CODES[code] is errors.UpstreamCapacity, code
