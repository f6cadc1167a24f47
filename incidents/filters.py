"""The staff case list's filters (django-filter): bookmarkable, kept across pages."""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache as once
from functools import lru_cache
from pathlib import Path
from typing import Any

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    Expression,
    F,
    IntegerField,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models import Case as DbCase
from django.db.models.expressions import RawSQL
from django.db.models.functions import Cast, Concat
from django.forms.utils import flatatt
from django.forms.widgets import ChoiceWidget
from django.template.loader import get_template
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import SafeString, mark_safe

from schools import versions
from schools.access import roles_for
from schools.models import Group, Role, Rule, School
from schools.setup_version import NAME as SETUP

from .models import (
    Case,
    CaseStatus,
    Conduct,
    Evidence,
    ExcerptMessage,
    Nature,
    Report,
    Severity,
)

# Django renders every <option> and checkbox through its own template: with a trust's rules,
# groups and leads that is hundreds of template renders (40–150 ms) on every list page. These
# widgets write the same HTML in Python.


def _options(widget: ChoiceWidget, name: str, value, attrs) -> list[dict]:
    context = widget.get_context(name, value, attrs)["widget"]
    return [option for _group, options, _index in context["optgroups"] for option in options]


class QuickSelect(forms.Select):
    def __init__(self, attrs=None, choices=()) -> None:
        super().__init__({"class": "form-select", **(attrs or {})}, choices)

    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        final = self.build_attrs(self.attrs, attrs)
        chosen = {str(v) for v in self.format_value(value)}
        options = []
        for option_value, label in self.choices:
            text = "" if option_value is None else str(option_value)
            selected = " selected" if text in chosen else ""
            options.append(f'<option value="{escape(text)}"{selected}>{escape(label)}</option>')
        return format_html(
            '<select name="{}"{}>{}</select>',
            name,
            flatatt(final),
            mark_safe("".join(options)),  # noqa: S308 (each part escaped)
        )


class QuickCheckboxes(forms.CheckboxSelectMultiple):
    def render(self, name, value, attrs=None, renderer=None) -> SafeString:
        boxes = format_html_join(
            "",
            '<div class="form-check"><input type="checkbox" class="form-check-input" '
            'name="{}" value="{}" id="{}"{}><label class="form-check-label" for="{}">{}</label>'
            "</div>",
            (
                (
                    name,
                    o["value"],
                    o["attrs"]["id"],
                    " checked" if o["selected"] else "",
                    o["attrs"]["id"],
                    o["label"],
                )
                for o in _options(self, name, value, attrs)
            ),
        )
        return format_html('<div id="{}">{}</div>', (attrs or {}).get("id", ""), boxes)


@dataclass
class FilterOptions:
    """The filter's choices, as (id, label) pairs: the user's schools, their rules and groups,
    and who may lead their cases."""

    schools: list[tuple[int, str]] = field(default_factory=list)
    rules: list[tuple[int, str]] = field(default_factory=list)
    groups: list[tuple[int, str]] = field(default_factory=list)
    leads: list[tuple[int, str]] = field(default_factory=list)


FILTER_KINDS = ("school", "rule", "group", "lead")


