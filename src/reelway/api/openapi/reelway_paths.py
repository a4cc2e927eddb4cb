"""The operations Reelway adds to OpenAI's Videos API, and the schemas of their answers.

Request bodies are never written here: each operation names its body component, which
``fields.bodies`` generates from the validator's own field set.  Answers that Reelway alone
defines are described by their stable keys; further keys may be added (no
``additionalProperties: false`` on answers).
"""

from __future__ import annotations

from typing import Any

from reelway.api.dashboard import WINDOWS
from reelway.api.openapi.fields import BINARY, REELWAY, Schema, ref

TAGS = ["reelway"]
OPEN: list[dict[str, list[str]]] = []
"""``security`` of an operation that needs no key."""
ADMIN: list[dict[str, list[str]]] = [{"AdminApiKeyAuth": []}]
ADMIN_OR_PROJECT: list[dict[str, list[str]]] = [{"AdminApiKeyAuth": []}, {"ApiKeyAuth": []}]
SECURITY_SCHEMES: dict[str, Schema] = {
    "MetricsToken": {
        "type": "http",
        "scheme": "bearer",
        "description": "REELWAY_METRICS_TOKEN, when the operator sets one.",
        REELWAY: True,
    }
}
ERROR: Schema = {
    "description": "An error, in OpenAI's envelope: message, type, param and a stable code.",
    "content": {"application/json": {"schema": ref("ErrorResponse")}},
}


def _object(required: list[str], properties: dict[str, Schema], title: str) -> Schema:
    return {
        "type": "object",
        "title": title,
        "properties": properties,
        "required": required,
        REELWAY: True,
    }


STRING: Schema = {"type": "string"}
NULLABLE_STRING: Schema = {"type": ["string", "null"]}
OBJECT: Schema = {"type": "object"}


def _list_of(item: Schema, title: str, cursor: bool = True) -> Schema:
    properties: dict[str, Schema] = {
        "object": {"type": "string", "enum": ["list"]},
        "data": {"type": "array", "items": item},
        "has_more": {"type": "boolean"},
    }
    if cursor:
        properties |= {"first_id": NULLABLE_STRING, "last_id": NULLABLE_STRING}
    return _object(["object", "data"], properties, title)


