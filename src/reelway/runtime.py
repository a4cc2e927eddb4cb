"""Wiring: build the database, every store, storage, the services and the worker from one
Settings.

The API app and every CLI command start from ``Runtime.open``; nothing else constructs these
parts (the read-side ones for ``/ready``, ``/metrics``, the dashboard and doctor included), so
there is one place that decides how they fit together.  Callers take the services they use
from here and hand each route only those.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import os
import socket
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any

from reelway import catalog, config_file, ids, safety
from reelway.accounts import AccountService, KeyAdmin
from reelway.batches import BatchService
from reelway.characters import CharacterService
from reelway.engines import base, registry
from reelway.engines.directory import EngineDirectory
from reelway.files import FileService
from reelway.media import provenance, watermark
from reelway.operations import (
    DashboardReads,
    Diagnoses,
    EngineMonitor,
    Operations,
    ReadinessChecks,
    RefusalLog,
)
from reelway.pauses import PauseService
from reelway.policy import tiers
from reelway.policy.moderation import Moderation
from reelway.policy.relaxed import RelaxedWindow
from reelway.service import VideoService
from reelway.settings import Settings, retry_schedule
from reelway.storage import Storage, open_storage
from reelway.store.accounts import AccountStore
from reelway.store.batches import BatchStore
from reelway.store.characters import CharacterStore
from reelway.store.dashboard import DashboardStore
from reelway.store.database import Database, SchemaOutOfDate
from reelway.store.diagnosis import Diagnosis, RequestLog
from reelway.store.engines import EngineStore
from reelway.store.files import FileStore
from reelway.store.health import HealthStore
from reelway.store.keys import KeyStore
from reelway.store.observe import ObserveStore
from reelway.store.pauses import PauseStore
from reelway.store.queue import QueueStore
from reelway.store.ratelimits import Counters, DatabaseCounters, RedisCounters
from reelway.store.videos import VideoStore
from reelway.store.webhooks import WebhookStore
from reelway.wakeup import Wakeup
from reelway.webhooks.dispatcher import Dispatcher
from reelway.webhooks.endpoints import WebhookEndpoints
from reelway.worker import batches as batch_worker
from reelway.worker import finishing
from reelway.worker.context import JobContext
from reelway.worker.execution import Executors
from reelway.worker.housekeeping import Housekeeping
from reelway.worker.runner import Worker

log = logging.getLogger(__name__)

DEFAULT_PROJECT = "default"

__all__ = ["DEFAULT_PROJECT", "Runtime", "SchemaOutOfDate", "load_catalog"]
"""``SchemaOutOfDate`` is what ``open`` raises for a database that needs ``reelway migrate``."""


@dataclass
class Runtime:
    settings: Settings
    db: Database
    catalog: catalog.Catalog
    videos: VideoStore
    queue: QueueStore
    keys: KeyStore
    storage: Storage
    service: VideoService
    engines: EngineDirectory
    engine_store: EngineStore
    accounts: AccountService
    moderation: Moderation
    mark: watermark.Watermark
    webhook_store: WebhookStore
    webhooks: WebhookEndpoints
    key_admin: KeyAdmin
    operations: Operations
    """The operators' read-side services (/ready, /metrics, dashboard, request log, doctor)."""
    wakeup: Wakeup
    """Rung by the service after each enqueue; every worker built here listens."""
    characters: CharacterService
    """A project's characters (the API's /v1/videos/characters); the worker reads their
    clips through ``character_store``."""
    character_store: CharacterStore
    files: FileService
    """A project's uploaded files (the API's /v1/files, a create's ``file_id``)."""
    pauses: PauseService
    """Pause and resume (the deployment, a project, an engine): the API's and CLI's."""
    batches: BatchService | None = None
    """Batches of videos (``/v1/batches``): the API's use cases and every worker's coordinator."""
    _signer: provenance.Signer | None = None

    @classmethod
    async def open(cls, settings: Settings, *, migrate: bool | None = None) -> Runtime:
        """Connect and bring the schema up to date (by default only for embedded SQLite)."""
        config = config_file.load(settings.config)
        models = load_catalog(settings, config)
        plans = tiers.load(settings.plans)
        relaxed = RelaxedWindow.parse(settings.relaxed_window, settings.relaxed_timezone)
        engines = EngineDirectory(config.engines, settings.engine_options)
        engine_infos = await _check_engines(models, engines)
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        settings.tmp_dir.mkdir(parents=True, exist_ok=True)
        moderation = safety.moderation(settings)
        mark = safety.mark(settings)  # checked at start-up, used by workers
        db = Database(
            settings.resolved_database_url, sqlite_synchronous=settings.sqlite_synchronous
        )
        try:
            if migrate or (migrate is None and db.is_sqlite):
                before, after = await db.migrate()
                if before != after:
                    log.info("database schema upgraded from %s to %s", before or "empty", after)
            else:
                await db.check_schema()
        except BaseException:
            await db.close()
            raise
        videos = VideoStore(db)
        queue = QueueStore(
            db,
            charge_moderation=settings.charge_moderation_blocked,
            relaxed_open=relaxed.is_open,
        )
        keys = KeyStore(db)
        counters: Counters = (
            RedisCounters(settings.redis_url) if settings.redis_url else DatabaseCounters(db)
        )
        accounts = AccountService(
            plans, AccountStore(db), keys, counters, relaxed, watermark=settings.watermark
        )
        storage = open_storage(
            settings.resolved_storage_url,
            s3_endpoint_url=settings.s3_endpoint_url,
            s3_region=settings.s3_region,
            s3_access_key_id=settings.s3_access_key_id,
            s3_secret_access_key=settings.s3_secret_access_key,
        )
        wakeup = Wakeup()
        character_store = CharacterStore(db)
        characters = CharacterService(
            character_store, storage, moderation, tmp_dir=settings.tmp_dir
        )
        files = FileService(
            FileStore(db),
            storage,
            max_bytes=settings.max_file_bytes,
            expiry_seconds=settings.file_expiry_seconds,
        )
        accounts.file_usage = files.store.usage
        service = VideoService(
            settings,
            models,
            videos,
            keys,
            storage,
            accounts,
            moderation,
            on_enqueue=wakeup.notify,
            # what each routed engine can do (read at start-up; cached by the directory)
            engine_infos=engine_infos,
            characters=characters,
            files=files,
        )
        webhook_store = WebhookStore(
            db,
            retry_schedule=retry_schedule(settings),
            disable_after_seconds=settings.webhook_disable_after_seconds,
        )
        engine_store = EngineStore(db)
        pause_service = PauseService(PauseStore(db), accounts.accounts, models.engines())
        accounts.budget_watch = pause_service.check_budget
        accounts.pause_state = pause_service.state
        monitor = EngineMonitor(engine_store, engines, models.engines())
        request_log = RefusalLog(RequestLog(db))
        operations = Operations(
            readiness=ReadinessChecks(HealthStore(db), videos),
            request_log=request_log,
            engines=monitor,
            dashboard=DashboardReads(DashboardStore(db), monitor),
            diagnoses=Diagnoses(queue, videos, Diagnosis(db), request_log, monitor),
            observe=ObserveStore(db),
        )
        return cls(
            settings=settings,
            db=db,
            catalog=models,
            videos=videos,
            queue=queue,
            keys=keys,
            storage=storage,
            service=service,
            engines=engines,
            engine_store=engine_store,
            accounts=accounts,
            moderation=moderation,
            mark=mark,
            webhook_store=webhook_store,
            webhooks=WebhookEndpoints(
                webhook_store,
                allow_private=settings.webhook_allow_private_networks,
                timeout_seconds=settings.webhook_timeout_seconds,
            ),
            key_admin=KeyAdmin(accounts.accounts, keys),
            batches=BatchService(settings, BatchStore(db), files, service),
            operations=operations,
            wakeup=wakeup,
            characters=characters,
            character_store=character_store,
            files=files,
            pauses=pause_service,
        )

    def worker(self, concurrency: int, *, reaper: bool = True) -> Worker:
        finisher = finishing.Finisher(
            moderation=self.moderation,
            signer=self.signer(),
            mark=self.mark,
        )
        ctx = JobContext(
            settings=self.settings,
            catalog=self.catalog,
            store=self.queue,
            storage=self.storage,
            executors=Executors(self.engines, self.catalog.engines()),
            engines=self.engines,
            engine_store=self.engine_store,
            finisher=finisher,
            characters=self.character_store,
        )
        dispatcher = Dispatcher(
            self.webhook_store,
            concurrency=self.settings.webhook_concurrency,
            timeout_seconds=self.settings.webhook_timeout_seconds,
            poll_seconds=self.settings.webhook_poll_seconds,
            allow_private=self.settings.webhook_allow_private_networks,
        )
        worker = Worker(
            ctx,
            Housekeeping(
                self.videos,
                self.storage,
                RequestLog(self.db),
                request_log_seconds=self.settings.request_log_days * 86400,
                purge_files=self.files.purge_due,
            ),
            concurrency=concurrency,
            reaper=reaper,
            background=[dispatcher.run, *self._batch_coordinator()],
            on_job_end=dispatcher.notify,
        )
        self.wakeup.listen(worker.notify)
        return worker

    def _batch_coordinator(self) -> list[Callable[[asyncio.Event], Coroutine[Any, Any, None]]]:
        """The loop that steps batches (``worker.batches``), under this process's own id."""
        steps = self.batches
        if steps is None:
            return []
        owner = f"{socket.gethostname()}:{os.getpid()}:{ids.new_id('b')[2:10]}"
        poll = self.settings.batch_poll_seconds
        return [functools.partial(batch_worker.coordinate, steps, owner, poll)]

    def signer(self) -> provenance.Signer:
        """The C2PA signer, made when a worker first needs it (the development CA is created
        then, not by every CLI command)."""
        if self._signer is None:
            self._signer = safety.signer(self.settings)
        return self._signer

    async def ensure_first_key(self) -> str | None:
        """On an empty data dir: a default project and a development key (returned once)."""
        if await self.keys.count_keys() > 0:
            return None
        project, _ = await self.keys.ensure_project(DEFAULT_PROJECT)
        _, secret = await self.keys.create_key(project.id, name="development")
        return secret

    async def close(self) -> None:
        await self.moderation.close()
        await self.accounts.counters.close()
        await self.db.close()


