"""Webhooks end to end: endpoints managed with the official SDK, deliveries to a receiver on
loopback verified with ``client.webhooks.verify_signature`` and ``unwrap``, retries, secret
rotation, disabling, and private addresses refused.

Every test ends with its project's outbox settled (nothing waiting or being sent) before its
receiver closes: an attempt still in flight would hit a closed receiver after the test, and
count against whichever test runs next."""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openai
import pytest

from tests import backends, fake_engines, harness, waiting
from tests.acceptance.conftest import SERVER_ENV, finished, sdk_client
from tests.conftest import deployment_for
from tests.fakes.receiver import Received, Receiver

NODE_DIR = Path(__file__).resolve().parents[1] / "node"
NODE_SDK = NODE_DIR / "node_modules" / "openai" / "package.json"
HOOK_ENV = {
    **SERVER_ENV,
    "REELWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    "REELWAY_WEBHOOK_RETRY_SCHEDULE": "0.3,0.3,0.3,1,1,1,1,1,1",
    "REELWAY_WEBHOOK_TIMEOUT_SECONDS": "1",
    "REELWAY_WEBHOOK_POLL_SECONDS": "0.1",
    "REELWAY_WEBHOOK_DISABLE_AFTER_SECONDS": "4",
}
FINAL = ("delivered", "failed", "cancelled")
SETTLE_SECONDS = 60.0


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A receiver of its own for each test, so deliveries of one never count for another."""
    fake = Receiver(slow_seconds=2.5)
    yield fake
    fake.close()


@pytest.fixture(scope="module", params=backends.BACKENDS)
def hooks(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    """A server that delivers to loopback, retries quickly and disables quickly."""
    folder = tmp_path_factory.mktemp(f"hooks-{request.param}")
    deployment = deployment_for(request, request.param, folder / "data", postgres_missing, moto)
    env = {
        **HOOK_ENV,
        "REELWAY_CATALOG": str(fake_engines.tiny_and_broken_catalog(folder / "catalog.toml")),
    }
    with harness.serving(deployment, env) as srv:
        yield srv


@pytest.fixture
def hook_client(
    hooks: harness.Server, receiver: Receiver, request: pytest.FixtureRequest
) -> Iterator[openai.OpenAI]:
    """A client for a project of its own; at teardown (before the receiver closes, which this
    fixture depends on) the project's outbox must settle."""
    project = f"h-{request.node.name[:40]}"
    with sdk_client(hooks, hooks.create_key(project)) as sdk:
        yield sdk
    _settled(hooks, f"project_id = (SELECT id FROM projects WHERE name = '{project}')")


def _settled(hooks: harness.Server, where: str, *, at_least: int = 0) -> list[tuple[Any, ...]]:
    """The delivery rows matching ``where`` (at least ``at_least`` of them) once none is
    waiting or being sent: the dispatcher is done with them, so no attempt can still land."""
    query = (
        "SELECT endpoint_id, event_id, status, attempts FROM webhook_deliveries "
        f"WHERE {where} ORDER BY seq"
    )
    return waiting.until(
        lambda: hooks.deployment.query(query),
        lambda rows: len(rows) >= at_least and all(row[2] in FINAL for row in rows),
        limit=SETTLE_SECONDS,
        what=f"deliveries where {where} to settle",
    )


def _endpoint(
    client: openai.OpenAI, receiver: Receiver, name: str, types: list[str] | None = None
) -> Any:
    return client.webhooks.create(
        name=name,
        url=receiver.url(name),
        event_types=types or ["video.completed", "video.failed"],  # type: ignore[arg-type]
    )


def _verify(client: openai.OpenAI, delivery: Received, secret: str) -> Any:
    client.webhooks.verify_signature(delivery.body, delivery.headers, secret=secret)
    return client.webhooks.unwrap(delivery.body, delivery.headers, secret=secret)