SCHEMAS: dict[str, Schema] = {
    "VideoPreflightResource": _object(
        ["object", "model", "size", "seconds", "estimate"],
        {
            "object": {"type": "string", "enum": ["video.preflight"]},
            "model": STRING,
            "size": STRING,
            "seconds": STRING,
            "moderation": OBJECT,
            "estimate": OBJECT,
            "draft_plan": {"anyOf": [OBJECT, {"type": "null"}]},
        },
        "A preflight: what a create would meet, nothing created",
    ),
    "StoryboardPreflightResource": _object(
        ["object", "model", "size"],
        {
            "object": {"type": "string", "enum": ["video.storyboard.preflight"]},
            "model": STRING,
            "size": STRING,
            "shots": {"type": "array", "items": OBJECT},
        },
        "A storyboard's preflight, shot by shot",
    ),
    "StoryboardShotResource": _object(
        ["index", "status", "progress", "video_id"],
        {
            "index": {"type": ["integer", "null"]},
            "status": ref("VideoStatus"),
            "progress": {"type": "integer"},
            "prompt": NULLABLE_STRING,
            "seconds": STRING,
            "transition": NULLABLE_STRING,
            "engine": NULLABLE_STRING,
            "cost_usd": {"type": ["number", "null"]},
            "error": {"anyOf": [ref("Error-2"), {"type": "null"}]},
            "video_id": STRING,
        },
        "One shot of a storyboard (a video of its own)",
    ),
    "VideoCharacterListResource": _list_of(ref("VideoCharacterResource"), "Characters"),
    "DeletedCharacterResource": _object(
        ["id", "object", "deleted"],
        {
            "id": STRING,
            "object": {"type": "string", "enum": ["character.deleted"]},
            "deleted": {"type": "boolean"},
        },
        "Deleted character",
    ),
    "ModelResource": _object(
        ["id", "object", "sizes", "seconds"],
        {
            "id": STRING,
            "object": {"type": "string", "enum": ["model"]},
            "created": {"type": "integer"},
            "owned_by": STRING,
            "aliases": {"type": "array", "items": STRING},
            "sizes": {"type": "array", "items": STRING},
            "seconds": {"type": "array", "items": STRING},
            "default_size": STRING,
            "default_seconds": STRING,
            "capabilities": {"type": "array", "items": STRING},
            "engines": {"type": "array", "items": STRING},
            "pricing": OBJECT,
        },
        "A video model, its limits and prices",
    ),
    "WebhookEndpointResource": _object(
        ["id", "object"],
        {"id": STRING, "object": STRING, "url": STRING, "event_types": {"type": "array"}},
        "Webhook endpoint",
    ),
    "ProjectResource": _object(["id"], {"id": STRING, "name": STRING}, "Project"),
    "ApiKeyResource": _object(["id"], {"id": STRING, "value": STRING}, "Project API key"),
    "UsageReport": _object(
        ["object", "data"],
        {
            "object": {"type": "string", "enum": ["usage.report"]},
            "data": {"type": "array", "items": OBJECT},
            "totals": OBJECT,
            "project": OBJECT,
        },
        "Usage by day",
    ),
    "ChatCompletion": _object(
        ["id", "object", "created", "model", "choices"],
        {
            "id": STRING,
            "object": {"type": "string", "enum": ["chat.completion"]},
            "created": {"type": "integer"},
            "model": STRING,
            "choices": {"type": "array", "items": OBJECT},
            "usage": OBJECT,
        },
        "Chat completion whose assistant message gives the video",
    ),
    "FileResource": _object(
        ["id", "object", "bytes", "created_at", "filename", "purpose"],
        {
            "id": STRING,
            "object": {"type": "string", "enum": ["file"]},
            "bytes": {"type": "integer"},
            "created_at": {"type": "integer"},
            "expires_at": {"type": ["integer", "null"]},
            "filename": STRING,
            "purpose": STRING,
            "status": STRING,
        },
        "An uploaded file",
    ),
    "Health": _object(["status"], {"status": STRING, "version": STRING}, "Liveness"),
    "Readiness": _object(
        ["status", "checks"],
        {"status": {"type": "string", "enum": ["ready", "not_ready"]}, "checks": OBJECT},
        "Readiness, check by check",
    ),
}


def _json(schema: Schema, description: str = "Success") -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _path(name: str, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": description,
        "schema": {"type": "string"},
    }


def _query(name: str, schema: Schema, description: str) -> dict[str, Any]:
    return {
        "name": name,
        "in": "query",
        "required": False,
        "description": description,
        "schema": schema,
    }


def _body(component: str, multipart: bool = False) -> dict[str, Any]:
    content: dict[str, Any] = {"application/json": {"schema": ref(component)}}
    if multipart:
        content["multipart/form-data"] = {"schema": ref(component)}
    return {"required": True, "content": content}


def _op(
    operation_id: str,
    summary: str,
    answer: dict[str, Any],
    *,
    parameters: list[dict[str, Any]] | None = None,
    body: dict[str, Any] | None = None,
    security: list[dict[str, list[str]]] | None = None,
    more: dict[str, Any] | None = None,
) -> dict[str, Any]:
    operation: dict[str, Any] = {
        "tags": TAGS,
        "summary": summary,
        "operationId": operation_id,
        REELWAY: True,
        "parameters": parameters or [],
        "responses": {"200": answer, **(more or {}), "default": ERROR},
    }
    if body is not None:
        operation["requestBody"] = body
    if security is not None:
        operation["security"] = security
    return operation


