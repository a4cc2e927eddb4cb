"""``reelway doctor [VIDEO_ID | REQUEST_ID]``: what happened to a video or a request, in words.

The API shows a failed video's code and message only; the provider's own status, code,
message and request id, and every engine the job went through, are kept for this command.
For a video it tells the story (created, queued for how long, started, each engine tried and
how it failed, finished), the error's cause and what to do about it, the charge, and the
events and webhook deliveries it raised.  A request id that created no video is looked up in
the log of refused requests (kept ``REELWAY_REQUEST_LOG_DAYS`` days).  Without an argument it
shows each engine's shared state (circuit breaker, back-off), then the live workers' devices
(a resident engine's children) when there are any.
"""

from __future__ import annotations

import datetime
import json
import textwrap
import time
from pathlib import Path
from typing import Any

import click

from reelway import error_codes, errors, jobs
from reelway.cli import remedies
from reelway.cli.common import (
    config_option,
    data_dir_option,
    load_settings,
    open_runtime,
    run,
    tolerate_unset_secrets,
)
from reelway.engines.directory import EngineSpec
from reelway.operations import Charge, Delivery, EngineStatus, RefusedRequest
from reelway.runtime import Runtime

INDENT = " " * 11
WIDTH = 100


@click.command()
@click.argument("ident", required=False)
@data_dir_option
@config_option
@click.option("--json", "as_json", is_flag=True, help="Print the record as JSON.")
def doctor(ident: str | None, data_dir: Path | None, config: Path | None, as_json: bool) -> None:
    """Explain a video (by its id or the request id that created it), a refused request (by
    its request id), or, without an argument, each engine's health."""
    settings = load_settings(data_dir=data_dir, config=config)
    tolerate_unset_secrets(settings)  # it only reads: the engines' secrets are not needed

    async def main() -> None:
        runtime = await open_runtime(settings)
        diagnoses = runtime.operations.diagnoses
        try:
            if ident is None:
                _health(await diagnoses.engines.statuses())
                _pauses((await runtime.pauses.list())["data"])
                within = settings.ready_worker_seconds or 3 * settings.reap_interval_seconds
                _devices(await diagnoses.devices(time.time() - within))
                return
            video = await diagnoses.find_video(ident)
            if video is not None:
                found = await diagnoses.video(video.id)
                limits = _route_limits(runtime, video)
                report = _video_report(video, found.charge, found.events, limits)
                if as_json:
                    click.echo(json.dumps(report, indent=2, default=str))
                else:
                    _explain(video, report)
                return
            refused = await diagnoses.refused(ident)
            if refused is None:
                raise click.ClickException(
                    f"no video and no refused request with id {ident!r}. Video ids start with "
                    "'video_'; request ids ('req_…', the x-request-id header) are found when "
                    "they created a video, or were refused in the last "
                    f"{settings.request_log_days:g} days (REELWAY_REQUEST_LOG_DAYS); other "
                    "requests that succeeded are not recorded."
                )
            record = _request_record(refused)
            if as_json:
                click.echo(json.dumps(record, indent=2, default=str))
            else:
                _explain_request(record)
        finally:
            await runtime.close()

    run(main)


# --------------------------------------------------------------------------- a video


def _video_report(
    video: jobs.Video,
    charge: Charge | None,
    events: tuple[Any, ...],
    limits: dict[str, EngineSpec] | None = None,
) -> dict[str, Any]:
    """Everything known about the video, as JSON-ready data (``--json`` prints it)."""
    code = video.error.code if video.error else None
    return {
        "id": video.id,
        "project_id": video.project_id,
        "request_id": video.request_id,
        "model": video.model,
        "kind": video.kind.value,
        "sources": video.sources.to_json(),
        "status": video.status.value,
        "public_status": video.public_status,
        "engine": video.engine,
        "rendered_with": video.rendered_with,
        "operation": video.operation,
        "attempts": video.attempts,
        "created_at": video.created_at,
        "started_at": video.started_at,
        "completed_at": video.completed_at,
        "error": None if video.error is None else video.error.to_json(),
        "engine_attempts": [a.to_json() for a in video.engine_attempts] or None,
        "timeline": _timeline(video, limits or {}),
        "cause": _cause(code) if code else None,
        "remedy": remedies.for_failure(code) if code else None,
        "charge": None if charge is None else {**vars(charge), "summary": _charge(charge)},
        "events": [
            {
                "id": event.id,
                "type": event.type,
                "created_at": event.created_at,
                "deliveries": [
                    {**vars(delivery), "summary": _delivery(delivery)}
                    for delivery in event.deliveries
                ],
            }
            for event in events
        ],
    }


