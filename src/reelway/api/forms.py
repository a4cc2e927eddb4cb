"""Request bodies: JSON and multipart (and urlencoded) read into one plain mapping.

Multipart nested objects use the SDKs' bracket notation (``input_reference[image_url]``,
``characters[][id]``); they become the same nested dicts a JSON body carries, so validation
downstream never knows which encoding was used.
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

import orjson
from starlette.requests import Request

from reelway import errors
from reelway.api import headers, multipart_form
from reelway.api.multipart_form import MAX_FIELDS
from reelway.service import Upload

_KEY = re.compile(r"^([^\[\]]+)((?:\[[^\[\]]*\])*)$")


async def read_params(request: Request, *, max_file_bytes: int) -> dict[str, Any]:
    """The body's parameters; an empty body is an empty mapping."""
    content_type = headers.get(request, b"content-type") or ""
    media = content_type.split(";", 1)[0].strip().lower()
    if media == "application/json" or media.endswith("+json"):
        return _json_object(await request.body())
    if media in ("multipart/form-data", "application/x-www-form-urlencoded"):
        return await _form(request, media, content_type, max_file_bytes)
    body = await request.body()
    if not body.strip():
        return {}
    raise errors.UnsupportedContentType(
        f"Unsupported Content-Type {errors.show(media or 'none')}; send application/json or "
        "multipart/form-data."
    )


def _json_object(body: bytes) -> dict[str, Any]:
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
    return data


async def _form(
    request: Request, media: str, content_type: str, max_file_bytes: int
) -> dict[str, Any]:
    if media == "multipart/form-data":
        pairs = await multipart_form.read(content_type, request.stream(), max_file_bytes)
    else:
        pairs = _urlencoded(await request.body())
    params: dict[str, Any] = {}
    try:
        for key, value in pairs:
            _assign(params, key, value)
    except BaseException:
        multipart_form.close_uploads(pairs)
        raise
    return params


def _urlencoded(body: bytes) -> list[tuple[str, Any]]:
    try:
        text = body.decode("utf-8")
        pairs = urllib.parse.parse_qsl(text, keep_blank_values=True, max_num_fields=MAX_FIELDS)
    except UnicodeDecodeError:
        raise errors.InvalidMultipart("The form body is not valid UTF-8.") from None
    except ValueError as exc:
        raise errors.InvalidMultipart(f"The form body could not be parsed: {exc}") from None
    if len(pairs) == 1 and pairs[0][0].lstrip().startswith("{"):
        raise errors.UnsupportedContentType(
            "The body looks like JSON but was sent as a form; "
            "send it with 'Content-Type: application/json'."
        )
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
