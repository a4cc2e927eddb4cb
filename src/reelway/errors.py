"""Every error Reelway can answer or record, in one place.

Each class carries its stable ``code``, the HTTP status the OpenAI SDKs map to an exception
class, OpenAI's ``error.type``, and whether retrying the same request can help.  The class
docstring is the default message.  The tree::

    ReelwayError
    ├── RequestError                    4xx answered before any job exists
    │   ├── InvalidRequest              400 invalid_request_error (malformed or disallowed input)
    │   │   ├── InvalidValue, MissingParameter, UnknownParameter, UnsupportedParameter
    │   │   ├── InvalidJson, InvalidMultipart, InvalidImage, ImageSizeMismatch, ImageTooLarge
    │   │   ├── TooManyFields, FieldNameTooLong, NestingTooDeep (bounds on a body's shape)
    │   │   ├── ImageFetchFailed, VideoNotReady, VideoFailed, DuplicateParameter (DuplicateHeader),
    │   │   ├── ProjectExists, ContentBlocked (sentinel_block: this server's moderation),
    │   │   ├── WebhookUrlNotAllowed
    │   ├── UnsupportedContentType      415
    │   ├── RequestTooLarge             413
    │   ├── RangeNotSatisfiable         416
    │   ├── AuthenticationFailed        401 (MissingApiKey, InvalidApiKey, ApiKeyRevoked)
    │   ├── PermissionDenied            403 (AdminKeyRequired, ProjectDisabled,
    │   │                               RelaxedNotAllowed)
    │   ├── NotFound                    404 (VideoNotFound, ModelNotFound, ProjectNotFound,
    │   │                               ApiKeyNotFound, UnknownUrl, WebhookEndpointNotFound,
    │   │                               CharacterNotFound)
    │   ├── ContentGone                 410 (VideoExpired)
    │   ├── IdempotencyKeyReused        422
    │   ├── QueueFull                   429
    │   ├── RateLimited                 429 (RequestsPerMinuteExceeded, RequestsPerDayExceeded)
    │   ├── QuotaExceeded               429 (InsufficientCredits, BudgetExceeded)
    │   └── MethodNotAllowed            405
    ├── NotImplementedYet               501, never retried
    ├── Unavailable                     503 with retry-after (ServerBusy, DatabaseUnavailable,
    │                                   StorageUnavailable, ModerationUnavailable)
    ├── InternalError                   500
    └── JobFailure                      recorded on a failed video's ``error``, never raised to HTTP
        ├── Cancelled, DeadlineExceeded, WorkerLost, EngineRuntimeError (EngineOutOfMemory,
        │   RenderProcessDied),
        ├── AssetsMissing,
        ├── NoEngineAvailable, ModerationBlocked, InputBlocked (sentinel_block),
        ├── OutputModerationFailed
        └── UpstreamError               a hosted provider failed; ``failover`` says whether the
                                        next engine on the route may take the job

``docs/errors.md`` lists every code; a test checks it against ``error_codes.all_error_classes()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar


class ReelwayError(Exception):
    """Unexpected error."""

    code: ClassVar[str] = "internal_error"
    http_status: ClassVar[int] = 500
    error_type: ClassVar[str] = "server_error"
    retryable: ClassVar[bool] = False
    failover: ClassVar[bool] = False
    """A job that fails with it may move to the next engine on the model's route."""

    def __init__(
        self,
        message: str | None = None,
        *,
        param: str | None = None,
        retry_after: float | None = None,
        headers: Mapping[str, str] | None = None,
        details: Mapping[str, str] | None = None,
    ) -> None:
        self.message = message or _default_message(type(self))
        self.param = param
        self.retry_after = retry_after
        self.headers: dict[str, str] = dict(headers or {})
        self.details: dict[str, str] = dict(details or {})
        """Reelway's additions beside OpenAI's four keys (a moderation ``category`` and
        ``stage``); absent from the envelope when empty, so other errors keep their shape."""
        super().__init__(self.message)

    def __reduce__(self) -> tuple[Any, ...]:
        # Errors cross process boundaries (render children); keep the keyword arguments.
        return (
            _rebuild,
            (type(self), self.message, self.param, self.retry_after, self.headers, self.details),
        )

    def to_dict(self) -> dict[str, Any]:
        """The body of OpenAI's error envelope: ``{"message", "type", "param", "code"}``."""
        return {
            "message": self.message,
            "type": self.error_type,
            "param": self.param,
            "code": self.code,
            **self.details,
        }


def _rebuild(
    cls: type[ReelwayError],
    message: str,
    param: str | None,
    retry_after: float | None,
    headers: dict[str, str],
    details: dict[str, str] | None = None,
) -> ReelwayError:
    return cls(message, param=param, retry_after=retry_after, headers=headers, details=details)


def _rebuild_upstream(
    cls: type[UpstreamError],
    message: str,
    retry_after: float | None,
    headers: dict[str, str],
    upstream: dict[str, Any],
) -> UpstreamError:
    return cls(message, retry_after=retry_after, headers=headers, upstream=upstream)


