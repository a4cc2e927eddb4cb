"""A create with characters needs an engine that draws them: the route check names
``characters``."""

from __future__ import annotations

import pytest

from reelway import capabilities, catalog, errors, jobs, service, validation

SORA = catalog.load().resolve("sora-2")


def _spec(sources: jobs.Sources) -> service.JobSpec:
    return service.JobSpec(
        kind=jobs.JobKind.GENERATE,
        model_name="sora-2",
        model=SORA,
        prompt="Captain Fox naps",
        size="720x1280",
        seconds=4,
        seed=1,
        sources=sources,
    )


def test_characters_are_a_need_of_the_job() -> None:
    cast = _spec(jobs.Sources(characters=("char_a",)))
    assert cast.needs.capabilities == {catalog.Capability.CHARACTERS}
    assert _spec(jobs.NO_SOURCES).needs.capabilities == frozenset()


def test_a_route_that_cannot_draw_characters_refuses_naming_characters() -> None:
    cast = _spec(jobs.Sources(characters=("char_a",)))
    lacking = {"animatic": capabilities.EngineInfo("animatic", capabilities=frozenset())}
    with pytest.raises(errors.UnsupportedParameter) as caught:
        validation.check_servable(SORA, cast.needs, lacking)
    assert caught.value.param == "characters"
    drawing = frozenset({catalog.Capability.CHARACTERS})
    validation.check_servable(
        SORA, cast.needs, {"animatic": capabilities.EngineInfo("animatic", capabilities=drawing)}
    )
