"""``captions``: Reelway's request field, checked like ``loop`` (JSON bool or a form's text),
stored in ``jobs.Sources``, taken by storyboards and their shots, and in the OpenAPI document."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from reelway import catalog, chat, errors, jobs, storyboards, validation
from reelway.api.openapi import fields
from reelway.policy.moderation import Moderation

MODELS = catalog.load()
SORA2 = MODELS.resolve("sora-2")


@pytest.mark.parametrize(
    ("given", "found"),
    [(None, None), (True, True), (False, False), ("false", False), ("TRUE", True)],
)
def test_captions_is_a_bool_or_a_forms_true_or_false(given: Any, found: bool | None) -> None:
    assert validation.captions(given) is found


@pytest.mark.parametrize("given", ["no", "0", 0, 1, "", [], {"on": True}])
def test_anything_else_is_refused_naming_captions(given: Any) -> None:
    with pytest.raises(errors.InvalidValue) as caught:
        validation.captions(given)
    error = caught.value
    assert (error.code, error.http_status, error.param) == ("invalid_value", 400, "captions")
    assert "captions must be true or false" in error.message


def test_create_preflight_and_chat_take_it_and_a_create_checks_it() -> None:
    assert "captions" in validation.CREATE_FIELDS and "captions" in validation.PREFLIGHT_FIELDS
    assert "captions" in chat.CREATE_EXTRAS  # chat completions' extra body fields
    for legacy in ("sora", "sora-turbo", "sora-2"):  # no capability: every model takes it
        validation.extras(MODELS.resolve(legacy), {"captions": False})
    with pytest.raises(errors.InvalidValue) as caught:
        validation.extras(SORA2, {"captions": "off"})
    assert caught.value.param == "captions"


def test_the_preflight_refuses_a_bad_one_as_a_create_would() -> None:
    params = {"prompt": "a cat on a beach", "captions": "maybe"}
    with pytest.raises(errors.InvalidValue) as caught:
        asyncio.run(validation.check_prompt(MODELS, Moderation(), params))
    assert caught.value.param == "captions"


def test_sources_keep_it_through_their_stored_json() -> None:
    for value in (True, False):
        stored = jobs.Sources(captions=value).to_json()
        assert stored == {"captions": value}
        assert jobs.Sources.from_json(stored).captions is value
    assert jobs.Sources().to_json() is None  # unsaid: nothing stored, the deployment decides
    assert jobs.Sources.from_json(None).captions is None


def test_a_storyboard_takes_it_for_every_shot_and_a_shot_overrides_it() -> None:
    body: dict[str, Any] = {
        "captions": False,
        "shots": [
            {"prompt": "a lighthouse at dusk", "seconds": "4"},
            {"prompt": "the beam sweeps the sea", "seconds": "4", "captions": "true"},
        ],
    }
    board = storyboards.parse(MODELS, body)
    assert [s.captions for s in board.shots] == [False, True]
    del body["captions"]
    assert [s.captions for s in storyboards.parse(MODELS, body).shots] == [None, True]
    body["shots"][0]["captions"] = "yes"
    with pytest.raises(errors.InvalidValue) as caught:
        storyboards.parse(MODELS, body)
    assert caught.value.param == "shots[0].captions"


def test_the_openapi_document_describes_it_wherever_it_is_taken() -> None:
    taking = [b for b in fields.bodies() if "captions" in b.accepted]
    names = {b.component for b in taking}
    assert {"PreflightVideoBody", "CreateVideoStoryboardBody", "StoryboardShotParam"} <= names
    assert any(n.startswith("CreateVideo") and "Multipart" in n for n in names), names
    for body in taking:
        field = fields.body_schema(body, {})["properties"]["captions"]
        assert field[fields.REELWAY] is True and "captions" in field["description"]
        assert field["type"] == ("string" if body.multipart else "boolean"), body.component
