"""Fetching ``input_reference.image_url``: data URLs, and http(s) URLs with hard limits.

A URL fetch is bounded in time and size, follows at most a few redirects, and refuses
loopback, private and link-local addresses unless the operator allows them (server-side
request forgery).  The address checked is the address connected to: the host is resolved
once and the connection pinned to that IP, so DNS cannot change its answer in between.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import io
import ipaddress
import socket
import tempfile
from typing import BinaryIO
from urllib.parse import SplitResult, urljoin, urlsplit, urlunsplit

import httpx

from reelway import errors, numeric

MAX_REDIRECTS = 3
SPOOL_BYTES = 1024 * 1024
DATA_URL_INLINE_CHARS = 64 * 1024
"""Data URLs longer than this are decoded in a thread (a 20 MiB image takes ~0.3 s)."""
_BASE64_CHUNK = 256 * 1024
"""Decoded a slice at a time, so the thread lets go of the GIL every few milliseconds."""


async def load_image_url(
    url: str, *, param: str, max_bytes: int, timeout_seconds: float, allow_private: bool
) -> BinaryIO:
    """The bytes behind a data URL or an http(s) URL, as a file positioned at its start."""
    if not isinstance(url, str) or not url.strip():
        raise errors.InvalidValue(f"{param} must be a non-empty URL string.", param=param)
    url = url.strip()
    if url[:5].lower() == "data:":
        if len(url) <= DATA_URL_INLINE_CHARS:
            return io.BytesIO(decode_data_url(url, param=param, max_bytes=max_bytes))
        data = await asyncio.to_thread(decode_data_url, url, param=param, max_bytes=max_bytes)
        return io.BytesIO(data)
    try:
        scheme = split_url(url).scheme.lower()
    except ValueError as exc:
        raise errors.InvalidValue(f"{param} {exc}.", param=param) from None
    if scheme not in {"http", "https"}:
        raise errors.InvalidValue(
            f"{param} must be an http(s) URL or a base64 data URL, got scheme {scheme!r}.",
            param=param,
        )
    try:
        return await asyncio.wait_for(
            _fetch(url, param=param, max_bytes=max_bytes, allow_private=allow_private),
            timeout_seconds,
        )
    except TimeoutError:
        raise errors.ImageFetchFailed(
            f"{param}: fetching the image took longer than {timeout_seconds:g}s.", param=param
        ) from None


def decode_data_url(url: str, *, param: str, max_bytes: int) -> bytes:
    header, sep, payload = url.partition(",")
    if not sep or not header.lower().endswith(";base64"):
        raise errors.InvalidValue(
            f"{param} data URL must be base64-encoded: data:image/png;base64,<data>.", param=param
        )
    if len(payload) * 3 // 4 > max_bytes + 3:
        raise errors.ImageTooLarge(
            f"{param} decodes to more than {max_bytes} bytes, the limit.", param=param
        )
    decoded = bytearray()
    carry = ""
    try:
        for start in range(0, len(payload), _BASE64_CHUNK):
            text = carry + "".join(payload[start : start + _BASE64_CHUNK].split())
            whole = len(text) - len(text) % 4
            if "=" in text[:whole] and payload[start + _BASE64_CHUNK :].strip():
                raise ValueError("padding before the end")
            decoded += base64.b64decode(text[:whole], validate=True)
            carry = text[whole:]
        if carry:
            decoded += base64.b64decode(carry, validate=True)
    except (binascii.Error, ValueError):
        raise errors.InvalidValue(f"{param} data URL is not valid base64.", param=param) from None
    return bytes(decoded)


async def _fetch(url: str, *, param: str, max_bytes: int, allow_private: bool) -> BinaryIO:
    async with httpx.AsyncClient(follow_redirects=False, trust_env=False) as client:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                parts = split_url(url)
            except ValueError as exc:  # only a redirect's Location can get here
                raise errors.ImageFetchFailed(
                    f"{param}: the image's server redirected to a URL that {exc}.", param=param
                ) from None
            if parts.scheme.lower() not in {"http", "https"}:
                raise errors.ImageFetchFailed(
                    f"{param}: the image's server redirected to a {parts.scheme!r} URL; only "
                    "http(s) is fetched.",
                    param=param,
                )
            host = parts.hostname
            if not host:
                raise errors.InvalidValue(f"{param} has no host: {url!r}.", param=param)
            address = await _resolve(host, parts.port, param=param, allow_private=allow_private)
            request = client.build_request(
                "GET",
                pinned_url(parts, address),
                headers={"Host": parts.netloc.rsplit("@", 1)[-1], "Accept": "image/*"},
                extensions={"sni_hostname": host} if parts.scheme == "https" else {},
            )
            try:
                response = await client.send(request, stream=True)
            except httpx.HTTPError as exc:
                raise errors.ImageFetchFailed(
                    f"{param}: could not fetch {_redact(url)} ({type(exc).__name__}).",
                    param=param,
                ) from None
            try:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    continue
                if response.status_code != 200:
                    raise errors.ImageFetchFailed(
                        f"{param}: {_redact(url)} answered HTTP {response.status_code}.",
                        param=param,
                    )
                return await _read_capped(response, param=param, max_bytes=max_bytes)
            finally:
                await response.aclose()
    raise errors.ImageFetchFailed(f"{param}: more than {MAX_REDIRECTS} redirects.", param=param)


async def _read_capped(response: httpx.Response, *, param: str, max_bytes: int) -> BinaryIO:
    """Spool the body to a temporary file (in memory only while it is small)."""
    declared = response.headers.get("content-length") or ""
    if numeric.is_digits(declared) and numeric.capped(declared, max_bytes + 1) > max_bytes:
        raise errors.ImageTooLarge(
            f"{param} is {errors.show(declared, 30)} bytes; the limit is {max_bytes} bytes.",
            param=param,
        )
    spool = spooled_file()
    total = 0
    try:
        async for chunk in response.aiter_bytes():
            total += len(chunk)
            if total > max_bytes:
                raise errors.ImageTooLarge(
                    f"{param} is larger than the limit of {max_bytes} bytes.", param=param
                )
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def split_url(url: str) -> SplitResult:
    """``urlsplit`` with the checks it leaves for later: a broken bracketed IPv6 host, and a
    port that is not a number from 1 to 65535 (``.port`` raises ValueError for those, deep
    inside whoever reads it first), and control characters or spaces, which urlsplit strips
    or keeps but the HTTP client refuses.  ValueError's message completes "<the URL> ..."."""
    if any(ord(char) < 0x21 or 0x7F <= ord(char) < 0xA0 for char in url):
        raise ValueError("contains a space or a control character; percent-encode it")
    try:
        parts = urlsplit(url)
    except ValueError:
        raise ValueError(
            "is not a valid URL (a bracketed IPv6 host must be a complete address, such as "
            "http://[2001:db8::1]/)"
        ) from None
    try:
        port = parts.port
    except ValueError:
        port = 0
    if port == 0:
        raise ValueError("has a port that is not a number from 1 to 65535")
    return parts


