"""The video job as the rest of Reelway sees it: a frozen record and its status set.

The internal statuses are richer than the four the OpenAI API shows (``public_status`` maps
them); a cancelled job, for instance, is ``failed`` with ``error.code == "cancelled"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any


class JobStatus(StrEnum):
    QUEUED = "queued"
    """Accepted and waiting for a worker (or for its ``run_at``)."""
    RUNNING = "running"
    """Held by a worker under a lease."""
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


RELAXED_PRIORITY = -100
"""Queue priority of relaxed-mode jobs: below every tier's, so they run only when nothing
else waits, and the only priority a claim skips while the relaxed window is closed."""

TERMINAL = frozenset({JobStatus.SUCCEEDED, JobStatus.FAILED, JobStatus.CANCELLED})

_PUBLIC = {
    JobStatus.QUEUED: "queued",
    JobStatus.RUNNING: "in_progress",
    JobStatus.SUCCEEDED: "completed",
    JobStatus.FAILED: "failed",
    JobStatus.CANCELLED: "failed",
}


def public_status(status: JobStatus) -> str:
    """The status as the OpenAI SDKs know it: queued, in_progress, completed or failed."""
    return _PUBLIC[status]


@dataclass(frozen=True)
class Asset:
    """One stored file of a finished video."""

    key: str
    size: int
    etag: str
    content_type: str

    def to_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "size": self.size,
            "etag": self.etag,
            "content_type": self.content_type,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Asset:
        return cls(
            key=str(data["key"]),
            size=int(data["size"]),
            etag=str(data["etag"]),
            content_type=str(data["content_type"]),
        )


@dataclass(frozen=True)
class Video:
    """A video job row."""

    seq: int
    id: str
    project_id: str
    model: str
    catalog_model: str
    prompt: str | None
    size: str
    seconds: str
    seed: int
    input_reference: str | None
    remixed_from_video_id: str | None
    request_id: str | None
    status: JobStatus
    progress: int
    created_at: float
    started_at: float | None
    completed_at: float | None
    expires_at: float | None
    error: dict[str, Any] | None
    priority: int
    run_at: float
    deadline_at: float | None
    attempts: int
    max_attempts: int
    lease_token: str | None
    lease_owner: str | None
    lease_expires_at: float | None
    cancel_requested: bool
    engine: str | None
    operation: dict[str, Any] | None
    assets: dict[str, Any] | None
    deleted_at: float | None
    purged_at: float | None
    assets_deleted_at: float | None
    """When the files were deleted because the video expired."""
    engine_attempts: list[dict[str, Any]] | None
    """Engines that failed this video before the current one (failover history)."""
    watermark: bool
    """Whether the finished video carries a visible watermark (decided at creation)."""

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def public_status(self) -> str:
        return public_status(self.status)

    def asset(self, variant: str) -> Asset | None:
        if not self.assets or variant not in self.assets:
            return None
        return Asset.from_json(self.assets[variant])

    def all_assets(self) -> list[Asset]:
        return [Asset.from_json(a) for a in (self.assets or {}).values()]


VIDEO_FIELDS = tuple(f.name for f in fields(Video))


def video_from_row(values: Sequence[Any]) -> Video:
    """A Video from a complete row in field order.

    Fills the instance dict directly: a frozen dataclass's ``__init__`` sets 33 fields one
    by one through ``object.__setattr__`` (3.8 µs against 1.3 µs), and the request path builds
    one per request.
    """
    video = object.__new__(Video)
    video.__dict__.update(zip(VIDEO_FIELDS, values, strict=True))
    return video


@dataclass(frozen=True)
class Project:
    id: str
    name: str
    created_at: float
    tier: str | None = None
    """None: the deployment's default tier."""
    plan: str | None = None
    budget_usd_micros: int | None = None
    """Spend limit per billing period, in micro-dollars; None: no budget."""
    relaxed: bool | None = None
    """May ask for relaxed mode; None: as the plan says."""
    requests_per_minute: int | None = None
    """Overrides the tier's limit (an Enterprise contract, say)."""
    requests_per_day: int | None = None
    cycle_anchor: float | None = None
    """When the billing cycle started; periods repeat monthly from it (None: created_at)."""
    disabled_at: float | None = None
    watermark: bool | None = None
    """A visible watermark on its videos; None: as the plan, then the deployment, says."""

    @property
    def anchor(self) -> float:
        return self.created_at if self.cycle_anchor is None else self.cycle_anchor


@dataclass(frozen=True)
class ApiKey:
    id: str
    project_id: str
    name: str
    hint: str
    created_at: float
    revoked_at: float | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None
