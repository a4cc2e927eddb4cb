"""Prometheus metrics: what ``GET /metrics`` says, and the per-process HTTP counters.

Two kinds of numbers, kept apart on purpose:

- **Deployment-wide** (jobs, costs, queue, engines, workers, webhooks): read from the
  database at scrape time (``store.observe``), so every API process reports the same exact
  totals, whichever process accepted, rendered or delivered what they count.
- **Per process** (``reelway_http_*``, build info, start time): prometheus-client's own
  metrics in a registry owned by one app (``ProcessMetrics``), never the global one.

``collect()`` is synchronous and the database is not, so a scrape reads its snapshot first
(``Exporter.render``) and then renders a collector over it.
"""

from __future__ import annotations

import bisect
import itertools
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence

from prometheus_client import CollectorRegistry, Gauge, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from reelway import __version__, catalog, jobs
from reelway.store import stats
from reelway.store.observe import ObserveStore, Snapshot

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
"""The text format ``generate_latest`` writes (prometheus-client's ``CONTENT_TYPE_LATEST``
names a newer version than it writes since 0.22)."""

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60)
"""Request durations: polls answer in about a millisecond, uploads and downloads in seconds."""

WORKER_WINDOW_SECONDS = 30.0
"""The least time since a worker's last check-in for ``reelway_workers_seen`` to count it."""

OTHER_ROUTE = "other"
"""The ``route`` label of a request that matched no route (a 404): never the raw path, so a
scanner cannot make a series per URL."""
OTHER_METHOD = "OTHER"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_FINISH_LABELS = ("model", "engine", "status")
_COUNTERS: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        stats.JOBS_FINISHED,
        "Videos that reached a terminal state; status is completed, failed or cancelled, code "
        "the error code (empty when completed); engine is empty if none was tried.",
        (*_FINISH_LABELS, "code"),
    ),
    (
        stats.COST_USD,
        "US dollars charged for finished videos (the catalogue price, or the provider's cost).",
        ("model",),
    ),
    (stats.CREDITS, "Credits charged for finished videos.", ("model",)),
    (stats.WEBHOOK_EVENTS, "Events raised (each may go to several endpoints).", ("event_type",)),
    (
        stats.WEBHOOK_ATTEMPTS,
        "Webhook delivery attempts; outcome is delivered, failed (will be retried) or gave_up.",
        ("event_type", "outcome"),
    ),
)
_HISTOGRAMS: tuple[tuple[str, str], ...] = (
    (stats.QUEUED_SECONDS, "Seconds from acceptance to the first worker's claim."),
    (stats.GENERATING_SECONDS, "Seconds from the first claim to the end (render, upload)."),
    (stats.TOTAL_SECONDS, "Seconds from acceptance to the end, by how the video ended."),
)
_IN_FLIGHT_STATUSES = (jobs.JobStatus.QUEUED.value, jobs.JobStatus.RUNNING.value)


class ProcessMetrics:
    """This process's own metrics, in a registry of its own (one per app).

    The HTTP counts are plain numbers kept per label set and turned into families when
    scraped: prometheus-client's children take a lock per increment (three per request),
    and every request of this process passes here.
    """

    def __init__(self, start_time: float | None = None) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        Gauge(
            "reelway_build_info",
            "Always 1; the version label says which Reelway this process runs.",
            ("version",),
            registry=self.registry,
        ).labels(__version__).set(1)
        Gauge(
            "reelway_process_start_time_seconds",
            "When this process started (UNIX seconds).",
            registry=self.registry,
        ).set(time.time() if start_time is None else start_time)
        self._labels: dict[tuple[str, str, int], tuple[tuple[str, str, str], list[float]]] = {}
        self._requests: dict[tuple[str, str, str], int] = {}
        self._durations: dict[tuple[str, str], list[float]] = {}
        """Per (method, route): each bucket's own count, then the +Inf bucket, then the sum."""

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        """Count one answered request (a dict lookup once its label set has been seen)."""
        key = (method, route, status)
        found = self._labels.get(key)
        if found is None:
            found = self._series(method, route, status)
            if method in _METHODS:  # a made-up method is not worth a cache entry
                self._labels[key] = found
        labels, timings = found
        self._requests[labels] += 1
        timings[bisect.bisect_left(HTTP_BUCKETS, seconds)] += 1
        timings[-1] += seconds

    def _series(
        self, method: str, route: str, status: int
    ) -> tuple[tuple[str, str, str], list[float]]:
        label = method if method in _METHODS else OTHER_METHOD
        labels = (label, route, str(status))
        self._requests.setdefault(labels, 0)
        timings = self._durations.setdefault((label, route), [0.0] * (len(HTTP_BUCKETS) + 2))
        return labels, timings

    def collect(self) -> Iterator[Metric]:
        """The HTTP families, then the registry's, without ``_created`` series (one more
        series per label set that the text format shows as a gauge and no one asked for)."""
        requests = CounterMetricFamily(
            "reelway_http_requests",
            "HTTP requests this process answered, by route template and status.",
            labels=("method", "route", "status"),
        )
        for labels, count in self._requests.items():
            requests.add_metric(labels, count)
        duration = HistogramMetricFamily(
            "reelway_http_request_duration_seconds",
            "Seconds this process took to answer, by route template (to the last byte).",
            labels=("method", "route"),
        )
        bounds = [*(repr(float(b)) for b in HTTP_BUCKETS), "+Inf"]  # as the client writes them
        for method_route, timings in self._durations.items():
            cumulative = list(itertools.accumulate(timings[:-1]))
            duration.add_metric(
                method_route, list(zip(bounds, cumulative, strict=True)), timings[-1]
            )
        yield requests
        yield duration
        for metric in self.registry.collect():
            metric.samples = [s for s in metric.samples if not s.name.endswith("_created")]
            yield metric


