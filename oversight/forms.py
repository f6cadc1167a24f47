from __future__ import annotations

import datetime

from django import forms

from incidents.filters import QuickSelect
from schools.models import Group, School

from .periods import Period, academic_year, latest_ended_term, term_containing, terms
from .stats import BUCKETS

PERIODS = {
    "this_term": "This term",
    "last_term": "Last term",
    "this_year": "This academic year",
    "last_year": "Last academic year",
    "custom": "Dates I choose",
}
ALL = "all"


def _style(form: forms.Form) -> None:
    for field in form.fields.values():
        css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
        field.widget.attrs.setdefault("class", css)


class StatisticsForm(forms.Form):
    """The filters of /staff/reports/. Invalid or missing values fall back to the defaults
    (this term, the user's first school or all of them, by week) with the errors shown."""

    # Options written in Python (`QuickSelect`): a trust's groups are a hundred options, and
    # Django's template per option cost more than the rest of the cached page.
    school = forms.ChoiceField(required=False, widget=QuickSelect)
    period = forms.ChoiceField(
        choices=list(PERIODS.items()), required=False, initial="this_term", widget=QuickSelect
    )
    start = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="From"
    )
    end = forms.DateField(
        required=False, widget=forms.DateInput(attrs={"type": "date"}), label="To"
    )
    group = forms.ChoiceField(required=False, widget=QuickSelect)
    bucket = forms.ChoiceField(
        choices=list(BUCKETS.items()),
        required=False,
        initial="week",
        label="Count by",
        widget=QuickSelect,
    )

    def __init__(self, data, *, schools: list[School], today: datetime.date):
        super().__init__(data)
        self.all_schools = schools
        self.today = today
        choices = [(str(s.pk), s.name) for s in schools]
        if len(schools) > 1:
            choices = [(ALL, "All my schools, side by side"), *choices]
        self.fields["school"].choices = choices
        # The schools' groups, also handed to `stats.figures` (which would read them again).
        self.groups = groups = list(
            Group.objects.filter(school__in=schools).select_related("school")
        )
        label = (lambda g: f"{g.name} ({g.school.name})") if len(schools) > 1 else str
        self.fields["group"].choices = [("", "All groups and channels")] + [
            (str(g.pk), label(g)) for g in groups
        ]
        self._groups = {str(g.pk): g for g in groups}
        _style(self)

    def clean(self):
        data = super().clean()
        if data.get("period") == "custom":
            start, end = data.get("start"), data.get("end")
            if not start:
                self.add_error("start", "Give the first day of the period.")
            if not end:
                self.add_error("end", "Give the last day of the period.")
            if start and end and end < start:
                self.add_error("end", "The last day must be on or after the first day.")
            if start and end and (end - start).days > 3 * 366:
                self.add_error("end", "Choose a period of three years or less.")
        return data

    # What the page uses, whatever was typed: valid choices, or the defaults.
    def chosen_schools(self) -> list[School]:
        value = self.cleaned_data.get("school") if self.is_bound and self.is_valid() else None
        if value and value != ALL:
            return [s for s in self.all_schools if str(s.pk) == value]
        if value == ALL or (len(self.all_schools) > 1 and not value):
            return self.all_schools
        return self.all_schools[:1]

    def chosen_group(self) -> Group | None:
        value = self.cleaned_data.get("group") if self.is_bound and self.is_valid() else None
        group = self._groups.get(value or "")
        if group is not None and group.school not in self.chosen_schools():
            return None
        return group

    def chosen_bucket(self) -> str:
        value = self.cleaned_data.get("bucket") if self.is_bound and self.is_valid() else None
        return value or "week"

    def chosen_period(self) -> Period:
        data = self.cleaned_data if self.is_bound and self.is_valid() else {}
        which = data.get("period") or "this_term"
        ids = [s.pk for s in self.chosen_schools()]
        all_terms = terms(ids, self.today)
        if which == "custom":
            return Period(
                f"{data['start']:%-d %B %Y} to {data['end']:%-d %B %Y}", data["start"], data["end"]
            )
        if which in ("this_year", "last_year"):
            year = academic_year(self.today) - (which == "last_year")
            return Period(
                f"Academic year {year}–{str(year + 1)[-2:]}",
                datetime.date(year, 9, 1),
                datetime.date(year + 1, 8, 31),
            )
        if which == "last_term":
            term = latest_ended_term(all_terms, self.today)
        else:
            term = term_containing(all_terms, self.today) or latest_ended_term(
                all_terms, self.today
            )
        return term or Period(
            "Last 12 weeks", self.today - datetime.timedelta(weeks=12), self.today, True
        )


class GovernorsReportForm(forms.Form):
    """Which term (and schools) a governors' report is about."""

    school = forms.ChoiceField()
    term = forms.ChoiceField()

    def __init__(self, data=None, *, schools: list[School], today: datetime.date):
        super().__init__(data)
        self.all_schools = schools
        choices = [(str(s.pk), s.name) for s in schools]
        if len(schools) > 1:
            choices = [(ALL, "All my schools (for trustees)"), *choices]
        self.fields["school"].choices = choices
        self.terms = [t for t in terms([s.pk for s in schools], today) if t.start <= today]
        self.terms.reverse()
        self.fields["term"].choices = [
            (
                t.key,
                f"{t.name}{' (estimated dates)' if t.estimated else ''}"
                f"{' — in progress' if t.end >= today else ''}",
            )
            for t in self.terms
        ]
        _style(self)

    def chosen(self) -> tuple[list[School], Period]:
        value = self.cleaned_data["school"]
        schools = (
            self.all_schools
            if value == ALL
            else [s for s in self.all_schools if str(s.pk) == value]
        )
        term = next(t for t in self.terms if t.key == self.cleaned_data["term"])
        return schools, term


class DeadlinesForm(forms.Form):
    """Filters of the deadlines calendar: a school and a case lead (anything else: all)."""

    school = forms.ChoiceField(required=False)
    lead = forms.ChoiceField(required=False, label="Case lead")

    def __init__(self, data, *, schools: list[School], leads):
        super().__init__(data)
        many = len(schools) > 1
        self.fields["school"].choices = [("", "All my schools" if many else "My school")] + [
            (str(s.pk), s.name) for s in schools
        ]
        self.fields["lead"].choices = [("", "Anyone")] + [
            (str(u.pk), u.get_full_name() or u.username) for u in leads
        ]
        _style(self)

    def chosen(self) -> tuple[int | None, int | None]:
        if not (self.is_bound and self.is_valid()):
            return None, None
        school, lead = self.cleaned_data.get("school"), self.cleaned_data.get("lead")
        return (int(school) if school else None, int(lead) if lead else None)
