"""The webhook endpoint use cases, shared by the API and the CLI: validation, secrets, the
wire shape of OpenAI's ``webhook_endpoints`` resource, and sending a test event."""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

import httpx

from reelway import errors, ids
from reelway.store import batches as batch_events
from reelway.store import outbox
from reelway.store.webhooks import Endpoint, WebhookStore
from reelway.webhooks import sender, signing

EVENT_TYPES: tuple[str, ...] = (
    outbox.VIDEO_COMPLETED,
    outbox.VIDEO_FAILED,
    *batch_events.EVENTS.values(),
    outbox.BUDGET_THRESHOLD,
    outbox.ENDPOINT_DISABLED,
)
"""What Reelway raises: OpenAI's video and batch events, then Reelway's own."""

ROTATION_OVERLAP_SECONDS = 24 * 3600.0
MAX_NAME_LENGTH = 200
DEFAULT_PAGE = 20
MAX_PAGE = 100


def wire(endpoint: Endpoint, *, secret: bool = False) -> dict[str, Any]:
    """OpenAI's ``WebhookEndpoint`` (``WebhookEndpointWithSecret`` when the secret is shown,
    only at creation and rotation), plus Reelway's ``status`` and why it is disabled."""
    body: dict[str, Any] = {
        "id": endpoint.id,
        "object": "webhook_endpoint",
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": list(endpoint.event_types),
        "created_at": int(endpoint.created_at),
        "updated_at": int(endpoint.updated_at),
        "signing_secret_hint": signing.hint(endpoint.secret),
        "status": "disabled" if endpoint.disabled_at is not None else "enabled",
        "disabled_at": None if endpoint.disabled_at is None else int(endpoint.disabled_at),
        "disabled_reason": endpoint.disabled_reason,
    }
    if secret:
        body["signing_secret"] = endpoint.secret
    return body


