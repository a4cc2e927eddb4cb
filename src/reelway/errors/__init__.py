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
    │   │   ├── WebhookUrlNotAllowed, UnsupportedFilePurpose, InvalidFile, FileTooLarge,
    │   │   ├── CapabilityNotSupported (an UnsupportedParameter), VideoStillRendering,
    │   │   ├── NothingToPromote, NotPromotable, VideoRenderFailed (a VideoFailed),
    │   │   ├── UnsupportedBatchEndpoint, UnsupportedCompletionWindow, UnsupportedBatchUrl,
    │   │   ├── InvalidBatchLine, DuplicateCustomId, BatchNotCancellable
    │   ├── UnsupportedContentType      415
    │   ├── RequestTooLarge             413
    │   ├── RangeNotSatisfiable         416
    │   ├── AuthenticationFailed        401 (MissingApiKey, InvalidApiKey, ApiKeyRevoked)
    │   ├── PermissionDenied            403 (AdminKeyRequired, ProjectDisabled,
    │   │                               RelaxedNotAllowed, PauseForbidden, LinkInvalid,
    │   │                               LinkExpired)
    │   ├── NotFound                    404 (VideoNotFound, ModelNotFound, ProjectNotFound,
    │   │                               ApiKeyNotFound, UnknownUrl, WebhookEndpointNotFound,
    │   │                               CharacterNotFound, FileNotFound, BatchNotFound)
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
        ├── AssetsMissing, StoryboardShotFailed, BatchExpired, BatchCancelled,
        ├── NoEngineAvailable, ModerationBlocked, InputBlocked (sentinel_block),
        ├── OutputModerationFailed
        └── UpstreamError               a hosted provider failed; ``failover`` says whether the
                                        next engine on the route may take the job

``docs/errors.md`` lists every code; a test checks it against ``error_codes.all_error_classes()``.
"""

from __future__ import annotations

from reelway.errors.base import *  # noqa: F403
from reelway.errors.job_failures import *  # noqa: F403
from reelway.errors.requests import *  # noqa: F403
from reelway.errors.server import *  # noqa: F403
