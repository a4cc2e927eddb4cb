"""Batches of videos (``/v1/batches`` with ``endpoint: "/v1/videos"``): create, read, list and
cancel, and the steps a coordinator takes to carry a batch to its end.

The create call only checks its fields and the input file and stores the batch as
``validating``: the lines are read, checked and queued by a coordinator (every worker and
API process runs one, ``worker.batches``), in chunks, under a lease on the batch, so the API's
event loop never holds a 10,000-line file.  Every line becomes an ordinary video through
``VideoService.create`` (validation, moderation, prices, budgets, webhooks) with the
Idempotency-Key ``batch-{batch id}-{line}``: a coordinator that dies mid-chunk and the one that
takes over never queue a line twice, and each line is reserved and charged once.  Batch lines
run at ``jobs.BATCH_PRIORITY``, below every tier's interactive jobs (a line that asks for
``service_tier: "relaxed"`` keeps the relaxed priority).  When every line has ended the
coordinator writes the output and error files (OpenAI's batch output lines) and ends the
batch, raising its ``batch.*`` webhook event in the same transaction.
"""

from __future__ import annotations

import asyncio
import io
import logging
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import orjson

from reelway import errors, ids, jobs, validation
from reelway.api import wire
from reelway.files import FileService
from reelway.service import Admitted, Caller, JobSpec, VideoService
from reelway.settings import Settings
from reelway.store.batches import Batch, BatchStore, Line
from reelway.store.videos import NewVideo

__all__ = ["Batch", "BatchService", "Line", "parse_lines", "render_output"]

log = logging.getLogger(__name__)

ENDPOINT = "/v1/videos"
COMPLETION_WINDOW = "24h"
CREATE_FIELDS = frozenset(
    {"input_file_id", "endpoint", "completion_window", "metadata", "output_expires_after"}
)
LINE_FIELDS = frozenset({"custom_id", "method", "url", "body"})
MAX_METADATA_KEYS, MAX_METADATA_KEY, MAX_METADATA_VALUE = 16, 64, 512
MAX_CUSTOM_ID = 512
CHUNK = 100
"""Lines queued between two lease renewals."""
STEP_SECONDS = 5.0
"""The longest a coordinator queues lines in one step before it lets others take a turn."""
RETRYABLE = (
    errors.RateLimited,
    errors.QueueFull,
    errors.ServerBusy,
    errors.DatabaseUnavailable,
)
"""Refusals that say "later", not "no": the line waits for the coordinator's next step."""


class BatchVideos(VideoService):
    """The video service as batch lines use it: the same use cases, the jobs one priority
    below interactive work (``jobs.BATCH_PRIORITY``; relaxed lines stay relaxed)."""

    @classmethod
    def of(cls, service: VideoService) -> BatchVideos:
        lines = cls.__new__(cls)
        lines.__dict__.update(service.__dict__)
        return lines

    def new_video(
        self,
        admitted: Admitted,
        spec: JobSpec,
        video_id: str,
        reference: str | None,
        sources: jobs.Sources,
    ) -> NewVideo:
        new = super().new_video(admitted, spec, video_id, reference, sources)
        if admitted.schedule.relaxed:
            return new
        return replace(new, priority=min(new.priority, jobs.BATCH_PRIORITY))


@dataclass(frozen=True)
class Page:
    batches: list[Batch]
    has_more: bool


