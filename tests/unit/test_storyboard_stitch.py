"""Joining a storyboard's shots: exact length, each shot in place, dissolves, letterbox, sound."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest

from reelway.media import encode, storyboard

FPS = 12
W, H = 64, 48
RED, GREEN, BLUE = (220, 30, 30), (30, 220, 30), (30, 30, 220)
TONES = {RED: 300.0, GREEN: 700.0, BLUE: 1100.0}


def shot(
    path: Path, frames: int, colour: tuple[int, int, int], size: tuple[int, int] = (W, H)
) -> Path:
    """A solid-colour clip with a tone of its own (its colour's)."""
    width, height = size
    count = frames * encode.AUDIO_RATE // FPS
    t = np.arange(count) / encode.AUDIO_RATE
    wave = (0.4 * np.sin(2 * np.pi * TONES[colour] * t)).astype(np.float32)
    with encode.Mp4Writer(path, width, height, FPS) as writer:
        writer.write_audio(np.stack([wave, wave]))
        frame = np.empty((height, width, 3), np.uint8)
        frame[:] = colour
        for _ in range(frames):
            writer.write_frame(frame)
    return path


def frames_of(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        found: list[np.ndarray] = [
            f.to_ndarray(format="rgb24").astype(np.float64) for f in container.decode(video=0)
        ]
    return found


def sound_of(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        left: np.ndarray = np.concatenate(
            [f.to_ndarray() for f in container.decode(audio=0)], axis=1
        )[0]
    return left


def mean(frame: np.ndarray) -> np.ndarray:
    averaged: np.ndarray = frame.reshape(-1, 3).mean(axis=0)
    return averaged


def near(frame: np.ndarray, colour: tuple[int, int, int]) -> bool:
    return bool(np.abs(mean(frame) - np.array(colour)).max() < 12)


def pitch(samples: np.ndarray) -> float:
    """The strongest frequency of a stretch of sound."""
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.fft.rfftfreq(len(samples), 1 / encode.AUDIO_RATE)[int(np.argmax(spectrum))])


def three(tmp_path: Path, second: str = "cut", third: str = "cut") -> list[storyboard.Shot]:
    return [
        storyboard.Shot(shot(tmp_path / "a.mp4", 24, RED)),
        storyboard.Shot(shot(tmp_path / "b.mp4", 12, GREEN), second, 1.0),
        storyboard.Shot(shot(tmp_path / "c.mp4", 18, BLUE), third, 1.0),
    ]


def test_cuts_keep_every_shot_in_place_and_the_exact_length(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    made = storyboard.stitch(
        three(tmp_path),
        out,
        width=W,
        height=H,
        thumbnail=tmp_path / "t.webp",
        spritesheet=tmp_path / "s.jpg",
    )
    frames = frames_of(out)
    assert made.frames == (24, 12, 18)
    assert len(frames) == 54
    assert all(near(f, RED) for f in frames[:24])
    assert all(near(f, GREEN) for f in frames[24:36])
    assert all(near(f, BLUE) for f in frames[36:])
    assert (tmp_path / "t.webp").stat().st_size > 0 and (tmp_path / "s.jpg").stat().st_size > 0


def test_a_crossfade_dissolves_in_place_without_shortening(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    storyboard.stitch(three(tmp_path, second="crossfade"), out, width=W, height=H)
    frames = frames_of(out)
    assert len(frames) == 54  # 1 s of dissolve, nothing lost
    # Six frames each side of the join (frame 24) blend red into green, getting greener.
    region = [mean(f) for f in frames[18:30]]
    greens = [m[1] for m in region]
    assert greens == sorted(greens)
    assert all(not near(f, RED) and not near(f, GREEN) for f in frames[21:27])
    assert near(frames[17], RED) and near(frames[30], GREEN)
    assert near(frames[36], BLUE)  # the cut into the third shot is untouched


def test_a_shot_of_another_aspect_is_letterboxed(tmp_path: Path) -> None:
    wide = shot(tmp_path / "wide.mp4", 12, GREEN, size=(128, 48))
    shots = [storyboard.Shot(shot(tmp_path / "a.mp4", 12, RED)), storyboard.Shot(wide)]
    out = tmp_path / "out.mp4"
    storyboard.stitch(shots, out, width=W, height=H)
    frames = frames_of(out)
    assert len(frames) == 24
    boxed = frames[18]
    assert boxed.shape == (H, W, 3)
    assert mean(boxed[:6]).max() < 25 and mean(boxed[-6:]).max() < 25  # black bars
    assert near(boxed[H // 2 - 4 : H // 2 + 4], GREEN)  # the picture between them


def test_per_shot_sound_follows_each_shot(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    storyboard.stitch(three(tmp_path), out, width=W, height=H, soundtrack="per_shot")
    sound = sound_of(out)
    rate = encode.AUDIO_RATE
    assert len(sound) >= 4.4 * rate  # sound all the way through 4.5 s
    assert pitch(sound[int(0.5 * rate) : int(1.5 * rate)]) == pytest.approx(300, abs=5)
    assert pitch(sound[int(2.2 * rate) : int(2.8 * rate)]) == pytest.approx(700, abs=5)
    assert pitch(sound[int(3.2 * rate) : int(4.3 * rate)]) == pytest.approx(1100, abs=5)


def test_continuous_sound_loops_the_first_shots_soundtrack(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    storyboard.stitch(three(tmp_path), out, width=W, height=H, soundtrack="continuous")
    sound = sound_of(out)
    rate = encode.AUDIO_RATE
    assert len(sound) >= 4.4 * rate
    for start in (0.5, 2.2, 3.2):  # the first shot's tone under every shot
        stretch = sound[int(start * rate) : int((start + 0.6) * rate)]
        assert pitch(stretch) == pytest.approx(300, abs=5)
        assert np.sqrt(np.mean(stretch**2)) > 0.1  # loud, not a silent loop point


def test_per_shot_sound_crosses_without_a_dip_or_a_gap(tmp_path: Path) -> None:
    out = tmp_path / "out.mp4"
    storyboard.stitch(three(tmp_path, second="crossfade"), out, width=W, height=H)
    sound = sound_of(out)[: int(4.45 * encode.AUDIO_RATE)]
    window = encode.AUDIO_RATE // 50  # 20 ms
    chunks = sound[: len(sound) // window * window].reshape(-1, window)
    loudness = np.sqrt((chunks**2).mean(axis=1))
    level = 0.4 / np.sqrt(2)  # each shot's tone
    # Through the dissolve (around 2 s) and the cut (3 s) the sound never drops away.
    assert loudness.min() > 0.6 * level, (int(loudness.argmin()), float(loudness.min()))
    # Mid-dissolve both tones are heard; well before it only the first.
    middle = sound[int(1.9 * encode.AUDIO_RATE) : int(2.1 * encode.AUDIO_RATE)]
    spectrum = np.abs(np.fft.rfft(middle))
    freqs = np.fft.rfftfreq(len(middle), 1 / encode.AUDIO_RATE)
    strength = {f: spectrum[np.argmin(np.abs(freqs - f))] for f in (300, 700)}
    assert min(strength.values()) > 0.2 * max(strength.values()), strength
