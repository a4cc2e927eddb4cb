"""Bodies built to hurt the server (issue 13, items 7 and 8): each answers a 400 with a code
and the field at fault, and the server keeps answering others meanwhile."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import openai
import pytest

from tests import backends, harness
from tests.acceptance.conftest import refused

ROUTES = ("/videos", "/videos/preflight", "/webhook_endpoints")
MAX_REQUEST_BYTES = 48 * 1024 * 1024  # the default REELWAY_MAX_REQUEST_BYTES


def _post(server: harness.Server, key: str, path: str, **kwargs: object) -> httpx.Response:
    headers = {"Authorization": f"Bearer {key}", **kwargs.pop("headers", {})}  # type: ignore[dict-item]
    return httpx.post(f"{server.base_url}{path}", headers=headers, timeout=60, **kwargs)  # type: ignore[arg-type]


def _deep_json(field: str, depth: int) -> bytes:
    nested = "[" * depth + "1" + "]" * depth
    return f'{{"prompt": "a cat", "{field}": {nested}}}'.encode()


@pytest.mark.parametrize("depth", [500, 1000])
@pytest.mark.parametrize("field", ["prompt", "seconds", "input_reference", "url"])
@pytest.mark.parametrize("keyed", [False, True], ids=["plain", "idempotency-key"])
def test_deeply_nested_json_is_a_400_naming_the_field(
    server: harness.Server, client: openai.OpenAI, depth: int, field: str, keyed: bool
) -> None:
    headers = {"Content-Type": "application/json"}
    if keyed:
        headers["Idempotency-Key"] = f"deep-{field}-{depth}"
    with httpx.Client(timeout=60) as http:  # one connection: it must stay usable after each
        for path in ("/videos", "/videos/preflight", "/webhook_endpoints"):
            answer = http.post(
                f"{server.base_url}{path}",
                content=_deep_json(field, depth),
                headers={"Authorization": f"Bearer {client.api_key}", **headers},
            )
            refused(answer, "nesting_too_deep", field)
        assert http.get(f"{server.root}/health").status_code == 200


HOSTILE_NAME = "x" + "[a]" * 2_000_000  # 6 MB: what the attack sent


@pytest.mark.parametrize("path", ROUTES)
def test_hostile_form_bodies_are_400s_naming_the_field(
    server: harness.Server, client: openai.OpenAI, path: str
) -> None:
    key = client.api_key
    urlencoded = {"Content-Type": "application/x-www-form-urlencoded"}
    answer = _post(server, key, path, content=HOSTILE_NAME.encode() + b"=1", headers=urlencoded)
    refused(answer, "field_name_too_long", HOSTILE_NAME[:64])
    deep = "input_reference" + "[a]" * 20
    answer = _post(server, key, path, content=f"prompt=x&{deep}=1".encode(), headers=urlencoded)
    refused(answer, "nesting_too_deep", "input_reference")
    many = "&".join(f"f{i}=1" for i in range(100)).encode()
    refused(_post(server, key, path, content=many, headers=urlencoded), "too_many_fields", "f64")
    # Multipart: the same bounds, whichever of the two readings takes the body.
    for padding in (b"", b"p" * 2 * 1024 * 1024):  # the whole-body and the streaming reading
        files = {"prompt": (None, b"x"), "input_reference": ("a.png", padding)}
        parts = {f"input_reference{'[a]' * 1000}": (None, b"1"), **files}
        answer = _post(server, key, path, files=parts)
        refused(answer, "field_name_too_long", "input_reference" + "[a]" * 16 + "[")
        parts = {f"characters{'[]' * 40}[id]": (None, b"1"), **files}
        refused(_post(server, key, path, files=parts), "nesting_too_deep", "characters")
        parts = {**{f"f{i}": (None, b"1") for i in range(70)}, **files}
        refused(_post(server, key, path, files=parts), "too_many_fields", "f64")


def test_a_json_body_of_too_many_values_is_refused(
    server: harness.Server, client: openai.OpenAI
) -> None:
    body = b'{"prompt": "x", "seed": [' + b"1," * 3_000_000 + b"1]}"
    answer = _post(
        server,
        client.api_key,
        "/videos",
        content=body,
        headers={"Content-Type": "application/json"},
    )
    refused(answer, "too_many_fields", None)


@pytest.fixture
def lone_server(tmp_path: Path) -> Iterator[harness.Server]:
    """A server of its own, with the default body limit (48 MiB) and no render slots."""
    server = harness.Server(
        backends.Deployment("sqlite", tmp_path / "data"), {"REELWAY_WORKERS": "0"}
    )
    try:
        yield server
    finally:
        assert server.terminate() == 0, server.output
        assert "Traceback" not in server.output, server.output


def test_health_answers_while_a_48_mib_hostile_form_is_in_flight(
    lone_server: harness.Server,
) -> None:
    """The event loop stays free: /health answers at the start, middle and end of the upload.

    The last check runs once the whole body has been handed to the socket, when a server that
    parsed the name would be busy with it."""
    assert lone_server.dev_key
    body = b"x" + b"[a]" * ((MAX_REQUEST_BYTES - 3) // 3) + b"=1"
    assert len(body) <= MAX_REQUEST_BYTES
    health: list[int] = []

    def upload() -> Iterator[bytes]:
        step = 1024 * 1024
        for start in range(0, len(body), step):
            if start in (step, len(body) // 2 // step * step):
                health.append(httpx.get(f"{lone_server.root}/health", timeout=30).status_code)
            yield body[start : start + step]
        health.append(httpx.get(f"{lone_server.root}/health", timeout=30).status_code)

    answer = httpx.post(
        f"{lone_server.base_url}/videos",
        content=upload(),
        headers={
            "Authorization": f"Bearer {lone_server.dev_key}",
            "Content-Type": "application/x-www-form-urlencoded",
        },
        timeout=60,
    )
    refused(answer, "field_name_too_long", body[:64].decode())
    assert health == [200, 200, 200]
