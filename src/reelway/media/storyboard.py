"""Join a storyboard's shots into one MP4: frame-accurate, one size and rate, transitions.

Every shot is decoded and re-encoded through ``Mp4Writer`` (the house encoder), resampled to
the first shot's frame rate and, when its aspect differs, scaled to fit and letterboxed, so
the result is exactly as long as its shots together.  A ``crossfade`` dissolves in place: the
last half of the crossfade of the shot before and the first half of the next are replaced by
a blend (the shot that has ended or not yet begun holds its last or first frame), so the
video is not shortened.  A ``continue`` shot already starts on its predecessor's last frame,
so it joins with a cut.

Sound: ``per_shot`` keeps each shot's soundtrack under its own frames, crossing into the next
in 20 ms at a cut (no click) and over the dissolve's length at a crossfade (each side extended
past the join by its own sound mirrored, so there is no dip and nothing shifts);
``continuous`` loops the first shot's soundtrack under the whole video with short crossfades
at the loop points.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import numpy as np
from av.video.frame import VideoFrame
from numpy.typing import NDArray

from reelway.media import previews
from reelway.media import stitch as joins
from reelway.media.encode import AUDIO_CHANNELS, AUDIO_RATE, Mp4Writer

CUT_CROSS_SAMPLES = AUDIO_RATE * 20 // 1000
"""At a cut the two soundtracks cross in 20 ms: no click, too short to hear as a fade."""
LOOP_CROSSFADE_SAMPLES = AUDIO_RATE // 2
"""Where a continuous soundtrack starts over, the end and the start overlap this long (at
most a quarter of the track): long enough to cover a track's own fade-out and fade-in (the
animatic's are 50 ms and 300 ms), which a short crossfade left as a dip to ~20 % level."""

Rgb = NDArray[np.uint8]
Samples = NDArray[np.float32]


@dataclass(frozen=True)
class Shot:
    """One shot's file and how it joins the shot before it (ignored for the first)."""

    video: Path
    transition: str = "cut"
    crossfade_seconds: float = 0.0


@dataclass(frozen=True)
class Stitched:
    """What ``stitch`` wrote: the size, the rate and each shot's frame count."""

    width: int
    height: int
    fps: int
    frames: tuple[int, ...]

    @property
    def seconds(self) -> float:
        return sum(self.frames) / self.fps

    def start(self, index: int) -> int:
        """The first frame of shot ``index`` in the result."""
        return sum(self.frames[:index])


def stitch(
    shots: Sequence[Shot],
    output: Path,
    *,
    width: int,
    height: int,
    soundtrack: str = "per_shot",
    thumbnail: Path | None = None,
    spritesheet: Path | None = None,
    crf: int = joins.STITCH_CRF,
    preset: str = joins.STITCH_PRESET,
) -> Stitched:
    """Write the shots as one video of ``width`` x ``height`` at the first shot's rate;
    previews of the whole (given together) are collected while encoding."""
    if not shots:
        raise ValueError("a storyboard needs at least one shot")
    sources = [joins.describe(shot.video) for shot in shots]
    fps = max(1, round(sources[0].rate))
    rate = Fraction(fps)
    counts = [joins.retimed_count(s.frames, s.rate, rate) for s in sources]
    blends = [_blend_frames(shots, counts, i, fps) for i in range(len(shots))]
    sound = _soundtrack(shots, counts, fps, soundtrack, blends)
    collector = (
        previews.PreviewCollector(sum(counts), width, height) if thumbnail is not None else None
    )
    written = [0] * len(shots)
    last: Rgb | None = None
    with Mp4Writer(output, width, height, fps, preset=preset, crf=crf) as writer:
        writer.write_audio(sound)
        for index, (part, frame) in enumerate(_video(shots, sources, rate, blends, width, height)):
            if collector is not None and collector.wants(index):
                collector.add(index, frame)
            writer.write_frame(frame)
            written[part] += 1
            last = frame
    if collector is not None and thumbnail is not None and spritesheet is not None:
        if not collector.complete and last is not None:
            collector.fill_missing(last)
        collector.save(thumbnail, spritesheet)
    return Stitched(width, height, fps, tuple(written))


def _blend_frames(shots: Sequence[Shot], counts: Sequence[int], index: int, fps: int) -> int:
    """Frames of the dissolve into shot ``index`` (0: a cut), within both shots' lengths."""
    shot = shots[index]
    if index == 0 or shot.transition != "crossfade" or shot.crossfade_seconds <= 0:
        return 0
    return max(0, min(round(shot.crossfade_seconds * fps), counts[index - 1], counts[index]))


def _rgb(frame: VideoFrame, width: int, height: int) -> Rgb:
    rgb: Rgb = np.asarray(frame.to_ndarray(width=width, height=height, format="rgb24"))
    return rgb