class BatchService:
    def __init__(
        self,
        settings: Settings,
        store: BatchStore,
        files: FileService,
        videos: VideoService,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.settings = settings
        self.store = store
        self.files = files
        self.videos = BatchVideos.of(videos)
        self.clock = clock

    # ------------------------------------------------------------------ API

    async def create(
        self, caller: Caller, params: Mapping[str, Any], request_id: str | None = None
    ) -> Batch:
        validation.check_fields(params, CREATE_FIELDS)
        endpoint = params.get("endpoint")
        if endpoint is None:
            raise errors.MissingParameter(
                "Missing required parameter: 'endpoint'.", param="endpoint"
            )
        if endpoint != ENDPOINT:
            raise errors.UnsupportedBatchEndpoint(
                f"Batches of {errors.show(endpoint)} are not supported here; the one endpoint "
                f"this server batches is {ENDPOINT!r}.",
                param="endpoint",
            )
        window = params.get("completion_window")
        if window != COMPLETION_WINDOW:
            raise errors.UnsupportedCompletionWindow(
                f"Invalid completion_window {errors.show(window)}; the only supported value "
                f"is {COMPLETION_WINDOW!r}.",
                param="completion_window",
            )
        metadata = _metadata(params.get("metadata"))
        _output_expiry(params.get("output_expires_after"))
        file_id = params.get("input_file_id")
        if not isinstance(file_id, str) or not file_id:
            raise errors.MissingParameter(
                "Missing required parameter: 'input_file_id' (a file uploaded with purpose "
                "'batch').",
                param="input_file_id",
            )
        found = await self.files.get(caller.project_id, file_id, param="input_file_id")
        if found.purpose != "batch":
            raise errors.InvalidValue(
                f"File {file_id!r} has purpose {found.purpose!r}; a batch's input file must be "
                "uploaded with purpose 'batch'.",
                param="input_file_id",
            )
        now = self.clock()
        return await self.store.insert(
            {
                "id": ids.new_id("batch"),
                "project_id": caller.project_id,
                "status": "validating",
                "endpoint": ENDPOINT,
                "completion_window": COMPLETION_WINDOW,
                "input_file_id": file_id,
                "metadata": metadata,
                "request_id": request_id,
                "created_at": now,
                "expires_at": now + self.settings.batch_window_seconds,
                "lease_until": 0.0,
            }
        )

    async def get(self, caller: Caller, batch_id: str) -> Batch:
        found = (
            await self.store.get(caller.project_id, batch_id) if ids.well_formed(batch_id) else None
        )
        if found is None:
            raise errors.BatchNotFound(
                f"Batch with id {errors.show(batch_id)} not found.", param="batch_id"
            )
        return found

    async def list(self, caller: Caller, *, after: str | None, limit: str | None) -> Page:
        """Newest first, as OpenAI lists batches (no ``order``)."""
        ask = validation.page(after, limit, None, "a batch")
        try:
            found, more = await self.store.list_page(
                caller.project_id, after=ask.after, limit=ask.limit
            )
        except LookupError:
            raise validation.unknown_after(after, "a batch") from None
        return Page(found, more)

    async def cancel(self, caller: Caller, batch_id: str) -> Batch:
        found = (
            await self.store.request_cancel(caller.project_id, batch_id)
            if ids.well_formed(batch_id)
            else None
        )
        if found is None:
            raise errors.BatchNotFound(
                f"Batch with id {errors.show(batch_id)} not found.", param="batch_id"
            )
        if found.status in ("completed", "failed", "expired"):  # finalizing: as it is
            raise errors.BatchNotCancellable(
                f"Batch {batch_id!r} has ended ({found.status}); there is nothing to cancel.",
                param="batch_id",
            )
        return found

    # ------------------------------------------------------------------ the coordinator's step

    async def step(self, owner: str) -> bool:
        """Claim one batch that has work, advance it, let it go; False when none had work."""
        lease = self.settings.lease_seconds
        batch = await self.store.claim(owner, lease)
        if batch is None:
            return False
        delay = self.settings.batch_poll_seconds
        try:
            delay = await self._advance(batch, owner)
        except errors.DatabaseUnavailable:
            log.warning("database unavailable while stepping batch %s; retrying", batch.id)
        except Exception:
            log.exception("batch %s: coordinator error; it is retried shortly", batch.id)
        finally:
            await self.store.release(batch.id, owner, delay)
        return True

    async def _advance(self, batch: Batch, owner: str) -> float:
        """One step of the batch's life; returns how soon it should be looked at again."""
        poll = self.settings.batch_poll_seconds
        if batch.status == "validating":
            await self._validate(batch, owner)
            return 0.0
        if batch.status == "cancelling":
            if batch.total == 0:  # cancelled while validating: its lines still get an answer
                await self._validate(batch, owner)
            return await self._end(batch, owner, "cancelled")
        if batch.status == "finalizing":
            await self._finalize(batch, owner, "completed")
            return poll
        if self.clock() >= batch.expires_at:
            return await self._end(batch, owner, "expired")
        delay, drained = await self._enqueue(batch, owner)
        if not drained or await self.store.unfinished(batch.id):
            return delay
        if await self.store.move(batch.id, owner, "finalizing"):
            await self._finalize(batch, owner, "completed")
        return poll

    async def _validate(self, batch: Batch, owner: str) -> None:
        """Read the input file and store its lines (each one checked on its own)."""
        try:
            found = await self.files.get(batch.project_id, batch.input_file_id)
            chunks = [
                c async for c in self.files.storage.open_range(found.blob, 0, found.bytes - 1)
            ]
        except (errors.FileNotFound, FileNotFoundError):
            failure = {
                "code": "file_not_found",
                "message": f"The input file {batch.input_file_id} is gone (deleted or expired).",
                "param": "input_file_id",
                "line": None,
            }
            await self.store.finish(batch, owner, "failed", failures=[failure])
            return
        lines = await asyncio.to_thread(parse_lines, b"".join(chunks))
        if await self.store.add_lines(batch.id, owner, lines):
            log.info("batch %s: %d lines validated", batch.id, len(lines))

    async def _enqueue(self, batch: Batch, owner: str) -> tuple[float, bool]:
        """Queue pending lines in chunks for up to ``STEP_SECONDS``.  Returns when to look
        again (at once while lines remain, later after a "later" refusal) and whether every
        line is queued or refused."""
        caller = Caller(project_id=batch.project_id, key_id=f"batch:{batch.id}")
        started = time.monotonic()
        while time.monotonic() - started < STEP_SECONDS:
            pending = await self.store.pending(batch.id, CHUNK)
            if not pending:
                return self.settings.batch_poll_seconds, True
            outcomes: list[Line] = []
            wait: float | None = None
            for line in pending:
                try:
                    outcomes.append(await self._queue_line(caller, batch, line))
                except RETRYABLE as exc:
                    wait = max(exc.retry_after or 0.0, self.settings.batch_poll_seconds)
                    break
            await self.store.set_outcomes(batch.id, outcomes)
            if wait is not None:
                return wait, False
            held = await self.store.renew(batch.id, owner, self.settings.lease_seconds)
            if held is None or held.status != "in_progress":
                return 0.0, False  # lost the lease, or cancelled: the next step sees which
        return 0.0, False

    async def _queue_line(self, caller: Caller, batch: Batch, line: Line) -> Line:
        request_id = ids.new_request_id()
        try:
            created = await self.videos.create(
                caller,
                line.body or {},
                request_id=request_id,
                idempotency_key=f"batch-{batch.id}-{line.line}",
            )
        except RETRYABLE:
            raise
        except errors.ReelwayError as exc:
            if exc.http_status >= 500:
                raise
            refused = {"request_id": request_id, "body": {"error": exc.to_dict()}}
            return replace(line, status_code=exc.http_status, error=refused)
        return replace(line, video_id=created.video.id)

    async def _end(self, batch: Batch, owner: str, status: str) -> float:
        """Expired or cancelled: end what has not finished; once nothing runs, finalize."""
        failure: type[errors.JobFailure] = (
            errors.BatchExpired if status == "expired" else errors.BatchCancelled
        )
        message = (
            "The batch's completion window ended before this line finished."
            if status == "expired"
            else "The batch was cancelled before this line finished."
        )
        running = await self.store.end_unfinished(batch.id, failure.code, message)
        if running:
            return self.settings.batch_poll_seconds
        await self._finalize(batch, owner, status)
        return self.settings.batch_poll_seconds

    async def _finalize(self, batch: Batch, owner: str, status: str) -> None:
        """Write the output and error files and end the batch."""
        lines = await self.store.lines(batch.id)
        output, failed = render_output(lines, batch.id, status)
        output_id = await self._write(batch, "output", output)
        error_id = await self._write(batch, "error", failed)
        counts = (len(lines), len(output), len(failed))
        if await self.store.finish(
            batch, owner, status, counts=counts, output_file_id=output_id, error_file_id=error_id
        ):
            log.info("batch %s %s: %d/%d lines completed", batch.id, status, counts[1], counts[0])

    async def _write(self, batch: Batch, kind: str, lines: Sequence[bytes]) -> str | None:
        if not lines:
            return None
        stored = await self.files.store_file(
            batch.project_id,
            "batch_output",
            f"{batch.id}_{kind}.jsonl",
            io.BytesIO(b"".join(lines)),
            "application/jsonl",
        )
        return stored.id


# ---------------------------------------------------------------------- lines in and out


def parse_lines(data: bytes) -> list[Line]:
    """Every non-blank line of an input file, each checked on its own: a bad one is stored
    with its refusal (400 and the error body) and fails alone."""
    found: list[Line] = []
    seen: set[str] = set()
    for number, raw in enumerate(data.splitlines(), start=1):
        if not raw.strip():
            continue
        custom_id, body, refusal = _check_line(raw, number, seen)
        line = Line(batch_id="", line=number, custom_id=custom_id, body=body)
        if refusal is not None:
            error = {"request_id": None, "body": {"error": refusal.to_dict()}}
            line = replace(line, body=None, status_code=refusal.http_status, error=error)
        found.append(line)
    return found


def _check_line(
    raw: bytes, number: int, seen: set[str]
) -> tuple[str | None, dict[str, Any] | None, errors.ReelwayError | None]:
    try:
        value = orjson.loads(raw)
    except orjson.JSONDecodeError:
        return None, None, errors.InvalidBatchLine(f"Line {number} is not valid JSON.")
    if not isinstance(value, dict):
        return None, None, errors.InvalidBatchLine(f"Line {number} is not a JSON object.")
    custom_id = value.get("custom_id")
    if not isinstance(custom_id, str) or not 0 < len(custom_id) <= MAX_CUSTOM_ID:
        why = f"Line {number} needs a custom_id: a string of 1 to {MAX_CUSTOM_ID} characters."
        return None, None, errors.InvalidBatchLine(why, param="custom_id")
    if custom_id in seen:
        return (
            custom_id,
            None,
            errors.DuplicateCustomId(
                f"Line {number} repeats custom_id {errors.show(custom_id)}; each line needs "
                "its own.",
                param="custom_id",
            ),
        )
    seen.add(custom_id)
    unknown = sorted(set(value) - LINE_FIELDS)
    if unknown:
        why = f"Line {number} has unknown field {unknown[0]!r}."
        return custom_id, None, errors.InvalidBatchLine(why, param=unknown[0])
    method, url = value.get("method"), value.get("url")
    if method != "POST" or url != ENDPOINT:
        return (
            custom_id,
            None,
            errors.UnsupportedBatchUrl(
                f"Line {number} asks for {errors.show(method)} {errors.show(url)}; every line of "
                f"this batch must be POST {ENDPOINT}.",
                param="url" if method == "POST" else "method",
            ),
        )
    body = value.get("body")
    if not isinstance(body, dict):
        why = f"Line {number}'s body must be a JSON object (the create's parameters)."
        return custom_id, None, errors.InvalidBatchLine(why, param="body")
    return custom_id, body, None


def render_output(
    lines: Sequence[Line], batch_id: str, status: str
) -> tuple[list[bytes], list[bytes]]:
    """OpenAI's batch output lines: a succeeded video in the output file (``response`` with
    the Video), everything else in the error file (the refusal's response, or ``error``)."""
    output: list[bytes] = []
    failed: list[bytes] = []
    ended = {"expired": errors.BatchExpired, "cancelled": errors.BatchCancelled}.get(status)
    for line in lines:
        entry: dict[str, Any] = {
            "id": f"batch_req_{batch_id.removeprefix('batch_')[:16]}{line.line:08d}",
            "custom_id": line.custom_id,
            "response": None,
            "error": None,
        }
        video = line.video
        if line.status_code is not None and line.error is not None:
            entry["response"] = {
                "status_code": line.status_code,
                "request_id": line.error.get("request_id"),
                "body": line.error.get("body"),
            }
        elif video is not None and video.status is jobs.JobStatus.SUCCEEDED:
            entry["response"] = _response(video)
            output.append(orjson.dumps(entry) + b"\n")
            continue
        elif video is not None and video.status is jobs.JobStatus.FAILED:
            entry["response"] = _response(video)
            code = video.error.code if video.error else "generation_failed"
            message = video.error.message if video.error else "The video failed."
            entry["error"] = {"code": code, "message": message}
        elif line.error is not None and "code" in line.error:
            entry["error"] = {"code": line.error["code"], "message": line.error.get("message")}
        elif ended is not None:
            entry["error"] = {"code": ended.code, "message": _default(ended)}
        else:
            entry["error"] = {"code": "cancelled", "message": "The video was cancelled."}
        failed.append(orjson.dumps(entry) + b"\n")
    return output, failed


def _response(video: jobs.Video) -> dict[str, Any]:
    return {"status_code": 200, "request_id": video.request_id, "body": wire.video(video)}


def _default(cls: type[errors.ReelwayError]) -> str:
    return cls().message


def _metadata(value: Any) -> dict[str, str] | None:
    """OpenAI's metadata: at most 16 string pairs, keys to 64 and values to 512 characters."""
    if value is None:
        return None
    ok = isinstance(value, dict) and len(value) <= MAX_METADATA_KEYS
    if ok:
        ok = all(
            isinstance(k, str)
            and isinstance(v, str)
            and len(k) <= MAX_METADATA_KEY
            and len(v) <= MAX_METADATA_VALUE
            for k, v in value.items()
        )
    if not ok:
        raise errors.InvalidValue(
            f"metadata must be an object of at most {MAX_METADATA_KEYS} string values (keys "
            f"up to {MAX_METADATA_KEY} characters, values up to {MAX_METADATA_VALUE}).",
            param="metadata",
        )
    return dict(value)


def _output_expiry(value: Any) -> None:
    """``output_expires_after`` is accepted in the SDK's shape; the files keep the operator's
    expiry (``REELWAY_FILE_EXPIRY_SECONDS``)."""
    if value is None:
        return
    if not isinstance(value, dict) or value.get("anchor") != "created_at":
        raise errors.InvalidValue(
            'output_expires_after must be {"anchor": "created_at", "seconds": N}.',
            param="output_expires_after",
        )
