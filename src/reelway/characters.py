"""Characters: create, read, list and delete a project's characters, and check the ones a
create asks its video to show.

A character is a name and a 2-4 s MP4 clip.  The clip is checked before anything is stored:
an MP4 whose frames decode, of 2-4 seconds, and a few frames screened by the input-image
moderation (the face detector, on by default with ``REELWAY_MODERATION_FACES``, refuses a real
human face exactly as it refuses an input image; a hosted moderation service too when its
``input_image`` stage is on).  A create may name at most two characters, each of the
project, each named verbatim in the prompt (the id alone is not enough, as upstream).
"""

from __future__ import annotations

import asyncio
import io
import shutil
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, Protocol, runtime_checkable

import av

from reelway import errors, ids, validation
from reelway.media import frames, probe
from reelway.policy.moderation import Moderation
from reelway.storage import Storage
from reelway.store.characters import Character, CharacterStore

__all__ = ["Character", "CharacterService", "Page", "check_clip", "clip_key"]

CREATE_FIELDS = frozenset({"name", "video"})
MAX_NAME_CHARS = 80
MIN_SECONDS = 2.0
MAX_SECONDS = 4.0
SLACK_SECONDS = 0.1
"""A clip this much outside 2-4 s still passes (encoders round a 4 s clip to 4.02 s)."""
MAX_PIXELS = 3840 * 2160
"""A clip's frames are decoded to be screened: larger ones are refused first."""
MAX_FRAMES = round((MAX_SECONDS + SLACK_SECONDS) * 120)
"""At most 120 frames a second: decoding stops (and the clip is refused) past this, whatever
its header claims."""
SCREENED_FRAMES = 4
"""Frames spread over the clip that the input-image moderation sees."""
MAX_PER_VIDEO = 2
CLIP_TYPE = "video/mp4"


@runtime_checkable
class FilePart(Protocol):
    """An uploaded file part (the API's ``service.Upload``)."""

    filename: str | None
    file: BinaryIO


@dataclass(frozen=True)
class Clip:
    """What the checks learnt of an uploaded clip."""

    width: int
    height: int
    duration: float
    frames: list[bytes]
    """JPEGs spread over the clip, for moderation."""


@dataclass(frozen=True)
class Page:
    characters: list[Character]
    has_more: bool


def clip_key(character_id: str) -> str:
    return f"characters/{character_id}/clip.mp4"


