"""Every route of the app, driven with hostile input over real HTTP against ``reelway serve``.

The routes come from the app's own route table, so a new route is covered without touching
this file.  Each gets generated hostile values (a fixed table, so a failure reproduces) in
its path, JSON / multipart / urlencoded bodies, query string and headers, sent with a
project key, the admin key and none.  Every answer must be below 500 (501 only as
``not_implemented``), carry its request id, and every refusal must be OpenAI's error
envelope with a code and a message.  All failures are collected and reported together.
"""

from __future__ import annotations

import asyncio
import collections
import functools
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources

import httpx
import pytest
from starlette.routing import Route

from reelway import errors, service
from reelway import settings as settings_module
from reelway.api.app import create_app
from reelway.runtime import Runtime
from tests import backends, harness, waiting
from tests.conftest import deployment_for

ADMIN_KEY = "sk-admin-hostile-0123456789"
REQUEST_ID_HEADER = "x-request-id"
TINY_MODEL = """
[models."tiny"]
description = "A one-second thumbnail of a video, so the seed video renders at once (tests)."
sizes = ["64x64"]
seconds = [1]
default_size = "64x64"
default_seconds = 1
capabilities = ["image_input", "remix"]
route = ["animatic"]

[models."tiny".price_per_second]
"480p" = 0.01
"""
SERVER_ENV = {
    # No render slots: whatever hostile create the server accepts just waits in the queue.
    "REELWAY_WORKERS": "0",
    "REELWAY_READY_REQUIRE_WORKERS": "false",
    "REELWAY_ADMIN_KEY": ADMIN_KEY,
    # URLs get past the address check to the fetch and delivery code (all on loopback).
    "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS": "true",
    "REELWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS": "true",
    "REELWAY_MAX_REQUEST_BYTES": str(8 * 1024 * 1024),
    "REELWAY_ENGINE_OPTIONS": json.dumps({"animatic": {"fps": 12}}),
}
LOOPBACK_SINK = "http://127.0.0.1:9/hook"
"""The discard port: nothing listens, so a webhook test delivery fails at once, locally."""

# ----------------------------------------------------------------------------- the inputs

