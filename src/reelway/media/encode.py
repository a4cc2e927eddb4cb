"""Write H.264 + AAC MP4 files the one way Reelway delivers them.

Every MP4 Reelway stores comes from ``Mp4Writer``: libx264 in yuv420p, AAC at 48 kHz stereo,
a keyframe about every two seconds (so seeking and preview extraction stay cheap) and the
``moov`` atom before ``mdat`` (faststart) so browsers can play while downloading.  Engines and
the benchmark baseline both use it, so their encodes are identical.

Colour conversion is split from encoding on purpose: ``convert`` turns an RGB array (of any
size: swscale scales while converting, which is how the animatic engine zooms for free) into
a yuv420p frame and may run on a producer thread, while ``write_frame`` only encodes and muxes.
"""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Mapping
from fractions import Fraction
from pathlib import Path
from types import TracebackType
from typing import Any

import av
import numpy as np
from av.audio.stream import AudioStream
from av.video.frame import VideoFrame
from av.video.reformatter import Colorspace, Interpolation, VideoReformatter
from numpy.typing import NDArray

AUDIO_RATE = 48_000
AUDIO_CHANNELS = 2
AUDIO_BITRATE = 128_000
PRESETS = (
    "ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower",
    "veryslow",
)  # fmt: skip
_BT709 = 1  # AVCOL_SPC_BT709 / AVCOL_PRI_BT709 / AVCOL_TRC_BT709
_MPEG_RANGE = 1

Rgb = NDArray[np.uint8]
"""An (height, width, 3) uint8 RGB image, or (height, width, 4) RGBA/RGBX whose fourth
channel is ignored; pixels within a row must be contiguous, rows need not be."""


def check_size(width: int, height: int) -> None:
    """yuv420p stores chroma per 2x2 block, so both sides must be even (and not tiny)."""
    if width < 16 or height < 16:
        raise ValueError(f"video size must be at least 16x16, got {width}x{height}")
    if width % 2 or height % 2:
        raise ValueError(f"video width and height must be even for yuv420p, got {width}x{height}")


def rgb_frame(rgb: Rgb) -> VideoFrame:
    """Wrap an RGB(A) array as a frame, without copying when its pixels are contiguous."""
    if rgb.dtype != np.uint8 or rgb.ndim != 3 or rgb.shape[2] not in (3, 4):
        raise ValueError(f"expected an (h, w, 3 or 4) uint8 array, got {rgb.dtype} {rgb.shape}")
    channels = rgb.shape[2]
    if rgb.strides[1:] != (channels, 1):
        rgb = np.ascontiguousarray(rgb)
    return VideoFrame.from_numpy_buffer(rgb, format="rgb24" if channels == 3 else "rgba")


