"""The in-process wake-up: the runtime gives one ``Wakeup`` to the service and to every worker
it builds, so an enqueue wakes this process's workers at once instead of at their next poll."""

from __future__ import annotations

from reelway.service import Caller
from tests.integration.conftest import Open


async def test_an_enqueue_wakes_every_worker_the_runtime_built(open_runtime: Open) -> None:
    rt = await open_runtime(["p1"], route_passes=1)
    workers = [rt.worker(1, reaper=False), rt.worker(1, reaper=False)]
    assert not any(worker.wake.is_set() for worker in workers)
    project, _ = await rt.keys.ensure_project("wakeup")
    caller = Caller(project_id=project.id, key_id="k")
    await rt.service.create(caller, {"prompt": "a kite", "model": "remote"}, "req_wakeup")
    assert all(worker.wake.is_set() for worker in workers)