BIG = "1" + "0" * 5000
NEST = 800
HUGE_TEXT = "x" * (2 * 1024 * 1024)
BAD_URLS = (
    "http://127.0.0.1:99999/a.png",
    "http://127.0.0.1:-1/a.png",
    "http://127.0.0.1:abc/a.png",
    "http://[::1",
    "http://[::1]:99999/a.png",
    "http://[zz::1]/a.png",
    "http://[::1]:1/a.png",
    "https://127.0.0.1:0/a.png",
    "http://user:pass@127.0.0.1:1/a.png",
    "http://127.0.0.1:1/a\x00.png",
    "file:///etc/passwd",
    "ftp://127.0.0.1/a.png",
    "data:image/png;base64,!!!!",
    "data:image/png;base64," + "A" * 100_000,
    "data:,",
    "http://",
    "//127.0.0.1/a.png",
    ":",
)
JSON_VALUES: tuple[str, ...] = (
    "null",
    "true",
    "false",
    "0",
    "-1",
    "1.5",
    BIG,
    "-" + BIG,
    json.dumps(BIG),
    "1e999",
    "NaN",
    "9223372036854775808",
    '"NaN"',
    '""',
    '"   "',
    '"\\u0000"',
    '"a\\u0000b"',
    '"\\ud800"',
    '"\U0001f3ac\u202e\ufeff"',
    '"../../../etc/passwd"',
    '"\' OR 1=1 --"',
    json.dumps(HUGE_TEXT[: 256 * 1024]),
    "[]",
    "{}",
    '[{"id": {}}]',
    '{"image_url": {}}',
    "[" * NEST + "]" * NEST,
    '{"a":' * NEST + "1" + "}" * NEST,
)
URL_VALUES: tuple[str, ...] = (
    *(json.dumps(url) for url in BAD_URLS),
    *(json.dumps({"image_url": url}) for url in BAD_URLS),
    json.dumps({"file_id": "file_" + "9" * 300}),
    json.dumps(list(BAD_URLS)),
)
URL_FIELDS = frozenset({"url", "input_reference", "image_url"})
"""Fields that take a URL (or an object holding one) also get every bad URL."""
RAW_JSON_BODIES: tuple[bytes, ...] = (
    b"[" * 1000 + b"]" * 1000,
    b'{"a":' * 1000 + b"1" + b"}" * 1000,
    b"[" * 100_000,
    b'{"prompt": "\xff\xfe\xed\xa0\x80"}',
    b'{"prompt": "a\x00b"}',
    b'{"\xff": 1}',
    b'{"prompt": "\\ud800"}',
    b'{"prompt": "a kite"',
    b"\xef\xbb\xbf{}",
    b"\x00",
    b"[]",
    b"1e999",
    BIG.encode(),
    b'"a kite"',
    b"null",
    b'{"prompt": "a", "prompt": "b"}',
    b'{"' + b"k" * 2_000_000 + b'": 1}',
    b"{" + b",".join(b'"f%d": %d' % (i, i) for i in range(20_000)) + b"}",
)
QUERY_VALUES: tuple[str, ...] = (
    BIG,
    "-" + BIG,
    "-1",
    "0",
    "1e999",
    "NaN",
    "%00",
    "a%00b",
    "%FF%FE",
    "%ED%A0%80",
    "x" * 6000,
    "2024-02-30",
    "0000-01-01",
    "9999-12-31",
    "-99999-01-01",
    "1970-01-01T00:00:00Z",
    "%27%20OR%201=1--",
)
UNKNOWN_QUERY_VALUES = (BIG, "a%00b", "%FF%FE", "x" * 6000)
"""An unknown query parameter is ignored; these show that it is ignored safely."""
HOSTILE_IDS: tuple[str, ...] = (
    "%00",
    "a%00b",
    "%FF%FE",
    "%ED%A0%80",
    "x" * 3000,
    "video_" + "9" * 300,
    "..%2F..%2Fetc%2Fpasswd",
    "%20",
    "%27%20OR%201=1--",
    "%F0%9F%8E%AC",
    "-1",
    BIG,
)

# Fields and query names each route reads (a route not listed gets "prompt" and an
# unknown name, plus every raw body and header case).
SETTINGS_FIELDS = (
    "tier",
    "plan",
    "budget_usd",
    "relaxed",
    "watermark",
    "disabled",
    "requests_per_minute",
    "requests_per_day",
)
FIELDS: dict[str, tuple[str, ...]] = {
    "POST /v1/videos": tuple(sorted(service.CREATE_FIELDS)),
    "POST /v1/videos/preflight": tuple(sorted(service.PREFLIGHT_FIELDS)),
    "POST /v1/videos/{video_id}/remix": tuple(sorted(service.REMIX_FIELDS)),
    "POST /v1/organization/projects": ("name", *SETTINGS_FIELDS),
    "POST /v1/organization/projects/{project}": SETTINGS_FIELDS,
    "POST /v1/organization/projects/{project}/api_keys": ("name",),
    "POST /v1/webhook_endpoints": ("name", "url", "event_types"),
    "POST /v1/webhook_endpoints/{endpoint_id}": ("name", "url", "event_types", "enabled"),
    "POST /v1/webhook_endpoints/{endpoint_id}/rotate_secret": (
        "keep_old_secret_active_for_24_hours",
        "keep_old_secret_seconds",
    ),
    "POST /v1/webhook_endpoints/{endpoint_id}/test": ("event_type",),
}
BASE_BODIES: dict[str, dict[str, object]] = {
    "POST /v1/videos": {"prompt": "a red kite over dunes", "model": "tiny"},
    "POST /v1/videos/preflight": {"prompt": "a red kite over dunes"},
    "POST /v1/videos/{video_id}/remix": {"prompt": "the kite turns blue"},
    "POST /v1/organization/projects": {"name": "hostile-made"},
    "POST /v1/webhook_endpoints": {
        "name": "sink",
        "url": LOOPBACK_SINK,
        "event_types": ["video.completed"],
    },
    "POST /v1/webhook_endpoints/{endpoint_id}/test": {"event_type": "video.completed"},
}
QUERY_NAMES: dict[str, tuple[str, ...]] = {
    "GET /v1/videos": ("after", "limit", "order"),
    "GET /v1/videos/{video_id}/content": ("variant",),
    "GET /v1/webhook_endpoints": ("after", "limit"),
    "GET /v1/usage": ("start", "end", "format"),
    "GET /v1/organization/usage": ("start", "end", "format", "project"),
    "GET /v1/dashboard/summary": ("window",),
    "GET /v1/dashboard/videos/{video_id}/content": ("variant",),
}
UNKNOWN = "zz_unknown"
AUTH_REFUSALS = frozenset(
    {
        errors.MissingApiKey.code,
        errors.InvalidApiKey.code,
        errors.AdminKeyRequired.code,
    }
)


