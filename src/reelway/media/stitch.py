"""Join a source video and a new segment into one MP4: how an extension is delivered.

An engine with no native extension renders the new segment from the source's last frame
(``last_frame``); ``stitch`` then writes source + segment as one H.264 + AAC MP4 through
``Mp4Writer`` (the house encoder: same codecs, keyframe spacing and faststart as every other
stored video).  Both parts are re-encoded: two independently encoded H.264 streams cannot
share one MP4 track safely (their parameter sets differ), so a packet copy would not play
everywhere.  The re-encode uses a lower CRF than a fresh render because it is a second
generation.

Frame-accurate: every decoded frame of ``first`` is written once, in order, at its own rate
and size; ``second`` is scaled to that size and resampled (nearest frame) to that rate.
Each part's soundtrack is trimmed or padded with silence to exactly its video's length, so
sound stays in sync after the join, and the two meet with a few milliseconds of crossfade:
no gap and no click.  A part without sound contributes silence, so the result always has
an AAC track like every other stored video.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.audio.resampler import AudioResampler
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image

from reelway.media import previews
from reelway.media.encode import AUDIO_CHANNELS, AUDIO_RATE, Mp4Writer

CROSSFADE_SAMPLES = AUDIO_RATE * 5 // 1000
"""5 ms: long enough to hide a step between the two soundtracks, too short to hear as a fade."""
STITCH_CRF = 18
"""Lower than a fresh render's 23: the source is already compressed once."""
STITCH_PRESET = "veryfast"

Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Stitched:
    """What ``stitch`` wrote: the output's shape and where the join falls."""

    width: int
    height: int
    fps: int
    first_frames: int
    """Frames taken from ``first``; the join is between this frame and the next."""
    second_frames: int
    """Frames of ``second`` after resampling to ``fps``."""

    @property
    def frames(self) -> int:
        return self.first_frames + self.second_frames

    @property
    def seconds(self) -> float:
        return self.frames / self.fps

    @property
    def join_seconds(self) -> float:
        return self.first_frames / self.fps


@dataclass(frozen=True)
class SourceInfo:
    width: int
    height: int
    rate: Fraction
    frames: int
    """The container's frame count (0 when it does not say)."""


def describe(path: Path) -> SourceInfo:
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        stream = container.streams.video[0]
        rate = stream.average_rate or stream.guessed_rate
        if not rate or rate <= 0:
            raise ValueError(f"{path} does not say its frame rate")
        return SourceInfo(
            stream.codec_context.width,
            stream.codec_context.height,
            Fraction(rate),
            _count_packets(container, stream),
        )


def _count_packets(container: Any, stream: Any) -> int:
    """Frames in the stream, counted from its packets (no decode): exact, unlike a header."""
    count = sum(1 for packet in container.demux(stream) if packet.size and packet.pts is not None)
    return count or previews.frame_count(container, stream)


def decoded_frames(path: Path) -> Iterator[VideoFrame]:
    """Every decoded frame of the first video stream, in presentation order."""
    with av.open(str(path)) as container:
        if not container.streams.video:
            raise ValueError(f"{path} has no video stream")
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        yield from container.decode(stream)


def last_frame(video: Path, out_png: Path) -> tuple[int, int]:
    """Write the last decoded frame of ``video`` as a PNG; returns its (width, height).

    Decodes the whole stream: seeking to the end lands on a keyframe, and the frames after
    it still need decoding, so a straight pass is as fast and never off by one.
    """
    final: VideoFrame | None = None
    for frame in decoded_frames(video):
        final = frame
    if final is None:
        raise ValueError(f"{video} has no decodable video frames")
    untyped: Any = final  # PyAV's to_image carries no annotations
    image: Image.Image = untyped.to_image()
    out_png.parent.mkdir(parents=True, exist_ok=True)
    image.convert("RGB").save(out_png, "PNG")
    return image.width, image.height


def audio_samples(path: Path) -> Samples:
    """The first audio stream as (2, n) float32 at 48 kHz; empty when there is none."""
    chunks: list[Samples] = []
    with av.open(str(path)) as container:
        if container.streams.audio:
            stream = container.streams.audio[0]
            resampler = AudioResampler(format="fltp", layout="stereo", rate=AUDIO_RATE)
            for frame in container.decode(stream):
                for out in resampler.resample(frame):
                    chunks.append(out.to_ndarray().astype(np.float32, copy=False))
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().astype(np.float32, copy=False))
    if not chunks:
        return np.zeros((AUDIO_CHANNELS, 0), np.float32)
    return np.concatenate(chunks, axis=1)


def fit_samples(samples: Samples, length: int) -> Samples:
    """Exactly ``length`` samples: cut the excess, or pad the end with silence."""
    if samples.shape[1] >= length:
        return samples[:, :length]
    pad = np.zeros((AUDIO_CHANNELS, length - samples.shape[1]), np.float32)
    return np.concatenate([samples, pad], axis=1)


