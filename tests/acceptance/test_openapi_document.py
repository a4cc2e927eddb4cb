"""``GET /openapi.json``: the document lists exactly the routes the app serves, every field it
lists for a body is one the server takes (an undocumented one is refused), it is valid
OpenAPI 3.1, and schemathesis, driven by the served document itself, finds no 5xx and no
answer that breaks the document (SQLite and PostgreSQL)."""

from __future__ import annotations

import asyncio
import json
import urllib.parse
from pathlib import Path
from typing import Any

import httpx
import pytest

from reelway import settings as settings_module
from reelway import storyboards, validation
from reelway.api.app import create_app
from reelway.api.openapi import document, fields
from reelway.api.openapi.route import served
from reelway.runtime import Runtime
from tests import backends, harness

ADMIN_KEY = "sk-admin-openapi-test"
SERVER_ENV = {
    "REELWAY_WORKERS": "0",  # API only: what is created stays queued
    "REELWAY_AUTH_CACHE_SECONDS": "0",
    "REELWAY_ADMIN_KEY": ADMIN_KEY,
    "REELWAY_CHAT_WAIT_SECONDS": "0.5",  # a chat completion gives up on its video soon
}
UNDOCUMENTED = "zz_not_documented"
ROUTER_REFUSALS = ("unknown_url", "method_not_allowed")
ASSETS = {"name": "index.html"}
"""A path parameter the router cannot tell from a missing file: one that exists."""


# ----------------------------------------------------------------------------- helpers


def _app_routes(folder: Path) -> tuple[list[document.Route], dict[str, Any]]:
    """The (method, path) table of the app ``reelway serve`` builds, and its document."""

    async def table() -> tuple[list[document.Route], dict[str, Any]]:
        runtime = await Runtime.open(settings_module.from_env({}, data_dir=folder))
        try:
            app = create_app(runtime)
            routes = served(getattr(app, "routes", ()))
            return routes, document.build(runtime.catalog, routes)
        finally:
            await runtime.close()

    return asyncio.run(table())


def _operations(doc: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op) for path, item in doc["paths"].items() for method, op in item.items()
    ]


def _resolve(schema: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def _sample(schema: dict[str, Any], doc: dict[str, Any]) -> Any:
    """A value of the schema's type (not necessarily one the server accepts)."""
    schema = _resolve(schema, doc)
    for key in ("anyOf", "oneOf"):
        if key in schema:
            options = [_resolve(s, doc) for s in schema[key]]
            plain = [s for s in options if s.get("format") != "binary"] or options
            return _sample(plain[0], doc)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type", "string")
    kind = kind[0] if isinstance(kind, list) else kind
    return {
        "string": "x",
        "integer": schema.get("minimum", 1),
        "number": 1,
        "boolean": True,
        "array": [],
        "object": {},
        "null": None,
    }[kind]


def _value(schema: dict[str, Any], doc: dict[str, Any], name: str = "") -> Any:
    """A value for a body field: bytes for a file, two plain shots for ``shots``."""
    if name == "shots" or "StoryboardShotParam" in json.dumps(schema):
        return [{"prompt": "a kite", "seconds": "4"}] * 2
    if _resolve(schema, doc).get("format") == "binary":
        return b"\x00"
    return _sample(schema, doc)


def _headers(op: dict[str, Any], key: str) -> dict[str, str]:
    """The admin key for an admin-only operation, the project's key otherwise."""
    admin_only = op.get("security") == [{"AdminApiKeyAuth": []}]
    return {"Authorization": f"Bearer {ADMIN_KEY if admin_only else key}"}


def _send(
    client: httpx.Client, method: str, path: str, op: dict[str, Any], key: str, body: dict[str, Any]
) -> httpx.Response:
    """``body`` as JSON where the operation takes JSON, else as a multipart form."""
    content = op["requestBody"]["content"]
    if "application/json" in content:
        return client.request(method, path, json=body, headers=_headers(op, key))
    data = {k: v for k, v in body.items() if not isinstance(v, bytes)}
    files = {k: ("f.bin", v) for k, v in body.items() if isinstance(v, bytes)}
    if not files:  # still a multipart form
        files = {"": ("", b"")} if not data else {}
    return client.request(
        method,
        path,
        data={k: str(v) for k, v in data.items()},
        files=files or None,
        headers=_headers(op, key),
    )


def _refused_as_unknown(answer: httpx.Response, field: str) -> bool:
    if answer.status_code != 400:
        return False
    error = answer.json()["error"]
    param = error.get("param") or ""
    return error["code"] == "unknown_parameter" and (param == field or param.endswith(field))


# ----------------------------------------------------------------------------- the document


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[document.Route], dict[str, Any]]:
    return _app_routes(tmp_path_factory.mktemp("openapi"))