def show(value: object, limit: int = 60) -> str:
    """A value quoted for an error message, cut short so messages stay readable."""
    if isinstance(value, str) and len(value) > limit:
        value = value[:limit]  # not a repr of all of a 48 MiB string, only to cut it
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _default_message(cls: type) -> str:
    doc = (cls.__doc__ or cls.__name__).strip()
    return doc.split("\n\n", 1)[0].replace("\n", " ")


# --------------------------------------------------------------------------- requests


class RequestError(ReelwayError):
    """The request cannot be served as sent."""

    code = "invalid_request"
    http_status = 400
    error_type = "invalid_request_error"


class InvalidRequest(RequestError):
    """The request is invalid."""


class InvalidValue(InvalidRequest):
    """A parameter has a value that is not allowed."""

    code = "invalid_value"


class MissingParameter(InvalidRequest):
    """A required parameter is missing."""

    code = "missing_required_parameter"


class UnknownParameter(InvalidRequest):
    """The request names a parameter this endpoint does not take."""

    code = "unknown_parameter"


class UnsupportedParameter(InvalidRequest):
    """The parameter is part of the OpenAI API but this server does not support it yet."""

    code = "unsupported_parameter"


class DuplicateParameter(InvalidRequest):
    """A parameter was sent more than once."""

    code = "duplicate_parameter"


class DuplicateHeader(DuplicateParameter):
    """A header that may appear once (such as Authorization) was sent more than once."""

    code = "duplicate_header"


class InvalidJson(InvalidRequest):
    """The request body is not valid JSON."""

    code = "invalid_json"


class InvalidMultipart(InvalidRequest):
    """The multipart/form-data body could not be parsed."""

    code = "invalid_multipart"


class TooManyFields(InvalidRequest):
    """The body has more fields (form) or values (JSON) than this server reads."""

    code = "too_many_fields"


class FieldNameTooLong(InvalidRequest):
    """A form field's name is longer than this server reads."""

    code = "field_name_too_long"


class NestingTooDeep(InvalidRequest):
    """A parameter nests objects or lists deeper than this server reads."""

    code = "nesting_too_deep"


class InvalidImage(InvalidRequest):
    """The image could not be read; send a PNG, JPEG or WebP file."""

    code = "invalid_image"


class ImageSizeMismatch(InvalidRequest):
    """The reference image's dimensions differ from the requested size."""

    code = "image_size_mismatch"


class ImageTooLarge(InvalidRequest):
    """The image is larger than this server accepts."""

    code = "image_too_large"


class ContentBlocked(InvalidRequest):
    """This server's moderation refused the prompt or the input image before generation;
    nothing was charged."""

    code = "sentinel_block"


class ImageFetchFailed(InvalidRequest):
    """The image URL could not be fetched."""

    code = "image_fetch_failed"


class WebhookUrlNotAllowed(InvalidRequest):
    """The webhook URL is not one this server delivers to: it must be http(s), and its host
    must resolve to a public address unless the operator allows private networks."""

    code = "webhook_url_not_allowed"


class VideoNotReady(InvalidRequest):
    """The video has not finished rendering yet; poll it until its status is completed."""

    code = "video_not_ready"


class VideoFailed(InvalidRequest):
    """The video failed, so it has no content; see its error for why."""

    code = "video_failed"


class InvalidVideo(InvalidRequest):
    """The uploaded video is not an MP4 that decodes; send an H.264 MP4 file."""

    code = "invalid_video"


class VideoSizeNotAllowed(InvalidRequest):
    """The uploaded video's frame size is not one the model makes."""

    code = "video_size_not_allowed"


class TooManyExtensions(InvalidRequest):
    """The video has already been extended six times, the most a chain may be."""

    code = "too_many_extensions"


class VideoTooLong(InvalidRequest):
    """The result would be longer than a video may be (120 seconds for an extension chain)."""

    code = "video_too_long"


class NotAllowedOnExtension(InvalidRequest):
    """An extension continues its source as it is: characters and an input_reference are not
    accepted on it."""

    code = "not_allowed_on_extension"


class NotAStoryboard(InvalidRequest):
    """The video is not a storyboard, so it has no shots."""

    code = "not_a_storyboard"


class ShotNotRetryable(InvalidRequest):
    """The shot succeeded, or its storyboard is still rendering: nothing to retry yet."""

    code = "shot_not_retryable"


class CharacterClipDuration(InvalidRequest):
    """A character's clip must be 2 to 4 seconds long."""

    code = "character_clip_duration"


class TooManyCharacters(InvalidRequest):
    """A video may use at most two characters."""

    code = "too_many_characters"


class CharacterNotInPrompt(InvalidRequest):
    """The prompt must name each character the video uses, exactly as the character is named."""

    code = "character_not_in_prompt"


class UnsupportedContentType(RequestError):
    """Send the body as application/json or multipart/form-data."""

    code = "unsupported_content_type"
    http_status = 415


class RequestTooLarge(RequestError):
    """The request body is larger than this server accepts."""

    code = "request_too_large"
    http_status = 413


class RangeNotSatisfiable(RequestError):
    """The requested byte range lies outside the file."""

    code = "range_not_satisfiable"
    http_status = 416


