"""The three clocks and term-date import."""

from __future__ import annotations

import datetime

import pytest

from schools import calendar
from schools.calendar import CalendarImportError, SchoolCalendar, parse_csv, parse_ical
from schools.models import InsetDay, TermDate
from tests.factories import InsetDayFactory, TermDateFactory

D = datetime.date


def test_working_days_skip_weekends_and_english_bank_holidays():
    assert calendar.add_working_days(D(2026, 11, 20), 1) == D(2026, 11, 23)  # Fri → Mon
    assert calendar.add_working_days(D(2026, 12, 24), 1) == D(2026, 12, 29)  # Christmas
    assert calendar.add_working_days(D(2027, 3, 25), 1) == D(2027, 3, 30)  # Easter
    assert calendar.add_working_days(D(2026, 8, 28), 1) == D(2026, 9, 1)  # August BH
    assert not calendar.is_working_day(D(2026, 5, 4))  # Early May bank holiday


def test_calendar_months_clamp_to_the_month_end():
    assert calendar.add_months(D(2026, 1, 31), 1) == D(2026, 2, 28)
    assert calendar.add_months(D(2028, 1, 31), 1) == D(2028, 2, 29)
    assert calendar.add_months(D(2026, 11, 22), 1) == D(2026, 12, 22)
    assert calendar.add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)


@pytest.mark.django_db
def test_school_days_follow_terms_half_terms_and_inset_days(school):
    TermDateFactory(
        school=school, name="Autumn 1", starts_on=D(2026, 9, 3), ends_on=D(2026, 10, 23)
    )
    TermDateFactory(
        school=school, name="Autumn 2", starts_on=D(2026, 11, 2), ends_on=D(2026, 12, 18)
    )
    InsetDayFactory(school=school, date=D(2026, 11, 2))
    cal = SchoolCalendar.for_school(school)
    # Thu 22 Oct + 2 school days: Fri 23 Oct, then half term, INSET Mon 2 Nov → Tue 3 Nov.
    assert cal.add_school_days(D(2026, 10, 22), 2) == D(2026, 11, 3)
    # The same span in working days is much shorter: the clocks differ.
    assert calendar.add_working_days(D(2026, 10, 22), 2) == D(2026, 10, 26)
    assert cal.school_days_between(D(2026, 10, 22), D(2026, 11, 3)) == 2
    assert not cal.is_school_day(D(2026, 10, 28))  # half term
    assert cal.end_of_term(D(2026, 11, 20)) == D(2026, 12, 18)


@pytest.mark.django_db
def test_past_the_last_term_entered_school_days_are_estimated_not_an_error(school):
    TermDate.objects.create(
        school=school, name="Autumn 2", starts_on=D(2026, 11, 2), ends_on=D(2026, 12, 18)
    )
    cal = SchoolCalendar.for_school(school)
    # The last term day itself is known; the day after is estimated.
    assert not cal.is_estimated(D(2026, 12, 18))
    assert cal.is_estimated(D(2026, 12, 19))
    # Thu 17 Dec + 3: Fri 18 Dec (term), then weekdays less bank holidays: Mon 21, Tue 22.
    assert cal.add_school_days_estimated(D(2026, 12, 17), 3) == (D(2026, 12, 22), True)
    # Inside the term: exact.
    assert cal.add_school_days_estimated(D(2026, 12, 14), 4) == (D(2026, 12, 18), False)
    # Two years ahead still comes out (no loop, no error): Christmas and Boxing Day skipped.
    assert cal.add_school_days(D(2028, 12, 22), 2) == D(2028, 12, 28)  # Fri → Wed 27, Thu 28
    # Before the first term entered is estimated too (an old case's triage date).
    assert cal.is_estimated(D(2026, 10, 30)) and cal.is_school_day(D(2026, 10, 30))


@pytest.mark.django_db
def test_without_term_dates_every_working_day_counts(school):
    cal = SchoolCalendar.for_school(school)
    assert not cal.has_terms
    assert cal.add_school_days(D(2026, 12, 24), 1) == D(2026, 12, 29)


