"""What goes into a letter, read back from real PDFs: the salutation, dates in one format,
recipient-facing wording instead of internal notes, proportionate defaults, every post's date,
the checklist, DRAFT only on the preview, and a closing that never stands alone."""

from __future__ import annotations

import contextlib
import datetime
import io
import os
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone
from pypdf import PdfReader

from incidents.models import Meeting, Person, Severity
from letters import placeholders, services
from letters.kinds import FIELDS, REQUIRED
from letters.rendering import letter_pdf
from letters.values import normalise_entered
from tests.factories import DETAILS, RECORDED, submit_report

# Where the PDFs read here are also written as PNGs, to look at them as the parent would.
PNG_DIR = Path(os.environ.get("LETTER_PNGS", "var/letters"))


def pages(data: bytes) -> list[str]:
    return [" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages]


def draft(case, head, parent, kind="warning", **details):
    return services.letter_draft(
        case=case,
        kind=kind,
        actor=head,
        details={**DETAILS, **details},
        delivery_method="post",
        person=parent,
    )


def approved_pdf(letter, head) -> bytes:
    services.letter_approve(letter=letter, actor=head)
    assert services.letter_render(letter_id=letter.pk)
    letter.refresh_from_db()
    with letter.pdf.open("rb") as f:
        return f.read()


def keep_png(data: bytes, name: str) -> None:
    """Write the PDF's pages as PNGs (pdftoppm) when poppler is installed."""
    PNG_DIR.mkdir(parents=True, exist_ok=True)
    path = PNG_DIR / f"{name}.pdf"
    path.write_bytes(data)
    with contextlib.suppress(FileNotFoundError):
        subprocess.run(
            ["pdftoppm", "-png", "-r", "60", str(path), str(PNG_DIR / name)],
            check=False,
            timeout=60,
        )


# --- the salutation ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("title", "full_name", "preferred", "salutation", "address"),
    [
        ("Mr", "Jason Johnson", "", "Mr Johnson", "Mr Jason Johnson"),
        ("Mrs", "Amy  Johnson", "", "Mrs Johnson", "Mrs Amy Johnson"),  # double space
        ("Mx", "Sam\u00a0Lee", "", "Mx Lee", "Mx Sam Lee"),  # non-breaking space
        ("Dr", "Priti Rao-Smith", "Rao-Smith", "Dr Rao-Smith", "Dr Priti Rao-Smith"),
        ("", "Sam Lee", "", "Sam Lee", "Sam Lee"),
        ("", "Samantha Lee", "Sam", "Sam", "Samantha Lee"),
        ("", "Mr Jason Turner", "", "Mr Turner", "Mr Jason Turner"),  # title typed in the name
        ("Ms", "Ms Ann Bell", "", "Ms Bell", "Ms Ann Bell"),  # not doubled
    ],
)
def test_salutation_and_address_name(title, full_name, preferred, salutation, address):
    person = Person(title=title, full_name=full_name, preferred_name=preferred)
    assert person.salutation_name == salutation
    assert person.address_name == address


@pytest.mark.django_db
def test_the_letter_says_dear_mr_johnson_and_addresses_the_full_name(case, head, school):
    parent = Person.objects.create(
        school=school, title="Mr", full_name="Jason  Johnson", address="1 Road", postcode="AB1 2CD"
    )
    case.persons.add(parent)
    text = " ".join(pages(letter_pdf(draft(case, head, parent)).data))
    assert "Dear Mr Johnson," in text
    assert "Mr Jason Johnson 1 Road AB1 2CD" in text


# --- dates ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "printed"),
    [
        ("2026-12-14", "14 December 2026"),
        (datetime.date(2026, 12, 1), "1 December 2026"),
        ("14 December 2026", "14 December 2026"),
        ("Monday 14 December 2026", "14 December 2026"),
        ("   ", ""),
    ],
)
def test_dates_are_printed_one_way(typed, printed):
    assert normalise_entered("response_deadline", typed) == printed


