"""The staff case list's filters (django-filter): bookmarkable, kept across pages."""

from __future__ import annotations

import re

import django_filters
from django import forms
from django.db.models import Case as DbCase
from django.db.models import Q, When

from schools.models import Group, Rule, School

from .access import roles_for
from .models import Case, CaseStatus, Conduct, Nature, Severity


def _rank(field: str, values: list[str]) -> DbCase:
    return DbCase(*(When(**{field: v}, then=i) for i, v in enumerate(values)), default=-1)


class RankedOrderingFilter(django_filters.OrderingFilter):
    """Severity and status sort in their own order (low → critical, new → closed), not by the
    alphabet of their stored values."""

    RANKS = {"severity": Severity.values, "status": CaseStatus.values}

    def filter(self, qs, value):
        if value:
            for name, values in self.RANKS.items():
                if any(v.lstrip("-") == name for v in value):
                    qs = qs.annotate(**{f"{name}_rank": _rank(name, values)})
        return super().filter(qs, value)

    def get_ordering_value(self, param: str) -> str:
        ordering = super().get_ordering_value(param)
        descending = ordering.startswith("-")
        field = ordering.lstrip("-")
        if field in self.RANKS:
            field = f"{field}_rank"
        return f"-{field}" if descending else field


class CaseFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(
        label="Search",
        method="search",
        help_text="Reference, person's name, report text, chat messages or text in screenshots",
    )
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices, widget=forms.CheckboxSelectMultiple
    )
    severity = django_filters.ChoiceFilter(choices=Severity.choices, empty_label="Any")
    nature = django_filters.ChoiceFilter(choices=Nature.choices, empty_label="Any")
    rule = django_filters.ModelChoiceFilter(
        label="Rule breached", field_name="rules", queryset=Rule.objects.none(), empty_label="Any"
    )
    group = django_filters.ModelChoiceFilter(
        label="Group",
        field_name="reports__group",
        queryset=Group.objects.none(),
        empty_label="Any",
        distinct=True,
    )
    conduct = django_filters.ChoiceFilter(
        label="Where it happened",
        field_name="reports__conduct",
        choices=Conduct.choices,
        empty_label="Anywhere",
        distinct=True,
    )
    lead = django_filters.ModelChoiceFilter(queryset=None, empty_label="Anyone")
    opened_after = django_filters.DateFilter(
        label="Opened from",
        field_name="opened_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    opened_before = django_filters.DateFilter(
        label="Opened to",
        field_name="opened_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date"}),
    )
    school = django_filters.ModelChoiceFilter(
        queryset=School.objects.none(), empty_label="All schools"
    )
    sort = RankedOrderingFilter(
        label="Sort by",
        fields=(
            ("opened_at", "opened"),
            ("reference", "reference"),
            ("severity", "severity"),
            ("status", "status"),
        ),
        field_labels={
            "opened_at": "Opened",
            "reference": "Reference",
            "severity": "Severity",
            "status": "Status",
        },
    )

    class Meta:
        model = Case
        fields: list[str] = []

    def __init__(self, *args, schools, leads, **kwargs):
        super().__init__(*args, **kwargs)
        school_ids = [s.pk for s in schools]
        self.filters["rule"].queryset = Rule.objects.filter(school_id__in=school_ids)
        self.filters["group"].queryset = Group.objects.filter(school_id__in=school_ids)
        if len(school_ids) > 1:
            # Several schools have rules and groups of the same name: say whose each is.
            for name in ("rule", "group"):
                self.filters[name].queryset = (
                    self.filters[name].queryset.select_related("school").order_by("school__name")
                )
                self.filters[name].field.label_from_instance = lambda o: f"{o} ({o.school.name})"
        self.filters["lead"].queryset = leads
        self.filters["lead"].field.label_from_instance = lambda u: (
            u.get_full_name() or u.get_username()
        )
        if len(school_ids) > 1:
            self.filters["school"].queryset = School.objects.filter(pk__in=school_ids)
        else:
            del self.filters["school"]

    def search(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        named = Case.objects.filter(
            Q(reference__icontains=value) | Q(persons__full_name__icontains=value)
        ).values("pk")
        typed = Case.objects.filter(
            Q(reports__content__icontains=value)
            | Q(reports__poster_description__icontains=value)
            # Text read from screenshots (and staff corrections of it), and kept chat messages.
            | Q(evidence__ocr_text__icontains=value)
            | Q(evidence__text_correction__icontains=value)
            | Q(reports__chat_excerpts__lines__text__icontains=value)
        )
        about_reporter = Q()
        for word in set(re.findall(r"\w{4,}", value)):
            about_reporter |= (
                Q(reports__reporter_name__icontains=word)
                | Q(reports__reporter_email__icontains=word)
                | Q(reports__reporter_phone__icontains=word)
                # The reporter's name as their chat export showed it.
                | Q(
                    reports__chat_excerpts__lines__from_reporter=True,
                    reports__chat_excerpts__lines__sender__icontains=word,
                )
            )
        if self.request is not None and about_reporter:
            # Searching the report text for the reporter's name would tell a user the rule
            # excludes who reported (the case page hides it; the search must not confirm a
            # guess): outside the schools where they may see the reporter, a search that
            # touches a case's reporter doesn't match that case's text.
            visible = roles_for(self.request.user).reporter_schools
            typed = typed.filter(
                Q(school_id__in=visible)
                | ~Q(pk__in=Case.objects.filter(about_reporter).values("pk"))
            )
        return queryset.filter(Q(pk__in=named) | Q(pk__in=typed.values("pk")))
