"""Wire shapes: Reelway records rendered exactly as the OpenAI SDKs parse them."""

from __future__ import annotations

from typing import Any

from reelway import catalog, jobs
from reelway.characters import Character


def _seconds(value: float | None) -> int | None:
    return None if value is None else int(value)


def video(v: jobs.Video) -> dict[str, Any]:
    """The Video object: always all 13 keys, ``null`` where empty; a relaxed-mode video also
    says so (``service_tier``) and when its window let it start (``scheduled_at``), and a
    remix rendered as a new generation says that (``rendered_as``), a local model's video how
    it was made (``rendered_with``), and an edit or extension of a stored video names it
    (``edited_from_video_id``, ``extended_from_video_id``)."""
    found = {
        "id": v.id,
        "object": "video",
        "model": v.model,
        "status": v.public_status,
        "progress": int(v.progress),
        "created_at": int(v.created_at),
        "completed_at": _seconds(v.completed_at),
        "expires_at": _seconds(v.expires_at),
        "prompt": v.prompt,
        "size": v.size,
        "seconds": v.seconds,
        "remixed_from_video_id": v.remixed_from_video_id,
        "error": _error(v.error),
    }
    if v.priority == jobs.RELAXED_PRIORITY:
        found["service_tier"] = "relaxed"
        found["scheduled_at"] = int(v.run_at)
    if v.rendered_as is not None:
        # A remix that an engine without remix rendered as a new generation: say so.
        found["rendered_as"] = v.rendered_as
    if v.rendered_with is not None:
        # How a local open model made it (native size, frames, steps): Reelway's addition.
        found["rendered_with"] = v.rendered_with
    source = SOURCE_KEYS.get(v.kind)
    if source is not None and v.sources.video_id is not None:
        # Reelway's addition beside remixed_from_video_id: what an edit or extension started
        # from (absent for an uploaded source).
        found[source] = v.sources.video_id
    return found


SOURCE_KEYS = {
    jobs.JobKind.EDIT: "edited_from_video_id",
    jobs.JobKind.EXTEND: "extended_from_video_id",
}


def _error(error: jobs.JobError | None) -> dict[str, Any] | None:
    """Code and message only: the failover history and the provider's own codes and request
    ids stay with the operator (``reelway doctor``)."""
    if error is None:
        return None
    shown: dict[str, Any] = {"code": error.code, "message": error.message}
    for extra in ("category", "stage"):  # a moderation refusal says what and where
        if extra in error.details:
            shown[extra] = error.details[extra]
    return shown


def shot(v: jobs.Video, cost_usd: float | None) -> dict[str, Any]:
    """One shot of a storyboard (``GET /v1/videos/{id}/shots``): Reelway's own object, whose
    ``video_id`` is a video of its own (retrieve and download it by id)."""
    return {
        "index": v.sources.shot_index,
        "status": v.public_status,
        "progress": int(v.progress),
        "prompt": v.prompt,
        "seconds": v.seconds,
        "transition": v.sources.transition,
        "engine": v.engine,
        "cost_usd": cost_usd,
        "error": _error(v.error),
        "video_id": v.id,
    }


def shot_list(shots: list[dict[str, Any]]) -> dict[str, Any]:
    return {"object": "list", "data": shots}


def video_list(videos: list[jobs.Video], has_more: bool) -> dict[str, Any]:
    """A ConversationCursorPage: the SDK pages on ``last_id``, so it must be the last item."""
    return {
        "object": "list",
        "data": [video(v) for v in videos],
        "first_id": videos[0].id if videos else None,
        "last_id": videos[-1].id if videos else None,
        "has_more": has_more,
    }


def deleted(video_id: str) -> dict[str, Any]:
    return {"id": video_id, "object": "video.deleted", "deleted": True}


def model(m: catalog.ModelSpec) -> dict[str, Any]:
    """OpenAI's Model object plus what a video client needs to know about it."""
    sizes = [catalog.parse_size(s) for s in m.sizes]
    return {
        "id": m.name,
        "object": "model",
        "created": m.created,
        "owned_by": "reelway",
        "description": m.description,
        "aliases": list(m.aliases),
        "sizes": list(m.sizes),
        "reelway_sizes": list(m.reelway_sizes),
        "seconds": [str(s) for s in m.seconds],
        "default_size": m.default_size,
        "default_seconds": str(m.default_seconds),
        "capabilities": sorted(c.value for c in m.capabilities),
        "legacy": m.legacy,
        "limits": m.limits(),
        "engines": list(m.route),
        "pricing": {
            "currency": "usd",
            "per_second": {
                s: m.price_usd(w, h, 1) for s, (w, h) in zip(m.sizes, sizes, strict=True)
            },
            "credits_per_second": {
                s: m.credits(w, h, 1) for s, (w, h) in zip(m.sizes, sizes, strict=True)
            },
        },
    }


def model_list(models: tuple[catalog.ModelSpec, ...]) -> dict[str, Any]:
    return {"object": "list", "data": [model(m) for m in models]}


def character(c: Character) -> dict[str, Any]:
    """The Character object exactly as upstream answers it: no ``object``, no ``status``."""
    return {"id": c.id, "name": c.name, "created_at": int(c.created_at)}


def character_list(characters: list[Character], has_more: bool) -> dict[str, Any]:
    """Reelway's list of a project's characters, paged like the video list."""
    return {
        "object": "list",
        "data": [character(c) for c in characters],
        "first_id": characters[0].id if characters else None,
        "last_id": characters[-1].id if characters else None,
        "has_more": has_more,
    }


def character_deleted(character_id: str) -> dict[str, Any]:
    return {"id": character_id, "object": "character.deleted", "deleted": True}
