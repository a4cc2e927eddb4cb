"""Every request body's fields, as the document shows them: one schema table per resource,
keyed by field name, and each body's field list taken from the very constant its validator
checks against.

``body_schema`` fails (``UndocumentedField``) when a validator accepts a field the table has
no schema for, so a field added to a validator cannot be left out of ``/openapi.json``; the
document lists no other fields, so it cannot show one the validator refuses.  Fields OpenAI
defines point at OpenAI's own component schemas; Reelway's carry ``x-reelway: true``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from reelway import (
    batches,
    catalog,
    characters,
    chat,
    files,
    jobs,
    pauses,
    storyboards,
    validation,
)
from reelway.webhooks import endpoints

Schema = dict[str, Any]
REELWAY = "x-reelway"


class UndocumentedField(LookupError):
    """A validator accepts a field that has no schema here: add one to the field's table."""


def ref(name: str) -> Schema:
    return {"$ref": f"#/components/schemas/{name}"}


def ours(schema: Schema, description: str) -> Schema:
    """A Reelway field's schema, marked as Reelway's."""
    return {**schema, "description": description, REELWAY: True}


BINARY: Schema = {"type": "string", "format": "binary"}
PROMPT: Schema = {"type": "string", "minLength": 1, "maxLength": catalog.MAX_PROMPT_CHARS}
WHOLE_SECONDS: Schema = {
    "anyOf": [
        {"type": "integer", "minimum": 1},
        {"type": "string", "pattern": "^[0-9]{1,4}$"},
    ]
}
CHARACTER_REFS = ours(
    {
        "type": "array",
        "items": {
            "type": "object",
            "properties": {"id": {"type": "string"}},
            "required": ["id"],
            "additionalProperties": False,
        },
    },
    'Characters (created with POST /v1/videos/characters) to cast, each as {"id": ...}.',
)
NOT_ON_EXTENSION: Schema = ours(
    {"not": {}},
    "Named so that it is refused with not_allowed_on_extension: an extension continues its "
    "source video as it is.",
)


@dataclass(frozen=True)
class Field:
    """One field's schema in a JSON body, and in a multipart form when it differs there."""

    json: Schema
    form: Schema | None = None

    def schema(self, multipart: bool) -> Schema:
        return self.form if multipart and self.form is not None else self.json


CAPTIONS = (
    "false: no storyboard captions, label or timecode on a local engine's video (default: "
    "the deployment's setting); hosted models never draw captions and ignore it."
)

VIDEO_FIELDS: dict[str, Field] = {
    "prompt": Field({**PROMPT, "description": "What the video shows."}),
    "model": Field(ref("VideoModel")),
    "seconds": Field(ref("VideoSeconds")),
    "size": Field(ref("VideoSize")),
    "input_reference": Field(ref("ImageRefParam-2"), {"oneOf": [BINARY, ref("ImageRefParam-2")]}),
    "video": Field(
        ref("VideoReferenceInputParam"), {"oneOf": [BINARY, ref("VideoReferenceInputParam")]}
    ),
    "seed": Field(
        ours(
            {"type": "integer", "minimum": 0, "maximum": validation.MAX_SEED},
            "Makes a local model's render repeatable.",
        )
    ),
    "service_tier": Field(
        ours(
            {"type": "string", "enum": list(validation.SERVICE_TIERS)},
            "relaxed: cheaper, started in the project's relaxed window.",
        )
    ),
    "characters": Field(CHARACTER_REFS),
    "negative_prompt": Field(
        ours(
            {"type": "string", "maxLength": catalog.MAX_PROMPT_CHARS},
            "What the video must not show (models with the negative_prompt capability).",
        )
    ),
    "loop": Field(
        ours(
            {"type": "boolean"},
            "Make the last frame flow into the first (models with the loop capability).",
        ),
        ours(
            {"type": "string", "enum": ["true", "false"]},
            "Make the last frame flow into the first (models with the loop capability).",
        ),
    ),
    "captions": Field(
        ours({"type": "boolean"}, CAPTIONS),
        ours({"type": "string", "enum": ["true", "false"]}, CAPTIONS),
    ),
    "drafts": Field(
        ours(
            {
                "anyOf": [
                    {"type": "integer", "minimum": 1, "maximum": 100},
                    {"type": "string", "pattern": "^[0-9]{1,3}$"},
                ]
            },
            "Preflight: price this many 480p drafts then one promote to size (draft_plan), "
            "against rendering every iteration at size.",
        )
    ),
}
"""Fields of the bodies that make or check one video (create, remix, edit, extend,
preflight, promote)."""