def test_every_route_the_app_serves_is_documented_and_only_those(
    built: tuple[list[document.Route], dict[str, Any]],
) -> None:
    routes, doc = built
    assert len(routes) > 40, routes
    assert document.undocumented(routes) == [], "serve these, or document them"
    listed = {(method.upper(), path) for method, path, _ in _operations(doc)}
    assert listed == set(routes), listed ^ set(routes)
    assert ("GET", "/openapi.json") in listed


def test_the_document_is_valid_openapi_3_1(
    built: tuple[list[document.Route], dict[str, Any]],
) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    doc = built[1]
    assert doc["openapi"] == "3.1.0"
    validator.validate(json.loads(json.dumps(doc)))


def test_official_operations_keep_openai_schemas_and_additions_are_tagged(
    built: tuple[list[document.Route], dict[str, Any]],
) -> None:
    doc = built[1]
    official = document.official()
    for path, item in official["paths"].items():
        for method, op in item.items():
            ours = doc["paths"]["/v1" + path][method]
            assert ours["operationId"] == op["operationId"]
            assert "reelway" not in ours["tags"]
            assert ours["responses"]["200"] == op["responses"]["200"] or path.endswith("content")
    officials = {("/v1" + p, m) for p, item in official["paths"].items() for m in item}
    for method, path, op in _operations(doc):
        if (path, method) not in officials:
            assert op["tags"] == ["reelway"] and op[fields.REELWAY] is True, (method, path)
    schemas = doc["components"]["schemas"]
    assert schemas["VideoResource"]["properties"]["service_tier"][fields.REELWAY] is True
    assert set(official["components"]["schemas"]["VideoResource"]["required"]) == set(
        schemas["VideoResource"]["required"]
    )
    assert schemas["ErrorResponse"] == official["components"]["schemas"]["ErrorResponse"]
    # Reelway's larger sizes are listed beside OpenAI's own, which come first.
    sizes = schemas["VideoSize"]["enum"]
    assert sizes[:4] == official["components"]["schemas"]["VideoSize"]["enum"]
    assert "1920x1080" in sizes
    security = doc["paths"]["/v1/organization/projects"]["get"]["security"]
    assert security == [{"AdminApiKeyAuth": []}]
    assert doc["paths"]["/health"]["get"]["security"] == []


def test_each_body_lists_exactly_the_fields_its_validator_accepts(
    built: tuple[list[document.Route], dict[str, Any]],
) -> None:
    schemas = built[1]["components"]["schemas"]
    expected = {
        "CreateVideoJsonBody": validation.CREATE_FIELDS,
        "CreateVideoMultipartBody": validation.CREATE_FIELDS,
        "CreateVideoRemixBody": validation.REMIX_FIELDS,
        "CreateVideoEditJsonBody": validation.EDIT_FIELDS,
        "CreateVideoExtendJsonBody": validation.EXTEND_FIELDS,
        "PreflightVideoBody": validation.PREFLIGHT_FIELDS,
        "CreateVideoStoryboardBody": storyboards.STORYBOARD_FIELDS,
        "StoryboardShotParam": storyboards.SHOT_FIELDS,
        "RetryStoryboardShotBody": storyboards.RETRY_FIELDS,
    }
    for component, accepted in expected.items():
        assert set(schemas[component]["properties"]) == set(accepted), component
        assert schemas[component]["additionalProperties"] is False
    assert {"negative_prompt", "loop"} <= set(schemas["CreateVideoJsonBody"]["properties"])