@dataclass(frozen=True)
class Case:
    """One request: the route it is aimed at and what in it is hostile."""

    route: str
    what: str
    method: str
    path: str
    query: str = ""
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes | None = None

    def label(self) -> str:
        return f"{self.route} [{self.what}]"


@dataclass
class Targets:
    """Real things for path parameters: ``ids`` for every route, ``doomed`` for DELETEs."""

    server: harness.Server
    keys: dict[str, str]
    ids: dict[str, str]
    doomed: dict[str, str] = field(default_factory=dict)

    def real(self, method: str) -> dict[str, str]:
        return {**self.ids, **(self.doomed if method == "DELETE" else {})}


# ----------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module", params=backends.BACKENDS)
def targets(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_missing: str | None,
    moto: backends.MotoServer,
) -> Iterator[Targets]:
    folder = tmp_path_factory.mktemp(f"hostile-{request.param}")
    catalog = folder / "catalog.toml"
    packaged = resources.files("reelway").joinpath("catalog.toml").read_text("utf-8")
    catalog.write_text(packaged + TINY_MODEL)
    deployment = deployment_for(request, request.param, folder / "data", postgres_missing, moto)
    env = {**SERVER_ENV, "REELWAY_CATALOG": str(catalog)}
    server = harness.Server(deployment, env)
    try:
        yield _seed(server, deployment, env)
    finally:
        code = server.terminate()
        assert code == 0, _errors(server.output)


def _seed(server: harness.Server, deployment: backends.Deployment, env: dict[str, str]) -> Targets:
    """A completed video (rendered by a worker that then stops), a queued one, webhook
    endpoints, and a project of the admin's with keys."""
    project_key = server.create_key("hostile")
    user = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {project_key}"}, timeout=30
    )
    admin = httpx.Client(
        base_url=server.base_url, headers={"Authorization": f"Bearer {ADMIN_KEY}"}, timeout=30
    )
    with user, admin:
        done = _ok(user.post("/videos", json={"prompt": "a red kite", "model": "tiny"}))["id"]
        worker = harness.WorkerProcess(deployment, env)
        try:
            try:
                waiting.until(
                    lambda: _ok(user.get(f"/videos/{done}"))["status"],
                    lambda status: status == "completed",
                    limit=120,
                    what="the seed video to complete",
                )
            except AssertionError as exc:
                raise AssertionError(f"{exc}\n{worker.output}") from None
        finally:
            assert worker.terminate() == 0, worker.output
        queued = _ok(user.post("/videos", json={"prompt": "a blue kite", "model": "tiny"}))["id"]
        hooks = [
            _ok(user.post("/webhook_endpoints", json=BASE_BODIES["POST /v1/webhook_endpoints"]))
            for _ in range(2)
        ]
        project = _ok(admin.post("/organization/projects", json={"name": "hostile-target"}))
        made = [
            _ok(admin.post(f"/organization/projects/{project['id']}/api_keys", json={}))
            for _ in range(2)
        ]
    return Targets(
        server,
        keys={"project": project_key, "admin": ADMIN_KEY},
        ids={
            "video_id": done,
            "model": "sora-2",
            "character_id": "char_123",
            "project": project["id"],
            "key_id": made[0]["id"],
            "endpoint_id": hooks[0]["id"],
            "name": "index.html",
        },
        doomed={"video_id": queued, "key_id": made[1]["id"], "endpoint_id": hooks[1]["id"]},
    )