def test_a_date_that_is_not_a_date_is_refused_clearly():
    with pytest.raises(ValueError, match="Reply by: choose a date"):
        normalise_entered("response_deadline", "next Friday")
    assert normalise_entered("meeting_time", "15:30") == "3.30pm"
    assert normalise_entered("meeting_time", "09:00") == "9.00am"


@pytest.mark.django_db
def test_a_bad_date_refuses_the_draft_and_stores_nothing(case, head, parent):
    with pytest.raises(services.LetterError, match="Reply by: choose a date"):
        draft(case, head, parent, response_deadline="31/02/2026")
    assert not case.letters.exists()


@pytest.mark.django_db
def test_the_procedures_dates_come_from_the_recorded_bar_not_from_what_is_typed(
    case, head, parent, recorded_bar
):
    letter = draft(
        case, head, parent, kind="bar_decision", start_date="2030-01-01", end_date="2031-01-01"
    )
    assert letter.context["start_date"] == RECORDED["start_date"]
    assert letter.context["end_date"] == RECORDED["end_date"]
    services.letter_update_draft(
        letter=letter,
        actor=head,
        title=letter.title,
        body_html=letter.body_html,
        details={**DETAILS, "review_date": "2031-05-05"},
    )
    letter.refresh_from_db()
    assert letter.context["review_date"] == RECORDED["review_date"]


@pytest.mark.django_db
def test_a_bar_letter_needs_the_recorded_step(case, head, parent):
    with pytest.raises(services.LetterError, match="record that step on the case first"):
        draft(case, head, parent, kind="intention_to_bar")


# --- what goes into a letter ---------------------------------------------------------------------


@pytest.mark.django_db
def test_the_bar_decision_keeps_internal_notes_internal_and_has_every_value(
    client, case, head, parent, recorded_bar
):
    client.force_login(head)
    form = client.get(f"/staff/letters/case/{case.reference}/new/bar_decision/").text
    assert "I read them carefully" in form  # a neutral suggestion to edit
    assert "Head felt the apology" not in form and "Internal: third warning" not in form
    suggested = {
        "representations_summary": "Thank you for your representations of 10 December 2026.",
        "reasons": "I have decided the bar is needed because of the messages described above.",
    }
    letter = draft(case, head, parent, kind="bar_decision", **suggested)
    text = " ".join(pages(approved_pdf(letter, head)))
    assert "Head felt the apology" not in text and "Internal" not in text
    for value in (
        RECORDED["start_date"],
        RECORDED["end_date"],
        RECORDED["review_date"],
        "The school site and grounds, at all times.",
        "dropped off and collected at the main gate",
        *suggested.values(),
    ):
        assert value in text


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("severity", "offences"),
    [(Severity.LOW, False), (Severity.MEDIUM, False), (Severity.HIGH, True)],
)
def test_offences_appear_only_where_the_severity_calls_for_them(
    case, head, parent, severity, offences
):
    type(case).objects.filter(pk=case.pk).update(severity=severity)
    case.refresh_from_db()
    letter = draft(case, head, parent)
    text = " ".join(pages(letter_pdf(letter).data))
    assert ("Malicious Communications Act 1988" in text) is offences
    assert ("may amount to an offence" in text) is offences
    assert "<p></p>" not in services.letter_merged_body(letter)


@pytest.mark.django_db
def test_a_first_warning_after_a_meeting_opens_with_the_meeting(case, head, parent):
    Meeting.objects.create(
        case=case,
        person=parent,
        kind=Meeting.Kind.SENIOR_LEADER,
        held_at=timezone.make_aware(datetime.datetime(2026, 11, 26, 15, 30)),
        notes="Constructive.",
        recorded_by=head,
    )
    text = " ".join(pages(letter_pdf(draft(case, head, parent)).data))
    opening = text.split("Dear Mr Turner,")[1][:120]
    assert opening.strip().startswith("Thank you for meeting us on 26 November 2026")
    assert "Constructive" not in text  # the meeting's notes stay on the case


