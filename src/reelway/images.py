"""Checking a reference image: what it really is (by its bytes) and whether it fits the video.

The part's declared Content-Type and the file name are ignored; the SDKs send
``application/octet-stream`` for raw bytes, and a wrong extension must not fool us.  Images
are read from a file object (uploads are spooled to disk past 1 MiB), never required whole
in memory.
"""

from __future__ import annotations

import hashlib
import io
import os
import warnings
from dataclasses import dataclass
from typing import BinaryIO

from PIL import Image, UnidentifiedImageError

from reelway import errors

FORMATS = {"png": "image/png", "jpeg": "image/jpeg", "webp": "image/webp"}
_NAMES = {"png": "PNG", "jpeg": "JPEG", "webp": "WebP"}
_HASH_CHUNK = 256 * 1024
_HEAD_BYTES = 64

_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"%PDF-", "PDF"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"PK\x03\x04", "ZIP archive (or an Office document)"),
    (b"\x1f\x8b", "gzip data"),
    (b"RIFF", "RIFF file (WAV or AVI, not WebP)"),
)


@dataclass(frozen=True)
class CheckedImage:
    file: BinaryIO
    """Positioned at the start of the image."""
    format: str
    width: int
    height: int
    size: int
    sha256: str

    @property
    def content_type(self) -> str:
        return FORMATS[self.format]

    @property
    def extension(self) -> str:
        return "jpg" if self.format == "jpeg" else self.format


def sniff(head: bytes) -> str | None:
    """png, jpeg or webp from the magic bytes; None for anything else."""
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    return None


SUFFIXES = {".png": "png", ".jpg": "jpeg", ".jpeg": "jpeg", ".webp": "webp"}
HEAD_BYTES = 12
"""Enough of a file's start for ``sniff``."""


def content_type(head: bytes, name: str = "") -> str:
    """The media type of an input image for a provider: by its first bytes (``head``), else by
    the suffix of ``name``, else JPEG.  The one table every engine uses."""
    found = sniff(head) or SUFFIXES.get(os.path.splitext(name)[1].lower(), "jpeg")
    return FORMATS[found]


def looks_like(head: bytes, size: int) -> str:
    """A few words on what a file that is not a PNG, JPEG or WebP seems to be, from its first
    bytes: for an error message, so a client learns what it actually sent."""
    for signature, name in _SIGNATURES:
        if head.startswith(signature):
            return name
    if head[4:8] == b"ftyp":
        brand = head[8:12]
        if brand in (b"heic", b"heix", b"mif1", b"msf1", b"avif"):
            return "HEIF/AVIF image"
        return "MP4/QuickTime video"
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if text.startswith((b"<svg", b"<?xml")):
        return "SVG/XML text"
    if text.startswith((b"<!doctype html", b"<html")):
        return "HTML page"
    if text.startswith((b"{", b"[")):
        return "JSON text"
    if text.startswith(b"data:"):
        return "a data URL sent as file content"
    try:
        decoded = head.decode("utf-8")
    except UnicodeDecodeError:
        decoded = ""
    if decoded and all(c.isprintable() or c in "\t\r\n" for c in decoded):
        return "text"
    return f"{size} bytes of unknown data"


def check_bytes(
    data: bytes, *, param: str, max_bytes: int, expected_size: tuple[int, int]
) -> CheckedImage:
    return check(io.BytesIO(data), param=param, max_bytes=max_bytes, expected_size=expected_size)


def check(
    source: BinaryIO, *, param: str, max_bytes: int, expected_size: tuple[int, int]
) -> CheckedImage:
    """Decode fully (CPU-bound: call it in a thread) and compare with the requested size."""
    source.seek(0, os.SEEK_END)
    size = source.tell()
    source.seek(0)
    if size == 0:
        raise errors.InvalidImage(f"{param} is empty; send a PNG, JPEG or WebP image.", param=param)
    if size > max_bytes:
        raise errors.ImageTooLarge(
            f"{param} is {size} bytes; the limit is {max_bytes} bytes.", param=param
        )
    head = source.read(_HEAD_BYTES)
    kind = sniff(head)
    if kind is None:
        raise errors.InvalidImage(
            f"{param} is not an image Reelway can read (it looks like: "
            f"{looks_like(head, size)}, judged by its bytes); send a PNG, JPEG or WebP.",
            param=param,
        )
    source.seek(0)
    digest = hashlib.sha256()
    while chunk := source.read(_HASH_CHUNK):
        digest.update(chunk)
    source.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(source, formats=[kind.upper()]) as image:
                width, height = image.size
                _check_size(param, (width, height), expected_size)
                image.load()
    except errors.ReelwayError:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise errors.ImageTooLarge(f"{param} has too many pixels.", param=param) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        # Never the exception's text: PIL's names the file object (a Python repr).
        raise errors.InvalidImage(
            f"{param} starts like a {_NAMES[kind]} image but is damaged or truncated, so it "
            f"could not be decoded ({size} bytes); send a complete PNG, JPEG or WebP.",
            param=param,
        ) from None
    source.seek(0)
    return CheckedImage(
        file=source,
        format=kind,
        width=width,
        height=height,
        size=size,
        sha256=digest.hexdigest(),
    )


def _check_size(param: str, actual: tuple[int, int], expected: tuple[int, int]) -> None:
    if actual != expected:
        raise errors.ImageSizeMismatch(
            f"{param} is {actual[0]}x{actual[1]} but the video size is "
            f"{expected[0]}x{expected[1]}; the reference image becomes the first frame, so "
            f"resize it to {expected[0]}x{expected[1]} or request size "
            f"'{actual[0]}x{actual[1]}' if the model allows it.",
            param=param,
        )
