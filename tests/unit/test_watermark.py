"""The visible watermark, checked by decoding real MP4s and images before and after."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

from reelway.media import encode, previews, probe, watermark
from tests import media_checks

FPS = 24
W, H = 320, 180
CORNERS = {
    # (rows, columns) of a corner region that holds the whole mark at 320x180
    "top-left": (slice(0, H // 5), slice(0, W // 3)),
    "top-right": (slice(0, H // 5), slice(W - W // 3, W)),
    "bottom-left": (slice(H - H // 5, H), slice(0, W // 3)),
    "bottom-right": (slice(H - H // 5, H), slice(W - W // 3, W)),
}
OPPOSITE = {
    "top-left": "bottom-right",
    "top-right": "bottom-left",
    "bottom-left": "top-right",
    "bottom-right": "top-left",
}


def scene(index: int, width: int = W, height: int = H) -> np.ndarray:
    """Mid grey with a soft gradient that drifts: a dark box and white text both show on it."""
    x = np.linspace(-12, 12, width, dtype=np.float32)[None, :]
    y = np.linspace(-8, 8, height, dtype=np.float32)[:, None]
    level = np.clip(128 + x + y + (index % 8), 0, 255).astype(np.uint8)
    return np.repeat(level[:, :, None], 3, axis=2)


def make_video(path: Path, *, frames: int = FPS, audio: bool = True) -> Path:
    with encode.Mp4Writer(path, W, H, FPS, audio=audio) as writer:
        if audio:
            t = np.arange(frames * encode.AUDIO_RATE // FPS) / encode.AUDIO_RATE
            tone = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
            writer.write_audio(np.stack([tone, -tone]))
        for i in range(frames):
            writer.write_frame(scene(i))
    return path


def decoded(path: Path) -> tuple[list[np.ndarray], list[int | None], Fraction | None]:
    """Every frame as RGB, their timestamps and the stream's time base."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        rgb = [f.to_ndarray(format="rgb24") for f in frames]
        return rgb, [f.pts for f in frames], stream.time_base


def audio_packets(path: Path) -> list[bytes]:
    with av.open(str(path)) as container:
        if not container.streams.audio:
            return []
        return [bytes(p) for p in container.demux(audio=0) if p.dts is not None]


def corner_diff(a: np.ndarray, b: np.ndarray, corner: str) -> float:
    rows, cols = CORNERS[corner]
    return float(np.abs(a[rows, cols].astype(np.int16) - b[rows, cols].astype(np.int16)).mean())


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_video(tmp_path_factory.mktemp("wm") / "source.mp4")


@pytest.fixture(scope="module")
def marked(source: Path) -> Path:
    out = source.with_name("marked.mp4")
    watermark.apply_to_video(source, out, watermark.Watermark())
    return out


def test_marked_video_keeps_frames_size_timing_and_is_faststart(source: Path, marked: Path) -> None:
    before, after = probe.probe(source), probe.probe(marked)
    facts = media_checks.decode_mp4(marked.read_bytes(), signed=False)
    assert (facts.width, facts.height, facts.video_codec) == (W, H, "h264")
    assert facts.frames == before.frames == FPS
    assert facts.duration == pytest.approx(before.duration, abs=1 / FPS)
    assert after.duration == pytest.approx(before.duration, abs=1 / FPS)
    assert after.pix_fmt == "yuv420p" and after.fps == pytest.approx(FPS)
    assert facts.faststart and after.faststart
    _, source_pts, source_base = decoded(source)
    _, marked_pts, marked_base = decoded(marked)
    assert marked_pts == source_pts and marked_base == source_base


def test_marked_video_copies_the_audio_packets_unchanged(source: Path, marked: Path) -> None:
    original = audio_packets(source)
    assert len(original) > 40  # about 47 AAC frames in a second at 48 kHz
    assert audio_packets(marked) == original
    info = probe.probe(marked)
    assert (info.audio_codec, info.sample_rate, info.channels) == ("aac", 48000, 2)
    assert info.audio_duration == pytest.approx(1.0, abs=1 / FPS)