@pytest.mark.django_db
def test_a_merged_case_states_the_dates_of_all_the_posts(case, head, parent, school):
    from incidents.workflow import cases_merge

    first = case.reports.get().posted_on
    earlier = first - datetime.timedelta(days=3)
    report, _ = submit_report(school, posted_on=earlier)
    cases_merge(target=case, sources=[report.case], actor=head)
    text = " ".join(pages(letter_pdf(draft(case, head, parent)).data))
    both = f"{earlier.day} {earlier:%B %Y} and {first.day} {first:%B %Y}"
    assert f"on {both}" in text


@pytest.mark.django_db
def test_no_html_escapes_reach_the_pdf(case, head, parent):
    letter = draft(case, head, parent, impact='Staff & parents were upset by "jokes" <here>.')
    text = " ".join(pages(approved_pdf(letter, head)))
    assert 'Staff & parents were upset by "jokes" <here>.' in text
    assert "&amp;" not in text and "&quot;" not in text and "&lt;" not in text


# --- the checklist and the editor's text --------------------------------------------------------


@pytest.mark.django_db
def test_checklist_ticks_each_required_element_and_approval_waits_for_all(case, head, parent):
    letter = draft(case, head, parent)
    items = services.letter_checklist(letter)
    assert [n for n, *_ in items] == REQUIRED["warning"]
    assert all(present for _n, _l, present, _x in items)
    without = letter.body_html.replace("<h3>The impact</h3><p>[[impact]]</p>", "")
    services.letter_update_draft(letter=letter, actor=head, title="t", body_html=without)
    letter.refresh_from_db()
    missing = [label for _n, label, present, _x in services.letter_checklist(letter) if not present]
    assert missing == [FIELDS["impact"].label]
    with pytest.raises(services.LetterError, match="missing: The impact of the conduct"):
        services.letter_approve(letter=letter, actor=head)


@pytest.mark.django_db
def test_the_plain_editor_without_javascript_keeps_paragraphs_and_formatting(
    client, case, head, parent
):
    letter = draft(case, head, parent)
    client.force_login(head)
    page = client.get(f"/staff/letters/{letter.pk}/").text
    textarea = page.split('name="body_text"')[1].split("</textarea>")[0]
    assert "[[conduct_summary]]" in textarea  # text, not HTML
    assert "&lt;" not in textarea and "<p>" not in textarea
    text = placeholders.html_to_text(letter.body_html)
    assert "<" not in text and "### The impact" in text
    edited = text + "\n\nPlease read this **carefully**.\n\n- one\n- two"
    response = client.post(
        f"/staff/letters/{letter.pk}/",
        {"title": letter.title, "body_text": edited, "body_format": "text", **DETAILS},
    )
    assert response.status_code == 302
    letter.refresh_from_db()
    assert "<p>Please read this <strong>carefully</strong>.</p>" in letter.body_html
    assert "<ul>" in letter.body_html and "<h3>The impact</h3>" in letter.body_html
    assert "[[impact]]" in letter.body_html


@pytest.mark.django_db
def test_an_unsafe_edit_is_refused_with_what_was_typed_kept(client, case, head, parent):
    letter = draft(case, head, parent)
    before = letter.body_html
    client.force_login(head)
    url = f"/staff/letters/{letter.pk}/"
    data = {"title": "   ", "body_text": "Hello [[secret_key]]", "body_format": "text", **DETAILS}
    response = client.post(url, data)
    assert response.status_code == 200
    assert "Give the letter a title" in response.text
    assert "Hello [[secret_key]]" in response.text
    response = client.post(url, {**data, "title": "Warning"})
    assert "not a merge field we know" in response.text
    assert "Hello [[secret_key]]" in response.text
    letter.refresh_from_db()
    assert letter.body_html == before


