"""The case file: a PDF read back with pypdf — its contents page, every section, the hashes,
the reporter withheld or included — and who may ask for one."""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from incidents.models import AccessLog, CaseEvent
from records import casefile, redaction
from records.models import CaseFile
from tests.factories import REPORTER, case_file_ask, case_with_everything, chat_kept
from tests.images import image_bytes

SECTIONS = [
    "Case summary",
    "The reports",
    "Evidence",
    "Chronology",
    "Meetings",
    "Messages with the reporter",
    "Referrals",
    "Bars and contact restrictions",
    "Letters sent",
]
REPORTER_TRACES = ["priya", "shah", "900123", "900 123"]


def pdf_pages(case_file: CaseFile) -> list[str]:
    case_file.refresh_from_db()
    with case_file.pdf.open("rb") as f:
        reader = PdfReader(io.BytesIO(f.read()))
    return [page.extract_text() or "" for page in reader.pages]


def flat(text: str) -> str:
    return re.sub(r"\s+", "", text)


@pytest.fixture
def case(school, head, eager_tasks):
    return case_with_everything(school, head, image=image_bytes("PNG", size=(320, 200)))


make = case_file_ask


@pytest.mark.django_db(transaction=True)
def test_a_case_file_has_contents_every_section_and_the_hashes(case, head, keep_pdf):
    case_file = make(case, head)
    keep_pdf(case_file, "case-file-withheld")
    case_file.refresh_from_db()
    assert case_file.status == "ready", case_file.error
    pages = pdf_pages(case_file)
    assert case_file.pages == len(pages)
    contents = pages[0]
    assert f"Case file: {case.reference}" in contents
    assert "The police: PC Jane Doyle, Kent Police" in contents
    # Each contents entry names a page, and that page starts with the section's heading.
    for title in SECTIONS:
        found = re.search(rf"{re.escape(title)}[ .]*?(\d+)\s*$", contents, re.MULTILINE)
        assert found, f"{title} not in the contents:\n{contents}"
        page = int(found.group(1))
        assert pages[page - 1].lstrip().startswith(title), (title, page)
    # The letter sent follows as filed, on the page the contents gives.
    letter = case.letters.get()
    found = re.search(r"Letter: Formal warning.*?(\d+)\s*$", contents, re.MULTILINE)
    assert found, contents
    with letter.pdf.open("rb") as f:
        filed = PdfReader(io.BytesIO(f.read()))
    start = int(found.group(1))
    assert flat(filed.pages[0].extract_text()) in flat(pages[start - 1])
    assert len(pages) == start - 1 + len(filed.pages)
    with case_file.pdf.open("rb") as f:
        outline = PdfReader(io.BytesIO(f.read())).outline
    assert [o.title for o in outline if not isinstance(o, list)][-1] == "Letter: Formal warning"
    # Its pages are numbered as pages of the file too, above the letter as filed.
    assert f"Case file {case.reference} · page {start} of {len(pages)}" in pages[start - 1]
    # Hashes: the original as received and the clean copy shown, both correct.
    evidence = case.evidence.get()
    with evidence.original.open("rb") as f:
        original = hashlib.sha256(f.read()).hexdigest()
    with evidence.clean.open("rb") as f:
        clean = hashlib.sha256(f.read()).hexdigest()
    text = flat("".join(pages))
    assert f"OriginalSHA-256:{original}" in text
    assert f"CleancopySHA-256:{clean}" in text
    assert f"SHA-256:{letter.pdf_sha256}" in text
    # The rest of the record is there.
    held = timezone.localtime(case.meetings.get().held_at)
    assert f"Meetingwithaseniorleaderon{held:%-d%B%Y}" in text  # "30 Nov" written out
    for expected in ("CAD4471", "MrTurneragreedtodeletethepost", "Seniorleader"):
        assert expected.lower() in text.lower()


@pytest.mark.django_db(transaction=True)
def test_the_reporter_is_withheld_by_default_even_where_staff_typed_them(case, head):
    pages = pdf_pages(make(case, head))
    lowered = "".join(pages[:-1]).lower()  # the filed letter to the parent never names them
    assert not [t for t in REPORTER_TRACES if t in lowered]
    assert "Who reported Withheld" in "".join(pages)
    assert "[redacted]phonedfrom[redacted]" in flat("".join(pages))


@pytest.mark.django_db(transaction=True)
def test_the_reporter_is_included_when_chosen_by_someone_who_may_see_them(case, head):
    text = "".join(pdf_pages(make(case, head, include_reporter=True)))
    assert REPORTER["reporter_name"] in text
    assert REPORTER["reporter_email"] in text
    assert "PriyaShahphonedfrom07700900123" in flat(text)


@pytest.mark.django_db(transaction=True)
def test_phrases_typed_on_the_form_are_hidden_in_text(case, head):
    text = "".join(pdf_pages(make(case, head, include_reporter=True, phrases="amelia  rose\n  \n")))
    assert "Amelia" not in text
    assert "about[redacted]." in flat(text)


