"""What every command shares: settings from flags and environment, logging, the event loop."""

from __future__ import annotations

import asyncio
import datetime
import importlib
import json
import logging
import os
import re
import tomllib
import urllib.parse
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping
from pathlib import Path
from typing import Any, TypeVar

import click
import httpx

from reelway import config_file, errors, logs
from reelway import settings as settings_module
from reelway.runtime import Runtime, SchemaOutOfDate
from reelway.settings import Settings

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])

data_dir_option = click.option(
    "--data-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=None,
    help="Data directory (env REELWAY_DATA_DIR, default ./.reelway).",
)

config_option = click.option(
    "--config",
    "config",
    type=click.Path(dir_okay=False, path_type=Path),
    default=None,
    help="Engines and model routes, a TOML file (env REELWAY_CONFIG); see docs/engines.md.",
)


def load_settings(*, drivers: bool = True, **overrides: Any) -> Settings:
    """The settings from the environment and the flags; with ``drivers``, also check that the
    database and Redis drivers they name are installed (one line naming the extra if not)."""
    try:
        settings = settings_module.from_env(**overrides)
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None
    if drivers:
        check_drivers(settings)
    return settings


_DRIVERS = {"asyncpg": "asyncpg", "psycopg": "psycopg", "psycopg_async": "psycopg", "": "psycopg"}
"""SQLAlchemy's PostgreSQL driver names -> the module ``reelway[postgres]`` installs (a URL
naming none, ``postgresql://``, connects through psycopg on the async engine)."""


def check_drivers(settings: Settings) -> None:
    """A plain ``pip install reelway`` has neither PostgreSQL nor Redis drivers: say which
    extra to install in one line, before SQLAlchemy or redis-py fail with a traceback."""
    scheme = settings.resolved_database_url.partition(":")[0]
    dialect, _, driver = scheme.partition("+")
    if dialect in ("postgresql", "postgres") and driver in _DRIVERS:
        _need(
            _DRIVERS[driver],
            "postgres",
            f"REELWAY_DATABASE_URL is a PostgreSQL URL ({scheme}), whose driver",
        )
    if settings.redis_url:
        _need("redis", "redis", "REELWAY_REDIS_URL is set, and its client")


def _need(module: str, extra: str, what: str) -> None:
    try:
        importlib.import_module(module)
    except ImportError:
        raise MissingExtra(
            f"{what} '{module}' is not installed: pip install 'reelway[{extra}]'"
        ) from None


class MissingExtra(click.ClickException):
    """A setting needs a driver from one of Reelway's extras that is not installed."""


OPEN_ERRORS = (SchemaOutOfDate, ValueError, errors.DatabaseUnavailable)
"""What opening the runtime raises for a wrong setup (an old schema, a broken or incomplete
config file, a database that does not answer): the command's one-line error, not a traceback."""


async def open_runtime(settings: Settings, *, migrate: bool | None = None) -> Runtime:
    """``Runtime.open``, with a wrong setup reported as the command's error message."""
    try:
        return await Runtime.open(settings, migrate=migrate)
    except OPEN_ERRORS as exc:
        raise click.ClickException(str(exc)) from None


def tolerate_unset_secrets(settings: Settings) -> list[str]:
    """For commands that only read (``doctor``): the ``env:`` variables the config file names
    that are not set get a placeholder in this process, so reading needs none of the engines'
    secrets.  Returns the names it filled in."""
    try:
        data = tomllib.loads(settings.config.read_text("utf-8")) if settings.config else {}
    except (OSError, tomllib.TOMLDecodeError):
        return []  # opening the runtime reports the broken file, with the reason
    filled = sorted({name for name in _env_names(data) if name not in os.environ})
    for name in filled:
        os.environ[name] = "unset-for-a-read-only-command"
    return filled


def _env_names(value: Any) -> Iterator[str]:
    """The variable names of every ``"env:NAME"`` string in a parsed config file."""
    if isinstance(value, str) and value.startswith("env:"):
        yield value[4:]
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _env_names(item)
    elif isinstance(value, list):
        for item in value:
            yield from _env_names(item)


SECRET_SETTINGS = (
    "admin_key",
    "s3_secret_access_key",
    "moderation_api_key",
    "metrics_token",
    "link_secret",
)
"""Settings whose values are masked wherever they appear in a log line."""
URL_SETTINGS = ("database_url", "redis_url", "moderation_url", "s3_endpoint_url")
"""Settings that may carry a password (``scheme://user:password@host``)."""
_SECRET_OPTION = re.compile(r"key|secret|token|password|credential", re.IGNORECASE)


def setup_logging(settings: Settings) -> None:
    """Every log line through one handler: ``REELWAY_LOG_FORMAT`` (text or JSON), the
    request and video ids, and the deployment's secrets masked (see ``reelway.logs``)."""
    logs.configure(settings.log_level, settings.log_format, secret_values(settings))
    # Schema upgrades are worth one line at most; alembic narrates every step at INFO.
    logging.getLogger("alembic").setLevel(max(logging.WARNING, logging.root.level))


