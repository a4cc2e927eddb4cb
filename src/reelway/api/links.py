"""Signed, expiring video links that work without an API key: ``GET /links/{token}``.

A chat completion answers with a link a browser or a markdown viewer can open, so it cannot
carry the key.  The token names the project, the video, the variant and the expiry, signed
with HMAC-SHA256; the route serves it through the same content lookup and file response as
``GET /v1/videos/{id}/content`` (ranges, types; a deleted video is the same 404, an expired
one the same 410).

The secret is ``REELWAY_LINK_SECRET`` or, unset, one random secret made on first use and
kept in the deployment's storage, so every API process and machine signs and checks alike.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import hashlib
import hmac
import io
import secrets
import time
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reelway import errors
from reelway.api import content
from reelway.service import Caller, VideoService
from reelway.storage import Storage

SECRET_KEY = "secrets/link-signing.key"
"""Where the generated secret is kept in the storage (64 hex digits)."""
RELOAD_SECONDS = 30.0
"""A link that fails its check re-reads the stored secret (another process may have
written its own on the same first use): the first time, then at most this often."""
LINK_KEY_ID = "link"
"""The ``key_id`` of the caller a link acts as (it carries no API key)."""


@dataclass(frozen=True)
class Link:
    project_id: str
    video_id: str
    variant: str
    expires_at: int


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class LinkSigner:
    """Signs and checks link tokens; the secret is read (or made) once and cached."""

    def __init__(self, storage: Storage, secret: str, seconds: int) -> None:
        self.storage = storage
        self.seconds = seconds
        self._configured = secret.encode("utf-8") if secret else None
        self._secret: bytes | None = self._configured
        self._reloaded_at = float("-inf")
        self._lock = asyncio.Lock()

    async def secret(self) -> bytes:
        if self._secret is None:
            async with self._lock:
                if self._secret is None:
                    self._secret = await self._load(create=True)
        return self._secret

    async def _load(self, *, create: bool) -> bytes:
        """The stored secret; made and stored first when there is none (then read back, so
        two processes racing on first use end with the one that was written last)."""
        if not await self.storage.exists(SECRET_KEY):
            if not create:
                raise errors.LinkInvalid("This server has not signed any link yet.")
            fresh = secrets.token_hex(32).encode("ascii")
            await self.storage.put_stream(SECRET_KEY, io.BytesIO(fresh), "text/plain")
        chunks = [c async for c in self.storage.open_range(SECRET_KEY, 0, 63)]
        return b"".join(chunks)

    async def sign(
        self, caller: Caller, video_id: str, variant: str, files_expire_at: float | None
    ) -> tuple[str, int]:
        """A token for one variant of a video, and when it expires (never after its files)."""
        expires = int(time.time()) + self.seconds
        if files_expire_at is not None:
            expires = min(expires, int(files_expire_at))
        payload = f"{caller.project_id}:{video_id}:{variant}:{expires}".encode()
        signature = hmac.digest(await self.secret(), payload, hashlib.sha256)
        return f"{_b64(payload)}.{_b64(signature)}", expires

    async def check(self, token: str) -> Link:
        """The link a token names; ``LinkInvalid`` unless this server signed it as it is,
        ``LinkExpired`` once its time has passed."""
        try:
            encoded, signature_text = token.split(".")
            payload, signature = _unb64(encoded), _unb64(signature_text)
            project_id, video_id, variant, expires = payload.decode("utf-8").split(":")
            expires_at = int(expires)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            raise errors.LinkInvalid(param="token") from None
        if not await self._signed(payload, signature):
            raise errors.LinkInvalid(param="token")
        if expires_at <= time.time():
            raise errors.LinkExpired(
                f"This video link expired at {expires_at} (Unix time); ask for the video again "
                "for a new link, or download it with an API key.",
                param="token",
            )
        return Link(project_id, video_id, variant, expires_at)

    async def _signed(self, payload: bytes, signature: bytes) -> bool:
        if self._matches(await self.secret(), payload, signature):
            return True
        if self._configured is not None or time.monotonic() - self._reloaded_at < RELOAD_SECONDS:
            return False
        async with self._lock:
            self._reloaded_at = time.monotonic()
            self._secret = await self._load(create=False)
        return self._matches(self._secret, payload, signature)

    @staticmethod
    def _matches(secret: bytes, payload: bytes, signature: bytes) -> bool:
        return hmac.compare_digest(hmac.digest(secret, payload, hashlib.sha256), signature)


class LinkRoutes:
    """``GET /links/{token}``: no API key; the token is the permission."""

    def __init__(self, service: VideoService, signer: LinkSigner) -> None:
        self.service = service
        self.signer = signer

    def routes(self) -> list[Route]:
        return [Route("/links/{token}", self.serve, methods=["GET", "HEAD"])]

    async def serve(self, request: Request) -> Response:
        link = await self.signer.check(request.path_params["token"])
        caller = Caller(project_id=link.project_id, key_id=LINK_KEY_ID)
        request.scope.setdefault("state", {})["project_id"] = link.project_id
        found = await self.service.content(caller, link.video_id, link.variant)
        stem = found.video.id if link.variant == "video" else f"{found.video.id}.{link.variant}"
        response = content.file_response(request, self.service.storage, found.asset, stem)
        # The link is the permission: caches between may keep it no longer than it lasts.
        response.headers["cache-control"] = (
            f"private, max-age={max(0, min(3600, link.expires_at - int(time.time())))}"
        )
        return response
