"""C2PA Content Credentials: sign what Reelway delivers, and read a file's manifest back.

Every video, thumbnail and spritesheet gets a manifest saying it is AI-generated
(IPTC ``trainedAlgorithmicMedia``), by which model and engine, for which video id.  The prompt
is left out on purpose: a manifest travels with the file to whoever it is shared with.  When a
provider delivered its own signed file, that file becomes the ``parentOf`` ingredient, so its
manifest stays inside Reelway's and the chain of custody is kept.  Signing is offline (no
timestamp authority), so a manifest is only as trusted as the certificate that signed it.
"""

from __future__ import annotations

import io
import json
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal

import c2pa

from reelway import images
from reelway.media.certificates import CertificateError, Credentials

TRAINED_ALGORITHMIC_MEDIA = "http://cv.iptc.org/newscodes/digitalsourcetype/trainedAlgorithmicMedia"
GENERATION_LABEL = "org.reelway.generation"
MIME_TYPES = ("video/mp4", "image/webp", "image/jpeg")
_SUFFIXES = {
    ".mp4": "video/mp4",
    ".m4v": "video/mp4",
    ".mov": "video/quicktime",
    ".webp": "image/webp",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".png": "image/png",
}
# What each edit name becomes in c2pa.actions; any other "c2pa.*" name is used as it is,
# anything else is recorded as c2pa.edited with the name as its description.
EDIT_ACTIONS = {
    "watermark": ("c2pa.edited", "Added a visible watermark"),
    "remux": ("c2pa.repackaged", "Re-muxed into MP4 without re-encoding"),
    "transcode": ("c2pa.transcoded", "Re-encoded"),
    "resize": ("c2pa.resized", "Resized"),
}
_PARENT_ID = "parent"
_COMPONENT_ID = "component{}"
_UNTRUSTED = "signingCredential.untrusted"

State = Literal["Valid", "Trusted", "Invalid", "Missing"]
_STATES: dict[str, State] = {"Valid": "Valid", "Trusted": "Trusted", "Invalid": "Invalid"}


@dataclass(frozen=True)
class Component:
    """A file the output is made from besides its parent: an edit's or extension's source
    video, a stitched segment.  Listed as a ``componentOf`` ingredient, so a signed source
    keeps its own manifest inside the new one."""

    path: Path
    title: str


class ProvenanceError(Exception):
    """Signing failed; the message carries c2pa's reason."""


@dataclass(frozen=True)
class Claim:
    """What a manifest states about one output file (never the prompt)."""

    title: str
    model: str
    engine: str
    video_id: str
    reelway_version: str
    digital_source_type: str = TRAINED_ALGORITHMIC_MEDIA
    parent_title: str | None = None
    """The ingredient's title, e.g. "sora-2 output"; defaults to its file name."""
    extra: Mapping[str, Any] = field(default_factory=dict)
    """More JSON-able facts for the generation assertion (size, seconds, variant…)."""

    def generation(self) -> dict[str, Any]:
        return {
            **self.extra,
            "model": self.model,
            "engine": self.engine,
            "video_id": self.video_id,
            "reelway_version": self.reelway_version,
        }


