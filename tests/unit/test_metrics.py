"""The collector over a snapshot, the per-process HTTP metrics and their middleware, and the
/metrics route's token, without a database."""

from __future__ import annotations

from typing import Any, cast

import httpx
from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from reelway import __version__, catalog, errors, metrics
from reelway.api import errors as api_errors
from reelway.api.metrics import HttpMetrics, MetricsRoute
from reelway.api.middleware import Edge
from reelway.store import stats
from reelway.store.observe import ObserveStore, Snapshot


def parse(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_histograms_turn_cumulative_over_every_bound() -> None:
    labels = {"model": "m", "engine": "e", "status": "completed"}
    name = stats.TOTAL_SECONDS
    snapshot = Snapshot(
        at=0.0,
        totals=[
            (name + "_bucket", {**labels, "le": "1.0"}, 2.0),
            (name + "_bucket", {**labels, "le": "7.0"}, 1.0),  # a bound since dropped
            (name + "_bucket", {**labels, "le": "+Inf"}, 1.0),
            (name + "_sum", labels, 9000.0),
            (name + "_count", labels, 4.0),
        ],
        in_flight={},
        created={},
    )
    samples = parse(generate_latest(metrics.DeploymentCollector(snapshot)).decode())
    got = {
        dict(key)["le"]: value
        for (sample, key), value in samples.items()
        if sample == name + "_bucket"
    }
    assert got["0.5"] == 0 and got["1.0"] == 2 and got["5.0"] == 2
    assert got["7.0"] == 3 and got["10.0"] == 3 and got["3600.0"] == 3 and got["+Inf"] == 4
    assert list(got) == sorted(got, key=float)
    assert samples[(name + "_count", frozenset(labels.items()))] == 4
    assert samples[(name + "_sum", frozenset(labels.items()))] == 9000


def test_process_metrics_have_no_created_series_and_say_the_version() -> None:
    process = metrics.ProcessMetrics(start_time=1234.5)
    process.observe("GET", "/v1/videos/{video_id}", 200, 0.003)
    process.observe("GET", "/v1/videos/{video_id}", 200, 0.2)
    process.observe("BREW", "other", 404, 0.001)
    text = generate_latest(cast(Any, process)).decode()
    assert "_created" not in text
    samples = parse(text)
    ok = frozenset({("method", "GET"), ("route", "/v1/videos/{video_id}"), ("status", "200")})
    assert samples[("reelway_http_requests_total", ok)] == 2
    odd = frozenset({("method", "OTHER"), ("route", "other"), ("status", "404")})
    assert samples[("reelway_http_requests_total", odd)] == 1
    timed = frozenset({("method", "GET"), ("route", "/v1/videos/{video_id}")})
    assert samples[("reelway_http_request_duration_seconds_count", timed)] == 2
    assert samples[("reelway_http_request_duration_seconds_bucket", timed | {("le", "0.005")})] == 1
    assert samples[("reelway_build_info", frozenset({("version", __version__)}))] == 1
    assert samples[("reelway_process_start_time_seconds", frozenset())] == 1234.5


class StaticStore:
    """Stands in for ``ObserveStore``: an empty deployment."""

    async def snapshot(self, engines: Any, worker_window_seconds: float) -> Snapshot:
        return Snapshot(at=0.0, totals=[], in_flight={}, created={})


async def boom(_request: Request) -> Response:
    raise RuntimeError("boom")


async def hello(request: Request) -> Response:
    return PlainTextResponse(request.path_params.get("name", "hi"))


def make_app(token: str = "") -> tuple[Any, metrics.ProcessMetrics]:
    process = metrics.ProcessMetrics()
    exporter = metrics.Exporter(
        cast(ObserveStore, StaticStore()),
        catalog.load(),
        process,
        reap_interval_seconds=5,
    )
    app = Starlette(
        routes=[
            Route("/hello/{name}", hello, methods=["GET"]),
            Route("/upload", hello, methods=["POST"]),
            Route("/boom", boom, methods=["GET"]),
            *MetricsRoute(exporter, token).routes(),
        ],
        exception_handlers={
            errors.ReelwayError: api_errors.reelway_error,
            Exception: api_errors.unexpected_error,
        },
    )
    return HttpMetrics(Edge(app, 10), app.routes, process), process


async def test_requests_are_counted_by_route_template_never_by_path() -> None:
    app, process = make_app()
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        for name in ("a", "b", "c"):
            assert (await client.get(f"/hello/{name}")).status_code == 200
        assert (await client.get("/nope/secret-token")).status_code == 404
        assert (await client.delete("/hello/a")).status_code == 405
        assert (await client.post("/upload", content=b"x" * 100)).status_code == 413
        assert (await client.get("/boom")).status_code == 500
        scrape = await client.get("/metrics")
    assert scrape.status_code == 200
    assert scrape.headers["content-type"] == "text/plain; version=0.0.4; charset=utf-8"
    samples = parse(generate_latest(cast(Any, process)).decode())
    counts = {
        tuple(sorted(dict(labels).items())): value
        for (name, labels), value in samples.items()
        if name == "reelway_http_requests_total"
    }
    assert counts == {
        (("method", "GET"), ("route", "/hello/{name}"), ("status", "200")): 3,
        (("method", "GET"), ("route", "other"), ("status", "404")): 1,
        (("method", "DELETE"), ("route", "/hello/{name}"), ("status", "405")): 1,
        (("method", "POST"), ("route", "/upload"), ("status", "413")): 1,
        (("method", "GET"), ("route", "/boom"), ("status", "500")): 1,
        (("method", "GET"), ("route", "/metrics"), ("status", "200")): 1,
    }
    # The scrape itself shows the deployment families too, even on an empty deployment.
    families = {f.name for f in text_string_to_metric_families(scrape.text)}
    assert {"reelway_jobs_created", "reelway_queue_depth", "reelway_http_requests"} <= families
    created = parse(scrape.text)[("reelway_jobs_created_total", frozenset({("model", "sora-2")}))]
    assert created == 0


async def test_a_metrics_token_is_asked_for_when_set() -> None:
    app, _ = make_app(token="s3cret")
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        missing = await client.get("/metrics")
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        right = await client.get("/metrics", headers={"Authorization": "Bearer s3cret"})
    assert missing.status_code == 401 and missing.json()["error"]["code"] == "missing_api_key"
    assert wrong.status_code == 401 and wrong.json()["error"]["code"] == "invalid_api_key"
    assert right.status_code == 200 and "reelway_jobs_created_total" in right.text