def show_first_key(settings: Settings, secret: str, where: str) -> None:
    """Show the development key made on an empty data dir, once, on stdout: a block of text,
    or one JSON line when the logs are JSON.  Not through logging, which would mask it."""
    text = "Created project 'default' and a development API key (shown only once)"
    if settings.log_format == "json":
        line = {
            "ts": datetime.datetime.now(datetime.UTC)
            .isoformat(timespec="milliseconds")
            .replace("+00:00", "Z"),
            "level": "warning",
            "logger": "reelway.cli",
            "message": f"{text}; use it as OPENAI_API_KEY with base_url {where}",
            "api_key": secret,
        }
        click.echo(json.dumps(line))
        return
    click.echo(f"\n{text}:\n\n    {secret}\n\nUse it as OPENAI_API_KEY with base_url {where}\n")


def secret_values(settings: Settings) -> list[str]:
    """The secrets this deployment was given: secret settings, passwords in URLs, and the
    credentials among the engines' options (config file and ``REELWAY_ENGINE_OPTIONS``)."""
    found = [str(getattr(settings, name)) for name in SECRET_SETTINGS]
    for name in URL_SETTINGS:
        try:
            password = urllib.parse.urlsplit(str(getattr(settings, name))).password
        except ValueError:
            password = None
        if password:
            found.extend((password, urllib.parse.unquote(password)))
    found.extend(_credentials(settings.engine_options))
    try:
        engines = config_file.load(settings.config).engines
    except (OSError, ValueError):
        engines = {}  # start-up reports a broken config file, with the reason
    for spec in engines.values():
        found.extend(_credentials(spec.options))
    return [value for value in found if value]


def _credentials(value: Any, secret: bool = False) -> Iterator[str]:
    """String values under credential-like keys (``api_key``, ``access_token``…), at any
    depth; everything inside such a key when it holds a table."""
    if isinstance(value, str):
        if secret:
            yield value
    elif isinstance(value, Mapping):
        for key, item in value.items():
            yield from _credentials(item, secret or bool(_SECRET_OPTION.search(str(key))))
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _credentials(item, secret)


def run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine on uvloop when it is installed, else on asyncio's default loop."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main())
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main())


def with_runtime(data_dir: Path | None, work: Callable[[Runtime], Awaitable[T]]) -> T:
    """Run ``work`` on a runtime opened on the data dir, closed afterwards; Reelway's errors
    become the command's error message."""
    settings = load_settings(data_dir=data_dir)

    async def main() -> T:
        runtime = await open_runtime(settings)
        try:
            return await work(runtime)
        except errors.ReelwayError as exc:
            raise click.ClickException(exc.message) from None
        finally:
            await runtime.close()

    return run(main)


# --------------------------------------------------------------------------- HTTP clients


class GenerationFailed(click.ClickException):
    """A video (or storyboard) the command waited for failed: exit code 1."""

    exit_code = 1


def client_options(command: F) -> F:
    """``-o/--output``, ``--base-url``, ``--api-key``, ``--data-dir`` and ``--config``: the
    options of a command that makes a video, through a server or an embedded instance."""
    for option in reversed(
        (
            click.option(
                "-o",
                "--output",
                type=click.Path(dir_okay=False, path_type=Path),
                default=None,
                help="Where to write the MP4 (default VIDEO_ID.mp4).",
            ),
            click.option(
                "--base-url", default=None, help="A Reelway server, e.g. http://127.0.0.1:8000/v1."
            ),
            click.option(
                "--api-key", default=None, help="Key for --base-url (default $OPENAI_API_KEY)."
            ),
            data_dir_option,
            config_option,
        )
    ):
        command = option(command)
    return command


def api_root(base_url: str) -> str:
    """The API root for a ``--base-url`` given with or without its ``/v1``."""
    root = base_url.rstrip("/")
    return root if urllib.parse.urlsplit(root).path else root + "/v1"


def api_json(response: httpx.Response) -> dict[str, Any]:
    """A JSON object answer, or the server's error (code, message, param, request id) as a
    ClickException."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if response.status_code >= 400:
        error = (body or {}).get("error") if isinstance(body, dict) else None
        request_id = response.headers.get("x-request-id", "-")
        if isinstance(error, dict):
            param = f" (param: {error.get('param')})" if error.get("param") else ""
            message = f"[{error.get('code')}] {error.get('message')}{param}"
        else:
            message = f"HTTP {response.status_code}: {response.text[:200]}"
        raise click.ClickException(f"{message} [request id {request_id}]")
    if not isinstance(body, dict):
        raise click.ClickException(f"unexpected answer from the server: {response.text[:200]}")
    return body


async def download(client: httpx.AsyncClient, video_id: str, target: Path) -> None:
    """A finished video's MP4 into ``target``, streamed; the server's error otherwise."""
    async with client.stream("GET", f"/videos/{video_id}/content") as response:
        if response.status_code != 200:
            await response.aread()
            api_json(response)
        with target.open("wb") as out:
            async for chunk in response.aiter_bytes():
                out.write(chunk)
