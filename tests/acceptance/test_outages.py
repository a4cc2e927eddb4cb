"""The database goes away under load: clear 503s meanwhile, and everything completes after."""

from __future__ import annotations

import time

import httpx
import openai
import pytest

from tests import backends, harness
from tests.acceptance.conftest import finished, made, sdk_client
from tests.proxy import Proxy


@pytest.mark.slow
def test_a_database_outage_answers_503_and_resumes_by_itself(
    postgres_deployment: backends.Deployment, processes: list[harness.Process]
) -> None:
    deployment = postgres_deployment
    assert deployment.database_url
    proxy = Proxy(backends.PG_PORT)
    try:
        through_proxy = deployment.database_url.replace(f":{backends.PG_PORT}/", f":{proxy.port}/")
        deployment.env["REELWAY_DATABASE_URL"] = through_proxy
        env = {
            "REELWAY_AUTH_CACHE_SECONDS": "0",
            "REELWAY_WORKERS": "2",
            "REELWAY_LEASE_SECONDS": "20",
            "REELWAY_POLL_AFTER_MS": "200",
        }
        server = harness.Server(deployment, env)
        processes.append(server)
        key = server.create_key("outage")
        with sdk_client(server, key) as client:
            videos = [
                client.videos.create(prompt=f"shot {n}: waves at dusk", seconds="8")
                for n in range(6)
            ]
            proxy.cut()
            auth = {"Authorization": f"Bearer {key}"}
            answer = httpx.get(f"{server.base_url}/videos/{videos[0].id}", headers=auth)
            assert answer.status_code == 503, answer.text
            assert answer.json()["error"]["code"] == "database_unavailable"
            assert int(answer.headers["retry-after"]) >= 1
            assert answer.headers["x-request-id"]
            with pytest.raises(openai.InternalServerError) as caught:
                client.with_options(max_retries=0).videos.create(prompt="during the outage")
            assert caught.value.status_code == 503
            time.sleep(4)
            proxy.restore()
            for video in videos:
                done = finished(client, video.id)
                assert done.status == "completed", done.error
            after = made(client, prompt="after the outage")
            assert after.status == "completed"
        assert server.terminate() == 0
        assert "Traceback" not in server.output, server.output
        assert "database unavailable" in server.output
    finally:
        proxy.close()