@pytest.mark.django_db(transaction=True)
def test_the_redacted_copy_is_used_for_an_outside_recipient(case, head):
    evidence = case.evidence.get()
    copy = redaction.evidence_redact(evidence=evidence, regions=[[0, 0, 10, 10]], actor=head)
    text = flat("".join(pdf_pages(make(case, head))))
    assert f"RedactedcopySHA-256:{copy.sha256}" in text
    assert "1areablackedout" in text
    unredacted = flat("".join(pdf_pages(make(case, head, use_redacted=False))))
    assert copy.sha256 not in unredacted


@pytest.mark.django_db(transaction=True)
def test_evidence_still_being_processed_is_listed_with_its_original_hash(case, head):
    evidence = case.evidence.get()
    type(evidence).objects.filter(pk=evidence.pk).update(clean="", clean_sha256="")
    text = "".join(pdf_pages(make(case, head)))
    assert "still being made" in text
    assert evidence.original_sha256 in flat(text)


@pytest.mark.django_db(transaction=True)
def test_asking_is_on_the_chronology_and_the_access_log(case, head):
    make(case, head)
    event = CaseEvent.objects.filter(case=case, kind="case_file").get()
    assert "police (PC Jane Doyle, Kent Police)" in event.summary
    assert "withheld" in event.summary
    log = AccessLog.objects.get(case=case, action="case_file")
    assert "PC Jane Doyle" in log.detail


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", ["", "   ", "\u00a0 \n"])
def test_who_it_is_for_is_required(case, head, name):
    with pytest.raises(casefile.CaseFileError, match="Give the name"):
        make(case, head, recipient_name=name)
    assert not CaseFile.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_role_rules(case, head, dsl, trust_exec, office, other_head):
    # A trust executive may make one, with the reporter withheld only.
    with pytest.raises(casefile.CaseFileError, match="withheld"):
        make(case, trust_exec, include_reporter=True)
    withheld = make(case, trust_exec)
    for user in (dsl, office, other_head):
        with pytest.raises(casefile.CaseFileError, match="senior leaders"):
            make(case, user)
    included = make(case, head, include_reporter=True)
    assert casefile.may_download(head, included) and casefile.may_download(head, withheld)
    assert casefile.may_download(trust_exec, withheld)
    assert not casefile.may_download(trust_exec, included)
    for user in (dsl, office, other_head):
        assert not casefile.may_download(user, withheld)


@pytest.fixture
def keep_pdf():
    """Save a made case file for a person to look at (CASEFILE_SHOTS=dir)."""
    import os

    where = os.environ.get("CASEFILE_SHOTS")

    def save(case_file: CaseFile, name: str) -> None:
        if where:
            case_file.refresh_from_db()
            with case_file.pdf.open("rb") as f, open(f"{where}/{name}.pdf", "wb") as out:
                out.write(f.read())

    return save


@pytest.mark.django_db(transaction=True)
def test_kept_chat_messages_are_in_with_the_reporter_as_chosen(case, head):
    chat_kept(case)
    withheld = flat("".join(pdf_pages(make(case, head))))
    assert "JasonTurner▶Ms[redacted]isaliarandeveryoneknowsit" in withheld
    assert "Thereporter" in withheld and "PriyaS" not in withheld
    included = flat("".join(pdf_pages(make(case, head, include_reporter=True))))
    assert "PriyaSPleasestop,Jason." in included


@pytest.mark.django_db(transaction=True)
def test_a_letter_whose_filed_pdf_is_gone_is_listed_not_fatal(case, head):
    letter = case.letters.get()
    letter.pdf.storage.delete(letter.pdf.name)
    case_file = make(case, head)
    case_file.refresh_from_db()
    assert case_file.status == "ready"
    assert "Its filed PDF could not be read" in "".join(pdf_pages(case_file))


@pytest.mark.django_db(transaction=True)
def test_bars_and_restrictions_are_in_as_recorded(case, head):
    from tests.factories import ContactRestrictionFactory, SiteBanFactory

    person = case.persons.get()
    SiteBanFactory(case=case, person=person, scope="The playground at drop-off")
    ContactRestrictionFactory(case=case, person=person, contact_point="Mrs Price, office")
    text = flat("".join(pdf_pages(make(case, head))))
    assert "Sitebar—barinforce" in text and "Theplaygroundatdrop-off" in text
    assert "ContactrestrictionPersonMrJasonTurner" in text and "MrsPrice,office" in text


@pytest.mark.django_db(transaction=True)
def test_an_incident_at_the_gate_is_described_by_where_it_happened_and_its_witness(
    school, head, eager_tasks
):
    from incidents import workflow
    from tests.factories import submit_report, triage

    gate, _ = submit_report(
        school,
        conduct="in_person",
        conduct_place="at the school gate",
        witness=head,
        content="Shouted at Mrs Price in front of the children.",
    )
    post, _ = submit_report(school, content="A rude post.")
    triage(gate.case, head)
    workflow.cases_merge(target=gate.case, sources=[post.case], actor=head)
    made = make(gate.case, head)
    casefile.casefile_build(made.pk)  # already made, if the task ran on commit
    text = flat("".join(pdf_pages(made)))
    # The gate: where and how, when, what happened, and the member of staff who saw it.
    assert "WhereandhowInperson:attheschoolgate" in text
    assert "WhathappenedShoutedatMrsPrice" in text
    head_name = flat(head.get_full_name() or head.get_username())
    assert f"Staffwitness{head_name}" in text
    # The post keeps the group's wording.
    assert "WhatwaspostedArudepost." in text