def _errors(output: str) -> str:
    """The exceptions ending the server's tracebacks, each once with a count (its whole
    output would bury them)."""
    found: collections.Counter[str] = collections.Counter()
    in_traceback = False
    for line in output.splitlines():
        if line.startswith("Traceback"):
            in_traceback = True
        elif in_traceback and line and not line[0].isspace():
            found[line] += 1
            in_traceback = False
    return "\n".join(f"{count} x {line}" for line, count in found.most_common())


def _ok(response: httpx.Response) -> dict[str, str]:
    assert response.status_code == 200, response.text
    found: dict[str, str] = response.json()
    return found


@pytest.fixture(scope="module")
def routes(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[str, str]]:
    """(method, path template) for every route of the app ``reelway serve`` builds."""

    async def table() -> list[tuple[str, str]]:
        folder = tmp_path_factory.mktemp("route-table")
        runtime = await Runtime.open(settings_module.from_env({}, data_dir=folder))
        try:
            app = create_app(runtime)
        finally:
            await runtime.close()
        found = []
        for route in getattr(app, "routes", ()):
            assert isinstance(route, Route), route
            for method in sorted((route.methods or set()) - {"HEAD"}):
                found.append((method, route.path))
        return found

    found = asyncio.run(table())
    assert len(found) > 30, found
    return found


# ----------------------------------------------------------------------------- cases


def _fill(template: str, values: dict[str, str]) -> str:
    path = template
    for name, value in values.items():
        path = path.replace("{" + name + "}", value).replace("{" + name + ":str}", value)
    return path


def _params(template: str) -> list[str]:
    names = []
    for part in template.split("/"):
        if part.startswith("{") and part.endswith("}"):
            names.append(part[1:-1].split(":", 1)[0])
    return names


def _json_body(base: dict[str, object], name: str, fragment: str) -> bytes:
    members = [f"{json.dumps(k)}:{json.dumps(v)}" for k, v in base.items() if k != name]
    members.append(f"{json.dumps(name)}:{fragment}")
    return ("{" + ",".join(members) + "}").encode("utf-8", "surrogatepass")


JSON = ((b"content-type", b"application/json"),)
FORM = ((b"content-type", b"application/x-www-form-urlencoded"),)
BOUNDARY = "hostileboundary"
MULTIPART = ((b"content-type", f"multipart/form-data; boundary={BOUNDARY}".encode()),)


def _multipart(parts: list[tuple[bytes, bytes]], *, filename: bool = False) -> bytes:
    out = b""
    for name, value in parts:
        disposition = b'form-data; name="' + name + b'"'
        if filename:
            disposition += b'; filename="a.png"'
        out += b"--" + BOUNDARY.encode() + b"\r\nContent-Disposition: " + disposition
        out += b"\r\n\r\n" + value + b"\r\n"
    return out + b"--" + BOUNDARY.encode() + b"--\r\n"


