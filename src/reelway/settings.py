"""One typed settings object, read once at the edge (CLI) and passed down.

Every field can be set by an environment variable ``REELWAY_<FIELD>`` (upper case); the CLI's
flags override the environment.  Nothing else in Reelway reads ``os.environ``.
"""

from __future__ import annotations

import dataclasses
import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_type_hints

ENV_PREFIX = "REELWAY_"


@dataclass(frozen=True)
class Settings:
    """Reelway's configuration; defaults run everything on one machine with SQLite."""

    data_dir: Path = Path(".reelway")
    """Where the embedded database, files and temporary renders live."""
    database_url: str = ""
    """SQLAlchemy URL; empty means SQLite in ``data_dir/reelway.db``."""
    sqlite_synchronous: str = "normal"
    """``normal`` survives a crash of Reelway; ``full`` also a power cut, at a cost per write."""
    storage_url: str = ""
    """Where video files are kept: a directory, or ``s3://bucket/prefix``; empty means
    ``data_dir/files``."""
    s3_endpoint_url: str = ""
    """An S3-compatible endpoint (MinIO, R2, moto…); empty means AWS."""
    s3_region: str = "us-east-1"
    s3_access_key_id: str = ""
    s3_secret_access_key: str = ""
    storage_redirect: bool = False
    """Answer content downloads with a redirect to a presigned URL instead of streaming."""
    presign_seconds: int = 3600
    link_seconds: int = 24 * 3600
    """How long a chat completion's keyless video link (``/links/...``) works."""
    link_secret: str = ""
    """The HMAC secret that signs video links; empty: one random secret, made on first use
    and kept in the storage, so every API process and machine agrees."""
    chat_wait_seconds: float = 540.0
    """How long a non-streaming chat completion waits for its video (below the SDKs' 600 s
    read timeout, so they never time out and retry into a second video)."""
    retention_seconds: float = 7 * 24 * 3600
    """How long a finished video's files are kept (``expires_at``); 0 keeps them forever."""
    queue_limit: int = 10_000
    """Queued jobs the whole deployment accepts before answering 503 ``server_busy``."""
    project_queue_limit: int = 500
    """Queued jobs one project may have before its creates answer 429 ``queue_full``."""
    idempotency_hours: float = 24.0
    catalog: Path | None = None
    """A model catalogue TOML file replacing the built-in one."""
    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    """In-process render workers started by ``reelway serve`` (0: API only)."""
    lease_seconds: float = 30.0
    """How long a claimed job stays with its worker without a heartbeat."""
    heartbeat_seconds: float = 2.0
    claim_poll_seconds: float = 0.5
    """How often an idle worker looks for work that another process queued."""
    reap_interval_seconds: float = 5.0
    storyboard_poll_seconds: float = 1.0
    """How often a storyboard's coordinator looks at its shots (progress, releases, the end)."""
    max_attempts: int = 3
    """Claims of one job before a job whose workers keep dying is failed."""
    job_deadline_seconds: float = 3600.0
    poll_after_ms: int = 1000
    """Sent as ``openai-poll-after-ms`` while a video is not finished."""
    shutdown_grace_seconds: float = 10.0
    remote_poll_seconds: float = 2.0
    """How often a worker asks a remote engine how a job is going."""
    route_passes: int = 2
    """Times a job walks its model's route when every engine fails with something a later
    try may fix (outages, capacity, upstream rate limits)."""
    route_retry_seconds: float = 30.0
    """Pause before the next walk over the route (times the walks done so far)."""
    config: Path | None = None
    """The engines-and-routes TOML file (``--config``)."""
    max_request_bytes: int = 48 * 1024 * 1024
    max_image_bytes: int = 20 * 1024 * 1024
    max_file_bytes: int = 512 * 1024 * 1024
    """The largest upload to ``/v1/files`` (its own body limit, above ``max_request_bytes``)."""
    file_expiry_seconds: int = 30 * 24 * 3600
    """How long an uploaded file is kept; a create's ``expires_after`` may only shorten it."""
    batch_window_seconds: int = 24 * 3600
    """How long a batch's ``completion_window: "24h"`` lasts here; lines not finished by then
    end as ``batch_expired``.  An operator's and a test's knob (the API only accepts "24h")."""
    batch_poll_seconds: float = 1.0
    """How often a batch's coordinator looks at its lines (and at new batches)."""
    image_fetch_timeout_seconds: float = 10.0
    fetch_allow_private_networks: bool = False
    """Allow ``input_reference.image_url`` to point at loopback or private addresses."""
    webhook_allow_private_networks: bool = False
    """Allow webhook endpoints on loopback, private or link-local addresses."""
    webhook_timeout_seconds: float = 10.0
    """How long a receiver has to answer one delivery attempt."""
    webhook_retry_schedule: str = "5,300,1800,7200,18000,36000,50400,72000,86400"
    """Seconds to wait before each retry of a failed delivery (about three days in all)."""
    webhook_disable_after_seconds: float = 3 * 24 * 3600.0
    """An endpoint failing every attempt for this long is disabled."""
    webhook_concurrency: int = 8
    """Deliveries one process sends at once."""
    webhook_poll_seconds: float = 1.0
    """How often an idle process looks for due deliveries."""
    auth_cache_seconds: float = 5.0
    """How long a verified API key is trusted before it is checked again."""
    log_level: str = "info"
    log_format: str = "text"
    """``text`` (one readable line per record) or ``json`` (one JSON object per line)."""
    request_log_days: float = 7.0
    """How long refused API requests are kept for ``reelway doctor REQUEST_ID``."""
    ready_worker_seconds: float = 0.0
    """``/ready`` wants a worker seen this recently; 0: three reap intervals."""
    ready_require_workers: bool = True
    """Whether ``/ready`` fails when no worker was seen (false for API-only pools)."""
    status_page: bool = True
    """Serve the public, keyless status page (``/status``, ``/status.json``); false: 404."""
    status_page_engines: str = ""
    """The engines the status page shows, by configured name (comma-separated); empty: every
    engine the catalogue routes to."""
    status_page_days_cache_seconds: float = 60.0
    """How long the status page reuses its per-day availability (a scan of 90 days of videos);
    the state now is re-read every 5 s."""
    admin_key: str = ""
    """The key for the admin API (projects, keys, usage of every project); empty: no admin
    API over HTTP (the CLI still works on the database)."""
    metrics_token: str = ""
    """When set, ``GET /metrics`` asks for ``Authorization: Bearer <token>``; empty: open."""
    plans: Path | None = None
    """A tiers-and-plans TOML file replacing the built-in one."""
    redis_url: str = ""
    """Count request limits in Redis instead of the database (``redis://host:6379/0``)."""
    charge_moderation_blocked: bool = True
    """Charge a video refused by output moderation (it was generated); ``sentinel_block``
    refusals before generation are never charged."""
    relaxed_window: str = "22:00-06:00"
    """When relaxed-mode jobs may start, in ``relaxed_timezone``."""
    relaxed_timezone: str = "America/Los_Angeles"
    moderation_detail: str = "category"
    """What a moderation refusal tells the user: ``full`` (category and the matched words),
    ``category``, or ``generic`` (neither; the operator's log still has both)."""
    moderation_prompt_rules: bool = True
    """Refuse prompts that match the prompt rules (real people, characters, brands, violence,
    adult content)."""
    moderation_rules: Path | None = None
    """A prompt-rules TOML file replacing the built-in ``moderation_rules.toml``."""
    moderation_faces: bool = True
    """Refuse input images that show a human face (OpenCV's face detector)."""
    moderation_url: str = ""
    """Base URL of an OpenAI-compatible moderation API (``…/v1``); empty: no hosted backend."""
    moderation_api_key: str = ""
    moderation_model: str = "omni-moderation-latest"
    moderation_stages: str = "prompt,input_image,output"
    """Which stages the hosted backend checks (comma-separated)."""
    moderation_timeout_seconds: float = 10.0
    moderation_output_frames: int = 4
    """Frames sampled from each finished video for output moderation (when a backend checks
    the output stage)."""
    moderation_backends: str = ""
    """Third-party backends, ``module:factory`` comma-separated; ``factory(settings)`` returns
    an object with ``name`` and ``check_text`` and/or ``check_image``."""
    c2pa_cert: Path | None = None
    """PEM chain (signing certificate first) for C2PA manifests; empty: a development CA is
    generated in ``data_dir/c2pa`` on first start."""
    c2pa_key: Path | None = None
    """The PKCS#8 PEM private key of ``c2pa_cert``."""
    watermark: bool = False
    """Put a visible watermark on every video, unless a project or plan says otherwise."""
    watermark_text: str = "AI-generated"
    watermark_position: str = "bottom-right"
    engine_options: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Per-engine constructor options, e.g. ``{"animatic": {"fps": 24}}`` (JSON in the env)."""

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'reelway.db').resolve()}"

    @property
    def resolved_storage_url(self) -> str:
        return self.storage_url or str(self.data_dir / "files")

    @property
    def tmp_dir(self) -> Path:
        return self.data_dir / "tmp"

    def replace(self, **changes: Any) -> Settings:
        return dataclasses.replace(self, **{k: v for k, v in changes.items() if v is not None})


def from_env(environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
    """Settings from ``REELWAY_*`` variables, then explicit overrides (CLI flags)."""
    environ = os.environ if environ is None else environ
    hints = get_type_hints(Settings)
    values: dict[str, Any] = {}
    for f in dataclasses.fields(Settings):
        raw = environ.get(ENV_PREFIX + f.name.upper())
        if raw is None or raw == "":
            continue
        if f.name == "engine_options":
            values[f.name] = _engine_options(raw)
        else:
            values[f.name] = _coerce(f.name, hints[f.name], raw)
    values.update({k: v for k, v in overrides.items() if v is not None})
    settings = Settings(**values)
    _check(settings)
    return settings


def _coerce(name: str, hint: Any, raw: str) -> Any:
    text = str(hint)
    try:
        if "bool" in text:
            lowered = raw.strip().lower()
            if lowered in {"1", "true", "yes", "on"}:
                return True
            if lowered in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if "Path" in text:
            return Path(raw)
        if "float" in text:
            return float(raw)
        if "int" in text:
            return int(raw)
    except ValueError:
        raise ValueError(f"{ENV_PREFIX}{name.upper()}={raw!r} is not a valid {text}") from None
    return raw


def _engine_options(raw: str) -> dict[str, dict[str, Any]]:
    """``{"animatic": {"fps": 30}}``: a JSON object of per-engine option objects."""
    try:
        parsed = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"{ENV_PREFIX}ENGINE_OPTIONS is not valid JSON: {exc}") from None
    if not isinstance(parsed, dict) or not all(isinstance(v, dict) for v in parsed.values()):
        raise ValueError(
            f"{ENV_PREFIX}ENGINE_OPTIONS must be a JSON object of objects, "
            'e.g. {"animatic": {"fps": 30}}'
        )
    return parsed


def _check(settings: Settings) -> None:
    problems = []
    if settings.workers < 0:
        problems.append("workers must be >= 0")
    if settings.lease_seconds <= settings.heartbeat_seconds:
        problems.append("lease_seconds must be greater than heartbeat_seconds")
    if settings.route_passes < 1:
        problems.append("route_passes must be >= 1")
    if settings.max_attempts < 1:
        problems.append("max_attempts must be >= 1")
    if settings.sqlite_synchronous.lower() not in ("normal", "full"):
        problems.append("sqlite_synchronous must be normal or full")
    if settings.queue_limit < 1 or settings.project_queue_limit < 1:
        problems.append("queue limits must be >= 1")
    if settings.retention_seconds < 0:
        problems.append("retention_seconds must be >= 0 (0 keeps files forever)")
    if settings.max_file_bytes < 1 or settings.file_expiry_seconds < 1:
        problems.append("max_file_bytes and file_expiry_seconds must be >= 1")
    if settings.link_seconds < 1 or settings.chat_wait_seconds <= 0:
        problems.append("link_seconds must be >= 1 and chat_wait_seconds > 0")
    if settings.presign_seconds < 1:
        problems.append("presign_seconds must be >= 1")
    if settings.poll_after_ms < 0:
        problems.append("poll_after_ms must be >= 0")
    if not 0 < settings.port < 65536 and settings.port != 0:
        problems.append("port must be 0..65535")
    if settings.moderation_detail not in ("full", "category", "generic"):
        problems.append("moderation_detail must be full, category or generic")
    stages = {s.strip() for s in settings.moderation_stages.split(",") if s.strip()}
    if not stages <= {"prompt", "input_image", "output"}:
        problems.append("moderation_stages may list only prompt, input_image and output")
    if not 0 <= settings.moderation_output_frames <= 32:
        problems.append("moderation_output_frames must be 0..32")
    if (settings.c2pa_cert is None) != (settings.c2pa_key is None):
        problems.append("c2pa_cert and c2pa_key must be given together")
    corners = ("top-left", "top-right", "bottom-left", "bottom-right")
    if settings.watermark_position not in corners:
        problems.append(f"watermark_position must be one of {', '.join(corners)}")
    if not settings.watermark_text.strip():
        problems.append("watermark_text must not be empty")
    try:
        retry_schedule(settings)
    except ValueError as exc:
        problems.append(str(exc))
    if settings.log_format not in ("text", "json"):
        problems.append("log_format must be text or json")
    if settings.request_log_days < 0 or settings.ready_worker_seconds < 0:
        problems.append("request_log_days and ready_worker_seconds must be >= 0")
    if settings.webhook_timeout_seconds <= 0 or settings.webhook_concurrency < 1:
        problems.append("webhook_timeout_seconds must be > 0 and webhook_concurrency >= 1")
    if problems:
        raise ValueError("invalid settings: " + "; ".join(problems))


def retry_schedule(settings: Settings) -> tuple[float, ...]:
    """The webhook retry delays, parsed; the first attempt is immediate."""
    try:
        delays = tuple(float(part) for part in settings.webhook_retry_schedule.split(","))
    except ValueError:
        raise ValueError(
            "webhook_retry_schedule must be comma-separated seconds, e.g. 5,300,1800"
        ) from None
    if any(delay < 0 for delay in delays):
        raise ValueError("webhook_retry_schedule delays must be >= 0")
    return delays
