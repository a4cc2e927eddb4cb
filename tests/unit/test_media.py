"""MP4 writing, probing and previews, checked by decoding the files back with PyAV."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelway.media import encode, previews, probe

FPS = 24


def grey_frames(count: int, width: int, height: int) -> list[np.ndarray]:
    """Frame i is a flat grey of level 20 + 5 i: easy to recognise after lossy coding."""
    return [np.full((height, width, 3), (20 + 5 * i) % 230, np.uint8) for i in range(count)]


def write(path: Path, frames: list[np.ndarray], *, audio: bool = True, **options: object) -> Path:
    h, w = frames[0].shape[:2]
    with encode.Mp4Writer(path, w, h, FPS, audio=audio, **options) as writer:  # type: ignore[arg-type]
        if audio:
            t = np.arange(len(frames) * encode.AUDIO_RATE // FPS) / encode.AUDIO_RATE
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            writer.write_audio(np.stack([tone, tone]))
        for frame in frames:
            writer.write_frame(frame)
    return path


def test_writer_makes_a_faststart_h264_aac_mp4(tmp_path: Path) -> None:
    path = write(tmp_path / "a.mp4", grey_frames(48, 64, 64), metadata={"title": "grey ramp"})
    info = probe.probe(path)
    assert (info.width, info.height, info.frames) == (64, 64, 48)
    assert info.duration == pytest.approx(2.0)
    assert info.fps == pytest.approx(FPS)
    assert (info.video_codec, info.pix_fmt) == ("h264", "yuv420p")
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert info.audio_duration == pytest.approx(2.0, abs=1 / FPS)
    assert info.faststart and info.atoms.index("moov") < info.atoms.index("mdat")
    assert info.metadata["title"] == "grey ramp"
    assert info.has_audio


def test_writer_keyframes_every_two_seconds(tmp_path: Path) -> None:
    path = write(tmp_path / "k.mp4", grey_frames(120, 32, 32), audio=False)
    with av.open(str(path)) as container:
        keys = [i for i, f in enumerate(container.decode(video=0)) if f.key_frame]
    assert keys == [0, 48, 96]


def test_colours_survive_the_round_trip(tmp_path: Path) -> None:
    colours = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (250, 200, 40), (30, 60, 200)]
    frame = np.zeros((64, 320, 3), np.uint8)
    for i, c in enumerate(colours):
        frame[:, i * 64 : (i + 1) * 64] = c
    path = write(tmp_path / "c.mp4", [frame] * 4, audio=False, crf=10)
    with av.open(str(path)) as container:
        decoded = next(container.decode(video=0)).to_ndarray(format="rgb24")
    for i, c in enumerate(colours):
        assert np.abs(decoded[32, i * 64 + 32].astype(int) - c).max() <= 4


def test_convert_scales_any_crop_and_accepts_rgba(tmp_path: Path) -> None:
    with encode.Mp4Writer(tmp_path / "s.mp4", 64, 36, FPS, audio=False) as writer:
        big = np.zeros((100, 200, 4), np.uint8)
        frame = writer.convert(big[10:46, 20:84])  # a strided view, scaled 1:1
        assert (frame.width, frame.height, frame.format.name) == (64, 36, "yuv420p")
        frame = writer.convert(np.zeros((18, 32, 3), np.uint8), pixelated=True)
        assert (frame.width, frame.height) == (64, 36)
        writer.write_frame(frame)
        with pytest.raises(ValueError, match="frame is 32x32"):
            writer.write_frame(av.VideoFrame(32, 32, "yuv420p"))
        with pytest.raises(ValueError, match="uint8"):
            writer.convert(np.zeros((36, 64), np.uint8))


def _layout(path: Path) -> list[str]:
    """The file's packets in byte order, as "a"/"v": how audio and video interleave."""
    with av.open(str(path)) as container:
        packets = [(p.pos, p.stream.type[0]) for p in container.demux() if p.pos is not None]
    return [kind for pos, kind in sorted(packets) if pos >= 0]


