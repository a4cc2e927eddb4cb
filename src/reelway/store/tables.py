"""The schema, as SQLAlchemy Core tables; migrations must produce exactly this (a test checks).

Times are UNIX seconds as floats (sub-second leases need the fraction).  A video row *is* the
job: the public resource and the queue entry share one row, so status and progress cannot
disagree.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

JsonType = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
SeqType = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

projects = sa.Table(
    "projects",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False, unique=True),
    sa.Column("created_at", sa.Float, nullable=False),
    # Accounts (migration 0005); NULL means "the default" for each.
    sa.Column("tier", sa.String(50), nullable=True),
    sa.Column("plan", sa.String(50), nullable=True),
    sa.Column("budget_usd_micros", sa.BigInteger, nullable=True),
    sa.Column("relaxed", sa.Boolean, nullable=True),
    sa.Column("requests_per_minute", sa.Integer, nullable=True),
    sa.Column("requests_per_day", sa.Integer, nullable=True),
    sa.Column("cycle_anchor", sa.Float, nullable=True),
    sa.Column("disabled_at", sa.Float, nullable=True),
    # Safety (migration 0006): a visible watermark; NULL: as the plan, then the deployment, says.
    sa.Column("watermark", sa.Boolean, nullable=True),
    # Pause and resume (migration 0016): pause the project at this % of its budget.
    sa.Column("pause_at_budget_percent", sa.Integer, nullable=True),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("hint", sa.String(40), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("revoked_at", sa.Float, nullable=True),
)

videos = sa.Table(
    "videos",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    # What was asked for.
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("catalog_model", sa.String(100), nullable=False),
    sa.Column("prompt", sa.Text, nullable=True),
    sa.Column("size", sa.String(20), nullable=False),
    sa.Column("seconds", sa.String(10), nullable=False),
    sa.Column("seed", sa.BigInteger, nullable=False),
    sa.Column("input_reference", sa.String(300), nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    # Where it is.
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("progress", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("started_at", sa.Float, nullable=True),
    sa.Column("completed_at", sa.Float, nullable=True),
    sa.Column("expires_at", sa.Float, nullable=True),
    sa.Column("error", JsonType, nullable=True),
    # The queue.
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("run_at", sa.Float, nullable=False),
    sa.Column("deadline_at", sa.Float, nullable=True),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("max_attempts", sa.Integer, nullable=False, server_default="3"),
    sa.Column("lease_token", sa.String(64), nullable=True),
    sa.Column("lease_owner", sa.String(200), nullable=True),
    sa.Column("lease_expires_at", sa.Float, nullable=True),
    sa.Column("cancel_requested", sa.Boolean, nullable=False, server_default=sa.false()),
    # The result.
    sa.Column("engine", sa.String(100), nullable=True),
    sa.Column("operation", JsonType, nullable=True),
    sa.Column("assets", JsonType, nullable=True),
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.Column("purged_at", sa.Float, nullable=True),
    sa.Column("assets_deleted_at", sa.Float, nullable=True),
    # Engines tried before the current one, with how each failed (failover history).
    sa.Column("engine_attempts", JsonType, nullable=True),
    # Decided at creation from the project, plan and deployment (migration 0006).
    sa.Column("watermark", sa.Boolean, nullable=False, server_default=sa.false()),
    # Typed jobs (migration 0008): what the job makes from what (jobs.JobKind, jobs.Sources),
    # and "generation" when a remix was rendered by an engine that cannot remix.
    sa.Column("kind", sa.String(30), nullable=False, server_default="generate"),
    sa.Column("sources", JsonType, nullable=True),
    sa.Column("rendered_as", sa.String(30), nullable=True),
    sa.Column("rendered_with", JsonType, nullable=True),
    sa.Column("storyboard_id", sa.String(64), nullable=True),
    # A queued job of a paused project (migration 0016): out of the claim's index range.
    sa.Column("held", sa.Boolean, nullable=False, server_default=sa.false()),
    sa.Index("ix_videos_project_id_seq", "project_id", "seq"),
    sa.Index("ix_videos_storyboard_id", "storyboard_id"),
    sa.Index(
        "ix_videos_running",
        "lease_expires_at",
        sqlite_where=sa.text("status = 'running'"),
        postgresql_where=sa.text("status = 'running'"),
    ),
    sa.Index(
        "ix_videos_unpurged",
        "deleted_at",
        sqlite_where=sa.text("deleted_at IS NOT NULL AND purged_at IS NULL"),
        postgresql_where=sa.text("deleted_at IS NOT NULL AND purged_at IS NULL"),
    ),
)

# The claim reads this index in its own order (priority DESC, run_at, seq), so a claim costs
# the same with a thousand queued jobs as with a million; ``held`` first, so a paused
# project's jobs (held) are never walked by a claim (migration 0016).
sa.Index(
    "ix_videos_claim",
    videos.c.held,
    videos.c.priority.desc(),
    videos.c.run_at,
    videos.c.seq,
    sqlite_where=sa.text("status = 'queued'"),
    postgresql_where=sa.text("status = 'queued'"),
)
sa.Index(
    "ix_videos_expiring",
    videos.c.expires_at,
    sqlite_where=sa.text("expires_at IS NOT NULL AND assets_deleted_at IS NULL"),
    postgresql_where=sa.text("expires_at IS NOT NULL AND assets_deleted_at IS NULL"),
)

sa.Index("ix_videos_completed_at", videos.c.completed_at)

queue_counts = sa.Table(
    "queue_counts",
    metadata,
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), primary_key=True),
    sa.Column("queued", sa.Integer, nullable=False, server_default="0"),
)
"""Queued videos per project, kept by triggers on ``videos`` (migration 0002), so admission
control reads one row instead of counting the queue."""

usage = sa.Table(
    "usage",
    metadata,
    sa.Column("video_id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("size", sa.String(20), nullable=False),
    sa.Column("seconds", sa.Integer, nullable=False),
    sa.Column("engine", sa.String(200), nullable=False),
    sa.Column("recorded_at", sa.Float, nullable=False),
    sa.Index("ix_usage_project_id_recorded_at", "project_id", "recorded_at"),
)
"""One row per completed video, written in the completion's transaction: its primary key
makes a second completion of the same video impossible to record."""

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("key", sa.String(255), primary_key=True),
    sa.Column("request_hash", sa.String(64), nullable=False),
    sa.Column("video_id", sa.String(64), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("ix_idempotency_keys_expires_at", "expires_at"),
)

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("id", sa.String(200), primary_key=True),
    sa.Column("hostname", sa.String(200), nullable=False),
    sa.Column("pid", sa.Integer, nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("seen_at", sa.Float, nullable=False),
    sa.Column("devices", JsonType, nullable=True),
    sa.Column("slots", sa.Integer, nullable=True),
)
"""Live worker loops.  ``slots``: the render slots the process runs (0 for an API process
that only reaps; NULL, a worker from before migration 0014, counts as one)."""

engine_state = sa.Table(
    "engine_state",
    metadata,
    sa.Column("engine", sa.String(200), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("opened_until", sa.Float, nullable=True),
    sa.Column("blocked_until", sa.Float, nullable=True),
    sa.Column("updated_at", sa.Float, nullable=False),
)
"""Per engine, shared by every worker: the circuit breaker (consecutive failures, open until)
and the provider's own back-off (``Retry-After``, blocked until)."""

