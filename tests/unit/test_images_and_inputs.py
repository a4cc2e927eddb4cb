"""Reference images are judged by their bytes; URL fetches are bounded and refuse private hosts."""

from __future__ import annotations

import asyncio
import base64
import io
import random
import threading

import pytest
from PIL import Image

from reelway import errors, images, inputs
from tests import media_checks


@pytest.mark.parametrize("fmt, kind", [("PNG", "png"), ("JPEG", "jpeg"), ("WEBP", "webp")])
def test_formats_are_sniffed_and_checked(fmt: str, kind: str) -> None:
    data = media_checks.solid_image(64, 32, fmt, (1, 2, 3))
    assert images.sniff(data) == kind
    checked = images.check_bytes(data, param="p", max_bytes=10**6, expected_size=(64, 32))
    assert (checked.format, checked.width, checked.height) == (kind, 64, 32)


def test_size_mismatch_tells_both_sizes() -> None:
    data = media_checks.solid_image(64, 32, "PNG", (1, 2, 3))
    with pytest.raises(errors.ImageSizeMismatch) as caught:
        images.check_bytes(data, param="input_reference", max_bytes=10**6, expected_size=(32, 64))
    assert "64x32" in caught.value.message and "32x64" in caught.value.message


def test_gif_truncated_empty_and_large_images_are_refused() -> None:
    gif = io.BytesIO()
    Image.new("RGB", (8, 8)).save(gif, format="GIF")
    with pytest.raises(errors.InvalidImage):
        images.check_bytes(gif.getvalue(), param="p", max_bytes=10**6, expected_size=(8, 8))
    png = media_checks.solid_image(64, 64, "PNG", (9, 9, 9))
    with pytest.raises(errors.InvalidImage):
        images.check_bytes(png[: len(png) // 2], param="p", max_bytes=10**6, expected_size=(64, 64))
    with pytest.raises(errors.InvalidImage):
        images.check_bytes(b"", param="p", max_bytes=10, expected_size=(1, 1))
    with pytest.raises(errors.ImageTooLarge):
        images.check_bytes(png, param="p", max_bytes=10, expected_size=(64, 64))


def test_a_decompression_bomb_is_refused_before_decoding() -> None:
    header = io.BytesIO()
    Image.new("1", (20000, 20000)).save(header, format="PNG")
    with pytest.raises(errors.ReelwayError) as caught:
        images.check_bytes(header.getvalue(), param="p", max_bytes=10**8, expected_size=(1280, 720))
    assert caught.value.code in {"image_too_large", "image_size_mismatch"}


def test_data_urls() -> None:
    payload = base64.b64encode(b"hello").decode()
    assert inputs.decode_data_url(f"data:image/png;base64,{payload}", param="p", max_bytes=99) == (
        b"hello"
    )
    with pytest.raises(errors.InvalidValue):
        inputs.decode_data_url("data:image/png,hello", param="p", max_bytes=99)
    with pytest.raises(errors.ImageTooLarge):
        inputs.decode_data_url(f"data:image/png;base64,{'A' * 400}", param="p", max_bytes=99)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/x.png",
        "http://localhost:9/x.png",
        "http://10.1.2.3/x.png",
        "http://169.254.169.254/latest/meta-data",
        "http://[::1]/x.png",
        "http://0.0.0.0/x.png",
    ],
)
async def test_private_addresses_are_not_fetched_by_default(url: str) -> None:
    with pytest.raises(errors.ImageFetchFailed) as caught:
        await inputs.load_image_url(
            url,
            param="input_reference.image_url",
            max_bytes=10**6,
            timeout_seconds=5,
            allow_private=False,
        )
    assert "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS" in caught.value.message


async def test_other_schemes_are_refused() -> None:
    with pytest.raises(errors.InvalidValue):
        await inputs.load_image_url(
            "file:///etc/passwd", param="p", max_bytes=10, timeout_seconds=1, allow_private=True
        )


@pytest.mark.parametrize("seed", range(12))
def test_large_data_urls_decode_exactly_as_one_piece(seed: int) -> None:
    rng = random.Random(seed)
    data = rng.randbytes(rng.choice([0, 1, 2, 3, 700_000, 1_000_001]))
    text = base64.b64encode(data).decode()
    if seed % 2:  # line breaks, as some encoders write them
        text = "\n".join(text[i : i + 76] for i in range(0, len(text), 76)) + "\n"
    url = f"data:image/png;base64,{text}"
    assert inputs.decode_data_url(url, param="p", max_bytes=2_000_000) == data
    if len(data) < 1000:
        return
    for broken in (url.rstrip() + "A", url[:300_000] + "==" + url[300_000:], url[:-10] + "*"):
        with pytest.raises(errors.InvalidValue):
            inputs.decode_data_url(broken, param="p", max_bytes=2_000_000)


def test_large_data_urls_are_decoded_off_the_event_loop(monkeypatch: pytest.MonkeyPatch) -> None:
    threads: list[int] = []
    decode = inputs.decode_data_url

    def recording(url: str, *, param: str, max_bytes: int) -> bytes:
        threads.append(threading.get_ident())
        return decode(url, param=param, max_bytes=max_bytes)

    monkeypatch.setattr(inputs, "decode_data_url", recording)

    async def load(size: int) -> int:
        url = "data:image/png;base64," + base64.b64encode(b"\0" * size).decode()
        await inputs.load_image_url(
            url, param="p", max_bytes=10**7, timeout_seconds=10, allow_private=False
        )
        return threading.get_ident()

    loop_thread = asyncio.run(load(10))
    assert threads == [loop_thread]  # a small one stays on the loop: no thread hop
    loop_thread = asyncio.run(load(1_000_000))
    assert len(threads) == 2 and threads[1] != loop_thread
