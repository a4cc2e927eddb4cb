"""Draft then promote: the draft sizes the catalogue adds, and the cost arithmetic the
preflight's ``draft_plan`` shows (drafts at 480p plus one promote, against every iteration at
full size)."""

from __future__ import annotations

import asyncio

import pytest

from reelway import catalog, errors, promote, validation
from reelway.policy import drafts
from reelway.policy.moderation import Moderation

MODELS = catalog.load()
SORA_2 = MODELS.resolve("sora-2")
PRO = MODELS.resolve("sora-2-pro")
PROMPT = "A golden retriever puppy runs through autumn leaves in a park, tracking shot"


def test_sora_2_and_pro_take_480p_drafts_marked_as_reelway_sizes() -> None:
    for model in (SORA_2, PRO):
        assert {"854x480", "480x854"} <= set(model.sizes)
        assert model.reelway_sizes == ("854x480", "480x854")
        assert model.credits(854, 480, 1) == 4  # the seed's 480p credits
        assert model.credits(1280, 720, 1) == 16
    # USD follows the credits table: 480p is a quarter of 720p
    assert SORA_2.price_usd(854, 480, 1) == pytest.approx(SORA_2.price_usd(1280, 720, 1) / 4)
    assert PRO.price_usd(480, 854, 1) == pytest.approx(PRO.price_usd(720, 1280, 1) / 4)


def test_reelway_sizes_must_be_sizes_of_the_model() -> None:
    data = {
        "credits_per_second": {"480p": 4, "720p": 16, "1080p": 40},
        "models": {
            "m": {
                "sizes": ["1280x720"],
                "reelway_sizes": ["854x480"],
                "seconds": [4],
                "default_size": "1280x720",
                "default_seconds": 4,
                "route": ["animatic"],
                "price_per_second": {"720p": 0.1},
            }
        },
    }
    with pytest.raises(ValueError, match="reelway_sizes"):
        catalog.from_mapping(data)


@pytest.mark.parametrize(
    ("model", "size", "draft"),
    [
        (SORA_2, "1280x720", "854x480"),
        (SORA_2, "720x1280", "480x854"),
        (PRO, "1920x1080", "854x480"),
        (PRO, "1080x1920", "480x854"),
        (PRO, "1792x1024", None),  # 7:4 has no 480p size
        (SORA_2, "854x480", None),  # already a draft
    ],
)
def test_draft_size_keeps_the_aspect_ratio(
    model: catalog.ModelSpec, size: str, draft: str | None
) -> None:
    assert drafts.draft_size(model, size) == draft


def test_four_drafts_then_a_promote_cost_half_of_four_full_renders() -> None:
    plan = drafts.plan(SORA_2, "1280x720", 8, 4)
    assert plan is not None
    shown = plan.to_dict()
    # 4 drafts x 8 s x $0.025 = $0.80; the final 8 s x $0.10 = $0.80; all full: 4 x $0.80
    assert shown["draft_size"] == "854x480"
    assert shown["draft_cost"] == pytest.approx(0.8)
    assert shown["final_cost"] == pytest.approx(0.8)
    assert shown["total"] == pytest.approx(1.6)
    assert shown["all_full_cost"] == pytest.approx(3.2)
    assert shown["saving"] == pytest.approx(1.6)
    assert shown["credits"] == {
        "draft_cost": 4 * 8 * 4,
        "final_cost": 8 * 16,
        "total": 4 * 8 * 4 + 8 * 16,
        "all_full_cost": 4 * 8 * 16,
        "saving": 4 * 8 * 16 - (4 * 8 * 4 + 8 * 16),
    }


def test_one_draft_costs_more_than_rendering_once_at_full_size() -> None:
    plan = drafts.plan(PRO, "1920x1080", 4, 1)
    assert plan is not None
    # a single iteration gains nothing: the draft is paid on top of the final
    assert plan.all_full_micros - plan.total_micros == -4 * 75_000
    assert plan.to_dict()["saving"] == pytest.approx(-0.3)


def test_relaxed_plans_cost_nothing() -> None:
    plan = drafts.plan(SORA_2, "720x1280", 4, 3, relaxed=True)
    assert plan is not None and plan.total_micros == 0 and plan.all_full_micros == 0


def _preflight(params: dict[str, object]) -> dict[str, object]:
    return asyncio.run(validation.check_prompt(MODELS, Moderation(), params))


def test_preflight_shows_the_draft_plan_only_when_asked() -> None:
    params: dict[str, object] = {"prompt": PROMPT, "size": "1280x720", "seconds": "8"}
    assert "draft_plan" not in _preflight(params)
    found = _preflight({**params, "drafts": "4"})
    assert found["draft_plan"] == drafts.plan(SORA_2, "1280x720", 8, 4).to_dict()  # type: ignore[union-attr]
    assert _preflight({**params, "drafts": 4}) == found
    # a draft itself has no draft plan (null), and says so rather than failing
    assert _preflight({**params, "size": "854x480", "drafts": 2})["draft_plan"] is None


@pytest.mark.parametrize("bad", [0, 101, "0", "x", -1, True, 2.5])
def test_preflight_refuses_a_bad_drafts(bad: object) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        _preflight({"prompt": PROMPT, "drafts": bad})
    assert caught.value.param == "drafts"


@pytest.mark.parametrize(
    ("model", "size", "finals"),
    [
        (SORA_2, "854x480", ["1280x720"]),
        (SORA_2, "480x854", ["720x1280"]),
        (PRO, "854x480", ["1280x720", "1920x1080"]),
        (PRO, "1280x720", ["1920x1080"]),
        (PRO, "1920x1080", []),
        (PRO, "1792x1024", []),  # no larger 7:4 size
    ],
)
def test_a_draft_is_promoted_to_larger_sizes_of_its_aspect_ratio(
    model: catalog.ModelSpec, size: str, finals: list[str]
) -> None:
    assert promote.larger(model, size) == finals