VIDEO_ID = _path("video_id", "The video's id.")
AFTER = _query("after", STRING, "The last id of the previous page.")
LIMIT = _query("limit", {"type": "integer", "minimum": 0, "maximum": 100}, "Page size.")
ORDER = _query("order", ref("OrderEnum"), "By creation time.")
ENDPOINT_ID = _path("endpoint_id", "The webhook endpoint's id.")
FILE_ID = _path("file_id", "The file's id.")
BATCH_ID = _path("batch_id", "The batch's id.")
PROJECT = _path("project", "The project's id or name.")
USAGE_QUERY = [
    _query("start", STRING, "First UTC day, YYYY-MM-DD (default: 29 days before end)."),
    _query("end", STRING, "Last UTC day, YYYY-MM-DD (default: today)."),
    _query("format", {"type": "string", "enum": ["json", "csv"]}, "json (default) or csv."),
]
CSV = {"text/csv": {"schema": STRING}}
HTML = {"description": "The page", "content": {"text/html": {"schema": STRING}}}


def operations() -> dict[tuple[str, str], dict[str, Any]]:
    """Every Reelway operation by (method, path)."""
    video = _json(ref("VideoResource"))
    webhook = _json(ref("WebhookEndpointResource"))
    project = _json(ref("ProjectResource"))
    hooks, hook = "/v1/webhook_endpoints", "/v1/webhook_endpoints/{endpoint_id}"
    projects = "/v1/organization/projects"
    return {
        ("post", "/v1/videos/preflight"): _op(
            "PreflightVideo",
            "Check a prompt and parameters and price them, without creating a video.",
            _json(ref("VideoPreflightResource")),
            body=_body("PreflightVideoBody", multipart=True),
        ),
        ("post", "/v1/videos/{video_id}/promote"): _op(
            "PromoteVideo",
            "Render a completed draft again at a larger size (same prompt, seed, image, "
            "characters); a new Video whose remixed_from_video_id is the draft.",
            video,
            parameters=[VIDEO_ID],
            body=_body("PromoteVideoBody"),
        ),
        ("post", "/v1/videos/storyboards"): _op(
            "CreateVideoStoryboard",
            "Create a storyboard: one video made of 2 to 32 shots.",
            video,
            body=_body("CreateVideoStoryboardBody"),
        ),
        ("post", "/v1/videos/storyboards/preflight"): _op(
            "PreflightVideoStoryboard",
            "Check and price a storyboard shot by shot, without creating it.",
            _json(ref("StoryboardPreflightResource")),
            body=_body("CreateVideoStoryboardBody"),
        ),
        ("get", "/v1/videos/{video_id}/shots"): _op(
            "ListVideoStoryboardShots",
            "A storyboard's shots in order.",
            _json(_list_of(ref("StoryboardShotResource"), "Shots", cursor=False)),
            parameters=[VIDEO_ID],
        ),
        ("post", "/v1/videos/{video_id}/shots/{index}/retry"): _op(
            "RetryVideoStoryboardShot",
            "Render a failed storyboard's shot again (and the shots it cancelled), and stitch.",
            video,
            parameters=[VIDEO_ID, _path("index", "The shot's index, from 0.")],
            body={**_body("RetryStoryboardShotBody"), "required": False},
        ),
        ("get", "/v1/videos/characters"): _op(
            "ListVideoCharacters",
            "The project's characters, newest first.",
            _json(ref("VideoCharacterListResource")),
            parameters=[AFTER, LIMIT, ORDER],
        ),
        ("delete", "/v1/videos/characters/{character_id}"): _op(
            "DeleteVideoCharacter",
            "Delete a character (videos already made keep it).",
            _json(ref("DeletedCharacterResource")),
            parameters=[_path("character_id", "The character's id.")],
        ),
        ("get", "/v1/models"): _op(
            "ListModels",
            "The video models this server serves, with sizes, lengths and prices.",
            _json(_list_of(ref("ModelResource"), "Models", cursor=False)),
        ),
        ("get", "/v1/models/{model}"): _op(
            "RetrieveModel",
            "One model (by name or alias).",
            _json(ref("ModelResource")),
            parameters=[_path("model", "The model's name or alias.")],
        ),
        ("post", hooks): _op(
            "CreateWebhookEndpoint",
            "Register a webhook endpoint for the project (its signing secret is shown once).",
            webhook,
            body=_body("CreateWebhookEndpointBody"),
        ),
        ("get", hooks): _op(
            "ListWebhookEndpoints",
            "The project's webhook endpoints.",
            _json(_list_of(ref("WebhookEndpointResource"), "Webhook endpoints")),
            parameters=[AFTER, LIMIT],
        ),
        ("get", hook): _op(
            "RetrieveWebhookEndpoint", "One webhook endpoint.", webhook, parameters=[ENDPOINT_ID]
        ),
        ("post", hook): _op(
            "UpdateWebhookEndpoint",
            "Change a webhook endpoint, or enable a disabled one.",
            webhook,
            parameters=[ENDPOINT_ID],
            body={**_body("UpdateWebhookEndpointBody"), "required": False},
        ),
        ("delete", hook): _op(
            "DeleteWebhookEndpoint",
            "Delete a webhook endpoint.",
            _json(OBJECT),
            parameters=[ENDPOINT_ID],
        ),
        ("post", hook + "/rotate_secret"): _op(
            "RotateWebhookSecret",
            "A new signing secret (the old one may stay valid a while).",
            webhook,
            parameters=[ENDPOINT_ID],
            body={**_body("RotateWebhookSecretBody"), "required": False},
        ),
        ("post", hook + "/test"): _op(
            "TestWebhookEndpoint",
            "Send one signed sample event now and say what the receiver answered.",
            _json(OBJECT),
            parameters=[ENDPOINT_ID],
            body=_body("TestWebhookEndpointBody"),
        ),
        ("get", "/v1/webhook_event_types"): _op(
            "ListWebhookEventTypes",
            "The event types this server sends.",
            _json(_list_of(STRING, "Event types", cursor=False)),
        ),
        ("post", projects): _op(
            "CreateProject",
            "Create a project (admin key).",
            project,
            body=_body("CreateProjectBody"),
            security=ADMIN,
        ),
        ("get", projects): _op(
            "ListProjects",
            "Every project (admin key).",
            _json(_list_of(ref("ProjectResource"), "Projects", cursor=False)),
            security=ADMIN,
        ),
        ("get", projects + "/{project}"): _op(
            "RetrieveProject",
            "One project (admin key).",
            project,
            parameters=[PROJECT],
            security=ADMIN,
        ),
        ("post", projects + "/{project}"): _op(
            "UpdateProject",
            "Change a project's tier, plan, budget, limits or switches (admin key).",
            project,
            parameters=[PROJECT],
            body={**_body("UpdateProjectBody"), "required": False},
            security=ADMIN,
        ),
        ("post", projects + "/{project}/api_keys"): _op(
            "CreateProjectApiKey",
            "A new API key for the project; its secret is shown once (admin key).",
            _json(ref("ApiKeyResource")),
            parameters=[PROJECT],
            body={**_body("CreateProjectApiKeyBody"), "required": False},
            security=ADMIN,
        ),
        ("get", projects + "/{project}/api_keys"): _op(
            "ListProjectApiKeys",
            "The project's API keys, without secrets (admin key).",
            _json(_list_of(ref("ApiKeyResource"), "API keys", cursor=False)),
            parameters=[PROJECT],
            security=ADMIN,
        ),
        ("delete", projects + "/{project}/api_keys/{key_id}"): _op(
            "RevokeProjectApiKey",
            "Revoke an API key (admin key).",
            _json(OBJECT),
            parameters=[PROJECT, _path("key_id", "The key's id.")],
            security=ADMIN,
        ),
        ("get", "/v1/organization/usage"): _op(
            "OrganizationUsage",
            "Usage by day and project (admin key).",
            {
                **_json(ref("UsageReport")),
                "content": {"application/json": {"schema": ref("UsageReport")}, **CSV},
            },
            parameters=[_query("project", STRING, "One project only."), *USAGE_QUERY],
            security=ADMIN,
        ),
        ("get", "/v1/usage"): _op(
            "ProjectUsage",
            "The calling project's usage by day, with its limits and budget.",
            {
                **_json(ref("UsageReport")),
                "content": {"application/json": {"schema": ref("UsageReport")}, **CSV},
            },
            parameters=USAGE_QUERY,
        ),
        ("get", "/dashboard"): _op("DashboardPage", "The dashboard page.", HTML, security=OPEN),
        ("get", "/dashboard/"): _op(
            "DashboardPageSlash", "The dashboard page.", HTML, security=OPEN
        ),
        ("get", "/dashboard/{name}"): _op(
            "DashboardAsset",
            "The dashboard's scripts and styles.",
            {"description": "The file", "content": {"*/*": {"schema": BINARY}}},
            parameters=[_path("name", "The file's name.")],
            security=OPEN,
            more={"304": {"description": "Not modified (If-None-Match)."}},
        ),
        ("get", "/v1/dashboard/summary"): _op(
            "DashboardSummary",
            "What the dashboard shows: the admin key sees every project, a project key its own.",
            _json(OBJECT),
            parameters=[_query("window", {"type": "string", "enum": list(WINDOWS)}, "Span.")],
            security=ADMIN_OR_PROJECT,
        ),
        ("get", "/v1/dashboard/videos/{video_id}/content"): _op(
            "DashboardVideoContent",
            "A video's file for the dashboard (admin key: any project's).",
            {"description": "The file", "content": {"*/*": {"schema": BINARY}}},
            parameters=[VIDEO_ID, _query("variant", ref("VideoContentVariant"), "Which file.")],
            security=ADMIN_OR_PROJECT,
        ),
        ("get", "/health"): _op(
            "Health", "The process is up.", _json(ref("Health")), security=OPEN
        ),
        ("get", "/ready"): _op(
            "Ready",
            "Whether this server can take and render videos now, and why not.",
            _json(ref("Readiness")),
            security=OPEN,
            more={"503": _json(ref("Readiness"), "Not ready: the failing checks say why.")},
        ),
        ("get", "/metrics"): _op(
            "Metrics",
            "Prometheus metrics (a bearer token when the operator sets one).",
            {"description": "Exposition", "content": {"text/plain": {"schema": STRING}}},
            security=[{}, {"MetricsToken": []}],
        ),
        ("get", "/openapi.json"): _op(
            "OpenApiDocument",
            "This document.",
            _json(OBJECT),
            security=OPEN,
        ),
        **_later_routes(),
    }


