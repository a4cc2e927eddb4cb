"""Video through chat completions: a chat request read as a create, and the wait for its end.

Clients written for reseller gateways call ``chat.completions.create(model="sora-2", ...)``.
This use case turns such a body into the parameters of ``VideoService.create`` (the same
admission, limits, moderation, billing, idempotency and webhooks as ``POST /v1/videos``) and
watches the video until it ends; the API layer shapes the ``chat.completion`` answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

from reelway import errors, jobs, validation
from reelway.service import Caller, Created, VideoService

POLL_SECONDS = 0.5
"""How often a waiting chat request reads its video (a row by primary key)."""

CHAT_FIELDS = frozenset(
    {"model", "messages", "stream", "stream_options", "n", "user", "metadata", "store"}
    | {"safety_identifier"}
)
"""Chat fields this endpoint takes; ``user``, ``metadata``, ``store`` and
``safety_identifier`` change nothing about the video and are accepted as the SDKs send them."""

CREATE_EXTRAS = validation.CREATE_FIELDS - {"prompt", "model"}
"""Create fields a chat body may carry as extra fields (``extra_body``); ``seed`` and
``service_tier`` are chat fields too and mean the same here."""

TEXT_ONLY = frozenset(
    {
        "max_tokens",
        "max_completion_tokens",
        "temperature",
        "top_p",
        "frequency_penalty",
        "presence_penalty",
        "logit_bias",
        "logprobs",
        "top_logprobs",
        "tools",
        "tool_choice",
        "functions",
        "function_call",
        "parallel_tool_calls",
        "response_format",
        "stop",
        "modalities",
        "audio",
        "prediction",
        "reasoning_effort",
        "verbosity",
        "web_search_options",
        "prompt_cache_key",
    }
)
"""Chat fields that shape generated text: refused by name, since a video ignores them."""


@dataclass(frozen=True)
class ChatAsk:
    """A chat body read as a video request."""

    model: str
    params: dict[str, Any]
    """The parameters of ``VideoService.create``."""
    stream: bool
    include_usage: bool


def read(body: Mapping[str, Any], video_models: tuple[str, ...]) -> ChatAsk:
    """The chat body as a create: fields checked by name, the prompt and the image found."""
    for name in body:
        if name in CHAT_FIELDS or name in CREATE_EXTRAS:
            continue
        if name in TEXT_ONLY:
            raise errors.UnsupportedParameter(
                f"{name} shapes generated text; a video model does not take it. Video "
                "parameters (size, seconds, seed, characters...) go as extra body fields.",
                param=name,
            )
        if name == "prompt":
            raise errors.UnknownParameter(
                "The prompt is the text of the last user message; do not send prompt too.",
                param="prompt",
            )
        allowed = ", ".join(sorted(CHAT_FIELDS | CREATE_EXTRAS))
        raise errors.UnknownParameter(
            f"Unknown parameter: {errors.show(name)}. Allowed parameters: {allowed}.",
            param=name,
        )
    model = _model(body.get("model"), video_models)
    n = body.get("n")
    if n is not None and (isinstance(n, bool) or n != 1):
        raise errors.InvalidValue(
            f"Invalid n {errors.show(n)}: one chat completion makes one video, so n must be 1.",
            param="n",
        )
    stream = _flag(body, "stream")
    include_usage = _stream_options(body.get("stream_options"), stream)
    prompt, image_url = _last_user_message(body.get("messages"))
    params: dict[str, Any] = {name: value for name, value in body.items() if name in CREATE_EXTRAS}
    if image_url is not None:
        if "input_reference" in params:
            raise errors.DuplicateParameter(
                "The last user message has an image_url part and the body an input_reference; "
                "send the image once.",
                param="input_reference",
            )
        params["input_reference"] = {"image_url": image_url}
    params.update(model=model, prompt=prompt)
    return ChatAsk(model=model, params=params, stream=stream, include_usage=include_usage)


def _model(value: Any, video_models: tuple[str, ...]) -> str:
    if value is None:
        raise errors.MissingParameter("model is required (a video model).", param="model")
    if not isinstance(value, str) or value not in video_models:
        raise errors.ModelNotFound(
            f"The model {errors.show(value)} is not a video model served here. Video models: "
            f"{', '.join(video_models)}.",
            param="model",
        )
    return value


def _flag(body: Mapping[str, Any], name: str) -> bool:
    value = body.get(name)
    if value is None:
        return False
    if not isinstance(value, bool):
        raise errors.InvalidValue(f"{name} must be true or false.", param=name)
    return value


def _stream_options(value: Any, stream: bool) -> bool:
    """``stream_options.include_usage``; ``include_obfuscation`` is accepted (no padding)."""
    if value is None:
        return False
    if not stream:
        raise errors.InvalidValue(
            "stream_options is only allowed when stream is true.", param="stream_options"
        )
    if not isinstance(value, Mapping):
        raise errors.InvalidValue("stream_options must be an object.", param="stream_options")
    for name, option in value.items():
        if name not in ("include_usage", "include_obfuscation"):
            raise errors.UnknownParameter(
                f"Unknown parameter stream_options.{name}; stream_options takes "
                "include_usage and include_obfuscation.",
                param=f"stream_options.{name}",
            )
        if not isinstance(option, bool):
            raise errors.InvalidValue(
                f"stream_options.{name} must be true or false.", param=f"stream_options.{name}"
            )
    return bool(value.get("include_usage", False))


def _last_user_message(messages: Any) -> tuple[str, str | None]:
    """The prompt (the text of the last message, which must be the user's) and its image.

    Earlier messages (a system prompt, earlier turns) are not part of the video's prompt."""
    if messages is None:
        raise errors.MissingParameter("messages is required.", param="messages")
    if not isinstance(messages, list) or not messages:
        raise errors.InvalidValue("messages must be a non-empty list.", param="messages")
    for index, message in enumerate(messages):
        if not isinstance(message, Mapping) or not isinstance(message.get("role"), str):
            raise errors.InvalidValue(
                "Each message must be an object with a role.", param=f"messages[{index}]"
            )
    last = len(messages) - 1
    if messages[last]["role"] != "user":
        raise errors.InvalidValue(
            "The last message must be the user's: its text is the video's prompt.",
            param=f"messages[{last}].role",
        )
    content = messages[last].get("content")
    where = f"messages[{last}].content"
    if isinstance(content, str):
        texts, image = [content], None
    elif isinstance(content, list):
        texts, image = _parts(content, where)
    else:
        raise errors.InvalidValue(
            "A message's content must be a string or a list of content parts.", param=where
        )
    prompt = "\n".join(t for t in texts if t.strip()).strip()
    if not prompt:
        raise errors.MissingParameter(
            "The last user message has no text; its text is the video's prompt.", param=where
        )
    return prompt, image


def _parts(parts: list[Any], where: str) -> tuple[list[str], str | None]:
    texts: list[str] = []
    image: str | None = None
    for index, part in enumerate(parts):
        at = f"{where}[{index}]"
        kind = part.get("type") if isinstance(part, Mapping) else None
        if kind == "text" and isinstance(part.get("text"), str):
            texts.append(part["text"])
        elif kind == "image_url":
            if image is not None:
                raise errors.InvalidValue(
                    "Send one image_url part at most: it becomes the video's first frame.",
                    param=at,
                )
            image = _image_url(part.get("image_url"), at)
        elif kind in ("text", None):
            raise errors.InvalidValue(
                'A content part must be {"type": "text", "text": "..."} or '
                '{"type": "image_url", "image_url": {"url": "..."}}.',
                param=at,
            )
        else:
            raise errors.UnsupportedParameter(
                f"Content parts of type {errors.show(kind)} are not taken by a video model; "
                "send text and at most one image_url.",
                param=f"{at}.type",
            )
    return texts, image


def _image_url(value: Any, at: str) -> str:
    url = value.get("url") if isinstance(value, Mapping) else value
    if not isinstance(url, str) or not url:
        raise errors.InvalidValue(
            "image_url must be an object with a url (an https URL or a data: URL).",
            param=f"{at}.image_url",
        )
    return url


class ChatVideos:
    """Queues a chat request's video through the videos use case and watches it."""

    def __init__(self, service: VideoService, wait_seconds: float) -> None:
        self.service = service
        self.wait_seconds = wait_seconds

    def video_models(self) -> tuple[str, ...]:
        """Every name a chat request may use: the catalogue's models and their aliases."""
        return tuple(n for m in self.service.models() for n in (m.name, *m.aliases))

    async def start(
        self, caller: Caller, ask: ChatAsk, request_id: str | None, idempotency_key: str | None
    ) -> Created:
        return await self.service.create(caller, ask.params, request_id, idempotency_key)

    async def watch(self, caller: Caller, video_id: str) -> AsyncIterator[jobs.Video]:
        """The video at every poll, until it has ended (the last one yielded is terminal)."""
        while True:
            video = await self.service.get(caller, video_id)
            yield video
            if video.is_terminal:
                return
            await asyncio.sleep(POLL_SECONDS)

    async def finished(self, caller: Caller, video: jobs.Video) -> jobs.Video:
        """The video once it has ended, within ``wait_seconds``; a failed one raises its
        error, one still rendering ``VideoStillRendering`` (with its id, to poll)."""
        last = video
        try:
            async with asyncio.timeout(self.wait_seconds):
                async for seen in self.watch(caller, video.id):
                    last = seen
        except TimeoutError:
            raise still_rendering(last, self.wait_seconds) from None
        raise_if_failed(last)
        return last


def still_rendering(video: jobs.Video, waited: float) -> errors.VideoStillRendering:
    return errors.VideoStillRendering(
        f"Video {video.id} is still {video.public_status} ({video.progress}% done) after "
        f"{waited:g} s; it keeps rendering: poll GET /v1/videos/{video.id} and download it "
        "when its status is 'completed' (or stream the chat completion).",
        param="messages",
        details={"video_id": video.id},
    )


def failure(video: jobs.Video) -> errors.VideoRenderFailed | None:
    """A failed video's error, with the video's own code (``moderation_blocked``...)."""
    if video.status is jobs.JobStatus.SUCCEEDED or not video.is_terminal:
        return None
    code = video.error.code if video.error else "generation_failed"
    message = video.error.message if video.error else "The video could not be generated."
    details = {"video_id": video.id, "video_code": code}
    if video.error is not None:
        details.update(
            {k: str(v) for k, v in video.error.details.items() if k in ("category", "stage")}
        )
    return errors.VideoRenderFailed(
        f"Video {video.id} failed ({code}): {message}", param="messages", details=details
    )


def raise_if_failed(video: jobs.Video) -> None:
    found = failure(video)
    if found is not None:
        raise found
