"""An optional visible mark ("AI-generated") burned into finished videos and their previews.

The mark is rendered once per frame size with Pillow, then blended into each decoded frame
in YUV, on the box region only: no per-frame RGB conversion or full-frame composite, so the
cost is a decode plus an encode.  The mark is neutral (a dark box, white text), so blending
it in YUV equals blending it in RGB whatever the source's colour matrix, and chroma simply
fades towards grey.  Audio packets are copied, not re-encoded: the soundtrack stays
bit-identical and costs nothing.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from av.video.frame import VideoFrame
from numpy.typing import NDArray
from PIL import Image, ImageDraw, ImageFont

from reelway.media.encode import PRESETS
from reelway.media.previews import SPRITESHEET_QUALITY, THUMBNAIL_QUALITY

POSITIONS = ("top-left", "top-right", "bottom-left", "bottom-right")
MAX_TEXT = 80
TEXT_SHARE = 0.035
"""Text height as a share of the frame's shorter side: readable, not dominant."""
MIN_TEXT_PX = 10
MARGIN_SHARE = 0.02
_FULL_RANGE = 2  # AVCOL_RANGE_JPEG
_MPEG_RANGE = 1

Plane = NDArray[np.uint8]


@dataclass(frozen=True)
class Watermark:
    """What to burn in: ``opacity`` scales the whole mark (box and text) over the picture."""

    text: str = "AI-generated"
    position: str = "bottom-right"
    opacity: float = 0.6

    def __post_init__(self) -> None:
        if not isinstance(self.text, str) or not self.text.strip():
            raise ValueError("watermark text must be a non-empty string")
        if len(self.text) > MAX_TEXT or not self.text.isprintable():
            raise ValueError(
                f"watermark text must be one printable line of at most {MAX_TEXT} characters"
            )
        if self.position not in POSITIONS:
            raise ValueError(
                f"watermark position must be one of {', '.join(POSITIONS)}, got {self.position!r}"
            )
        # 0 is refused too: an invisible mark is a misconfiguration, not a choice.
        if isinstance(self.opacity, bool) or not isinstance(self.opacity, int | float):
            raise ValueError(f"watermark opacity must be a number, got {self.opacity!r}")
        if not 0 < self.opacity <= 1:
            raise ValueError(f"watermark opacity must be above 0 and at most 1, got {self.opacity}")