def _audio_samples(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return np.concatenate([f.to_ndarray() for f in container.decode(audio=0)], axis=1)


def test_audio_encoded_ahead_is_interleaved_by_time_as_before(tmp_path: Path) -> None:
    """``write_audio(now=True)`` encodes the whole soundtrack before the first frame; the
    file must still interleave audio and video by time (streamable), exactly as feeding
    it frame by frame does, and carry the same sound."""
    frames = grey_frames(24 * 12, 32, 32)  # 12 s: past FFmpeg's default 10 s interleave delta
    t = np.arange(len(frames) * encode.AUDIO_RATE // FPS) / encode.AUDIO_RATE
    tone = np.stack([0.3 * np.sin(2 * np.pi * 440 * t)] * 2).astype(np.float32)
    paths = {}
    for now in (False, True):
        paths[now] = tmp_path / f"{now}.mp4"
        with encode.Mp4Writer(paths[now], 32, 32, FPS) as writer:
            writer.write_audio(tone, now=now)
            for frame in frames:
                writer.write_frame(frame)
    ahead, paced = _layout(paths[True]), _layout(paths[False])
    assert ahead == paced
    assert "".join(ahead[:40]).count("v") >= 10  # no long run of audio first
    assert np.array_equal(_audio_samples(paths[True]), _audio_samples(paths[False]))


def test_writer_without_audio(tmp_path: Path) -> None:
    path = write(tmp_path / "n.mp4", grey_frames(5, 32, 32), audio=False)
    info = probe.probe(path)
    assert not info.has_audio and info.sample_rate is None
    with encode.Mp4Writer(tmp_path / "x.mp4", 32, 32, FPS, audio=False) as writer:
        with pytest.raises(ValueError, match="no audio"):
            writer.write_audio(np.zeros((2, 10), np.float32))
        writer.abort()


@pytest.mark.parametrize(
    ("size", "options", "message"),
    [
        ((65, 64), {}, "even"),
        ((64, 63), {}, "even"),
        ((8, 8), {}, "at least"),
        ((64, 64), {"preset": "warp"}, "preset"),
        ((64, 64), {"crf": 60}, "crf"),
        ((64, 64), {"fps": 0}, "fps"),
    ],
)
def test_writer_rejects_bad_settings(
    tmp_path: Path, size: tuple[int, int], options: dict[str, object], message: str
) -> None:
    fps = options.pop("fps", FPS)
    with pytest.raises(ValueError, match=message):
        encode.Mp4Writer(tmp_path / "bad.mp4", *size, fps, **options)  # type: ignore[arg-type]
    assert not (tmp_path / "bad.mp4").exists()


def test_a_failure_inside_the_block_leaves_no_file(tmp_path: Path) -> None:
    path = tmp_path / "half.mp4"
    with pytest.raises(RuntimeError, match="boom"), encode.Mp4Writer(path, 32, 32, FPS) as writer:
        writer.write_frame(np.zeros((32, 32, 3), np.uint8))
        raise RuntimeError("boom")
    assert not path.exists()


def test_probe_reads_top_level_atoms_and_spots_a_missing_faststart(tmp_path: Path) -> None:
    path = tmp_path / "slow.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = 32, 32, "yuv420p"
        for i in range(3):
            frame = av.VideoFrame.from_ndarray(np.zeros((32, 32, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    atoms = probe.top_level_atoms(path)
    kinds = [a.kind for a in atoms]
    assert kinds.index("mdat") < kinds.index("moov")
    assert sum(a.size for a in atoms) == path.stat().st_size
    assert not probe.probe(path).faststart


def test_probe_rejects_a_file_without_video(tmp_path: Path) -> None:
    path = tmp_path / "audio.mp4"
    with av.open(str(path), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), "fltp", "stereo")
        frame.sample_rate, frame.pts = 48000, 0
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ValueError, match="no video"):
        probe.probe(path)


# ----------------------------------------------------------------------------- previews


def test_collector_wants_a_middle_thumbnail_and_evenly_spaced_tiles() -> None:
    c = previews.PreviewCollector(192, 1280, 720)
    assert c.thumbnail_index == 96
    assert c.tile_indices == (9, 28, 48, 67, 86, 105, 124, 144, 163, 182)
    assert c.wanted == {96, *c.tile_indices}
    assert c.wants(9) and not c.wants(10)
    assert (c.tile_width, c.tile_height, c.columns, c.rows) == (256, 144, 5, 2)
    assert c.size_for(96) == (1280, 720) and c.size_for(9) == (256, 144)
    portrait = previews.PreviewCollector(10, 720, 1280)
    assert (portrait.tile_width, portrait.tile_height) == (256, 455)
    assert previews.PreviewCollector(3, 64, 64).tile_indices == (0, 0, 0, 1, 1, 1, 1, 2, 2, 2)


def test_collector_writes_webp_thumbnail_and_jpeg_grid(tmp_path: Path) -> None:
    frames = grey_frames(40, 320, 180)
    c = previews.PreviewCollector(len(frames), 320, 180)
    with pytest.raises(ValueError, match="never added"):
        c.save(tmp_path / "t.webp", tmp_path / "s.jpg")
    for i, frame in enumerate(frames):
        c.add(i, frame)
    assert c.complete
    c.save(tmp_path / "t.webp", tmp_path / "s.jpg")
    with Image.open(tmp_path / "t.webp") as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (320, 180))
        assert abs(np.asarray(thumb.convert("L")).mean() - (20 + 5 * 20)) < 3
    with Image.open(tmp_path / "s.jpg") as sheet:
        assert (sheet.format, sheet.size) == ("JPEG", (5 * 256, 2 * 144))
        levels = [
            np.asarray(sheet.convert("L"))[72 + 144 * (k // 5), 128 + 256 * (k % 5)]
            for k in range(10)
        ]
    expected = [20 + 5 * i for i in c.tile_indices]
    assert np.abs(np.array(levels, int) - expected).max() <= 3


def test_previews_from_video_match_the_frames(tmp_path: Path) -> None:
    path = write(tmp_path / "v.mp4", grey_frames(40, 320, 180))
    previews.previews_from_video(path, tmp_path / "t.webp", tmp_path / "s.jpg")
    c = previews.PreviewCollector(40, 320, 180)
    with Image.open(tmp_path / "t.webp") as thumb:
        assert (thumb.format, thumb.size) == ("WEBP", (320, 180))
        assert abs(np.asarray(thumb.convert("L")).mean() - (20 + 5 * c.thumbnail_index)) < 4
    with Image.open(tmp_path / "s.jpg") as sheet:
        assert (sheet.format, sheet.size) == ("JPEG", (1280, 288))
        grey = np.asarray(sheet.convert("L"))
    for k, index in enumerate(c.tile_indices):
        level = grey[72 + 144 * (k // 5), 128 + 256 * (k % 5)]
        assert abs(int(level) - (20 + 5 * index)) <= 4


def test_fill_missing_covers_a_stream_shorter_than_promised(tmp_path: Path) -> None:
    c = previews.PreviewCollector(100, 64, 64)
    for i in range(50):
        c.add(i, np.full((64, 64, 3), i, np.uint8))
    assert not c.complete
    c.fill_missing(np.full((64, 64, 3), 200, np.uint8))
    c.save(tmp_path / "t.webp", tmp_path / "s.jpg")
    with Image.open(tmp_path / "s.jpg") as sheet:
        assert sheet.size == (5 * 64, 2 * 64)
        assert np.asarray(sheet.convert("L"))[-32, -32] > 190