def usable_cores() -> int:
    """The cores this process may run on (its affinity, which a container or taskset sets)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def frame_threads() -> int:
    """x264's frame threads: its own choice (1.5 per core) on small machines, at most 6, since
    each holds frames in flight (memory) and more gain nothing for one video."""
    return max(1, min(6, (3 * usable_cores() + 1) // 2))


class Mp4Writer:
    """An MP4 file being written: video frames in order, audio as samples, closed once.

    Use it as a context manager: leaving the block normally finalises the file; leaving it
    with an exception removes the partial file, so a failed render never leaves a playable
    half video behind.
    """

    def __init__(
        self,
        path: Path | str,
        width: int,
        height: int,
        fps: int,
        *,
        preset: str = "ultrafast",
        crf: int = 23,
        gop_seconds: float = 2.0,
        audio: bool = True,
        audio_bitrate: int = AUDIO_BITRATE,
        metadata: Mapping[str, str] | None = None,
        custom_metadata: bool = False,
        aac_coder: str = "fast",
    ) -> None:
        check_size(width, height)
        if not 1 <= fps <= 120:
            raise ValueError(f"fps must be between 1 and 120, got {fps}")
        if preset not in PRESETS:
            raise ValueError(f"unknown x264 preset {preset!r}; use one of {', '.join(PRESETS)}")
        if not 0 <= crf <= 51:
            raise ValueError(f"crf must be between 0 and 51, got {crf}")
        if aac_coder not in ("fast", "twoloop", "anmr"):
            raise ValueError(f"aac_coder must be fast, twoloop or anmr, got {aac_coder!r}")
        self.path = Path(path)
        self.width, self.height, self.fps = width, height, fps
        self.frames_written = 0
        self._audio_pending: list[NDArray[np.float32]] = []
        self._audio_written = 0
        self._closed = False
        self._reformatter = VideoReformatter()

        # use_metadata_tags keeps custom keys (as mdta atoms) at the cost of classic udta tags.
        movflags = "+faststart+use_metadata_tags" if custom_metadata else "+faststart"
        # max_interleave_delta 0: the muxer holds packets of a stream that runs ahead (audio
        # encoded up front) as long as it takes, so the file stays interleaved by time.
        options = {"movflags": movflags, "max_interleave_delta": "0"}
        self._container = av.open(str(self.path), "w", format="mp4", options=options)
        try:
            for key, value in (metadata or {}).items():
                self._container.metadata[key] = value
            video = self._container.add_stream("libx264", rate=fps)
            video.width, video.height, video.pix_fmt = width, height, "yuv420p"
            video.gop_size = max(1, round(gop_seconds * fps))
            video.options = {"preset": preset, "crf": str(crf)}
            context: Any = video.codec_context
            context.colorspace = context.color_primaries = context.color_trc = _BT709
            context.color_range = _MPEG_RANGE
            # Frame threads: x264 takes each frame and returns at once, encoding it on its
            # own threads while the caller makes the next (slice threads made every call
            # wait for the whole frame; measured 5 % slower for the animatic).
            context.thread_type = "FRAME"
            context.thread_count = frame_threads()
            self._video = video
            self._audio: AudioStream | None = None
            if audio:
                stream = self._container.add_stream("aac", rate=AUDIO_RATE)
                stream.layout = "stereo"
                stream.bit_rate = audio_bitrate
                # FFmpeg's default "twoloop" coder costs ~30 ms per second of stereo on a
                # small CPU; "fast" takes less than half that, for slightly lower quality at
                # 128 kb/s.  Pass aac_coder="twoloop" where the soundtrack matters more.
                stream.options = {"aac_coder": aac_coder}
                self._audio = stream
        except BaseException:
            self._container.close()
            self.path.unlink(missing_ok=True)
            raise
        self._time_base = Fraction(1, fps)

    # ------------------------------------------------------------------ video

    def convert(self, rgb: Rgb, *, pixelated: bool = False) -> VideoFrame:
        """RGB of any size -> a yuv420p BT.709 frame of the output size, ready to encode.

        A smaller or larger array (a crop of a bigger canvas, a low-resolution pixel-art
        canvas) is scaled by swscale in the same pass as the colour conversion, which costs
        about as much as the conversion alone.  Safe to call from one producer thread while
        another thread calls ``write_frame``.
        """
        scaled = rgb.shape[0] != self.height or rgb.shape[1] != self.width
        interpolation = Interpolation.POINT if pixelated else Interpolation.BILINEAR
        return self._reformatter.reformat(
            rgb_frame(rgb),
            width=self.width,
            height=self.height,
            format="yuv420p",
            src_colorspace=Colorspace.ITU709,
            dst_colorspace=Colorspace.ITU709,
            interpolation=interpolation if scaled else Interpolation.POINT,
            dst_color_range=_MPEG_RANGE,
        )

    def write_frame(self, frame: Rgb | VideoFrame) -> None:
        """Encode the next frame (RGB is converted first) and any audio due by its end."""
        if self._closed:
            raise ValueError("the writer is closed")
        if not isinstance(frame, VideoFrame):
            frame = self.convert(frame)
        if frame.width != self.width or frame.height != self.height:
            raise ValueError(
                f"frame is {frame.width}x{frame.height}, the video is {self.width}x{self.height}"
            )
        frame.pts = self.frames_written
        frame.time_base = self._time_base
        self._container.mux(self._video.encode(frame))
        self.frames_written += 1
        self._encode_audio(self.frames_written * AUDIO_RATE // self.fps)

    # ------------------------------------------------------------------ audio

    def write_audio(self, samples: NDArray[np.floating[Any]], *, now: bool = False) -> None:
        """Queue (2, n) float samples in -1..1; they are muxed alongside the video frames.

        Interleaving by time keeps the file streamable; whatever is queued past the last
        video frame is written by ``close``.  ``now``: encode all of it at once (a caller
        with an idle moment before its first frame, the animatic while its renderer is
        built); the muxer's interleaving queue still writes it in time order with the video.
        """
        if self._audio is None:
            raise ValueError("this writer has no audio stream")
        if samples.ndim != 2 or samples.shape[0] != AUDIO_CHANNELS:
            raise ValueError(f"expected ({AUDIO_CHANNELS}, n) samples, got {samples.shape}")
        self._audio_pending.append(np.ascontiguousarray(samples, dtype=np.float32))
        self._encode_audio(sys.maxsize if now else self.frames_written * AUDIO_RATE // self.fps)

    def _encode_audio(self, until: int) -> None:
        """Encode queued audio up to sample ``until``; a no-op without an audio stream."""
        if self._audio is None:
            return
        chunk_size = AUDIO_RATE // 10
        while self._audio_pending and self._audio_written < until:
            head = self._audio_pending[0]
            take = min(head.shape[1], until - self._audio_written, chunk_size)
            chunk, rest = head[:, :take], head[:, take:]
            if rest.shape[1]:
                self._audio_pending[0] = rest
            else:
                self._audio_pending.pop(0)
            frame = av.AudioFrame.from_ndarray(
                np.ascontiguousarray(chunk), format="fltp", layout="stereo"
            )
            frame.sample_rate = AUDIO_RATE
            frame.pts = self._audio_written
            frame.time_base = Fraction(1, AUDIO_RATE)
            self._container.mux(self._audio.encode(frame))
            self._audio_written += take

    # ------------------------------------------------------------------ lifecycle

    def close(self) -> None:
        """Flush both encoders and finalise the file (moov is moved to the front here)."""
        if self._closed:
            return
        self._closed = True
        try:
            self._container.mux(self._video.encode(None))
            if self._audio is not None:
                self._encode_audio(sys.maxsize)
                self._container.mux(self._audio.encode(None))
        finally:
            self._container.close()

    def abort(self) -> None:
        """Close without caring about the result and delete the partial file."""
        if not self._closed:
            self._closed = True
            with contextlib.suppress(Exception):
                self._container.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> Mp4Writer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is None:
            try:
                self.close()
            except BaseException:
                self.abort()
                raise
        else:
            self.abort()
