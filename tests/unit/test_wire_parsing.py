"""Bracket-notation form fields and HTTP ranges, parsed exactly."""

from __future__ import annotations

import pytest

from reelway import errors, jobs
from reelway.api import content, forms


def _parse(*pairs: tuple[str, object]) -> dict[str, object]:
    params: dict[str, object] = {}
    for key, value in pairs:
        forms._assign(params, key, value)
    return params


def test_bracket_notation_builds_nested_objects_and_lists() -> None:
    assert _parse(("prompt", "p"), ("input_reference[image_url]", "u")) == {
        "prompt": "p",
        "input_reference": {"image_url": "u"},
    }
    assert _parse(("characters[][id]", "a"), ("characters[][id]", "b")) == {
        "characters": [{"id": "a"}, {"id": "b"}]
    }
    assert _parse(("tags[]", "x"), ("tags[]", "y")) == {"tags": ["x", "y"]}


@pytest.mark.parametrize(
    "pairs, error",
    [
        ([("prompt", "a"), ("prompt", "b")], errors.DuplicateParameter),
        (
            [("input_reference", "a"), ("input_reference[image_url]", "b")],
            errors.DuplicateParameter,
        ),
        ([("a[b", "x")], errors.InvalidMultipart),
        ([("[x]", "x")], errors.InvalidMultipart),
    ],
)
def test_malformed_or_repeated_fields_are_errors(
    pairs: list[tuple[str, object]], error: type[Exception]
) -> None:
    with pytest.raises(error):
        _parse(*pairs)


@pytest.mark.parametrize(
    "header, expected",
    [
        (None, None),
        ("bytes=0-99", (0, 99)),
        ("bytes=100-", (100, 999)),
        ("bytes=-10", (990, 999)),
        ("bytes=-5000", (0, 999)),
        ("bytes=900-5000", (900, 999)),
        ("bytes=0-1,5-6", None),
        ("items=0-1", None),
        ("bytes=9-3", None),
    ],
)
def test_byte_ranges(header: str | None, expected: tuple[int, int] | None) -> None:
    assert content.parse_range(header, 1000) == expected


@pytest.mark.parametrize("header", ["bytes=1000-", "bytes=5000-6000", "bytes=-0"])
def test_unsatisfiable_ranges(header: str) -> None:
    with pytest.raises(errors.RangeNotSatisfiable) as caught:
        content.parse_range(header, 1000)
    assert caught.value.headers["content-range"] == "bytes */1000"


def test_a_failed_videos_error_shows_code_and_message_only() -> None:
    from reelway.api import wire

    stored = {
        "code": "upstream_capacity",
        "message": "Runway had no capacity. Engines tried before: p1 (upstream_unavailable).",
        "attempts": [{"engine": "p1", "upstream": {"request_id": "req_9", "provider_code": "X"}}],
    }
    assert wire._error(jobs.JobError.from_json(stored)) == {
        "code": stored["code"],
        "message": stored["message"],
    }
    assert wire._error(None) is None
