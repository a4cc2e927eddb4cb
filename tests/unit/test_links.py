"""Signed video links: what a token names, who agrees on the secret, and what is refused."""

from __future__ import annotations

import base64
import time
from pathlib import Path

import pytest

from reelway import errors
from reelway.api.links import SECRET_KEY, LinkSigner
from reelway.service import Caller
from reelway.storage import Storage, open_storage

CALLER = Caller(project_id="proj_1", key_id="key_1")
VIDEO = "video_" + "a" * 32


@pytest.fixture
def storage(tmp_path: Path) -> Storage:
    return open_storage(str(tmp_path / "files"))


async def test_a_token_names_its_video_and_variant_and_expires_with_its_files(
    storage: Storage,
) -> None:
    signer = LinkSigner(storage, "", 3600)
    token, expires = await signer.sign(CALLER, VIDEO, "thumbnail", None)
    assert abs(expires - (time.time() + 3600)) < 60
    link = await signer.check(token)
    assert (link.project_id, link.video_id, link.variant, link.expires_at) == (
        "proj_1",
        VIDEO,
        "thumbnail",
        expires,
    )
    files_end = time.time() + 120
    _, capped = await signer.sign(CALLER, VIDEO, "video", files_end)
    assert capped == int(files_end), "a link never outlives the video's files"


async def test_the_generated_secret_is_kept_in_storage_for_every_process(
    storage: Storage, tmp_path: Path
) -> None:
    first = LinkSigner(storage, "", 3600)
    token, _ = await first.sign(CALLER, VIDEO, "video", None)
    assert await storage.exists(SECRET_KEY)
    # Another process (its own signer, the same storage) accepts it, and signs alike.
    second = LinkSigner(open_storage(str(tmp_path / "files")), "", 3600)
    assert (await second.check(token)).video_id == VIDEO
    again, _ = await second.sign(CALLER, VIDEO, "video", None)
    assert (await first.check(again)).video_id == VIDEO


async def test_two_first_uses_that_race_settle_on_the_stored_secret(storage: Storage) -> None:
    early = LinkSigner(storage, "", 3600)
    await early.sign(CALLER, VIDEO, "video", None)  # made and cached a secret...
    await storage.delete_prefix("secrets/")  # ...that another process's write replaced
    late = LinkSigner(storage, "", 3600)
    token, _ = await late.sign(CALLER, VIDEO, "video", None)
    assert (await early.check(token)).video_id == VIDEO, "re-read the stored secret once"


async def test_a_configured_secret_signs_and_other_secrets_do_not_verify(
    storage: Storage,
) -> None:
    configured = LinkSigner(storage, "operator-secret", 3600)
    token, _ = await configured.sign(CALLER, VIDEO, "video", None)
    assert not await storage.exists(SECRET_KEY), "nothing generated when one is configured"
    assert (await LinkSigner(storage, "operator-secret", 60).check(token)).video_id == VIDEO
    with pytest.raises(errors.LinkInvalid):
        await LinkSigner(storage, "another-secret", 3600).check(token)
    generated = LinkSigner(storage, "", 3600)
    with pytest.raises(errors.LinkInvalid):
        await generated.check(token)


async def test_tampered_malformed_and_expired_tokens_are_refused(storage: Storage) -> None:
    signer = LinkSigner(storage, "", 3600)
    token, _ = await signer.sign(CALLER, VIDEO, "video", None)
    payload, signature = token.split(".")
    named = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    other = named.replace(VIDEO, "video_" + "b" * 32)
    swapped = base64.urlsafe_b64encode(other.encode()).decode().rstrip("=")
    for bad in (f"{swapped}.{signature}", token[:-3], "", "a.b.c", "%%%.%%%", f"{payload}."):
        with pytest.raises(errors.LinkInvalid) as caught:
            await signer.check(bad)
        assert (caught.value.code, caught.value.http_status) == ("link_invalid", 403)

    old, _ = await signer.sign(CALLER, VIDEO, "video", time.time() - 10)
    with pytest.raises(errors.LinkExpired) as expired:
        await signer.check(old)
    assert (expired.value.code, expired.value.param) == ("link_expired", "token")
