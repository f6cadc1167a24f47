"""The dashboard's rows written in Python (incidents.dashboard_html) are the markup the
templates wrote — `partials/case_row.html` and the "Due soon and overdue" row — byte for
byte, escaping included (names with <, &, quotes), dates in local time."""

from __future__ import annotations

import datetime

from django.contrib.auth import get_user_model
from django.template import engines
from django.template.loader import render_to_string
from django.utils import timezone

from incidents import dashboard_html
from incidents.deadlines import Due
from incidents.models import Case, CaseStatus
from schools.models import School

# The due row as templates/staff/dashboard.html wrote it before it moved to Python.
DUE_ROW = (
    '{% for item, overdue in due %}<tr><td><a href="{{ item.href }}">{{ item.reference }}</a>'
    "</td><td>{{ item.label }}{% if item.detail %}: {{ item.detail }}{% endif %}</td><td>"
    '{% if overdue %}<strong class="text-danger">Overdue: {{ item.due_on|date:"j M Y" }}'
    '</strong>{% else %}{{ item.due_on|date:"j M Y" }}{% endif %}{% if item.estimated %} '
    '<span class="badge text-bg-warning">estimated — add next year\'s term dates</span>'
    "{% endif %}</td></tr>{% endfor %}"
)
AWKWARD = '<b>O\'Neil & "Sons"</b>'
# The "By school" rows as templates/staff/dashboard.html wrote them before they moved to Python.
SCHOOL_ROWS = (
    '{% for name, counts in by_school.items %}<tr><th scope="row">{{ name }}</th>'
    "{% for s, n in counts.items %}<td>{{ n }}</td>{% endfor %}</tr>{% endfor %}"
)


def cases() -> list[Case]:
    school = School(pk=1, name=f"St {AWKWARD} Academy")
    lead = get_user_model()(pk=7, first_name=AWKWARD, last_name="<script>x</script>")
    # 23:30 UTC on 30 June is 1 July in London: the date shown is the local one.
    late = datetime.datetime(2026, 6, 30, 23, 30, tzinfo=datetime.UTC)
    return [
        Case(
            pk=1,
            reference="WPS-2026-00001",
            school=school,
            lead=lead,
            status=CaseStatus.INVESTIGATING,
            severity="high",
            opened_at=late,
            safeguarding_flag=True,
        ),
        Case(
            pk=2,
            reference="WPS-2026-00002",
            school=school,
            lead=None,
            status=CaseStatus.NEW,
            severity="",
            opened_at=timezone.now(),
            safeguarding_flag=False,
        ),
    ]


def test_case_rows_are_the_partials_markup():
    links = dashboard_html.CaseLinks()
    for extra in ("", "Overdue", datetime.date(2026, 12, 3), None, f"x {AWKWARD}"):
        rows = [(case, extra) for case in cases()]
        expected = "".join(
            render_to_string(
                "partials/case_row.html", {"case": case, "show_school": True, "extra": extra}
            )
            for case, extra in rows
        )
        assert str(dashboard_html.case_rows(rows, links)) == expected
    html = str(dashboard_html.case_rows([(cases()[0], "")], links))
    assert AWKWARD not in html and "&lt;b&gt;O&#x27;Neil &amp; &quot;Sons&quot;&lt;/b&gt;" in html
    assert "1 Jul 2026" in html


def test_due_rows_are_the_templates_markup():
    case = cases()[0]
    items = [
        (Due("task", "Task", case, datetime.date(2026, 12, 1), "task:1", (), True, AWKWARD), True),
        (Due("lado", "Refer to the LADO", case, datetime.date(2026, 12, 4), "lado:1", ()), False),
        (
            Due(
                "sar",
                f"Subject access request {AWKWARD}",
                None,
                datetime.date(2026, 12, 2),
                "sar:3",
                (),
                subject_ref="SAR 3",
                subject_path="/records/sar/3/?a=1&b=2",
            ),
            False,
        ),
    ]
    expected = engines["django"].from_string(DUE_ROW).render({"due": items})
    html = str(dashboard_html.due_rows(items, dashboard_html.CaseLinks()))
    assert html == expected
    assert AWKWARD not in html


def test_school_rows_are_the_templates_markup():
    by_school = {
        f"St {AWKWARD} Academy": dict.fromkeys(CaseStatus.values, 0),
        "Willow Park": {status: 1000 * i + 7 for i, status in enumerate(CaseStatus.values)},
    }
    expected = engines["django"].from_string(SCHOOL_ROWS).render({"by_school": by_school})
    html = str(dashboard_html.school_rows(by_school))
    assert html == expected
    assert AWKWARD not in html and "<td>4007</td>" in html
    assert str(dashboard_html.school_rows({})) == ""


def test_an_unusual_reference_is_reversed_on_its_own():
    links = dashboard_html.CaseLinks()
    assert links("WPS-2026-00001") == "/staff/cases/WPS-2026-00001/"
    assert links("a b") == "/staff/cases/a%20b/"


def test_the_soonest_triage_dates_are_those_of_working_out_every_row():
    """`_soonest_triage` works out only the dates it needs; what it returns is what sorting
    every new case by its triage date and cutting after DUE_ROWS (ties kept) gives."""
    import random

    from incidents.selectors import DUE_ROWS, _soonest_triage

    shuffle = random.Random(12)
    start = datetime.datetime(2026, 9, 1, 8, tzinfo=datetime.UTC)
    horizon = datetime.date(2026, 12, 6)
    for _ in range(50):
        rows = [
            (start + datetime.timedelta(hours=shuffle.randrange(2400)), pk, shuffle.randrange(6))
            for pk in range(1, shuffle.randrange(1, 200))
        ]
        # Per school: a fixed delay in days, and a school whose dates cannot be worked out
        # past some day (None), as a calendar without term dates far enough ahead.
        delay = {school: shuffle.randrange(1, 40) for school in range(6)}
        asked: list[int] = []

        def triage_date(opened_at, pk, school, delay=delay, asked=asked):
            asked.append(pk)
            day = opened_at.date()
            if school == 5 and day > datetime.date(2026, 10, 1):
                return None
            return day + datetime.timedelta(days=delay[school])

        every = sorted(
            (due, pk)
            for opened_at, pk, school in rows
            if (due := triage_date(opened_at, pk, school)) is not None and due <= horizon
        )
        if len(every) > DUE_ROWS:
            every = [row for row in every if row[0] <= every[DUE_ROWS - 1][0]]
        asked.clear()
        assert _soonest_triage(rows, triage_date, horizon) == every
        assert len(asked) <= len(rows)
