"""Bounds on a request body's shape, checked as the body streams in, before parsing.

A body may be 48 MiB.  Parsing one whose work grows with its shape (two million bracket
levels in one form field name, ten million JSON numbers) would hold the event loop, and with
it every other request, for seconds, and a nesting deep enough to exhaust Python's recursion
limit would answer 500.  So form field names, form field counts, JSON value counts and nesting
depth are refused with a 400 at the first chunk that crosses them, and what is accepted is
small enough for the recursive code downstream (hashing, validation, error messages).
"""

from __future__ import annotations

import re
import urllib.parse
from typing import Any

from reelway import errors

MAX_FIELDS = 64
"""Fields in a form body."""
MAX_FIELD_NAME_CHARS = 256
"""A form field's name, bracket notation included (``input_reference[image_url]`` is 26)."""
MAX_DEPTH = 16
"""Containers from the body down to a value: the body is 1, ``input_reference[image_url]`` 2."""
MAX_JSON_VALUES = 100_000
"""A JSON body's ``,``, ``[`` and ``{`` characters, a bound on its values that costs one
pass of ``bytes.count`` per chunk; a 32000-character prompt of commas still fits."""
MAX_TEXT_BYTES = 256 * 1024
"""A text field of a form (multipart or urlencoded)."""
THREAD_BYTES = 16 * 1024
"""Bodies above this are parsed in a thread: their parse can take more than a millisecond."""
PARAM_CHARS = 64
"""How much of an over-long name an error's ``param`` repeats."""

JSON_AS_FORM = (
    "The body looks like JSON but was sent as a form; "
    "send it with 'Content-Type: application/json'."
)

_NAME_END = re.compile(rb"[&=]")


def check_field_name(name: str) -> None:
    """A form field name's length and bracket depth (multipart and urlencoded alike)."""
    if len(name) > MAX_FIELD_NAME_CHARS:
        raise _name_too_long(name)
    depth = 1 + name.count("[")
    if depth > MAX_DEPTH:
        raise too_deep(name.split("[", 1)[0] or name[:PARAM_CHARS])


def too_many_fields(name: str) -> errors.TooManyFields:
    return errors.TooManyFields(
        f"The form has more than {MAX_FIELDS} fields, the limit; the first one over it is "
        f"{errors.show(name)}.",
        param=name[:PARAM_CHARS],
    )


def too_deep(param: str) -> errors.NestingTooDeep:
    return errors.NestingTooDeep(
        f"The parameter {errors.show(param)} nests objects or lists more than {MAX_DEPTH} "
        "levels deep, the limit.",
        param=param[:PARAM_CHARS],
    )


def text_too_large(name: str) -> errors.InvalidValue:
    return errors.InvalidValue(
        f"The form field {errors.show(name)} is larger than {MAX_TEXT_BYTES} bytes, the limit "
        "for a text field.",
        param=name[:PARAM_CHARS],
    )


def _name_too_long(name: str) -> errors.FieldNameTooLong:
    return errors.FieldNameTooLong(
        f"A form field name is longer than {MAX_FIELD_NAME_CHARS} characters, the limit: "
        f"{errors.show(name)}.",
        param=name[:PARAM_CHARS],
    )


class JsonGuard:
    """Counts a JSON body's ``,``, ``[`` and ``{`` as it arrives; over the bound, a 400."""

    def __init__(self) -> None:
        self.count = 0
        self.opens = 0

    def feed(self, chunk: bytes) -> None:
        opens = chunk.count(b"[") + chunk.count(b"{")
        self.opens += opens
        self.count += opens + chunk.count(b",")
        if self.count > MAX_JSON_VALUES:
            raise errors.TooManyFields(
                f"The JSON body has more than {MAX_JSON_VALUES} values (counted as its ',', "
                "'[' and '{' characters), the limit.",
            )


def check_json_depth(data: dict[str, Any]) -> None:
    """Refuse a parsed body nested deeper than ``MAX_DEPTH``, naming its top-level field.

    Iterative, so no depth orjson accepts (1024) can exhaust the recursion limit here.
    """
    for key, top in data.items():
        stack: list[tuple[Any, int]] = [(top, 2)] if isinstance(top, dict | list) else []
        while stack:
            value, depth = stack.pop()
            if depth > MAX_DEPTH:
                raise too_deep(key)
            children = value.values() if isinstance(value, dict) else value
            stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


class FormGuard:
    """Scans an ``application/x-www-form-urlencoded`` body as it arrives.

    Refuses it at the first chunk with more than ``MAX_FIELDS`` fields (counted as
    ``parse_qsl`` counts them: one more than the body's ``&``), a name longer than
    ``MAX_FIELD_NAME_CHARS`` or a value longer than ``MAX_TEXT_BYTES`` (both percent-encoded,
    so three bytes a character), so a hostile body is neither buffered nor parsed.  The work
    is a few C-level searches per field, and at most ``MAX_FIELDS`` fields are looked at.
    """

    def __init__(self) -> None:
        self.field = 1
        self.name = bytearray()
        self.value_bytes = 0
        self.in_value = False

    def feed(self, chunk: bytes) -> None:
        pos, end = 0, len(chunk)
        while pos < end:
            if self.in_value:
                amp = chunk.find(b"&", pos)
                stop = end if amp < 0 else amp
                self.value_bytes += stop - pos
                if self.value_bytes > 3 * MAX_TEXT_BYTES:
                    raise text_too_large(_decoded(self.name))
                if amp < 0:
                    return
                self._next_field()
                pos = amp + 1
                continue
            match = _NAME_END.search(chunk, pos)
            stop = end if match is None else match.start()
            self.name += chunk[pos : min(stop, pos + _RAW_NAME_BYTES + 1)]
            if len(self.name) > _RAW_NAME_BYTES:
                if self.field == 1 and self.name.lstrip().startswith(b"{"):
                    raise errors.UnsupportedContentType(JSON_AS_FORM)
                raise _name_too_long(_decoded(self.name))
            if match is None:
                return
            self._name_done()
            if chunk[stop] == ord("="):
                self.in_value, self.value_bytes = True, 0
            else:
                self._next_field()
            pos = stop + 1

    def close(self) -> None:
        """The body ended; its last field counts too."""
        if not self.in_value:
            self._name_done()

    def _name_done(self) -> None:
        if self.field > MAX_FIELDS:
            raise too_many_fields(_decoded(self.name))

    def _next_field(self) -> None:
        self.field += 1
        self.in_value = False
        self.name.clear()


_RAW_NAME_BYTES = 3 * MAX_FIELD_NAME_CHARS


def _decoded(raw: bytearray) -> str:
    return urllib.parse.unquote_plus(bytes(raw[: 3 * PARAM_CHARS]).decode("utf-8", "replace"))