SHOT_FIELDS: dict[str, Field] = {
    "prompt": Field({**PROMPT, "description": "What the shot shows."}),
    "seconds": Field({**WHOLE_SECONDS, "description": "The shot's length."}),
    "model": Field(ref("VideoModel")),
    "input_reference": Field(ref("ImageRefParam-2"), {"oneOf": [BINARY, ref("ImageRefParam-2")]}),
    "characters": Field(CHARACTER_REFS),
    "transition": Field(
        {"type": "string", "enum": list(jobs.TRANSITIONS), "default": "cut"},
    ),
    "crossfade_seconds": Field(
        {
            "anyOf": [{"type": "number", "exclusiveMinimum": 0}, {"type": "string"}],
            "description": "A crossfade's length (the transition into this shot).",
        }
    ),
    "negative_prompt": VIDEO_FIELDS["negative_prompt"],
    "captions": VIDEO_FIELDS["captions"],
}

STORYBOARD_FIELDS: dict[str, Field] = {
    "model": Field(ref("VideoModel")),
    "size": Field(ref("VideoSize")),
    "seed": VIDEO_FIELDS["seed"],
    "characters": Field(CHARACTER_REFS),
    "soundtrack": Field(
        {"type": "string", "enum": list(jobs.SOUNDTRACKS), "default": "continuous"}
    ),
    "captions": VIDEO_FIELDS["captions"],
    "shots": Field({}),  # filled in by body_schema: an array of StoryboardShotParam
}

RETRY_FIELDS: dict[str, Field] = {
    "prompt": Field({**PROMPT, "description": "A new prompt for the shot (else its own)."}),
}

CHARACTER_FIELDS: dict[str, Field] = {
    "name": Field({"type": "string", "minLength": 1, "maxLength": characters.MAX_NAME_CHARS}),
    "video": Field(BINARY),
}

EVENT_TYPE: Schema = {"type": "string", "enum": list(endpoints.EVENT_TYPES)}
WEBHOOK_FIELDS: dict[str, Field] = {
    "name": Field({"type": "string", "minLength": 1}),
    "url": Field({"type": "string", "format": "uri"}),
    "event_types": Field({"type": "array", "items": EVENT_TYPE, "minItems": 1}),
    "enabled": Field({"type": "boolean", "description": "true re-enables a disabled endpoint."}),
    "keep_old_secret_active_for_24_hours": Field({"type": "boolean"}),
    "keep_old_secret_seconds": Field({"type": "number", "minimum": 0}),
    "event_type": Field(EVENT_TYPE),
}
WEBHOOK_CREATE = frozenset({"name", "url", "event_types"})
WEBHOOK_UPDATE = WEBHOOK_CREATE | {"enabled"}
WEBHOOK_ROTATE = frozenset({"keep_old_secret_active_for_24_hours", "keep_old_secret_seconds"})
WEBHOOK_TEST = frozenset({"event_type"})