def filter_options(schools: QuerySet[School]) -> FilterOptions:
    """Every choice of the filter in one query (a UNION of four), rather than one query per
    select — the list renders these on every page."""
    school_ids = schools.values("pk")
    trust_ids = schools.filter(trust_id__isnull=False).values("trust_id")
    text: CharField = CharField()
    number: IntegerField = IntegerField()

    def rows(qs, kind: str, label, school_name, rank):
        return qs.annotate(
            o_kind=Value(kind, output_field=text),
            o_label=Cast(label, text),
            o_school=Cast(school_name, text),
            o_rank=Cast(rank, number),
        ).values_list("o_kind", "pk", "o_label", "o_school", "o_rank")

    user_model = get_user_model()
    leads = user_model.objects.filter(
        Q(memberships__school_id__in=school_ids, memberships__role=Role.SLT)
        | Q(trust_memberships__trust_id__in=trust_ids),
        is_active=True,
    )
    query = rows(schools.order_by(), "school", F("name"), Value(""), Value(0)).union(
        rows(
            Rule.objects.filter(school_id__in=school_ids).order_by(),
            "rule",
            F("title"),
            F("school__name"),
            F("order"),
        ),
        rows(
            Group.objects.filter(school_id__in=school_ids).order_by(),
            "group",
            F("name"),
            F("school__name"),
            F("order"),
        ),
        # A lead: "first last" as the label, the username in case both are blank.
        rows(
            leads.order_by(),
            "lead",
            Concat(F("first_name"), Value(" "), F("last_name"), output_field=text),
            F("username"),
            Value(0),
        ),
    )
    found: dict[str, list[tuple[int, str, str]]] = {kind: [] for kind in FILTER_KINDS}
    for kind, pk, label, school, _rank in sorted(
        query, key=lambda r: (r[0], r[3], r[4], r[2], r[1])
    ):
        found[kind].append((pk, label, school))
    # Several schools have rules and groups of the same name: then say whose each is.
    several = len(found["school"]) > 1

    def whose(kind: str) -> list[tuple[int, str]]:
        return [
            (pk, f"{label} ({school})" if several else label) for pk, label, school in found[kind]
        ]

    options = FilterOptions(
        schools=sorted(((pk, label) for pk, label, _ in found["school"]), key=lambda o: o[1]),
        rules=whose("rule"),
        groups=whose("group"),
        leads=sorted(
            ((pk, label.strip() or username) for pk, label, username in found["lead"]),
            key=lambda o: o[1],
        ),
    )
    return options


logger = logging.getLogger(__name__)

# How long the cache keeps one user scope's choices. Every change to the set-up they come from
# replaces them at once (the "setup" token, schools.versions); this only bounds what a cache
# that missed such a change, being unreachable at the time, could show.
FILTER_CACHE_SECONDS = 600
FILTER_FORM_TEMPLATE = "partials/filter_form.html"
# A filtered form is kept only for values this short (a search of a few words and filters).
CHOSEN_FORM_MAX = 600


@once
def _code_fingerprint() -> str:
    """This module and the form's template: a deployment that changes either does not read
    what the previous code wrote."""
    source = get_template(FILTER_FORM_TEMPLATE).template.source  # type: ignore[attr-defined]
    try:
        code = Path(__file__).read_bytes()
    except OSError:  # installed without its source: the template alone
        code = b""
    return hashlib.sha256(code + source.encode()).hexdigest()[:16]