def test_the_mark_changes_its_corner_and_nothing_else(source: Path, marked: Path) -> None:
    before, _, _ = decoded(source)
    after, _, _ = decoded(marked)
    marked_diffs = [corner_diff(a, b, "bottom-right") for a, b in zip(before, after, strict=True)]
    # The same mark on every frame: drawing into the decoder's reference pictures would
    # compound it from frame to frame (darker and darker where the picture barely moves).
    assert min(marked_diffs) > 15 and max(marked_diffs) - min(marked_diffs) < 5
    for a, b in zip(before, after, strict=True):
        for corner in ("top-left", "top-right", "bottom-left"):
            assert corner_diff(a, b, corner) < 2.5
    rows, cols = CORNERS["bottom-right"]
    luma = after[0][rows, cols].mean(axis=2)
    assert (luma < 90).sum() > 300  # the dark box: grey 128 darkened to about 60
    assert luma.max() > 170  # the white text over it: about 200


@pytest.mark.parametrize("position", watermark.POSITIONS)
def test_each_position_marks_its_own_corner(tmp_path: Path, position: str) -> None:
    src = make_video(tmp_path / "s.mp4", frames=3, audio=False)
    out = tmp_path / "m.mp4"
    watermark.apply_to_video(src, out, watermark.Watermark(position=position))
    before, _, _ = decoded(src)
    after, _, _ = decoded(out)
    diffs = {corner: corner_diff(before[1], after[1], corner) for corner in CORNERS}
    assert diffs[position] > 15
    assert diffs[OPPOSITE[position]] < 2.5
    assert max(diffs, key=lambda corner: diffs[corner]) == position
    assert audio_packets(out) == [] and not probe.probe(out).has_audio


def test_opacity_sets_how_strongly_the_mark_shows(tmp_path: Path, source: Path) -> None:
    faint, strong = tmp_path / "faint.mp4", tmp_path / "strong.mp4"
    watermark.apply_to_video(source, faint, watermark.Watermark(opacity=0.2))
    watermark.apply_to_video(source, strong, watermark.Watermark(opacity=1.0))
    before = decoded(source)[0][0]
    faint_diff = corner_diff(before, decoded(faint)[0][0], "bottom-right")
    strong_diff = corner_diff(before, decoded(strong)[0][0], "bottom-right")
    assert 2 < faint_diff < strong_diff / 2


def test_the_mark_scales_with_the_frame_and_stays_inside_it() -> None:
    mark = watermark.Watermark()
    big, x, y = watermark.render(mark, 1920, 1080)
    assert 0.035 * 1080 < big.height < 0.1 * 1080
    assert x + big.width <= 1920 - 0.015 * 1080 and y + big.height <= 1080 - 0.015 * 1080
    small, _, _ = watermark.render(mark, 320, 180)
    assert small.height < big.height and small.height >= watermark.MIN_TEXT_PX
    for width, height in ((16, 16), (64, 360), (48, 32)):
        box, x, y = watermark.render(mark, width, height)
        assert 0 <= x <= width - box.width and 0 <= y <= height - box.height
    assert np.asarray(big.getchannel("A")).max() == round(255 * mark.opacity)


def test_output_must_be_a_new_file(source: Path) -> None:
    data = source.read_bytes()
    with pytest.raises(ValueError, match="new file"):
        watermark.apply_to_video(source, source, watermark.Watermark())
    with pytest.raises(ValueError, match="new file"):
        watermark.apply_to_video(source, source.parent / "." / source.name, watermark.Watermark())
    assert source.read_bytes() == data


def test_a_file_without_video_leaves_no_output(tmp_path: Path) -> None:
    src, out = tmp_path / "audio.mp4", tmp_path / "out.mp4"
    with av.open(str(src), "w", format="mp4") as container:
        stream = container.add_stream("aac", rate=48000)
        frame = av.AudioFrame.from_ndarray(np.zeros((2, 1024), np.float32), "fltp", "stereo")
        frame.sample_rate = 48000
        container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    with pytest.raises(ValueError, match="no video stream"):
        watermark.apply_to_video(src, out, watermark.Watermark())
    assert not out.exists()


