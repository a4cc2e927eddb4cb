"""An extension chain through the use cases and the store, on SQLite and PostgreSQL: each
link records its source's length and the chain's count, the seventh link is refused, an edit
carries the count on, and each extension is charged for its new seconds only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from reelway import errors, jobs, longform
from reelway import settings as settings_module
from reelway.runtime import Runtime
from reelway.service import Caller
from reelway.store import ledger
from tests.backends import Deployment


@pytest.fixture
async def runtime(tmp_path: Path, deployment: Deployment) -> AsyncIterator[Runtime]:
    settings = settings_module.from_env(deployment.env, data_dir=deployment.data_dir)
    rt = await Runtime.open(settings, migrate=True)
    yield rt
    await rt.close()


async def _complete(runtime: Runtime, video: jobs.Video) -> jobs.Video:
    """Render nothing: claim the job and mark it completed, billed for the whole file's
    length as the worker reports a delivered video's duration."""
    claimed = await runtime.queue.claim("test-worker", 60)
    assert claimed is not None and claimed.id == video.id
    assert claimed.lease_token is not None
    asset = jobs.Asset(f"videos/{video.id}/video.mp4", 1, "etag", "video/mp4")
    return await runtime.queue.complete(
        video.id,
        claimed.lease_token,
        "animatic",
        {"video": asset},
        billing=ledger.Settlement("completed", billed_seconds=int(video.seconds)),
    )


async def _charged(runtime: Runtime, video_id: str) -> int:
    record = await runtime.operations.diagnoses.video(video_id)
    assert record.charge is not None and record.charge.state == "settled"
    return record.charge.credits_charged


async def test_a_chain_holds_six_extensions_and_each_is_charged_for_its_new_seconds(
    runtime: Runtime,
) -> None:
    project, _ = await runtime.keys.ensure_project("chain")
    caller = Caller(project.id, "key_test")
    uses = longform.Longform(runtime.service)
    source = (await runtime.service.create(caller, {"prompt": "a harbour at dawn"})).video
    source = await _complete(runtime, source)
    assert await _charged(runtime, source.id) == 4 * 16

    link = source
    for count in range(1, 7):
        asked = {"prompt": "the boats sail on", "seconds": "4", "video": {"id": link.id}}
        extended = (await uses.extend(caller, asked)).video
        assert extended.kind is jobs.JobKind.EXTEND
        assert extended.seconds == str(4 + 4 * count) and extended.new_seconds == 4
        assert extended.sources == jobs.Sources(
            video_id=link.id, extends_seconds=4 * count, extensions=count
        )
        assert extended.seed == source.seed
        link = await _complete(runtime, extended)
        assert await _charged(runtime, link.id) == 4 * 16, "the new 4 s, not the total"

    seventh = {"prompt": "and on", "seconds": "4", "video": {"id": link.id}}
    with pytest.raises(errors.TooManyExtensions) as caught:
        await uses.extend(caller, seventh)
    assert caught.value.param == "video"

    # An edit keeps the source's length and its chain: extending the edit is refused too.
    edit = (await uses.edit(caller, {"prompt": "at night", "video": {"id": link.id}})).video
    assert (edit.kind, edit.seconds, edit.sources.extensions) == (jobs.JobKind.EDIT, "28", 6)
    edit = await _complete(runtime, edit)
    assert await _charged(runtime, edit.id) == 28 * 16, "an edit: the source's length"
    with pytest.raises(errors.TooManyExtensions):
        await uses.extend(caller, {**seventh, "video": {"id": edit.id}})


async def test_a_chain_stops_at_120_seconds(runtime: Runtime) -> None:
    project, _ = await runtime.keys.ensure_project("long")
    caller = Caller(project.id, "key_test")
    uses = longform.Longform(runtime.service)
    asked = {"prompt": "a long road", "model": "sora-2-pro", "seconds": "25"}
    link = await _complete(runtime, (await runtime.service.create(caller, asked)).video)
    for _ in range(4):  # 25 + 4 * 20 = 105 s
        step = {"prompt": "on", "seconds": "20", "video": {"id": link.id}}
        link = await _complete(runtime, (await uses.extend(caller, step)).video)
    assert link.seconds == "105"
    with pytest.raises(errors.VideoTooLong) as caught:
        await uses.extend(caller, {"prompt": "on", "seconds": "16", "video": {"id": link.id}})
    assert caught.value.param == "seconds"
    last = await uses.extend(caller, {"prompt": "on", "seconds": "15", "video": {"id": link.id}})
    assert last.video.seconds == "120"


async def test_an_idempotency_key_replays_an_extension(runtime: Runtime) -> None:
    project, _ = await runtime.keys.ensure_project("keyed")
    caller = Caller(project.id, "key_test")
    uses = longform.Longform(runtime.service)
    source = await _complete(runtime, (await runtime.service.create(caller, {"prompt": "a"})).video)
    asked = {"prompt": "on", "seconds": "8", "video": {"id": source.id}}
    first = await uses.extend(caller, asked, idempotency_key="ext-1")
    again = await uses.extend(caller, dict(asked), idempotency_key="ext-1")
    assert (again.replayed, again.video.id) == (True, first.video.id)
    with pytest.raises(errors.IdempotencyKeyReused):
        await uses.extend(caller, {**asked, "seconds": "4"}, idempotency_key="ext-1")
    with pytest.raises(errors.IdempotencyKeyReused):  # the same body, another operation
        await uses.edit(caller, {"prompt": "on", "video": {"id": source.id}}, None, "ext-1")
