"""Forms for drafting letters, editing templates and the print queue."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils import timezone

from incidents.models import Case, Person, Report

from .kinds import FIELDS, TO_REPORTER, entered_fields
from .models import SendMethod


class DraftForm(forms.Form):
    """The recipient, the delivery method and the values staff enter for this kind."""

    delivery_method = forms.ChoiceField(label="How will it be delivered?")

    def __init__(self, *args: Any, case: Case, kind: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.case, self.kind = case, kind
        delivery = cast(forms.ChoiceField, self.fields["delivery_method"])
        if kind in TO_REPORTER:
            self.fields["report"] = forms.ModelChoiceField(
                label="To the reporter of",
                queryset=Report.objects.filter(case=case),
                empty_label=None,
            )
            delivery.choices = [
                (SendMethod.FOLLOW_UP, SendMethod.FOLLOW_UP.label),
                (SendMethod.EMAIL, SendMethod.EMAIL.label),
            ]
        else:
            self.fields["person"] = forms.ModelChoiceField(
                label="To",
                queryset=Person.objects.filter(cases=case),
                empty_label=None,
                help_text="Add the person concerned on the case page if they are not listed.",
            )
            delivery.choices = [
                (m, SendMethod(m).label)
                for m in (SendMethod.POST, SendMethod.HAND, SendMethod.EMAIL)
            ]
        for name in entered_fields(kind):
            field = FIELDS[name]
            widget = forms.Textarea(attrs={"rows": 3}) if field.multiline else None
            self.fields[name] = forms.CharField(
                label=field.label,
                help_text=field.help,
                required=False,
                widget=widget,
                max_length=3000,
            )
        # Recipient first, then delivery, then the details.
        order = ["report", "person", "delivery_method", *entered_fields(kind)]
        self.order_fields([n for n in order if n in self.fields])

    def details(self) -> dict[str, str]:
        return {n: self.cleaned_data.get(n, "") for n in entered_fields(self.kind)}


class DraftEditForm(forms.Form):
    title = forms.CharField(max_length=200)
    body_html = forms.CharField(
        label="Letter text",
        widget=forms.Textarea(attrs={"rows": 18}),
        help_text="Paragraphs, bold, italics, lists and headings are "
        "kept; anything else is removed when you save.",
    )


class TemplateForm(forms.Form):
    title = forms.CharField(max_length=200)
    body = forms.CharField(
        label="Template",
        widget=forms.Textarea(attrs={"rows": 22}),
        help_text="Use merge fields like [[recipient_name]]. The list of "
        "fields is beside this box.",
    )
    note = forms.CharField(label="What changed (optional)", required=False, max_length=200)


class SentForm(forms.Form):
    method = forms.ChoiceField(label="How it was sent", choices=SendMethod.choices)
    sent_on = forms.DateField(
        label="Date sent",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )
