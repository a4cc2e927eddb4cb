"""Errors answered before any job exists (4xx)."""

from __future__ import annotations

from typing import Any

from reelway.errors.base import ReelwayError


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


class CapabilityNotSupported(UnsupportedParameter):
    """The model does not offer what this parameter asks for (``negative_prompt``, ``loop``);
    the message names the model's limits."""

    code = "capability_not_supported"


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


class VideoRenderFailed(VideoFailed):
    """The video a chat completion waited for failed; the answer's ``code`` is the video's
    own error code (``moderation_blocked``, ``engine_runtime_error``...), as the videos API
    records it, and ``video_id`` names the video."""

    def to_dict(self) -> dict[str, Any]:
        shown = super().to_dict()
        shown["code"] = shown.pop("video_code", self.code)
        return shown


class NothingToPromote(InvalidRequest):
    """A promote asks for the draft's own size or a smaller one: nothing to render larger."""

    code = "nothing_to_promote"


class NotPromotable(InvalidRequest):
    """A promote names a video that is not a draft made by a create (a remix, edit,
    extension, storyboard or shot), or asks for another aspect ratio than the draft's."""

    code = "not_promotable"


class VideoStillRendering(InvalidRequest):
    """The video is still rendering after the chat completion's wait; it keeps rendering, so
    poll it by the ``video_id`` the error carries (a 400, so the SDKs do not retry it into a
    second video)."""

    code = "video_still_rendering"


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


class UnsupportedFilePurpose(InvalidRequest):
    """The file's purpose is not one this server stores (batch, vision, user_data)."""

    code = "unsupported_file_purpose"


class InvalidFile(InvalidRequest):
    """The uploaded file is not what its purpose needs (JSON lines, an image, a video)."""

    code = "invalid_file"


class FileTooLarge(InvalidRequest):
    """The uploaded file is larger than this server's limit for files."""

    code = "file_too_large"


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


class FileNotFound(NotFound):
    """No file with this id exists in your project (or it was deleted, or it expired)."""

    code = "file_not_found"


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


class PauseForbidden(PermissionDenied):
    """A project key may pause and resume only its own project's work, never another
    project's, an engine or the deployment (the operator's admin key does that)."""

    code = "pause_forbidden"


class LinkInvalid(PermissionDenied):
    """This video link is not one this server signed (altered, cut short, or signed with
    another secret)."""

    code = "link_invalid"


class LinkExpired(PermissionDenied):
    """This video link has expired; ask for the video again for a new link."""

    code = "link_expired"


class ProjectExists(InvalidRequest):
    """A project with this name already exists."""

    code = "project_exists"


class MethodNotAllowed(RequestError):
    """This URL does not accept this HTTP method."""

    code = "method_not_allowed"
    http_status = 405


class UnsupportedBatchEndpoint(InvalidRequest):
    """This server runs batches of ``/v1/videos`` only; the message names the endpoint asked."""

    code = "unsupported_batch_endpoint"


class UnsupportedCompletionWindow(InvalidRequest):
    """A batch's ``completion_window`` must be ``24h``."""

    code = "unsupported_completion_window"


class InvalidBatchLine(InvalidRequest):
    """A line of a batch's input file is not a request object with a ``custom_id``, ``method``
    and ``url`` (it fails alone; the batch goes on)."""

    code = "invalid_batch_line"


class UnsupportedBatchUrl(InvalidRequest):
    """A batch line's ``method`` and ``url`` must be ``POST`` and the batch's endpoint."""

    code = "unsupported_batch_url"


class DuplicateCustomId(InvalidRequest):
    """Another line of the same batch already used this ``custom_id``."""

    code = "duplicate_custom_id"


class BatchNotFound(NotFound):
    """No batch with this id exists in your project."""

    code = "batch_not_found"


class BatchNotCancellable(InvalidRequest):
    """The batch has ended already (completed, failed, expired or cancelled)."""

    code = "batch_not_cancellable"