def _completed_and_failed(
    hooks: harness.Server, client: openai.OpenAI, receiver: Receiver, name: str
) -> tuple[Any, Any, Any, list[Received]]:
    """An endpoint for both video events, one completed and one failed video, and the
    deliveries to it once the dispatcher is done with them."""
    endpoint = _endpoint(client, receiver, name)
    good = client.videos.create(model="tiny", prompt="a red kite over a green hill")
    bad = client.videos.create(model="broken", prompt="please refuse this one")
    assert finished(client, good.id, 60).status == "completed"
    assert finished(client, bad.id, 60).status == "failed"
    rows = _settled(hooks, f"endpoint_id = '{endpoint.id}'", at_least=2)
    assert [(row[2], row[3]) for row in rows] == [("delivered", 1)] * 2, rows
    deliveries = receiver.for_endpoint(name)
    assert len(deliveries) == 2, "an event was delivered more than once"
    return endpoint, good, bad, deliveries


def test_completed_and_failed_videos_are_delivered_signed_as_the_sdk_verifies(
    hooks: harness.Server, hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    endpoint, good, bad, deliveries = _completed_and_failed(hooks, hook_client, receiver, "basic")
    assert endpoint.signing_secret.startswith("whsec_")
    assert endpoint.object == "webhook_endpoint"
    assert endpoint.signing_secret_hint == "whsec_..." + endpoint.signing_secret[-4:]
    by_type = {}
    for delivery in deliveries:
        event = _verify(hook_client, delivery, endpoint.signing_secret)
        by_type[event.type] = delivery
        assert delivery.headers["webhook-timestamp"].isdigit()
        assert abs(int(delivery.headers["webhook-timestamp"]) - time.time()) < 60
        assert delivery.headers["webhook-id"].startswith("wh_")
        assert delivery.headers["content-type"] == "application/json"
        body = delivery.event
        assert set(body) == {"id", "object", "created_at", "type", "data"}
        assert body["object"] == "event" and body["id"].startswith("evt_")
        assert isinstance(body["created_at"], int)
    assert by_type.keys() == {"video.completed", "video.failed"}
    assert by_type["video.completed"].event["data"] == {"id": good.id}
    assert by_type["video.failed"].event["data"] == {"id": bad.id}
    # The receiver reads the video for details, as OpenAI's guide says.
    assert hook_client.videos.retrieve(by_type["video.failed"].event["data"]["id"]).error
    # A wrong secret fails verification: the signature really is checked.
    with pytest.raises(openai.InvalidWebhookSignatureError):
        hook_client.webhooks.verify_signature(
            deliveries[0].body, deliveries[0].headers, secret="whsec_" + "QUFBQQ==" * 4
        )


@pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")
@pytest.mark.skipif(
    not NODE_SDK.exists(), reason="the openai Node SDK is not installed (make test installs it)"
)
def test_the_node_sdk_verifies_the_same_deliveries(
    hooks: harness.Server, hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    """The Node SDK's ``webhooks.verifySignature`` and ``unwrap`` accept what Reelway sends."""
    if hooks.deployment.name != backends.BACKENDS[0]:
        pytest.skip(f"covered on {backends.BACKENDS[0]}; nothing here depends on the backend")
    endpoint, good, bad, deliveries = _completed_and_failed(hooks, hook_client, receiver, "node")
    request = {
        "deliveries": [{"body": d.body, "headers": d.headers} for d in deliveries],
        "secret": endpoint.signing_secret,
        "wrongSecret": "whsec_" + "QUFBQQ==" * 4,
    }
    result = subprocess.run(
        ["node", str(NODE_DIR / "webhooks.mjs")],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    verified = json.loads(result.stdout.strip().splitlines()[-1])["verified"]
    assert {v["id"] for v in verified} == {good.id, bad.id}
    assert {v["type"] for v in verified} == {"video.completed", "video.failed"}
    assert all(v["wrongSecretRefused"] for v in verified)


def test_failed_attempts_are_retried_with_the_same_webhook_id(
    hooks: harness.Server, hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    receiver.plans["flaky"] = ["500", "slow", "503"]
    endpoint = _endpoint(hook_client, receiver, "flaky", ["video.completed"])
    video = hook_client.videos.create(model="tiny", prompt="a paper boat on a pond")
    attempts = receiver.wait_for("flaky", count=4, timeout=60)
    assert [a.answered for a in attempts] == ["500", "slow", "503", "200"]
    assert len({a.headers["webhook-id"] for a in attempts}) == 1
    assert len({a.body for a in attempts}) == 1
    for attempt in attempts:
        assert _verify(hook_client, attempt, endpoint.signing_secret).data.id == video.id
    rows = _settled(hooks, f"endpoint_id = '{endpoint.id}'", at_least=1)
    assert [(row[2], row[3]) for row in rows] == [("delivered", 4)], rows
    assert len(receiver.for_endpoint("flaky")) == 4, "a delivered event was sent again"
    listing = hooks.cli("webhooks", "deliveries", "--endpoint", endpoint.id, "--json")
    assert '"status": "delivered"' in listing and '"attempts": 4' in listing


def test_a_rotation_signs_with_both_secrets_during_its_overlap(
    hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    endpoint = _endpoint(hook_client, receiver, "rotate", ["video.completed"])
    old = endpoint.signing_secret
    rotated = hook_client.webhooks.rotate_secret(
        endpoint.id, keep_old_secret_active_for_24_hours=True
    )
    new = rotated.signing_secret
    assert new != old and new.startswith("whsec_")
    first = hook_client.videos.create(model="tiny", prompt="a lighthouse at dusk")
    (during,) = receiver.wait_for("rotate", lambda r: first.id in r.body)
    assert len(during.headers["webhook-signature"].split(" ")) == 2
    assert _verify(hook_client, during, old).data.id == first.id
    assert _verify(hook_client, during, new).data.id == first.id

    newest = hook_client.webhooks.rotate_secret(endpoint.id).signing_secret
    second = hook_client.videos.create(model="tiny", prompt="a lighthouse at dawn")
    (after,) = receiver.wait_for("rotate", lambda r: second.id in r.body)
    assert _verify(hook_client, after, newest).data.id == second.id
    for stale in (old, new):
        with pytest.raises(openai.InvalidWebhookSignatureError):
            hook_client.webhooks.verify_signature(after.body, after.headers, secret=stale)


def test_an_endpoint_failing_for_too_long_is_disabled_and_an_event_says_so(
    hooks: harness.Server, hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    receiver.plans["down"] = ["500"] * 50
    down = _endpoint(hook_client, receiver, "down", ["video.completed"])
    watcher = _endpoint(hook_client, receiver, "watcher", ["webhook_endpoint.disabled"])
    live = _endpoint(hook_client, receiver, "live", ["video.completed"])
    hook_client.videos.create(model="tiny", prompt="a windmill in the rain")
    (notice,) = receiver.wait_for("watcher", timeout=60)
    event = _verify(hook_client, notice, watcher.signing_secret)
    assert event.type == "webhook_endpoint.disabled"
    assert notice.event["data"]["id"] == down.id
    assert "failed" in notice.event["data"]["reason"]
    found = hook_client.webhooks.retrieve(down.id)
    assert found.model_extra and found.model_extra["status"] == "disabled"
    (row,) = _settled(hooks, f"endpoint_id = '{down.id}'")
    attempts = len(receiver.for_endpoint("down"))
    assert row[2] == "cancelled" and row[3] == attempts >= 2, (row, attempts)

    # Once the later video's event has reached another endpoint and its deliveries are all
    # done, none of them can still reach the disabled one.
    later = hook_client.videos.create(model="tiny", prompt="another windmill")
    (seen,) = receiver.wait_for("live", lambda r: later.id in r.body)
    rows = _settled(hooks, f"event_id = '{seen.event['id']}'", at_least=1)
    assert [r[0] for r in rows] == [live.id], "a disabled endpoint was queued a delivery"
    assert len(receiver.for_endpoint("down")) == attempts, "a disabled endpoint got a delivery"

    receiver.plans["down"] = []  # it answers 200 from now on
    enabled = hook_client.webhooks.update(down.id, extra_body={"enabled": True})
    assert enabled.model_extra and enabled.model_extra["status"] == "enabled"

    receiver.plans["gone"] = ["410"]
    gone = _endpoint(hook_client, receiver, "gone", ["video.completed"])
    kite = hook_client.videos.create(model="tiny", prompt="a kite that is gone")
    receiver.wait_for("gone")
    waiting.until(
        lambda: hook_client.webhooks.retrieve(gone.id).model_extra or {},
        lambda extra: extra.get("status") == "disabled",
        limit=SETTLE_SECONDS,
        what="410 Gone to disable the endpoint",
    )
    # The endpoint turned back on gets deliveries again.
    (back,) = receiver.wait_for("down", lambda r: kite.id in r.body)
    assert back.answered == "200"


def test_endpoints_are_managed_with_the_sdk_and_scoped_to_the_project(
    hooks: harness.Server, hook_client: openai.OpenAI, receiver: Receiver
) -> None:
    created = [_endpoint(hook_client, receiver, f"crud{n}") for n in range(3)]
    got = hook_client.webhooks.retrieve(created[0].id)
    assert got.url == receiver.url("crud0") and got.name == "crud0"
    assert not hasattr(got, "signing_secret") or getattr(got, "signing_secret", None) is None

    page = hook_client.webhooks.list(limit=2)
    assert [e.id for e in page.data] == [created[2].id, created[1].id]
    assert page.has_more
    assert [e.id for e in page.get_next_page().data] == [created[0].id]
    assert [e.id for e in hook_client.webhooks.list()] == [c.id for c in reversed(created)]

    before = hook_client.webhooks.retrieve(created[1].id).updated_at
    same = hook_client.webhooks.update(created[1].id, name="crud1")
    assert same.updated_at == before
    renamed = hook_client.webhooks.update(
        created[1].id, name="renamed", event_types=["video.failed"]
    )
    assert renamed.name == "renamed" and renamed.event_types == ["video.failed"]

    result = hook_client.webhooks.test(created[2].id, event_type="video.completed")
    assert result.status_code == 200 and result.webhook_endpoint_id == created[2].id
    (sample,) = receiver.wait_for("crud2")
    assert _verify(hook_client, sample, created[2].signing_secret).type == "video.completed"

    types = hook_client.webhooks.event_types.list()
    assert types.data == [
        "video.completed",
        "video.failed",
        "batch.completed",
        "batch.failed",
        "batch.expired",
        "batch.cancelled",
        "budget.threshold_reached",
        "webhook_endpoint.disabled",
    ]

    deleted = hook_client.webhooks.delete(created[0].id)
    assert deleted.deleted and deleted.object == "webhook_endpoint.deleted"
    with pytest.raises(openai.NotFoundError) as missing:
        hook_client.webhooks.retrieve(created[0].id)
    assert missing.value.code == "webhook_endpoint_not_found"
    assert missing.value.response.headers["x-request-id"]

    with sdk_client(hooks, hooks.create_key("someone-else")) as other:
        with pytest.raises(openai.NotFoundError):
            other.webhooks.retrieve(created[1].id)
        assert list(other.webhooks.list()) == []

    with pytest.raises(openai.BadRequestError) as unknown:
        hook_client.webhooks.create(
            name="x",
            url=receiver.url("x"),
            event_types=["response.completed"],
        )
    assert unknown.value.code == "invalid_value" and unknown.value.param == "event_types"
    with pytest.raises(openai.BadRequestError) as nameless:
        hook_client.webhooks.create(name="", url=receiver.url("x"), event_types=["video.completed"])
    assert nameless.value.param == "name"


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:9/hook",
        "http://localhost/hook",
        "http://[::1]/hook",
        "http://10.1.2.3/hook",
        "http://192.168.0.10/hook",
        "http://169.254.169.254/latest/meta-data",
        "http://0.0.0.0/hook",
        "ftp://example.com/hook",
        "http://user:pass@example.com/hook",
        "not a url",
    ],
)
def test_private_and_malformed_urls_are_refused_by_default(
    server: harness.Server, client: openai.OpenAI, url: str
) -> None:
    if server.deployment.name != backends.BACKENDS[0]:
        pytest.skip(f"covered on {backends.BACKENDS[0]}; nothing here depends on the backend")
    with pytest.raises(openai.BadRequestError) as refused:
        client.webhooks.create(name="internal", url=url, event_types=["video.completed"])
    assert refused.value.code == "webhook_url_not_allowed"
    assert refused.value.param == "url"
    assert refused.value.response.headers["x-request-id"]
