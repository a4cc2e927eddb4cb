"""The moderation pipeline: which backends look at what, and how a refusal reads.

Three stages, each with its own backends: the prompt (and a remix's prompt) before a job
exists, the input image before a job exists, and frames sampled from the finished video.  A
refusal before generation is a 400 ``sentinel_block`` and nothing is charged; a refusal after
generation fails the video with ``moderation_blocked``.  Both name the category and stage
unless the operator chose ``generic`` detail; the operator's log always has everything.

Backends are small objects with a ``name`` and ``check_text`` and/or ``check_image``; the
built-in ones are the prompt rules (``prompt_rules``), face detection (``faces``) and a hosted
OpenAI-compatible ``/v1/moderations`` (``hosted_moderation``).  Third-party backends are
named as ``module:factory`` in ``REELWAY_MODERATION_BACKENDS``.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import logging
from collections.abc import Awaitable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from reelway import errors

log = logging.getLogger(__name__)

DETAILS = ("full", "category", "generic")
"""How much a refusal tells the user: the matched words too, the category, or nothing."""


class Stage(enum.StrEnum):
    PROMPT = "prompt"
    INPUT_IMAGE = "input_image"
    OUTPUT = "output"


@dataclass(frozen=True)
class Finding:
    """One thing a backend objects to."""

    category: str
    backend: str
    evidence: str | None = None
    """What tripped it: the matched words, a face count, a hosted score; operator-facing."""
    advice: str | None = None
    """What the user can do instead."""


@runtime_checkable
class TextBackend(Protocol):
    name: str

    async def check_text(self, text: str) -> Sequence[Finding]: ...


@runtime_checkable
class ImageBackend(Protocol):
    name: str

    async def check_image(self, image: bytes, stage: Stage) -> Sequence[Finding]: ...


class BackendUnavailable(Exception):
    """A backend could not give an answer (a hosted service down or too slow)."""


@dataclass
class Moderation:
    """The configured backends for each stage, and how refusals are worded."""

    prompt: Sequence[TextBackend] = ()
    input_image: Sequence[ImageBackend] = ()
    output: Sequence[ImageBackend] = ()
    detail: str = "category"
    output_frames: int = 4
    """How many frames of a finished video the output backends see, spread over its length."""

    def __post_init__(self) -> None:
        if self.detail not in DETAILS:
            raise ValueError(
                f"moderation detail {self.detail!r} is not one of {', '.join(DETAILS)}"
            )

    @property
    def checks_output(self) -> bool:
        return bool(self.output) and self.output_frames > 0

    # ------------------------------------------------------------------ findings

    async def review_prompt(self, text: str) -> list[Finding]:
        """Every backend's findings on a prompt (the preflight shows them all)."""
        return await _gather([_guarded(b.name, b.check_text(text)) for b in self.prompt])

    async def review_image(self, image: bytes, stage: Stage) -> list[Finding]:
        backends = self.input_image if stage is Stage.INPUT_IMAGE else self.output
        return await _gather([_guarded(b.name, b.check_image(image, stage)) for b in backends])

    async def preflight(self, text: str) -> dict[str, Any]:
        """The prompt's findings as a preflight shows them, at the operator's detail level."""
        with _unavailable_before_generation():
            findings = await self.review_prompt(text)
        shown: list[dict[str, Any]] = []
        if self.detail != "generic":
            for finding in findings:
                item: dict[str, Any] = {"category": finding.category, "stage": "prompt"}
                if self.detail == "full":
                    item["evidence"] = finding.evidence
                item["advice"] = finding.advice
                shown.append(item)
        return {"blocked": bool(findings), "findings": shown}

    # ------------------------------------------------------------------ gates

    async def screen_prompt(self, text: str, *, param: str = "prompt") -> None:
        """Raise ``sentinel_block`` when any backend objects to the prompt."""
        with _unavailable_before_generation():
            findings = await self.review_prompt(text)
        if findings:
            raise self.blocked_before(findings[0], Stage.PROMPT, param)

    async def screen_input_image(self, image: bytes, *, param: str) -> None:
        with _unavailable_before_generation():
            findings = await self.review_image(image, Stage.INPUT_IMAGE)
        if findings:
            raise self.blocked_before(findings[0], Stage.INPUT_IMAGE, param)

    async def screen_output(self, frames: Sequence[bytes]) -> None:
        """Raise ``moderation_blocked`` when any sampled frame is refused."""
        try:
            results = await _gather([self.review_image(frame, Stage.OUTPUT) for frame in frames])
        except BackendUnavailable as exc:
            raise errors.OutputModerationFailed(
                f"The generated video could not be checked: the moderation service did not "
                f"answer ({exc}). Nothing was charged; try again."
            ) from None
        if results:
            raise self.blocked_after(results[0])

    # ------------------------------------------------------------------ wording

    def blocked_before(self, finding: Finding, stage: Stage, param: str) -> errors.ContentBlocked:
        what = "prompt" if stage is Stage.PROMPT else "input image"
        log.info(
            "sentinel_block: %s refused by %s, category %s (%s)",
            what,
            finding.backend,
            finding.category,
            finding.evidence,
        )
        if self.detail == "generic":
            return errors.ContentBlocked(
                f"This request was refused by the server's content policy before generation "
                f"(its {what}). Nothing was charged.",
                param=param,
                details={"stage": stage.value},
            )
        message = (
            f"The {what} was refused before generation: category {finding.category}"
            + self._evidence(finding)
            + ". Nothing was charged."
            + (f" {finding.advice}" if finding.advice else "")
        )
        return errors.ContentBlocked(
            message, param=param, details={"category": finding.category, "stage": stage.value}
        )

    def blocked_after(self, finding: Finding) -> errors.ModerationBlocked:
        log.info(
            "moderation_blocked: output refused by %s, category %s (%s)",
            finding.backend,
            finding.category,
            finding.evidence,
        )
        if self.detail == "generic":
            return errors.ModerationBlocked(
                "The generated video was refused by the server's content policy.",
                details={"stage": Stage.OUTPUT.value},
            )
        message = (
            f"The generated video was refused by moderation: category {finding.category}"
            + self._evidence(finding)
            + ". Change the prompt; retrying the same prompt will likely be refused again."
        )
        return errors.ModerationBlocked(
            message, details={"category": finding.category, "stage": Stage.OUTPUT.value}
        )

    def _evidence(self, finding: Finding) -> str:
        """The matched words, shown to users only at ``full`` detail."""
        return f" ({finding.evidence})" if self.detail == "full" and finding.evidence else ""

    async def close(self) -> None:
        for backend in {id(b): b for b in (*self.prompt, *self.input_image, *self.output)}.values():
            closer = getattr(backend, "close", None)
            if closer is not None:
                await closer()


@contextlib.contextmanager
def _unavailable_before_generation() -> Iterator[None]:
    """A backend without an answer refuses the request as a retryable 503 (never a pass)."""
    try:
        yield
    except BackendUnavailable as exc:
        raise errors.ModerationUnavailable(
            f"The moderation service did not answer ({exc}); nothing was queued or "
            "charged. Retry shortly.",
            retry_after=5.0,
        ) from None


async def _guarded(name: str, call: Awaitable[Sequence[Finding]]) -> Sequence[Finding]:
    """A backend that breaks (a third-party one raising anything) counts as unavailable: the
    stage refuses clearly instead of answering 500 or letting content through."""
    try:
        return await call
    except BackendUnavailable:
        raise
    except Exception as exc:
        log.exception("moderation backend %s failed", name)
        raise BackendUnavailable(f"backend {name} failed: {type(exc).__name__}") from exc


async def _gather(calls: Sequence[Awaitable[Sequence[Finding]]]) -> list[Finding]:
    """Run backends concurrently; the first finding in configured order comes first."""
    results = await asyncio.gather(*calls)
    found: list[Finding] = []
    for result in results:
        found.extend(result)
    return found
