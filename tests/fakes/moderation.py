"""A fake ``POST /v1/moderations``: OpenAI's moderation API as its clients see it.

Text is flagged when it contains one of ``text_rules``' phrases; an image when
``image_category`` is set (every image) or when its average colour is mostly red and
``flag_red`` is set, so a test can script an output refusal by what the video shows.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image, ImageStat

from tests.fakes.server import FakeServer, Reply, Request

CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip


class FakeModeration(FakeServer):
    provider = "moderation"

    def __init__(self, api_key: str | None = None) -> None:
        super().__init__(b"")
        self.api_key = api_key
        self.text_rules: dict[str, str] = {}
        """Phrase (lower case) -> the category it flags."""
        self.image_category: str | None = None
        self.flag_red: str | None = None
        """Flag images whose mean colour is mostly red, with this category."""
        self.inputs: list[Any] = []
        self.route("POST", "/v1/moderations", "moderate", self.moderate)
        self.start()

    @property
    def v1(self) -> str:
        return self.base_url + "/v1"

    def moderate(self, request: Request) -> Reply:
        if self.api_key and request.headers.get("authorization") != f"Bearer {self.api_key}":
            return Reply(401, {"error": {"message": "Incorrect API key provided."}})
        body = request.json()
        if not isinstance(body, dict) or "input" not in body:
            return Reply(400, {"error": {"message": "'input' is a required property"}})
        value = body["input"]
        with self.lock:
            self.inputs.append(value)
        hits: set[str] = set()
        if isinstance(value, str):
            lowered = value.lower()
            hits |= {cat for phrase, cat in self.text_rules.items() if phrase in lowered}
        elif isinstance(value, list):
            for part in value:
                if part.get("type") == "image_url":
                    hits |= self._image(part["image_url"]["url"])
                elif part.get("type") == "text":
                    lowered = part["text"].lower()
                    hits |= {c for p, c in self.text_rules.items() if p in lowered}
        else:
            return Reply(400, {"error": {"message": "Invalid type for 'input'"}})
        result = {
            "flagged": bool(hits),
            "categories": {name: name in hits for name in CATEGORIES},
            "category_scores": {name: 0.97 if name in hits else 0.001 for name in CATEGORIES},
        }
        return Reply(200, {"id": f"modr-{len(self.inputs)}", "model": body.get("model"),
                           "results": [result]})  # fmt: skip

    def _image(self, url: str) -> set[str]:
        header, _, data = url.partition(",")
        if not header.startswith("data:image/") or ";base64" not in header:
            return set()
        if self.image_category:
            return {self.image_category}
        if self.flag_red:
            with Image.open(io.BytesIO(base64.b64decode(data))) as image:
                r, g, b = ImageStat.Stat(image.convert("RGB")).mean
            if r > 150 and r > 2 * g and r > 2 * b:
                return {self.flag_red}
        return set()
