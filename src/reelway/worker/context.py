"""What every job on one worker shares: settings, stores, engines and where they run.

Its own module so that the job's modules (``orchestrate``, ``remote_job``) both import it and
neither imports the other's caller.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import cast

from reelway import catalog
from reelway.engines import base
from reelway.engines.directory import EngineDirectory
from reelway.settings import Settings
from reelway.storage import Storage
from reelway.store.characters import CharacterStore
from reelway.store.engines import EngineStore
from reelway.store.queue import QueueStore
from reelway.worker import finishing
from reelway.worker.execution import Executors


@dataclass
class JobContext:
    settings: Settings
    catalog: catalog.Catalog
    store: QueueStore
    storage: Storage
    executors: Executors
    """Where each local engine renders (its declared execution strategy)."""
    engines: EngineDirectory
    engine_store: EngineStore
    finisher: finishing.Finisher
    characters: CharacterStore
    """Where a job's characters are read (their names and clips)."""
    remotes: dict[str, base.RemoteEngine] = field(default_factory=dict)
    _remote: dict[str, bool] = field(default_factory=dict, init=False, repr=False)

    def is_remote(self, name: str) -> bool:
        """Whether the engine declares itself remote (nothing is built to find out).

        Remembered per engine: the answer cannot change while the worker runs, and asking
        the directory scans every installed package's entry points (5-10 ms of CPU, asked
        three times a job: the largest stage of a remote job before it was kept)."""
        found = self._remote.get(name)
        if found is None:
            found = self._remote[name] = self.engines.kind(name) is base.EngineKind.REMOTE
        return found

    def remote_engine(self, name: str) -> base.RemoteEngine | None:
        """The worker's instance of a remote engine (one per process); None for local ones."""
        if not self.is_remote(name):
            return None
        if name not in self.remotes:
            self.remotes[name] = cast(base.RemoteEngine, self.engines.create(name))
        return self.remotes[name]

    async def close(self) -> None:
        for engine in self.remotes.values():
            await engine.close()
        self.remotes.clear()
        await self.executors.close()