def join_audio(first: Samples, second: Samples, *, crossfade: int = CROSSFADE_SAMPLES) -> Samples:
    """``first`` then ``second`` with an equal-power crossfade over ``crossfade`` samples.

    The overlap shortens the sum by ``crossfade`` samples; they are given back as silence at
    the end, so the result is exactly as long as both parts and ``second`` starts at most a
    few milliseconds early.
    """
    total = first.shape[1] + second.shape[1]
    n = min(crossfade, first.shape[1], second.shape[1])
    if n == 0:
        return np.concatenate([first, second], axis=1)
    ramp = np.linspace(0.0, np.pi / 2, n, dtype=np.float32)
    blended = first[:, -n:] * np.cos(ramp) + second[:, :n] * np.sin(ramp)
    joined = np.concatenate([first[:, :-n], blended, second[:, n:]], axis=1)
    return fit_samples(joined.astype(np.float32, copy=False), total)


def retimed(
    frames: Iterator[VideoFrame], rate_in: Fraction, rate_out: Fraction
) -> Iterator[VideoFrame]:
    """``frames`` at ``rate_out``: each output frame is the input frame showing at its centre."""
    if rate_in == rate_out:
        yield from frames
        return
    wanted = 0  # the next output frame
    last: VideoFrame | None = None
    for index, frame in enumerate(frames):
        last = frame
        while int((wanted + Fraction(1, 2)) * rate_in / rate_out) == index:
            yield frame
            wanted += 1
    if wanted == 0 and last is not None:  # a part shorter than one output frame still shows
        yield last


def retimed_count(frames: int, rate_in: Fraction, rate_out: Fraction) -> int:
    """How many frames ``retimed`` yields for ``frames`` input frames."""
    if rate_in == rate_out:
        return frames
    # Output frame j shows input floor((j + 1/2) * rate_in / rate_out): j < frames * ratio - 1/2.
    bound = frames * rate_out / rate_in - Fraction(1, 2)
    return max(min(frames, 1), math.ceil(bound))


def _prepared(frame: VideoFrame, width: int, height: int) -> VideoFrame:
    """yuv420p at the output size, with no timing or forced picture type from its decoder."""
    if frame.format.name != "yuv420p" or frame.width != width or frame.height != height:
        frame = frame.reformat(width=width, height=height, format="yuv420p")
    untyped: Any = frame
    untyped.pict_type = 0  # AV_PICTURE_TYPE_NONE: let x264 place its own keyframes
    return frame


def _rgb(frame: VideoFrame) -> NDArray[np.uint8]:
    rgb: NDArray[np.uint8] = np.asarray(frame.to_ndarray(format="rgb24"), dtype=np.uint8)
    return rgb


def stitch(
    first: Path,
    second: Path,
    output: Path,
    *,
    thumbnail: Path | None = None,
    spritesheet: Path | None = None,
    crf: int = STITCH_CRF,
    preset: str = STITCH_PRESET,
) -> Stitched:
    """Write ``first`` followed by ``second`` to ``output``; previews of the whole result too.

    ``thumbnail`` and ``spritesheet`` (given together) are collected during the encode, so
    the result is not decoded again.  On failure no partial ``output`` is left behind.
    """
    if (thumbnail is None) != (spritesheet is None):
        raise ValueError("give both thumbnail and spritesheet, or neither")
    head, tail = describe(first), describe(second)
    fps = max(1, round(head.rate))
    rate = Fraction(fps)
    width, height = head.width - head.width % 2, head.height - head.height % 2
    collector = (
        previews.PreviewCollector(
            max(1, head.frames + retimed_count(tail.frames, tail.rate, rate)), width, height
        )
        if thumbnail is not None
        else None
    )
    first_count = head.frames
    second_count = retimed_count(tail.frames, tail.rate, rate)
    # Both soundtracks are fitted to their parts' frame counts up front, so the writer can
    # interleave sound with the frames as it goes (a streamable file).
    sound = join_audio(
        fit_samples(audio_samples(first), first_count * AUDIO_RATE // fps),
        fit_samples(
            audio_samples(second),
            (first_count + second_count) * AUDIO_RATE // fps - first_count * AUDIO_RATE // fps,
        ),
    )
    counts = [0, 0]
    last: VideoFrame | None = None
    index = 0
    with Mp4Writer(output, width, height, fps, preset=preset, crf=crf) as writer:
        writer.write_audio(sound)
        parts = ((0, first, head.rate), (1, second, tail.rate))
        for part, path, source_rate in parts:
            for frame in retimed(decoded_frames(path), source_rate, rate):
                prepared = _prepared(frame, width, height)
                if collector is not None and collector.wants(index):
                    collector.add(index, _rgb(prepared))
                writer.write_frame(prepared)
                last = prepared
                counts[part] += 1
                index += 1
            if counts[part] == 0:
                raise ValueError(f"{path} has no decodable video frames")
    if collector is not None and thumbnail is not None and spritesheet is not None:
        if not collector.complete and last is not None:
            collector.fill_missing(_rgb(last))
        collector.save(thumbnail, spritesheet)
    return Stitched(width, height, fps, counts[0], counts[1])


def remake_previews(video: Path, thumbnail: Path, spritesheet: Path) -> None:
    """Thumbnail and spritesheet of a whole stitched file that was written elsewhere."""
    previews.previews_from_video(video, thumbnail, spritesheet)
