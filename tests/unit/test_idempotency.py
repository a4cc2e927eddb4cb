"""The Idempotency-Key fingerprint: stable across releases, and hashed off the event loop
when the request is large."""

from __future__ import annotations

import asyncio
import io
import threading

from reelway import idempotency
from reelway.service import Upload

SMALL = {"prompt": "a cat", "seconds": "8", "input_reference": {"image_url": "data:x"}}


def test_fingerprints_of_ordinary_requests_do_not_change() -> None:
    # Stored keys outlive a release: these digests are what the previous release stored.
    assert idempotency.request_hash("create", SMALL) == (
        "cbc39c11c504fd98db05b338ce0278088ef3e29d6586356484d6a3dbc88b5394"
    )
    assert idempotency.request_hash("create", {"prompt": "p" * 32000}) == (
        "9ff41a44745530601612e096d4088cf0471bde434fcbadc651e0a10c56c0e721"
    )


def test_long_strings_count_by_their_content() -> None:
    url = "data:image/png;base64," + "A" * 100_000
    same = idempotency.request_hash(
        "create", {"prompt": "x", "input_reference": {"image_url": url}}
    )
    again = idempotency.request_hash(
        "create", {"input_reference": {"image_url": url}, "prompt": "x"}
    )
    other = idempotency.request_hash(
        "create", {"prompt": "x", "input_reference": {"image_url": url[:-1] + "B"}}
    )
    assert same == again != other


class _RecordingFile(io.BytesIO):
    """Notes the thread that reads it."""

    def __init__(self, data: bytes) -> None:
        super().__init__(data)
        self.readers: set[int] = set()

    def read(self, size: int | None = -1, /) -> bytes:
        self.readers.add(threading.get_ident())
        return super().read(size)


def test_large_requests_are_hashed_off_the_event_loop() -> None:
    image = _RecordingFile(b"\x89PNG" * 1000)

    async def hash_both() -> tuple[int, str]:
        await idempotency.fingerprint(
            "create", {"prompt": "x", "input_reference": Upload(filename="a.png", file=image)}
        )
        return threading.get_ident(), await idempotency.fingerprint("create", SMALL)

    loop_thread, small = asyncio.run(hash_both())
    assert image.readers and loop_thread not in image.readers
    assert small == idempotency.request_hash("create", SMALL)