class CharacterService:
    def __init__(
        self,
        store: CharacterStore,
        storage: Storage,
        moderation: Moderation,
        *,
        tmp_dir: Path,
    ) -> None:
        self.store = store
        self.storage = storage
        self.moderation = moderation
        self.tmp_dir = tmp_dir

    # ------------------------------------------------------------------ create

    async def create(self, project_id: str, params: Mapping[str, Any]) -> Character:
        """Check the name and the clip, store the clip, then the row (the clip is removed
        again if the row cannot be written)."""
        validation.check_fields(params, CREATE_FIELDS)
        name = _name(params.get("name"))
        upload = _upload(params.get("video"))
        await self.moderation.screen_prompt(name, param="name")
        character_id = ids.new_id("char")
        key = clip_key(character_id)
        folder = await asyncio.to_thread(
            tempfile.mkdtemp, prefix="character-upload-", dir=self.tmp_dir
        )
        try:
            path = Path(folder) / "clip.mp4"
            await asyncio.to_thread(_spool, upload.file, path)
            clip = await asyncio.to_thread(check_clip, path)
            await self._screen(clip.frames)
            try:
                await self.storage.put_file(key, path, CLIP_TYPE)
                return await self.store.insert(
                    character_id,
                    project_id,
                    name,
                    key,
                    width=clip.width,
                    height=clip.height,
                    duration=clip.duration,
                )
            except BaseException:
                await self.storage.delete_prefix(f"characters/{character_id}/")
                raise
        finally:
            await asyncio.to_thread(shutil.rmtree, folder, True)

    async def _screen(self, images: Sequence[bytes]) -> None:
        """Each frame through the input-image moderation, worded for a clip."""
        if not self.moderation.input_image:
            return
        for image in images:
            try:
                await self.moderation.screen_input_image(image, param="video")
            except errors.ContentBlocked as exc:
                raise errors.ContentBlocked(
                    exc.message.replace("The input image", "The character clip", 1),
                    param="video",
                    details=exc.details,
                ) from None

    # ------------------------------------------------------------------ read

    async def get(self, project_id: str, character_id: str) -> Character:
        found = await self.store.get(project_id, character_id)
        if found is None:
            raise errors.CharacterNotFound(
                f"Character with id {errors.show(character_id)} not found.",
                param="character_id",
            )
        return found

    async def list(
        self, project_id: str, *, after: str | None, limit: str | None, order: str | None
    ) -> Page:
        ask = validation.page(after, limit, order, "a character")
        try:
            found, more = await self.store.list_page(
                project_id, after=ask.after, limit=ask.limit, descending=ask.descending
            )
        except LookupError:
            raise validation.unknown_after(after, "a character") from None
        return Page(found, more)

    # ------------------------------------------------------------------ delete

    async def delete(self, project_id: str, character_id: str) -> Character:
        """Forget the character and remove its clip.  Videos already made keep what they
        show; a video still waiting that names it fails when its worker cannot find it."""
        found = await self.store.delete(project_id, character_id)
        if found is None:
            raise errors.CharacterNotFound(
                f"Character with id {errors.show(character_id)} not found.",
                param="character_id",
            )
        await self.storage.delete_prefix(f"characters/{found.id}/")
        return found

    # ------------------------------------------------------------------ on a create

    async def referenced(self, project_id: str, value: Any, prompt: str) -> tuple[str, ...]:
        """The character ids a create's ``characters`` names, checked: a list of at most two
        ``{"id": …}`` objects (JSON, or the multipart ``characters[][id]`` parts), each a
        character of the project, each named verbatim in the prompt."""
        wanted = _requested(value)
        if not wanted:
            return ()
        found = await self.store.get_many(wanted, project_id=project_id)
        for index, character_id in enumerate(wanted):
            if character_id not in found:
                raise errors.CharacterNotFound(
                    f"Character with id {errors.show(character_id)} not found in this project.",
                    param=f"characters[{index}].id",
                )
        missing = [found[i].name for i in wanted if found[i].name not in prompt]
        if missing:
            names = ", ".join(repr(name) for name in missing)
            raise errors.CharacterNotInPrompt(
                f"The prompt must name each character it uses, exactly as the character is "
                f"named; it does not contain {names}.",
                param="characters",
            )
        return tuple(wanted)


# ---------------------------------------------------------------------- checks