@dataclass(frozen=True)
class Report:
    """What ``read`` found: the validation state and the facts a verifier cares about."""

    state: State
    active_label: str | None = None
    generator: str | None = None
    assertions: list[str] = field(default_factory=list)
    digital_source_type: str | None = None
    generation: dict[str, Any] | None = None
    ingredients: list[dict[str, Any]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    issuer: str | None = None
    common_name: str | None = None

    @property
    def ok(self) -> bool:
        return self.state in ("Valid", "Trusted")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Signer:
    """Signs files with one set of credentials; safe to share between threads.

    The native signer is made per call: it costs about 0.4 ms against 1-5 ms of signing,
    and spares reasoning about a shared native handle's lifetime (c2pa-python refuses to
    close one that is in use, and a forked child cannot use its parent's).  Construction
    signs a tiny image once, with c2pa-rs verifying what it wrote, so credentials that it
    would reject stop the start rather than the first delivery.

    Deliveries are signed without c2pa-rs's verify-after-sign (on by default): it reads
    the new manifest back and hashes the whole asset again, about 60% of the CPU of
    signing a remote job's three files (a 0.3 MB MP4 with its parent: 7.6 -> 3 ms; a
    thumbnail 1.8 -> 0.7 ms).  What it would catch, credentials c2pa-rs rejects, the
    construction's check has caught; the files themselves are read back by the tests.
    """

    def __init__(self, credentials: Credentials) -> None:
        self.credentials = credentials
        # A claim thumbnail inside a thumbnail (or spritesheet) only adds bytes and ~60 ms.
        builder = {"builder": {"thumbnail": {"enabled": False}}}
        checking = c2pa.Context(c2pa.Settings.from_dict(builder))
        self._context = c2pa.Context(
            c2pa.Settings.from_dict({**builder, "verify": {"verify_after_sign": False}})
        )
        try:
            self._sign_stream(
                _probe_jpeg(), io.BytesIO(), "image/jpeg", _PROBE_CLAIM, None, (), context=checking
            )
        except ProvenanceError as exc:
            raise CertificateError(f"c2pa refused the signing credentials: {exc}") from None

    def sign(
        self,
        src: Path,
        dst: Path,
        mime: str,
        claim: Claim,
        ingredient: Path | None = None,
        edits: Sequence[str] = (),
        components: Sequence[Component] = (),
    ) -> None:
        """Write ``src`` with a manifest to ``dst`` (which may be ``src``), atomically."""
        if mime not in MIME_TYPES:
            raise ValueError(f"cannot sign {mime}; expected one of {', '.join(MIME_TYPES)}")
        fd, temp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".c2pa")
        try:
            os.fchmod(fd, os.stat(src).st_mode & 0o777)  # mkstemp's 0600 would stick
            with open(src, "rb") as source, os.fdopen(fd, "w+b") as out:
                self._sign_stream(source, out, mime, claim, ingredient, edits, components)
            os.replace(temp, dst)
        except BaseException:
            Path(temp).unlink(missing_ok=True)
            raise

    def _sign_stream(
        self,
        source: Any,
        out: Any,
        mime: str,
        claim: Claim,
        ingredient: Path | None,
        edits: Sequence[str],
        components: Sequence[Component] = (),
        context: Any = None,
    ) -> None:
        creds = self.credentials
        info = c2pa.C2paSignerInfo(creds.algorithm, creds.chain_pem, creds.key_pem, None)
        try:
            builder = c2pa.Builder(
                manifest(mime, claim, ingredient is not None, edits, len(components)),
                self._context if context is None else context,
            )
            if ingredient is not None:
                title = claim.parent_title or ingredient.name
                with open(ingredient, "rb") as parent:
                    builder.add_ingredient(
                        {"title": title, "relationship": "parentOf", "label": _PARENT_ID},
                        guess_mime(ingredient),
                        parent,
                    )
            for number, component in enumerate(components):
                with open(component.path, "rb") as part:
                    builder.add_ingredient(
                        {
                            "title": component.title,
                            "relationship": "componentOf",
                            "label": _COMPONENT_ID.format(number),
                        },
                        guess_mime(component.path),
                        part,
                    )
            with c2pa.Signer.from_info(info) as signer:
                builder.sign(signer, mime, source, out)
        except c2pa.C2paError as exc:
            raise ProvenanceError(str(exc).strip()) from None


def manifest(
    mime: str, claim: Claim, has_parent: bool, edits: Sequence[str], components: int = 0
) -> dict[str, Any]:
    """The manifest definition: generator, actions, and Reelway's generation assertion.

    ``components`` ingredients (a source video, a stitched segment) are named by one
    ``c2pa.placed`` action after the first.

    With a parent the first action is ``c2pa.opened`` pointing at it: c2pa-rs 0.91 accepts
    ``c2pa.created`` beside a parentOf ingredient, but the C2PA spec reserves ``created`` for
    assets without a parent.  The source type is stated on the first action either way.
    """
    agent = {"name": "Reelway", "version": claim.reelway_version}
    first: dict[str, Any] = {
        "action": "c2pa.opened" if has_parent else "c2pa.created",
        "digitalSourceType": claim.digital_source_type,
        "softwareAgent": agent,
    }
    if has_parent:
        first["parameters"] = {"ingredientIds": [_PARENT_ID]}
    actions = [first]
    if components:
        actions.append(
            {
                "action": "c2pa.placed",
                "softwareAgent": agent,
                "parameters": {
                    "ingredientIds": [_COMPONENT_ID.format(n) for n in range(components)]
                },
            }
        )
    for edit in edits:
        name, description = EDIT_ACTIONS.get(
            edit, (edit, None) if edit.startswith("c2pa.") else ("c2pa.edited", edit)
        )
        action = {"action": name, "softwareAgent": agent}
        if description:
            action["description"] = description
        actions.append(action)
    return {
        "claim_generator_info": [agent],
        "title": claim.title,
        "format": mime,
        "assertions": [
            {"label": "c2pa.actions", "data": {"actions": actions}},
            {"label": GENERATION_LABEL, "data": claim.generation()},
        ],
    }


