"""Bounds on a body's shape: form field names, field counts, JSON values and nesting depth,
refused with a 400 that names the limit and the field, before the work grows with them."""

from __future__ import annotations

import asyncio
import random
import urllib.parse
from collections.abc import AsyncIterator

import orjson
import pytest
from httpx import _multipart as httpx_multipart

from reelway import errors, idempotency
from reelway.api import body_shape, forms, multipart_form

HOSTILE_NAME = b"x" + b"[a]" * 20_000  # 60 kB; the attack used two million levels


def _feed(body: bytes, size: int) -> body_shape.FormGuard:
    guard = body_shape.FormGuard()
    for start in range(0, len(body), size):
        guard.feed(body[start : start + size])
    guard.close()
    return guard


def _chunked(body: bytes, rng: random.Random) -> list[bytes]:
    cuts = sorted(rng.sample(range(1, len(body)), min(len(body) - 1, rng.randint(0, 8))))
    return [body[a:b] for a, b in zip([0, *cuts], [*cuts, len(body)], strict=True)]


def test_a_hostile_field_name_is_refused_at_its_first_chunk() -> None:
    guard = body_shape.FormGuard()
    with pytest.raises(errors.FieldNameTooLong) as caught:
        guard.feed(HOSTILE_NAME[:65536])  # the rest of the body is never needed
    assert caught.value.param == "x[a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a][a]"
    assert str(body_shape.MAX_FIELD_NAME_CHARS) in caught.value.message
    assert len(caught.value.message) < 300


@pytest.mark.parametrize("seed", range(30))
def test_any_chunking_of_a_form_within_the_limits_passes(seed: int) -> None:
    rng = random.Random(seed)
    fields = [
        (f"f{i}[k]" * rng.randint(1, 3), "v%26=" * rng.randint(0, 50))
        for i in range(rng.randint(1, body_shape.MAX_FIELDS))
    ]
    body = urllib.parse.urlencode(fields).encode()
    guard = body_shape.FormGuard()
    for chunk in _chunked(body, rng):
        guard.feed(chunk)
    guard.close()
    assert guard.field == len(fields)


@pytest.mark.parametrize("seed", range(10))
def test_one_field_over_the_limit_is_named_in_any_chunking(seed: int) -> None:
    rng = random.Random(seed)
    fields = [(f"f{i}", "v") for i in range(body_shape.MAX_FIELDS)] + [("extra[x]", "1")]
    body = urllib.parse.urlencode(fields).encode()
    guard = body_shape.FormGuard()
    with pytest.raises(errors.TooManyFields) as caught:
        for chunk in _chunked(body, rng):
            guard.feed(chunk)
        guard.close()
    assert caught.value.param == "extra[x]"
    assert str(body_shape.MAX_FIELDS) in caught.value.message


@pytest.mark.parametrize(
    "body, error, param",
    [
        (b"&" * 1_000_000, errors.TooManyFields, ""),
        (b"a&" * 100, errors.TooManyFields, "a"),
        (b"prompt=" + b"%41" * 300_000, errors.InvalidValue, "prompt"),
        (b"%78" * 1000 + b"=1", errors.FieldNameTooLong, "x" * 64),
        (b'{"prompt": "' + b"x" * 1000 + b'"}', errors.UnsupportedContentType, None),
    ],
)
def test_hostile_urlencoded_bodies(body: bytes, error: type[Exception], param: str) -> None:
    with pytest.raises(error) as caught:
        _feed(body, 65536)
    assert getattr(caught.value, "param", None) == param


def test_decoded_form_names_are_bounded_in_length_and_depth() -> None:
    body_shape.check_field_name("a" + "[b]" * (body_shape.MAX_DEPTH - 1))
    with pytest.raises(errors.NestingTooDeep) as deep:
        body_shape.check_field_name("input_reference" + "[b]" * body_shape.MAX_DEPTH)
    assert deep.value.param == "input_reference"
    with pytest.raises(errors.FieldNameTooLong) as long:
        body_shape.check_field_name("é" * (body_shape.MAX_FIELD_NAME_CHARS + 1))
    assert long.value.param == "é" * body_shape.PARAM_CHARS
    with pytest.raises(errors.NestingTooDeep):
        forms._nest([("prompt", "x"), ("a" + "[]" * 40, "1")])