def test_a_field_a_validator_takes_without_a_schema_fails_the_build() -> None:
    body = fields.Body("CreateVideoJsonBody", {"prompt", "brand_new"}, fields.VIDEO_FIELDS)
    with pytest.raises(fields.UndocumentedField, match="brand_new"):
        fields.body_schema(body, {})


# ----------------------------------------------------------------------------- the server


@pytest.fixture
def server(
    deployment: backends.Deployment, processes: list[harness.Process]
) -> tuple[harness.Server, str]:
    found = harness.Server(deployment, SERVER_ENV)
    processes.append(found)
    found.cli("projects", "create", "openapi", "--rpm", "100000", "--rpd", "1000000")
    return found, found.create_key("openapi")


def _path_values(client: httpx.Client, key: str) -> dict[str, str]:
    """Real ids for the path parameters, so that a handler finds what it looks up."""
    auth = {"Authorization": f"Bearer {key}"}
    video = client.post("/v1/videos", json={"prompt": "a red kite"}, headers=auth)
    assert video.status_code == 200, video.text
    project = client.get(
        "/v1/organization/projects/openapi", headers={"Authorization": f"Bearer {ADMIN_KEY}"}
    )
    assert project.status_code == 200, project.text
    return {
        "video_id": video.json()["id"],
        "project": project.json()["id"],
        "index": "0",
        "model": "sora-2",
        **ASSETS,
    }


def _fill(path: str, values: dict[str, str]) -> str:
    for name, value in values.items():
        path = path.replace("{" + name + "}", value)
    return path.replace("{", "x_").replace("}", "")


def test_every_documented_operation_is_routed_and_every_field_accepted(
    server: tuple[harness.Server, str],
) -> None:
    srv, key = server
    with httpx.Client(base_url=srv.root, timeout=30) as client:
        answer = client.get("/openapi.json")  # no key
        assert answer.status_code == 200, answer.text
        doc = answer.json()
        values = _path_values(client, key)
        operations = _operations(doc)
        assert len(operations) > 40
        checked_fields = 0
        for method, template, op in operations:
            path = _fill(template, values)
            reply = client.request(method, path, headers=_headers(op, key))
            where = f"{method.upper()} {template}"
            assert reply.status_code < 500 or template == "/ready", (where, reply.text)
            if reply.headers.get("content-type", "").startswith("application/json"):
                error = reply.json().get("error") if isinstance(reply.json(), dict) else None
                assert not error or error["code"] not in ROUTER_REFUSALS, (where, error)
            if "requestBody" not in op:
                continue
            checked_fields += _check_body_fields(client, method, path, op, doc, key, where)
        assert checked_fields > 60, checked_fields
    code = srv.terminate()
    assert code == 0 and "Traceback" not in srv.output, srv.output[-4000:]


