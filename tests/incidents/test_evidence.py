"""Upload attacks and the clean copy (docs/architecture.md "Evidence" and "Security")."""

from __future__ import annotations

import hashlib
import io
import struct
import zlib

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from PIL import Image

from incidents import evidence
from incidents.models import Evidence, Report
from tests.factories import REPORT_URL, report_form_data
from tests.images import image_bytes, jpeg_with_gps_and_rotation, png_upload, upload


def inspect(data: bytes, name="shot.png"):
    return evidence.inspect_image(upload(data, name))


def refused(data: bytes, name="shot.png") -> ValidationError:
    with pytest.raises(ValidationError) as info:
        inspect(data, name)
    return info.value


def test_accepts_png_jpeg_and_webp():
    for fmt, ctype in (("PNG", "image/png"), ("JPEG", "image/jpeg"), ("WEBP", "image/webp")):
        result = inspect(image_bytes(fmt))
        assert result.content_type == ctype
        assert result.original_sha256 == hashlib.sha256(result.original).hexdigest()
        assert Image.open(io.BytesIO(evidence.clean_copy(result.original).data)).format == fmt


def test_svg_with_script_is_refused():
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    error = refused(svg, "cute.svg")
    assert "SVG" in error.messages[0] and "JPEG, PNG or WebP" in error.messages[0]


def test_html_page_is_refused():
    error = refused(b"<!DOCTYPE html><html><body>hi</body></html>", "shot.png")
    assert error.code == "wrong_type"


def test_gif_with_script_polyglot_is_refused():
    error = refused(b"GIF89a<script>alert(document.domain)</script>", "shot.gif")
    assert error.code == "polyglot"
    assert "hidden web content" in error.messages[0]


def test_plain_gif_is_refused_as_wrong_type():
    error = refused(image_bytes("GIF"), "anim.gif")
    assert error.code == "wrong_type" and "GIF" in error.messages[0]


def test_png_with_html_appended_is_refused():
    error = refused(image_bytes("PNG") + b"<html><script>alert(1)</script></html>")
    assert error.code == "polyglot"


def test_png_with_binary_junk_appended_is_refused():
    error = refused(image_bytes("PNG") + b"\x01\x02PK\x03\x04zipfile")
    assert error.code == "polyglot"


def test_truncated_image_is_refused():
    error = refused(image_bytes("PNG")[:200])
    assert error.code == "unreadable"


def test_random_bytes_are_refused():
    error = refused(b"\x00\x01not an image at all" * 10, "notes.txt")
    assert "not a picture we can read" in error.messages[0]


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims a huge size (a decompression bomb's first step)."""

    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_huge_pixel_png_is_refused_before_decoding():
    error = refused(_png_header_only(30000, 30000))
    assert error.code == "too_many_pixels"


def test_over_ten_megabytes_is_refused():
    big = upload(b"\x89PNG" + b"\x00" * (10 * 1024 * 1024), "huge.png")
    with pytest.raises(ValidationError) as info:
        evidence.inspect_image(big)
    assert "larger than 10 MB" in info.value.messages[0]


def test_jpeg_gps_exif_is_removed_and_the_copy_is_upright():
    original = jpeg_with_gps_and_rotation()
    assert b"PhoneMaker" in original
    with Image.open(io.BytesIO(original)) as img:
        assert img.getexif().get_ifd(0x8825)  # the original really has GPS
    result = inspect(original, "photo.jpg")
    assert result.original == original  # the sealed original is byte for byte
    copy = evidence.clean_copy(result.original)
    with Image.open(io.BytesIO(copy.data)) as clean:
        assert not clean.getexif()
        assert "exif" not in clean.info
        assert clean.size == (100, 300) == (copy.width, copy.height)  # upright by its tag
    assert b"PhoneMaker" not in copy.data


def test_clean_png_has_no_text_chunks():
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "secret-location-51.5N")
    out = io.BytesIO()
    Image.new("RGB", (50, 50)).save(out, format="PNG", pnginfo=info)
    result = inspect(out.getvalue())
    assert b"secret-location" not in evidence.clean_copy(result.original).data


@pytest.mark.django_db
def test_a_sixth_file_is_refused_with_values_kept(school, client):
    data = report_form_data(school, reporter_name="Priya")
    data["screenshots"] = [png_upload(f"s{i}.png") for i in range(6)]
    response = client.post(REPORT_URL, data)
    assert response.status_code == 200
    assert "You can attach up to 5 screenshots." in response.text
    assert 'value="Priya"' in response.text
    assert not Report.objects.exists()