# --- layout -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_draft_on_every_preview_page_and_never_on_the_issued_letter(case, head, parent):
    long = "\n\n".join(f"Paragraph {i}: " + "The group is for everyone. " * 12 for i in range(14))
    letter = draft(case, head, parent, change_required=long)
    preview = letter_pdf(letter).data
    keep_png(preview, "warning-preview")
    assert len(pages(preview)) >= 2
    assert all("DRAFT" in text for text in pages(preview))
    issued = approved_pdf(letter, head)
    keep_png(issued, "warning-issued")
    assert not any("DRAFT" in text for text in pages(issued))
    # Continuation pages carry the addressee and our reference; the first has them in full.
    assert f"Mr Jason Turner · {case.reference}" in pages(issued)[1]
    assert f"Mr Jason Turner · {case.reference}" not in pages(issued)[0]


@pytest.mark.django_db
def test_the_closing_always_shares_its_page_with_the_last_paragraph(case, head, parent):
    # Letters of growing length push the closing across the page end at every point.
    for n in range(4, 13):
        body = "\n\n".join(
            f"Point {i}. " + "Please keep the group friendly. " * 9 for i in range(n)
        )
        letter = draft(case, head, parent, change_required=body)
        services.letter_update_draft(
            letter=letter,
            actor=head,
            title=letter.title,
            body_html=letter.body_html + "<p>This is the last paragraph of the letter.</p>",
        )
        letter.refresh_from_db()
        texts = pages(letter_pdf(letter).data)
        closing = next(t for t in texts if "Yours sincerely" in t)
        before = closing.split("Yours sincerely")[0]
        assert "This is the last paragraph of the letter." in before, n
        assert "Helen Carter" in closing.split("Yours sincerely")[1], n


def test_a_template_ending_with_yours_sincerely_does_not_print_it_twice():
    body = "<p>Dear [[salutation]],</p><p>Text.</p><p>Yours sincerely,</p>"
    assert placeholders.without_sign_off(body) == "<p>Dear [[salutation]],</p><p>Text.</p>"
    before, last = placeholders.split_closing("<p>a</p><h3>b</h3><ul><li>c</li></ul>")
    assert before == "<p>a</p><h3>b</h3>" and last == "<ul><li>c</li></ul>"


def test_a_value_is_merged_once_and_never_parsed_again():
    body = "<p>[[conduct_summary]]</p><p>Call [[school_phone]] about [[impact]].</p>"
    merged = placeholders.merge(
        body,
        {
            "conduct_summary": "[[school_email]]",
            "impact": "[[reporter_name]] <b>x</b>",
            "school_phone": "01632 960999",
            "school_email": "office@example.org",
            "reporter_name": "Priya Shah",
        },
    )
    assert merged == (
        "<p>[[school_email]]</p>"
        "<p>Call 01632 960999 about [[reporter_name]] &lt;b&gt;x&lt;/b&gt;.</p>"
    )


@pytest.mark.django_db
def test_a_draft_whose_values_are_written_out_still_ticks_them(case, head, parent):
    """Drafts made before drafts kept their fields hold the merged text: still approvable."""
    letter = draft(case, head, parent)
    merged = services.letter_merged_body(letter)
    type(letter).objects.filter(pk=letter.pk).update(body_html=merged)
    letter.refresh_from_db()
    assert all(present for _n, _l, present, _x in services.letter_checklist(letter))
    services.letter_approve(letter=letter, actor=head)


@pytest.mark.django_db
def test_a_correction_starts_from_the_letter_with_its_fields_again(case, head, parent):
    letter = draft(case, head, parent)
    services.letter_update_draft(
        letter=letter,
        actor=head,
        title=letter.title,
        body_html=letter.body_html + "<p>Added before approval.</p>",
    )
    approved_pdf(letter, head)
    assert "[[" not in letter.body_html  # the issued text is merged and frozen
    correction = services.letter_correct(letter=letter, actor=head)
    assert "[[conduct_summary]]" in correction.body_html
    assert "Added before approval." in correction.body_html
    assert all(present for _n, _l, present, _x in services.letter_checklist(correction))
