"""Staff pages of the schools app: term dates and the school's own procedure defaults."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from . import services
from .access import managed_schools, school_from_request, staff_required
from .calendar import CalendarImportError, SchoolCalendar, parse_csv, parse_ical
from .models import InsetDay, TermDate
from .staff_forms import ImportForm, InsetForm, ProcedureForm, TermForm


def _school(request: HttpRequest):
    schools = list(managed_schools(request.user))
    if not schools:
        raise Http404("Only senior leaders manage term dates.")
    return school_from_request(request, schools), schools


def _back(school) -> HttpResponse:
    return redirect(reverse("calendar:index") + f"?school={school.pk}")


@staff_required
@require_http_methods(["GET", "POST"])
def index(request: HttpRequest) -> HttpResponse:
    school, schools = _school(request)
    forms = {
        "term": TermForm(prefix="term"),
        "inset": InsetForm(prefix="inset"),
        "upload": ImportForm(prefix="upload"),
        "procedure": ProcedureForm(instance=school, prefix="proc"),
    }
    if request.method == "POST":
        which = request.POST.get("form")
        if which == "term":
            form = forms["term"] = TermForm(request.POST, prefix="term")
            if form.is_valid():
                services.term_add(school=school, **form.cleaned_data)
                messages.success(request, "Term added.")
                return _back(school)
        elif which == "inset":
            form = forms["inset"] = InsetForm(request.POST, prefix="inset")
            if form.is_valid():
                if services.inset_add(school=school, **form.cleaned_data) is None:
                    form.add_error("date", "That INSET day is already recorded.")
                else:
                    messages.success(request, "INSET day added.")
                    return _back(school)
        elif which == "upload":
            form = forms["upload"] = ImportForm(request.POST, request.FILES, prefix="upload")
            if form.is_valid():
                upload = form.cleaned_data["file"]
                data = upload.read(1024 * 1024)
                try:
                    parsed = (
                        parse_ical(data)
                        if upload.name.lower().endswith((".ics", ".ical"))
                        else parse_csv(data)
                    )
                except CalendarImportError as error:
                    form.add_error("file", str(error))
                else:
                    terms, insets = services.calendar_replace(
                        school=school, imported=parsed, replace=form.cleaned_data["replace"]
                    )
                    messages.success(
                        request, f"Imported {terms} term(s) and {insets} INSET day(s)."
                    )
                    return _back(school)
        elif which == "procedure":
            form = forms["procedure"] = ProcedureForm(request.POST, instance=school, prefix="proc")
            if form.is_valid():
                services.school_procedures_update(school=school, **form.cleaned_data)
                messages.success(request, "Saved.")
                return _back(school)
    calendar = SchoolCalendar.for_school(school)
    return render(
        request,
        "staff/calendar.html",
        {
            "school": school,
            "schools": schools,
            "forms": forms,
            "calendar": calendar,
            "terms": TermDate.objects.filter(school=school),
            "insets": InsetDay.objects.filter(school=school),
        },
    )


@staff_required
@require_POST
def delete(request: HttpRequest, kind: str, pk: int) -> HttpResponse:
    school, _ = _school(request)
    if not services.calendar_entry_delete(school=school, kind=kind, pk=pk):
        raise Http404("Not found.")
    messages.success(request, "Removed.")
    return _back(school)
