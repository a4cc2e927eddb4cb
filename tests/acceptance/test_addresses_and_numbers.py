"""Issue 13's attack run, end to end: broken ports and IPv6 literals, numbers past int()'s
4,300 digits, IPv6 forms of private IPv4 addresses, two Authorization headers, impossible
dates and non-images each answer a 400 (or the range status) with a code, the parameter at
fault and the request id, on a connection that stays usable; never a 500."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import openai
import pytest

from tests import backends, harness
from tests.acceptance.conftest import SERVER_ENV, finished, refused, sdk_client
from tests.conftest import deployment_for

ADMIN_KEY = "sk-admin-addresses-0123456789"
QUIET_EVENT = "budget.threshold_reached"
"""An event a project without a budget never raises."""
HUGE = "9" * 5000
BROKEN_URLS = [
    "http://127.0.0.1:99999/x.png",
    "http://127.0.0.1:-1/x.png",
    "http://127.0.0.1:abc/x.png",
    "http://[::1/x.png",
    "http://[::1",
]
PRIVATE_IPV6 = [
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
    "2002:a9fe:a9fe::",  # 6to4 of it
    "::127.0.0.1",  # IPv4-compatible
    "::ffff:0:a9fe:a9fe",  # SIIT
    "fec0::1",  # site-local
    "::ffff:127.0.0.1",  # IPv4-mapped
]


@pytest.fixture(scope="module", params=backends.BACKENDS)
def strict(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[harness.Server]:
    """A server with the defaults an operator gets: no private networks for image URLs or
    webhooks, and an admin key."""
    folder = tmp_path_factory.mktemp(f"strict-{request.param}")
    deployment = deployment_for(request, request.param, folder / "data", postgres_missing, moto)
    env = {
        **SERVER_ENV,
        "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS": "false",
        "REELWAY_ADMIN_KEY": ADMIN_KEY,
    }
    with harness.serving(deployment, env) as srv:
        yield srv


@pytest.fixture(scope="module")
def strict_key(strict: harness.Server) -> str:
    return strict.create_key("attacker")


@pytest.fixture
def http(strict: harness.Server, strict_key: str) -> Iterator[httpx.Client]:
    """One keep-alive connection for a whole test: a 500 used to reset it."""
    with httpx.Client(
        base_url=strict.base_url, headers={"Authorization": f"Bearer {strict_key}"}, timeout=30
    ) as client:
        yield client


@pytest.mark.parametrize("url", BROKEN_URLS)
def test_broken_ports_and_ipv6_literals_are_400s(http: httpx.Client, url: str) -> None:
    create = http.post("/videos", json={"prompt": "x", "input_reference": {"image_url": url}})
    message = refused(create, "invalid_value", "input_reference.image_url")
    assert "port" in message or "IPv6" in message
    hook = {"name": "n", "url": url.replace("x.png", "hook"), "event_types": ["video.completed"]}
    refused(http.post("/webhook_endpoints", json=hook), "webhook_url_not_allowed", "url")
    assert http.get("/videos").status_code == 200, "the connection is still usable"


def test_a_webhook_cannot_be_moved_to_a_broken_url(strict: harness.Server) -> None:
    """Updates are checked like creates.  The endpoint's address is public and never
    contacted: its project makes no videos and has no budget, so nothing is delivered."""
    key = strict.create_key("quiet-hooks")
    with httpx.Client(
        base_url=strict.base_url, headers={"Authorization": f"Bearer {key}"}, timeout=30
    ) as http:
        created = http.post(
            "/webhook_endpoints",
            json={"name": "n", "url": "http://8.8.8.8/hook", "event_types": [QUIET_EVENT]},
        )
        assert created.status_code == 200, created.text
        one = f"/webhook_endpoints/{created.json()['id']}"
        for url in BROKEN_URLS:
            refused(http.post(one, json={"url": url}), "webhook_url_not_allowed", "url")
        assert http.get(one).json()["url"] == "http://8.8.8.8/hook"


@pytest.mark.parametrize("address", PRIVATE_IPV6)
def test_ipv6_forms_of_private_addresses_are_refused(http: httpx.Client, address: str) -> None:
    hook = {"name": "n", "url": f"http://[{address}]/hook", "event_types": ["video.completed"]}
    message = refused(http.post("/webhook_endpoints", json=hook), "webhook_url_not_allowed", "url")
    assert "private" in message
    image = {"prompt": "x", "input_reference": {"image_url": f"http://[{address}]/x.png"}}
    message = refused(
        http.post("/videos", json=image), "image_fetch_failed", "input_reference.image_url"
    )
    assert "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS" in message


def test_numbers_past_the_int_limit_are_out_of_range(
    http: httpx.Client, strict: harness.Server
) -> None:
    refused(http.get("/videos", params={"limit": HUGE}), "invalid_value", "limit")
    refused(http.get("/webhook_endpoints", params={"limit": HUGE}), "invalid_value", "limit")
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    project = f"{strict.base_url}/organization/projects/attacker"
    for field in ("requests_per_minute", "requests_per_day"):
        for value in (HUGE, str(2**31), 2**31):
            answer = http.post(project, headers=admin, json={field: value})
            message = refused(answer, "invalid_value", field)
            assert "2147483647" in message
    kept = http.post(project, headers=admin, json={"requests_per_day": str(2**31 - 1)})
    assert kept.status_code == 200, kept.text
    assert kept.json()["requests_per_day"] == 2**31 - 1
    cleared = http.post(project, headers=admin, json={"requests_per_day": None})
    assert cleared.status_code == 200, cleared.text


def test_a_range_with_a_huge_number_is_a_range_answer(
    strict: harness.Server, strict_key: str
) -> None:
    with sdk_client(strict, strict_key) as sdk:
        video = finished(sdk, sdk.videos.create(prompt="a red kite", seconds="4").id, 120)
    assert video.status == "completed", video
    with httpx.Client(
        base_url=strict.base_url, headers={"Authorization": f"Bearer {strict_key}"}, timeout=30
    ) as http:
        content = f"/videos/{video.id}/content"
        size = int(http.head(content).headers["content-length"])
        past = http.get(content, headers={"Range": f"bytes={HUGE}-"})
        refused(past, "range_not_satisfiable", "range", status=416)
        assert past.headers["content-range"] == f"bytes */{size}"
        whole = http.get(content, headers={"Range": f"bytes=-{HUGE}"})
        assert whole.status_code == 206 and len(whole.content) == size
        tail = http.get(content, headers={"Range": f"bytes=10-{HUGE}"})
        assert tail.status_code == 206
        assert tail.headers["content-range"] == f"bytes 10-{size - 1}/{size}"


def test_two_authorization_headers_are_refused(strict: harness.Server, strict_key: str) -> None:
    cases: list[tuple[str, list[tuple[str, str]]]] = [
        ("/videos", [("Authorization", f"Bearer {strict_key}")] * 2),
        ("/videos", [("Authorization", f"Bearer {strict_key}"), ("Authorization", "Bearer x")]),
        ("/organization/projects", [("Authorization", f"Bearer {ADMIN_KEY}")] * 2),
    ]
    with httpx.Client(base_url=strict.base_url, timeout=30) as http:
        for path, headers in cases:
            answer = http.get(path, headers=httpx.Headers(headers))
            message = refused(answer, "duplicate_header", "Authorization")
            assert "2 times" in message
        single = http.get("/videos", headers={"Authorization": f"Bearer {strict_key}"})
        assert single.status_code == 200


@pytest.mark.parametrize(
    "query, param",
    [
        ({"start": "2026-99-99"}, "start"),
        ({"end": "2026-02-30"}, "end"),
        ({"start": "2026-13-01", "end": "2026-12-31"}, "start"),
    ],
)
def test_impossible_dates_are_named(http: httpx.Client, query: dict[str, str], param: str) -> None:
    message = refused(http.get("/usage", params=query), "invalid_value", param)
    assert "not a valid date" in message
    admin = {"Authorization": f"Bearer {ADMIN_KEY}"}
    answer = http.get("/organization/usage", params=query, headers=admin)
    refused(answer, "invalid_value", param)


@pytest.mark.parametrize(
    "data, looks",
    [(b"%PDF-1.4\n1 0 obj", "PDF"), (b"just some notes\n", "text")],
)
def test_a_non_image_is_described_without_python_reprs(
    strict: harness.Server, strict_key: str, data: bytes, looks: str
) -> None:
    with sdk_client(strict, strict_key) as sdk, pytest.raises(openai.BadRequestError) as caught:
        sdk.videos.create(prompt="x", input_reference=("frame.png", data, "image/png"))
    error: Any = caught.value
    assert (error.code, error.param) == ("invalid_image", "input_reference")
    assert f"it looks like: {looks}" in error.message
    assert "object at" not in error.message and "<_io" not in error.message
    assert error.request_id


class _Redirect(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(302)
        self.send_header("Location", self.server.location)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def redirector() -> Iterator[ThreadingHTTPServer]:
    """An image host on loopback that redirects wherever the test says."""
    host = ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    thread = threading.Thread(target=host.serve_forever, daemon=True)
    thread.start()
    yield host
    host.shutdown()
    host.server_close()
    thread.join(10)


@pytest.mark.parametrize("location", [*BROKEN_URLS, "file:///etc/passwd"])
def test_a_redirect_to_a_broken_url_is_a_failed_fetch(
    server: harness.Server,
    client: openai.OpenAI,
    redirector: ThreadingHTTPServer,
    location: str,
) -> None:
    """The shared server fetches from loopback (the image host here), so the redirect is
    followed as far as its Location (httpx refuses some broken ones itself; the others reached
    urlsplit's .port and were a 500)."""
    if server.deployment.name != backends.BACKENDS[0]:
        pytest.skip(f"covered on {backends.BACKENDS[0]}; nothing here depends on the backend")
    redirector.location = location  # type: ignore[attr-defined]
    image_url = f"http://127.0.0.1:{redirector.server_address[1]}/x.png"
    with httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {client.api_key}"}, timeout=30
    ) as http:
        answer = http.post(
            "/videos", json={"prompt": "x", "input_reference": {"image_url": image_url}}
        )
        refused(answer, "image_fetch_failed", "input_reference.image_url")
