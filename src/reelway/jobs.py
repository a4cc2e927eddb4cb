"""The video job as the rest of Reelway sees it: a frozen record and its status set.

The internal statuses are richer than the four the OpenAI API shows (``public_status`` maps
them); a cancelled job, for instance, is ``failed`` with ``error.code == "cancelled"``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, fields
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

BATCH_PRIORITY = -60
"""Queue priority of a batch's lines (``/v1/batches``): below every tier's interactive jobs
(tiers range -50 to 50), above relaxed ones; the claim's index orders by it as by any."""

WAITING_RUN_AT = 4102444800.0
"""The ``run_at`` of a storyboard's ``continue`` shot until its coordinator releases it
(2100-01-01): no render slot takes it before the shot it continues has succeeded."""

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


class JobKind(StrEnum):
    """What a job makes from what: the worker and the engines read it instead of guessing
    from which optional fields are set."""

    GENERATE = "generate"
    """A new video from a prompt (and optionally an input image)."""
    REMIX = "remix"
    """A completed video changed by a new prompt (``sources.video_id``)."""
    EDIT = "edit"
    """A video's content changed, its structure, length and size kept."""
    EXTEND = "extend"
    """A video continued from its last frame; the result is the stitched whole."""
    SHOT = "storyboard_shot"
    """One shot of a storyboard (``sources.storyboard_id``, ``shot_index``, ``transition``);
    a ``continue`` shot starts from the last frame of ``sources.video_id``, the shot before."""
    STORYBOARD = "storyboard"
    """Many shots made as one video: its shots are jobs of their own; when they are all done
    a worker's storyboard coordinator stitches them (never a render slot)."""


TRANSITIONS = ("cut", "crossfade", "continue")
"""How a storyboard shot joins the one before it."""
SOUNDTRACKS = ("continuous", "per_shot")
"""A storyboard's sound: the first shot's soundtrack under the whole video, or each shot's."""


@dataclass(frozen=True)
class Sources:
    """What a job starts from besides its prompt; stored as JSON on the video row.

    An extension's row holds the stitched total in ``seconds`` and its source's length in
    ``extends_seconds``: the new segment, what an engine renders and what the job is charged
    for, is ``seconds - extends_seconds`` (``Video.new_seconds``).  Every other kind has
    ``extends_seconds == 0`` and is charged for its whole length (an edit: its source's).
    """

    video_id: str | None = None
    """A completed video of the same project (remix, edit, extend)."""
    file: str | None = None
    """A storage key of an uploaded source video."""
    characters: tuple[str, ...] = ()
    """Character ids the video must show."""
    extends_seconds: int = 0
    """An extension: the source's length in whole seconds (the first part of the result)."""
    extensions: int = 0
    """How many extensions the video's chain holds, this one included (an edit keeps its
    source's count; at most 6)."""
    storyboard_id: str | None = None
    """A shot: the storyboard it belongs to."""
    shot_index: int | None = None
    """A shot: its place in the storyboard, from 0."""
    transition: str | None = None
    """A shot: how it joins the shot before it (one of ``TRANSITIONS``)."""
    crossfade_seconds: float = 0.0
    """A ``crossfade`` shot: how long the dissolve lasts, half on each side of the join."""
    soundtrack: str | None = None
    """A storyboard: one of ``SOUNDTRACKS``."""
    shots: int = 0
    """A storyboard: how many shots it has."""
    negative_prompt: str | None = None
    """What the video must not show (Reelway's field; models with the capability)."""
    loop: bool = False
    """The last frame flows into the first (Reelway's field; models with the capability)."""
    captions: bool | None = None
    """Whether a local engine draws its storyboard captions (Reelway's field); None: as the
    engine's deployment option says."""

    def to_json(self) -> dict[str, Any] | None:
        found: dict[str, Any] = {}
        if self.video_id is not None:
            found["video_id"] = self.video_id
        if self.file is not None:
            found["file"] = self.file
        if self.characters:
            found["characters"] = list(self.characters)
        if self.extends_seconds:
            found["extends_seconds"] = self.extends_seconds
        if self.extensions:
            found["extensions"] = self.extensions
        if self.storyboard_id is not None:
            found["storyboard_id"] = self.storyboard_id
        if self.shot_index is not None:
            found["shot_index"] = self.shot_index
        if self.transition is not None:
            found["transition"] = self.transition
        if self.crossfade_seconds:
            found["crossfade_seconds"] = self.crossfade_seconds
        if self.soundtrack is not None:
            found["soundtrack"] = self.soundtrack
        if self.shots:
            found["shots"] = self.shots
        if self.negative_prompt is not None:
            found["negative_prompt"] = self.negative_prompt
        if self.loop:
            found["loop"] = True
        if self.captions is not None:
            found["captions"] = self.captions
        return found or None

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> Sources:
        if not data:
            return NO_SOURCES
        return cls(
            video_id=data.get("video_id"),
            file=data.get("file"),
            characters=tuple(data.get("characters") or ()),
            extends_seconds=int(data.get("extends_seconds") or 0),
            extensions=int(data.get("extensions") or 0),
            storyboard_id=data.get("storyboard_id"),
            shot_index=data.get("shot_index"),
            transition=data.get("transition"),
            crossfade_seconds=float(data.get("crossfade_seconds") or 0.0),
            soundtrack=data.get("soundtrack"),
            shots=int(data.get("shots") or 0),
            negative_prompt=data.get("negative_prompt"),
            loop=bool(data.get("loop")),
            captions=data.get("captions"),
        )