@functools.cache
def body_cases() -> list[tuple[str, tuple[tuple[bytes, bytes], ...], bytes]]:
    """Whole bodies, the same for every route that takes one: (what, headers, body)."""
    deep = "a" + "[b]" * 1000
    cases: list[tuple[str, tuple[tuple[bytes, bytes], ...], bytes]] = [
        (f"json raw #{i} {body[:40]!r}", JSON, body) for i, body in enumerate(RAW_JSON_BODIES)
    ]
    cases += [
        ("json charset utf-16", ((b"content-type", b"application/json; charset=utf-16"),), b"{}"),
        ("vendor +json", ((b"content-type", b"application/x\xff+json"),), b"{}"),
        ("text/plain body", ((b"content-type", b"text/plain"),), b"prompt=a"),
        ("no content-type", (), b"\xff\x00"),
        ("form deep brackets", FORM, f"{deep}=1".encode()),
        ("form many fields", FORM, "&".join(f"f{i}=1" for i in range(20_000)).encode()),
        ("form invalid utf-8 escape", FORM, b"prompt=%FF%FE&model=%ED%A0%80"),
        ("form raw invalid utf-8", FORM, b"prompt=\xff\xfe"),
        ("form NUL", FORM, b"prompt=a%00b&%00=1"),
        ("form value then object", FORM, b"input_reference=1&input_reference[image_url]=x"),
        ("form object then value", FORM, b"input_reference[image_url]=x&input_reference=1"),
        ("form list then object", FORM, b"a[]=1&a[b]=2"),
        ("form empty name", FORM, b"=1&[]=2&[a]=3"),
        ("form unbalanced", FORM, b"a[[b]=1&a]b[=2&a[b=3"),
        ("form json-looking", FORM, b'{"prompt": "a"}'),
        ("form huge value", FORM, b"prompt=" + b"x" * 2_000_000),
        ("form huge number", FORM, f"seed={BIG}&limit={BIG}&budget_usd={BIG}".encode()),
        ("multipart deep brackets", MULTIPART, _multipart([(deep.encode(), b"1")])),
        (
            "multipart many fields",
            MULTIPART,
            _multipart([(f"f{i}".encode(), b"1") for i in range(5000)]),
        ),
        ("multipart invalid utf-8", MULTIPART, _multipart([(b"\xff\xfe", b"\xed\xa0\x80")])),
        ("multipart NUL", MULTIPART, _multipart([(b"prompt", b"a\x00b")])),
        ("multipart file as prompt", MULTIPART, _multipart([(b"prompt", b"x")], filename=True)),
        ("multipart huge text", MULTIPART, _multipart([(b"prompt", b"x" * 2_000_000)])),
        ("multipart no boundary", ((b"content-type", b"multipart/form-data"),), b"--x--"),
        ("multipart wrong boundary", MULTIPART, b"--other\r\n\r\nx\r\n--other--\r\n"),
        ("multipart truncated", MULTIPART, _multipart([(b"prompt", b"a")])[:-20]),
        ("multipart garbage", MULTIPART, b"\x00\xff" * 1000),
        (
            "multipart huge header",
            MULTIPART,
            b"--" + BOUNDARY.encode() + b"\r\nX: " + b"a" * 100_000 + b"\r\n\r\n1\r\n",
        ),
    ]
    return cases