def _name(value: Any) -> str:
    if value is None:
        raise errors.MissingParameter("Missing required parameter: 'name'.", param="name")
    if not isinstance(value, str):
        raise errors.InvalidValue("name must be a string.", param="name")
    if not value.strip():
        raise errors.InvalidValue("name must not be empty.", param="name")
    if len(value) > MAX_NAME_CHARS:
        raise errors.InvalidValue(
            f"name is {len(value)} characters; the maximum is {MAX_NAME_CHARS}.", param="name"
        )
    if any(ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise errors.InvalidValue("name must not contain control characters.", param="name")
    return value


def _upload(value: Any) -> FilePart:
    if value is None:
        raise errors.MissingParameter(
            "Missing required parameter: 'video' (the character's MP4 clip, uploaded as a "
            "multipart file part).",
            param="video",
        )
    if not isinstance(value, FilePart):
        raise errors.InvalidValue(
            "video must be an MP4 file uploaded as a multipart/form-data file part.",
            param="video",
        )
    return value


def _spool(source: BinaryIO, target: Path) -> None:
    source.seek(0)
    with target.open("wb") as out:
        shutil.copyfileobj(source, out, 1024 * 1024)


def check_clip(path: Path) -> Clip:
    """An MP4 (``ftyp`` and ``moov`` boxes) whose frames all decode, 2-4 s long as decoded
    (not only as its header says: a truncated upload is refused), at most ``MAX_PIXELS`` a
    frame.  Runs in a thread: it decodes the whole clip once."""
    try:
        atoms = {atom.kind for atom in probe.top_level_atoms(path)}
        if "moov" not in atoms or "ftyp" not in atoms:
            raise ValueError("no ftyp and moov boxes")
        info = probe.probe(path)
    except Exception as exc:  # any container or decoder failure: the upload is at fault
        raise _unreadable(exc, path) from None
    if info.width * info.height > MAX_PIXELS:
        raise errors.InvalidVideo(
            f"The character clip is {info.width}x{info.height}; the most this server reads is "
            f"{MAX_PIXELS} pixels a frame (3840x2160).",
            param="video",
        )
    duration = info.duration or (info.frames / info.fps if info.fps else 0.0)
    _check_duration(duration)
    try:
        sampled, decoded = _sample(path, info.frames)
    except errors.InvalidVideo:
        raise
    except Exception as exc:
        raise _unreadable(exc, path) from None
    if decoded < 0.9 * info.frames or not sampled:
        raise errors.InvalidVideo(
            f"The character clip ends early: {decoded} of its {info.frames} frames decode (a "
            "truncated upload?); send the whole MP4 file.",
            param="video",
        )
    if info.fps:
        duration = min(duration, decoded / info.fps)
        _check_duration(duration)
    return Clip(info.width, info.height, duration, sampled)


def _check_duration(duration: float) -> None:
    if not MIN_SECONDS - SLACK_SECONDS <= duration <= MAX_SECONDS + SLACK_SECONDS:
        raise errors.CharacterClipDuration(
            f"The character clip is {duration:.2f} s long; a character's clip must be "
            f"{MIN_SECONDS:g} to {MAX_SECONDS:g} seconds.",
            param="video",
        )


def _sample(path: Path, expected: int) -> tuple[list[bytes], int]:
    """JPEGs of ``SCREENED_FRAMES`` frames spread over the clip, and how many frames decode
    (one pass; the clip is at most a few seconds)."""
    last = max(0, expected - 1)
    wanted = {round(i * last / (SCREENED_FRAMES - 1)) for i in range(SCREENED_FRAMES)}
    picked: list[bytes] = []
    count = 0
    final: Any = None
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            if count >= MAX_FRAMES:
                raise errors.InvalidVideo(
                    f"The character clip has more than {MAX_FRAMES} frames; a 2-4 s clip of "
                    "at most 120 frames a second is expected.",
                    param="video",
                )
            final = frame
            if count in wanted:
                picked.append(_jpeg(frame))
            count += 1
    if final is not None and len(picked) < len(wanted):  # fewer frames than the header said
        picked.append(_jpeg(final))
    return picked, count


def _jpeg(frame: Any) -> bytes:
    image = frame.to_image()
    image.thumbnail((frames.MAX_SIDE, frames.MAX_SIDE))
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=frames.QUALITY)
    return buffer.getvalue()


def _unreadable(exc: Exception, path: Path) -> errors.InvalidVideo:
    return errors.InvalidVideo(
        f"The character clip is not an MP4 video that decodes ({_reason(exc, path)}); send an "
        "H.264 MP4 file.",
        param="video",
    )


def _reason(exc: Exception, path: Path) -> str:
    """The failure in a few words, without the server's spool path."""
    text = str(exc).replace(f"'{path}'", "").replace(str(path), "the file").strip(" :")
    return text[:120] or type(exc).__name__


def _requested(value: Any) -> list[str]:
    """The ids a ``characters`` parameter lists, in order, shape-checked."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise errors.InvalidValue(
            'characters must be a list of objects such as [{"id": "char_..."}] (multipart: '
            "one characters[][id] part per character).",
            param="characters",
        )
    if len(value) > MAX_PER_VIDEO:
        raise errors.TooManyCharacters(
            f"A video may use at most {MAX_PER_VIDEO} characters; {len(value)} were given.",
            param="characters",
        )
    wanted: list[str] = []
    for index, item in enumerate(value):
        param = f"characters[{index}]"
        if not isinstance(item, Mapping):
            raise errors.InvalidValue(
                f'{param} must be an object such as {{"id": "char_..."}}.', param=param
            )
        unknown = sorted(str(k) for k in item if k != "id")
        if unknown:
            raise errors.UnknownParameter(
                f"Unknown parameter {param}.{errors.show(unknown[0])}; a character is "
                'given as {"id": "char_..."}.',
                param=f"{param}.{unknown[0][:64]}",
            )
        character_id = item.get("id")
        if character_id is None:
            raise errors.MissingParameter(
                f"Missing required parameter: '{param}.id'.", param=f"{param}.id"
            )
        if not isinstance(character_id, str):
            raise errors.InvalidValue(f"{param}.id must be a string.", param=f"{param}.id")
        if character_id in wanted:
            raise errors.InvalidValue(
                f"{param}.id names character {errors.show(character_id)} a second time.",
                param=f"{param}.id",
            )
        wanted.append(character_id)
    return wanted