NO_SOURCES = Sources()


@dataclass(frozen=True)
class EngineAttempt:
    """One engine's failure of a job (failover history), or a marker that starts another pass
    over the route (``engine`` None, ``code`` "route_retry")."""

    engine: str | None
    code: str
    at: float
    pass_number: int = 0
    message: str | None = None
    upstream: dict[str, Any] | None = None
    """The provider's own status, code and request id, for the operator."""

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"engine": self.engine, "code": self.code}
        if self.message is not None:
            found["message"] = self.message
        found["at"] = self.at
        found["pass"] = self.pass_number
        if self.upstream:
            found["upstream"] = self.upstream
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> EngineAttempt:
        return cls(
            engine=data.get("engine"),
            code=str(data.get("code", "")),
            at=float(data.get("at", 0.0)),
            pass_number=int(data.get("pass", 0)),
            message=data.get("message"),
            upstream=data.get("upstream"),
        )


def attempts_from_json(data: list[dict[str, Any]] | None) -> tuple[EngineAttempt, ...]:
    return tuple(EngineAttempt.from_json(a) for a in data or ())


@dataclass(frozen=True)
class JobError:
    """A failed video's error: what the API shows (code, message, and a moderation refusal's
    category and stage in ``details``) and the route's history for the operator."""

    code: str
    message: str
    details: dict[str, Any] = field(default_factory=dict)
    attempts: tuple[EngineAttempt, ...] = ()

    def to_json(self) -> dict[str, Any]:
        found: dict[str, Any] = {"code": self.code, "message": self.message, **self.details}
        if self.attempts:
            found["attempts"] = [a.to_json() for a in self.attempts]
        return found

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> JobError:
        details = {k: v for k, v in data.items() if k not in ("code", "message", "attempts")}
        return cls(
            code=str(data.get("code", "unknown")),
            message=str(data.get("message", "")),
            details=details,
            attempts=attempts_from_json(data.get("attempts")),
        )


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
    request_id: str | None
    status: JobStatus
    progress: int
    created_at: float
    started_at: float | None
    completed_at: float | None
    expires_at: float | None
    error: JobError | None
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
    engine_attempts: tuple[EngineAttempt, ...]
    """Engines that failed this video before the current one (failover history)."""
    watermark: bool
    """Whether the finished video carries a visible watermark (decided at creation)."""
    kind: JobKind
    sources: Sources
    rendered_as: str | None
    """``"generation"`` when a remix was rendered as a fresh generation by an engine that
    cannot remix; None when the video is what its kind says."""
    rendered_with: dict[str, Any] | None = None
    """How a local engine really made it (an open model's native size, frames, segments,
    steps, device), as the engine reported it; None when it reported nothing."""
    storyboard_id: str | None = None
    """A storyboard's shot: the storyboard (also in ``sources``; a column, to find shots)."""
    held: bool | None = field(default=None, compare=False)
    """Queued while its project is paused (``pauses``): out of the claim's reach until resumed.
    None on a row just inserted, which is not read back (a trigger may have held it); queue
    bookkeeping, so not part of a Video's equality."""

    @property
    def is_terminal(self) -> bool:
        return self.status in TERMINAL

    @property
    def remixed_from_video_id(self) -> str | None:
        """The video this one remixes (what the OpenAI API shows), or the draft a promote
        rendered again at a larger size (a generation naming its draft); else None."""
        if self.kind in (JobKind.REMIX, JobKind.GENERATE):
            return self.sources.video_id
        return None

    @property
    def public_status(self) -> str:
        return public_status(self.status)

    @property
    def new_seconds(self) -> int:
        """The seconds this job makes and is charged for: an extension's new segment, the
        whole length for every other kind."""
        return int(self.seconds) - self.sources.extends_seconds

    def asset(self, variant: str) -> Asset | None:
        if not self.assets or variant not in self.assets:
            return None
        return Asset.from_json(self.assets[variant])

    def all_assets(self) -> list[Asset]:
        return [Asset.from_json(a) for a in (self.assets or {}).values()]


VIDEO_FIELDS = tuple(f.name for f in fields(Video))


def video_from_row(values: Sequence[Any]) -> Video:
    """A Video from a complete row in field order.

    Fills the instance dict directly: a frozen dataclass's ``__init__`` sets its 37 fields one
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
    pause_at_budget_percent: int | None = None
    """Pause the project (``pauses``) when its spend reaches this % of its budget; None: no."""

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
