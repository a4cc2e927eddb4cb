"""HTTP plumbing shared by the hosted-provider engines: one place that turns transport
failures and HTTP statuses into Reelway's upstream error codes.

Every foreign failure is mapped here, at the boundary where it enters, so an engine file only
says what is particular to its provider: its endpoints, its JSON, its status names and
failure codes.  The provider's own status, code and request id travel in the error's
``upstream`` detail for the operator; credentials never appear in a message.
"""

from __future__ import annotations

import contextlib
import email.utils
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx

from reelway import errors

REQUEST_ID_HEADERS = ("x-request-id", "request-id", "x-amzn-requestid", "x-cloud-trace-context")
MESSAGE_LIMIT = 300
DOWNLOAD_CHUNK = 1 << 20


@dataclass(frozen=True)
class ProviderFault:
    """What a provider's error body says, in its own words."""

    code: str | None = None
    message: str | None = None


ErrorParser = Callable[[Any], ProviderFault]
"""Reads a provider's error body (already parsed JSON, or None) into a ``ProviderFault``."""


def default_error_parser(body: Any) -> ProviderFault:
    """Understands the common shapes: ``{"error": {"code", "message"}}``, ``{"error": "text"}``
    and ``{"code", "message"}``."""
    if not isinstance(body, dict):
        return ProviderFault()
    error = body.get("error", body)
    if isinstance(error, str):
        return ProviderFault(message=error)
    if not isinstance(error, dict):
        return ProviderFault()
    code = error.get("code") or error.get("status") or error.get("type")
    message = error.get("message") or error.get("detail")
    return ProviderFault(
        code=str(code) if code is not None else None,
        message=str(message) if message is not None else None,
    )


def retry_after_seconds(headers: Mapping[str, str]) -> float | None:
    """``retry-after-ms``, else ``retry-after`` as seconds or an HTTP date; None if absent."""
    lowered = {k.lower(): v for k, v in headers.items()}
    raw_ms = lowered.get("retry-after-ms")
    if raw_ms:
        try:
            return max(0.0, float(raw_ms) / 1000)
        except ValueError:
            pass
    raw = lowered.get("retry-after")
    if not raw:
        return None
    try:
        return max(0.0, float(raw))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(raw)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


STATUS_ERRORS: tuple[tuple[frozenset[int] | None, type[errors.UpstreamError], str], ...] = (
    (
        frozenset({401, 402, 403}),
        errors.UpstreamAuthFailed,
        "The credentials or account the operator set for this provider need attention.",
    ),
    (frozenset({429}), errors.UpstreamRateLimited, "The provider's rate limit was reached."),
    (frozenset({408, 504}), errors.UpstreamTimeout, "The provider timed out."),
    (
        frozenset(range(500, 600)) - {504},
        errors.UpstreamUnavailable,
        "The provider is failing or overloaded.",
    ),
    (
        frozenset({400, 404, 405, 409, 413, 415, 422}),
        errors.UpstreamInvalidRequest,
        "The provider refused the request as invalid.",
    ),
    (None, errors.UpstreamProtocolError, "This engine does not expect that status."),
)
"""HTTP error statuses of every provider -> Reelway errors (None: any other status)."""

HTTP_ERRORS: tuple[tuple[str, type[errors.UpstreamError]], ...] = (
    ("HTTP 401, 402, 403", errors.UpstreamAuthFailed),
    ("HTTP 429 (its `Retry-After` blocks the engine for every worker)", errors.UpstreamRateLimited),
    ("HTTP 408, 504; no answer within the engine's `timeout`", errors.UpstreamTimeout),
    ("HTTP 500-599 but 504; refused, reset or dropped connections", errors.UpstreamUnavailable),
    ("HTTP 400, 404, 405, 409, 413, 415, 422", errors.UpstreamInvalidRequest),
    ("any other HTTP status; a body that is not JSON", errors.UpstreamProtocolError),
    ("the result URL answers 401, 403, 404 or 410", errors.UpstreamResultExpired),
)
"""The same rules as prose, for docs/errors.md (a test checks both)."""


