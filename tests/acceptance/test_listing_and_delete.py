"""Cursor pagination as the SDK's auto-pager walks it, delete in every state, isolation."""

from __future__ import annotations

import time

import openai
import pytest

from tests import harness
from tests.acceptance.conftest import made


def _create_many(client: openai.OpenAI, count: int) -> list[str]:
    return [
        client.videos.create(prompt=f"shot {n}: a kite over a meadow", seconds="12").id
        for n in range(count)
    ]


def test_auto_paging_walks_every_page_in_both_orders(fresh_client: openai.OpenAI) -> None:
    created = _create_many(fresh_client, 7)
    try:
        ascending = [v.id for v in fresh_client.videos.list(limit=2, order="asc")]
        assert ascending == created
        descending = [v.id for v in fresh_client.videos.list(limit=3, order="desc")]
        assert descending == list(reversed(created))
        assert [v.id for v in fresh_client.videos.list()] == list(reversed(created))

        first = fresh_client.videos.list(limit=3, order="asc")
        assert first.has_more is True
        assert [v.id for v in first.data] == created[:3]
        raw = first.model_dump()
        assert raw["first_id"] == created[0] and raw["last_id"] == created[2]
        last = fresh_client.videos.list(limit=3, order="asc", after=created[5])
        assert [v.id for v in last.data] == created[6:]
        assert last.has_more is False
        empty = fresh_client.videos.list(limit=0)
        assert empty.data == [] and empty.has_more is True
    finally:
        for video_id in created:
            fresh_client.videos.delete(video_id)
    assert list(fresh_client.videos.list()) == []


def test_a_deleted_video_stays_a_valid_cursor(fresh_client: openai.OpenAI) -> None:
    created = _create_many(fresh_client, 3)
    fresh_client.videos.delete(created[1])
    after_deleted = fresh_client.videos.list(order="asc", after=created[1])
    assert [v.id for v in after_deleted.data] == [created[2]]
    for video_id in (created[0], created[2]):
        fresh_client.videos.delete(video_id)


def test_deleting_a_finished_video_removes_it_and_its_files(
    client: openai.OpenAI, server: harness.Server
) -> None:
    video = made(client, prompt="a bee visits a flower")
    assert video.status == "completed"
    stored = server.deployment.list_keys(f"videos/{video.id}")
    assert any(key.endswith("/video.mp4") for key in stored), stored
    deleted = client.videos.delete(video.id)
    assert (deleted.id, deleted.object, deleted.deleted) == (video.id, "video.deleted", True)
    with pytest.raises(openai.NotFoundError) as caught:
        client.videos.retrieve(video.id)
    assert caught.value.code == "video_not_found" and caught.value.param == "video_id"
    with pytest.raises(openai.NotFoundError):
        client.videos.download_content(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.delete(video.id)
    assert server.deployment.list_keys(f"videos/{video.id}") == []
    assert video.id not in [v.id for v in client.videos.list(limit=100)]


def test_deleting_a_running_video_cancels_it(client: openai.OpenAI, server: harness.Server) -> None:
    video = client.videos.create(
        prompt="a long aerial shot over mountains",
        model="sora-2-pro",
        size="1920x1080",  # type: ignore[arg-type]
        seconds="25",  # type: ignore[arg-type]
    )
    deadline = time.monotonic() + 60
    while client.videos.retrieve(video.id).status == "queued":
        assert time.monotonic() < deadline, "never started"
        time.sleep(0.1)
    client.videos.delete(video.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(video.id)
    # The worker notices at its next heartbeat and the files are purged.
    deadline = time.monotonic() + 30
    while server.deployment.list_keys(f"videos/{video.id}") or any(
        (server.data_dir / "tmp").glob(f"{video.id}*")
    ):
        assert time.monotonic() < deadline, "render was not stopped"
        time.sleep(0.2)


def test_deleting_a_queued_video_cancels_it_at_once(client: openai.OpenAI) -> None:
    blockers = _create_many(client, 3)
    queued = client.videos.create(prompt="waiting in line", seconds="12")
    assert client.videos.retrieve(queued.id).status == "queued"
    client.videos.delete(queued.id)
    with pytest.raises(openai.NotFoundError):
        client.videos.retrieve(queued.id)
    for video_id in blockers:
        client.videos.delete(video_id)


def test_projects_never_see_each_other(client: openai.OpenAI, other_client: openai.OpenAI) -> None:
    mine = client.videos.create(prompt="a secret garden", seconds="4")
    with pytest.raises(openai.NotFoundError):
        other_client.videos.retrieve(mine.id)
    with pytest.raises(openai.NotFoundError):
        other_client.videos.download_content(mine.id)
    with pytest.raises(openai.NotFoundError):
        other_client.videos.remix(mine.id, prompt="steal it")
    with pytest.raises(openai.NotFoundError):
        other_client.videos.delete(mine.id)
    assert mine.id not in [v.id for v in other_client.videos.list(limit=100)]
    with pytest.raises(openai.BadRequestError) as caught:
        other_client.videos.list(after=mine.id)
    assert caught.value.param == "after"
    assert client.videos.retrieve(mine.id).id == mine.id