@pytest.mark.django_db
def test_each_bad_file_is_named_in_the_error(school, client):
    data = report_form_data(school)
    data["screenshots"] = [
        png_upload("good.png"),
        upload(b"<svg onload=alert(1)></svg>", "evil.svg", "image/svg+xml"),
    ]
    response = client.post(REPORT_URL, data)
    assert "“evil.svg” is a SVG or web page file" in response.text
    assert not Evidence.objects.exists()


@pytest.mark.django_db
def test_report_with_screenshots_stores_sealed_original_and_clean_copy(school, client, eager_tasks):
    data = report_form_data(school)
    gps = jpeg_with_gps_and_rotation()
    data["screenshots"] = [png_upload("chat.png"), upload(gps, "IMG_0001.JPG", "image/jpeg")]
    assert client.post(REPORT_URL, data).status_code == 302
    report = Report.objects.get()
    rows = list(report.evidence.order_by("pk"))
    assert len(rows) == 2
    photo = rows[1]
    assert photo.original_name == "IMG_0001.JPG"
    assert photo.content_type == "image/jpeg"
    with photo.original.open("rb") as f:
        stored = f.read()
    assert stored == gps and hashlib.sha256(stored).hexdigest() == photo.original_sha256
    with photo.clean.open("rb") as f:
        clean = f.read()
    assert hashlib.sha256(clean).hexdigest() == photo.clean_sha256
    assert b"PhoneMaker" not in clean
    # Stored privately, under random names, never under a public URL.
    for row in rows:
        for field in (row.original, row.clean):
            assert "IMG_0001" not in field.name and "chat" not in field.name
            assert field.path.startswith(str(settings.PRIVATE_MEDIA_ROOT))
            assert not field.path.startswith(str(settings.MEDIA_ROOT))
            with pytest.raises(ValueError):
                _ = field.url  # the private storage has no base URL
    assert client.get("/media/" + rows[0].original.name).status_code == 404


@pytest.mark.parametrize(
    "hidden",
    [b"<ScRiPt>", b"JAVASCRIPT:alert(1)", b"<SVG/onload=x>", b"<IMG\tsrc=x>", b"<!DocType html>"],
)
def test_markup_in_any_case_is_found_inside_a_jpeg(hidden):
    photo = image_bytes("JPEG")
    # Hidden in a comment segment right after the start marker, as a polyglot would.
    comment = b"\xff\xfe" + (len(hidden) + 2).to_bytes(2, "big") + hidden
    assert refused(photo[:2] + comment + photo[2:], "p.jpg").code == "polyglot"


@pytest.mark.parametrize("harmless", [b"<scrip t", b"<imgx", b"<svgx", b"java script:"])
def test_near_misses_are_not_markup(harmless):
    photo = image_bytes("JPEG")
    comment = b"\xff\xfe" + (len(harmless) + 2).to_bytes(2, "big") + harmless
    assert inspect(photo[:2] + comment + photo[2:], "p.jpg").content_type == "image/jpeg"


def _jpeg_with_thumbnail_segment() -> bytes:
    """A JPEG whose APP1 segment holds a whole small JPEG (as an EXIF thumbnail does)."""
    photo, thumbnail = image_bytes("JPEG"), image_bytes("JPEG", size=(16, 16))
    app1 = b"\xff\xe1" + (len(thumbnail) + 2).to_bytes(2, "big") + thumbnail
    return photo[:2] + app1 + photo[2:]


@pytest.mark.parametrize("cut", [0.5, 0.99])
def test_a_jpeg_cut_short_is_refused_in_the_request(cut):
    photo = _jpeg_with_thumbnail_segment()  # the thumbnail's own end marker fools nothing
    assert inspect(photo, "p.jpg").content_type == "image/jpeg"
    error = refused(photo[: int(len(photo) * cut)], "p.jpg")
    assert error.code == "unreadable" and "not a picture we can read" in error.messages[0]
    assert refused(photo[:-1], "p.jpg").code == "unreadable"  # one byte short of its end


def test_a_jpeg_with_a_phones_data_after_its_end_is_accepted():
    photo = image_bytes("JPEG") + b"\x00\x01phone-maker-trailer"
    assert inspect(photo, "p.jpg").content_type == "image/jpeg"


def test_a_webp_cut_short_is_refused_in_the_request():
    webp = image_bytes("WEBP")
    assert refused(webp[:-1], "s.webp").code == "unreadable"


def test_a_png_damaged_inside_passes_the_request_and_fails_to_decode():
    png = bytearray(image_bytes("PNG", size=(400, 400)))
    start = png.find(b"IDAT") + 20
    png[start : start + 40] = b"\xff" * 40  # the compressed pixels, not the container
    result = inspect(bytes(png))  # headers and container are sound: accepted, sealed
    with pytest.raises(evidence.DamagedImage, match="damaged"):
        evidence.clean_copy(result.original)
