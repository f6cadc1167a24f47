"""Real PDFs, read back with pypdf: merged values in, reporter out, nothing fetched from
outside, HarfBuzz subsetting, our own fonts embedded."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from letters import services
from letters.kinds import TO_REPORTER, LetterKind
from letters.rendering import html_to_pdf, letter_pdf
from letters.values import normalise_entered
from tests.factories import DETAILS, RECORDED, REPORTER, LetterFactory


def pdf_text(data: bytes) -> str:
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() for page in reader.pages)


def fonts(data: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(data)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
    return names


def test_harfbuzz_subsetting_is_in_use():
    from weasyprint.text.ffi import harfbuzz_subset

    assert harfbuzz_subset is not None, "install libharfbuzz-subset0 (5x faster letters)"


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_default_template_renders_a_valid_pdf(case, head, parent, recorded_bar, kind):
    report = case.reports.first()
    letter = services.letter_draft(
        case=case,
        kind=kind,
        actor=head,
        details=DETAILS,
        delivery_method="follow_up" if kind in TO_REPORTER else "post",
        person=parent,
        report=report,
    )
    pdf = letter_pdf(letter)
    assert pdf.data.startswith(b"%PDF-") and pdf.pages >= 1
    text = " ".join(pdf_text(pdf.data).split())
    assert case.reference in text
    assert "Willow Park Primary" in text
    assert "Page 1 of" in text
    assert any("Source-Sans-3" in f for f in fonts(pdf.data))  # our shipped font, embedded
    if kind in TO_REPORTER:
        assert "Priya Shah" in text
    else:
        assert "Mr Jason Turner" in text and "14 Orchard Close" in text
        for detail in REPORTER.values():
            assert detail not in text
        # The values entered for this kind are in the letter.
        from letters.kinds import REQUIRED

        for name in REQUIRED[kind]:
            if name in RECORDED:
                assert RECORDED[name] in text, name
            elif name in DETAILS:
                expected = normalise_entered(name, DETAILS[name])
                assert " ".join(expected.split())[:25] in text, name


@pytest.mark.django_db
def test_a_letter_to_the_parent_may_not_name_the_reporter(case, head, parent):
    details = {
        **DETAILS,
        "conduct_summary": "Priya Shah told us you called Mr Patel a liar.",
    }
    with pytest.raises(services.LetterError, match="never name them"):
        services.letter_draft(
            case=case,
            kind="warning",
            actor=head,
            details=details,
            delivery_method="post",
            person=parent,
        )
    draft = LetterFactory(case=case, actor=head, kind="warning", details=DETAILS, person=parent)
    with pytest.raises(services.LetterError, match="never name them"):
        services.letter_update_draft(
            letter=draft,
            actor=head,
            title=draft.title,
            body_html=draft.body_html + "<p>priya.shah@example.com</p>",
        )


SECRET = "TOP-SECRET-LOCAL-FILE-CONTENT"


@pytest.mark.parametrize(
    "markup",
    [
        '<img src="file://{path}">',
        '<link rel="stylesheet" href="file://{path}">',
        '<a rel="attachment" href="file://{path}">x</a>',
        '<object data="file://{path}"></object>',
        '<img src="http://127.0.0.1:9/x.png"><img src="https://example.com/x.png">',
        '<style>@import url("file://{path}");</style>',
        '<img src="sc://asset/static/../../../{rel}">',
    ],
)
def test_the_fetcher_never_lets_local_files_or_the_network_into_the_pdf(tmp_path, markup):
    secret = tmp_path / "secret.txt"
    secret.write_text(SECRET)
    html = (
        "<html lang='en-GB'><head><title>t</title></head><body><p>Hello</p>"
        + markup.format(path=secret, rel=str(secret).lstrip("/"))
        + "</body></html>"
    )
    pdf = html_to_pdf(html)
    assert SECRET.encode() not in pdf.data
    assert SECRET not in pdf_text(pdf.data)
    reader = PdfReader(io.BytesIO(pdf.data))
    assert not reader.attachments


def test_the_fetcher_serves_only_our_fonts_and_letter_css():
    from letters.rendering import make_fetcher

    fetcher = make_fetcher()
    response = fetcher.fetch("sc://asset/static/fonts/source-sans-3/SourceSans3-Regular.ttf")
    assert response.read()[:4] in (b"\x00\x01\x00\x00", b"true", b"OTTO")
    for url in (
        "sc://asset/static/css/site.css",
        "sc://asset/static/../settings.py",
        "file:///etc/passwd",
        "http://example.com/",
        "data:text/plain,hi",
    ):
        with pytest.raises(ValueError):
            fetcher.fetch(url)


@pytest.mark.django_db
def test_the_school_logo_is_in_the_letterhead(case, head, parent):
    from django.core.files.base import ContentFile

    from tests.images import image_bytes

    school = case.school
    school.logo.save("logo.png", ContentFile(image_bytes("PNG", size=(200, 80))), save=True)
    draft = LetterFactory(case=case, actor=head, kind="warning", details=DETAILS, person=parent)
    pdf = letter_pdf(draft)
    reader = PdfReader(io.BytesIO(pdf.data))
    assert any(page.images for page in reader.pages)


@pytest.mark.django_db
def test_the_signatory_signature_is_printed(case, head, parent):
    from django.core.files.base import ContentFile

    from letters.models import Signature
    from tests.images import image_bytes

    signature = Signature(user=head)
    signature.image.save("sig.png", ContentFile(image_bytes("PNG", size=(300, 90))), save=True)
    letter = LetterFactory(case=case, actor=head, kind="warning", details=DETAILS, person=parent)
    assert letter.signatory == head  # the head teacher signs by default
    reader = PdfReader(io.BytesIO(letter_pdf(letter).data))
    assert sum(len(page.images) for page in reader.pages) == 1
