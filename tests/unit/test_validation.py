"""Create-time route check: a request is refused only when no engine on its model's route can
serve it, naming the parameter the first engine lacks; the preflight refuses alike."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest

from reelway import catalog, errors, jobs, validation
from reelway.capabilities import EngineInfo, EngineKind, Needs
from reelway.catalog import Capability
from reelway.policy.moderation import Moderation
from reelway.service import JobSpec

MODELS = catalog.load().with_routes({"sora-2": (("plain", "veo"), {})})
SORA = MODELS.resolve("sora-2")
INFOS = {
    "plain": EngineInfo("plain", EngineKind.REMOTE, frozenset({Capability.REMIX})),
    "veo": EngineInfo(
        "veo", EngineKind.REMOTE, frozenset({Capability.IMAGE_INPUT}), seconds=frozenset({4, 8})
    ),
}
IMAGE = frozenset({Capability.IMAGE_INPUT})


def test_what_no_engine_serves_is_refused_naming_the_first_engines_gap() -> None:
    with pytest.raises(errors.UnsupportedParameter) as caught:
        validation.check_servable(SORA, Needs("720x1280", 12, IMAGE), INFOS)
    assert caught.value.param == "input_reference"
    assert "'plain'" in caught.value.message and "'veo'" in caught.value.message


@pytest.mark.parametrize(
    "needs", [Needs("720x1280", 4, IMAGE), Needs("720x1280", 12), Needs("1280x720", 8, IMAGE)]
)
def test_what_some_engine_serves_passes(needs: Needs) -> None:
    validation.check_servable(SORA, needs, INFOS)


def test_a_size_or_length_gap_is_an_invalid_value() -> None:
    narrow = {
        name: EngineInfo(name, sizes=frozenset({"1280x720"}), seconds=frozenset({4}))
        for name in ("plain", "veo")
    }
    with pytest.raises(errors.InvalidValue) as caught:
        validation.check_servable(SORA, Needs("720x1280", 4), narrow)
    assert caught.value.param == "size" and "720x1280" in caught.value.message
    with pytest.raises(errors.InvalidValue) as caught:
        validation.check_servable(SORA, Needs("1280x720", 8), narrow)
    assert caught.value.param == "seconds"


def test_unknown_engines_refuse_nothing() -> None:
    validation.check_servable(SORA, Needs("720x1280", 12, IMAGE), None)
    validation.check_servable(SORA, Needs("720x1280", 12, IMAGE), {"plain": INFOS["plain"]})


def test_the_preflight_refuses_what_a_create_would() -> None:
    slow = {name: EngineInfo(name, seconds=frozenset({4, 8})) for name in ("plain", "veo")}
    params = {"prompt": "a kite over the dunes", "seconds": "12"}
    assert asyncio.run(validation.check_prompt(MODELS, Moderation(), params))["seconds"] == "12"
    with pytest.raises(errors.InvalidValue) as caught:
        asyncio.run(validation.check_prompt(MODELS, Moderation(), params, slow))
    assert caught.value.param == "seconds"


def test_an_image_the_model_itself_does_not_take_is_left_to_the_models_refusal() -> None:
    spec = JobSpec(jobs.JobKind.GENERATE, "sora-2", SORA, "p", "720x1280", 4, None)
    assert spec.needs == Needs("720x1280", 4)
    with_image = JobSpec(
        jobs.JobKind.GENERATE, "sora-2", SORA, "p", "720x1280", 4, None, input_reference={}
    )
    assert with_image.needs.capabilities == IMAGE
    blind = dataclasses.replace(SORA, capabilities=frozenset({Capability.REMIX}))
    assert dataclasses.replace(with_image, model=blind).needs.capabilities == frozenset()