def read(path: Path, mime: str | None = None, trust_pem: bytes | None = None) -> Report:
    """Validate ``path``'s manifest; trust ``trust_pem``'s roots to get "Trusted".

    An unsigned file reads as "Missing"; a manifest c2pa cannot even parse reads as "Invalid".
    """
    settings: dict[str, Any] = {"builder": {"thumbnail": {"enabled": False}}}
    if trust_pem is not None:
        settings["trust"] = {"trust_anchors": trust_pem.decode("ascii")}
    context = c2pa.Context(c2pa.Settings.from_dict(settings))
    try:
        with (
            open(path, "rb") as stream,
            c2pa.Reader(mime or guess_mime(path), stream, None, context) as reader,
        ):
            store = json.loads(reader.json())
            state = reader.get_validation_state()
    except c2pa.C2paError.ManifestNotFound:
        return Report("Missing")
    except c2pa.C2paError.NotSupported as exc:
        raise ValueError(f"{path}: c2pa cannot read this format ({exc})") from None
    except c2pa.C2paError as exc:
        return Report("Invalid", failures=[f"error: {str(exc).strip()}"])
    return _report(store, state)


def _report(store: dict[str, Any], state: str | None) -> Report:
    manifests: dict[str, Any] = store.get("manifests", {})
    label = store.get("active_manifest")
    active = manifests.get(label or "", {})
    results = store.get("validation_results", {}).get("activeManifest", {})
    failures = [f["code"] for f in results.get("failure", [])]
    signature = active.get("signature_info", {})
    return Report(
        state=_STATES.get(state or "", "Invalid"),
        active_label=label,
        generator=_generator(active),
        assertions=[a["label"] for a in active.get("assertions", [])],
        digital_source_type=_source_type(active, manifests),
        generation=next(
            (a.get("data") for a in active.get("assertions", []) if a["label"] == GENERATION_LABEL),
            None,
        ),
        ingredients=[_ingredient(i, manifests) for i in active.get("ingredients", [])],
        failures=failures,
        issuer=signature.get("issuer"),
        common_name=signature.get("common_name"),
    )


def _generator(manifest: Mapping[str, Any]) -> str | None:
    infos = manifest.get("claim_generator_info") or []
    if infos:
        return " ".join(str(infos[0].get(k)) for k in ("name", "version") if infos[0].get(k))
    return manifest.get("claim_generator")


def _source_type(manifest: Mapping[str, Any], manifests: Mapping[str, Any]) -> str | None:
    """The first action's digitalSourceType, else the parent manifest's."""
    for assertion in manifest.get("assertions", []):
        if assertion["label"].startswith("c2pa.actions"):
            for action in assertion.get("data", {}).get("actions", []):
                if action.get("digitalSourceType"):
                    return str(action["digitalSourceType"])
    for ingredient in manifest.get("ingredients", []):
        parent = manifests.get(ingredient.get("active_manifest") or "")
        if ingredient.get("relationship") == "parentOf" and parent:
            return _source_type(parent, manifests)
    return None


def _ingredient(ingredient: Mapping[str, Any], manifests: Mapping[str, Any]) -> dict[str, Any]:
    """An ingredient and, when it carried a manifest, its signer and recorded validation."""
    label = ingredient.get("active_manifest")
    parent = manifests.get(label or "", {})
    results = ingredient.get("validation_results", {}).get("activeManifest", {})
    failures = [f["code"] for f in results.get("failure", [])]
    state = None
    if label:
        state = "Invalid" if any(code != _UNTRUSTED for code in failures) else "Valid"
    signature = parent.get("signature_info", {})
    return {
        "title": ingredient.get("title"),
        "format": ingredient.get("format"),
        "relationship": ingredient.get("relationship"),
        "has_manifest": bool(label),
        "validation_state": state,
        "failures": failures,
        "generator": _generator(parent) if parent else None,
        "issuer": signature.get("issuer"),
        "common_name": signature.get("common_name"),
    }


def guess_mime(path: Path) -> str:
    """From the suffix, else from the first bytes; c2pa re-checks the container itself."""
    if path.suffix.lower() in _SUFFIXES:
        return _SUFFIXES[path.suffix.lower()]
    with open(path, "rb") as f:
        head = f.read(16)
    if head[4:8] == b"ftyp":
        return "video/mp4"
    kind = images.sniff(head)
    return images.FORMATS[kind] if kind else "application/octet-stream"


_PROBE_CLAIM = Claim("probe", "probe", "probe", "probe", "0")


def _probe_jpeg() -> io.BytesIO:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (16, 16)).save(buffer, "JPEG")
    buffer.seek(0)
    return buffer
