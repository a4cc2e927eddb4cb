"""What the operator can do about each error code, for ``reelway doctor``.

Two tables, because two codes mean different things as a refused request and as a failed
video (``sentinel_block``: this server's moderation refused the request, or the provider's
refused the job; ``moderation_unavailable``: a 503 before anything was queued, or output
moderation that could not check a finished video).  ``tests/unit/test_doctor_remedies.py``
checks that every code in ``reelway.errors`` has its entry.
"""

from __future__ import annotations

from reelway import error_codes, errors

FAILURES: dict[str, str] = {
    "generation_failed": "Read the message; if it repeats, run the same request with "
    "'reelway generate' and look at the worker's log for this video id.",
    "cancelled": "Nothing to fix: the owner deleted the video (or the provider cancelled it) "
    "before it finished; nothing was charged.",
    "deadline_exceeded": "The job took longer than REELWAY_JOB_DEADLINE_SECONDS. Check that "
    "workers are running and not starved (the queue's length, engines' max_concurrency), "
    "or raise the deadline for slow engines.",
    "worker_lost": "The workers rendering it died REELWAY_MAX_ATTEMPTS times (killed for "
    "memory, crashed, restarted). Read the worker logs around the attempts' times; check the "
    "machine's memory and the render processes' exit codes.",
    "engine_runtime_error": "The engine failed while rendering: the worker's log for this "
    "video id has the traceback. Report it if it repeats; the user can simply retry.",
    "engine_out_of_memory": "A local model ran out of GPU (or CPU) memory at the size and "
    "frame count the message names. The user can ask for a smaller size or fewer seconds; "
    'the operator can set offload = "model" or vae_tiling = true on the engine, use a '
    "smaller model, or a device with more memory ('reelway models check' shows the memory "
    "one generation takes).",
    "storyboard_shot_failed": "One shot failed (the message names it and its own code). "
    "'reelway doctor' on the shot's video id (GET /v1/videos/{id}/shots lists them) tells "
    "why; retry that shot with POST /v1/videos/{id}/shots/{n}/retry.",
    "batch_expired": "The batch's window ended before this line's video finished; its "
    "queued video was cancelled and its hold refunded. Send the line again in a new batch, "
    "or add workers (REELWAY_BATCH_WINDOW_SECONDS sets the window).",
    "batch_cancelled": "The batch was cancelled before this line's video finished; nothing "
    "is charged for it.",
    "render_process_died": "The process rendering on a local engine died (a crash in the "
    "model's libraries, or the kernel's OOM killer: see the system log) on every attempt. "
    "Check the worker's log and the machine's memory; the user can retry.",
    "assets_missing": "An input (the reference image, or a remix's source) is no longer in "
    "storage: check the storage's retention and that every process uses the same "
    "REELWAY_STORAGE_URL. The user must create the video again.",
    "no_engine_available": "Every engine on the model's route was skipped (circuit breaker "
    "open, provider back-off) or had failed. Run 'reelway doctor' without an id for each "
    "engine's state, and check the route in the config file.",
    "moderation_blocked": "A safety system refused the generated video. Nothing to fix on the "
    "server; the user should change the prompt. Charged unless "
    "REELWAY_CHARGE_MODERATION_BLOCKED=false.",
    "sentinel_block": "The provider's safety system refused the prompt or the input image "
    "before generating. The user should rephrase the prompt or use another image.",
    "moderation_unavailable": "Output moderation could not check the finished video: the "
    "hosted moderation service (REELWAY_MODERATION_URL) did not answer. Check that it is up "
    "and that REELWAY_MODERATION_API_KEY is valid; the user can retry (nothing was charged).",
    "upstream_error": "The provider failed in a way no specific code covers: read the "
    "provider's message and request id below and quote them to the provider.",
    "upstream_unavailable": "The provider was down or shedding load (5xx, dropped "
    "connections) on every engine tried. Check the provider's status page; add another "
    "engine to the model's route so jobs fail over.",
    "upstream_timeout": "The provider did not answer in time, or the job never finished "
    "there. Raise the engine's timeout in the config file if the provider is just slow, or "
    "add another engine to the route.",
    "upstream_rate_limited": "The provider's account rate limit was reached. Set "
    "requests_per_minute (or max_concurrency) on the engine in the config file so Reelway "
    "stays under it, or ask the provider for a higher limit.",
    "upstream_capacity": "The provider had no capacity for the job. Retry later, or add "
    "another engine to the route.",
    "upstream_generation_failed": "The provider accepted the job and failed while making "
    "it. The user can retry; if it repeats for one prompt, quote the provider's request id "
    "to the provider.",
    "upstream_protocol_error": "The provider answered something the engine does not "
    "understand: its API may have changed. Check the engine's base_url and model, and "
    "report it with the provider's message below.",
    "upstream_result_expired": "The provider's result URL expired before the file was "
    "copied: check that workers reach the provider's file host, and that no long pause (a "
    "stopped worker) sat between the provider finishing and the download.",
    "engine_cannot_serve": "No engine on the route can make this size, length or input. "
    "Add an engine that can to the model's route, or correct the model's catalogue entry.",
    "upstream_auth_failed": "Check the engine's api_key in the config file (and the "
    "environment variable it names), and the provider account: its balance, and whether the "
    "key may use this model.",
    "upstream_invalid_request": "The provider rejected the request itself. Read the "
    "provider's message: usually a size, length or prompt the provider does not accept; "
    "correct the catalogue if the model advertises what the provider refuses.",
}
"""Failure codes a video can end with (``errors.JobFailure``), for the operator."""