NULLABLE_WHOLE: Schema = {"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}]}
PROJECT_FIELDS: dict[str, Field] = {
    "name": Field({"type": "string", "minLength": 1}),
    "tier": Field({"type": ["string", "null"]}),
    "plan": Field({"type": ["string", "null"]}),
    "budget_usd": Field({"anyOf": [{"type": "number", "minimum": 0}, {"type": "null"}]}),
    "relaxed": Field({"type": ["boolean", "null"]}),
    "watermark": Field({"type": ["boolean", "null"]}),
    "disabled": Field({"type": ["boolean", "null"]}),
    "requests_per_minute": Field(NULLABLE_WHOLE),
    "requests_per_day": Field(NULLABLE_WHOLE),
    "pause_at_budget_percent": Field(
        {"anyOf": [{"type": "integer", "minimum": 1, "maximum": 100}, {"type": "null"}]}
    ),
}
PROJECT_SETTINGS = frozenset(PROJECT_FIELDS) - {"name"}
"""What ``AccountService.check_settings`` takes (the acceptance test sends each one)."""
PROJECT_CREATE = PROJECT_SETTINGS | {"name"}
KEY_CREATE = frozenset({"name"})

PAUSE_TABLE: dict[str, Field] = {
    "scope": Field({"type": "string", "enum": ["deployment", "project", "engine"]}),
    "project": Field({"type": "string"}),
    "engine": Field({"type": "string"}),
    "reason": Field({"type": ["string", "null"], "maxLength": pauses.REASON_CHARS}),
    "on_queued": Field({"type": "string", "enum": list(pauses.ON_QUEUED)}),
}

CONTENT_PART: Schema = {
    "type": "object",
    "properties": {
        "type": {"type": "string", "enum": ["text", "image_url"]},
        "text": {"type": "string"},
        "image_url": {"type": "object", "properties": {"url": {"type": "string"}}},
    },
    "required": ["type"],
}
MESSAGE: Schema = {
    "type": "object",
    "properties": {
        "role": {"type": "string", "enum": ["system", "developer", "user", "assistant"]},
        "content": {"anyOf": [{"type": "string"}, {"type": "array", "items": CONTENT_PART}]},
    },
    "required": ["role", "content"],
}
CHAT_FIELDS: dict[str, Field] = {
    **{name: VIDEO_FIELDS[name] for name in VIDEO_FIELDS if name != "prompt"},
    "model": Field({"type": "string", "description": "A video model (GET /v1/models)."}),
    "messages": Field(
        {
            "type": "array",
            "items": MESSAGE,
            "minItems": 1,
            "description": "The last message is the user's: its text is the prompt, an "
            "image_url part the input reference.",
        }
    ),
    "stream": Field({"type": "boolean"}),
    "stream_options": Field(
        {
            "type": "object",
            "properties": {
                "include_usage": {"type": "boolean"},
                "include_obfuscation": {"type": "boolean"},
            },
            "additionalProperties": False,
        }
    ),
    "n": Field({"type": "integer", "enum": [1]}),
    "user": Field({"type": "string"}),
    "metadata": Field({"type": "object", "additionalProperties": {"type": "string"}}),
    "store": Field({"type": "boolean"}),
    "safety_identifier": Field({"type": "string"}),
}
"""The chat fields, and the create fields a chat body may carry beside them."""

BATCH_FIELDS: dict[str, Field] = {
    "input_file_id": Field({"type": "string"}),
    "endpoint": Field({"type": "string", "enum": [batches.ENDPOINT]}),
    "completion_window": Field({"type": "string", "enum": [batches.COMPLETION_WINDOW]}),
    "metadata": Field({"type": "object", "additionalProperties": {"type": "string"}}),
    "output_expires_after": Field(
        {
            "type": "object",
            "properties": {
                "anchor": {"type": "string", "enum": ["created_at"]},
                "seconds": {"type": "integer", "minimum": 1},
            },
        }
    ),
}
"""A batch of ``/v1/videos`` requests (``POST /v1/batches``)."""

FILE_FIELDS: dict[str, Field] = {
    "file": Field(BINARY),
    "purpose": Field({"type": "string", "enum": list(files.PURPOSES)}),
    "expires_after": Field(
        {
            "type": "object",
            "properties": {
                "anchor": {"type": "string", "enum": ["created_at"]},
                "seconds": {"type": "integer", "minimum": 1},
            },
            "required": ["anchor", "seconds"],
            "additionalProperties": False,
        }
    ),
}


@dataclass(frozen=True)
class Body:
    """One request body: the validator's own field set and the table its schemas come from."""

    component: str
    accepted: Iterable[str]
    table: Mapping[str, Field]
    required: tuple[str, ...] = ()
    multipart: bool = False
    title: str | None = None


def body_schema(body: Body, official: Mapping[str, Schema]) -> Schema:
    """The body's JSON schema: OpenAI's title and description where OpenAI defines the body,
    one property per accepted field (``UndocumentedField`` when the table lacks one), and no
    others."""
    missing = sorted(name for name in body.accepted if name not in body.table)
    if missing:
        raise UndocumentedField(
            f"{body.component} accepts {', '.join(missing)}, which has no schema in "
            "reelway.api.openapi.fields; add it to the field table."
        )
    properties = {name: body.table[name].schema(body.multipart) for name in sorted(body.accepted)}
    if "shots" in properties:
        properties["shots"] = {
            "type": "array",
            "items": ref("StoryboardShotParam"),
            "minItems": storyboards.MIN_SHOTS,
            "maxItems": storyboards.MAX_SHOTS,
        }
    schema: Schema = {"type": "object", "properties": properties}
    base = official.get(body.component)
    if base is not None:
        for key in ("title", "description"):
            if key in base:
                schema[key] = base[key]
    else:
        schema[REELWAY] = True
        if body.title:
            schema["title"] = body.title
    if body.required:
        schema["required"] = list(body.required)
    schema["additionalProperties"] = False
    return schema


def bodies() -> list[Body]:
    """Every body the server validates, by component name."""
    video = VIDEO_FIELDS
    extend = validation.EXTEND_FIELDS
    out: list[Body] = []
    for multipart, suffix in ((False, "JsonBody"), (True, "MultipartBody")):
        out += [
            Body("CreateVideo" + suffix, validation.CREATE_FIELDS, video, ("prompt",), multipart),
            Body(
                "CreateVideoEdit" + suffix,
                validation.EDIT_FIELDS,
                video,
                ("video", "prompt"),
                multipart,
            ),
            Body(
                "CreateVideoExtend" + suffix,
                extend,
                _extension_table(),
                ("video", "prompt", "seconds"),
                multipart,
            ),
        ]
    shots = Body("StoryboardShotParam", storyboards.SHOT_FIELDS, SHOT_FIELDS, ("prompt",))
    return [
        *out,
        Body("CreateVideoRemixBody", validation.REMIX_FIELDS, video, ("prompt",)),
        Body(
            "PromoteVideoBody",
            validation.PROMOTE_FIELDS,
            video,
            ("size",),
            title="Promote a draft to a final size",
        ),
        Body(
            "PreflightVideoBody",
            validation.PREFLIGHT_FIELDS,
            video,
            ("prompt",),
            title="Preflight a video",
        ),
        Body(
            "CreateVideoStoryboardBody",
            storyboards.STORYBOARD_FIELDS,
            STORYBOARD_FIELDS,
            ("shots",),
            title="Create a storyboard",
        ),
        shots,
        Body(
            "RetryStoryboardShotBody",
            storyboards.RETRY_FIELDS,
            RETRY_FIELDS,
            title="Retry a storyboard shot",
        ),
        Body(
            "CreateVideoCharacterBody",
            characters.CREATE_FIELDS,
            CHARACTER_FIELDS,
            ("video", "name"),
            True,
        ),
        Body(
            "CreateWebhookEndpointBody",
            WEBHOOK_CREATE,
            WEBHOOK_FIELDS,
            ("name", "url", "event_types"),
        ),
        Body("UpdateWebhookEndpointBody", WEBHOOK_UPDATE, WEBHOOK_FIELDS),
        Body("RotateWebhookSecretBody", WEBHOOK_ROTATE, WEBHOOK_FIELDS),
        Body("TestWebhookEndpointBody", WEBHOOK_TEST, WEBHOOK_FIELDS, ("event_type",)),
        Body("CreateProjectBody", PROJECT_CREATE, PROJECT_FIELDS, ("name",)),
        Body("UpdateProjectBody", PROJECT_SETTINGS, PROJECT_FIELDS),
        Body("CreateProjectApiKeyBody", KEY_CREATE, {"name": Field({"type": "string"})}),
        Body("PauseBody", pauses.PAUSE_FIELDS, PAUSE_TABLE, title="Pause processing"),
        Body("ResumeBody", pauses.RESUME_FIELDS, PAUSE_TABLE, title="Resume processing"),
        Body("PauseProjectBody", pauses.OWN_PAUSE_FIELDS, PAUSE_TABLE, title="Pause own work"),
        Body("ResumeProjectBody", pauses.OWN_RESUME_FIELDS, PAUSE_TABLE, title="Resume own work"),
        Body(
            "CreateChatCompletionBody",
            chat.CHAT_FIELDS | chat.CREATE_EXTRAS,
            CHAT_FIELDS,
            ("model", "messages"),
            title="Create a chat completion (a video model)",
        ),
        Body(
            "CreateBatchBody",
            batches.CREATE_FIELDS,
            BATCH_FIELDS,
            ("input_file_id", "endpoint", "completion_window"),
            title="Create a batch of videos",
        ),
        Body(
            "CreateFileBody",
            files.CREATE_FIELDS,
            FILE_FIELDS,
            ("file", "purpose"),
            True,
            title="Upload a file",
        ),
    ]


def _extension_table() -> dict[str, Field]:
    """An extension names characters and input_reference only to refuse them by name."""
    table = dict(VIDEO_FIELDS)
    for name in validation.NOT_ON_EXTENSION:
        table[name] = Field(NOT_ON_EXTENSION)
    return table