def _letterboxed(frame: VideoFrame, width: int, height: int) -> Rgb:
    """The frame as RGB at the output size: scaled to fit, black bars on the other axis."""
    if frame.width * height == frame.height * width:
        return _rgb(frame, width, height)
    scale = min(width / frame.width, height / frame.height)
    inner_w = max(2, round(frame.width * scale) // 2 * 2)
    inner_h = max(2, round(frame.height * scale) // 2 * 2)
    inner = _rgb(frame, inner_w, inner_h)
    canvas = np.zeros((height, width, 3), np.uint8)
    top, left = (height - inner_h) // 2, (width - inner_w) // 2
    canvas[top : top + inner_h, left : left + inner_w] = inner
    return canvas


def _video(
    shots: Sequence[Shot],
    sources: Sequence[joins.SourceInfo],
    rate: Fraction,
    blends: Sequence[int],
    width: int,
    height: int,
) -> Iterator[tuple[int, Rgb]]:
    """(shot index, frame) for every output frame, dissolves in place."""
    tail: list[Rgb] = []  # the end of the shot before, held back for a dissolve
    for part, (shot, source) in enumerate(zip(shots, sources, strict=True)):
        frames = (
            _letterboxed(frame, width, height)
            for frame in joins.retimed(joins.decoded_frames(shot.video), source.rate, rate)
        )
        blend = blends[part]
        head = [frame for _, frame in zip(range(blend - blend // 2), frames, strict=False)]
        if blend:
            for k, frame in enumerate(_dissolve(tail, head, blend)):
                yield (part - 1 if k < len(tail) else part), frame
        keep = blends[part + 1] // 2 if part + 1 < len(shots) else 0
        held: deque[Rgb] = deque()
        seen = len(head)
        for frame in frames:
            seen += 1
            held.append(frame)
            if len(held) > keep:
                yield part, held.popleft()
        if seen == 0:
            raise ValueError(f"{shot.video} has no decodable video frames")
        tail = list(held)


def _dissolve(tail: list[Rgb], head: list[Rgb], frames: int) -> Iterator[Rgb]:
    """``frames`` blended frames: the old shot's ``tail`` then the new one's ``head``, each
    holding its end (or start) while the other plays."""
    for k in range(frames):
        old = tail[min(k, len(tail) - 1)] if tail else head[0]
        new = head[max(0, min(k - len(tail), len(head) - 1))] if head else old
        alpha = (k + 0.5) / frames
        mixed = old.astype(np.float32) * (1 - alpha) + new.astype(np.float32) * alpha
        yield np.clip(mixed + 0.5, 0, 255).astype(np.uint8)


def _bounds(counts: Sequence[int], fps: int) -> list[int]:
    """Each shot's first audio sample, and the end, from the frame counts."""
    frames = np.cumsum([0, *counts])
    return [int(f) * AUDIO_RATE // fps for f in frames]


def _soundtrack(
    shots: Sequence[Shot], counts: Sequence[int], fps: int, mode: str, blends: Sequence[int]
) -> Samples:
    """The whole video's sound, exactly as long as its frames."""
    bounds = _bounds(counts, fps)
    if mode == "continuous":
        return _looped(joins.audio_samples(shots[0].video), bounds[-1])
    parts = [
        joins.fit_samples(joins.audio_samples(shot.video), bounds[i + 1] - bounds[i])
        for i, shot in enumerate(shots)
    ]
    out = np.concatenate(parts, axis=1).astype(np.float32, copy=False)
    for i in range(1, len(shots)):
        # Across a dissolve the sound crosses over its length too; a cut crosses in 20 ms.
        before = _samples(blends[i] // 2, fps) if blends[i] else CUT_CROSS_SAMPLES // 2
        after = _samples(blends[i] - blends[i] // 2, fps) if blends[i] else CUT_CROSS_SAMPLES // 2
        _cross(out, bounds[i], parts[i - 1], parts[i], before, after)
    return out


def _samples(frames: int, fps: int) -> int:
    return frames * AUDIO_RATE // fps


def _cross(out: Samples, join: int, old: Samples, new: Samples, before: int, after: int) -> None:
    """An equal-power crossfade in place over ``before`` samples before ``join`` and
    ``after`` past it.  Neither shot has sound on the other side of the join, so each is
    extended by its own sound mirrored at the join: no dip, and nothing moves out of sync."""
    before = min(before, old.shape[1], new.shape[1])
    after = min(after, old.shape[1], new.shape[1])
    n = before + after
    if n == 0:
        return
    fading = np.concatenate([old[:, old.shape[1] - before :], old[:, ::-1][:, :after]], axis=1)
    rising = np.concatenate([new[:, :before][:, ::-1], new[:, :after]], axis=1)
    ramp = np.linspace(0.0, np.pi / 2, n, dtype=np.float32)
    out[:, join - before : join + after] = fading * np.cos(ramp) + rising * np.sin(ramp)


def _looped(loop: Samples, total: int) -> Samples:
    """``loop`` repeated to ``total`` samples, each restart crossfaded into the end."""
    if loop.shape[1] == 0:
        return np.zeros((AUDIO_CHANNELS, total), np.float32)
    out = loop
    while out.shape[1] < total:
        overlap = min(LOOP_CROSSFADE_SAMPLES, loop.shape[1] // 4)
        out = joins.join_audio(out, loop, crossfade=overlap)[
            :, : out.shape[1] + loop.shape[1] - overlap
        ]
    return joins.fit_samples(out, total)