def _check_body_fields(
    client: httpx.Client,
    method: str,
    path: str,
    op: dict[str, Any],
    doc: dict[str, Any],
    key: str,
    where: str,
) -> int:
    """Each documented field alone is not refused as unknown; an undocumented one is."""
    content = op["requestBody"]["content"]
    schema = _resolve(next(iter(content.values()))["schema"], doc)
    properties: dict[str, Any] = schema["properties"]
    for name, field_schema in properties.items():
        reply = _send(client, method, path, op, key, {name: _value(field_schema, doc, name)})
        assert reply.status_code < 500, (where, name, reply.text)
        assert not _refused_as_unknown(reply, name), (where, name, reply.text)
    # The required fields too, so that no "missing" refusal comes before the field check.
    probe = {name: _value(properties[name], doc, name) for name in schema.get("required", ())}
    reply = _send(client, method, path, op, key, {**probe, UNDOCUMENTED: "x"})
    assert _refused_as_unknown(reply, UNDOCUMENTED), (where, reply.status_code, reply.text)
    checked = len(properties)
    if "shots" in properties:
        shot = _resolve(doc["components"]["schemas"]["StoryboardShotParam"], doc)
        for name, field_schema in {**shot["properties"], UNDOCUMENTED: {}}.items():
            one = {"prompt": "a kite", "seconds": "4", name: _sample(field_schema, doc)}
            reply = _send(client, method, path, op, key, {"shots": [one, one]})
            assert reply.status_code < 500, (where, name, reply.text)
            assert _refused_as_unknown(reply, name) == (name == UNDOCUMENTED), (
                where,
                name,
                reply.text,
            )
            checked += 1
    return checked


# ----------------------------------------------------------------------------- schemathesis


FUZZ_SECONDS_EACH = 0.12
"""Time for one operation and mode after its first request: about 65 operations, 2 modes, so
the run stays near half a minute a backend."""


LOOPBACK_URL = "http://127.0.0.1:9/x"


def _loopback_only(case: Any) -> None:
    """Every URL in the body points at loopback: a webhook endpoint's or an image's host is
    looked up when it is checked, and tests send nothing off the machine."""

    def local(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: local(v) for k, v in value.items()}
        if isinstance(value, list):
            return [local(v) for v in value]
        if isinstance(value, str) and "//" in value:
            try:
                host = urllib.parse.urlsplit(value).hostname
            except ValueError:
                return LOOPBACK_URL
            if host is not None and host not in ("127.0.0.1", "localhost"):
                return LOOPBACK_URL
        return value

    if isinstance(case.body, dict | list):
        case.body = local(case.body)


def _negatable(op: dict[str, Any]) -> bool:
    """Whether a request can break the operation's schema: not when all it takes is a path
    parameter that any string fits (hypothesis would search in vain)."""
    parameters = op.get("parameters", [])
    lone_strings = all(p["in"] == "path" and p["schema"] == {"type": "string"} for p in parameters)
    return "requestBody" in op or not lone_strings


@pytest.mark.slow
def test_schemathesis_driven_by_the_served_document_finds_nothing(
    server: tuple[harness.Server, str],
) -> None:
    schemathesis = pytest.importorskip("schemathesis")
    from schemathesis.checks import not_a_server_error
    from schemathesis.specs.openapi.checks import (
        response_schema_conformance,
        status_code_conformance,
    )

    from tests.acceptance.test_openapi_fuzz import _fuzz

    srv, key = server
    schema = schemathesis.openapi.from_url(f"{srv.root}/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) > 40, len(operations)
    calls: list[str] = []
    failures: list[str] = []
    for operation in operations:
        op = operation.definition.raw
        checks: tuple[Any, ...] = (response_schema_conformance, status_code_conformance)
        if not any(str(status).startswith("5") for status in op["responses"]):
            checks += (not_a_server_error,)  # /ready documents its 503 (not ready)
        modes = [schemathesis.GenerationMode.POSITIVE]
        if _negatable(op):
            modes.append(schemathesis.GenerationMode.NEGATIVE)
        for mode in modes:
            failure = _fuzz(
                operation,
                mode,
                srv.root,
                _headers(op, key),
                calls,
                checks=checks,
                seconds=FUZZ_SECONDS_EACH,
                prepare=_loopback_only,
            )
            if failure:
                failures.append(f"{operation.label} ({mode.value}): {failure}")
    assert not failures, "\n\n".join(failures)
    assert len(calls) >= len(operations), calls
    code = srv.terminate()
    assert code == 0 and "Traceback" not in srv.output, srv.output[-4000:]