def spooled_file() -> BinaryIO:
    """A temporary file that stays in memory up to 1 MiB and moves to disk beyond."""
    return tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES)  # type: ignore[return-value]


async def allowed_address(host: str, port: int, *, allow_private: bool) -> str | None:
    """The first address ``host`` resolves to that may be connected to (a public one, unless
    private networks are allowed), or None; ``OSError`` when it does not resolve."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    for info in infos:
        address = str(info[4][0])
        if allow_private or is_public_address(address):
            return address
    return None


def pinned_url(parts: SplitResult, address: str) -> str:
    """The URL with its host replaced by the address checked, so the connection goes where
    the check looked (send the original host as ``Host`` and, for https, the SNI name)."""
    netloc = f"[{address}]" if ":" in address else address
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path or "/", parts.query, ""))


async def _resolve(host: str, port: int | None, *, param: str, allow_private: bool) -> str:
    try:
        address = await allowed_address(host, port or 443, allow_private=allow_private)
    except OSError:
        raise errors.ImageFetchFailed(
            f"{param}: the host {host!r} could not be resolved.", param=param
        ) from None
    if address is not None:
        return address
    raise errors.ImageFetchFailed(
        f"{param}: {host!r} resolves to a private, loopback or link-local address, which this "
        "server does not fetch (operators can allow it with "
        "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS=true).",
        param=param,
    )


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")
"""The well-known NAT64 prefix (RFC 6052): the last 32 bits are the IPv4 address reached."""
_NAT64_LOCAL = ipaddress.IPv6Network("64:ff9b:1::/48")
"""NAT64 for local use (RFC 8215): a network's own translator, never public."""
_EMBEDDED_LOW_32 = (
    ipaddress.IPv6Network("::/96"),  # IPv4-compatible (deprecated), also :: and ::1
    ipaddress.IPv6Network("::ffff:0:0/96"),  # IPv4-mapped
    ipaddress.IPv6Network("::ffff:0:0:0/96"),  # SIIT, IPv4-translated (RFC 6145)
    _NAT64,
)


def is_public_address(address: str) -> bool:
    """Whether an address is on the public internet (not private, loopback, link-local,
    site-local, multicast or reserved).

    ``is_global`` alone calls many IPv6 addresses public that lead to a private IPv4 one
    (``64:ff9b::a9fe:a9fe`` reaches 169.254.169.254 through NAT64): an IPv6 address that
    embeds an IPv4 address is judged by that IPv4 address.
    """
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.is_site_local or ip in _NAT64_LOCAL or ip.teredo is not None:
            return False  # Teredo relays to whatever sits behind the client's NAT
        embedded = _embedded_ipv4(ip)
        if embedded is not None:
            return _is_public(embedded)
    return _is_public(ip)


def _embedded_ipv4(ip: ipaddress.IPv6Address) -> ipaddress.IPv4Address | None:
    """The IPv4 address a 6to4, NAT64, SIIT, IPv4-mapped or -compatible address leads to."""
    if ip.sixtofour is not None:
        return ip.sixtofour
    if any(ip in network for network in _EMBEDDED_LOW_32):
        return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return None


def _is_public(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return ip.is_global and not ip.is_multicast


def _redact(url: str) -> str:
    """The URL without credentials or query (which may carry signatures)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:  # an IPv6 literal keeps its brackets
        host = f"[{host}]"
    if parts.port:
        host += f":{parts.port}"
    return urlunsplit((parts.scheme, host, parts.path, "", ""))
