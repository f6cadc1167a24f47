"""The case-file page, the redaction tool and the disclosure bundle, through their views:
what each role may do, bad input kept on the page, the derived file's pixels."""

from __future__ import annotations

import datetime
import hashlib
import io

import pytest
from django.urls import reverse
from PIL import Image
from pypdf import PdfReader

from incidents.models import AccessLog, CaseEvent, Evidence
from records import services
from records.models import CaseFile, EvidenceRedaction
from tests.factories import (
    REPORTER,
    ContactRestrictionFactory,
    PersonFactory,
    SiteBanFactory,
    case_file_ask,
    case_with_everything,
    chat_kept,
    sar_from_turner,
)

WIDTH, HEIGHT = 320, 200


def striped() -> bytes:
    """A picture whose every pixel differs from black, with a different colour per column."""
    image = Image.new("RGB", (WIDTH, HEIGHT))
    image.putdata([(50 + x % 200, 100, 150 + y % 100) for y in range(HEIGHT) for x in range(WIDTH)])
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


@pytest.fixture
def case(school, head, eager_tasks):
    return case_with_everything(school, head, image=striped())


def areas(*rows, total=4) -> dict:
    data = {"area-TOTAL_FORMS": str(total), "area-INITIAL_FORMS": "0"}
    for n, row in enumerate(rows):
        for key, value in zip("xywh", row, strict=True):
            data[f"area-{n}-{key}"] = value
    return data


def read(field) -> bytes:
    with field.open("rb") as f:
        return f.read()