def test_previews_are_marked_in_place_in_their_own_format(tmp_path: Path, source: Path) -> None:
    thumbnail, sheet = tmp_path / "thumb.webp", tmp_path / "sheet.jpg"
    previews.previews_from_video(source, thumbnail, sheet)
    mark = watermark.Watermark(position="top-left")
    for path, fmt in ((thumbnail, "WEBP"), (sheet, "JPEG")):
        original = media_checks.decode_image(path.read_bytes(), fmt)
        watermark.apply_to_image(path, mark)
        again = media_checks.decode_image(path.read_bytes(), fmt)
        assert again.size == original.size and again.mode == "RGB"
        a, b = np.asarray(original).astype(int), np.asarray(again).astype(int)
        h, w = a.shape[:2]
        box, x, y = watermark.render(mark, w, h)
        assert x < w // 4 and y < h // 4
        near = (slice(y, y + box.height), slice(x, x + box.width))
        far = (slice(h // 2, h), slice(w // 2, w))
        assert np.abs(a[near] - b[near]).mean() > 15
        assert np.abs(a[far] - b[far]).mean() < 2.5
    assert not list(tmp_path.glob("*.partial"))


def test_an_rgba_webp_keeps_its_alpha(tmp_path: Path) -> None:
    path = tmp_path / "a.webp"
    Image.new("RGBA", (200, 100), (128, 128, 128, 100)).save(path, "WEBP", lossless=True)
    watermark.apply_to_image(path, watermark.Watermark())
    with Image.open(path) as image:
        assert (image.format, image.mode, image.size) == ("WEBP", "RGBA", (200, 100))
        alpha = np.asarray(image.getchannel("A"))
    assert alpha[:20, :50].max() <= 101  # untouched top-left: as transparent as before
    assert alpha[80:, 150:].max() > 150  # the mark is drawn over, raising the alpha


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"position": "center"}, "position must be one of top-left, top-right"),
        ({"position": "Bottom-Right"}, "position must be one of"),
        ({"opacity": 1.5}, "opacity must be above 0 and at most 1, got 1.5"),
        ({"opacity": -0.1}, "opacity must be above 0 and at most 1"),
        ({"opacity": 0}, "opacity must be above 0"),
        ({"opacity": float("nan")}, "opacity must be above 0"),
        ({"opacity": "0.5"}, "opacity must be a number"),
        ({"text": ""}, "text must be a non-empty string"),
        ({"text": "   "}, "text must be a non-empty string"),
        ({"text": "AI\ngenerated"}, "one printable line"),
        ({"text": "x" * 81}, "at most 80 characters"),
    ],
)
def test_bad_settings_are_refused_clearly(settings: dict[str, object], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        watermark.Watermark(**settings)  # type: ignore[arg-type]


def test_good_settings_are_kept() -> None:
    mark = watermark.Watermark(text="Made with AI", position="top-left", opacity=1)
    assert (mark.text, mark.position, mark.opacity) == ("Made with AI", "top-left", 1)
    assert watermark.Watermark() == watermark.Watermark("AI-generated", "bottom-right", 0.6)


def test_frames_before_from_seconds_are_left_unmarked(tmp_path: Path, source: Path) -> None:
    """An extension stitched onto an already marked source is marked from the join on only,
    so the source's part does not carry the mark twice."""
    out = tmp_path / "tail_marked.mp4"
    watermark.apply_to_video(source, out, watermark.Watermark(), from_seconds=0.5)
    before, pts, base = decoded(source)
    after, _, _ = decoded(out)
    assert base is not None and all(p is not None for p in pts)
    times = [float((p or 0) * base) for p in pts]
    diffs = [corner_diff(a, b, "bottom-right") for a, b in zip(before, after, strict=True)]
    early = [d for d, t in zip(diffs, times, strict=True) if t < 0.5 - 0.5 / FPS]
    late = [d for d, t in zip(diffs, times, strict=True) if t >= 0.5 - 0.5 / FPS]
    assert early and late
    assert max(early) < 2.5, "frames before the join were marked"
    assert min(late) > 15, "frames after the join were not marked"
