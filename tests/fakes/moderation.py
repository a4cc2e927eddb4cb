"""A fake ``POST /v1/moderations``: OpenAI's moderation API as its clients see it, and as
strict: a missing or wrong key is a 401; a body that is not a JSON object, an unknown field,
an ``input`` that is not a string, a list of strings or a list of ``text`` / ``image_url``
parts, an image that is not an https or base64 ``data:image/…`` URL, or an image sent to a
text-only model is a 400; an unknown model is a 404; each in OpenAI's error envelope.

Text is flagged when it contains one of ``text_rules``' phrases; an image when
``image_category`` is set (every image) or when its average colour is mostly red and
``flag_red`` is set, so a test can script an output refusal by what the video shows.
"""

from __future__ import annotations

import base64
import binascii
import io
import re
from typing import Any

from PIL import Image, ImageStat

from tests.fakes.openai import authorize, check_fields, json_body, openai_error, refuse
from tests.fakes.server import FakeServer, Refused, Reply, Request

CATEGORIES = (
    "harassment", "harassment/threatening", "hate", "hate/threatening", "illicit",
    "illicit/violent", "self-harm", "self-harm/intent", "self-harm/instructions", "sexual",
    "sexual/minors", "violence", "violence/graphic",
)  # fmt: skip
MODELS = (
    "omni-moderation-latest", "omni-moderation-2024-09-26", "text-moderation-latest",
    "text-moderation-stable",
)  # fmt: skip
DATA_URL = re.compile(r"^data:image/(png|jpeg|gif|webp);base64,(?P<data>[A-Za-z0-9+/]+=*)$")


class FakeModeration(FakeServer):
    provider = "moderation"

    def __init__(self, api_key: str) -> None:
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

    def unrouted(self, request: Request) -> Reply:
        return openai_error(404, f"Invalid URL ({request.method} {request.path})")

    def moderate(self, request: Request) -> Reply:
        authorize(request, self.api_key)
        if request.media_type != "application/json":
            raise refuse(
                f"Unsupported content type: {request.headers.get('content-type', '')!r}. "
                "This API method only accepts 'application/json' requests."
            )
        body = json_body(request)
        if not isinstance(body, dict):
            raise refuse("Invalid type for the request body: expected an object.")
        check_fields(body, ("input", "model"))
        model = body.get("model", MODELS[0])
        if model not in MODELS:
            raise Refused(
                openai_error(404, f"The model '{model}' does not exist.", code="model_not_found")
            )
        if "input" not in body:
            raise refuse(
                "Missing required parameter: 'input'.",
                param="input",
                code="missing_required_parameter",
            )
        texts, images = _inputs(body["input"])
        if images and not model.startswith("omni-moderation"):
            raise refuse(
                f"Model '{model}' does not take images; use an omni-moderation model.",
                param="input",
                code="invalid_value",
            )
        with self.lock:
            self.inputs.append(body["input"])
        if (
            isinstance(body["input"], list)
            and not images
            and all(isinstance(item, str) for item in body["input"])
        ):
            results = [self._result(self._text(text), set()) for text in texts]
        else:
            hits = set().union(*(self._text(text) for text in texts))
            results = [self._result(hits, set().union(*(self._image(i) for i in images)))]
        return Reply(200, {"id": f"modr-{len(self.inputs)}", "model": model, "results": results})

    def _text(self, text: str) -> set[str]:
        lowered = text.lower()
        return {category for phrase, category in self.text_rules.items() if phrase in lowered}

    def _image(self, data: bytes | None) -> set[str]:
        """``data`` is None for an https image, which the fake does not fetch."""
        if data is None:
            return set()
        if self.image_category:
            return {self.image_category}
        if self.flag_red:
            with Image.open(io.BytesIO(data)) as image:
                r, g, b = ImageStat.Stat(image.convert("RGB")).mean
            if r > 150 and r > 2 * g and r > 2 * b:
                return {self.flag_red}
        return set()

    @staticmethod
    def _result(text_hits: set[str], image_hits: set[str]) -> dict[str, Any]:
        hits = text_hits | image_hits
        return {
            "flagged": bool(hits),
            "categories": {name: name in hits for name in CATEGORIES},
            "category_scores": {name: 0.97 if name in hits else 0.001 for name in CATEGORIES},
        }


def _inputs(value: Any) -> tuple[list[str], list[bytes | None]]:
    """The texts and images of an ``input``, checked as OpenAI checks them."""
    if isinstance(value, str):
        return [value], []
    if not isinstance(value, list) or not value:
        raise refuse(
            "Invalid type for 'input': expected a string, an array of strings or an array of "
            "text and image_url objects.",
            param="input",
            code="invalid_type",
        )
    if all(isinstance(item, str) for item in value):
        return list(value), []
    texts: list[str] = []
    images: list[bytes | None] = []
    for n, part in enumerate(value):
        where = f"input[{n}]"
        if not isinstance(part, dict) or part.get("type") not in ("text", "image_url"):
            raise refuse(
                f"Invalid '{where}': expected an object with type 'text' or 'image_url'.",
                param=where,
                code="invalid_type",
            )
        if part["type"] == "text":
            check_fields(part, ("type", "text"), f"{where}.")
            if not isinstance(part.get("text"), str):
                raise refuse(f"Invalid '{where}.text'.", param=f"{where}.text")
            texts.append(part["text"])
            continue
        check_fields(part, ("type", "image_url"), f"{where}.")
        image = part.get("image_url")
        url = image.get("url") if isinstance(image, dict) else None
        images.append(_image_bytes(url, f"{where}.image_url.url"))
    return texts, images


def _image_bytes(url: Any, param: str) -> bytes | None:
    """A data URL's image bytes, None for an https URL, or OpenAI's 400."""
    if isinstance(url, str) and url.startswith("https://"):
        return None
    found = DATA_URL.match(url) if isinstance(url, str) else None
    try:
        if found is None:
            raise ValueError(url)
        return base64.b64decode(found["data"], validate=True)
    except (binascii.Error, ValueError):
        raise refuse(
            f"Invalid '{param}': expected an https URL or a base64 data:image URL.",
            param=param,
            code="invalid_value",
        ) from None
