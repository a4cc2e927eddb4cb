"""Where local engines render: the execution seam, its strategies, and the table that picks one.

An engine declares its strategy as data (``EngineInfo.execution``); the worker keeps one
executor per strategy in use and hands each local job to its engine's executor.  Cancelling
the ``render`` coroutine must stop the render; progress goes to ``on_progress`` (0..100); a
failure is raised as ``errors.JobFailure`` (an engine's own, or ``EngineRuntimeError`` for a
crash), the same for every strategy, so the supervision in ``orchestrate`` does not care which.

Adding a strategy is one module with a class meeting ``Executor`` (built with the engine
modules to preload and a lookup of each engine's devices) plus one line in ``STRATEGIES``; an
engine then names it in its info.  An executor that also has ``states`` (``ReportsDevices``)
reports its devices for the worker's check-in.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Protocol, runtime_checkable

from reelway.engines import base
from reelway.engines.directory import EngineDirectory, EngineSpec
from reelway.worker.render_process import ForkPerJob
from reelway.worker.resident import DeviceState, ResidentProcess


class Executor(Protocol):
    """Runs local renders somewhere other than the worker's event loop."""

    async def render(
        self,
        spec: EngineSpec,
        request: base.GenerationRequest,
        output: base.RenderOutput,
        on_progress: Callable[[int], None],
    ) -> base.RenderResult: ...

    async def close(self) -> None:
        """Stop whatever outlives a job (called when the worker stops)."""
        ...


@runtime_checkable
class ReportsDevices(Protocol):
    """An executor that keeps devices: their state for the worker's check-in."""

    def states(self, engines: Iterable[str] = ()) -> list[DeviceState]: ...


DeviceLookup = Callable[[str], Sequence[str]]
"""An engine's devices (``EngineInfo.devices``) by its routed name."""

Strategy = Callable[[Sequence[str], DeviceLookup], Executor]


def _fork_per_job(preload: Sequence[str], _devices: DeviceLookup) -> Executor:
    return ForkPerJob(preload)


def _resident(preload: Sequence[str], devices: DeviceLookup) -> Executor:
    return ResidentProcess(preload, devices)


STRATEGIES: Mapping[str, Strategy] = {
    "fork_per_job": _fork_per_job,
    "resident": _resident,
}
"""Execution strategy (``EngineInfo.execution``) -> its executor, built with the modules to
preload and the engines' devices."""


class Executors:
    """The worker's executor table: each local engine's strategy, checked when it is built."""

    def __init__(
        self,
        engines: EngineDirectory,
        routed: Iterable[str],
        strategies: Mapping[str, Strategy] = STRATEGIES,
    ) -> None:
        """Raises ``ValueError`` naming the engine when one declares an unknown strategy."""
        routed = sorted(set(routed))
        self._engines = engines
        self._strategies = dict(strategies)
        self._preload = [engines.module(name) for name in routed]
        self._running: dict[str, Executor] = {}
        self._by_engine: dict[str, str] = {}
        for name in routed:
            if engines.kind(name) is base.EngineKind.LOCAL:
                self._by_engine[name] = self._strategy(name)

    def _strategy(self, name: str) -> str:
        strategy = self._engines.info(name).execution
        if strategy not in self._strategies:
            raise ValueError(
                f"engine {name!r} declares execution {strategy!r}, which this worker does not "
                f"know; known: {', '.join(sorted(self._strategies))}"
            )
        return strategy

    def for_engine(self, name: str) -> Executor:
        """The executor that renders ``name``'s jobs (made on first use)."""
        strategy = self._by_engine.get(name)
        if strategy is None:
            strategy = self._by_engine[name] = self._strategy(name)
        executor = self._running.get(strategy)
        if executor is None:
            executor = self._running[strategy] = self._strategies[strategy](
                self._preload, self._devices
            )
        return executor

    def _devices(self, name: str) -> Sequence[str]:
        return self._engines.info(name).devices

    def device_states(self) -> list[DeviceState]:
        """Every device of the engines whose executor keeps devices (idle before first use)."""
        found: list[DeviceState] = []
        for strategy in sorted(set(self._by_engine.values())):
            engines = sorted(name for name, s in self._by_engine.items() if s == strategy)
            executor = self.for_engine(engines[0])  # cheap: no child starts before a job
            if isinstance(executor, ReportsDevices):
                found.extend(executor.states(engines))
        return found

    async def close(self) -> None:
        for executor in self._running.values():
            await executor.close()
        self._running.clear()