class WebhookEndpoints:
    def __init__(
        self,
        store: WebhookStore,
        *,
        allow_private: bool,
        timeout_seconds: float,
        client: httpx.AsyncClient | None = None,
    ) -> None:
        self.store = store
        self.allow_private = allow_private
        self.timeout_seconds = timeout_seconds
        self._client = client

    async def create(self, project_id: str, params: Mapping[str, Any]) -> dict[str, Any]:
        _only(params, {"name", "url", "event_types"})
        name = _name(params.get("name"), required=True)
        url = await sender.check_url(_required(params, "url"), allow_private=self.allow_private)
        types = _event_types(_required(params, "event_types"))
        endpoint = await self.store.create(
            project_id, ids.new_id("we"), name, url, types, signing.new_secret()
        )
        return wire(endpoint, secret=True)

    async def get(self, project_id: str, endpoint_id: str) -> Endpoint:
        return _found(await self.store.get(project_id, endpoint_id), endpoint_id)

    async def list(
        self, project_id: str, *, after: str | None, limit: str | int | None
    ) -> dict[str, Any]:
        size = _limit(limit)
        found, has_more = await self.store.list_page(project_id, after=after or None, limit=size)
        data = [wire(e) for e in found]
        return {
            "object": "list",
            "data": data,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
            "has_more": has_more,
        }

    async def update(
        self, project_id: str, endpoint_id: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        _only(params, {"name", "url", "event_types", "enabled"})
        await self.get(project_id, endpoint_id)
        changes: dict[str, Any] = {}
        if params.get("name") is not None:
            changes["name"] = _name(params["name"], required=True)
        if params.get("url") is not None:
            changes["url"] = await sender.check_url(params["url"], allow_private=self.allow_private)
        if params.get("event_types") is not None:
            changes["event_types"] = _event_types(params["event_types"])
        enabled = params.get("enabled")
        if enabled is not None and not isinstance(enabled, bool):
            enabled = str(enabled).lower()
            if enabled not in ("true", "false"):
                raise errors.InvalidValue("enabled must be true or false.", param="enabled")
            enabled = enabled == "true"
        if enabled is False:
            raise errors.InvalidValue(
                "enabled can only be set to true (a failing endpoint is disabled by the "
                "server; delete an endpoint you no longer want).",
                param="enabled",
            )
        updated = await self.store.update(project_id, endpoint_id, changes, enable=bool(enabled))
        return wire(_found(updated, endpoint_id))

    async def delete(self, project_id: str, endpoint_id: str) -> dict[str, Any]:
        if not await self.store.delete(project_id, endpoint_id):
            raise _not_found(endpoint_id)
        return {"id": endpoint_id, "object": "webhook_endpoint.deleted", "deleted": True}

    async def rotate(
        self, project_id: str, endpoint_id: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        _only(params, {"keep_old_secret_active_for_24_hours", "keep_old_secret_seconds"})
        keep = 0.0
        if _flag(
            params.get("keep_old_secret_active_for_24_hours"), "keep_old_secret_active_for_24_hours"
        ):
            keep = ROTATION_OVERLAP_SECONDS
        if params.get("keep_old_secret_seconds") is not None:
            keep = _seconds(params["keep_old_secret_seconds"])
        rotated = await self.store.rotate(project_id, endpoint_id, signing.new_secret(), keep)
        return wire(_found(rotated, endpoint_id), secret=True)

    async def test(
        self, project_id: str, endpoint_id: str, params: Mapping[str, Any]
    ) -> dict[str, Any]:
        """Send one signed sample event now and say what the receiver answered; not
        retried, and not counted against the endpoint's health."""
        _only(params, {"event_type"})
        event_type = _required(params, "event_type")
        if event_type not in EVENT_TYPES:
            raise _unknown_type(event_type, "event_type")
        endpoint = await self.get(project_id, endpoint_id)
        now = time.time()
        subject = ids.new_id("video") if event_type.startswith("video.") else endpoint.id
        body = outbox.payload(ids.new_id("evt"), event_type, now, {"id": subject, "test": True})
        headers = signing.headers(endpoint.secrets_at(now), ids.new_id("wh"), int(now), body)
        client = self._client or httpx.AsyncClient(follow_redirects=False, trust_env=False)
        try:
            outcome = await sender.post(
                client,
                endpoint.url,
                body,
                headers,
                timeout_seconds=self.timeout_seconds,
                allow_private=self.allow_private,
            )
        finally:
            if self._client is None:
                await client.aclose()
        return {
            "object": "webhook_endpoint.test",
            "event_type": event_type,
            "status_code": outcome.status_code or 0,
            "success": True,
            "webhook_endpoint_id": endpoint.id,
            "error": outcome.error,
        }

    @staticmethod
    def event_types() -> dict[str, Any]:
        return {"object": "list", "data": list(EVENT_TYPES)}


def _not_found(endpoint_id: str) -> errors.WebhookEndpointNotFound:
    return errors.WebhookEndpointNotFound(
        f"No webhook endpoint found with id {errors.show(endpoint_id)}.",
        param="webhook_endpoint_id",
    )


def _found(endpoint: Endpoint | None, endpoint_id: str) -> Endpoint:
    if endpoint is None:
        raise _not_found(endpoint_id)
    return endpoint


def _only(params: Mapping[str, Any], allowed: set[str]) -> None:
    for key in params:
        if key not in allowed:
            raise errors.UnknownParameter(
                f"Unknown parameter {errors.show(key)}; expected one of {sorted(allowed)}.",
                param=key,
            )


def _required(params: Mapping[str, Any], key: str) -> Any:
    value = params.get(key)
    if value is None or value == "" or value == []:
        raise errors.MissingParameter(f"Missing required parameter: '{key}'.", param=key)
    return value


def _name(value: Any, *, required: bool) -> str:
    if not isinstance(value, str) or not value.strip():
        raise errors.InvalidValue("name must be a non-empty string.", param="name")
    if not value.isprintable():
        # A NUL cannot be stored in PostgreSQL, and control or direction characters would
        # garble the dashboard, the CLI's tables and the logs.
        raise errors.InvalidValue("name must contain printable characters only.", param="name")
    if len(value) > MAX_NAME_LENGTH:
        raise errors.InvalidValue(
            f"name is longer than {MAX_NAME_LENGTH} characters.", param="name"
        )
    return value.strip()


def _unknown_type(value: Any, param: str) -> errors.InvalidValue:
    return errors.InvalidValue(
        f"Unknown event type {errors.show(value)}; this server sends {list(EVENT_TYPES)}.",
        param=param,
    )


def _event_types(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value:
        raise errors.InvalidValue(
            "event_types must be a non-empty list of event types.", param="event_types"
        )
    chosen: list[str] = []
    for item in value:
        if item not in EVENT_TYPES:
            raise _unknown_type(item, "event_types")
        if item not in chosen:
            chosen.append(item)
    return chosen


def _flag(value: Any, param: str) -> bool:
    if value is None or isinstance(value, bool):
        return bool(value)
    text = str(value).lower()
    if text not in ("true", "false"):
        raise errors.InvalidValue(f"{param} must be true or false.", param=param)
    return text == "true"


def _seconds(value: Any) -> float:
    try:
        seconds = -1.0 if isinstance(value, bool) else float(value)  # true is not 1 second
    except (TypeError, ValueError, OverflowError):
        seconds = -1.0
    if not 0 <= seconds <= 7 * 24 * 3600:
        raise errors.InvalidValue(
            "keep_old_secret_seconds must be a number of seconds from 0 to 604800 (7 days).",
            param="keep_old_secret_seconds",
        )
    return seconds


def _limit(value: str | int | None) -> int:
    if value is None or value == "":
        return DEFAULT_PAGE
    try:
        size = int(value)
    except (TypeError, ValueError):
        size = 0
    if not 1 <= size <= MAX_PAGE:
        raise errors.InvalidValue(f"limit must be an integer from 1 to {MAX_PAGE}.", param="limit")
    return size
