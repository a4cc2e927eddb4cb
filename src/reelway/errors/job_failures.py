"""Failures recorded on a failed video's ``error``, never raised to HTTP."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from reelway.errors.base import ReelwayError


class JobFailure(ReelwayError):
    """The video could not be generated."""

    code = "generation_failed"
    error_type = "video_generation_error"


class Cancelled(JobFailure):
    """The video was cancelled before it finished."""

    code = "cancelled"


DEADLINE_MESSAGE = (
    "The video did not finish within its deadline; try again, or ask the operator to raise "
    "REELWAY_JOB_DEADLINE_SECONDS."
)
"""What a video past its deadline says, whether its worker or the reaper stops it."""


class DeadlineExceeded(JobFailure):
    """The video did not finish within its deadline."""

    code = "deadline_exceeded"
    retryable = True


class WorkerLost(JobFailure):
    """The workers rendering this video stopped responding too many times."""

    code = "worker_lost"
    retryable = True


class EngineRuntimeError(JobFailure):
    """The engine failed while rendering the video."""

    code = "engine_runtime_error"


class RenderProcessDied(EngineRuntimeError):
    """The process rendering the video died (it crashed, or the system killed it)."""

    code = "render_process_died"
    retryable = True  # a resident engine's child: its video is requeued while attempts remain


class EngineOutOfMemory(EngineRuntimeError):
    """The engine ran out of memory on its device while rendering the video."""

    code = "engine_out_of_memory"
    failover = True


class StoryboardShotFailed(JobFailure):
    """A shot of the storyboard failed; the message names the shot and its cause."""

    code = "storyboard_shot_failed"


class AssetsMissing(JobFailure):
    """The video's files are no longer in storage."""

    code = "assets_missing"


class NoEngineAvailable(JobFailure):
    """No engine on the model's route could take the video."""

    code = "no_engine_available"


class ModerationBlocked(JobFailure):
    """The provider's safety system refused the generated video."""

    code = "moderation_blocked"


class OutputModerationFailed(JobFailure):
    """The generated video could not be checked: the moderation service did not answer."""

    code = "moderation_unavailable"


class InputBlocked(JobFailure):
    """The provider's safety system refused the prompt or the input image before generating."""

    code = "sentinel_block"


class UpstreamError(JobFailure):
    """A hosted provider failed to make the video.

    Subclasses say how.  ``failover`` failures move the job to the next engine on the model's
    route; the others (the request itself is at fault) end it.  ``upstream`` keeps the
    provider's own status, code and request id for the operator; it is logged and shown by
    ``reelway doctor``, never sent to API clients.
    """

    code = "upstream_error"
    failover = True

    def __init__(
        self,
        message: str | None = None,
        *,
        param: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        upstream: Mapping[str, Any] | None = None,
    ) -> None:
        super().__init__(message, param=param, retry_after=retry_after, headers=headers)
        self.upstream: dict[str, Any] = dict(upstream or {})

    def __reduce__(self) -> tuple[Any, ...]:
        return (
            _rebuild_upstream,
            (type(self), self.message, self.retry_after, self.headers, self.upstream),
        )


class UpstreamUnavailable(UpstreamError):
    """The provider is down or shedding load (5xx, refused or dropped connections)."""

    code = "upstream_unavailable"
    retryable = True


class UpstreamTimeout(UpstreamError):
    """The provider did not answer in time, or the job never finished there."""

    code = "upstream_timeout"
    retryable = True


class UpstreamRateLimited(UpstreamError):
    """The provider refused the call because an account rate limit was reached (429)."""

    code = "upstream_rate_limited"
    retryable = True


class UpstreamCapacity(UpstreamError):
    """The provider accepted the job but had no capacity to run it."""

    code = "upstream_capacity"
    retryable = True


class UpstreamGenerationFailed(UpstreamError):
    """The provider accepted the job and then failed while generating it."""

    code = "upstream_generation_failed"
    retryable = True


class UpstreamProtocolError(UpstreamError):
    """The provider answered something this engine does not understand (malformed JSON, an
    unknown status): treated as a failure, never as "still queued"."""

    code = "upstream_protocol_error"
    retryable = True


class UpstreamResultExpired(UpstreamError):
    """The provider's result URL expired or vanished before the video could be downloaded."""

    code = "upstream_result_expired"
    retryable = True


class EngineCannotServe(UpstreamError):
    """This engine cannot make a video with these parameters (size, length, input image); the
    next engine on the route may."""

    code = "engine_cannot_serve"


class UpstreamAuthFailed(UpstreamError):
    """The provider refused this server's credentials (401/403, disabled account, no credit)."""

    code = "upstream_auth_failed"


class UpstreamInvalidRequest(UpstreamError):
    """The provider rejected the request itself (400, 422): sending it elsewhere will not help."""

    code = "upstream_invalid_request"
    failover = False


class UpstreamModerationBlocked(UpstreamError, ModerationBlocked):
    """The provider's safety system refused the generated video."""

    code = "moderation_blocked"
    failover = False


class UpstreamInputBlocked(UpstreamError, InputBlocked):
    """The provider's safety system refused the prompt or the input image before generating."""

    code = "sentinel_block"
    failover = False


class UpstreamCancelled(UpstreamError, Cancelled):
    """The job was cancelled at the provider (by someone other than this server)."""

    code = "cancelled"
    failover = False


def _rebuild_upstream(
    cls: type[UpstreamError],
    message: str,
    retry_after: float | None,
    headers: dict[str, str],
    upstream: dict[str, Any],
) -> UpstreamError:
    return cls(message, retry_after=retry_after, headers=headers, upstream=upstream)


class BatchExpired(JobFailure):
    """The batch's completion window ended before this line finished."""

    code = "batch_expired"


class BatchCancelled(JobFailure):
    """The batch was cancelled before this line finished."""

    code = "batch_cancelled"
