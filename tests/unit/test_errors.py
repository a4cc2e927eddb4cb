"""The error taxonomy: stable unique codes, sane statuses, documented, and picklable."""

from __future__ import annotations

import pickle
import re
from pathlib import Path

from reelway import error_codes, errors

DOCS = Path(__file__).resolve().parents[2] / "docs" / "errors.md"


def test_codes_are_unique_and_statuses_are_what_the_sdks_map() -> None:
    classes = list(error_codes.all_error_classes())
    # A class may share its code only with a class it inherits from (the same meaning, seen
    # from a provider: UpstreamModerationBlocked is a ModerationBlocked), or across the two
    # places a code can appear: an HTTP answer and a failed video's error (sentinel_block is
    # answered 400 by this server's moderation and recorded when a provider's refuses).
    own = [
        (cls.code, issubclass(cls, errors.JobFailure))
        for cls in classes
        if not any(base.code == cls.code for base in cls.__mro__[1:] if hasattr(base, "code"))
    ]
    assert len(own) == len(set(own)), sorted(c for c in own if own.count(c) > 1)
    for cls in classes:
        assert re.fullmatch(r"[a-z][a-z_]+", cls.code), cls
        assert cls.__doc__ and cls.__doc__.strip(), f"{cls.__name__} needs a docstring"
        if issubclass(cls, errors.RequestError):
            assert 400 <= cls.http_status < 500
            assert cls.http_status != 409, "never 409 for a condition that will not go away"


def test_default_message_is_the_docstring_and_envelope_has_four_keys() -> None:
    error = errors.VideoNotReady(param="video_id")
    assert error.message.startswith("The video has not finished rendering")
    assert error.to_dict() == {
        "message": error.message,
        "type": "invalid_request_error",
        "param": "video_id",
        "code": "video_not_ready",
    }


def test_errors_survive_pickling_across_processes() -> None:
    original = errors.EngineRuntimeError("boom", param="x", retry_after=3.0)
    copy = pickle.loads(pickle.dumps(original))
    assert type(copy) is errors.EngineRuntimeError
    assert (copy.message, copy.param, copy.retry_after) == ("boom", "x", 3.0)


def test_docs_list_every_code_with_its_status() -> None:
    text = DOCS.read_text("utf-8")
    rows: dict[str, set[str]] = {}
    for code, status in re.findall(r"^\| `([a-z_]+)` \| (\d{3}|—) \|", text, re.M):
        rows.setdefault(code, set()).add(status)
    for cls in error_codes.all_error_classes():
        assert cls.code in rows, f"docs/errors.md does not list {cls.code}"
        status = "—" if issubclass(cls, errors.JobFailure) else str(cls.http_status)
        assert status in rows[cls.code], (cls.code, status)
    documented = set(rows)
    known = {cls.code for cls in error_codes.all_error_classes()}
    assert documented <= known, f"docs/errors.md lists unknown codes {documented - known}"