def _history(video: jobs.Video) -> tuple[jobs.EngineAttempt, ...]:
    """Every engine attempt (and route-retry marker) recorded on the video."""
    return (video.error.attempts if video.error else ()) or video.engine_attempts


def _timeline(
    video: jobs.Video, limits: dict[str, EngineSpec] | None = None
) -> list[dict[str, Any]]:
    """The video's story as ``{"at", "event", …}`` steps, oldest first."""
    steps: list[dict[str, Any]] = [
        {
            "at": video.created_at,
            "event": "created",
            "text": f"created (request {video.request_id})",
        }
    ]
    if video.started_at is not None:
        waited = video.started_at - video.created_at
        held = _held_until(video)
        steps.append(
            {
                "at": video.started_at,
                "event": "started",
                "text": f"{'taken' if held else 'started'} by a worker after {_took(waited)} "
                "in the queue",
                "queued_seconds": round(waited, 3),
            }
        )
        if held is not None:
            steps.extend(_held_steps(video, held, limits or {}))
    elif video.status is jobs.JobStatus.QUEUED:
        now = time.time()
        text = f"queued for {_took(now - video.created_at)} so far"
        if video.run_at > now:
            text += f"; it may start from {_when(video.run_at)} (deferred)"
        steps.append({"at": None, "event": "queued", "text": text})
    number = 0
    for attempt in _history(video):
        if not attempt.engine:
            steps.append(
                {
                    "at": attempt.at,
                    "event": "route_retry",
                    "text": "every engine on the route failed; it went back to the queue to "
                    f"walk the route again (pass {attempt.pass_number + 1})",
                }
            )
            continue
        number += 1
        steps.append(
            {
                "at": attempt.at,
                "event": "attempt",
                "number": number,
                "engine": attempt.engine,
                "code": attempt.code,
                "message": attempt.message or "",
                "upstream": attempt.upstream or {},
                "text": f"attempt {number}  {attempt.engine}: {attempt.code}",
            }
        )
    if video.status is jobs.JobStatus.RUNNING:
        steps.append(
            {
                "at": None,
                "event": "running",
                "text": f"rendering on {video.engine or 'an engine being chosen'} (claim "
                f"{video.attempts} of {video.max_attempts}, worker {video.lease_owner})",
            }
        )
    if video.completed_at is not None:
        made = video.rendered_with or {}
        how = ", ".join(
            f"{key.replace('_', ' ')} {made[key]}"
            for key in ("native_size", "frames", "segments", "steps", "device")
            if made.get(key) is not None
        )
        outcome = {
            jobs.JobStatus.SUCCEEDED: f"completed on {video.engine}" + (f" ({how})" if how else ""),
            jobs.JobStatus.FAILED: f"failed: {video.error.code if video.error else None}",
            jobs.JobStatus.CANCELLED: "cancelled",
        }.get(video.status, video.status.value)
        steps.append(
            {
                "at": video.completed_at,
                "event": "finished",
                "text": f"{outcome}, {_took(video.completed_at - video.created_at)} after it "
                "was created",
            }
        )
    for at, what in (
        (video.deleted_at, "deleted by its owner"),
        (video.assets_deleted_at, "files deleted: the video expired"),
    ):
        if at is not None:
            steps.append({"at": at, "event": "deleted", "text": what})
    return steps


