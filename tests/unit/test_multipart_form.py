"""The fast reading of simple multipart bodies agrees with the general parser, or declines."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator

import pytest
from httpx import _multipart as httpx_multipart

from reelway import errors
from reelway.api import multipart_form
from reelway.service import Upload

ALPHABET = 'ab\r\n-"%\\é 0\x00'


def _encode(fields: list[tuple[str, object]]) -> tuple[str, bytes]:
    """Encode as httpx (the Python SDK's transport) does, always as multipart."""
    data = {k: v for k, v in fields if isinstance(v, str)}
    files = [(k, v) for k, v in fields if not isinstance(v, str)]
    stream = httpx_multipart.MultipartStream(data=data, files=files)  # type: ignore[arg-type]
    return stream.get_headers()["Content-Type"], b"".join(stream)


async def _chunks(body: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(body), size):
        yield body[start : start + size]


def _plain(parts: list[tuple[str, object]]) -> list[tuple[str, object]]:
    """Uploads as (filename, bytes), their files closed, so readings can be compared."""
    plain: list[tuple[str, object]] = []
    for name, value in parts:
        if isinstance(value, Upload):
            with value.file:
                plain.append((name, (value.filename, value.file.read())))
        else:
            plain.append((name, value))
    return plain


def _general(content_type: str, body: bytes) -> list[tuple[str, object]]:
    boundary = content_type.split("boundary=", 1)[1]
    checker = multipart_form._Checker(10**7)
    return _plain(
        asyncio.run(
            multipart_form._parse_streaming(boundary, [body], multipart_form._nothing(), checker)
        )
    )


def _random_text(rng: random.Random, length: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(length))


@pytest.mark.parametrize("seed", range(200))
def test_fast_and_general_readings_agree(seed: int) -> None:
    rng = random.Random(seed)
    fields: list[tuple[str, object]] = []
    for n in range(rng.randint(1, 6)):
        name = rng.choice(["prompt", "model", f"f{n}", "input_reference[image_url]", "a b"])
        if any(name == f for f, _ in fields):
            continue
        if rng.random() < 0.3:
            payload = bytes(rng.randrange(256) for _ in range(rng.randint(0, 300)))
            payload += b"\r\n--" + payload[:10]
            fields.append((name, (_random_text(rng, 5) or "f", payload, "image/png")))
        else:
            fields.append((name, _random_text(rng, rng.randint(0, 40))))
    content_type, body = _encode(fields)
    boundary = content_type.split("boundary=", 1)[1].encode()
    fast = multipart_form.split_simple(body, boundary)
    general = _general(content_type, body)
    if fast is not None:
        checker = multipart_form._Checker(10**7)
        assert _plain([checker.finish_bytes(*part) for part in fast]) == general


def test_the_sdk_shape_takes_the_fast_path() -> None:
    content_type, body = _encode(
        [
            ("prompt", "a cat"),
            ("seconds", "8"),
            ("input_reference", ("ref.png", b"\x89PNG..", "image/png")),
        ]
    )
    parts = multipart_form.split_simple(body, content_type.split("boundary=")[1].encode())
    assert parts == [
        ("prompt", None, b"a cat"),
        ("seconds", None, b"8"),
        ("input_reference", "ref.png", b"\x89PNG.."),
    ]


@pytest.mark.parametrize(
    "body",
    [
        b'preamble\r\n--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--\r\n',
        b'--B\r\nContent-Disposition: form-data; name="a"\r\nX-Other: 1\r\n\r\nx\r\n--B--\r\n',
        b'--B\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\nx\r\n--B--\r\n',
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx\r\n--B--epilogue',
        b'--B\r\nContent-Disposition: form-data; name="a"\r\n\r\nx',
    ],
)
def test_unusual_bodies_are_left_to_the_general_parser(body: bytes) -> None:
    assert multipart_form.split_simple(body, b"B") is None


def test_streamed_large_bodies_and_limits() -> None:
    big = bytes(range(256)) * 8192  # 2 MiB: too big to read whole, streamed instead
    content_type, body = _encode(
        [("prompt", "x"), ("input_reference", ("a.png", big, "image/png"))]
    )
    parts = asyncio.run(multipart_form.read(content_type, _chunks(body, 65536), 3 * 1024 * 1024))
    assert _plain(parts) == [("prompt", "x"), ("input_reference", ("a.png", big))]
    with pytest.raises(errors.ImageTooLarge):
        asyncio.run(multipart_form.read(content_type, _chunks(body, 65536), 1024 * 1024))
    content_type, body = _encode([("prompt", "p" * 300_000)])
    with pytest.raises(errors.InvalidValue) as caught:
        asyncio.run(multipart_form.read(content_type, _chunks(body, 65536), 10))
    assert caught.value.param == "prompt"
