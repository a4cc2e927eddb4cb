"""Decode what the server sends back, with PyAV and Pillow, so tests check real media."""

from __future__ import annotations

import io
import tempfile
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from reelway.media import provenance


@dataclass(frozen=True)
class Mp4Facts:
    width: int
    height: int
    duration: float
    frames: int
    video_codec: str
    audio_codec: str | None
    audio_rate: int | None
    audio_channels: int | None
    first_frame: np.ndarray
    faststart: bool
    provenance: provenance.Report


def top_level_atoms(data: bytes) -> list[str]:
    atoms = []
    offset = 0
    while offset + 8 <= len(data):
        size = int.from_bytes(data[offset : offset + 4], "big")
        kind = data[offset + 4 : offset + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[offset + 8 : offset + 16], "big")
        atoms.append(kind)
        if size < 8:
            break
        offset += size
    return atoms


def decode_mp4(data: bytes, *, signed: bool = True) -> Mp4Facts:
    """Decode every frame (which fails loudly on a broken file); a file Reelway served must
    also carry a valid C2PA manifest saying an AI model made it (``signed``)."""
    report = read_provenance(data, "video/mp4")
    if signed:
        assert_signed(report)
    with av.open(io.BytesIO(data), "r") as container:
        video = container.streams.video[0]
        audio = container.streams.audio[0] if container.streams.audio else None
        frames = 0
        first: np.ndarray | None = None
        last_time = 0.0
        for frame in container.decode(video=0):
            if first is None:
                first = frame.to_ndarray(format="rgb24")
            frames += 1
            last_time = float(frame.time or 0.0)
        rate = float(video.average_rate or video.guessed_rate or 24)
        facts = Mp4Facts(
            width=video.codec_context.width,
            height=video.codec_context.height,
            duration=last_time + 1.0 / rate,
            frames=frames,
            video_codec=video.codec_context.name,
            audio_codec=audio.codec_context.name if audio else None,
            audio_rate=audio.codec_context.sample_rate if audio else None,
            audio_channels=audio.codec_context.channels if audio else None,
            first_frame=first if first is not None else np.zeros((1, 1, 3), np.uint8),
            faststart=_moov_before_mdat(data),
            provenance=report,
        )
    return facts


def read_provenance(data: bytes, mime: str) -> provenance.Report:
    suffix = {"video/mp4": ".mp4", "image/webp": ".webp", "image/jpeg": ".jpg"}[mime]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"served{suffix}"
        path.write_bytes(data)
        return provenance.read(path, mime)


def assert_signed(report: provenance.Report) -> None:
    """Valid (the development CA is not a trust anchor here), made by Reelway, and stating an
    AI model as the source."""
    assert report.state in ("Valid", "Trusted"), (report.state, report.failures)
    assert report.generator and report.generator.startswith("Reelway"), report.generator
    assert any(a.startswith("c2pa.actions") for a in report.assertions), report.assertions
    assert "org.reelway.generation" in report.assertions, report.assertions
    assert report.digital_source_type == provenance.TRAINED_ALGORITHMIC_MEDIA
    assert report.generation and report.generation.get("video_id", "").startswith("video_")


def _moov_before_mdat(data: bytes) -> bool:
    atoms = top_level_atoms(data)
    return "moov" in atoms and "mdat" in atoms and atoms.index("moov") < atoms.index("mdat")


def decode_image(data: bytes, expected_format: str) -> Image.Image:
    image = Image.open(io.BytesIO(data))
    assert image.format == expected_format, image.format
    image.load()
    return image


def solid_image(width: int, height: int, fmt: str, color: tuple[int, int, int]) -> bytes:
    """An image with some structure (a gradient and a block), so the first frame is checkable."""
    x = np.linspace(0, 255, width, dtype=np.float32)[None, :, None]
    y = np.linspace(0, 255, height, dtype=np.float32)[:, None, None]
    base = np.array(color, dtype=np.float32)[None, None, :]
    pixels = np.clip(base * 0.6 + x * 0.2 + y * 0.2, 0, 255).astype(np.uint8)
    pixels[height // 4 : height // 2, width // 4 : width // 2] = (250, 250, 250)
    buffer = io.BytesIO()
    Image.fromarray(pixels, "RGB").save(buffer, format=fmt)
    return buffer.getvalue()
