"""Pictures for highlights: checked to really be PNG, JPEG or WebP, capped in size, and
re-encoded so no metadata (EXIF with GPS positions, camera serials, comments, colour
profiles) survives.

The file's own bytes decide what it is, never its name or the browser's content type.
Only the first frame of an animated picture is kept.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 4000
# What e-mails carry: large enough for a screen, small enough for an inbox.
EMAIL_SIDE = 1200
FORMATS = {"PNG": "image/png", "JPEG": "image/jpeg", "WEBP": "image/webp"}
EXTENSIONS = {"image/png": "png", "image/jpeg": "jpg", "image/webp": "webp"}
_SAVE_OPTIONS: dict[str, dict[str, Any]] = {
    "JPEG": {"quality": 88, "optimize": True},
    "PNG": {"optimize": True},
    "WEBP": {"quality": 88},
}


class ImageRefused(ValueError):
    """A picture we do not take; the message says why, for the person who uploaded it."""


@dataclass(frozen=True, slots=True)
class CleanImage:
    data: bytes
    content_type: str
    width: int
    height: int


def image_clean(data: bytes) -> CleanImage:
    """``data`` re-encoded without metadata, or ``ImageRefused``.

    Refused: more than ``MAX_BYTES``, anything Pillow does not recognise as PNG, JPEG or
    WebP, a side longer than ``MAX_SIDE`` pixels (checked before decoding, so a small file
    that unpacks to a huge bitmap is never decoded), and files that fail to decode.
    """
    if len(data) > MAX_BYTES:
        raise ImageRefused(
            _("The picture is larger than %(mb)s MB. Save it smaller and try again.")
            % {"mb": MAX_BYTES // (1024 * 1024)}
        )
    image = _opened(data)
    try:
        fmt = image.format or ""
        if fmt not in FORMATS:
            raise ImageRefused(_("Upload a PNG, JPEG or WebP picture."))
        if max(image.size) > MAX_SIDE:
            raise ImageRefused(
                _("The picture is %(w)s by %(h)s pixels; at most %(max)s on each side, please.")
                % {"w": image.size[0], "h": image.size[1], "max": MAX_SIDE}
            )
        try:
            image.seek(0)
            image.load()
        # Pillow reports some broken PNG chunks as SyntaxError.
        except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise ImageRefused(_("The picture is damaged and cannot be read.")) from error
        return _reencoded(image, fmt)
    finally:
        image.close()


def image_for_email(clean: CleanImage) -> CleanImage:
    """A copy at most ``EMAIL_SIDE`` pixels on its longest side (the same when smaller)."""
    if max(clean.width, clean.height) <= EMAIL_SIDE:
        return clean
    with Image.open(io.BytesIO(clean.data)) as image:
        fmt = image.format or "PNG"
        image.thumbnail((EMAIL_SIDE, EMAIL_SIDE))
        return _reencoded(image, fmt)


def _opened(data: bytes) -> Image.Image:
    try:
        return Image.open(io.BytesIO(data), formats=list(FORMATS))
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as error:
        raise ImageRefused(_("Upload a PNG, JPEG or WebP picture.")) from error


def _reencoded(image: Image.Image, fmt: str) -> CleanImage:
    """Only the pixels are written again: no ``exif``, ``icc_profile``, text chunks or
    comments are passed to ``save``, so Pillow writes none. The EXIF orientation is applied
    to the pixels first, so the picture stays the right way up without it."""
    upright = ImageOps.exif_transpose(image)
    pixels = upright if upright is not None else image
    if fmt == "JPEG":
        pixels = pixels.convert("RGB")
    elif pixels.mode not in ("RGB", "RGBA", "L", "LA"):
        alpha = "A" in pixels.getbands() or "transparency" in pixels.info
        pixels = pixels.convert("RGBA" if alpha else "RGB")
    out = io.BytesIO()
    pixels.save(out, format=fmt, **_SAVE_OPTIONS[fmt])
    return CleanImage(
        data=out.getvalue(),
        content_type=FORMATS[fmt],
        width=pixels.width,
        height=pixels.height,
    )