def header_cases(
    method: str, key: str, other: str
) -> list[tuple[str, tuple[tuple[bytes, bytes], ...]]]:
    """Headers beside a valid Authorization (or instead of it): (what, headers).  Those
    about ranges and caching go to GETs, those about bodies and idempotency to POSTs."""
    auth = (b"authorization", f"Bearer {key}".encode())
    cases: list[tuple[str, tuple[tuple[bytes, bytes], ...]]] = [
        ("no auth", ()),
        ("two authorizations, same", (auth, auth)),
        ("two authorizations, differ", (auth, (b"authorization", f"Bearer {other}".encode()))),
        ("authorization odd bytes", ((b"authorization", b"Bearer \x80\xff\xfe"),)),
        ("authorization huge", ((b"authorization", b"Bearer " + b"k" * 6000),)),
        ("authorization basic", ((b"authorization", b"Basic YTpi"),)),
        ("authorization bare", ((b"authorization", b"Bearer"),)),
        ("authorization tab", ((b"authorization", b"Bearer\t" + key.encode()),)),
    ]
    reads: list[tuple[str, tuple[tuple[bytes, bytes], ...]]] = [
        ("range huge start", ((b"range", f"bytes={BIG}-".encode()),)),
        ("range huge suffix", ((b"range", f"bytes=-{BIG}".encode()),)),
        ("range huge end", ((b"range", f"bytes=0-{BIG}".encode()),)),
        ("range inverted", ((b"range", b"bytes=5-1"),)),
        (
            "range many",
            ((b"range", b"bytes=" + b",".join(b"%d-%d" % (i, i) for i in range(2000))),),
        ),
        ("range odd bytes", ((b"range", b"bytes=\x80-\xff"),)),
        ("range zero suffix", ((b"range", b"bytes=-0"),)),
        ("if-range odd", ((b"range", b"bytes=0-1"), (b"if-range", b"\xff" * 300))),
        ("if-none-match huge", ((b"if-none-match", b'"' + b"e" * 6000 + b'"'),)),
    ]
    writes: list[tuple[str, tuple[tuple[bytes, bytes], ...]]] = [
        ("idempotency odd bytes", ((b"idempotency-key", b"\x80\xff\xfe key"),)),
        ("idempotency huge", ((b"idempotency-key", b"k" * 6000),)),
        ("idempotency spaces", ((b"idempotency-key", b"a   b"),)),
        ("idempotency tab", ((b"idempotency-key", b"a\tb"),)),
        ("idempotency twice", ((b"idempotency-key", b"one"), (b"idempotency-key", b"two"))),
        ("content-type odd bytes", ((b"content-type", b"\x80\xff/\xfe"),)),
        ("content-type huge", ((b"content-type", b"application/json; x=" + b"y" * 6000),)),
    ]
    with_auth: list[tuple[str, tuple[tuple[bytes, bytes], ...]]] = [
        ("x-request-id given", ((b"x-request-id", b"\xff" * 100),))
    ]
    with_auth += reads if method == "GET" else writes if method == "POST" else []
    return cases + [(what, (auth, *extra)) for what, extra in with_auth]


AUTH_HEADER_CASES = 8
"""The first header cases are about authentication itself: the only ones sent with a key
the route refuses (the rest would be refused the same way before they are read)."""


def _fresh_key(*case: object) -> tuple[bytes, bytes]:
    """An Idempotency-Key of this case alone (the same on every run), so that hashing the
    request for idempotency meets every hostile body too."""
    return (b"idempotency-key", hashlib.sha256(repr(case).encode()).hexdigest()[:32].encode())


def cases_for(
    method: str, template: str, targets: Targets, key_name: str, full: bool
) -> list[Case]:
    """Every hostile request for one route and key.  ``full``: the key gets past the route's
    authentication, so hostile values in paths, fields and queries reach the handler."""
    route = f"{method} {template}"
    key = targets.keys[key_name]
    other = targets.keys["admin" if key_name == "project" else "project"]
    real = targets.real(method)
    path = _fill(template, real)
    auth = ((b"authorization", f"Bearer {key}".encode()),)
    base = BASE_BODIES.get(route, {})
    base_body = json.dumps(base).encode() if method == "POST" else None
    sent_base = JSON if method == "POST" else ()
    who = f"{key_name} key"
    headed = header_cases(method, key, other)
    cases = []
    for what, headers in headed if full else headed[:AUTH_HEADER_CASES]:
        typed = any(name == b"content-type" for name, _ in headers)
        sent = headers if typed else (*sent_base, *headers)
        cases.append(Case(route, f"{who}, {what}", method, path, headers=sent, body=base_body))
    if method == "POST":
        cases += [
            Case(
                route,
                f"{who}, {what}",
                method,
                path,
                headers=(*auth, _fresh_key(route, key_name, what), *headers),
                body=body,
            )
            for what, headers, body in body_cases()
            if full or len(body) < 64 * 1024
        ]
    if not full:
        return cases
    for name in _params(template):
        for bad in HOSTILE_IDS:
            hostile = _fill(template, {**real, name: bad})
            cases.append(Case(route, f"{who}, {name}={bad[:30]}", method, hostile, headers=auth))
    if method == "POST":
        for name in (*FIELDS.get(route, ("prompt",)), UNKNOWN):
            values = JSON_VALUES + (URL_VALUES if name in URL_FIELDS else ())
            for index, fragment in enumerate(values):
                cases.append(
                    Case(
                        route,
                        f"{who}, {name}={fragment[:40]}",
                        method,
                        path,
                        headers=(*auth, _fresh_key(route, key_name, name, index), *JSON),
                        body=_json_body(base, name, fragment),
                    )
                )
    if method == "GET":
        for name in QUERY_NAMES.get(route, ()):
            for value in QUERY_VALUES:
                what = f"{who}, ?{name}={value[:30]}"
                cases.append(Case(route, what, method, path, f"{name}={value}", auth))
        for value in UNKNOWN_QUERY_VALUES:
            what = f"{who}, ?{UNKNOWN}={value[:30]}"
            cases.append(Case(route, what, method, path, f"{UNKNOWN}={value}", auth))
    return cases


