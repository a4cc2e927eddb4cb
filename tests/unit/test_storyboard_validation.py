"""A storyboard's fields and shots are checked before anything is counted: every refusal
names the exact parameter (``shots[3].seconds``), and what passes is planned as asked."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from reelway import capabilities, catalog, datafiles, errors, storyboards


def _models() -> catalog.Catalog:
    """The built-in catalogue, plus a model that takes no input image (for ``continue``)."""
    data = datafiles.read_toml(None, "reelway", "catalog.toml")
    plain = copy.deepcopy(data["models"]["sora-2"])
    plain["aliases"] = []
    plain["capabilities"] = ["remix"]
    data["models"]["plain"] = plain
    return catalog.from_mapping(data)


MODELS = _models()


def _body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "model": "sora-2",
        "size": "1280x720",
        "shots": [
            {"prompt": "a lighthouse at dawn", "seconds": "4"},
            {"prompt": "waves on rocks", "seconds": "8", "transition": "crossfade"},
            {"prompt": "the lamp turns on", "seconds": "4", "transition": "continue"},
        ],
    }
    body.update(changes)
    return body


def _shot(index: int, **changes: Any) -> dict[str, Any]:
    body = _body()
    body["shots"][index].update(changes)
    return body


BAD: list[tuple[str, dict[str, Any], type[errors.ReelwayError], str]] = [
    ("unknown top field", _body(prompt="x"), errors.UnknownParameter, "prompt"),
    ("no shots", _body(shots=None), errors.MissingParameter, "shots"),
    ("one shot", _body(shots=[{"prompt": "a", "seconds": "4"}]), errors.InvalidValue, "shots"),
    ("33 shots", _body(shots=[{"prompt": "a", "seconds": "4"}] * 33), errors.InvalidValue, "shots"),
    ("shots not a list", _body(shots="two"), errors.InvalidValue, "shots"),
    ("shot not an object", _body(shots=[{"prompt": "a", "seconds": "4"}, "b"]),
     errors.InvalidValue, "shots[1]"),
    ("size of no model", _body(size="640x480"), errors.InvalidValue, "size"),
    ("unknown model", _body(model="sora-9"), errors.InvalidValue, "model"),
    ("bad soundtrack", _body(soundtrack="loud"), errors.InvalidValue, "soundtrack"),
    ("bad seed", _body(seed=-1), errors.InvalidValue, "seed"),
    ("shot without prompt", _shot(1, prompt=None), errors.MissingParameter, "shots[1].prompt"),
    ("empty prompt", _shot(2, prompt=" "), errors.InvalidValue, "shots[2].prompt"),
    ("shot without seconds", _shot(0, seconds=None), errors.MissingParameter,
     "shots[0].seconds"),
    ("seconds the model lacks", _shot(2, seconds="5"), errors.InvalidValue, "shots[2].seconds"),
    ("seconds not a number", _shot(1, seconds="4.5"), errors.InvalidValue, "shots[1].seconds"),
    ("unknown shot field", _shot(1, size="1280x720"), errors.UnknownParameter,
     "shots[1].size"),
    ("unknown shot model", _shot(1, model="nope"), errors.InvalidValue, "shots[1].model"),
    ("first shot continues", _shot(0, transition="continue"), errors.InvalidValue,
     "shots[0].transition"),
    ("first shot crossfades", _shot(0, transition="crossfade"), errors.InvalidValue,
     "shots[0].transition"),
    ("unknown transition", _shot(1, transition="wipe"), errors.InvalidValue,
     "shots[1].transition"),
    ("continue on a model without images", _shot(2, model="plain"),
     errors.UnsupportedParameter, "shots[2].transition"),
    ("continue with its own image", _shot(2, input_reference={"image_url": "data:,"}),
     errors.InvalidValue, "shots[2].input_reference"),
    ("crossfade on a cut", _shot(2, transition="cut", crossfade_seconds=0.5),
     errors.InvalidValue, "shots[2].crossfade_seconds"),
    ("crossfade zero", _shot(1, crossfade_seconds=0), errors.InvalidValue,
     "shots[1].crossfade_seconds"),
    ("crossfade over half the shorter shot", _shot(1, crossfade_seconds=2.5),
     errors.InvalidValue, "shots[1].crossfade_seconds"),
    ("crossfade a word", _shot(1, crossfade_seconds="1 s"), errors.InvalidValue,
     "shots[1].crossfade_seconds"),
    ("crossfade in exponent form", _shot(1, crossfade_seconds="1e0"), errors.InvalidValue,
     "shots[1].crossfade_seconds"),
    ("crossfade true", _shot(1, crossfade_seconds=True), errors.InvalidValue,
     "shots[1].crossfade_seconds"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "error", "param"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_each_refusal_names_the_parameter(
    body: dict[str, Any], error: type[errors.ReelwayError], param: str
) -> None:
    with pytest.raises(error) as caught:
        storyboards.parse(MODELS, body)
    assert type(caught.value) is error, caught.value
    assert caught.value.param == param, caught.value.message


def test_a_shot_model_without_the_size_names_the_shot_model() -> None:
    body = _shot(1, model="wan-2.2-5b", seconds="4")
    body["size"] = "1280x720"
    assert storyboards.parse(MODELS, body).shots[1].model.name == "wan-2.2-5b"  # it has it
    body["shots"][1]["model"] = "ltx-video"
    body["size"] = "720x1280"
    assert storyboards.parse(MODELS, body).size == "720x1280"  # ltx has it too
    body["model"] = "sora-2-pro"
    body["size"] = "1792x1024"
    with pytest.raises(errors.InvalidValue) as caught:
        storyboards.parse(MODELS, body)
    assert caught.value.param == "shots[1].model"


def test_a_valid_storyboard_is_planned_as_asked() -> None:
    board = storyboards.parse(MODELS, _body(seed=7, soundtrack="per_shot"))
    assert board.seconds == 16, "crossfades do not shorten the total"
    assert board.prompt == "a lighthouse at dawn\nwaves on rocks\nthe lamp turns on"
    assert (board.size, board.seed, board.soundtrack) == ("1280x720", 7, "per_shot")
    assert [s.transition for s in board.shots] == ["cut", "crossfade", "continue"]
    assert [s.crossfade_seconds for s in board.shots] == [0.0, 0.5, 0.0]
    assert [s.model.name for s in board.shots] == ["sora-2"] * 3
    defaults = storyboards.parse(MODELS, {"shots": _body()["shots"]})
    assert (defaults.model_name, defaults.size, defaults.soundtrack) == (
        "sora-2",
        MODELS.resolve("sora-2").default_size,
        "continuous",
    )
    assert defaults.seed is None
    widest = _shot(1, crossfade_seconds=2)  # half of the 4 s shot before it
    assert storyboards.parse(MODELS, widest).shots[1].crossfade_seconds == 2.0
    # A multipart form sends numbers as text: a plain decimal is read as one.
    typed = _shot(1, crossfade_seconds="1.25")
    assert storyboards.parse(MODELS, typed).shots[1].crossfade_seconds == 1.25


def test_a_continue_shot_needs_an_engine_that_takes_an_image() -> None:
    board = storyboards.parse(MODELS, _body())
    infos = {
        "animatic": capabilities.EngineInfo(
            name="animatic", capabilities=frozenset(), sizes=None, seconds=None
        )
    }
    storyboards.servable(board.shots[0], board.size, infos)  # a cut needs no image
    with pytest.raises(errors.UnsupportedParameter) as caught:
        storyboards.servable(board.shots[2], board.size, infos)
    assert caught.value.param == "shots[2].transition"
    narrow = {
        "animatic": capabilities.EngineInfo(
            name="animatic",
            capabilities=frozenset({catalog.Capability.IMAGE_INPUT}),
            sizes=frozenset({"720x1280"}),
            seconds=None,
        )
    }
    with pytest.raises(errors.InvalidValue) as caught_size:
        storyboards.servable(board.shots[0], board.size, narrow)
    assert caught_size.value.param == "size"