HELD_SLACK_SECONDS = 0.5
"""A ``run_at`` this far past the first claim means the job went back to the queue."""


def _held_until(video: jobs.Video) -> float | None:
    """When a job that a worker took went back to the queue (an engine's limit, back-off or
    breaker, or a route retry), the time it could run again: the queue keeps the last
    deferral's ``run_at``, which is later than the first claim's ``started_at``."""
    if video.started_at is None or video.run_at >= jobs.WAITING_RUN_AT:
        return None
    return video.run_at if video.run_at > video.started_at + HELD_SLACK_SECONDS else None


def _held_steps(
    video: jobs.Video, until: float, limits: dict[str, EngineSpec]
) -> list[dict[str, Any]]:
    """The wait after the first claim, and why, from what is recorded: a route-retry marker,
    or the limits of the engines on the model's route."""
    assert video.started_at is not None
    held = until - video.started_at
    reason = _wait_reason(video, until, limits)
    return [
        {
            "at": video.started_at,
            "event": "waiting",
            "text": f"back in the queue: {reason}; it could run again {_took(held)} later",
            "reason": reason,
            "until": until,
            "waited_seconds": round(held, 3),
        },
        {
            "at": until,
            "event": "due",
            "text": f"due again after waiting {_took(held)}; the next free worker took it",
        },
    ]


def _wait_reason(video: jobs.Video, until: float, limits: dict[str, EngineSpec]) -> str:
    started = video.started_at or 0.0
    if any(not a.engine and started <= a.at <= until + 1 for a in _history(video)):
        return "every engine on the route had failed, so it waited before walking it again"
    if video.attempts > 1:
        return (
            f"a worker gave it back after an error or stopped answering (claim "
            f"{video.attempts} of {video.max_attempts})"
        )
    limited = {name: spec.limits for name, spec in limits.items() if spec.limits.limited}
    if video.engine in limited:
        limited = {video.engine: limited[video.engine]}
    if limited:
        said = "; ".join(f"{name}: {_limits(found)}" for name, found in limited.items())
        return f"the engine's rate or concurrency limit was reached ({said})"
    return (
        "an engine on its route was unavailable for a while (the provider asked to wait, or "
        "its circuit breaker was open), or a stopping worker handed it back"
    )


def _limits(found: Any) -> str:
    """An engine's ``EngineLimits`` in words."""
    parts = [
        f"{window.requests} request{'s' if window.requests != 1 else ''} per "
        + (f"{window.seconds:g} s" if window.seconds != 60 else "minute")
        for window in found.windows
    ]
    if found.max_concurrency is not None:
        parts.append(f"{found.max_concurrency} at a time")
    return ", ".join(parts)


def _route_limits(runtime: Runtime, video: jobs.Video) -> dict[str, EngineSpec]:
    """Each engine on the video's model's route, with its limits (none when the model left
    the catalogue)."""
    model = runtime.catalog.get(video.catalog_model)
    route = list(model.route) if model is not None else []
    if video.engine and video.engine not in route:
        route.append(video.engine)
    return {name: runtime.engines.spec(name) for name in route}


