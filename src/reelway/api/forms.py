"""Request bodies: JSON and multipart (and urlencoded) read into one plain mapping.

Multipart nested objects use the SDKs' bracket notation (``input_reference[image_url]``,
``characters[][id]``); they become the same nested dicts a JSON body carries, so validation
downstream never knows which encoding was used.
"""

from __future__ import annotations

import asyncio
import re
import urllib.parse
from collections.abc import AsyncIterator, Callable
from typing import Any, TypeVar

import orjson
from starlette.requests import Request

from reelway import errors
from reelway.api import body_shape, headers, multipart_form
from reelway.service import Upload

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")
_T = TypeVar("_T")


async def read_params(request: Request, *, max_file_bytes: int) -> dict[str, Any]:
    """The body's parameters; an empty body is an empty mapping.

    Every body is bounded in shape as it arrives (``body_shape``), and one large enough for
    its parse to take more than a millisecond is parsed in a thread, off the event loop.
    """
    content_type = headers.get(request, b"content-type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        guard = body_shape.JsonGuard()
        body = await _read(request.stream(), guard.feed)
        return await _off_loop(_json_object, body, guard.opens)
    if media == "multipart/form-data":
        pairs = await multipart_form.read(content_type, request.stream(), max_file_bytes)
        return _nest(pairs)
    if media == "application/x-www-form-urlencoded":
        form = body_shape.FormGuard()
        body = await _read(request.stream(), form.feed)
        form.close()
        return _nest(await _off_loop(_urlencoded, body))
    body = await request.body()
    if not body.strip():
        return {}
    raise errors.UnsupportedContentType(
        f"Unsupported Content-Type {errors.show(media or 'none')}; send application/json or "
        "multipart/form-data."
    )


async def _read(stream: AsyncIterator[bytes], check: Callable[[bytes], None]) -> bytes:
    """The whole body, each chunk checked as it arrives."""
    chunks: list[bytes] = []
    async for chunk in stream:
        check(chunk)
        chunks.append(chunk)
    return b"".join(chunks)


async def _off_loop(parse: Callable[..., _T], body: bytes, *args: Any) -> _T:
    if len(body) > body_shape.THREAD_BYTES:
        return await asyncio.to_thread(parse, body, *args)
    return parse(body, *args)


def _json_object(body: bytes, opens: int = 0) -> dict[str, Any]:
    """The parsed body; ``opens`` (its ``[`` and ``{``) says whether its depth can matter."""
    if not body.strip():
        return {}
    try:
        data = orjson.loads(body)
    except UnicodeDecodeError:
        raise errors.InvalidJson("The JSON body is not valid UTF-8.") from None
    except orjson.JSONDecodeError as exc:
        raise errors.InvalidJson(f"The body is not valid JSON: {exc}.") from None
    if not isinstance(data, dict):
        raise errors.InvalidJson(f"The JSON body must be an object, not {type(data).__name__}.")
    if opens >= body_shape.MAX_DEPTH:
        body_shape.check_json_depth(data)
    return data


def _nest(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    try:
        for key, value in pairs:
            body_shape.check_field_name(key)
            _assign(params, key, value)
    except BaseException:
        multipart_form.close_uploads(pairs)
        raise
    return params


def _urlencoded(body: bytes) -> list[tuple[str, Any]]:
    try:
        text = body.decode("utf-8")
        # FormGuard has bounded the fields, names and values.
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True)
    except UnicodeDecodeError:
        raise errors.InvalidMultipart("The form body is not valid UTF-8.") from None
    except ValueError as exc:
        raise errors.InvalidMultipart(f"The form body could not be parsed: {exc}") from None
    if len(pairs) == 1 and pairs[0][0].lstrip().startswith("{"):
        raise errors.UnsupportedContentType(body_shape.JSON_AS_FORM)
    for name, value in pairs:
        if len(value) > body_shape.MAX_TEXT_BYTES // 4 and (
            len(value.encode("utf-8")) > body_shape.MAX_TEXT_BYTES
        ):
            raise body_shape.text_too_large(name)
    return list(pairs)


def _assign(params: dict[str, Any], key: str, value: Any) -> None:
    """Store ``a[b][]``-style keys as nested dicts and lists."""
    if "[" not in key and "]" not in key and key:
        if key in params:
            raise errors.DuplicateParameter(
                f"The parameter {errors.show(key)} was sent more than once.", param=key
            )
        params[key] = value
        return
    match = _KEY.match(key)
    if match is None:
        raise errors.InvalidMultipart(f"Malformed field name {errors.show(key)}.", param=key)
    path = [match.group(1), *re.findall(r"\[([^\[\]]*)\]", match.group(2))]
    target: Any = params
    for index, part in enumerate(path):
        last = index == len(path) - 1
        if part == "":
            if not isinstance(target, list):
                raise errors.InvalidMultipart(
                    f"Malformed field name {errors.show(key)}.", param=key
                )
            if last:
                target.append(value)
                return
            following = path[index + 1]
            if not target or not isinstance(target[-1], dict) or following in target[-1]:
                target.append({})
            target = target[-1]
            continue
        if not isinstance(target, dict):
            raise errors.InvalidMultipart(f"Malformed field name {errors.show(key)}.", param=key)
        if last:
            if part in target:
                raise errors.DuplicateParameter(
                    f"The parameter {errors.show(key)} was sent more than once.", param=key
                )
            target[part] = value
            return
        child = target.setdefault(part, [] if path[index + 1] == "" else {})
        if not isinstance(child, dict | list):
            raise errors.DuplicateParameter(
                f"The parameter {errors.show(part)} was sent both as a value and as an object.",
                param=part,
            )
        target = child


def close_uploads(params: dict[str, Any]) -> None:
    """Release every spooled upload in a parsed body (safe to call twice)."""
    for value in params.values():
        if isinstance(value, Upload):
            value.file.close()
        elif isinstance(value, dict):
            close_uploads(value)
