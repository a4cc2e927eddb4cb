"""Read what an MP4 actually contains, for tests, validation of upstream files and the API.

``probe`` answers the questions Reelway asks of every video it stores: exact size, length,
frame rate, codecs, audio format, and whether ``moov`` precedes ``mdat`` (faststart), which
is read from the top-level atoms rather than trusted from the writer.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path

import av


@dataclass(frozen=True)
class Atom:
    """One top-level box of an ISO-BMFF (MP4) file."""

    kind: str
    offset: int
    size: int


@dataclass(frozen=True)
class MediaInfo:
    """The facts about a video file that Reelway checks and reports."""

    width: int
    height: int
    duration: float
    """Seconds of video (frames / fps where the container knows both)."""
    fps: float
    frames: int
    video_codec: str
    pix_fmt: str | None
    audio_codec: str | None
    sample_rate: int | None
    channels: int | None
    audio_duration: float | None
    faststart: bool
    """True when ``moov`` comes before ``mdat``, so playback can start before the download ends."""
    atoms: tuple[str, ...]
    metadata: dict[str, str] = field(default_factory=dict)

    @property
    def has_audio(self) -> bool:
        return self.audio_codec is not None


def top_level_atoms(path: Path | str) -> list[Atom]:
    """The top-level boxes of an MP4 file, in file order, without reading their payloads."""
    atoms: list[Atom] = []
    with open(path, "rb") as f:
        f.seek(0, 2)
        end = f.tell()
        offset = 0
        while offset + 8 <= end:
            f.seek(offset)
            size, kind_bytes = struct.unpack(">I4s", f.read(8))
            if size == 1:  # 64-bit size follows the type
                (size,) = struct.unpack(">Q", f.read(8))
            elif size == 0:  # box runs to the end of the file
                size = end - offset
            if size < 8:
                raise ValueError(f"{path}: corrupt MP4 box at offset {offset}")
            atoms.append(Atom(kind_bytes.decode("latin-1"), offset, size))
            offset += size
    return atoms


def probe(path: Path | str) -> MediaInfo:
    """Describe the first video and audio streams of ``path``; ValueError without video."""
    atoms = top_level_atoms(path)
    kinds = [a.kind for a in atoms]
    faststart = "moov" in kinds and "mdat" in kinds and kinds.index("moov") < kinds.index("mdat")
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        video = container.streams.video[0]
        rate = video.average_rate or video.guessed_rate or 0
        fps = float(rate)
        frames = video.frames
        if video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        elif container.duration is not None:
            duration = container.duration / av.time_base
        else:
            duration = 0.0
        if not frames and fps:
            frames = round(duration * fps)
        audio_codec = sample_rate = channels = audio_duration = None
        if container.streams.audio:
            audio = container.streams.audio[0]
            audio_codec = audio.codec_context.name
            sample_rate = audio.codec_context.sample_rate
            channels = audio.codec_context.channels
            if audio.duration is not None and audio.time_base is not None:
                audio_duration = float(audio.duration * audio.time_base)
        return MediaInfo(
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=duration,
            fps=fps,
            frames=frames,
            video_codec=video.codec_context.name,
            pix_fmt=video.codec_context.pix_fmt,
            audio_codec=audio_codec,
            sample_rate=sample_rate,
            channels=channels,
            audio_duration=audio_duration,
            faststart=faststart,
            atoms=tuple(kinds),
            metadata=dict(container.metadata),
        )