def _explain(video: jobs.Video, report: dict[str, Any]) -> None:
    click.echo(f"video      {video.id}  (project {video.project_id}, request {video.request_id})")
    click.echo(f"model      {video.model}  {video.size}  {video.seconds}s")
    if video.kind is not jobs.JobKind.GENERATE:
        click.echo(f"made as    {video.kind.value} of {_source(video.sources)}")
    click.echo(f"status     {video.status.value} (API: {video.public_status})")
    click.echo(f"engine     {video.engine or '-'}  operation {json.dumps(video.operation)}")
    click.echo("")
    click.echo("what happened")
    for step in report["timeline"]:
        at = _when(step["at"]) if step["at"] is not None else "now".ljust(23)
        offset = "" if step["at"] is None else f" (+{_took(step['at'] - video.created_at)})"
        click.echo(f"  {at}{offset}  {step['text']}")
        if step["event"] == "attempt":
            if step["message"]:
                click.echo(f"{INDENT}{step['message']}")
            _provider(step["upstream"])
    click.echo("")
    if video.error:
        _say("error", f"{video.error.code}: {video.error.message}")
        _say("cause", report["cause"])
        _say("what to do", report["remedy"])
    elif video.status is jobs.JobStatus.SUCCEEDED:
        click.echo("result     completed: the files are ready to download")
    charge = report["charge"]
    click.echo(f"charge     {charge['summary'] if charge else 'none recorded'}")
    if not report["events"]:
        click.echo("events     none (an unfinished or cancelled video raises none)")
    for n, event in enumerate(report["events"]):
        label = "events" if n == 0 else ""
        click.echo(f"{label:10} {_when(event['created_at'])}  {event['type']}  {event['id']}")
        if not event["deliveries"]:
            click.echo(f"{INDENT}  no webhook endpoint of the project subscribes to it")
        for delivery in event["deliveries"]:
            click.echo(f"{INDENT}  webhook {delivery['id']}: {delivery['summary']}")


def _provider(upstream: dict[str, Any]) -> None:
    facts = [
        f"{key}={upstream[key]}"
        for key in ("http_status", "provider_code", "request_id", "transport")
        if upstream.get(key) is not None
    ]
    if facts:
        click.echo(f"{INDENT}provider: {', '.join(facts)}")
    if upstream.get("provider_message"):
        click.echo(f"{INDENT}provider said: {upstream['provider_message']}")


def _cause(code: str) -> str:
    """What the code means: the error class's own description."""
    return error_codes.job_failure_for(code, "").message


def _charge(charge: Charge) -> str:
    held = f"{charge.credits_reserved} credits, {_usd(charge.usd_micros_reserved)}"
    relaxed = " (relaxed mode)" if charge.relaxed else ""
    if charge.state == "settled":
        return (
            f"charged {charge.credits_charged} credits, {_usd(charge.usd_micros_charged)}"
            f"{relaxed} at {_when(charge.settled_at)}"
        )
    if charge.state == "released":
        return (
            f"nothing charged ({charge.outcome or 'released'}); the {held} held were released"
            f" at {_when(charge.settled_at)}"
        )
    return f"{held} held{relaxed} until the video ends (state {charge.state})"


def _delivery(delivery: Delivery) -> str:
    tries = f"{delivery.attempts} attempt{'s' if delivery.attempts != 1 else ''}"
    last = []
    if delivery.last_status_code is not None:
        last.append(f"HTTP {delivery.last_status_code}")
    if delivery.last_error:
        last.append(delivery.last_error)
    answer = f", last answer: {'; '.join(last)}" if last else ""
    where = f"to endpoint {delivery.endpoint_id}"
    if delivery.status == "delivered":
        return f"delivered {where} after {tries}{answer}"
    if delivery.status == "pending":
        return f"pending {where}: {tries} so far{answer}; next at {_when(delivery.next_attempt_at)}"
    if delivery.status == "sending":
        return f"being sent {where} now ({tries} before{answer})"
    if delivery.status == "failed":
        return f"gave up {where} after {tries}{answer}"
    return f"{delivery.status} {where} ({tries}{answer})"


# --------------------------------------------------------------------------- a request


def _request_record(refused: RefusedRequest) -> dict[str, Any]:
    return {
        **vars(refused),
        "cause": _request_cause(refused.code),
        "remedy": remedies.for_request(refused.code, refused.status),
    }


def _request_cause(code: str | None) -> str | None:
    for cls in error_codes.all_error_classes():
        if cls.code == code and not issubclass(cls, errors.JobFailure):
            return cls().message
    return None


def _explain_request(record: dict[str, Any]) -> None:
    project = record["project_id"] or "unknown (the caller was not authenticated)"
    param = f" (param {record['param']})" if record["param"] else ""
    click.echo(f"request    {record['request_id']}  refused, no video was created")
    click.echo(f"at         {_when(record['at'])}")
    click.echo(f"call       {record['method']} {record['path']}")
    click.echo(f"answer     {record['status']} {record['code'] or '-'}{param}")
    click.echo(f"project    {project}")
    _say("message", record["message"] or "-")
    if record["cause"]:
        _say("cause", record["cause"])
    _say("what to do", record["remedy"])