def render(mark: Watermark, width: int, height: int) -> tuple[Image.Image, int, int]:
    """The mark as an RGBA image (alpha already scaled by opacity) and its top-left corner.

    Sizes follow the shorter side, so portrait and landscape get the same mark.  Box sides
    and position are even so the box covers whole 2x2 chroma blocks of a yuv420p frame.
    """
    short = min(width, height)
    size = max(MIN_TEXT_PX, round(TEXT_SHARE * short))
    margin = max(2, round(MARGIN_SHARE * short)) // 2 * 2
    box = _box(mark.text, size)
    if box.width > width - 2 * margin:  # long text on a small frame: shrink the font once
        box = _box(mark.text, max(6, size * (width - 2 * margin) // box.width))
    box = box.crop((0, 0, min(box.width, width // 2 * 2), min(box.height, height // 2 * 2)))
    left, top = mark.position.endswith("left"), mark.position.startswith("top")
    x = margin if left else width - margin - box.width
    y = margin if top else height - margin - box.height
    x = max(0, min(x, width - box.width)) // 2 * 2
    y = max(0, min(y, height - box.height)) // 2 * 2
    alpha = np.asarray(box.getchannel("A"), np.float32) * mark.opacity
    box.putalpha(Image.fromarray(np.rint(alpha).astype(np.uint8), "L"))
    return box, x, y


def _box(text: str, size: int) -> Image.Image:
    """White text on an opaque, rounded dark box, with even sides."""
    font = ImageFont.load_default(size=size)
    left, top, right, bottom = font.getbbox(text)
    pad = max(2, round(size * 0.35))
    w = (int(right - left) + 2 * pad + 1) // 2 * 2
    h = (int(bottom - top) + 2 * pad + 1) // 2 * 2
    image = Image.new("RGBA", (w, h), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle((0, 0, w - 1, h - 1), radius=max(1, pad // 2), fill=(16, 16, 16, 255))
    draw.text((pad - left, pad - top), text, font=font, fill=(255, 255, 255, 255))
    return image


class _YuvOverlay:
    """The rendered mark as precomputed blend terms for the Y, U and V planes."""

    def __init__(self, box: Image.Image, x: int, y: int, *, full_range: bool) -> None:
        rgba = np.asarray(box, np.float32)
        alpha = rgba[..., 3] / 255.0
        luma = rgba[..., :3] @ np.array([0.2126, 0.7152, 0.0722], np.float32)
        if not full_range:
            luma = 16 + luma * (219 / 255)
        h, w = alpha.shape
        chroma_alpha = alpha.reshape(h // 2, 2, w // 2, 2).mean(axis=(1, 3))
        self.x, self.y, self.w, self.h = x, y, w, h
        self.keep, self.add = 1 - alpha, alpha * luma
        self.keep_c, self.add_c = 1 - chroma_alpha, chroma_alpha * 128

    def apply(self, frame: VideoFrame) -> None:
        """Blend into a writable yuv420p frame, in place."""
        x, y, w, h = self.x, self.y, self.w, self.h
        _blend(_plane(frame, 0)[y : y + h, x : x + w], self.keep, self.add)
        for index in (1, 2):
            region = _plane(frame, index)[y // 2 : (y + h) // 2, x // 2 : (x + w) // 2]
            _blend(region, self.keep_c, self.add_c)


def _plane(frame: VideoFrame, index: int) -> Plane:
    plane = frame.planes[index]
    rows = np.frombuffer(memoryview(plane), np.uint8, count=plane.line_size * plane.height)
    return rows.reshape(plane.height, plane.line_size)[:, : plane.width]


def _blend(region: Plane, keep: NDArray[np.float32], add: NDArray[np.float32]) -> None:
    region[...] = np.clip(region * keep + add + 0.5, 0, 255).astype(np.uint8)


def apply_to_video(
    src: Path,
    dst: Path,
    mark: Watermark,
    *,
    preset: str = "ultrafast",
    crf: int = 23,
    from_seconds: float = 0.0,
) -> None:
    """Write ``src`` with the mark burned in to ``dst`` (H.264, faststart, audio copied).

    Frame timestamps and the time base are kept, so the result has the source's exact
    timing.  The defaults match ``Mp4Writer``'s.  A partial ``dst`` is removed on failure.
    Frames before ``from_seconds`` are left as they are: an extension stitched onto a source
    that already carries the mark must not be marked twice there.
    """
    if Path(src).resolve() == Path(dst).resolve():
        raise ValueError("watermark output must be a new file, not the source itself")
    if preset not in PRESETS:
        raise ValueError(f"unknown x264 preset {preset!r}; use one of {', '.join(PRESETS)}")
    if not 0 <= crf <= 51:
        raise ValueError(f"crf must be between 0 and 51, got {crf}")
    with av.open(str(src)) as source:
        if not source.streams.video:
            raise ValueError(f"{src} has no video stream")
        try:
            with av.open(str(dst), "w", format="mp4", options={"movflags": "+faststart"}) as out:
                _transcode(source, out, mark, preset, crf, from_seconds)
        except BaseException:
            Path(dst).unlink(missing_ok=True)
            raise


def _transcode(
    source: Any, out: Any, mark: Watermark, preset: str, crf: int, from_seconds: float
) -> None:
    """One demux pass: video is decoded, marked and encoded; audio packets are remuxed."""
    video_in = source.streams.video[0]
    video_in.thread_type = "AUTO"
    in_ctx = video_in.codec_context
    width, height = in_ctx.width, in_ctx.height
    convert = in_ctx.pix_fmt != "yuv420p"  # 10-bit, 4:4:4, yuvj: encode as limited yuv420p
    full_range = not convert and in_ctx.color_range == _FULL_RANGE
    for key, value in source.metadata.items():
        out.metadata[key] = value
    rate = video_in.average_rate or video_in.guessed_rate or 24
    video = out.add_stream("libx264", rate=rate)
    video.width, video.height, video.pix_fmt = width, height, "yuv420p"
    video.time_base = video_in.time_base
    video.codec_context.time_base = video_in.time_base
    video.gop_size = max(1, round(2 * float(rate)))  # as Mp4Writer: a keyframe every 2 s
    video.options = {"preset": preset, "crf": str(crf)}
    ctx = video.codec_context
    ctx.colorspace, ctx.color_primaries = in_ctx.colorspace, in_ctx.color_primaries
    ctx.color_trc = in_ctx.color_trc
    ctx.color_range = _FULL_RANGE if full_range else _MPEG_RANGE
    audio_in = source.streams.audio[0] if source.streams.audio else None
    audio = out.add_stream_from_template(audio_in) if audio_in is not None else None
    overlay = _YuvOverlay(*render(mark, width, height), full_range=full_range)
    half_frame = 0.5 / float(rate)
    streams = [video_in] if audio_in is None else [video_in, audio_in]
    for packet in source.demux(streams):
        if packet.stream is audio_in:
            if packet.dts is not None:  # skip the demuxer's empty flush packet
                packet.stream = audio
                out.mux(packet)
            continue
        for frame in packet.decode():
            if convert:
                frame = frame.reformat(format="yuv420p", dst_color_range=_MPEG_RANGE)
            else:
                frame.make_writable()  # never draw into the decoder's reference pictures
            frame.pict_type = 0  # let x264 choose frame types, not copy the source's
            if frame.time is None or frame.time >= from_seconds - half_frame:
                overlay.apply(frame)
            out.mux(video.encode(frame))
    out.mux(video.encode(None))


def apply_to_image(path: Path, mark: Watermark) -> None:
    """Mark a preview image in place, keeping its format (WebP thumbnail, JPEG spritesheet)."""
    with Image.open(path) as opened:
        fmt = opened.format
        image = opened.convert("RGBA")
        mode = opened.mode if opened.mode in ("RGB", "RGBA", "L") else "RGB"
    box, x, y = render(mark, image.width, image.height)
    image.alpha_composite(box, dest=(x, y))
    options: dict[str, Any] = {}
    if fmt == "WEBP":
        options = {"quality": THUMBNAIL_QUALITY, "method": 2}
    elif fmt == "JPEG":
        options = {"quality": SPRITESHEET_QUALITY}
        mode = "L" if mode == "L" else "RGB"
    partial = path.with_name(path.name + ".partial")  # a failed save leaves the original
    try:
        image.convert(mode).save(partial, fmt, **options)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
