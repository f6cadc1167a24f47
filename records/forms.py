"""Forms for the records pages: each validates, then makes one service call in `submit()`.

A refused step (RecordsError) becomes a form error, so what was typed stays on the page."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.db.models import Q

from incidents.models import Case, Person
from schools.models import School

from . import services
from .models import BreachDecision, HoldKind, SarStatus
from .services import RecordsError

DATE = forms.DateInput(attrs={"type": "date"})


class _ServiceForm(forms.Form):
    """Shared: schools the user manages, and RecordsError turned into a form error."""

    def __init__(self, *args: Any, schools: list, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.schools = schools
        for field in self.fields.values():
            widget = field.widget
            css = "form-check-input" if isinstance(widget, forms.CheckboxInput) else "form-control"
            if isinstance(widget, forms.Select):
                css = "form-select"
            widget.attrs.setdefault("class", css)

    def _school_field(self) -> None:
        self.fields["school"] = forms.ModelChoiceField(
            queryset=School.objects.filter(pk__in=[s.pk for s in self.schools]),
            empty_label=None if len(self.schools) == 1 else "Choose…",
        )
        self.fields["school"].widget.attrs["class"] = "form-select"
        self.order_fields(["school"])

    def submit(self, target: Any) -> Any:
        """The form's one service call (each form defines it)."""
        raise NotImplementedError

    def run(self, call) -> Any:
        try:
            return call()
        except RecordsError as error:
            self.add_error(None, str(error))
            return None


def _people(schools: list):
    trusts = {s.trust_id for s in schools if s.trust_id}
    return Person.objects.filter(Q(school__in=schools) | Q(trust_id__in=trusts))


class SarForm(_ServiceForm):
    person = forms.ModelChoiceField(queryset=Person.objects.none(), label="About whom")
    requester_name = forms.CharField(label="Who asked", max_length=150)
    requester_is_subject = forms.BooleanField(
        label="They asked for their own records", required=False, initial=True
    )
    received_on = forms.DateField(widget=DATE)
    identity_checked_on = forms.DateField(
        widget=DATE, required=False, help_text="The month runs from this date if it is later."
    )
    scope = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._school_field()
        cast(forms.ModelChoiceField, self.fields["person"]).queryset = _people(self.schools)

    def submit(self, actor: Any):
        data = self.cleaned_data
        return self.run(
            lambda: services.sar_register(
                school=data["school"],
                person=data["person"],
                requester_name=data["requester_name"],
                requester_is_subject=data["requester_is_subject"],
                received_on=data["received_on"],
                identity_checked_on=data["identity_checked_on"],
                scope=data["scope"],
                actor=actor,
            )
        )


class SarIdentityForm(_ServiceForm):
    on = forms.DateField(label="Identity checked on", widget=DATE)

    def submit(self, sar) -> Any:
        return self.run(lambda: services.sar_identity_checked(sar, on=self.cleaned_data["on"]))


class SarExtendForm(_ServiceForm):
    months = forms.TypedChoiceField(
        choices=[(1, "One further month"), (2, "Two further months")], coerce=int
    )
    told_on = forms.DateField(label="Requester told on", widget=DATE)
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))

    def submit(self, sar) -> Any:
        data = self.cleaned_data
        return self.run(
            lambda: services.sar_extend(
                sar, months=data["months"], told_on=data["told_on"], reason=data["reason"]
            )
        )


class SarCloseForm(_ServiceForm):
    status = forms.ChoiceField(
        choices=[(SarStatus.RESPONDED, "Response sent"), (SarStatus.WITHDRAWN, "Withdrawn")]
    )
    on = forms.DateField(widget=DATE)

    def submit(self, sar) -> Any:
        data = self.cleaned_data
        return self.run(lambda: services.sar_close(sar, status=data["status"], on=data["on"]))


class HoldForm(_ServiceForm):
    kind = forms.ChoiceField(choices=HoldKind.choices)
    case_reference = forms.CharField(label="Case reference", required=False, max_length=20)
    person = forms.ModelChoiceField(
        queryset=Person.objects.none(), required=False, help_text="Or hold all of a person's."
    )
    reason = forms.CharField(max_length=300)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._school_field()
        cast(forms.ModelChoiceField, self.fields["person"]).queryset = _people(self.schools)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        reference = (data.get("case_reference") or "").strip().upper()
        data["case"] = None
        if reference and data.get("school"):
            data["case"] = Case.objects.filter(school=data["school"], reference=reference).first()
            if data["case"] is None:
                self.add_error("case_reference", "No case with that reference at this school.")
        if not reference and not data.get("person"):
            self.add_error(None, "Choose a case or a person to hold.")
        return data

    def submit(self, actor: Any):
        data = self.cleaned_data
        return self.run(
            lambda: services.hold_place(
                school=data["school"],
                kind=data["kind"],
                reason=data["reason"],
                actor=actor,
                case=data["case"],
                person=data["person"],
            )
        )


class BreachForm(_ServiceForm):
    summary = forms.CharField(max_length=200, help_text="No names: what kind of data, how.")
    aware_at = forms.DateTimeField(
        label="The school became aware at",
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    details = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._school_field()

    def submit(self, actor: Any):
        data = self.cleaned_data
        return self.run(
            lambda: services.breach_record(
                school=data["school"],
                summary=data["summary"],
                aware_at=data["aware_at"],
                details=data["details"],
                actor=actor,
            )
        )


class BreachDecideForm(_ServiceForm):
    decision = forms.ChoiceField(choices=BreachDecision.choices[1:])
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    reported_at = forms.DateTimeField(
        label="Reported to the ICO at",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    ico_reference = forms.CharField(label="ICO reference", required=False, max_length=60)

    def submit(self, breach) -> Any:
        data = self.cleaned_data
        return self.run(
            lambda: services.breach_decide(
                breach,
                decision=data["decision"],
                reason=data["reason"],
                reported_at=data["reported_at"],
                ico_reference=data["ico_reference"],
            )
        )
