"""The request rules every use case shares: allowed fields, prompt, model, size, length, seed,
service tier, and whether some engine on the model's route can serve what is asked.

Plain functions over plain values, so the API (both body encodings), the CLI, the preflight and
the video service refuse the same things with the same messages.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from reelway import capabilities, catalog, errors, ids, numeric
from reelway.policy import drafts, preflight, pricing
from reelway.policy.moderation import Moderation

CREATE_FIELDS = frozenset(
    {
        "prompt",
        "model",
        "seconds",
        "size",
        "input_reference",
        "seed",
        "service_tier",
        "characters",
        "negative_prompt",
        "loop",
        "captions",
    }
)
REMIX_FIELDS = frozenset({"prompt", "service_tier"})
EDIT_FIELDS = frozenset({"prompt", "video", "model", "service_tier"})
EXTEND_FIELDS = frozenset(
    # characters and input_reference are named so that the refusal says why (not_allowed_on_
    # extension) instead of calling them unknown.
    {"prompt", "video", "seconds", "model", "service_tier", "characters", "input_reference"}
)
NOT_ON_EXTENSION = ("characters", "input_reference")
MAX_EXTENSIONS = 6
"""Extensions one chain may hold (OpenAI's guide)."""
MAX_EXTENDED_SECONDS = 120
"""The longest an extension chain's result may be (OpenAI's guide)."""
PREFLIGHT_FIELDS = frozenset(
    {"prompt", "model", "seconds", "size", "service_tier", "negative_prompt", "loop", "drafts"}
    | {"captions"}
)
PROMOTE_FIELDS = frozenset({"size", "model", "seconds", "service_tier"})
"""A promote's body: the final's size, and optionally its model, length and tier."""
LOOP_VALUES = {"true": True, "false": False}
"""``loop`` and ``captions`` as a form sends them (text); JSON sends true or false."""
SERVICE_TIERS = ("default", "relaxed")
NOT_YET_SUPPORTED: dict[str, str] = {}
"""OpenAI parameters an endpoint will take but does not yet (refused as unsupported, not
unknown)."""
MAX_SEED = 2**31 - 1

EngineInfos = Mapping[str, capabilities.EngineInfo]
"""Engine name -> what it can do (the engines the catalogue routes to)."""


def check_fields(params: Mapping[str, Any], allowed: frozenset[str]) -> None:
    for name in params:
        if name in allowed:
            continue
        if name in NOT_YET_SUPPORTED:
            raise errors.UnsupportedParameter(NOT_YET_SUPPORTED[name], param=name)
        raise errors.UnknownParameter(
            f"Unknown parameter: {errors.show(name)}. "
            f"Allowed parameters: {', '.join(sorted(allowed))}.",
            param=name,
        )


def model_size_seconds(
    models: catalog.Catalog, params: Mapping[str, Any]
) -> tuple[str, catalog.ModelSpec, str, tuple[int, int], int]:
    """The model as asked for (name or alias) and served, and a size (with its width and
    height) and length it allows; create and preflight validate alike."""
    model_name = optional_string(params, "model") or "sora-2"
    model = models.resolve(model_name)
    size = optional_string(params, "size") or model.default_size
    dimensions = model.check_size(size)
    seconds = model.check_seconds(whole_seconds(params.get("seconds"), model.default_seconds))
    return model_name, model, size, dimensions, seconds


def check_servable(
    model: catalog.ModelSpec, needs: capabilities.Needs, infos: EngineInfos | None
) -> None:
    """Refuse (400) a request that no engine on the model's route can serve.

    The parameter named is the one the route's first engine lacks.  Without ``infos`` (or
    when an engine on the route is not described in them) nothing is refused here.
    """
    if infos is None or not all(name in infos for name in model.route):
        return
    lacking = [capabilities.unmet(infos[name], needs) for name in model.route]
    first = lacking[0]
    if first is None or not all(lacking):
        return
    engines = ", ".join(repr(name) for name in model.route)
    message = (
        f"Model {model.name!r} cannot serve this request: no engine on its route ({engines}) "
        f"accepts its {first}"
    )
    if first == "size":
        message += f" {needs.size}"
    elif first == "seconds":
        message += f" of {needs.seconds}"
    message += "; change it or use another model."
    if first in ("size", "seconds"):
        raise errors.InvalidValue(message, param=first)
    raise errors.UnsupportedParameter(message, param=first)


def not_on_extension(params: Mapping[str, Any]) -> None:
    """An extension continues its source as it is: no characters, no input image."""
    for name in NOT_ON_EXTENSION:
        if params.get(name) is not None:
            raise errors.NotAllowedOnExtension(
                f"{name} is not accepted on an extension: it continues its source video as it "
                f"is. Leave {name} out (it is accepted on POST /v1/videos).",
                param=name,
            )


def extension_seconds(model: catalog.ModelSpec, value: Any) -> int:
    """The new segment's length: required, and one the model makes."""
    if value is None:
        raise errors.MissingParameter(
            "Missing required parameter: 'seconds' (the length of the new segment).",
            param="seconds",
        )
    return model.check_seconds(whole_seconds(value, 0))


def check_extension(source_seconds: int, chain: int, seconds: int) -> None:
    """Refuse an extension past the chain's limits: ``chain`` is how many extensions the
    source's chain already holds, ``source_seconds`` its length."""
    if chain >= MAX_EXTENSIONS:
        raise errors.TooManyExtensions(
            f"The source video ends a chain of {chain} extensions, the most one chain may "
            f"hold is {MAX_EXTENSIONS}; start a new video from it with an edit, or a new one.",
            param="video",
        )
    total = source_seconds + seconds
    if total > MAX_EXTENDED_SECONDS:
        room = MAX_EXTENDED_SECONDS - source_seconds
        raise errors.VideoTooLong(
            f"Extending a {source_seconds} s video by {seconds} s makes {total} s; an extended "
            f"video may be at most {MAX_EXTENDED_SECONDS} s, so at most {max(0, room)} s can "
            "be added.",
            param="seconds",
        )


def uploaded_video(
    model: catalog.ModelSpec, width: int, height: int, duration: float, *, longest: int
) -> tuple[str, int]:
    """The size and whole-second length of an uploaded source video, or a refusal: its size
    must be one the model makes (an edit keeps it) and its length at most ``longest``."""
    size = f"{width}x{height}"
    if size not in model.sizes:
        raise errors.VideoSizeNotAllowed(
            f"The uploaded video is {size}; model {model.name!r} makes "
            f"{', '.join(model.sizes)}. Resize it, or pick another model.",
            param="video",
        )
    seconds = max(1, round(duration))
    if seconds > longest:
        raise errors.VideoTooLong(
            f"The uploaded video is {duration:.1f} s long; at most {longest} s is accepted here.",
            param="video",
        )
    return size, seconds


def relaxed(value: Any) -> bool:
    """``service_tier``: Reelway's extension field; "relaxed" asks for relaxed mode."""
    if value is None or value == "default":
        return False
    if value == "relaxed":
        return True
    raise errors.InvalidValue(
        f"Invalid service_tier {errors.show(value)}. Allowed values: {', '.join(SERVICE_TIERS)}.",
        param="service_tier",
    )


def prompt(value: Any) -> str:
    if value is None:
        raise errors.MissingParameter("Missing required parameter: 'prompt'.", param="prompt")
    if not isinstance(value, str):
        raise errors.InvalidValue("prompt must be a string.", param="prompt")
    if not value.strip():
        raise errors.InvalidValue("prompt must not be empty.", param="prompt")
    if len(value) > catalog.MAX_PROMPT_CHARS:
        raise errors.InvalidValue(
            f"prompt is {len(value)} characters; the maximum is {catalog.MAX_PROMPT_CHARS}.",
            param="prompt",
        )
    if "\x00" in value:
        raise errors.InvalidValue("prompt must not contain NUL characters.", param="prompt")
    return value


def optional_string(params: Mapping[str, Any], name: str) -> str | None:
    value = params.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.InvalidValue(f"{name} must be a string, got {errors.show(value)}.", param=name)
    return value


def whole_seconds(value: Any, default: int) -> int:
    if value is None:
        return default
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 4:
        return int(value)
    raise errors.InvalidValue(
        f"seconds must be a whole number of seconds such as '8', got {errors.show(value)}.",
        param="seconds",
    )


def negative_prompt(model: catalog.ModelSpec, value: Any) -> str | None:
    """``negative_prompt``: Reelway's field, what the video must not show; None when absent or
    blank.  A model without the capability, or a text longer than the model takes, is refused
    with the model's limits."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise errors.InvalidValue(
            f"negative_prompt must be a string, got {errors.show(value)}.",
            param="negative_prompt",
        )
    if not value.strip():
        return None
    if "\x00" in value:
        raise errors.InvalidValue(
            "negative_prompt must not contain NUL characters.", param="negative_prompt"
        )
    if not model.has(catalog.Capability.NEGATIVE_PROMPT):
        raise errors.CapabilityNotSupported(
            f"Model {model.name!r} does not take a negative_prompt. {model.limits()}",
            param="negative_prompt",
        )
    if len(value) > model.negative_prompt_chars:
        raise errors.CapabilityNotSupported(
            f"negative_prompt is {len(value)} characters; model {model.name!r} takes at most "
            f"{model.negative_prompt_chars}. {model.limits()}",
            param="negative_prompt",
        )
    return value


def loop(model: catalog.ModelSpec, value: Any) -> bool:
    """``loop``: Reelway's field, true for a clip whose last frame flows into its first
    (JSON true/false, or a form's "true"/"false"); refused, with the model's limits, on a
    model that cannot loop."""
    if value is None:
        return False
    found = flag(value, "loop")
    if found and not model.has(catalog.Capability.LOOP):
        raise errors.CapabilityNotSupported(
            f"Model {model.name!r} cannot loop. {model.limits()}", param="loop"
        )
    return found


def captions(value: Any) -> bool | None:
    """``captions``: Reelway's field, false for a video without the storyboard captions a
    local engine draws (JSON true/false, or a form's "true"/"false"); None when absent, which
    leaves it to the deployment.  No capability: an engine that never captions has nothing to
    turn off, so every model takes it."""
    return None if value is None else flag(value, "captions")


def flag(value: Any, param: str) -> bool:
    """A boolean field: JSON true/false, or a form's "true"/"false" (any case)."""
    found = None
    if isinstance(value, bool):
        found = value
    elif isinstance(value, str):
        found = LOOP_VALUES.get(value.lower())
    if found is None:
        raise errors.InvalidValue(
            f"{param} must be true or false, got {errors.show(value)}.", param=param
        )
    return found


def extras(model: catalog.ModelSpec, params: Mapping[str, Any]) -> tuple[str | None, bool]:
    """A create's ``negative_prompt`` and ``loop``, checked against the model (``captions``
    is checked here too, so a create and a preflight refuse a bad one alike)."""
    captions(params.get("captions"))
    return negative_prompt(model, params.get("negative_prompt")), loop(model, params.get("loop"))


def extra_needs(negative: str | None, looped: bool) -> frozenset[catalog.Capability]:
    """The capabilities an engine needs to honour ``negative_prompt`` and ``loop``."""
    found = set()
    if negative is not None:
        found.add(catalog.Capability.NEGATIVE_PROMPT)
    if looped:
        found.add(catalog.Capability.LOOP)
    return frozenset(found)


def seed(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 10:
        value = int(value)
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_SEED:
        return value
    raise errors.InvalidValue(
        f"seed must be an integer from 0 to {MAX_SEED}, got {errors.show(value)}.", param="seed"
    )


async def check_prompt(
    models: catalog.Catalog,
    moderation: Moderation,
    params: Mapping[str, Any],
    engine_infos: EngineInfos | None = None,
) -> dict[str, Any]:
    """The preflight: what a create with these parameters would meet, without creating it.

    Shared by ``POST /v1/videos/preflight`` and ``reelway lint``; nothing is counted, queued or
    charged.  Parameters are validated exactly as a create validates them (the route check
    too, when the engines are known).
    """
    check_fields(params, PREFLIGHT_FIELDS)
    text = prompt(params.get("prompt"))
    _, model, size, _, seconds = model_size_seconds(models, params)
    is_relaxed = relaxed(params.get("service_tier"))
    used = extra_needs(*extras(model, params))
    check_servable(model, capabilities.Needs(size, seconds, used), engine_infos)
    review = preflight.review(text, seconds=seconds)
    cost = pricing.estimate(model, size, seconds, relaxed=is_relaxed)
    planned = draft_plan(model, size, seconds, params.get("drafts"), is_relaxed)
    return {
        "object": "video.preflight",
        "model": model.name,
        "size": size,
        "seconds": str(seconds),
        "moderation": await moderation.preflight(text),
        **review.to_dict(),
        "estimate": {
            "credits": cost.credits,
            "cost_usd": cost.usd,
            "relaxed": cost.relaxed,
        },
        **planned,
    }


def draft_plan(
    model: catalog.ModelSpec, size: str, seconds: int, value: Any, is_relaxed: bool
) -> dict[str, Any]:
    """The preflight's ``draft_plan`` when it was asked for (``drafts``: 1 to 100 iterations at
    480p, then one promote); null where the model has no 480p draft of ``size``."""
    if value is None:
        return {}
    count = value if isinstance(value, int) and not isinstance(value, bool) else None
    if isinstance(value, str):
        count = numeric.whole(value, 1, drafts.MAX_DRAFTS)
    if count is None or not 1 <= count <= drafts.MAX_DRAFTS:
        raise errors.InvalidValue(
            f"Invalid drafts {errors.show(value)}. Allowed values: integers from 1 to "
            f"{drafts.MAX_DRAFTS} (the iterations rendered at 480p before one promote).",
            param="drafts",
        )
    found = drafts.plan(model, size, seconds, count, relaxed=is_relaxed)
    return {"draft_plan": None if found is None else found.to_dict()}


# ---------------------------------------------------------------------- list pages

MAX_LIST_LIMIT = 100
DEFAULT_LIST_LIMIT = 20


@dataclass(frozen=True)
class PageAsk:
    """A list request's cursor, size and order, checked (videos and characters alike)."""

    after: str | None
    limit: int
    descending: bool


def page(after: str | None, limit: str | None, order: str | None, what: str) -> PageAsk:
    """``after``, ``limit`` and ``order`` as a list endpoint takes them; ``what`` names the
    listed thing in the refusal of an ``after`` that cannot be one of its ids."""
    count = DEFAULT_LIST_LIMIT
    if limit is not None and limit != "":
        found = numeric.whole(limit, 0, MAX_LIST_LIMIT)
        if found is None:
            raise errors.InvalidValue(
                f"Invalid limit {errors.show(limit)}. Allowed values: integers from 0 to "
                f"{MAX_LIST_LIMIT}.",
                param="limit",
            )
        count = found
    if order not in (None, "asc", "desc"):
        raise errors.InvalidValue(
            f"Invalid order {errors.show(order)}. Allowed values: asc, desc.", param="order"
        )
    if after and not ids.well_formed(after):
        raise unknown_after(after, what)
    return PageAsk(after=after or None, limit=count, descending=order != "asc")


def unknown_after(after: str | None, what: str) -> errors.InvalidValue:
    """The refusal of a cursor that names nothing in the project."""
    return errors.InvalidValue(
        f"after={errors.show(after)} is not the id of {what} in this project.", param="after"
    )
