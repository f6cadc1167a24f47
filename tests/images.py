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