engine_calls = sa.Table(
    "engine_calls",
    metadata,
    sa.Column("id", SeqType, primary_key=True, autoincrement=True),
    sa.Column("engine", sa.String(200), nullable=False),
    sa.Column("at", sa.Float, nullable=False),
    sa.Index("ix_engine_calls_engine_at", "engine", "at"),
)
"""One row per submit granted to a rate-limited engine: the sliding windows count these."""

rate_counters = sa.Table(
    "rate_counters",
    metadata,
    sa.Column("key", sa.String(200), primary_key=True),
    sa.Column("window_start", sa.Float, primary_key=True),
    sa.Column("count", sa.Integer, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Index("ix_rate_counters_expires_at", "expires_at"),
)
"""Requests per fixed window (a project's minute or UTC day), shared by every API process."""

charges = sa.Table(
    "charges",
    metadata,
    sa.Column("video_id", sa.String(64), primary_key=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("model", sa.String(100), nullable=False),
    sa.Column("size", sa.String(20), nullable=False),
    sa.Column("seconds", sa.Integer, nullable=False),
    sa.Column("relaxed", sa.Boolean, nullable=False),
    sa.Column("day", sa.String(10), nullable=False),
    sa.Column("period_start", sa.Float, nullable=False),
    sa.Column("credits_per_second", sa.Integer, nullable=False),
    sa.Column("usd_micros_per_second", sa.BigInteger, nullable=False),
    sa.Column("credits_reserved", sa.Integer, nullable=False),
    sa.Column("usd_micros_reserved", sa.BigInteger, nullable=False),
    sa.Column("state", sa.String(10), nullable=False),
    sa.Column("credits_charged", sa.Integer, nullable=False, server_default="0"),
    sa.Column("usd_micros_charged", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("outcome", sa.String(64), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("settled_at", sa.Float, nullable=True),
    sa.Index("ix_charges_project_id_day", "project_id", "day"),
    sa.Index("ix_charges_day", "day"),
)
"""The ledger: one row per accepted generation request, written in the job row's transaction
(state ``reserved``) and settled or released in the transaction that ends the job."""

balances = sa.Table(
    "balances",
    metadata,
    sa.Column("project_id", sa.String(64), primary_key=True),
    sa.Column("period_start", sa.Float, primary_key=True),
    sa.Column("credits_reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("credits_spent", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("usd_micros_reserved", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("usd_micros_spent", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("alert_level", sa.Integer, nullable=False, server_default="0"),
)
"""Per project and billing period: what is held for unfinished jobs and what was spent, so a
reservation is one conditional UPDATE of one row; ``alert_level`` is the highest budget alert
raised in the period."""

events = sa.Table(
    "events",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("type", sa.String(100), nullable=False),
    sa.Column("data", JsonType, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    # What the event is about (a video id, an endpoint id…), for doctor (migration 0007).
    sa.Column("subject_id", sa.String(64), nullable=True),
    sa.Index("ix_events_project_id_seq", "project_id", "seq"),
    sa.Index("ix_events_subject_id", "subject_id"),
)
"""Every event (a video's end, budget alerts, a disabled endpoint), written in the transaction
of what caused them; the webhook outbox rows are written beside them."""

webhook_endpoints = sa.Table(
    "webhook_endpoints",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("url", sa.Text, nullable=False),
    sa.Column("event_types", JsonType, nullable=False),
    sa.Column("secret", sa.String(200), nullable=False),
    sa.Column("previous_secret", sa.String(200), nullable=True),
    sa.Column("previous_secret_expires_at", sa.Float, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("updated_at", sa.Float, nullable=False),
    sa.Column("failing_since", sa.Float, nullable=True),
    sa.Column("disabled_at", sa.Float, nullable=True),
    sa.Column("disabled_reason", sa.Text, nullable=True),
    sa.Index("ix_webhook_endpoints_project_id_seq", "project_id", "seq"),
)
"""A project's webhook receivers; the secret is kept to sign with (never logged)."""

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("endpoint_id", sa.String(64), nullable=False),
    sa.Column("project_id", sa.String(64), nullable=False),
    sa.Column("event_id", sa.String(64), nullable=False),
    sa.Column("event_type", sa.String(100), nullable=False),
    sa.Column("payload", sa.Text, nullable=False),
    sa.Column("status", sa.String(20), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_at", sa.Float, nullable=False),
    sa.Column("lease_token", sa.String(64), nullable=True),
    sa.Column("lease_expires_at", sa.Float, nullable=True),
    sa.Column("last_attempt_at", sa.Float, nullable=True),
    sa.Column("last_status_code", sa.Integer, nullable=True),
    sa.Column("last_error", sa.Text, nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("finished_at", sa.Float, nullable=True),
    sa.Index("ix_webhook_deliveries_endpoint_id_seq", "endpoint_id", "seq"),
    sa.Index("ix_webhook_deliveries_event_id", "event_id"),
    sa.Index(
        "ix_webhook_deliveries_due",
        "next_attempt_at",
        sqlite_where=sa.text("status = 'pending'"),
        postgresql_where=sa.text("status = 'pending'"),
    ),
    sa.Index(
        "ix_webhook_deliveries_sending",
        "lease_expires_at",
        sqlite_where=sa.text("status = 'sending'"),
        postgresql_where=sa.text("status = 'sending'"),
    ),
)
"""The outbox: one row per (event, endpoint), written in the event's transaction; its ``id``
is the ``webhook-id`` of every attempt, and the exact body is kept so each attempt sends the
same bytes."""

metric_totals = sa.Table(
    "metric_totals",
    metadata,
    sa.Column("name", sa.String(100), primary_key=True),
    sa.Column("labels", sa.String(500), primary_key=True),
    sa.Column("value", sa.Float, nullable=False),
)
"""Deployment-wide counters and histogram buckets (``labels`` is canonical JSON), bumped in
the transaction of what they count, so every process reports the same exact numbers."""

request_log = sa.Table(
    "request_log",
    metadata,
    sa.Column("request_id", sa.String(64), primary_key=True),
    sa.Column("at", sa.Float, nullable=False),
    sa.Column("method", sa.String(10), nullable=False),
    sa.Column("path", sa.String(300), nullable=False),
    sa.Column("status", sa.Integer, nullable=False),
    sa.Column("project_id", sa.String(64), nullable=True),
    sa.Column("code", sa.String(100), nullable=True),
    sa.Column("param", sa.String(200), nullable=True),
    sa.Column("message", sa.Text, nullable=True),
    sa.Index("ix_request_log_at", "at"),
)
"""Refused API requests (status 400 and up), kept for a while so ``reelway doctor`` can
explain a request id that created no video."""

characters = sa.Table(
    "characters",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("name", sa.String(80), nullable=False),
    sa.Column("clip", sa.String(300), nullable=False),
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("duration", sa.Float, nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.Index("ix_characters_project_id_seq", "project_id", "seq"),
)
"""A project's characters (migration 0009): the name a prompt calls each by and the storage
key of its uploaded 2-4 s clip.  A deleted one stays as a tombstone (its clip removed), so a
list cursor naming it stays valid and its id is never reused."""

incidents = sa.Table(
    "incidents",
    metadata,
    sa.Column("id", SeqType, primary_key=True, autoincrement=True),
    sa.Column("engine", sa.String(200), nullable=False),
    sa.Column("kind", sa.String(30), nullable=False),
    sa.Column("started_at", sa.Float, nullable=False),
    sa.Column("ended_at", sa.Float, nullable=True),
    sa.Index("ix_incidents_started_at", "started_at"),
    sa.Index(
        "ix_incidents_open",
        "engine",
        unique=True,
        sqlite_where=sa.text("ended_at IS NULL"),
        postgresql_where=sa.text("ended_at IS NULL"),
    ),
)
"""Circuit-breaker history for the status page (migration 0012): a row opens in the
transaction that opens an engine's breaker and ends in the one that closes it (both under
the engine's row lock); the unique partial index allows one open incident per engine."""

files = sa.Table(
    "files",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("filename", sa.String(255), nullable=False),
    sa.Column("purpose", sa.String(32), nullable=False),
    sa.Column("bytes", sa.BigInteger, nullable=False),
    sa.Column("content_type", sa.String(100), nullable=False),
    sa.Column("blob", sa.String(300), nullable=False),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("deleted_at", sa.Float, nullable=True),
    sa.Column("purged_at", sa.Float, nullable=True),
    sa.Index("ix_files_project_id_seq", "project_id", "seq"),
    sa.Index("ix_files_unpurged_expires_at", "purged_at", "expires_at"),
)
"""A project's uploaded files (``/v1/files``): name, purpose, size and the storage key of the
bytes.  Deleting or expiring one leaves a tombstone (a list cursor naming it stays valid);
``purged_at`` records that its bytes are gone from storage, so a crash in between is finished
by the next housekeeping pass."""

# Pause and resume (migration 0016): one row per paused scope; resuming deletes it.
pauses = sa.Table(
    "pauses",
    metadata,
    # "deployment" (target ""), "project" (target: the project id), "engine" (its name).
    sa.Column("scope", sa.String(20), nullable=False),
    sa.Column("target", sa.String(100), nullable=False),
    # "operator", "project" (its own key) or "budget" (pause_at_budget_percent reached).
    sa.Column("paused_by", sa.String(20), nullable=False),
    sa.Column("reason", sa.String(500), nullable=True),
    # An engine's queued jobs: "failover" along their routes, or "wait".
    sa.Column("on_queued", sa.String(20), nullable=True),
    sa.Column("paused_at", sa.Float, nullable=False),
    sa.PrimaryKeyConstraint("scope", "target"),
)

NullableJson = sa.JSON(none_as_null=True).with_variant(
    postgresql.JSONB(none_as_null=True), "postgresql"
)
"""A JSON column whose Python None is SQL NULL (so ``IS NULL`` finds it), not JSON ``null``."""

batches = sa.Table(
    "batches",
    metadata,
    sa.Column("seq", SeqType, primary_key=True, autoincrement=True),
    sa.Column("id", sa.String(64), nullable=False, unique=True),
    sa.Column("project_id", sa.String(64), sa.ForeignKey("projects.id"), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("endpoint", sa.String(64), nullable=False),
    sa.Column("completion_window", sa.String(16), nullable=False),
    sa.Column("input_file_id", sa.String(64), nullable=False),
    sa.Column("metadata", NullableJson, nullable=True),
    sa.Column("errors", NullableJson, nullable=True),
    sa.Column("request_id", sa.String(64), nullable=True),
    sa.Column("created_at", sa.Float, nullable=False),
    sa.Column("expires_at", sa.Float, nullable=False),
    sa.Column("in_progress_at", sa.Float, nullable=True),
    sa.Column("finalizing_at", sa.Float, nullable=True),
    sa.Column("completed_at", sa.Float, nullable=True),
    sa.Column("failed_at", sa.Float, nullable=True),
    sa.Column("expired_at", sa.Float, nullable=True),
    sa.Column("cancelling_at", sa.Float, nullable=True),
    sa.Column("cancelled_at", sa.Float, nullable=True),
    sa.Column("output_file_id", sa.String(64), nullable=True),
    sa.Column("error_file_id", sa.String(64), nullable=True),
    sa.Column("total", sa.Integer, nullable=False, server_default="0"),
    sa.Column("completed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_owner", sa.String(128), nullable=True),
    sa.Column("lease_until", sa.Float, nullable=False, server_default="0"),
    sa.Index("ix_batches_project_id_seq", "project_id", "seq"),
    sa.Index("ix_batches_status_lease_until", "status", "lease_until"),
)
"""``/v1/batches`` (migration 0015): a batch's state, counts and files.  A coordinator that
works on one holds it under a lease (``lease_owner``, ``lease_until``), so two processes never
step the same batch at once; its lines are in ``batch_lines``."""

batch_lines = sa.Table(
    "batch_lines",
    metadata,
    sa.Column("batch_id", sa.String(64), nullable=False),
    sa.Column("line", sa.Integer, nullable=False),
    sa.Column("custom_id", sa.String(512), nullable=True),
    sa.Column("body", NullableJson, nullable=True),
    sa.Column("video_id", sa.String(64), nullable=True),
    sa.Column("status_code", sa.Integer, nullable=True),
    sa.Column("error", NullableJson, nullable=True),
    sa.PrimaryKeyConstraint("batch_id", "line"),
    sa.Index("ix_batch_lines_video_id", "video_id"),
)
"""One row per input line of a batch: its request until it is queued (``body``), then the
video it became (``video_id``), or why it was refused (``status_code`` and the error body)."""