class FilterChoices:
    """The filter's choices for one user (`filter_options`) and the filter form as it shows
    with nothing chosen, kept in the cache: they depend only on the schools whose cases the
    user may open, so the entry is per set of schools and trusts the user holds a case role
    in, under the set-up's version (any change to a school, rule, group, membership or member
    of staff starts a new one). One cache read per page: the token, the entry and, for a
    filtered list, its form, together (`versions.tokens_and`); without a shared cache, worked
    out afresh."""

    def __init__(self, user, chosen=None) -> None:
        """`chosen`: the values of a filtered list (as for `chosen_form_html`), whose form is
        then read from the cache with the token and the choices, in one round trip."""
        self.user = user
        roles = roles_for(user)
        scope = f"{sorted(roles.slt | roles.dsl)}|{sorted(roles.trusts)}|{_code_fingerprint()}"
        self.key = "case-filter:" + hashlib.sha256(scope.encode()).hexdigest()
        self.version: str | None = None
        self.entry: dict[str, Any] = {}
        self._read: dict[str, Any] = {}  # the chosen form's key → its entry (None: not there)
        chosen_key = self._chosen_key(chosen) if chosen is not None else None
        tokens, found = versions.tokens_and([SETUP], [self.key, chosen_key or ""])
        if tokens is None:  # no shared cache: every page works its choices out, as before
            return
        self.version = tokens[SETUP]
        entry = found.get(self.key)
        if isinstance(entry, dict) and entry.get("version") == self.version:
            self.entry = entry
        if chosen_key:
            self._read[chosen_key] = found.get(chosen_key)

    def _chosen_key(self, data) -> str | None:
        """The cache key of the form with these values chosen; None when they are too long to
        be worth keeping."""
        text = repr(sorted((name, data.getlist(name)) for name in data))
        if len(text) > CHOSEN_FORM_MAX:
            return None
        return f"{self.key}:form:{hashlib.sha256(text.encode()).hexdigest()}"

    @property
    def options(self) -> FilterOptions:
        if "options" not in self.entry:
            from .access import case_schools

            self.entry["options"] = filter_options(case_schools(self.user))
            self._store()
        return self.entry["options"]

    def blank_form_html(self, render: Callable[[FilterOptions], str]) -> SafeString:
        """The form with nothing chosen (the list's first and later pages), rendered once."""
        if "form" not in self.entry:
            self.entry["form"] = str(render(self.options))
            self._store()
        return mark_safe(self.entry["form"])  # noqa: S308 (rendered by the template, escaped)

    def chosen_form_html(self, data, render: Callable[[], str]) -> SafeString:
        """The form with these values chosen (`data`: the query without its page or cursor;
        a filtered list and its later pages): rendered
        once per set of values under the same version, in an entry of its own (it depends only
        on the choices and the values; errors included), unless the values are long."""
        key = self._chosen_key(data)
        if not self.version or key is None:
            return mark_safe(render())  # noqa: S308 (rendered by the template, escaped)
        if key in self._read:  # read with the token
            entry = self._read[key]
        else:
            try:
                entry = cache.get(key)
            except Exception:
                logger.warning("Filter choices: cache unreachable", exc_info=True)
                entry = None
        if isinstance(entry, dict) and entry.get("version") == self.version:
            return mark_safe(entry["form"])  # noqa: S308 (rendered by the template, escaped)
        html = str(render())
        try:
            cache.set(key, {"version": self.version, "form": html}, FILTER_CACHE_SECONDS)
        except Exception:
            logger.warning("Filter choices: cache unreachable", exc_info=True)
        return mark_safe(html)  # noqa: S308 (rendered by the template, escaped)

    def _store(self) -> None:
        if not self.version:
            return
        try:
            cache.set(self.key, {**self.entry, "version": self.version}, FILTER_CACHE_SECONDS)
        except Exception:
            logger.warning("Filter choices: cache unreachable", exc_info=True)


class ListedChoiceIterator(django_filters.fields.ModelChoiceIterator):
    """The choices given to the filter (`FilterOptions`), not a query of its own: Django's
    iterator reads them through a server-side cursor on PostgreSQL, three round trips each."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        yield from getattr(self.field, "listed", ())

    def __len__(self) -> int:
        return len(getattr(self.field, "listed", ())) + (self.field.empty_label is not None)


class ListedModelChoiceField(django_filters.fields.ModelChoiceField):
    iterator = ListedChoiceIterator


class ListedModelChoiceFilter(django_filters.ModelChoiceFilter):
    field_class = ListedModelChoiceField

    @classmethod
    def any(cls, model, **kwargs) -> ListedModelChoiceFilter:
        """A filter on one of `model`'s rows, "Any" when none is chosen."""
        return cls(queryset=model.objects.none(), empty_label="Any", widget=QuickSelect, **kwargs)


