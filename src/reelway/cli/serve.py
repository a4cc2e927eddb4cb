"""``reelway serve``, ``reelway worker`` and ``reelway migrate``."""

from __future__ import annotations

import asyncio
import logging
import signal
from pathlib import Path
from types import FrameType

import click
import uvicorn

from reelway import errors
from reelway.api import metrics as metrics_api
from reelway.api.app import create_app
from reelway.cli.common import (
    config_option,
    data_dir_option,
    load_settings,
    open_runtime,
    run,
    setup_logging,
    show_first_key,
)
from reelway.runtime import Runtime
from reelway.settings import Settings

log = logging.getLogger(__name__)


@click.command()
@click.option("--host", default=None, help="Interface to listen on (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000; 0 picks a free one).")
@data_dir_option
@config_option
@click.option(
    "--workers",
    type=click.IntRange(min=0),
    default=None,
    help="Render slots in this process (default 1; 0 serves the API only).",
)
@click.option("--access-log/--no-access-log", default=True, help="Log every request.")
def serve(
    host: str | None,
    port: int | None,
    data_dir: Path | None,
    config: Path | None,
    workers: int | None,
    access_log: bool,
) -> None:
    """Run the API server with its in-process workers."""
    settings = load_settings(
        host=host, port=port, data_dir=data_dir, workers=workers, config=config
    )
    setup_logging(settings)
    run(lambda: _serve(settings, access_log))


async def _serve(settings: Settings, access_log: bool) -> None:
    runtime = await _open(settings)
    warn_if_metrics_open(settings)
    try:
        secret = await runtime.ensure_first_key()
        if secret is not None:
            where = (
                f"http://{settings.host}:{settings.port}/v1"
                if settings.port
                else "the address below plus /v1"
            )
            show_first_key(settings, secret, where)
        config = uvicorn.Config(
            create_app(runtime, access_log=access_log),
            host=settings.host,
            port=settings.port,
            log_config=None,
            access_log=False,  # the app logs its own, with the request id and duration
            lifespan="on",
            timeout_graceful_shutdown=5,
        )
        server = _Server(config)
        await server.serve()
    finally:
        await runtime.close()


@click.command()
@data_dir_option
@config_option
@click.option(
    "--concurrency", type=click.IntRange(min=1), default=None, help="Jobs rendered at once."
)
def worker(data_dir: Path | None, config: Path | None, concurrency: int | None) -> None:
    """Run render workers in this process (beside a 'reelway serve' on the same data)."""
    settings = load_settings(data_dir=data_dir, config=config)
    setup_logging(settings)
    run(lambda: _worker(settings, concurrency or max(1, settings.workers)))


async def _worker(settings: Settings, concurrency: int) -> None:
    runtime = await _open(settings)
    try:
        worker = runtime.worker(concurrency)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, worker.stopping.set)
        await worker.run_until_stopped(settings.shutdown_grace_seconds)
    finally:
        await runtime.close()


@click.command()
@data_dir_option
def migrate(data_dir: Path | None) -> None:
    """Create or upgrade the database schema."""
    settings = load_settings(data_dir=data_dir)
    setup_logging(settings)

    async def main() -> None:
        runtime = await open_runtime(settings, migrate=True)
        try:
            current, head = await runtime.db.schema_revision()
            click.echo(f"schema at revision {current} (head {head})")
        finally:
            await runtime.close()

    run(main)


def warn_if_metrics_open(settings: Settings) -> None:
    """Say loudly, at start-up, that /metrics is readable by anyone who reaches the port."""
    if metrics_api.open_to_network(settings.host, settings.metrics_token):
        log.warning(metrics_api.OPEN_WARNING.format(host=settings.host))


class _Server(uvicorn.Server):
    """uvicorn re-raises the stop signal after a graceful shutdown; a clean stop exits 0."""

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        super().handle_exit(sig, frame)
        self._captured_signals.clear()


async def _open(settings: Settings) -> Runtime:
    """The runtime, refusing to start against an old schema or storage it cannot write."""
    runtime = await open_runtime(settings)
    try:
        await runtime.storage.check_writable()
    except (OSError, errors.StorageUnavailable) as exc:
        await runtime.close()
        raise click.ClickException(
            f"cannot write to storage at {runtime.storage.description}: {exc}"
        ) from None
    log.info("storage: %s", runtime.storage.description)
    return runtime
