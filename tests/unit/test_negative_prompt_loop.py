"""negative_prompt and loop as create fields, and the legacy Sora models' limits as data: what
each model takes, what it refuses, and that every refusal names the model's limits."""

from __future__ import annotations

import asyncio

import pytest

from reelway import catalog, errors, jobs, storyboards, validation
from reelway.capabilities import EngineInfo, EngineKind
from reelway.catalog import Capability
from reelway.policy.moderation import Moderation
from reelway.service import JobSpec

MODELS = catalog.load()
SORA, TURBO, SORA2 = (MODELS.resolve(n) for n in ("sora", "sora-turbo", "sora-2"))


def test_the_legacy_rows_carry_the_seeds_limits() -> None:
    assert SORA.legacy and TURBO.legacy and not SORA2.legacy
    assert (max(SORA.seconds), SORA.max_resolution()) == (20, "1080p")
    assert (max(TURBO.seconds), TURBO.max_resolution()) == (10, "720p")
    assert SORA.aspect_ratios() == ("16:9", "1:1", "9:16")
    assert TURBO.aspect_ratios() == ("16:9", "9:16")
    assert {"1920x1080", "1080x1080", "1080x1920", "854x480", "480x480"} <= set(SORA.sizes)
    assert set(TURBO.sizes) == {"1280x720", "854x480", "720x1280", "480x854"}
    assert "legacy" in SORA.description.lower() and "legacy" in TURBO.description.lower()
    # negative prompts: supported, limited, full; loops: no, no, yes
    assert SORA.negative_prompts().startswith("supported")
    assert TURBO.negative_prompts().startswith("limited")
    assert SORA2.negative_prompts() == "full"
    assert not SORA.has(Capability.LOOP) and not TURBO.has(Capability.LOOP)
    assert SORA2.has(Capability.LOOP) and MODELS.resolve("sora-2-pro").has(Capability.LOOP)


@pytest.mark.parametrize("model", [SORA, TURBO])
def test_legacy_prices_follow_the_credits_table(model: catalog.ModelSpec) -> None:
    """USD per second stands to credits per second in one ratio across resolution classes."""
    ratios = {
        round(model.price_usd(w, h, 1) / model.credits(w, h, 1), 9)
        for w, h in map(catalog.parse_size, model.sizes)
    }
    assert len(ratios) == 1
    assert model.price_usd(1280, 720, 10) == pytest.approx(
        1.0 if model is SORA else 0.5
    )  # sora at sora-2's 720p price, turbo at half


@pytest.mark.parametrize(
    ("model", "params", "param", "said"),
    [
        (TURBO, {"size": "1920x1080"}, "size", "up to 720p and 10 s"),
        (TURBO, {"size": "720x720"}, "size", "sizes 16:9 1280x720/854x480, 9:16 720x1280/480x854"),
        (TURBO, {"seconds": "15"}, "seconds", "up to 720p and 10 s; "),
        (SORA, {"seconds": "25"}, "seconds", "1:1 1080x1080/720x720/480x480"),
        (SORA, {"size": "1024x768"}, "size", "seconds 5, 10, 15, 20; negative prompts: supported"),
    ],
)
def test_sizes_and_lengths_outside_a_models_limits_name_them(
    model: catalog.ModelSpec, params: dict[str, str], param: str, said: str
) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        validation.model_size_seconds(MODELS, {"model": model.name, **params})
    assert caught.value.param == param and said in caught.value.message
    assert caught.value.code == "invalid_value"


def test_loop_on_a_model_that_cannot_loop_is_refused_with_its_limits() -> None:
    for model in (SORA, TURBO):
        with pytest.raises(errors.CapabilityNotSupported) as caught:
            validation.loop(model, True)
        error = caught.value
        assert (error.code, error.http_status, error.param) == (
            "capability_not_supported",
            400,
            "loop",
        )
        assert f"Model {model.name!r} (legacy) limits" in error.message
        assert "loop: no" in error.message and "/".join(model.sizes[:2]) in error.message
    assert validation.loop(SORA, False) is False  # asking for no loop is always fine
    assert validation.loop(TURBO, "false") is False


