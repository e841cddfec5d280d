"""Checking and re-encoding the photos attached to a report.

A photo is judged by its content, never its name: Pillow must decode it as JPEG, PNG or WebP,
the decoded format must match what the client declared (content type and file extension), no
data may follow the end of the image (a polyglot: a JPEG with a ZIP or HTML appended) and it
must stay under MAX_PIXELS and MAX_SIDE — read from the header, before any pixel is decoded: a
few hundred kilobytes of PNG can hold 81 M blank pixels, seconds of CPU and hundreds of MB to
decode. What is stored is a re-encoding of the pixels alone, at most MAX_STORED_SIDE a side
(officials' browsers are not handed 40 M pixel images): EXIF (GPS position included), XMP, ICC
and text chunks are all dropped.
"""

from __future__ import annotations

import io
import re
import secrets
import warnings
from dataclasses import dataclass
from typing import Final

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_PHOTO_BYTES = 5 * 1024 * 1024
MAX_PHOTOS = 3
# Above any phone camera's usual output (12–24 M pixels), far below Pillow's 89 M default.
MAX_PIXELS = 40_000_000
MAX_SIDE = 8000
# What is kept: enough to read a sign or a price tag; a 12 M pixel photo shrinks to ~3 M.
MAX_STORED_SIDE = 2560

_FORMATS = {
    "JPEG": ("image/jpeg", "jpg", {".jpg", ".jpeg", ".jfif"}),
    "PNG": ("image/png", "png", {".png"}),
    "WEBP": ("image/webp", "webp", {".webp"}),
}
_TYPE_TO_FORMAT = {
    "image/jpeg": "JPEG", "image/jpg": "JPEG", "image/pjpeg": "JPEG", "image/png": "PNG", "image/webp": "WEBP",
}
# Content types a browser or client sends when it does not know; the extension decides then.
_UNKNOWN_TYPES = {"", "application/octet-stream", "binary/octet-stream"}

# The name of a stored photo inside its report's directory (`photo_relative_path`): the orphan
# sweep (reports/cleanup.py) deletes files of this shape only, never anything else put there.
PHOTO_FILE_NAME: Final = re.compile(
    r"[0-9a-f]{32}\.(?:" + "|".join(extension for _type, extension, _exts in _FORMATS.values()) + ")"
)


def photo_relative_path(report_id: int, extension: str) -> str:
    """Where a photo of report `report_id` is stored, relative to REPORT_MEDIA_ROOT: its report's
    directory and a random name no one can guess (matching PHOTO_FILE_NAME)."""
    return f"{report_id}/{secrets.token_hex(16)}.{extension}"


class PhotoRejected(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class CleanPhoto:
    data: bytes
    content_type: str
    extension: str
    width: int
    height: int


def _declared_format(name: str, content_type: str) -> str | None:
    """The format the client claims, from the content type, else the file extension."""
    content_type = content_type.split(";")[0].strip().lower()
    lower = name.lower()
    ext = lower[lower.rfind("."):] if "." in lower else ""
    by_ext = next((fmt for fmt, (_t, _e, exts) in _FORMATS.items() if ext in exts), None)
    if ext and by_ext is None:
        return "?"
    if content_type in _UNKNOWN_TYPES:
        return by_ext
    by_type = _TYPE_TO_FORMAT.get(content_type, "?")
    if by_ext is not None and by_ext != by_type:
        return "?"
    return by_type


def _has_trailing_data(data: bytes, fmt: str) -> bool:
    if fmt == "JPEG":
        # Some encoders pad with zeros or a newline after the end-of-image marker; nothing else.
        return not data.rstrip(b"\x00\r\n ").endswith(b"\xff\xd9")
    if fmt == "PNG":
        end = data.rfind(b"IEND")
        return end < 0 or end + 8 != len(data)
    if fmt == "WEBP":
        riff_size = int.from_bytes(data[4:8], "little") + 8
        return len(data) not in (riff_size, riff_size + 1)
    return True


def _too_many_pixels(width: int, height: int) -> bool:
    return width * height > MAX_PIXELS or max(width, height) > MAX_SIDE


def photo_clean(*, name: str, content_type: str, data: bytes) -> CleanPhoto:
    """The re-encoded photo, or PhotoRejected with a message that says what to do."""
    if len(data) > MAX_PHOTO_BYTES:
        raise PhotoRejected(
            _("“%(name)s” is larger than %(mb)d MB. Send a smaller photo.") % {"name": name, "mb": MAX_PHOTO_BYTES // 2**20}
        )
    not_a_photo = _("“%(name)s” is not a JPEG, PNG or WebP photo.") % {"name": name}
    too_many = _("“%(name)s” has too many pixels. Send a smaller photo.") % {"name": name}
    declared = _declared_format(name, content_type)
    try:
        with warnings.catch_warnings():
            # A decompression bomb only warns below twice the limit: refuse it all the same.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                fmt = probe.format or ""
                # open() read the header only: refuse a huge image before anything decodes it.
                too_big = _too_many_pixels(*probe.size)
                if not too_big:
                    probe.verify()
            if too_big:
                raise PhotoRejected(too_many)
            if fmt not in _FORMATS:
                raise PhotoRejected(not_a_photo)
            if declared is not None and declared != fmt:
                raise PhotoRejected(
                    _("“%(name)s” is not the kind of file its name or type says. Send the photo itself.")
                    % {"name": name}
                )
            if _has_trailing_data(data, fmt):
                raise PhotoRejected(
                    _("“%(name)s” has other data after the picture. Save it again as a plain photo.") % {"name": name}
                )
            with Image.open(io.BytesIO(data)) as opened:
                # A JPEG can be decoded straight at a fraction of its size (1/2 … 1/8): far less
                # work and memory than decoding it whole and shrinking it afterwards.
                opened.draft(opened.mode, (MAX_STORED_SIDE, MAX_STORED_SIDE))
                opened.load()
                # Turn the pixels upright first: the orientation tag goes with the rest of EXIF.
                image: Image.Image = ImageOps.exif_transpose(opened) or opened
                # In place, keeping the aspect ratio; draft() left a JPEG at most twice too large.
                image.thumbnail((MAX_STORED_SIDE, MAX_STORED_SIDE))
                width, height = image.size
                if fmt == "JPEG":
                    mode = "RGB"
                elif fmt == "PNG":
                    mode = image.mode if image.mode in ("RGB", "RGBA", "L", "LA") else "RGBA"
                else:
                    mode = "RGBA" if "A" in image.getbands() else "RGB"
                pixels = image.convert(mode)
                # convert() copies `info` (ICC profile, EXIF, XMP, text chunks): keep pixels only.
                pixels.info = {}
                out = io.BytesIO()
                if fmt == "JPEG":
                    pixels.save(out, "JPEG", quality=85, optimize=True)
                elif fmt == "PNG":
                    pixels.save(out, "PNG", optimize=True)
                else:
                    pixels.save(out, "WEBP", quality=85)
    except PhotoRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise PhotoRejected(too_many) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError):
        raise PhotoRejected(not_a_photo) from None
    content, extension, _exts = _FORMATS[fmt]
    return CleanPhoto(data=out.getvalue(), content_type=content, extension=extension, width=width, height=height)