class AnyOfIds(Expression):
    """`pk IN (ids)`, written on PostgreSQL as `pk = ANY(ARRAY(ids))`.

    With `IN (…)` the planner joins the search's ids to every case of the user's list (a
    trust's 12,000 cases of a status, read to find the few hundred that match); from an
    array, computed once beforehand, it reads the matching cases through the primary key.
    Same rows either way; SQLite keeps `IN`."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, ids: QuerySet | RawSQL) -> None:
        super().__init__()
        self.pk: Any = F("pk")
        self.ids: Any = ids.query if isinstance(ids, QuerySet) else ids

    def get_source_expressions(self) -> list:
        return [self.pk, self.ids]

    def set_source_expressions(self, exprs) -> None:
        self.pk, self.ids = exprs

    def _parts(self, compiler, connection):
        pk_sql, pk_params = compiler.compile(self.pk)
        ids_sql, ids_params = compiler.compile(self.ids)
        if not ids_sql.startswith("("):
            ids_sql = f"({ids_sql})"
        return pk_sql, ids_sql, (*pk_params, *ids_params)

    def as_sql(self, compiler, connection):
        pk_sql, ids_sql, params = self._parts(compiler, connection)
        return f"{pk_sql} IN {ids_sql}", params

    def as_postgresql(self, compiler, connection):
        pk_sql, ids_sql, params = self._parts(compiler, connection)
        return f"{pk_sql} = ANY(ARRAY{ids_sql})", params


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
        qs = super().filter(qs, value)
        if value:
            # Thousands of cases share a severity or a status: ties go by id, so numbered
            # pages never show a case twice or skip one.
            qs = qs.order_by(*qs.query.order_by, "-pk")
        return qs

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
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    # One status per case: no DISTINCT needed (it would sort and compare whole wide rows).
    status = django_filters.MultipleChoiceFilter(
        choices=CaseStatus.choices, widget=QuickCheckboxes, distinct=False
    )
    severity = django_filters.ChoiceFilter(
        choices=Severity.choices, empty_label="Any", widget=QuickSelect
    )
    nature = django_filters.ChoiceFilter(
        choices=Nature.choices, empty_label="Any", widget=QuickSelect
    )
    conduct = django_filters.ChoiceFilter(
        label="Where it happened",
        choices=Conduct.choices,
        empty_label="Anywhere",
        method="happened",
        widget=QuickSelect,
    )
    rule = ListedModelChoiceFilter.any(Rule, label="Rule breached", field_name="rules")
    # A case with two reports from the group must appear once: a subquery, not a JOIN +
    # DISTINCT over the case rows.
    group = ListedModelChoiceFilter.any(Group, label="Group", method="in_group")
    lead = ListedModelChoiceFilter(queryset=None, empty_label="Anyone", widget=QuickSelect)
    opened_after = django_filters.DateFilter(
        label="Opened from",
        field_name="opened_at",
        lookup_expr="date__gte",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    opened_before = django_filters.DateFilter(
        label="Opened to",
        field_name="opened_at",
        lookup_expr="date__lte",
        widget=forms.DateInput(attrs={"type": "date", "class": "form-control"}),
    )
    school = ListedModelChoiceFilter(
        queryset=School.objects.none(), empty_label="All schools", widget=QuickSelect
    )
    sort = RankedOrderingFilter(
        label="Sort by",
        empty_label="Newest first",
        widget=QuickSelect,
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

    def __init__(self, *args, options: FilterOptions, **kwargs):
        super().__init__(*args, **kwargs)
        self.options = options
        school_ids = [pk for pk, _ in options.schools]
        # Only checked when a value is chosen (one query then): the choices come from options.
        self.filters["rule"].queryset = Rule.objects.filter(school_id__in=school_ids)
        self.filters["group"].queryset = Group.objects.filter(school_id__in=school_ids)
        self.filters["lead"].queryset = get_user_model().objects.filter(
            pk__in=[pk for pk, _ in options.leads]
        )
        if len(school_ids) > 1:
            self.filters["school"].queryset = School.objects.filter(pk__in=school_ids)
        else:
            del self.filters["school"]

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            listed = {
                "rule": self.options.rules,
                "group": self.options.groups,
                "lead": self.options.leads,
                "school": self.options.schools,
            }
            for name, choices in listed.items():
                if name in form.fields:
                    form.fields[name].listed = choices
                    form.fields[name].widget.choices = form.fields[name].choices
        return self._form

    def happened(self, queryset, name, value):
        # A subquery like the group's: a case appears once, however many reports match.
        if not value:
            return queryset
        return queryset.filter(pk__in=Report.objects.filter(conduct=value).values("case_id"))

    def in_group(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(pk__in=Report.objects.filter(group=value).values("case_id"))

    def search(self, queryset, name, value):
        """Reference, person's name, report text, text read from screenshots or kept chat
        messages, case-insensitively, anywhere in the text.

        Each part is its own subquery, so on PostgreSQL each uses its trigram index (migration
        0010_perf_indexes) instead of joining reports and persons to every case and scanning them.
        """
        value = value.strip()
        if not value:
            return queryset
        visible = roles_for(self.request.user).reporter_schools if self.request else frozenset()
        everywhere = {pk for pk, _ in self.options.schools} <= visible
        # (Someone who may see the reporter in every school of their list needs no guard.)
        guard = None if self.request is None or everywhere else frozenset(visible)
        return queryset.filter(AnyOfIds(search_ids(value, guard)))


def search_union(value: str, guard: frozenset[int] | None) -> QuerySet:
    """The ids of the cases whose reference, persons' names, report text, text read from
    screenshots or kept chat messages hold `value` (stripped, not empty): one UNION of a
    subquery per part, each served by its trigram index on PostgreSQL (migration
    0010_perf_indexes) instead of joining reports and persons to every case.

    `guard`: the schools where the user may see the reporter, when there is a school of
    their list where they may not (None: no guard). Searching the report text for the
    reporter's name would tell such a user who reported (the case page hides it; the search
    must not confirm a guess): outside those schools, a search that touches a case's reporter
    doesn't match that case's text.
    """
    typed = Report.objects.filter(
        Q(content__icontains=value) | Q(poster_description__icontains=value)
    ).order_by()
    # Text read from screenshots (and staff corrections of it), and kept chat messages.
    read = Evidence.objects.filter(
        Q(ocr_text__icontains=value) | Q(text_correction__icontains=value)
    ).order_by()
    chat = ExcerptMessage.objects.filter(text__icontains=value).order_by()
    about_reporter = Q()
    chat_sender = Q()
    for word in sorted(set(re.findall(r"\w{4,}", value))):
        about_reporter |= (
            Q(reporter_name__icontains=word)
            | Q(reporter_email__icontains=word)
            | Q(reporter_phone__icontains=word)
        )
        # The reporter's name as their chat export showed it.
        chat_sender |= Q(sender__icontains=word)
    if guard is not None and about_reporter:
        visible = sorted(guard)
        named_reporter = Report.objects.filter(about_reporter).values("case_id")
        named_in_chat = ExcerptMessage.objects.filter(chat_sender, from_reporter=True).values(
            "excerpt__report__case_id"
        )

        def unguarded(case: str) -> Q:
            untouched = ~Q(**{f"{case}_id__in": named_reporter}) & ~Q(
                **{f"{case}_id__in": named_in_chat}
            )
            if not visible:
                # (No school where they see reporters, e.g. a trust executive: no join to
                # the cases to compare their school with an empty list.)
                return untouched
            return Q(**{f"{case}__school_id__in": visible}) | untouched

        typed = typed.filter(unguarded("case"))
        read = read.filter(unguarded("case"))
        chat = chat.filter(unguarded("excerpt__report__case"))
    reports = typed.values("case_id")
    screenshots = read.values("case_id")
    messages = chat.values("excerpt__report__case_id")
    persons = (
        Case.persons.through.objects.filter(person__full_name__icontains=value)
        .order_by()
        .values("case_id")
    )
    references = Case.objects.filter(reference__icontains=value).order_by().values("id")
    # One id list (a UNION), not three ORed conditions: an OR across subqueries makes the
    # database test every case against each of them.
    return reports.union(screenshots, messages, persons, references)


def search_ids(value: str, guard: frozenset[int] | None) -> RawSQL:
    """`search_union` as SQL, built once per search and guard in each process: building and
    compiling its ten querysets cost ~10 ms of Python per request, for SQL that depends only on
    the words searched and the guard's schools (a cursor page of a search, or a reload, asks
    for the same). The SQL holds no data; the search's words stay parameters."""
    sql, params = _search_sql(value, guard, connection.vendor)
    return RawSQL(sql, params)  # noqa: S611 (compiled by Django; the words are parameters)


@lru_cache(maxsize=256)
def _search_sql(value: str, guard: frozenset[int] | None, vendor: str) -> tuple[str, tuple]:
    query = search_union(value, guard).query
    sql, params = query.get_compiler(connection=connection).as_sql()
    return sql, tuple(params)
