"""Pictures: only real PNG, JPEG and WebP, capped in size, re-encoded without metadata."""

from __future__ import annotations

import io

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from inward.highlights.images import (
    EMAIL_SIDE,
    MAX_BYTES,
    ImageRefused,
    image_clean,
    image_for_email,
)
from inward.highlights.tests.factories import jpeg_bytes, png_bytes


def exif_with_gps() -> Image.Exif:
    exif = Image.Exif()
    exif[0x010F] = "SecretCam"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to show
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 1.0)}  # GPS
    return exif


@pytest.mark.parametrize(
    ("data", "content_type"),
    [
        (png_bytes(), "image/png"),
        (jpeg_bytes(), "image/jpeg"),
        (lambda: _webp(), "image/webp"),
    ],
)
def test_it_accepts_png_jpeg_and_webp(data: object, content_type: str) -> None:
    raw = data() if callable(data) else data
    assert isinstance(raw, bytes)

    clean = image_clean(raw)

    assert clean.content_type == content_type
    assert (clean.width, clean.height) == (40, 30)
    with Image.open(io.BytesIO(clean.data)) as reopened:
        assert reopened.format == content_type.split("/")[1].upper()


def _webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGBA", (40, 30), "purple").save(out, format="WEBP")
    return out.getvalue()


def test_it_strips_exif_and_applies_the_orientation() -> None:
    raw = jpeg_bytes(40, 30, exif=exif_with_gps())
    with Image.open(io.BytesIO(raw)) as original:
        assert original.getexif()[0x010F] == "SecretCam"

    clean = image_clean(raw)

    with Image.open(io.BytesIO(clean.data)) as reopened:
        assert not reopened.getexif()
        assert "exif" not in reopened.info
        assert reopened.size == (30, 40)  # turned upright, then the tag dropped
    assert b"SecretCam" not in clean.data


def test_it_drops_png_text_chunks() -> None:
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Author", "Somebody Private")
    clean = image_clean(png_bytes(pnginfo=info))

    assert b"Somebody Private" not in clean.data


@pytest.mark.parametrize(
    "data",
    [
        b"%PDF-1.7 not a picture at all",
        b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
        b"GIF89a" + b"\x00" * 40,
        b"",
    ],
    ids=["pdf", "svg", "gif", "empty"],
)
def test_it_refuses_what_is_not_png_jpeg_or_webp(data: bytes) -> None:
    with pytest.raises(ImageRefused, match="PNG, JPEG or WebP"):
        image_clean(data)


def test_it_refuses_a_gif_even_a_real_one() -> None:
    out = io.BytesIO()
    Image.new("P", (10, 10)).save(out, format="GIF")

    with pytest.raises(ImageRefused):
        image_clean(out.getvalue())


def test_it_refuses_a_file_over_five_megabytes() -> None:
    with pytest.raises(ImageRefused, match="larger than 5 MB"):
        image_clean(png_bytes() + b"\x00" * MAX_BYTES)


def test_it_refuses_more_than_4000_pixels_on_a_side_before_decoding() -> None:
    # Small on disk (one colour compresses well), huge when unpacked.
    with pytest.raises(ImageRefused, match="4001 by 10 pixels"):
        image_clean(png_bytes(4001, 10))


def test_it_refuses_a_damaged_picture() -> None:
    raw = jpeg_bytes(200, 200)
    with pytest.raises(ImageRefused):
        image_clean(raw[: len(raw) // 3])


def test_the_email_copy_is_at_most_1200_pixels() -> None:
    clean = image_clean(png_bytes(2400, 600))

    small = image_for_email(clean)

    assert (small.width, small.height) == (EMAIL_SIDE, 300)
    assert image_for_email(image_clean(png_bytes())).width == 40


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2048))
def test_any_bytes_are_either_refused_or_come_back_as_a_clean_picture(data: bytes) -> None:
    try:
        clean = image_clean(data)
    except ImageRefused:
        return
    with Image.open(io.BytesIO(clean.data)) as reopened:
        assert reopened.format in {"PNG", "JPEG", "WEBP"}


@settings(max_examples=30, deadline=None)
@given(st.binary(min_size=1, max_size=512), st.integers(min_value=8, max_value=2000))
def test_a_real_png_with_its_tail_garbled_never_escapes_as_anything_else(
    garbage: bytes, cut: int
) -> None:
    raw = png_bytes(50, 50)
    mangled = raw[: min(cut, len(raw))] + garbage
    try:
        clean = image_clean(mangled)
    except ImageRefused:
        return
    assert clean.content_type == "image/png"
