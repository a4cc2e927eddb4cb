"""A hosted moderation backend: any server that speaks OpenAI's ``POST /v1/moderations``.

Text is sent as ``input: "<text>"``; an image as one ``image_url`` part holding a data URL
(one image per call, as omni-moderation takes them).  The service's categories are folded
into Reelway's names (``sexual*`` -> ``adult``, ``violence*`` -> ``violence``, ``self-harm*``
-> ``self_harm`` …).  A failed call is retried once; then the stage reports the service as
unavailable rather than letting content through unchecked.
"""

from __future__ import annotations

import asyncio
import base64
from collections.abc import Mapping
from typing import Any

import httpx

from reelway import images
from reelway.policy.moderation import BackendUnavailable, Finding, Stage

NAME = "hosted"
DEFAULT_MODEL = "omni-moderation-latest"
RETRY_PAUSE_SECONDS = 0.5
FOLD = {"sexual": "adult", "violence": "violence", "self-harm": "self_harm"}
ADVICE = {
    "adult": "Remove sexual or suggestive content.",
    "violence": "Remove violence, injuries and weapons.",
}


class HostedModeration:
    """Text and image checks against an OpenAI-compatible moderation endpoint."""

    name = NAME

    def __init__(
        self,
        base_url: str,
        api_key: str = "",
        *,
        model: str = DEFAULT_MODEL,
        timeout_seconds: float = 10.0,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        headers = {"authorization": f"Bearer {api_key}"} if api_key else {}
        self.url = base_url.rstrip("/") + "/moderations"
        self.model = model
        self.client = httpx.AsyncClient(
            headers=headers, timeout=timeout_seconds, transport=transport
        )

    async def check_text(self, text: str) -> list[Finding]:
        return await self._check(text)

    async def check_image(self, image: bytes, stage: Stage) -> list[Finding]:
        mime = images.FORMATS[images.sniff(image[:12]) or "jpeg"]
        url = f"data:{mime};base64,{base64.b64encode(image).decode('ascii')}"
        return await self._check([{"type": "image_url", "image_url": {"url": url}}])

    async def _check(self, value: object) -> list[Finding]:
        body = {"model": self.model, "input": value}
        answer = await self._post(body)
        findings: list[Finding] = []
        for result in answer.get("results") or []:
            if not isinstance(result, Mapping):
                raise BackendUnavailable("the moderation service answered a malformed result")
            findings.extend(_findings(result))
        return findings

    async def _post(self, body: Mapping[str, Any]) -> Mapping[str, Any]:
        problem = ""
        for attempt in range(2):
            if attempt:
                await asyncio.sleep(RETRY_PAUSE_SECONDS)
            try:
                response = await self.client.post(self.url, json=body)
            except httpx.TimeoutException:
                problem = "timed out"
                continue
            except httpx.HTTPError as exc:
                problem = f"{type(exc).__name__}"
                continue
            if response.status_code in (401, 403):
                raise BackendUnavailable(
                    f"HTTP {response.status_code}: the moderation service refused this "
                    "server's key (REELWAY_MODERATION_API_KEY)"
                )
            if response.status_code != 200:
                problem = f"HTTP {response.status_code}"
                if response.status_code == 429 or response.status_code >= 500:
                    continue
                break
            try:
                data = response.json()
            except ValueError:
                problem = "not JSON"
                break
            if isinstance(data, Mapping):
                return data
            problem = "not a JSON object"
            break
        raise BackendUnavailable(problem)

    async def close(self) -> None:
        await self.client.aclose()


def category_name(raw: str) -> str:
    """The service's category in Reelway's vocabulary ("violence/graphic" -> "violence")."""
    head = raw.split("/", 1)[0]
    return FOLD.get(head, head.replace("-", "_").replace(" ", "_").lower())


def _findings(result: Mapping[str, Any]) -> list[Finding]:
    categories = result.get("categories") or {}
    scores = result.get("category_scores") or {}
    flagged = [name for name, hit in categories.items() if hit is True]
    if not flagged and result.get("flagged") is True:
        flagged = ["flagged"]
    found: dict[str, Finding] = {}
    for raw in flagged:
        name = category_name(raw)
        if name in found:
            continue
        score = scores.get(raw)
        evidence = f"{raw} {score:.2f}" if isinstance(score, int | float) else raw
        found[name] = Finding(name, NAME, evidence, ADVICE.get(name))
    return list(found.values())