def _later_routes() -> dict[tuple[str, str], dict[str, Any]]:
    """The chat-completions interface, signed links, the status page and files."""
    return {
        ("post", "/v1/chat/completions"): _op(
            "CreateChatCompletion",
            "Make a video through chat completions (a video model): a chat.completion, or "
            "with stream=true an SSE stream of chat.completion.chunk events.",
            {
                "description": "The completion, or its chunks",
                "content": {
                    "application/json": {"schema": ref("ChatCompletion")},
                    "text/event-stream": {"schema": STRING},
                },
            },
            body=_body("CreateChatCompletionBody"),
        ),
        ("get", "/links/{token}"): _op(
            "SignedLink",
            "A video or thumbnail through a signed, expiring link (no key).",
            {"description": "The file", "content": {"*/*": {"schema": BINARY}}},
            parameters=[_path("token", "The signed token from the link.")],
            security=OPEN,
        ),
        ("get", "/status"): _op("StatusPage", "The status page.", HTML, security=OPEN),
        ("get", "/status/{name}"): _op(
            "StatusAsset",
            "The status page's scripts and styles.",
            {"description": "The file", "content": {"*/*": {"schema": BINARY}}},
            parameters=[_path("name", "The file's name.")],
            security=OPEN,
        ),
        ("post", "/v1/files"): _op(
            "CreateFile",
            "Upload a file (an input image or source video for a video, by file_id).",
            _json(ref("FileResource")),
            body={
                "required": True,
                "content": {"multipart/form-data": {"schema": ref("CreateFileBody")}},
            },
        ),
        ("get", "/v1/files"): _op(
            "ListFiles",
            "The project's files.",
            _json(_list_of(ref("FileResource"), "Files")),
            parameters=[AFTER, LIMIT, ORDER, _query("purpose", STRING, "Only this purpose.")],
        ),
        ("get", "/v1/files/{file_id}"): _op(
            "RetrieveFile", "One file.", _json(ref("FileResource")), parameters=[FILE_ID]
        ),
        ("delete", "/v1/files/{file_id}"): _op(
            "DeleteFile", "Delete a file.", _json(OBJECT), parameters=[FILE_ID]
        ),
        ("get", "/v1/files/{file_id}/content"): _op(
            "RetrieveFileContent",
            "A file's bytes.",
            {"description": "The file", "content": {"*/*": {"schema": BINARY}}},
            parameters=[FILE_ID],
        ),
        ("post", "/v1/batches"): _op(
            "CreateBatch",
            "Queue a batch of /v1/videos requests from a file of JSON lines (purpose batch).",
            _json(OBJECT),
            body=_body("CreateBatchBody"),
        ),
        ("get", "/v1/batches"): _op(
            "ListBatches",
            "The project's batches, newest first.",
            _json(OBJECT),
            parameters=[AFTER, LIMIT],
        ),
        ("get", "/v1/batches/{batch_id}"): _op(
            "RetrieveBatch", "One batch.", _json(OBJECT), parameters=[BATCH_ID]
        ),
        ("post", "/v1/batches/{batch_id}/cancel"): _op(
            "CancelBatch",
            "Cancel a batch: queued lines are cancelled and refunded, running ones stop.",
            _json(OBJECT),
            parameters=[BATCH_ID],
        ),
        **_pause_routes(),
        ("get", "/status.json"): _op(
            "StatusJson",
            "The status page's data: the API, the queue and each engine now, 90 days of "
            "availability, and incidents.",
            _json(OBJECT),
            security=OPEN,
        ),
    }