REQUESTS: dict[str, str] = {
    "invalid_request": "Read the message: the request is malformed.",
    "invalid_value": "A parameter has a value the server does not allow; the message lists "
    "the allowed ones. GET /v1/models shows each model's sizes and seconds.",
    "missing_required_parameter": "The client left out a required parameter (param says which).",
    "unknown_parameter": "The client sent a parameter this endpoint does not take (often a "
    "typo); the message lists the accepted ones.",
    "unsupported_parameter": "The client used something this server does not support yet; "
    "the message names the alternative.",
    "capability_not_supported": "The model does not take that parameter (a loop, a negative "
    "prompt, or one longer than it takes); the message gives the model's limits. Leave it "
    "out, or pick a model that has it (GET /v1/models shows capabilities and limits).",
    "duplicate_parameter": "A form field was sent twice; the client should send it once.",
    "duplicate_header": "The request carried a header twice (two Authorization headers, say); "
    "send it once.",
    "too_many_fields": "The body has more fields or values than Reelway reads; send fewer, or "
    "put long lists in a file.",
    "field_name_too_long": "A form field name is longer than any real parameter: the client "
    "built the form wrongly.",
    "nesting_too_deep": "A value is nested deeper than any parameter needs: flatten it.",
    "invalid_json": "The body is not valid JSON (the message gives line and column).",
    "invalid_multipart": "The multipart body is broken: the client should let its HTTP "
    "library build the form.",
    "invalid_image": "input_reference is not a valid PNG, JPEG or WebP.",
    "image_size_mismatch": "The reference image's dimensions differ from size: resize the "
    "image or change size.",
    "image_too_large": "The image is over REELWAY_MAX_IMAGE_BYTES or has too many pixels.",
    "sentinel_block": "This server's moderation refused the prompt or image (the message "
    "says why). Rephrase; operators can tune REELWAY_MODERATION_* and the prompt rules.",
    "image_fetch_failed": "input_reference.image_url could not be fetched: check it is "
    "public and answers 200 with an image (private addresses need "
    "REELWAY_FETCH_ALLOW_PRIVATE_NETWORKS=true).",
    "webhook_url_not_allowed": "The webhook URL is not public http(s); use a public URL, or "
    "set REELWAY_WEBHOOK_ALLOW_PRIVATE_NETWORKS=true for private receivers.",
    "video_still_rendering": "A chat completion waited REELWAY_CHAT_WAIT_SECONDS and the video "
    "was still rendering; the error's video_id is the video: poll GET /v1/videos/{id}, or "
    "stream the chat (stream=true) to get progress instead of waiting.",
    "link_invalid": "A signed video link was altered, cut short or signed with another secret "
    "(REELWAY_LINK_SECRET changed): ask for a new link with a new chat completion, or download "
    "with an API key from /v1/videos/{id}/content.",
    "link_expired": "The signed video link is older than REELWAY_LINK_SECONDS: download with an "
    "API key from /v1/videos/{id}/content, or raise REELWAY_LINK_SECONDS for longer links.",
    "video_not_ready": "The client asked for content or a remix before the video completed: "
    "poll until status is completed.",
    "video_failed": "The video failed, so it has no content: run 'reelway doctor VIDEO_ID' on it.",
    "nothing_to_promote": "A promote asked for the draft's own size or a smaller one: ask for a "
    "larger size of the model (GET /v1/models/MODEL lists them).",
    "not_promotable": "A promote named a video no create made (remix, edit, extension, "
    "storyboard or shot), or another aspect ratio than the draft's: promote a video made by "
    "POST /v1/videos, to a size of its aspect ratio.",
    "invalid_video": "The uploaded video is not an MP4 that decodes: send an H.264 MP4 file.",
    "video_size_not_allowed": "The uploaded video's size is not one the model makes: resize "
    "it to a size GET /v1/models/MODEL lists, or pick another model.",
    "too_many_extensions": "The source already ends a chain of six extensions: edit it, or "
    "start a new video.",
    "video_too_long": "The result would be over 120 s (or the upload is longer than the model "
    "allows): ask for fewer seconds, or send a shorter clip.",
    "not_allowed_on_extension": "An extension takes no characters or input_reference: leave "
    "them out (a create takes them).",
    "character_clip_duration": "A character's clip must be 2 to 4 s long: trim it.",
    "too_many_characters": "A video uses at most two characters: drop one.",
    "character_not_in_prompt": "The prompt must contain each character's name exactly as it "
    "was created (case included): write it into the prompt.",
    "character_not_found": "No such character in the key's project (or it was deleted): "
    "check the id, and that the client uses a key of the project that made it.",
    "unsupported_file_purpose": "Upload files with purpose batch, vision or user_data.",
    "invalid_file": "A batch file is UTF-8 JSON lines (fix the line the message names); a "
    "vision or user_data file is a PNG, JPEG, WebP or MP4.",
    "file_too_large": "The file is over REELWAY_MAX_FILE_BYTES: send a smaller one (split a "
    "batch), or ask the operator to raise the limit.",
    "batch_not_found": "No such batch in the key's project: check the id and the key "
    "(GET /v1/batches lists them).",
    "batch_not_cancellable": "The batch has ended already; nothing to cancel.",
    "unsupported_batch_endpoint": 'Batches here run /v1/videos only: send endpoint="/v1/videos".',
    "unsupported_completion_window": 'Send completion_window="24h", the only window.',
    "invalid_batch_line": "A line of the batch file is not {custom_id, method, url, body}: "
    "fix it and send it in a new batch (the other lines ran).",
    "unsupported_batch_url": "A batch line must be POST /v1/videos.",
    "duplicate_custom_id": "Two lines of the batch share a custom_id; the later one was "
    "refused. Give each line its own.",
    "file_not_found": "No such file in the key's project (deleted, expired, or another "
    "project's): upload it again with POST /v1/files, or list them with GET /v1/files.",
    "project_exists": "A project with this name exists: choose another name, or change its "
    "settings with 'reelway projects update NAME' (or POST /v1/organization/projects/NAME).",
    "not_a_storyboard": "The id is a video but not a storyboard: use the storyboard's id "
    "(a shot's video_id is a video of its own).",
    "shot_not_retryable": "Only a failed or cancelled shot of a failed storyboard can be "
    "retried: wait until the storyboard has failed (GET /v1/videos/{id}/shots shows each shot).",
    "unsupported_content_type": "Send application/json or multipart/form-data.",
    "request_too_large": "The body is over REELWAY_MAX_REQUEST_BYTES: send less, or raise "
    "the limit.",
    "range_not_satisfiable": "The Range header asks for bytes past the end of the file.",
    "missing_api_key": "The client sent no 'Authorization: Bearer KEY' header: set "
    "OPENAI_API_KEY (or api_key=) in the client.",
    "invalid_api_key": "The key is unknown to this server (a typo, another deployment's key, "
    "or an OpenAI key): 'reelway keys list' shows the keys; create one with "
    "'reelway keys create --project NAME'.",
    "api_key_revoked": "The key was revoked: give the client a new one with "
    "'reelway keys create --project NAME'.",
    "video_not_found": "No such video in the key's project: check the id, and that the "
    "client uses a key of the project that made it.",
    "model_not_found": "The model is not served here: see GET /v1/models.",
    "project_not_found": "The admin request names a project that does not exist: "
    "'reelway projects list'.",
    "api_key_not_found": "The admin request names a key that is not in the project.",
    "unknown_url": "No endpoint at this path: check the client's base_url ends in /v1.",
    "webhook_endpoint_not_found": "No such webhook endpoint in the key's project.",
    "content_gone": "The video's files are no longer stored: generate it again.",
    "video_expired": "The files were deleted at expires_at (REELWAY_RETENTION_SECONDS): "
    "download sooner, or raise the retention.",
    "idempotency_key_reused": "The client reused an Idempotency-Key for a different "
    "request: use a new key per request.",
    "queue_full": "The project has REELWAY_PROJECT_QUEUE_LIMIT videos waiting: the client "
    "should retry later (SDKs do); add workers if the queue stays full.",
    "rate_limit_exceeded": "Too many generation requests: wait for retry-after.",
    "rate_limit_requests_per_minute": "The project used its tier's requests this minute: "
    "slow the client down, or move the project to a higher tier "
    "('reelway projects update NAME --tier …').",
    "rate_limit_requests_per_day": "The project used its tier's requests for this UTC day: "
    "wait for the next day, or move it to a higher tier.",
    "insufficient_quota": "The project cannot pay for the video: see 'reelway usage'.",
    "insufficient_credits": "The plan's credits for this period are spent (counting videos "
    "in progress): a shorter video, relaxed mode, another plan, or wait for the renewal.",
    "budget_exceeded": "The video would take the project over its budget: raise the budget "
    "('reelway projects update NAME --budget-usd …') or wait for the next period.",
    "permission_denied": "The key may not do this.",
    "admin_key_required": "Admin endpoints need REELWAY_ADMIN_KEY as the bearer key.",
    "project_disabled": "The project was disabled: 'reelway projects update NAME "
    "--enabled' lets it in again.",
    "pause_forbidden": "A project key pauses and resumes only its own work, and not a pause "
    "the operator made: the operator uses 'reelway pause' / 'reelway resume' or the admin key.",
    "relaxed_mode_not_allowed": "The project's plan has no relaxed mode: leave service_tier "
    "out, or give the project a plan that has it.",
    "method_not_allowed": "The URL exists but not with this HTTP method.",
    "not_implemented": "This part of the API is not implemented by this version.",
    "server_busy": "The whole queue holds REELWAY_QUEUE_LIMIT videos: add workers (or "
    "check that they run: 'curl /ready'), or raise the limit.",
    "moderation_unavailable": "The hosted moderation service did not answer: check "
    "REELWAY_MODERATION_URL is up and its key valid.",
    "database_unavailable": "The database could not be reached: check it is up and "
    "reachable from the API processes (curl /ready).",
    "storage_unavailable": "File storage could not be reached: check the directory or "
    "bucket (REELWAY_STORAGE_URL) and its credentials (curl /ready).",
    "internal_error": "A bug in Reelway: the server log has the traceback on the line with "
    "this request id; report it.",
}
"""Codes of refused requests (every other ``errors`` class), for the operator."""


def for_failure(code: str | None) -> str:
    return FAILURES.get(code or "", "Read the message; the worker's log has more.")


def for_request(code: str | None, status: int) -> str:
    if code in REQUESTS:
        return REQUESTS[code]
    if status >= 500:
        return "A server error: the server log has the details on the line with this request id."
    return "Read the message; the client's request was refused."


def failure_codes() -> set[str]:
    """Every code a video can end with."""
    return {c.code for c in error_codes.all_error_classes() if issubclass(c, errors.JobFailure)}


def request_codes() -> set[str]:
    """Every code a request can be refused with."""
    return {c.code for c in error_codes.all_error_classes() if not issubclass(c, errors.JobFailure)}
