"""One delivery attempt over HTTP, to an address checked the moment it is connected to.

A webhook URL is checked when it is registered and again on every attempt: the host is
resolved once and the connection pinned to that address, so a DNS answer that changes to a
private address after registration (DNS rebinding) is still refused.  Redirects are not
followed: a receiver that moved must be updated.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpx

from reelway import __version__, errors, inputs
from reelway.store.webhooks import Outcome

USER_AGENT = f"Reelway-Webhooks/{__version__}"
MAX_URL_LENGTH = 2048


class Refused(Exception):
    """The URL may not be delivered to; the message says why."""


def check_syntax(url: str) -> str:
    """The URL, stripped, if it is an absolute http(s) URL with a host."""
    if not isinstance(url, str) or not url.strip():
        raise errors.WebhookUrlNotAllowed("url must be a non-empty http(s) URL.", param="url")
    url = url.strip()
    if len(url) > MAX_URL_LENGTH:
        raise errors.WebhookUrlNotAllowed(
            f"url is longer than {MAX_URL_LENGTH} characters.", param="url"
        )
    try:
        parts = inputs.split_url(url)
    except ValueError as exc:
        raise errors.WebhookUrlNotAllowed(f"url {exc}.", param="url") from None
    if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        raise errors.WebhookUrlNotAllowed(
            f"url must be an absolute http(s) URL with a host, got {errors.show(url)}.",
            param="url",
        )
    if parts.username or parts.password:
        raise errors.WebhookUrlNotAllowed(
            "url must not carry credentials; verify deliveries by their signature instead.",
            param="url",
        )
    return url


async def resolve(url: str, *, allow_private: bool) -> str:
    """The address to connect to for ``url``, or ``Refused``."""
    try:
        parts = inputs.split_url(url)  # stored before URLs were checked this closely
    except ValueError as exc:
        raise Refused(f"the URL {exc}") from None
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme.lower() == "https" else 80)
    try:
        address = await inputs.allowed_address(host, port, allow_private=allow_private)
    except OSError:
        raise Refused(f"the host {host!r} could not be resolved") from None
    if address is not None:
        return address
    raise Refused(
        f"{host!r} resolves to a private, loopback or link-local address, which this server "
        "does not deliver to (operators can allow it with "
        "REELWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true)"
    )


async def check_url(url: str, *, allow_private: bool) -> str:
    """Check a URL being registered: syntax, then where it resolves."""
    url = check_syntax(url)
    try:
        await resolve(url, allow_private=allow_private)
    except Refused as exc:
        raise errors.WebhookUrlNotAllowed(f"url: {exc}.", param="url") from None
    return url


async def post(
    client: httpx.AsyncClient,
    url: str,
    body: str,
    headers: dict[str, str],
    *,
    timeout_seconds: float,
    allow_private: bool,
) -> Outcome:
    """POST the body once; never raises for the receiver's failures (whatever the HTTP
    client raises while sending is one)."""
    try:
        address = await resolve(url, allow_private=allow_private)
    except Refused as exc:
        return Outcome(None, str(exc))
    parts = urlsplit(url)
    request = client.build_request(
        "POST",
        inputs.pinned_url(parts, address),
        content=body.encode("utf-8"),
        headers={
            **headers,
            "host": parts.netloc,
            "content-type": "application/json",
            "user-agent": USER_AGENT,
        },
        extensions={"sni_hostname": parts.hostname} if parts.scheme == "https" else {},
        timeout=timeout_seconds,
    )
    try:
        async with asyncio.timeout(timeout_seconds + 1):
            response = await client.send(request, stream=True)
            try:
                excerpt = b"" if response.is_success else await _excerpt(response)
            finally:
                await response.aclose()
    except (httpx.TimeoutException, TimeoutError):
        return Outcome(None, f"no answer within {timeout_seconds:g}s")
    except httpx.HTTPError as exc:
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:300])
    except Exception as exc:
        # A receiver hanging up at an awkward moment can surface from inside the HTTP stack
        # as something other than an httpx error (httpcore on uvloop raises AttributeError
        # when the socket is reset just after connecting): still the receiver's failure, so
        # a failed attempt to retry, not a bug of ours to log with a traceback.
        return Outcome(None, f"connection failed ({type(exc).__name__}: {exc})"[:300])
    if response.is_success:
        return Outcome(response.status_code)
    text = excerpt.decode("utf-8", "replace").strip().replace("\n", " ")
    return Outcome(
        response.status_code, f"HTTP {response.status_code}" + (f": {text}" if text else "")
    )


async def _excerpt(response: httpx.Response, limit: int = 200) -> bytes:
    """The start of a failed answer's body, for the delivery log (never the whole of it)."""
    read = b""
    async for chunk in response.aiter_raw():
        read += chunk
        if len(read) >= limit:
            break
    return read[:limit]