def _nested(depth: int) -> bytes:
    """A body whose ``v`` is ``depth`` levels deep counting the body (as the docs count)."""
    return b'{"prompt":"x","v":' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"


def _parse_json(body: bytes) -> dict[str, object]:
    guard = body_shape.JsonGuard()
    guard.feed(body)
    return forms._json_object(body, guard.opens)


def test_json_nesting_is_bounded_and_names_the_field() -> None:
    assert _parse_json(_nested(body_shape.MAX_DEPTH))["prompt"] == "x"
    for depth in (body_shape.MAX_DEPTH + 1, 500, 1000):
        with pytest.raises(errors.NestingTooDeep) as caught:
            _parse_json(_nested(depth))
        assert caught.value.param == "v"
    deep_object = b'{"input_reference":' + b'{"a":' * 999 + b"1" + b"}" * 1000
    with pytest.raises(errors.NestingTooDeep) as caught:
        _parse_json(deep_object)
    assert caught.value.param == "input_reference"


def test_what_passes_the_bounds_hashes_without_recursing_too_deep() -> None:
    # What idempotency hashing, validation and error messages recurse over is bounded.
    params = _parse_json(_nested(body_shape.MAX_DEPTH))
    assert len(idempotency.request_hash("create", params)) == 64
    assert errors.show(params["v"]).startswith("[[[")


def test_a_json_body_with_too_many_values_is_refused_before_parsing() -> None:
    guard = body_shape.JsonGuard()
    chunk = b"1," * 32768
    with pytest.raises(errors.TooManyFields) as caught:
        for _ in range(10):
            guard.feed(chunk)
    assert caught.value.param is None
    assert guard.count <= body_shape.MAX_JSON_VALUES + len(chunk)
    body = b'{"prompt": "' + b"a, " * 30_000 + b'"}'  # a long prompt full of commas fits
    assert len(_parse_json(body)["prompt"]) == 90_000  # type: ignore[arg-type]


def _multipart(fields: list[tuple[str, str]]) -> tuple[str, bytes]:
    stream = httpx_multipart.MultipartStream(data=dict(fields), files=[("f", b"\0")])
    return stream.get_headers()["Content-Type"], b"".join(stream)


async def _stream(body: bytes) -> AsyncIterator[bytes]:
    for start in range(0, len(body), 4096):
        yield body[start : start + 4096]


@pytest.mark.parametrize(
    "fields, error, param",
    [
        ([(f"f{i}", "v") for i in range(70)], errors.TooManyFields, "f64"),
        ([("x" + "[a]" * 1300, "1")], errors.FieldNameTooLong, "x" + "[a]" * 21),
        ([("characters" + "[]" * 20, "1")], errors.NestingTooDeep, "characters"),
    ],
)
def test_hostile_multipart_bodies(
    fields: list[tuple[str, str]], error: type[Exception], param: str
) -> None:
    content_type, body = _multipart(fields)
    with pytest.raises(error) as caught:
        pairs = asyncio.run(multipart_form.read(content_type, _stream(body), 10))
        forms._nest(pairs)
    assert getattr(caught.value, "param", None) == param


def test_json_depth_check_is_iterative() -> None:
    data = orjson.loads(b"[" * 1000 + b"]" * 1000)
    with pytest.raises(errors.NestingTooDeep):
        body_shape.check_json_depth({"x": data})


def test_error_messages_quote_a_huge_value_by_its_start() -> None:
    assert errors.show("m" * 48_000_000) == "'" + "m" * 55 + "...'"
    assert errors.show("short") == "'short'"