@pytest.mark.django_db(transaction=True)
def test_the_case_page_leads_to_the_case_file_for_those_who_run_the_case(client, case, head, dsl):
    url = reverse("records:case-file", args=[case.reference])
    client.force_login(head)
    assert url in client.get(reverse("staff:case-detail", args=[case.reference])).text
    client.force_login(dsl)
    assert url not in client.get(reverse("staff:case-detail", args=[case.reference])).text
    assert client.get(url).status_code == 404


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["", "    "])
def test_a_missing_recipient_is_refused_and_what_was_typed_stays(client, case, head, name):
    client.force_login(head)
    url = reverse("records:case-file", args=[case.reference])
    response = client.post(
        url,
        {
            "purpose": "lado",
            "recipient_name": name,
            "reporter": "withheld",
            "phrases": "Amelia Rose",
        },
    )
    assert response.status_code == 400
    assert "Give the name of the person or body it is for." in response.text
    assert 'value="lado" id="id_purpose_2" checked' in response.text.replace("\n", " ") or (
        'value="lado"' in response.text and "checked" in response.text
    )
    assert "Amelia Rose</textarea>" in response.text
    assert not CaseFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_made_downloaded_and_logged(client, case, head):
    client.force_login(head)
    url = reverse("records:case-file", args=[case.reference])
    response = client.post(
        url,
        {
            "purpose": "complaints",
            "recipient_name": "Governors' complaints panel",
            "reporter": "withheld",
            "use_redacted": "on",
        },
    )
    case_file = CaseFile.objects.get()
    assert response.status_code == 302
    status = client.get(reverse("records:case-file-status", args=[case_file.pk])).text
    assert "Download the PDF" in status and "data-poll" not in status
    download = client.get(reverse("records:case-file-download", args=[case_file.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert "attachment" in download["Content-Disposition"]
    pdf = b"".join(download.streaming_content)
    assert hashlib.sha256(pdf).hexdigest() == CaseFile.objects.get().pdf_sha256
    text = "".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "A complaints panel: Governors' complaints panel" in text
    log = AccessLog.objects.get(action="case_file_download")
    assert log.case == case and "Governors' complaints panel" in log.detail


@pytest.mark.django_db(transaction=True)
def test_a_trust_executive_is_not_offered_the_reporter_and_cannot_post_it(
    client, case, trust_exec, head
):
    client.force_login(trust_exec)
    url = reverse("records:case-file", args=[case.reference])
    page = client.get(url).text
    assert 'name="reporter"' not in page and "is withheld" in page
    client.post(url, {"purpose": "police", "recipient_name": "PC Doyle", "reporter": "included"})
    case_file = CaseFile.objects.get()
    assert not case_file.include_reporter
    # A file that includes the reporter, made by the head, is not theirs to see.
    client.force_login(head)
    client.post(url, {"purpose": "police", "recipient_name": "PC Doyle", "reporter": "included"})
    included = CaseFile.objects.get(include_reporter=True)
    client.force_login(trust_exec)
    assert f"file-{included.pk}" not in client.get(url).text
    for name in ("records:case-file-status", "records:case-file-download"):
        assert client.get(reverse(name, args=[included.pk])).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_pixels_under_a_marked_area_are_gone_from_the_derived_file(client, case, head):
    evidence = case.evidence.get()
    original, clean = read(evidence.original), read(evidence.clean)
    client.force_login(head)
    url = reverse("records:redact", args=[evidence.pk])
    assert client.get(url).status_code == 200
    # Two areas: one in the middle, one up to the very last column and row (the edge itself).
    response = client.post(url, areas(("10", "20", "30", "40"), ("300", "180", "20", "20")))
    assert response.status_code == 302
    copy = EvidenceRedaction.objects.get()
    data = read(copy.file)
    assert hashlib.sha256(data).hexdigest() == copy.sha256
    image = Image.open(io.BytesIO(data)).convert("RGB")
    source = Image.open(io.BytesIO(clean)).convert("RGB")
    marked = {(x, y) for x in range(10, 40) for y in range(20, 60)}
    marked |= {(x, y) for x in range(300, 320) for y in range(180, 200)}
    for y in range(HEIGHT):
        for x in range(WIDTH):
            if (x, y) in marked:
                assert image.getpixel((x, y)) == (0, 0, 0), (x, y)
            else:
                assert image.getpixel((x, y)) == source.getpixel((x, y)), (x, y)
    # The sealed original and the clean copy are untouched.
    evidence.refresh_from_db()
    assert read(evidence.original) == original and read(evidence.clean) == clean
    assert hashlib.sha256(original).hexdigest() == evidence.original_sha256
    event = CaseEvent.objects.get(case=case, kind="evidence_redacted")
    assert "2 areas blacked out" in event.summary
    # Redacting again starts from these areas.
    again = client.get(url).text
    assert 'value="300"' in again


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("row", "message"),
    [
        (("300", "180", "21", "20"), "Area 1 goes outside the image, which is 320 × 200 pixels."),
        (("0", "0", "10", ""), "Give all four numbers for this area, or none."),
        (("0", "0", "0", "5"), "Ensure this value is greater than or equal to 1."),
    ],
)
def test_a_bad_area_is_refused_and_kept(client, case, head, row, message):
    evidence = case.evidence.get()
    client.force_login(head)
    response = client.post(reverse("records:redact", args=[evidence.pk]), areas(row))
    assert response.status_code == 400
    assert message in response.text
    assert f'value="{row[0]}"' in response.text
    assert not EvidenceRedaction.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_area_and_an_image_still_processing_are_refused(client, case, head):
    evidence = case.evidence.get()
    client.force_login(head)
    url = reverse("records:redact", args=[evidence.pk])
    assert "Mark at least one area" in client.post(url, areas()).text
    Evidence.objects.filter(pk=evidence.pk).update(clean="")
    for ask in (lambda: client.get(url), lambda: client.post(url, areas(("0", "0", "5", "5")))):
        response = ask()
        assert response.status_code == 302
        assert "still being processed" in client.get(response.url).text
    assert not EvidenceRedaction.objects.exists()


@pytest.fixture
def sar(school, head, case):
    other = PersonFactory(school=school, full_name="Mrs Gwendolyn Okonkwo-Blythe")
    from incidents import workflow

    workflow.case_person_add(case, head, person=other)
    workflow.case_note_add(case, head, text="Mrs Okonkwo-Blythe saw the post too.")
    # Another parent's bar is theirs, not the requester's; his own restriction is his.
    SiteBanFactory(case=case, person=other, scope="Kept away from the east gate")
    ContactRestrictionFactory(case=case, person=case.persons.get(full_name="Mr Jason Turner"))
    return sar_from_turner(case, head)


def bundle_text(bundle: CaseFile) -> str:
    bundle.refresh_from_db()
    return "".join(p.extract_text() for p in PdfReader(io.BytesIO(read(bundle.pdf))).pages)


@pytest.mark.django_db(transaction=True)
def test_a_disclosure_bundle_redacts_third_parties_and_is_approved_before_release(
    client, sar, case, head, slt, trust_exec
):
    chat_kept(case)
    client.force_login(head)
    response = client.post(reverse("records:sar-bundle", args=[sar.pk]), {"phrases": "Amelia"})
    assert response.status_code == 302
    bundle = CaseFile.objects.get(sar=sar)
    assert bundle.case_ids == [case.pk]
    text = bundle_text(bundle)
    lowered = text.lower()
    assert "Subject access disclosure" in text and "Mr Jason Turner" in text
    for third in ("priya", "shah", "900123", "okonkwo", "gwendolyn", "amelia"):
        assert third not in lowered, third
    flat = "".join(text.split())
    assert "[redacted]sawthepost" in flat
    # Their own details, and their own chat message under their name; other senders hidden.
    assert "Address14OrchardClose" in flat
    assert "JasonTurner▶Ms[redacted]isaliar" in flat
    assert "Thereporter" in flat
    assert "eastgate" not in flat and "ContactrestrictionPersonMrJasonTurner" in flat
    # The warning letter to Mr Turner is his; it is there as filed.
    assert "Formal warning about your conduct" in text
    page = client.get(reverse("records:sar", args=[sar.pk])).text
    assert "Approve for release" in page
    # Approval: a senior leader of the school who ticks the box; not a trust executive.
    approve = reverse("records:bundle-approve", args=[bundle.pk])
    release = reverse("records:bundle-release", args=[bundle.pk])
    client.force_login(trust_exec)
    client.post(approve, {"read": "yes"})
    client.post(release)
    bundle.refresh_from_db()
    assert bundle.approved_at is None and bundle.released_at is None
    client.force_login(slt)
    assert "Tick the box" in client.post(approve, follow=True).text
    client.post(approve, {"read": "yes"})
    client.force_login(trust_exec)
    client.post(release)
    bundle.refresh_from_db()
    assert bundle.approved_by == slt and bundle.released_by == trust_exec
    assert AccessLog.objects.filter(action="disclosure", case=case, user=trust_exec).exists()
    client.force_login(head)
    page = client.get(reverse("records:sar", args=[sar.pk])).text
    assert "Released to Jason Turner by Tom Ashworth on" in page
    assert "has already been released" in client.post(release, follow=True).text


@pytest.mark.django_db(transaction=True)
def test_another_school_sees_nothing_of_it(client, sar, case, head, other_head):
    client.force_login(head)
    client.post(reverse("records:sar-bundle", args=[sar.pk]))
    bundle = CaseFile.objects.get()
    client.force_login(other_head)
    assert client.post(reverse("records:sar-bundle", args=[sar.pk])).status_code == 404
    assert (
        client.post(
            reverse("records:bundle-approve", args=[bundle.pk]), {"read": "yes"}
        ).status_code
        == 404
    )
    assert CaseFile.objects.count() == 1
    assert REPORTER  # the reporter fixture is the one the world was built with


@pytest.mark.django_db(transaction=True)
def test_disposal_removes_redacted_copies_and_case_files_from_storage(case, head, time_machine):
    from django.utils import timezone

    from incidents import workflow
    from records import redaction
    from records.models import DisposalProposal

    evidence = case.evidence.get()
    copy = redaction.evidence_redact(evidence=evidence, regions=[[0, 0, 5, 5]], actor=head)
    made = case_file_ask(case, head, phrases="Amelia Rose")
    made.refresh_from_db()
    names = [copy.file.name, made.pdf.name]
    storage = copy.file.storage
    assert all(storage.exists(n) for n in names)
    workflow.case_close(case, head, outcome="Resolved", rationale="Done")
    time_machine.move_to(timezone.now() + datetime.timedelta(days=6 * 366 + 2))
    services.proposals_make(today=timezone.localdate())
    log = services.dispose(DisposalProposal.objects.get(case=case), actor=head)
    assert not any(storage.exists(n) for n in names)
    made.refresh_from_db()
    assert (made.pdf.name, made.phrases, made.recipient_name) == ("", "", "[anonymised]")
    assert log.records_cleared["redactions"] == 1 and log.records_cleared["case_files"] == 1


@pytest.mark.django_db(transaction=True)
def test_the_case_file_page_costs_the_same_queries_however_many_files(client, case, head):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(head)
    url = reverse("records:case-file", args=[case.reference])
    counts = []
    for _ in range(2):
        case_file_ask(case, head)
        client.get(url)  # the session's visit and caches settle
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        counts.append(len(queries.captured_queries))
    assert counts[0] == counts[1], counts


@pytest.mark.django_db(transaction=True)
def test_cases_at_a_school_the_user_does_not_run_are_named_as_left_out(
    client, sar, case, head, trust_exec, trust
):
    from incidents import workflow
    from tests.factories import SchoolFactory, triaged_case

    sister = SchoolFactory(trust=trust, name="Oak Hill Primary", slug="oak-hill")
    elsewhere = triaged_case(sister, trust_exec)
    workflow.case_person_add(elsewhere, trust_exec, person=sar.person)
    client.force_login(head)
    page = client.get(reverse("records:sar", args=[sar.pk])).text
    assert "1 more case at other schools holds their data" in page
    client.post(reverse("records:sar-bundle", args=[sar.pk]))
    assert CaseFile.objects.get().case_ids == [case.pk]
    client.force_login(trust_exec)
    assert 'id="cases-elsewhere"' not in client.get(reverse("records:sar", args=[sar.pk])).text
    client.post(reverse("records:sar-bundle", args=[sar.pk]))
    trust_wide = CaseFile.objects.latest("pk")
    assert trust_wide.case_ids == [case.pk, elsewhere.pk]
    # No one school's SLT may read all of it: the trust's executive approves it.
    approve = reverse("records:bundle-approve", args=[trust_wide.pk])
    client.force_login(head)
    assert f"file-{trust_wide.pk}" not in client.get(reverse("records:sar", args=[sar.pk])).text
    assert client.post(approve, {"read": "yes"}).status_code == 404
    client.force_login(trust_exec)
    client.post(approve, {"read": "yes"})
    trust_wide.refresh_from_db()
    assert trust_wide.approved_by == trust_exec
