"""The school's crest on the letterhead: uploaded by its senior leaders, inspected like a
parent's screenshot (only a clean re-encoded copy is kept), printed on every letter."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from letters.rendering import letter_pdf
from tests.factories import DETAILS, LetterFactory
from tests.images import image_bytes, upload


def images_on_first_page(data: bytes) -> int:
    page = PdfReader(io.BytesIO(data)).pages[0]
    return len(page.images)


@pytest.mark.django_db
def test_a_crest_is_checked_stored_clean_and_printed(client, head, school, case, parent):
    letter = LetterFactory(case=case, actor=head, kind="reminder", details=DETAILS, person=parent)
    without = images_on_first_page(letter_pdf(letter).data)
    client.force_login(head)
    from PIL import Image, PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "made on the bursar's laptop")
    out = io.BytesIO()
    Image.new("RGB", (200, 200), (20, 60, 120)).save(out, format="PNG", pnginfo=info)
    png = out.getvalue()
    response = client.post(
        "/staff/letters/settings/",
        {"school": school.pk, "logo": upload(png, "crest.png"), "letter_queue_target_days": 4},
    )
    assert response.status_code == 302
    school.refresh_from_db()
    assert school.logo and school.letter_queue_target_days == 4
    assert "crest" not in school.logo.name  # a random name, not the upload's
    with school.logo.open("rb") as f:
        stored = f.read()
    assert stored.startswith(b"\x89PNG") and b"bursar" not in stored  # the re-encoded copy
    letter.case.school.refresh_from_db()
    letter = type(letter).objects.select_related("case__school").get(pk=letter.pk)
    assert images_on_first_page(letter_pdf(letter).data) == without + 1
    assert client.get(f"/staff/letters/settings/logo/?school={school.pk}").status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "crest.svg",
            "SVG",
        ),
        (image_bytes("PNG") + b"<script>alert(1)</script>", "crest.png", ""),
        (b"not an image at all", "crest.png", ""),
    ],
)
def test_a_crest_that_is_not_a_clean_image_is_refused(client, head, school, data, name, message):
    client.force_login(head)
    response = client.post(
        "/staff/letters/settings/",
        {"school": school.pk, "logo": upload(data, name), "letter_queue_target_days": 4},
    )
    assert response.status_code == 200
    assert "There is a problem" in response.text and message in response.text
    school.refresh_from_db()
    assert not school.logo and school.letter_queue_target_days != 4  # nothing saved


@pytest.mark.django_db
def test_office_staff_cannot_change_the_letterhead(client, office):
    client.force_login(office)
    assert client.get("/staff/letters/settings/").status_code == 404
