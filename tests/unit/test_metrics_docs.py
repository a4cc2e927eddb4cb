"""docs/metrics.md lists exactly the metrics /metrics exposes, each with its type and labels.

The exposition is the real one: ``Exporter.render`` over totals written by ``store.stats``
(into an in-memory SQLite) and a snapshot where every family has a sample, plus this
process's HTTP metrics after one request.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import pytest
import sqlalchemy as sa
from prometheus_client.parser import text_string_to_metric_families

from reelway import catalog, jobs, metrics
from reelway.store import stats, tables
from reelway.store.observe import DeviceGauge, EngineGauge, ObserveStore, Snapshot

DOCS = Path(__file__).resolve().parents[2] / "docs" / "metrics.md"
BLOCK = re.compile(r"<!-- metrics:start -->\n(.*?)<!-- metrics:end -->", re.S)
ROW = re.compile(
    r"^\| `(?P<name>[a-z_]+)` \| (?P<type>counter|gauge|histogram) \| "
    r"(?P<labels>[^|]*) \| (?P<meaning>[^|]+) \|$"
)
Spec = dict[str, tuple[str, frozenset[str]]]


def documented(text: str | None = None) -> Spec:
    """The table's rows: name -> (type, label names)."""
    block = BLOCK.search(DOCS.read_text("utf-8") if text is None else text)
    assert block is not None, "docs/metrics.md lost its <!-- metrics:start/end --> markers"
    lines = [line for line in block.group(1).splitlines() if line.strip()]
    assert len(lines) >= 2 and lines[1].startswith("| ---"), "the block must be one table"
    found: Spec = {}
    for line in lines[2:]:
        match = ROW.match(line)
        assert match is not None, f"not a metric row: {line!r}"
        assert match["name"] not in found, f"{match['name']} is listed twice"
        labels = frozenset(re.findall(r"`([a-z_]+)`", match["labels"]))
        found[match["name"]] = (match["type"], labels)
    return found


def _video(**changes: Any) -> jobs.Video:
    base = dict.fromkeys(jobs.VIDEO_FIELDS)
    base.update(
        status=jobs.JobStatus.SUCCEEDED,
        catalog_model="sora-2",
        engine="animatic",
        created_at=100.0,
        started_at=101.0,
        completed_at=110.0,
    )
    return dataclasses.replace(jobs.video_from_row(list(base.values())), **changes)


class StaticStore:
    def __init__(self, snapshot: Snapshot) -> None:
        self.result = snapshot

    async def snapshot(self, engines: Any, worker_window_seconds: float) -> Snapshot:
        return self.result


async def exposition() -> str:
    engine = sa.create_engine("sqlite://")
    tables.metadata.create_all(engine)
    with engine.begin() as conn:
        stats.video_ended(conn, _video(), 110.0)
        stats.video_ended(
            conn,
            _video(status=jobs.JobStatus.FAILED, error=jobs.JobError("engine_runtime_error", "")),
            110.0,
        )
        stats.charged(conn, "sora-2", 40, 400_000)
        stats.webhook_event(conn, "video.completed")
        stats.webhook_attempt(conn, "video.completed", "delivered")
        totals = stats.read_totals(conn)
    engine.dispose()
    snapshot = Snapshot(
        at=120.0,
        totals=totals,
        in_flight={("sora-2", "queued"): 1},
        created={"sora-2": 3.0},
        engines=[EngineGauge("animatic", 0, False, False)],
        devices=[DeviceGauge("wan", "cuda:0", 12.5, 2, 1.5, 2.0**30)],
    )
    process = metrics.ProcessMetrics()
    process.observe("GET", "/v1/videos/{video_id}", 200, 0.002)
    exporter = metrics.Exporter(
        cast(ObserveStore, StaticStore(snapshot)),
        catalog.load(),
        process,
        reap_interval_seconds=5,
    )
    return (await exporter.render()).decode()


def exposed(text: str) -> Spec:
    """name (as the ``# TYPE`` line writes it) -> (type, label names seen, without ``le``)."""
    types = dict(line.split()[2:4] for line in text.splitlines() if line.startswith("# TYPE "))
    families = {f.name: f for f in text_string_to_metric_families(text)}
    found: Spec = {}
    for name, kind in types.items():
        family = families[name.removesuffix("_total") if kind == "counter" else name]
        assert family.samples, f"{name} has no sample; the test cannot see its labels"
        labels = {label for s in family.samples for label in s.labels if label != "le"}
        found[name] = (kind, frozenset(labels))
    return found


def check(text: str, actual: Spec) -> None:
    docs = documented(text)
    assert set(docs) == set(actual), (
        f"only in docs/metrics.md: {sorted(set(docs) - set(actual))}; "
        f"only in /metrics: {sorted(set(actual) - set(docs))}"
    )
    for name, spec in actual.items():
        assert docs[name] == spec, f"{name}: docs say {docs[name]}, /metrics has {spec}"


async def test_the_docs_list_every_exposed_metric_with_its_type_and_labels() -> None:
    check(DOCS.read_text("utf-8"), exposed(await exposition()))


@pytest.mark.parametrize(
    "change",
    [
        lambda t: re.sub(r"^\| `reelway_workers_seen` .*\n", "", t, flags=re.M),
        lambda t: t.replace(
            "<!-- metrics:end -->",
            "| `reelway_made_up` | gauge | — | Nothing. |\n<!-- metrics:end -->",
        ),
        lambda t: t.replace(
            "| `reelway_queue_depth` | gauge |", "| `reelway_queue_depth` | counter |"
        ),
        lambda t: t.replace("| `model`, `engine`, `status`, `code` |", "| `model`, `status` |"),
    ],
)
async def test_the_check_notices_a_table_that_drifted(change: Callable[[str], str]) -> None:
    actual = exposed(await exposition())
    with pytest.raises(AssertionError):
        check(change(DOCS.read_text("utf-8")), actual)