def load_catalog(
    settings: Settings, config: config_file.ConfigFile | None = None
) -> catalog.Catalog:
    """The served models: the catalogue file with the config file's routes applied, less
    the optional models (open models on the operator's weights) whose engines are not
    configured here."""
    config = config or config_file.load(settings.config)
    found = config.apply(catalog.load(settings.catalog))
    served, left_out = found.servable(EngineDirectory(config.engines).known)
    if left_out:
        log.info(
            "not serving %s: an engine on the route is not configured (docs/engines.md)",
            ", ".join(left_out),
        )
    return served


async def _check_engines(
    models: catalog.Catalog, engines: EngineDirectory
) -> dict[str, base.EngineInfo]:
    """Every engine a route names exists, starts with its options, and together the engines
    on each model's route serve everything the model offers (capabilities, sizes, seconds):
    fail at start-up, naming model, engine and gap, not on the first job.  Returns what each
    routed engine can do."""
    unknown = sorted(name for name in models.engines() if not engines.known(name))
    if unknown:
        raise ValueError(
            f"the catalogue routes to unknown engine(s) {unknown}; known engines: "
            f"{sorted(registry.known_engines())} and those declared in the config file"
        )
    infos: dict[str, base.EngineInfo] = {}
    for name in sorted(models.engines()):
        try:
            infos[name] = await engines.load_info(name)
        except (TypeError, ValueError) as exc:
            raise ValueError(f"engine {name!r} cannot start with its options: {exc}") from exc
    found = [gap for model in models.models for gap in engines.gaps(model)]
    if found:
        raise ValueError(
            "the catalogue offers what its engines cannot serve (change the model's "
            "capabilities, sizes or seconds, its route, or the engines' options):\n  "
            + "\n  ".join(found)
        )
    return infos
