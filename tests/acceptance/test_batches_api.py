"""Batches of videos (``/v1/batches``, ``endpoint: "/v1/videos"``) through the official openai
SDK, on SQLite + local storage and PostgreSQL + S3: a 200-line batch of good and bad lines
with its output and error files read line by line, a cancel, an expired window releasing its
holds, a worker SIGKILLed mid-batch, and the ``batch.*`` webhook events verified with
``client.webhooks.unwrap``.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import openai
import pytest

from tests import backends, fake_engines, harness, waiting
from tests.acceptance.conftest import SERVER_ENV, refused, sdk_client
from tests.conftest import deployment_for
from tests.fakes.receiver import Receiver

BATCH_ENV = {
    **SERVER_ENV,
    "REELWAY_BATCH_POLL_SECONDS": "0.2",
    "REELWAY_CLAIM_POLL_SECONDS": "0.1",
    "REELWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    "REELWAY_WEBHOOK_POLL_SECONDS": "0.1",
}
END_SECONDS = 240.0
ENDED = ("completed", "failed", "expired", "cancelled")
BATCH_EVENTS: Any = ["batch.completed", "batch.failed", "batch.expired", "batch.cancelled"]
REFUSAL_CODES = (
    "invalid_value",
    "unknown_parameter",
    "unsupported_batch_url",
    "duplicate_custom_id",
    "invalid_batch_line",
)
TINY_CREDITS = 4
"""What one tiny video (one second at 480p credits) is charged."""


@pytest.fixture(scope="module", params=backends.BACKENDS)
def batch_server(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    folder = tmp_path_factory.mktemp(f"batches-{request.param}")
    deployment = deployment_for(request, request.param, folder / "data", postgres_missing, moto)
    env = {
        **BATCH_ENV,
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(folder / "catalog.toml")),
    }
    with harness.serving(deployment, env) as srv:
        yield srv


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    fake = Receiver()
    yield fake
    fake.close()


def _line(custom_id: str, body: Any, **extra: Any) -> dict[str, Any]:
    return {"custom_id": custom_id, "method": "POST", "url": "/v1/videos", "body": body, **extra}


def _upload(client: openai.OpenAI, lines: list[Any]) -> str:
    data = b"".join(json.dumps(line).encode() + b"\n" for line in lines)
    return client.files.create(file=("in.jsonl", io.BytesIO(data)), purpose="batch").id


def _ended(client: openai.OpenAI, batch_id: str, limit: float = END_SECONDS) -> Any:
    return waiting.until(
        lambda: client.batches.retrieve(batch_id),
        lambda batch: batch.status in ENDED,
        limit=limit,
        what=f"batch {batch_id} to end",
        every=0.25,
    )


def _jsonl(client: openai.OpenAI, file_id: str | None) -> list[dict[str, Any]]:
    if file_id is None:
        return []
    text = client.files.content(file_id).content.decode()
    return [json.loads(line) for line in text.splitlines()]


def _count(deployment: backends.Deployment, sql: str) -> int:
    return int(str(deployment.query(sql)[0][0]))


def _project(server: harness.Server, name: str) -> str:
    rows = server.deployment.query(f"SELECT id FROM projects WHERE name = '{name}'")
    return str(rows[0][0])


def test_a_batch_of_good_and_bad_lines_on_each_backend(
    batch_server: harness.Server, receiver: Receiver
) -> None:
    name = "batch-mixed"
    with sdk_client(batch_server, batch_server.create_key(name)) as client:
        endpoint = client.webhooks.create(
            name="batches", url=receiver.url("batches"), event_types=BATCH_EVENTS
        )
        expected: dict[str, tuple[str, str | None]] = {}
        lines: list[Any] = []
        for n in range(200):
            cid = f"line-{n:03d}"
            kind = n % 20
            if kind == 3:
                lines.append(_line(cid, {"model": "tiny", "prompt": "x", "seconds": "7"}))
                expected[cid] = ("refused", "invalid_value")
            elif kind == 5:
                lines.append(_line(cid, {"model": "tiny", "prompt": "a kite", "colour": "red"}))
                expected[cid] = ("refused", "unknown_parameter")
            elif kind == 7:
                lines.append(_line(cid, {"model": "broken", "prompt": "please refuse this"}))
                expected[cid] = ("failed", None)
            elif kind == 9:
                lines.append({**_line(cid, {"model": "tiny", "prompt": "a"}), "url": "/v1/images"})
                expected[cid] = ("refused", "unsupported_batch_url")
            elif kind == 11:
                lines.append(_line("line-000", {"model": "tiny", "prompt": "dup"}))
                expected[f"dup-{n}"] = ("refused", "duplicate_custom_id")
            elif kind == 13:
                lines.append({"method": "POST", "url": "/v1/videos", "body": {"prompt": "x"}})
                expected[f"none-{n}"] = ("refused", "invalid_batch_line")
            else:
                lines.append(_line(cid, {"model": "tiny", "prompt": f"kite number {n}"}))
                expected[cid] = ("completed", None)
        good = sum(1 for kind, _ in expected.values() if kind == "completed")
        file_id = _upload(client, lines)
        started = time.monotonic()
        batch = client.batches.create(
            input_file_id=file_id,
            endpoint="/v1/videos",
            completion_window="24h",
            metadata={"run": "nightly"},
        )
        answered = time.monotonic() - started
        assert batch.object == "batch" and batch.id.startswith("batch_")
        assert batch.status == "validating" and batch.metadata == {"run": "nightly"}
        assert batch.expires_at is not None and batch.expires_at - batch.created_at == 86_400
        print(f"create answered in {answered * 1000:.0f} ms")

        done = _ended(client, batch.id)
        assert done.status == "completed", done
        assert done.request_counts is not None
        assert (done.request_counts.total, done.request_counts.completed) == (200, good), _jsonl(
            client, done.error_file_id
        )[:3]
        assert done.request_counts.failed == 200 - good
        for stamp in ("in_progress_at", "finalizing_at", "completed_at"):
            assert getattr(done, stamp) is not None, stamp
        assert done.in_progress_at <= done.finalizing_at <= done.completed_at

        output = _jsonl(client, done.output_file_id)
        errors = _jsonl(client, done.error_file_id)
        assert len(output) == good and len(output) + len(errors) == 200
        for entry in output:
            assert expected[entry["custom_id"]] == ("completed", None), entry
            assert entry["error"] is None and entry["response"]["status_code"] == 200
            video = entry["response"]["body"]
            assert video["object"] == "video" and video["status"] == "completed"
            assert entry["response"]["request_id"].startswith("req_")
            assert client.videos.retrieve(video["id"]).status == "completed"
        assert len({e["custom_id"] for e in output}) == good
        seen_codes: dict[str, int] = {}
        for entry in errors:
            cid = entry["custom_id"]
            if entry["response"] is not None and entry["response"]["status_code"] == 400:
                code = entry["response"]["body"]["error"]["code"]
                if code in ("duplicate_custom_id", "invalid_batch_line"):
                    assert cid in ("line-000", None), entry
                else:
                    assert expected[cid] == ("refused", code), entry
            else:
                assert expected[cid] == ("failed", None), entry
                assert entry["response"]["body"]["status"] == "failed"
                code = entry["error"]["code"]
            seen_codes[code] = seen_codes.get(code, 0) + 1
        refusals = {code: seen_codes.pop(code, 0) for code in REFUSAL_CODES}
        assert refusals == dict.fromkeys(REFUSAL_CODES, 10), refusals
        assert sum(seen_codes.values()) == 10, seen_codes  # the broken model's renders

        project = _project(batch_server, name)
        charges = batch_server.deployment.query(
            f"SELECT outcome, COUNT(*), SUM(credits_charged) FROM charges "
            f"WHERE project_id = '{project}' GROUP BY outcome ORDER BY outcome"
        )
        charged = {str(row[0]): (int(str(row[1])), int(str(row[2] or 0))) for row in charges}
        assert charged["completed"] == (good, good * TINY_CREDITS), charged
        priorities = batch_server.deployment.query(
            f"SELECT DISTINCT priority FROM videos WHERE project_id = '{project}'"
        )
        assert priorities == [(-60,)], "batch lines run below interactive work"

        (delivery,) = receiver.wait_for("batches")
        event = client.webhooks.unwrap(
            delivery.body, delivery.headers, secret=endpoint.signing_secret
        )
        assert isinstance(event, openai.types.webhooks.BatchCompletedWebhookEvent)
        assert event.data.id == batch.id

        with pytest.raises(openai.BadRequestError) as caught:
            client.batches.cancel(batch.id)
        assert (caught.value.code, caught.value.param) == ("batch_not_cancellable", "batch_id")
        listed = client.batches.list(limit=5)
        assert [b.id for b in listed.data][:1] == [batch.id]
        assert client.batches.retrieve(batch.id).model_dump() == done.model_dump()


def test_refusals_name_the_parameter(batch_server: harness.Server) -> None:
    with sdk_client(batch_server, batch_server.create_key("batch-refusals")) as client:
        file_id = _upload(client, [_line("a", {"model": "tiny", "prompt": "x"})])
        auth = {"Authorization": f"Bearer {client.api_key}"}
        with httpx.Client(base_url=str(client.base_url), headers=auth, timeout=30) as raw:
            body = {"input_file_id": file_id, "endpoint": "/v1/videos", "completion_window": "24h"}
            refused(
                raw.post("batches", json={**body, "endpoint": "/v1/chat/completions"}),
                "unsupported_batch_endpoint",
                "endpoint",
            )
            message = refused(
                raw.post("batches", json={**body, "completion_window": "48h"}),
                "unsupported_completion_window",
                "completion_window",
            )
            assert "'24h'" in message
            refused(
                raw.post("batches", json={**body, "input_file_id": "file-nope"}),
                "file_not_found",
                "input_file_id",
                404,
            )
            refused(raw.get("batches/batch_nope"), "batch_not_found", "batch_id", 404)
        with pytest.raises(openai.BadRequestError) as caught:
            client.batches.create(
                input_file_id=file_id,
                endpoint="/v1/embeddings",
                completion_window="24h",
            )
        assert "/v1/videos" in caught.value.message


def test_a_cancel_ends_queued_lines_and_refunds_them(
    batch_server: harness.Server, receiver: Receiver
) -> None:
    name = "batch-cancel"
    with sdk_client(batch_server, batch_server.create_key(name)) as client:
        endpoint = client.webhooks.create(
            name="batches", url=receiver.url("batches"), event_types=BATCH_EVENTS
        )
        lines = [_line(f"c{n}", {"model": "tiny", "prompt": f"sea {n}"}) for n in range(60)]
        batch = client.batches.create(
            input_file_id=_upload(client, lines),
            endpoint="/v1/videos",
            completion_window="24h",
        )
        cancelling = client.batches.cancel(batch.id)
        assert cancelling.status in ("cancelling", "cancelled")
        assert cancelling.cancelling_at is not None
        done = _ended(client, batch.id)
        assert done.status == "cancelled" and done.cancelled_at is not None
        assert done.request_counts is not None and done.request_counts.total == 60
        output = _jsonl(client, done.output_file_id)
        errors = _jsonl(client, done.error_file_id)
        assert len(output) + len(errors) == 60 == len({e["custom_id"] for e in output + errors})
        assert done.request_counts.completed == len(output)
        assert {e["error"]["code"] for e in errors} <= {"batch_cancelled"}, errors[:3]
        assert client.batches.cancel(batch.id).status == "cancelled"  # again: as it is
        (delivery,) = receiver.wait_for("batches")
        event = client.webhooks.unwrap(
            delivery.body, delivery.headers, secret=endpoint.signing_secret
        )
        assert isinstance(event, openai.types.webhooks.BatchCancelledWebhookEvent)
        assert event.data.id == batch.id
    project = _project(batch_server, name)
    held = batch_server.deployment.query(
        f"SELECT COALESCE(SUM(credits_reserved), 0) FROM balances WHERE project_id = '{project}'"
    )
    assert held == [(0,)], "a cancelled line's hold is released"


@pytest.mark.timeout(300)
def test_an_expired_window_ends_lines_and_releases_holds(
    deployment: backends.Deployment,
    processes: list[harness.Process],
    tmp_path: Path,
    receiver: Receiver,
) -> None:
    """No worker renders anything, so every queued line is still waiting when the (two
    second) window ends: each ends ``batch_expired`` and gives its hold back."""
    env = {
        **BATCH_ENV,
        "REELWAY_WORKERS": "0",
        "REELWAY_BATCH_WINDOW_SECONDS": "3",
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(tmp_path / "catalog.toml")),
    }
    api = harness.Server(deployment, env)
    processes.append(api)
    with sdk_client(api, api.create_key("expiring")) as client:
        endpoint = client.webhooks.create(
            name="batches", url=receiver.url("batches"), event_types=BATCH_EVENTS
        )
        lines = [_line(f"e{n}", {"model": "tiny", "prompt": f"field {n}"}) for n in range(20)]
        batch = client.batches.create(
            input_file_id=_upload(client, lines),
            endpoint="/v1/videos",
            completion_window="24h",
        )
        assert batch.expires_at is not None and batch.expires_at - batch.created_at == 3
        done = _ended(client, batch.id, 60)
        assert done.status == "expired" and done.expired_at is not None, done
        assert done.output_file_id is None
        errors = _jsonl(client, done.error_file_id)
        assert sorted(e["custom_id"] for e in errors) == sorted(f"e{n}" for n in range(20))
        assert {e["error"]["code"] for e in errors} == {"batch_expired"}
        assert done.request_counts is not None
        assert (done.request_counts.completed, done.request_counts.failed) == (0, 20)
        (delivery,) = receiver.wait_for("batches")
        event = client.webhooks.unwrap(
            delivery.body, delivery.headers, secret=endpoint.signing_secret
        )
        assert isinstance(event, openai.types.webhooks.BatchExpiredWebhookEvent)
    charges = deployment.query("SELECT state, outcome, credits_charged FROM charges")
    assert len(charges) <= 20
    assert {tuple(c) for c in charges} <= {("released", "cancelled", 0)}, charges
    (held,) = deployment.query("SELECT COALESCE(SUM(credits_reserved), 0) FROM balances")
    assert tuple(held) == (0,), "expired lines hold nothing"
    statuses = deployment.query("SELECT DISTINCT status FROM videos")
    assert set(statuses) <= {("cancelled",)}, statuses


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    lines_count = 40
    env = {
        **BATCH_ENV,
        "REELWAY_WORKERS": "0",
        "REELWAY_LEASE_SECONDS": "2",
        "REELWAY_HEARTBEAT_SECONDS": "0.5",
        "REELWAY_REAP_INTERVAL_SECONDS": "0.5",
        "REELWAY_MAX_ATTEMPTS": "30",
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(tmp_path / "catalog.toml")),
    }
    api = harness.Server(deployment, env)
    processes.append(api)

    def start_worker() -> harness.WorkerProcess:
        worker = harness.WorkerProcess(deployment, env)
        processes.append(worker)
        return worker

    with sdk_client(api, api.create_key("chaos")) as client:
        lines = [_line(f"k{n}", {"model": "tiny", "prompt": f"hill {n}"}) for n in range(40)]
        batch = client.batches.create(
            input_file_id=_upload(client, lines),
            endpoint="/v1/videos",
            completion_window="24h",
        )
        workers = [start_worker(), start_worker()]
        kills = 0
        deadline = time.monotonic() + END_SECONDS
        while kills < 2 and time.monotonic() < deadline:
            done_count = _count(
                deployment, "SELECT COUNT(*) FROM videos WHERE status = 'succeeded'"
            )
            running = _count(deployment, "SELECT COUNT(*) FROM videos WHERE status = 'running'")
            if done_count >= 5 * (kills + 1) and running:
                workers[kills % 2].kill()
                workers[kills % 2] = start_worker()
                kills += 1
            time.sleep(0.05)
        done = _ended(client, batch.id)
        for worker in workers:
            assert worker.terminate() == 0
        assert kills == 2, "the run was too short to kill anything"
        assert done.status == "completed", done
        assert done.request_counts is not None
        assert done.request_counts.completed == lines_count
        output = _jsonl(client, done.output_file_id)
        assert sorted(e["custom_id"] for e in output) == sorted(f"k{n}" for n in range(40))
    videos = deployment.query("SELECT COUNT(*) FROM videos")
    assert videos == [(lines_count,)], "each line queued once"
    charges = deployment.query("SELECT state, outcome, credits_charged FROM charges")
    assert len(charges) == lines_count
    assert {tuple(c) for c in charges} == {("settled", "completed", TINY_CREDITS)}, charges


@pytest.mark.slow
@pytest.mark.timeout(400)
def test_a_batch_survives_its_api_process_being_killed(
    deployment: backends.Deployment, processes: list[harness.Process], tmp_path: Path
) -> None:
    """The only coordinator (the API's: no worker runs one) is SIGKILLed while it queues
    lines; a new API process takes the batch up once the lease lapses, and every line is
    queued once."""
    lines_count = 150
    env = {
        **BATCH_ENV,
        "REELWAY_WORKERS": "0",
        "REELWAY_LEASE_SECONDS": "2",
        "REELWAY_HEARTBEAT_SECONDS": "0.5",
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(tmp_path / "catalog.toml")),
    }
    api = harness.Server(deployment, env)
    processes.append(api)
    key = api.create_key("restarts")
    with sdk_client(api, key) as client:
        lines = [
            _line(f"r{n}", {"model": "tiny", "prompt": f"dune {n}"}) for n in range(lines_count)
        ]
        batch = client.batches.create(
            input_file_id=_upload(client, lines),
            endpoint="/v1/videos",
            completion_window="24h",
        )
    queued = "SELECT COUNT(*) FROM batch_lines WHERE video_id IS NOT NULL"
    waiting.until(
        lambda: _count(deployment, queued),
        lambda count: count >= 20,
        limit=120,
        what="some lines to be queued",
        every=0.02,
    )
    api.kill()
    before = _count(deployment, queued)
    made = _count(deployment, "SELECT COUNT(*) FROM videos")
    again = harness.Server(deployment, env)
    processes.append(again)
    with sdk_client(again, key) as client:
        waiting.until(
            lambda: _count(deployment, queued),
            lambda count: count == lines_count,
            limit=END_SECONDS,
            what="every line to be queued",
        )
        assert client.batches.retrieve(batch.id).status == "in_progress"
        worker = harness.WorkerProcess(deployment, env)
        processes.append(worker)
        done = _ended(client, batch.id)
        assert worker.terminate() == 0
        assert done.status == "completed", done
        assert done.request_counts is not None
        assert done.request_counts.completed == lines_count
    print(f"{before} lines recorded as queued and {made} videos made when the API was killed")
    assert before < lines_count, "the kill came after the last line: nothing was resumed"
    assert deployment.query("SELECT COUNT(*) FROM videos") == [(lines_count,)]
    charges = deployment.query("SELECT state, outcome, credits_charged FROM charges")
    assert len(charges) == lines_count
    assert {tuple(c) for c in charges} == {("settled", "completed", TINY_CREDITS)}


NODE_DIR = Path(__file__).resolve().parents[1] / "node"


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not (NODE_DIR / "node_modules" / "openai" / "package.json").exists(),
    reason="the openai Node SDK is not installed (make test)",
)
def test_the_node_sdk_drives_every_batches_call(batch_server: harness.Server) -> None:
    result = subprocess.run(
        ["node", str(NODE_DIR / "batches.mjs")],
        capture_output=True,
        text=True,
        timeout=240,
        env={
            **os.environ,
            "OPENAI_BASE_URL": batch_server.base_url,
            "OPENAI_API_KEY": batch_server.create_key("batches-node"),
        },
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["created"] == {"status": "validating", "metadata": {"from": "node"}}
    assert report["done"] == {
        "status": "completed",
        "counts": {"total": 3, "completed": 2, "failed": 1},
    }
    assert sorted(report["output"]) == [["good-1", "completed"], ["good-2", "completed"]]
    assert report["errors"] == [["bad", 400, "invalid_value"]]
    assert report["listed"] == report["expected"], "the async iterator walks 1-batch pages"
    assert report["cancelled"] == "cancelled"
    assert report["refused"] == {
        "status": 400,
        "code": "unsupported_batch_endpoint",
        "param": "endpoint",
    }