# ----------------------------------------------------------------------------- sending


@dataclass(frozen=True)
class Answer:
    status: int
    headers: httpx.Headers
    body: bytes


def send(client: httpx.Client, root: httpx.URL, case: Case) -> Answer:
    raw = case.path.encode("utf-8") + (b"?" + case.query.encode() if case.query else b"")
    url = root.copy_with(raw_path=raw)
    request = client.build_request(case.method, url, content=case.body)
    request.headers = httpx.Headers(
        [(k, v) for k, v in request.headers.raw if k.lower() not in (b"content-type",)]
        + list(case.headers)
    )
    response = client.send(request)
    return Answer(response.status_code, response.headers, response.read())


def problem(answer: Answer) -> str | None:
    """What is wrong with an answer, or None."""
    if REQUEST_ID_HEADER not in answer.headers:
        return f"no {REQUEST_ID_HEADER} header"
    if answer.status < 400:
        return None
    try:
        error = json.loads(answer.body)["error"]
        code, message = error["code"], error["message"]
    except (ValueError, KeyError, TypeError):
        return "not OpenAI's error envelope"
    if not isinstance(code, str) or not code or not isinstance(message, str) or not message:
        return "no error code or message"
    if answer.status >= 500 and (answer.status, code) != (501, errors.NotImplementedYet.code):
        return "server error"
    return None


def stray_cases(routes: list[tuple[str, str]], targets: Targets) -> list[Case]:
    """Methods no route takes on each path, and paths no route has: 405s and 404s."""
    auth = ((b"authorization", f"Bearer {targets.keys['project']}".encode()),)
    cases = [
        Case(f"PUT {template}", "unrouted method", "PUT", _fill(template, targets.ids), "", auth)
        for template in sorted({template for _, template in routes})
    ]
    for path in ("/", "/%00", "/v1/", "/v1/" + "x" * 6000, "/v1/videos/a/b/c", "/%FF/%ED%A0%80"):
        cases.append(Case(f"GET {path[:40]}", "unrouted path", "GET", path, "", auth))
    return cases


def _probe(method: str, template: str, targets: Targets, key_name: str) -> Case:
    """A plain request: does this key get past the route's authentication?"""
    auth = (b"authorization", f"Bearer {targets.keys[key_name]}".encode())
    path = _fill(template, targets.real(method))
    return Case(f"{method} {template}", f"{key_name} key, probe", method, path, headers=(auth,))


def refused_auth(answer: Answer) -> bool:
    if answer.status not in (401, 403) or problem(answer):
        return False
    return json.loads(answer.body)["error"]["code"] in AUTH_REFUSALS


# ----------------------------------------------------------------------------- the test