class AuthenticationFailed(RequestError):
    """Authentication failed."""

    code = "authentication_failed"
    http_status = 401


class MissingApiKey(AuthenticationFailed):
    """No API key was sent; pass it as 'Authorization: Bearer <key>'."""

    code = "missing_api_key"


class InvalidApiKey(AuthenticationFailed):
    """The API key is not valid for this server."""

    code = "invalid_api_key"


class ApiKeyRevoked(AuthenticationFailed):
    """The API key has been revoked; create a new one with 'reelway keys create'."""

    code = "api_key_revoked"


class NotFound(RequestError):
    """Not found."""

    code = "not_found"
    http_status = 404


class VideoNotFound(NotFound):
    """No video with this id exists in your project."""

    code = "video_not_found"


class ModelNotFound(NotFound):
    """No model with this id is served here."""

    code = "model_not_found"


class ProjectNotFound(NotFound):
    """No project with this id or name exists."""

    code = "project_not_found"


class ApiKeyNotFound(NotFound):
    """No API key with this id exists."""

    code = "api_key_not_found"


class UnknownUrl(NotFound):
    """No endpoint lives at this URL."""

    code = "unknown_url"


class WebhookEndpointNotFound(NotFound):
    """No webhook endpoint with this id exists in your project."""

    code = "webhook_endpoint_not_found"


class CharacterNotFound(NotFound):
    """No character with this id exists in your project."""

    code = "character_not_found"


class ContentGone(RequestError):
    """The video's files are no longer stored."""

    code = "content_gone"
    http_status = 410


class VideoExpired(ContentGone):
    """The video's files were deleted when it expired (see its expires_at)."""

    code = "video_expired"


class IdempotencyKeyReused(RequestError):
    """This Idempotency-Key was already used with a different request."""

    code = "idempotency_key_reused"
    http_status = 422


class QueueFull(RequestError):
    """Your project has as many videos waiting as it may; wait for some to finish."""

    code = "queue_full"
    http_status = 429
    error_type = "rate_limit_error"
    retryable = True


class RateLimited(RequestError):
    """Your project sent more generation requests than its tier allows."""

    code = "rate_limit_exceeded"
    http_status = 429
    error_type = "requests"
    retryable = True


class RequestsPerMinuteExceeded(RateLimited):
    """Your project reached its tier's generation requests per minute; retry after the reset."""

    code = "rate_limit_requests_per_minute"


class RequestsPerDayExceeded(RateLimited):
    """Your project reached its tier's generation requests per day (UTC); retry tomorrow."""

    code = "rate_limit_requests_per_day"
    retryable = False


class QuotaExceeded(RequestError):
    """Your project cannot pay for this video."""

    code = "insufficient_quota"
    http_status = 429
    error_type = "insufficient_quota"


class InsufficientCredits(QuotaExceeded):
    """Your plan's credits for this period would not cover this video."""

    code = "insufficient_credits"


class BudgetExceeded(QuotaExceeded):
    """This video would take your project over its budget for this period."""

    code = "budget_exceeded"


class PermissionDenied(RequestError):
    """This key may not do that."""

    code = "permission_denied"
    http_status = 403


class AdminKeyRequired(PermissionDenied):
    """This endpoint needs the deployment's admin key (REELWAY_ADMIN_KEY)."""

    code = "admin_key_required"


class ProjectDisabled(PermissionDenied):
    """This project is disabled; ask the operator to enable it."""

    code = "project_disabled"


class RelaxedNotAllowed(PermissionDenied):
    """This project's plan does not include relaxed mode."""

    code = "relaxed_mode_not_allowed"


class ProjectExists(InvalidRequest):
    """A project with this name already exists."""

    code = "project_exists"


class MethodNotAllowed(RequestError):
    """This URL does not accept this HTTP method."""

    code = "method_not_allowed"
    http_status = 405


# --------------------------------------------------------------------------- server


class NotImplementedYet(ReelwayError):
    """This part of the OpenAI Videos API is not implemented by this Reelway version yet."""

    code = "not_implemented"
    http_status = 501
    error_type = "invalid_request_error"


class Unavailable(ReelwayError):
    """The service is briefly unavailable; retry after the time given."""

    code = "unavailable"
    http_status = 503
    retryable = True

    def __init__(self, message: str | None = None, *, retry_after: float = 2.0, **kw: Any) -> None:
        super().__init__(message, retry_after=retry_after, **kw)


class ServerBusy(Unavailable):
    """The server's queue is full; retry after the time given."""

    code = "server_busy"


class ModerationUnavailable(Unavailable):
    """The moderation service this server relies on did not answer; nothing was queued or
    charged."""

    code = "moderation_unavailable"


class DatabaseUnavailable(Unavailable):
    """The database cannot be reached right now; retry after the time given."""

    code = "database_unavailable"


class StorageUnavailable(Unavailable):
    """File storage cannot be reached right now; retry after the time given."""

    code = "storage_unavailable"


class InternalError(ReelwayError):
    """The server hit an unexpected error; quote the request id when you report it."""

    code = "internal_error"
    http_status = 500
    retryable = True


# --------------------------------------------------------------------------- job failures


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