class DeploymentCollector(Collector):
    """The deployment-wide families of one snapshot."""

    def __init__(self, snapshot: Snapshot, models: Sequence[str] = ()) -> None:
        self.snapshot = snapshot
        self.models = tuple(models)
        """Catalogue models: reported at zero before their first video."""

    def collect(self) -> Iterator[Metric]:
        snap = self.snapshot
        by_name: dict[str, list[tuple[dict[str, str], float]]] = defaultdict(list)
        for name, labels, value in snap.totals:
            by_name[name].append((labels, value))
        models = sorted(
            {*self.models, *snap.created, *(model for model, _ in snap.in_flight)} - {""}
        )

        created = CounterMetricFamily(
            "reelway_jobs_created",
            "Videos accepted: finished plus queued or running (read in one statement).",
            labels=("model",),
        )
        for model in models:
            created.add_metric((model,), snap.created.get(model, 0.0))
        yield created
        for name, doc, labelnames in _COUNTERS:
            counter = CounterMetricFamily(name, doc, labels=labelnames)
            for labels, value in sorted(by_name[name], key=lambda row: _key(row[0], labelnames)):
                counter.add_metric(_key(labels, labelnames), value)
            yield counter
        for name, doc in _HISTOGRAMS:
            yield _histogram(name, doc, by_name)

        in_flight = GaugeMetricFamily(
            "reelway_jobs_in_flight",
            "Videos queued or running now, by model and status.",
            labels=("model", "status"),
        )
        for model in models:
            for status in _IN_FLIGHT_STATUSES:
                in_flight.add_metric((model, status), snap.in_flight.get((model, status), 0))
        yield in_flight
        depth = GaugeMetricFamily(
            "reelway_queue_depth",
            "Queued videos: runnable now, waiting for a later time (a retry or an engine's "
            "limit), or relaxed (due, but they start only in the relaxed window).",
            labels=("state",),
        )
        depth.add_metric(("runnable",), snap.queue_runnable)
        depth.add_metric(("waiting",), snap.queue_waiting)
        depth.add_metric(("relaxed",), snap.queue_relaxed)
        yield depth
        yield GaugeMetricFamily(
            "reelway_queue_oldest_runnable_age_seconds",
            "How long the longest-waiting runnable video has been due (0 when none is).",
            value=snap.oldest_runnable_age,
        )
        yield from _engine_families(snap)
        yield from _device_families(snap)
        yield GaugeMetricFamily(
            "reelway_workers_seen",
            "Processes with at least one render slot ('reelway worker', 'reelway serve' "
            "without --workers 0) that checked in recently.",
            value=snap.workers,
        )
        yield GaugeMetricFamily(
            "reelway_worker_slots",
            "Render slots of the workers counted by reelway_workers_seen: videos the "
            "deployment can render at once.",
            value=snap.worker_slots,
        )
        yield GaugeMetricFamily(
            "reelway_webhook_outbox_pending",
            "Webhook deliveries waiting for their first attempt or a retry.",
            value=snap.webhooks_pending,
        )
        yield GaugeMetricFamily(
            "reelway_webhook_outbox_oldest_pending_age_seconds",
            "Age of the oldest pending webhook delivery (0 when none is).",
            value=snap.oldest_webhook_age,
        )