@pytest.mark.slow
def test_every_route_refuses_hostile_input_cleanly(
    targets: Targets, routes: list[tuple[str, str]]
) -> None:
    root = httpx.URL(targets.server.root)
    failures: list[str] = []
    sent = 0
    client = httpx.Client(timeout=60)

    def check(case: Case) -> Answer:
        nonlocal sent, client
        sent += 1
        try:
            answer = send(client, root, case)
        except httpx.TransportError as exc:
            failures.append(f"{case.label()}: no answer: {exc!r}")
            answer = Answer(0, httpx.Headers(), b"")
        wrong = problem(answer)
        if wrong:
            failures.append(f"{case.label()}: {wrong}: {answer.status} {answer.body[:160]!r}")
        if wrong and (answer.status >= 500 or answer.status == 0):
            # The server drops a connection after an unexpected error (reported above);
            # start afresh so the next case is not blamed for it.
            client.close()
            client = httpx.Client(timeout=60)
        return answer

    # DELETEs last: they remove the doomed resources, never what other routes point at.
    ordered = sorted(routes, key=lambda r: r[0] == "DELETE")
    try:
        for method, template in ordered:
            for key_name in targets.keys:
                probe = check(_probe(method, template, targets, key_name))
                full = not refused_auth(probe)
                for case in cases_for(method, template, targets, key_name, full):
                    check(case)
        for case in stray_cases(routes, targets):
            check(case)
    finally:
        client.close()
    assert sent > 1000
    if "Traceback" in targets.server.output:
        failures.append("the server logged tracebacks:\n" + _errors(targets.server.output))
    assert not failures, f"{len(failures)} of {sent} answers were wrong:\n" + "\n".join(failures)


ADMIN_REFUSALS: tuple[tuple[str, str, dict[str, object] | None, int, str], ...] = (
    ("POST", "/organization/projects", {"name": "t", "tier": ["plus"]}, 400, "tier"),
    ("POST", "/organization/projects", {"name": "t", "plan": {"pro": 1}}, 400, "plan"),
    ("POST", "/organization/projects/{project}", {"tier": {}}, 400, "tier"),
    ("POST", "/organization/projects", {"name": "a\x00b"}, 400, "name"),
    ("POST", "/organization/projects", {"name": "left\u202eright"}, 400, "name"),
    ("POST", "/organization/projects/{project}/api_keys", {"name": "\x00"}, 400, "name"),
    ("GET", "/organization/projects/a%00b", None, 404, "project_id"),
    ("GET", "/organization/usage?project=%00", None, 404, "project_id"),
)


@pytest.mark.parametrize(("method", "path", "body", "status", "param"), ADMIN_REFUSALS)
def test_admin_api_refuses_odd_names_and_values_naming_the_field(
    targets: Targets,
    method: str,
    path: str,
    body: dict[str, object] | None,
    status: int,
    param: str,
) -> None:
    """Found by the test above: a list or object as a tier or plan was a 500 (unhashable),
    and a NUL in a name or project id a 500 on PostgreSQL (SQLite stored the name)."""
    url = targets.server.base_url + _fill(path, targets.ids)
    headers = {"Authorization": f"Bearer {ADMIN_KEY}"}
    response = httpx.request(method, url, json=body, headers=headers, timeout=30)
    assert response.status_code == status, response.text
    assert response.json()["error"]["param"] == param, response.text


NUL_IDS = (
    ("GET", "/webhook_endpoints/a%00b"),
    ("POST", "/webhook_endpoints/a%00b"),
    ("DELETE", "/webhook_endpoints/%00"),
    ("POST", "/webhook_endpoints/%00/rotate_secret"),
)


@pytest.mark.parametrize(("method", "path"), NUL_IDS)
def test_a_webhook_endpoint_id_with_a_nul_is_not_found(
    targets: Targets, method: str, path: str
) -> None:
    """Found by the test above: a 500 on PostgreSQL, which refuses NUL in a query."""
    headers = {"Authorization": f"Bearer {targets.keys['project']}"}
    url = targets.server.base_url + path
    response = httpx.request(method, url, headers=headers, timeout=30)
    assert response.status_code == 404, response.text
    assert response.json()["error"]["code"] == errors.WebhookEndpointNotFound.code


def test_listing_webhook_endpoints_after_an_id_with_a_nul_is_an_empty_page(
    targets: Targets,
) -> None:
    headers = {"Authorization": f"Bearer {targets.keys['project']}"}
    url = targets.server.base_url + "/webhook_endpoints?after=a%00b"
    response = httpx.get(url, headers=headers, timeout=30)
    assert response.status_code == 200, response.text
    assert response.json()["data"] == [], "an unknown id is past the end, as on SQLite"