@pytest.mark.parametrize(
    ("value", "expected"), [(True, True), (False, False), ("true", True), ("FALSE", False)]
)
def test_loop_takes_json_booleans_and_form_text(value: object, expected: bool) -> None:
    assert validation.loop(SORA2, value) is expected


@pytest.mark.parametrize("value", ["yes", 1, 0, "1", [True], {"on": True}])
def test_loop_refuses_anything_else_by_name(value: object) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        validation.loop(SORA2, value)
    assert caught.value.param == "loop" and "true or false" in caught.value.message


def test_negative_prompt_per_model_limits() -> None:
    assert validation.negative_prompt(SORA2, "x" * 5000) == "x" * 5000  # full
    assert validation.negative_prompt(SORA, "x" * 1000) == "x" * 1000  # supported
    assert validation.negative_prompt(TURBO, "dogs") == "dogs"
    with pytest.raises(errors.CapabilityNotSupported) as caught:
        validation.negative_prompt(TURBO, "x" * 201)  # limited
    assert caught.value.param == "negative_prompt"
    assert "takes at most 200" in caught.value.message
    assert "negative prompts: limited (up to 200 characters)" in caught.value.message
    blind = MODELS.with_capabilities({"sora-2": frozenset()}).resolve("sora-2")
    with pytest.raises(errors.CapabilityNotSupported, match="negative prompts: no"):
        validation.negative_prompt(blind, "dogs")


@pytest.mark.parametrize("value", [None, "", "   "])
def test_a_blank_negative_prompt_is_none(value: object) -> None:
    assert validation.negative_prompt(TURBO, value) is None


@pytest.mark.parametrize("value", [["dog"], 3, {"text": "dog"}, "dog\x00"])
def test_a_negative_prompt_that_is_not_text_is_refused(value: object) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        validation.negative_prompt(SORA2, value)
    assert caught.value.param == "negative_prompt"


def test_the_fields_are_in_the_create_and_preflight_bodies_only() -> None:
    for name in ("negative_prompt", "loop"):
        assert name in validation.CREATE_FIELDS and name in validation.PREFLIGHT_FIELDS
        assert name not in validation.REMIX_FIELDS and name not in validation.EXTEND_FIELDS


def test_sources_keep_them_through_json() -> None:
    asked = jobs.Sources(negative_prompt="dogs", loop=True)
    assert jobs.Sources.from_json(asked.to_json()) == asked
    assert jobs.Sources.from_json(jobs.Sources().to_json()) == jobs.NO_SOURCES


def test_a_job_using_them_needs_an_engine_that_offers_them() -> None:
    spec = JobSpec(
        jobs.JobKind.GENERATE,
        "sora-2",
        SORA2,
        "p",
        "720x1280",
        4,
        None,
        sources=jobs.Sources(negative_prompt="dogs", loop=True),
    )
    assert {Capability.NEGATIVE_PROMPT, Capability.LOOP} <= spec.needs.capabilities
    routed = MODELS.with_routes({"sora-2": (("blind",), {})})
    blind = {"blind": EngineInfo("blind", EngineKind.REMOTE, frozenset())}
    params = {"prompt": "a kite", "loop": True}
    with pytest.raises(errors.UnsupportedParameter) as caught:
        asyncio.run(validation.check_prompt(routed, Moderation(), params, blind))
    assert caught.value.param == "loop"
    with pytest.raises(errors.CapabilityNotSupported):  # the model itself refuses first
        asyncio.run(validation.check_prompt(MODELS, Moderation(), {**params, "model": "sora"}))


def test_a_storyboard_shot_takes_a_negative_prompt_its_model_allows() -> None:
    body = {
        "model": "sora-turbo",
        "size": "1280x720",
        "shots": [
            {"prompt": "a cat and a dog in a park", "seconds": "5", "negative_prompt": "dog"},
            {"prompt": "the park at night", "seconds": "5"},
        ],
    }
    board = storyboards.parse(MODELS, body)
    assert [s.negative_prompt for s in board.shots] == ["dog", None]
    body["shots"][1]["negative_prompt"] = "x" * 201  # type: ignore[index]
    with pytest.raises(errors.CapabilityNotSupported) as caught:
        storyboards.parse(MODELS, body)
    assert caught.value.param == "shots[1].negative_prompt"
    assert "limited (up to 200 characters)" in caught.value.message