def test_csv_import_with_header_inset_rows_and_uk_dates():
    parsed = parse_csv(
        b"name,start,end\nAutumn 1,03/09/2026,23/10/2026\n"
        b"INSET day,2026-11-02,\nAutumn 2,2026-11-03,2026-12-18\n"
    )
    assert parsed.terms == [
        ("Autumn 1", D(2026, 9, 3), D(2026, 10, 23)),
        ("Autumn 2", D(2026, 11, 3), D(2026, 12, 18)),
    ]
    assert parsed.insets == [(D(2026, 11, 2), "INSET day")]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"Autumn,31/02/2026,01/03/2026\n", "is not a date"),
        (b"Autumn,2026-10-01,2026-09-01\n", "ends before it starts"),
        (b"\xff\xfe\x00bad", "not UTF-8"),
        (b"", "no term dates"),
    ],
)
def test_csv_import_errors_are_clear(data, message):
    with pytest.raises(CalendarImportError, match=message):
        parse_csv(data)


def test_ical_import_treats_dtend_as_exclusive():
    ics = (
        b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:test\r\n"
        b"BEGIN:VEVENT\r\nSUMMARY:Spring 1\r\nDTSTART;VALUE=DATE:20270105\r\n"
        b"DTEND;VALUE=DATE:20270213\r\nUID:1\r\nEND:VEVENT\r\n"
        b"BEGIN:VEVENT\r\nSUMMARY:Staff training day\r\nDTSTART;VALUE=DATE:20270104\r\n"
        b"DTEND;VALUE=DATE:20270105\r\nUID:2\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    parsed = parse_ical(ics)
    assert parsed.terms == [("Spring 1", D(2027, 1, 5), D(2027, 2, 12))]
    assert parsed.insets == [(D(2027, 1, 4), "Staff training day")]


@pytest.mark.django_db
def test_calendar_page_adds_imports_and_says_defaults_are_the_schools_choice(client, head, school):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(head)
    page = client.get("/staff/calendar/").text
    assert "No term dates yet" in page and "not law" in page
    bad = client.post(
        "/staff/calendar/",
        {
            "form": "term",
            "term-name": "Autumn",
            "term-starts_on": "2026-10-01",
            "term-ends_on": "2026-09-01",
        },
    )
    assert "on or after the first day" in bad.text
    upload = SimpleUploadedFile("terms.csv", b"Autumn 2,2026-11-02,2026-12-18\n")
    client.post(
        "/staff/calendar/", {"form": "upload", "upload-file": upload, "upload-replace": "on"}
    )
    assert TermDate.objects.filter(school=school).count() == 1
    short = client.post(
        "/staff/calendar/",
        {
            "form": "procedure",
            "proc-triage_target_days": 2,
            "proc-decision_target_days": 20,
            "proc-representation_school_days": 3,
            "proc-decision_school_days": 5,
            "proc-ban_decision_by": "head_teacher",
        },
    )
    assert "Allow at least 5 school days for representations" in short.text


@pytest.mark.django_db
def test_calendar_page_inset_duplicates_deletes_and_procedure_saves(client, head, school):
    client.force_login(head)
    client.post(
        "/staff/calendar/", {"form": "inset", "inset-date": "2026-11-02", "inset-note": "Training"}
    )
    again = client.post("/staff/calendar/", {"form": "inset", "inset-date": "2026-11-02"})
    assert "already recorded" in again.text
    day = InsetDay.objects.get(school=school)
    client.post(f"/staff/calendar/inset/{day.pk}/delete/", {"school": school.pk})
    assert not InsetDay.objects.exists()
    client.post(
        "/staff/calendar/",
        {
            "form": "procedure",
            "proc-triage_target_days": 3,
            "proc-decision_target_days": 15,
            "proc-representation_school_days": 7,
            "proc-decision_school_days": 4,
            "proc-ban_decision_by": "any_slt",
        },
    )
    school.refresh_from_db()
    assert (school.representation_school_days, school.ban_decision_by) == (7, "any_slt")
    assert school.decision_target_days == 15


@pytest.mark.django_db
def test_the_representation_floor_holds_in_the_database_and_the_form(school):
    from django.db import IntegrityError, transaction

    from schools.models import School
    from schools.staff_forms import ProcedureForm

    School.objects.filter(pk=school.pk).update(representation_school_days=5)
    with pytest.raises(IntegrityError), transaction.atomic():
        School.objects.filter(pk=school.pk).update(representation_school_days=4)
    data = {
        "triage_target_days": 2,
        "decision_target_days": 20,
        "representation_school_days": 4,
        "decision_school_days": 5,
        "ban_decision_by": "head_teacher",
    }
    form = ProcedureForm(data, instance=school)
    assert not form.is_valid()
    assert "at least 5" in str(form.errors["representation_school_days"])
    form = ProcedureForm({**data, "representation_school_days": 5}, instance=school)
    assert form.is_valid(), form.errors