def _pause_routes() -> dict[tuple[str, str], dict[str, Any]]:
    """Pause and resume: the operator's (admin key) and a project's own."""
    pause = _json(OBJECT, "The pause (scope, who, when, why, queued jobs held)")
    resumed = _json(OBJECT, "What was lifted (was_paused false when nothing was paused)")
    return {
        ("post", "/v1/organization/pause"): _op(
            "PauseProcessing",
            "Pause the deployment, a project or an engine: creates are still queued, nothing "
            "new starts, running jobs finish (admin key).",
            pause,
            body=_body("PauseBody"),
            security=ADMIN,
        ),
        ("post", "/v1/organization/resume"): _op(
            "ResumeProcessing",
            "Lift a pause; queued jobs start again in queue order (admin key).",
            resumed,
            body=_body("ResumeBody"),
            security=ADMIN,
        ),
        ("get", "/v1/organization/pauses"): _op(
            "ListPauses",
            "Everything paused now (admin key).",
            _json(_list_of(OBJECT, "Pauses", cursor=False)),
            security=ADMIN,
        ),
        ("post", "/v1/pause"): _op(
            "PauseOwnProject",
            "Pause the calling project's work: its creates are queued, none starts.",
            pause,
            body={**_body("PauseProjectBody"), "required": False},
        ),
        ("post", "/v1/resume"): _op(
            "ResumeOwnProject",
            "Resume the calling project's work, in queue order.",
            resumed,
            body={**_body("ResumeProjectBody"), "required": False},
        ),
    }
