"""Stitching an extension onto its source: frames, sound across the join, previews, last frame."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from PIL import Image

from reelway.media import encode, probe, stitch

FPS = 24
TONE = 440.0


def pattern(index: int, width: int, height: int, hue: int) -> np.ndarray:
    """A moving gradient with a per-clip tint: every frame differs, clips are told apart."""
    y, x = np.mgrid[0:height, 0:width]
    base = ((x * 3 + y * 2 + index * 7) % 200 + 20).astype(np.uint8)
    frame = np.stack([base, base, base], axis=-1)
    frame[..., hue] = 235
    return frame


def tone(start: int, count: int) -> np.ndarray:
    """Samples ``start``..``start + count`` of one continuous 440 Hz sine, stereo."""
    t = (start + np.arange(count)) / encode.AUDIO_RATE
    wave = (0.4 * np.sin(2 * np.pi * TONE * t)).astype(np.float32)
    return np.stack([wave, wave])


def clip(
    path: Path,
    frames: int,
    *,
    size: tuple[int, int] = (96, 64),
    fps: int = FPS,
    hue: int = 0,
    sound_from: int | None = 0,
) -> Path:
    """An MP4 of ``frames`` pattern frames; its tone starts at sample ``sound_from``."""
    width, height = size
    with encode.Mp4Writer(path, width, height, fps, audio=sound_from is not None) as writer:
        if sound_from is not None:
            writer.write_audio(tone(sound_from, frames * encode.AUDIO_RATE // fps))
        for i in range(frames):
            writer.write_frame(pattern(i, width, height, hue))
    return path


def decoded(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="rgb24").astype(np.int16) for f in container.decode(video=0)]


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(255**2 / np.mean((a - b).astype(np.float64) ** 2)))


def sound(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def test_the_first_part_keeps_its_frames_and_the_second_follows(tmp_path: Path) -> None:
    first = clip(tmp_path / "first.mp4", 48)
    second = clip(tmp_path / "second.mp4", 24, hue=2, sound_from=48 * 2000)
    out = tmp_path / "out.mp4"
    result = stitch.stitch(first, second, out)

    assert (result.first_frames, result.second_frames, result.fps) == (48, 24, FPS)
    assert result.seconds == pytest.approx(3.0) and result.join_seconds == pytest.approx(2.0)
    info = probe.probe(out)
    assert (info.width, info.height, info.frames) == (96, 64, 72)
    assert info.duration == pytest.approx(3.0)
    assert (info.video_codec, info.pix_fmt, info.audio_codec) == ("h264", "yuv420p", "aac")
    assert (info.sample_rate, info.channels) == (encode.AUDIO_RATE, 2)
    assert info.audio_duration == pytest.approx(3.0, abs=0.05)
    assert info.faststart

    frames, source, segment = decoded(out), decoded(first), decoded(second)
    assert len(frames) == 72
    # Each output frame is its source frame through a second encode (PSNR well above 30 dB)
    # and not a neighbour (about 20 dB away): nothing dropped, repeated or shifted.
    for got, want in zip(frames, source + segment, strict=True):
        assert psnr(got, want) > 33
    for got, neighbour in zip(frames[:47], source[1:], strict=True):
        assert psnr(got, neighbour) < 25
    # Frame-accurate: the join is exactly between frame 47 and 48 (the tint changes there).
    assert frames[47][..., 0].mean() > 220 and frames[48][..., 2].mean() > 220
    assert frames[47][..., 2].mean() < 200 and frames[48][..., 0].mean() < 200


def test_the_sound_runs_across_the_join_without_gap_or_click(tmp_path: Path) -> None:
    first = clip(tmp_path / "first.mp4", 48)
    second = clip(tmp_path / "second.mp4", 48, hue=1, sound_from=48 * 2000)
    out = tmp_path / "out.mp4"
    stitch.stitch(first, second, out)

    left = sound(out)[0]
    join = 48 * 2000
    assert left.shape[0] >= 96 * 2000 - 1024
    steady = np.sqrt(np.mean(left[join - 24000 : join - 4800] ** 2))
    assert steady == pytest.approx(0.4 / np.sqrt(2), rel=0.1)
    window = 240  # 5 ms
    for start in range(join - 4800, join + 4800, window):
        rms = np.sqrt(np.mean(left[start : start + window] ** 2))
        assert rms > 0.7 * steady, f"a dip in the sound at sample {start} (a gap)"
    # A click is a jump between neighbouring samples far larger than the tone's own slope.
    slope = 0.4 * 2 * np.pi * TONE / encode.AUDIO_RATE
    assert np.abs(np.diff(left[join - 4800 : join + 4800])).max() < 3 * slope


def test_a_second_part_of_another_size_and_rate_is_fitted_to_the_first(tmp_path: Path) -> None:
    first = clip(tmp_path / "first.mp4", 24)
    second = clip(tmp_path / "second.mp4", 24, size=(48, 32), fps=12, hue=1, sound_from=None)
    out = tmp_path / "out.mp4"
    result = stitch.stitch(first, second, out)

    assert (result.first_frames, result.second_frames) == (24, 48)  # 2 s at 24 fps
    info = probe.probe(out)
    assert (info.width, info.height, info.frames, info.fps) == (96, 64, 72, FPS)
    assert info.audio_codec == "aac"  # the silent part contributes silence
    frames = decoded(out)
    assert frames[-1].shape == (64, 96, 3) and frames[-1][..., 1].mean() > 220
    # Each frame of the 12 fps clip is shown twice, in order.
    assert psnr(frames[24], frames[25]) > 33
    assert psnr(frames[25], frames[26]) < 30


def test_previews_cover_the_whole_result(tmp_path: Path) -> None:
    first = clip(tmp_path / "first.mp4", 24)
    second = clip(tmp_path / "second.mp4", 24, hue=2, sound_from=24 * 2000)
    out, thumb, sheet = tmp_path / "out.mp4", tmp_path / "t.webp", tmp_path / "s.jpg"
    stitch.stitch(first, second, out, thumbnail=thumb, spritesheet=sheet)

    with Image.open(thumb) as image:
        assert image.format == "WEBP" and image.size == (96, 64)
    with Image.open(sheet) as image:
        assert image.format == "JPEG" and image.size == (5 * 96, 2 * 64)
        grid = np.asarray(image.convert("RGB")).astype(np.int16)
    first_tile, last_tile = grid[:64, :96], grid[64:, 4 * 96 :]
    assert first_tile[..., 0].mean() > 220 and last_tile[..., 2].mean() > 220

    with pytest.raises(ValueError, match="both"):
        stitch.stitch(first, second, tmp_path / "x.mp4", thumbnail=thumb)


def test_last_frame_is_the_final_decoded_frame(tmp_path: Path) -> None:
    source = clip(tmp_path / "a.mp4", 30, hue=1)
    png = tmp_path / "frames" / "last.png"
    assert stitch.last_frame(source, png) == (96, 64)
    with Image.open(png) as image:
        assert image.format == "PNG"
        got = np.asarray(image.convert("RGB")).astype(np.int16)
    assert np.abs(got - decoded(source)[-1]).mean() < 1.5
    assert np.abs(got - decoded(source)[-2]).mean() > 5


def test_a_file_without_video_is_refused_and_leaves_no_output(tmp_path: Path) -> None:
    first = clip(tmp_path / "first.mp4", 12)
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a video at all")
    with pytest.raises((ValueError, av.error.InvalidDataError)):
        stitch.stitch(first, junk, tmp_path / "out.mp4")
    assert not (tmp_path / "out.mp4").exists()


def test_join_audio_keeps_the_length_and_crosses_smoothly() -> None:
    a, b = tone(0, 4800), tone(4800, 4800)
    joined = stitch.join_audio(a, b)
    assert joined.shape == (2, 9600) and joined.dtype == np.float32
    assert np.allclose(joined[:, :4000], a[:, :4000])
    step = np.abs(np.diff(joined[0, 4500:5100])).max()
    assert step < 3 * 0.4 * 2 * np.pi * TONE / encode.AUDIO_RATE
    assert stitch.join_audio(a[:, :0], b).shape == (2, 4800)


@pytest.mark.parametrize(
    ("frames", "rate_in", "rate_out", "expected"),
    [(30, 30, 24, 24), (7, 12, 24, 14), (100, Fraction(30000, 1001), 30, 100), (1, 60, 24, 1)],
)
def test_retiming_keeps_the_length_and_never_drops_a_whole_part(
    frames: int, rate_in: Fraction | int, rate_out: int, expected: int
) -> None:
    given: Any = iter(range(frames))  # stand-ins for decoded frames
    shown: list[Any] = list(stitch.retimed(given, Fraction(rate_in), Fraction(rate_out)))
    assert (
        len(shown)
        == expected
        == stitch.retimed_count(frames, Fraction(rate_in), Fraction(rate_out))
    )
    assert shown == sorted(shown)  # in order, each input frame held or skipped
