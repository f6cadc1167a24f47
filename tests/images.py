"""Image files for upload tests, made on the fly with Pillow."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image


def image_bytes(fmt: str = "PNG", size=(320, 200), color=(30, 120, 200), exif=None) -> bytes:
    image = Image.new("RGB", size, color)
    out = io.BytesIO()
    kwargs = {"exif": exif} if exif is not None else {}
    image.save(out, format=fmt, **kwargs)
    return out.getvalue()


def upload(data: bytes, name: str = "screenshot.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def png_upload(name: str = "screenshot.png", **kwargs) -> SimpleUploadedFile:
    return upload(image_bytes("PNG", **kwargs), name, "image/png")


def jpeg_with_gps_and_rotation() -> bytes:
    """A 300x100 JPEG whose EXIF says: rotate 90°, and here is where it was taken."""
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "PhoneMaker"
    gps = {1: "N", 2: (51.0, 30.0, 0.0), 3: "W", 4: (0.0, 7.0, 0.0)}
    exif[0x8825] = gps
    return image_bytes("JPEG", size=(300, 100), exif=exif)


def text_screenshot(lines: list[str], fmt: str = "PNG", size=(1000, 400)) -> bytes:
    """A screenshot-like picture with these lines of text, drawn with our shipped font, so
    OCR tests know exactly what it says."""
    from pathlib import Path

    from PIL import ImageDraw, ImageFont

    font_path = (
        Path(__file__).resolve().parents[1] / "static/fonts/source-sans-3/SourceSans3-Regular.ttf"
    )
    font = ImageFont.truetype(str(font_path), 40)
    image = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(image)
    for number, line in enumerate(lines):
        draw.text((40, 40 + number * 70), line, fill=(20, 20, 20), font=font)
    out = io.BytesIO()
    image.save(out, format=fmt)
    return out.getvalue()
