"""Log lines: JSON and text formats, the request and video ids, and secrets masked."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest

from reelway import ids, logs
from reelway import settings as settings_module
from reelway.cli import common

ADMIN_KEY = "admin-secret-0123456789"
Capture = tuple[logging.Logger, io.StringIO, list[logging.Handler]]


@pytest.fixture
def capture() -> Iterator[Capture]:
    """A logger of its own whose records go through ``logs.handler`` into a buffer."""
    stream = io.StringIO()
    logger = logging.getLogger("reelway.test_logs")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    handlers: list[logging.Handler] = []
    yield logger, stream, handlers
    for handler in handlers:
        logger.removeHandler(handler)


def _use(
    capture: Capture,
    log_format: str,
    secrets: tuple[str, ...] = (),
) -> tuple[logging.Logger, io.StringIO]:
    logger, stream, handlers = capture
    handler = logs.handler(log_format, secrets, stream)
    logger.addHandler(handler)
    handlers.append(handler)
    return logger, stream


def _lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines()]


def test_a_json_line_has_the_fields_and_the_ids(capture: Capture) -> None:
    logger, stream = _use(capture, "json")
    with logs.bound(request="req_abc", video="video_123"):
        logger.info("rendering %s with %s", "video_123", "animatic", extra={"attempt": 2})
    logger.warning("no ids here")
    first, second = _lines(stream)
    assert first["level"] == "info" and first["logger"] == "reelway.test_logs"
    assert first["message"] == "rendering video_123 with animatic"
    assert (first["request_id"], first["video_id"], first["attempt"]) == (
        "req_abc",
        "video_123",
        2,
    )
    assert str(first["ts"]).endswith("Z") and "T" in str(first["ts"])
    assert "request_id" not in second and "video_id" not in second


def test_bound_restores_what_was_there() -> None:
    with logs.bound(request="req_outer"):
        with logs.bound(video="video_inner"):
            assert (logs.request_id.get(), logs.video_id.get()) == ("req_outer", "video_inner")
        assert logs.video_id.get() is None
    assert logs.request_id.get() is None


def test_a_traceback_is_one_field_of_one_line(capture: Capture) -> None:
    logger, stream = _use(capture, "json")
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logger.exception("it failed")
    (line,) = _lines(stream)
    assert line["message"] == "it failed"
    assert "Traceback" in str(line["exc_info"]) and "RuntimeError: boom" in str(line["exc_info"])


def test_the_text_format_shows_the_ids_when_known(capture: Capture) -> None:
    logger, stream = _use(capture, "text")
    logger.info("plain")
    with logs.bound(request="req_1", video="video_2"):
        logger.info("inside")
    plain, inside = stream.getvalue().splitlines()
    assert plain.endswith("INFO reelway.test_logs: plain")
    assert inside.endswith("INFO reelway.test_logs [req_1 video_2]: inside")


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_secrets_are_masked_in_messages_args_extras_and_tracebacks(
    capture: Capture,
    log_format: str,
) -> None:
    logger, stream = _use(capture, log_format, (ADMIN_KEY, "s3-secret-value"))
    api_key = ids.new_api_key()
    webhook_secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    logger.info("key %s in an argument", api_key)
    logger.info(f"key {api_key} in the message and Authorization: Bearer abc.def-ghi")
    logger.info("webhook secret %s", webhook_secret)
    logger.info("admin %r and s3 %s", ADMIN_KEY, "s3-secret-value")
    logger.info("upstream key sk-proj-aaaaaaaaaaaaaaaaaaaaaaaaaaaa in a message")
    logger.info("gemini https://x.example/v1/models?key=AIzaSyXXXX&alt=sse")
    logger.info("db postgresql+asyncpg://reelway:hunter22@db:5432/reelway")
    logger.info("with extra", extra={"header": f"Bearer {api_key}"})
    try:
        raise ValueError(f"refused {api_key}")
    except ValueError:
        logger.exception("failure")
    out = stream.getvalue()
    for secret in (
        api_key,
        api_key[len(ids.API_KEY_PREFIX) :],
        webhook_secret,
        "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
        ADMIN_KEY,
        "s3-secret-value",
        "abc.def-ghi",
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaa",
        "AIzaSyXXXX",
        "hunter22",
    ):
        assert secret not in out, secret
    assert out.count(logs.MASK) >= 10
    assert "alt=sse" in out and "@db:5432/reelway" in out, "only the secret part is masked"


def test_short_configured_values_are_not_masked_everywhere() -> None:
    redact = logs.Redactor(["", "ab"])
    assert redact("a cab rides by") == "a cab rides by"


def _secrets(tmp_path: Path, **changes: object) -> list[str]:
    settings = settings_module.from_env({}, data_dir=tmp_path, **changes)
    return common.secret_values(settings)


def test_the_deployments_secrets_are_found(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UPSTREAM_KEY", "upstream-key-from-env")
    config = tmp_path / "reelway.toml"
    config.write_text(
        '[engines.up]\ntype = "openai_compat"\nbase_url = "http://127.0.0.1:1/v1"\n'
        'api_key = "env:UPSTREAM_KEY"\nmodel = "sora-2"\n'
    )
    found = _secrets(
        tmp_path,
        admin_key=ADMIN_KEY,
        s3_secret_access_key="s3-secret",
        moderation_api_key="mod-key",
        database_url="postgresql+asyncpg://u:p%40ss@db/reelway",
        engine_options={"veo": {"access_token": "ya29.token", "fps": 24}},
        config=config,
    )
    assert {
        ADMIN_KEY,
        "s3-secret",
        "mod-key",
        "p@ss",
        "ya29.token",
        "upstream-key-from-env",
    } <= set(found)
    assert "sora-2" not in found and "24" not in found


def test_a_broken_config_file_does_not_stop_logging(tmp_path: Path) -> None:
    config = tmp_path / "broken.toml"
    config.write_text('[engines.up]\napi_key = "env:NOT_SET_ANYWHERE"\n')
    assert _secrets(tmp_path, config=config) == []


def test_every_secret_looking_setting_is_masked() -> None:
    """A new setting named like a secret must be added to SECRET_SETTINGS (or here)."""
    not_secret = {"s3_access_key_id", "c2pa_key", "c2pa_cert"}
    for field in dataclasses.fields(settings_module.Settings):
        looks_secret = any(w in field.name for w in ("key", "secret", "token", "password"))
        if looks_secret and field.name not in not_secret:
            assert field.name in common.SECRET_SETTINGS, field.name


def test_an_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="text, json"):
        logs.handler("yaml")
    with pytest.raises(ValueError, match="log_format"):
        settings_module.from_env({"REELWAY_LOG_FORMAT": "yaml"})