def _key(labels: dict[str, str], names: Sequence[str]) -> tuple[str, ...]:
    return tuple(labels.get(name, "") for name in names)


def _histogram(
    name: str, doc: str, by_name: dict[str, list[tuple[dict[str, str], float]]]
) -> HistogramMetricFamily:
    """Stored per-bucket counts made cumulative over every bound (``+Inf`` last)."""
    counts: dict[tuple[str, ...], dict[float, float]] = defaultdict(lambda: defaultdict(float))
    sums: dict[tuple[str, ...], float] = defaultdict(float)
    for labels, value in by_name[name + "_bucket"]:
        counts[_key(labels, _FINISH_LABELS)][float(labels.get("le", "+Inf"))] += value
    for labels, value in by_name[name + "_sum"]:
        sums[_key(labels, _FINISH_LABELS)] += value
    family = HistogramMetricFamily(name, doc, labels=_FINISH_LABELS)
    for key in sorted(counts.keys() | sums.keys()):
        per_bound = counts[key]
        bounds = sorted({*stats.DURATION_BUCKETS, *per_bound, float("inf")})
        cumulative, total = [], 0.0
        for bound in bounds:
            total += per_bound.get(bound, 0.0)
            cumulative.append(("+Inf" if bound == float("inf") else repr(float(bound)), total))
        family.add_metric(key, cumulative, sums[key])
    return family


def _engine_families(snap: Snapshot) -> Iterator[Metric]:
    failures = GaugeMetricFamily(
        "reelway_engine_consecutive_failures",
        "Failures in a row that count towards the engine's circuit breaker.",
        labels=("engine",),
    )
    circuit = GaugeMetricFamily(
        "reelway_engine_circuit_open",
        "1 while the engine's circuit breaker is open (workers use the next engine).",
        labels=("engine",),
    )
    backoff = GaugeMetricFamily(
        "reelway_engine_provider_backoff",
        "1 while the provider has asked every worker to wait (Retry-After).",
        labels=("engine",),
    )
    for engine in snap.engines:
        failures.add_metric((engine.engine,), engine.failures)
        circuit.add_metric((engine.engine,), 1.0 if engine.circuit_open else 0.0)
        backoff.add_metric((engine.engine,), 1.0 if engine.backoff else 0.0)
    yield from (failures, circuit, backoff)


def _device_families(snap: Snapshot) -> Iterator[Metric]:
    """The live workers' resident devices; a reading the engine never reported is left out."""
    labels = ("engine", "device")
    busy = CounterMetricFamily(
        "reelway_device_busy_seconds",
        "Seconds the device spent on jobs (loading included), since its worker started.",
        labels=labels,
    )
    done = CounterMetricFamily(
        "reelway_device_jobs",
        "Jobs the device rendered or failed, since its worker started.",
        labels=labels,
    )
    speed = GaugeMetricFamily(
        "reelway_device_steps_per_second",
        "Denoising steps per second of the device's last render, as its engine reported.",
        labels=labels,
    )
    memory = GaugeMetricFamily(
        "reelway_device_memory_bytes",
        "Device memory of the device's last render, as its engine reported.",
        labels=labels,
    )
    for device in snap.devices:
        key = (device.engine, device.device)
        busy.add_metric(key, device.busy_seconds)
        done.add_metric(key, device.jobs)
        if device.steps_per_second is not None:
            speed.add_metric(key, device.steps_per_second)
        if device.memory_bytes is not None:
            memory.add_metric(key, device.memory_bytes)
    yield from (busy, done, speed, memory)


class _Scrape(Collector):
    def __init__(self, *parts: Collector | ProcessMetrics) -> None:
        self.parts = parts

    def collect(self) -> Iterable[Metric]:
        for part in self.parts:
            yield from part.collect()


class Exporter:
    """Renders ``/metrics``: the database snapshot, then this process's own metrics."""

    def __init__(
        self,
        store: ObserveStore,
        models: catalog.Catalog,
        process: ProcessMetrics,
        *,
        reap_interval_seconds: float,
    ) -> None:
        self.store = store
        self.models = tuple(model.name for model in models.models)
        self.engines = tuple(sorted(models.engines()))
        self.process = process
        self.worker_window_seconds = max(WORKER_WINDOW_SECONDS, 3 * reap_interval_seconds)
        """A worker checks in once per reaper pass; three missed passes and it is not seen."""

    async def render(self) -> bytes:
        snapshot = await self.store.snapshot(self.engines, self.worker_window_seconds)
        return generate_latest(_Scrape(DeploymentCollector(snapshot, self.models), self.process))
