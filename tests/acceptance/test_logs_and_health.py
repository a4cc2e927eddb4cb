"""A real ``reelway serve`` with JSON logs: every line is JSON, a request's lines carry its
request id and a job's lines its video id, secrets never appear; ``/ready`` and ``/health``
answer without a key, and ``reelway doctor`` explains a refused request."""

from __future__ import annotations

import json
import secrets

import httpx
import openai

from tests import backends, harness
from tests.acceptance.conftest import finished

ADMIN_KEY = "rw-admin-" + secrets.token_hex(16)
WEBHOOK_SECRET = "whsec_" + secrets.token_urlsafe(24)


def test_json_logs_name_the_request_and_the_video_and_never_a_secret(
    deployment: backends.Deployment,
) -> None:
    env = {
        "REELWAY_LOG_FORMAT": "json",
        "REELWAY_ADMIN_KEY": ADMIN_KEY,
        "REELWAY_WORKERS": "1",
        "REELWAY_POLL_AFTER_MS": "200",
    }
    full_env = {**deployment.env, **env}
    if deployment.database_url:
        harness.run_cli("migrate", data_dir=deployment.data_dir, env=full_env)
    # A key made before the first start: no development key is printed.
    key = harness.create_key(deployment.data_dir, "logs", full_env)
    srv = harness.Server(deployment, env, "--access-log")
    try:
        assert srv.dev_key is None
        with openai.OpenAI(base_url=srv.base_url, api_key=key, max_retries=0) as client:
            raw = client.videos.with_raw_response.create(
                prompt="a paper boat on a pond, static camera", model="sora-2", seconds="4"
            )
            request_id = raw.headers["x-request-id"]
            video = finished(client, raw.parse().id)
            assert video.status == "completed", video.error
        # Secrets where a log line would show them: in the path of refused requests.
        auth = {"Authorization": f"Bearer {key}"}
        for secret in (key, ADMIN_KEY, WEBHOOK_SECRET):
            assert httpx.get(f"{srv.base_url}/videos/{secret}", headers=auth).status_code == 404
        refused = httpx.get(f"{srv.base_url}/videos/{WEBHOOK_SECRET}", headers=auth)
        admin = httpx.get(
            f"{srv.base_url}/organization/projects",
            headers={"Authorization": f"Bearer {ADMIN_KEY}"},
        )
        assert admin.status_code == 200, admin.text

        ready = httpx.get(f"{srv.root}/ready")
        assert ready.status_code == 200, ready.text
        body = ready.json()
        assert body["status"] == "ready"
        assert {name: check["ok"] for name, check in body["checks"].items()} == {
            "database": True,
            "storage": True,
            "workers": True,
            "queue": True,
        }
        assert httpx.get(f"{srv.root}/health").json()["status"] == "ok"

        report = srv.cli("doctor", refused.headers["x-request-id"])
        assert "refused, no video was created" in report
        assert "answer     404 video_not_found" in report
        assert WEBHOOK_SECRET not in report
    finally:
        code = srv.terminate()
    assert code == 0, srv.output

    lines = [line for line in srv.lines if line.strip()]
    records = []
    for line in lines:
        try:
            records.append(json.loads(line))
        except ValueError:
            raise AssertionError(f"not a JSON line: {line!r}") from None
    assert all({"ts", "level", "logger", "message"} <= set(r) for r in records)

    for secret in (key, ADMIN_KEY, WEBHOOK_SECRET, WEBHOOK_SECRET.removeprefix("whsec_")):
        assert secret not in srv.output, "a secret reached the log"

    of_create = [r for r in records if r.get("request_id") == request_id]
    (access,) = [r for r in of_create if r["logger"] == "reelway.access"]
    assert (access["method"], access["path"], access["status"]) == ("POST", "/v1/videos", 200)
    assert access["duration_ms"] >= 0 and access["video_id"] == video.id

    of_video = [r for r in records if r.get("video_id") == video.id]
    worker_lines = [r for r in of_video if r["logger"].startswith("reelway.worker")]
    assert worker_lines, "the worker's lines about the job name the video"
    assert any("completed" in r["message"] for r in worker_lines)
    assert "Traceback" not in srv.output
