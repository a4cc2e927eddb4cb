"""Build the safety parts from Settings: the moderation pipeline and the C2PA signer.

Kept apart from ``runtime`` so that the choice of backends and credentials, and the warnings
an operator must see at start-up, live in one short place.
"""

from __future__ import annotations

import importlib
import logging

from reelway.media import certificates, provenance, watermark
from reelway.policy import faces, hosted_moderation, prompt_rules
from reelway.policy.moderation import ImageBackend, Moderation, TextBackend
from reelway.settings import Settings

log = logging.getLogger(__name__)


def moderation(settings: Settings) -> Moderation:
    """The backends each stage runs, in order: rules, faces, hosted, then third-party ones."""
    prompt: list[TextBackend] = []
    input_image: list[ImageBackend] = []
    output: list[ImageBackend] = []
    if settings.moderation_prompt_rules:
        prompt.append(prompt_rules.load(settings.moderation_rules))
    if settings.moderation_faces:
        input_image.append(faces.FaceDetector())
    if settings.moderation_url:
        hosted = hosted_moderation.HostedModeration(
            settings.moderation_url,
            settings.moderation_api_key,
            model=settings.moderation_model,
            timeout_seconds=settings.moderation_timeout_seconds,
        )
        stages = {s.strip() for s in settings.moderation_stages.split(",")}
        if "prompt" in stages:
            prompt.append(hosted)
        if "input_image" in stages:
            input_image.append(hosted)
        if "output" in stages:
            output.append(hosted)
    for spec in filter(None, (s.strip() for s in settings.moderation_backends.split(","))):
        backend = _third_party(spec, settings)
        if isinstance(backend, TextBackend):
            prompt.append(backend)
        if isinstance(backend, ImageBackend):
            input_image.append(backend)
            output.append(backend)
    return Moderation(
        prompt=prompt,
        input_image=input_image,
        output=output,
        detail=settings.moderation_detail,
        output_frames=settings.moderation_output_frames,
    )


def _third_party(spec: str, settings: Settings) -> object:
    module_name, _, factory_name = spec.partition(":")
    if not module_name or not factory_name:
        raise ValueError(f"moderation backend {spec!r} must be written module:factory")
    try:
        factory = getattr(importlib.import_module(module_name), factory_name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"moderation backend {spec!r} cannot be loaded: {exc}") from None
    backend = factory(settings)
    if not isinstance(backend, TextBackend | ImageBackend):
        raise ValueError(
            f"moderation backend {spec!r} has neither check_text nor check_image (and a name)"
        )
    return backend


def mark(settings: Settings) -> watermark.Watermark:
    """The deployment's watermark, checked at start-up so a bad setting names itself."""
    try:
        return watermark.Watermark(
            text=settings.watermark_text, position=settings.watermark_position
        )
    except ValueError as exc:
        raise ValueError(f"REELWAY_WATERMARK_TEXT / REELWAY_WATERMARK_POSITION: {exc}") from None


def signer(settings: Settings) -> provenance.Signer:
    """The operator's certificate, or a development CA made on first start (said loudly)."""
    credentials = certificates.resolve(settings.c2pa_cert, settings.c2pa_key, settings.data_dir)
    if credentials.development:
        log.warning(
            "C2PA: signing with a development certificate from %s; readers will report it as "
            "untrusted. Set REELWAY_C2PA_CERT and REELWAY_C2PA_KEY to sign with your own.",
            settings.data_dir / "c2pa",
        )
    return provenance.Signer(credentials)