def classify_status(status: int) -> tuple[type[errors.UpstreamError], str]:
    for statuses, kind, advice in STATUS_ERRORS:
        if statuses is None or status in statuses:
            return kind, advice
    raise AssertionError("STATUS_ERRORS ends with a catch-all")


class ProviderClient:
    """An ``httpx.AsyncClient`` for one engine, with errors mapped to ``errors.Upstream*``."""

    def __init__(
        self,
        engine: str,
        provider: str,
        base_url: str,
        *,
        headers: Mapping[str, str] | None = None,
        credentials: Mapping[str, str] | None = None,
        timeout: float = 30.0,
        secrets: Iterable[str] = (),
        error_parser: ErrorParser = default_error_parser,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.engine = engine
        self.provider = provider
        self.secrets = tuple(s for s in secrets if s)
        self.credentials = dict(credentials or {})
        """Headers sent only to the API's own host: result files on a CDN get none (the key
        would leak, and a presigned URL refuses a second auth mechanism)."""
        self.error_parser = error_parser
        self.http = httpx.AsyncClient(
            base_url=base_url.rstrip("/") + "/",
            headers=dict(headers or {}),
            timeout=httpx.Timeout(timeout, connect=min(timeout, 10.0)),
            follow_redirects=False,
            transport=transport,
        )

    async def close(self) -> None:
        await self.http.aclose()

    # ------------------------------------------------------------------ JSON calls

    async def json_call(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        what: str = "request",
    ) -> Any:
        """Send one request; the parsed JSON of a 2xx answer, or an ``Upstream*`` error."""
        response = await self.send(
            method,
            path,
            json_body=json_body,
            params=params,
            headers=headers,
            files=files,
            data=data,
            what=what,
        )
        return self.parse_json(response, what)

    async def send(
        self,
        method: str,
        path: str,
        *,
        json_body: Any = None,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        files: Any = None,
        data: Mapping[str, Any] | None = None,
        what: str = "request",
    ) -> httpx.Response:
        """Send one request; the 2xx response, or an ``Upstream*`` error."""
        try:
            response = await self.http.request(
                method,
                path.lstrip("/"),
                json=json_body,
                params=params,
                headers={**self.credentials_for(path), **(headers or {})},
                files=files,
                data=data,
            )
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, what) from None
        if response.is_success:
            return response
        raise self.status_error(response, what)

    def parse_json(self, response: httpx.Response, what: str) -> Any:
        try:
            return response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            raise errors.UpstreamProtocolError(
                f"{self.provider} answered the {what} with something that is not JSON "
                f"(HTTP {response.status_code}, {len(response.content)} bytes).",
                upstream=self.detail(response),
            ) from None

    # ------------------------------------------------------------------ downloads

    async def download(
        self, url: str, *, headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[bytes]:
        """Stream a result file; an expired or vanished URL is ``UpstreamResultExpired``."""
        try:
            sent = {**self.credentials_for(url), **(headers or {})}
            async with self.http.stream("GET", url, headers=sent) as response:
                if response.status_code in (401, 403, 404, 410):
                    await response.aread()
                    raise errors.UpstreamResultExpired(
                        f"{self.provider}'s result URL answered HTTP {response.status_code}: it "
                        "has expired or the file is gone.",
                        upstream=self.detail(response),
                    )
                if not response.is_success:
                    await response.aread()
                    raise self.status_error(response, "download")
                async for chunk in response.aiter_bytes(DOWNLOAD_CHUNK):
                    yield chunk
        except httpx.HTTPError as exc:
            raise self.transport_error(exc, "download") from None

    def credentials_for(self, url: str) -> dict[str, str]:
        """The credentials, if ``url`` is on the API's own host (or relative to it)."""
        target, api = httpx.URL(url), self.http.base_url
        own = not target.is_absolute_url or (
            (target.scheme, target.host, target.port) == (api.scheme, api.host, api.port)
        )
        return dict(self.credentials) if own else {}

    # ------------------------------------------------------------------ mapping

    def detail(
        self, response: httpx.Response | None = None, fault: ProviderFault | None = None
    ) -> dict[str, Any]:
        """What the operator needs to chase a failure with the provider."""
        found: dict[str, Any] = {"engine": self.engine, "provider": self.provider}
        if response is not None:
            found["http_status"] = response.status_code
            for name in REQUEST_ID_HEADERS:
                if name in response.headers:
                    found["request_id"] = response.headers[name]
                    break
        if fault is not None:
            if fault.code:
                found["provider_code"] = self.redact(fault.code)[:100]
            if fault.message:
                found["provider_message"] = self.redact(fault.message)[:MESSAGE_LIMIT]
        return found

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        return text

    def transport_error(self, exc: httpx.HTTPError, what: str) -> errors.UpstreamError:
        detail = {"engine": self.engine, "provider": self.provider, "transport": type(exc).__name__}
        if isinstance(exc, httpx.TimeoutException):
            return errors.UpstreamTimeout(
                f"{self.provider} did not answer the {what} in time; another engine on the "
                "route takes over if there is one.",
                upstream=detail,
            )
        return errors.UpstreamUnavailable(
            f"{self.provider} could not be reached for the {what} ({type(exc).__name__}); "
            "another engine on the route takes over if there is one.",
            upstream=detail,
        )

    def status_error(self, response: httpx.Response, what: str) -> errors.UpstreamError:
        """Map an HTTP error status (and the provider's error body) to one Reelway code."""
        try:
            body = response.json()
        except (json.JSONDecodeError, UnicodeDecodeError):
            body = None
        fault = self.error_parser(body)
        if fault.message is None and body is None and response.content:
            fault = ProviderFault(fault.code, response.text[:MESSAGE_LIMIT])
        status = response.status_code
        # Providers end their messages with a full stop; ours adds one after it.
        said = (
            f": {self.redact(fault.message)[:MESSAGE_LIMIT].rstrip('. ')}" if fault.message else ""
        )
        upstream = self.detail(response, fault)
        retry_after = retry_after_seconds(response.headers)
        head = f"{self.provider} answered the {what} with HTTP {status}{said}"
        kind, advice = classify_status(status)
        return kind(
            f"{head}. {advice.format(provider=self.provider)}",
            upstream=upstream,
            retry_after=retry_after if kind.retryable else None,
        )

    def protocol_error(self, what: str, body: Any = None) -> errors.UpstreamProtocolError:
        shown = self.redact(json.dumps(body, default=str))[:200] if body is not None else ""
        return errors.UpstreamProtocolError(
            f"{self.provider} answered the {what} with something unexpected"
            + (f": {shown}" if shown else "."),
            upstream={"engine": self.engine, "provider": self.provider},
        )


def require(mapping: Any, key: str, client: ProviderClient, what: str) -> Any:
    """``mapping[key]`` from a provider's JSON, or a protocol error that says what is missing."""
    if not isinstance(mapping, dict) or key not in mapping or mapping[key] is None:
        raise client.protocol_error(f"{what} (no {key!r})", mapping)
    return mapping[key]


LOST_WHILE_POLLING = errors.UpstreamGenerationFailed
"""What an HTTP 404 to a status check becomes: the provider lost the job (deleted, expired),
so polling again cannot help; the job fails over, or is made again."""


def lost_job(exc: errors.UpstreamInvalidRequest, message: str) -> errors.UpstreamError:
    """``exc`` as ``LOST_WHILE_POLLING`` (saying ``message``) when it is an HTTP 404, else
    ``exc`` itself: the one rule the hosted engines apply to a job that vanished upstream."""
    if exc.upstream.get("http_status") == 404:
        return LOST_WHILE_POLLING(message, upstream=exc.upstream)
    return exc


@contextlib.contextmanager
def polling(message: str) -> Iterator[None]:
    """Around a status check: a 404 raises ``lost_job``'s error instead of an invalid request."""
    try:
        yield
    except errors.UpstreamInvalidRequest as exc:
        found = lost_job(exc, message)
        if found is exc:
            raise
        raise found from None
