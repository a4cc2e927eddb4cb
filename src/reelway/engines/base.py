"""The engine contract: what the worker may ask of an engine, and what it gets back.

Engines produce media and nothing else: they never touch the database, the settings or the
HTTP server, never sleep or retry, and report failures as ``errors.JobFailure`` subclasses.
What an engine can do is data (``EngineInfo``), so validation and routing read it instead of
discovering gaps at run time.

An engine class declares ``KIND: ClassVar[EngineKind]`` (local or remote), read without
building it, and its constructor stays cheap: it checks its options and keeps them, but loads
no model and makes no network call, because start-up builds every routed engine once just to
read its ``info`` (a remote engine is closed right after).

Devices: a resident engine with devices (``EngineInfo.devices``) reads ``REELWAY_DEVICE`` in
its child: the worker runs one child per device and sets that variable to the device string
("cuda:1") before the engine is built; it is the only way the engine learns its device.  A
cancelled job makes the progress callback raise (``RenderCancelled``): an engine that reports
every step stops within one and lets the exception propagate.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from reelway import errors, jobs
from reelway.capabilities import EngineInfo, EngineKind

__all__ = ["EngineInfo", "EngineKind"]  # engines declare what they can do with these

ProgressCallback = Callable[[int], None]
"""Called with 0..100 as rendering advances; it may raise to abort the render."""


Operation = dict[str, Any]
"""A remote job's handle, as JSON: stored on the job row, so a worker that takes over a
crashed worker's job resumes polling it instead of submitting (and paying for) it again."""


@dataclass(frozen=True)
class GenerationRequest:
    """Everything an engine needs to make one video."""

    video_id: str
    model: str
    prompt: str
    width: int
    height: int
    seconds: int
    seed: int
    input_image: Path | None = None
    """A PNG, JPEG or WebP file already checked to be exactly ``width`` x ``height``."""
    kind: jobs.JobKind = jobs.JobKind.GENERATE
    sources: jobs.Sources = jobs.NO_SOURCES
    """The ids the job starts from (source video, uploaded file, characters)."""
    source_operation: Operation | None = None
    """When the source video was made by this same engine: its stored operation, so the
    engine can ask its provider for a real remix (or edit, or extension) of it."""
    source_video: Path | None = None
    """The source video's MP4 (remix, edit, extension), downloaded for the engine."""
    source_prompt: str | None = None
    """The prompt the source video was made from (None for an uploaded video)."""
    source_seconds: int | None = None
    """The source video's length.  For an EXTEND job ``seconds`` is the new segment's
    length and the engine returns the whole video, ``source_seconds + seconds`` long."""
    characters: tuple[CharacterRef, ...] = ()
    """Characters the video must show (each named in the prompt)."""


@dataclass(frozen=True)
class CharacterRef:
    """A character a request uses: its id, the name the prompt calls it by, and its clip."""

    id: str
    name: str
    clip: Path
    """The uploaded 2-4 s MP4 the character was made from."""


@dataclass(frozen=True)
class RenderOutput:
    """Where a local engine writes its files (all three, in one pass)."""

    video: Path
    """H.264 + AAC MP4, faststart."""
    thumbnail: Path
    """WebP still."""
    spritesheet: Path
    """JPEG grid of frames across the clip."""


@dataclass(frozen=True)
class RenderResult:
    """What a finished render reports about its output."""

    duration: float
    frames: int
    fps: float
    has_audio: bool
    details: Mapping[str, Any] = field(default_factory=dict)
    """How the engine really made it, as JSON-safe values (an open model's native size,
    frame count, steps and segments); the video records it as ``rendered_with``."""


class LocalEngine(Protocol):
    """An engine that renders on this machine."""

    @property
    def info(self) -> EngineInfo: ...

    def render(
        self, request: GenerationRequest, output: RenderOutput, progress: ProgressCallback
    ) -> RenderResult:
        """Write the video, thumbnail and spritesheet; blocking, CPU-bound."""
        ...


@dataclass(frozen=True)
class Pending:
    """Still working; ``progress`` 0..100 when the provider says, ``retry_after`` seconds
    when it asks to be polled less often."""

    progress: int | None = None
    retry_after: float | None = None


@dataclass(frozen=True)
class Succeeded:
    """Done; ``result`` is whatever ``fetch`` needs to download the video."""

    result: dict[str, Any]
    cost_usd: float | None = None
    """What the provider says the video cost, when it says (settles the charge)."""


@dataclass(frozen=True)
class Failed:
    error: errors.JobFailure


PollResult = Pending | Succeeded | Failed


class RemoteEngine(Protocol):
    """An engine whose work happens elsewhere (a hosted provider, another server).

    It neither sleeps nor retries: the worker decides when to poll, how long to wait, and
    what to do with a failure.
    """

    @property
    def info(self) -> EngineInfo: ...

    async def submit(self, request: GenerationRequest) -> Operation:
        """Start the job; the handle that identifies it from now on."""
        ...

    async def poll(self, operation: Operation) -> PollResult: ...

    def fetch(self, operation: Operation, result: dict[str, Any]) -> AsyncIterator[bytes]:
        """The finished MP4, as a stream."""
        ...

    async def cancel(self, operation: Operation) -> None:
        """Ask the provider to stop the job (it may not stop, or refund)."""
        ...

    async def close(self) -> None: ...


PREVIEW_VARIANTS = ("thumbnail", "spritesheet")


def preview_fetcher(engine: object) -> Any:
    """An engine's optional ``fetch_preview(operation, result, variant)``: providers that make
    their own thumbnail and spritesheet; Reelway makes them from the video otherwise."""
    return getattr(engine, "fetch_preview", None)


def is_remote(engine: object) -> bool:
    return callable(getattr(engine, "submit", None)) and callable(getattr(engine, "poll", None))