# --------------------------------------------------------------------------- engines


def _health(statuses: list[EngineStatus]) -> None:
    """One line per routed engine; a breaker or back-off whose time has passed is over."""
    for status in statuses:
        if not status.recorded:
            click.echo(f"{status.engine:24} no calls recorded")
            continue
        state = status.condition
        opened = (
            f"breaker open until {_when(state.circuit_open_until)}" if state.circuit_open else ""
        )
        blocked = f"provider back-off until {_when(state.backoff_until)}" if state.backoff else ""
        detail = "; ".join(x for x in (opened, blocked) if x) or "healthy"
        click.echo(f"{status.engine:24} consecutive failures {status.failures}; {detail}")


def _pauses(pauses: list[dict[str, Any]]) -> None:
    """A "Paused" section while anything is (``reelway pause``; ``reelway resume`` lifts it)."""
    if not pauses:
        return
    click.echo("")
    click.echo("Paused")
    for pause in pauses:
        what = pause.get("project_name") or pause.get("engine") or "the deployment"
        facts = [f"by {pause['paused_by']} since {_when(pause['paused_at'])}"]
        if pause.get("on_queued"):
            facts.append(f"queued jobs {pause['on_queued']}")
        if pause.get("queued_jobs_held") is not None:
            facts.append(f"{pause['queued_jobs_held']} queued job(s) held")
        if pause.get("reason"):
            facts.append(f"reason: {pause['reason']}")
        click.echo(f"{pause['scope']:10} {what:24} {'; '.join(facts)}")


def _devices(devices: list[dict[str, Any]]) -> None:
    """A "Devices" section: each live worker's resident children, when there are any."""
    if not devices:
        return
    click.echo("")
    click.echo("Devices")
    for device in devices:
        where = f"{device.get('engine')}@{device.get('device') or '-'}"
        doing = str(device.get("state"))
        if device.get("video_id"):
            doing += f" {device['video_id']}"
        facts = [f"{device.get('jobs', 0)} job(s)", f"busy {device.get('busy_seconds', 0):g} s"]
        if device.get("steps_per_second") is not None:
            facts.append(f"{device['steps_per_second']:g} steps/s")
        if device.get("memory_bytes") is not None:
            facts.append(f"memory {device['memory_bytes'] / 2**30:.2f} GiB")
        click.echo(f"  {where:28} {doing:28} {', '.join(facts)}  ({device.get('worker')})")


# --------------------------------------------------------------------------- words


def _source(sources: jobs.Sources) -> str:
    """What a remix, edit or extension started from, in a few words."""
    parts = [sources.video_id or ("an uploaded video" if sources.file else "?")]
    if sources.extends_seconds:
        parts.append(f"({sources.extends_seconds}s, extension {sources.extensions} of its chain)")
    return " ".join(parts)


def _say(label: str, text: str) -> None:
    """``label`` then ``text``, wrapped under itself."""
    click.echo(
        textwrap.fill(
            text,
            width=WIDTH,
            initial_indent=f"{label:10} ",
            subsequent_indent=INDENT,
            break_on_hyphens=False,
            break_long_words=False,
        )
    )


def _when(value: float | None) -> str:
    if value is None:
        return "-"
    moment = datetime.datetime.fromtimestamp(value, datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S.") + f"{moment.microsecond // 1000:03d} UTC"


def _took(seconds: float) -> str:
    seconds = max(0.0, seconds)
    if seconds < 60:
        return f"{seconds:.1f} s"
    if seconds < 3600:
        return f"{int(seconds // 60)} min {int(seconds % 60)} s"
    return f"{int(seconds // 3600)} h {int(seconds % 3600 // 60)} min"


def _usd(micros: int) -> str:
    return f"${micros / 1_000_000:,.2f}"
