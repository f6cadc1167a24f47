"""Forms for drafting letters, editing templates and the print queue."""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.forms.widgets import DateTimeBaseInput
from django.utils import timezone

from incidents.models import Case, Person, Report
from schoolconduct.formats import parse_date, parse_time

from . import placeholders
from .kinds import FIELDS, TO_REPORTER, entered_fields
from .models import SendMethod

# A date or time value: its form field, and the browser's picker with the format it reads.
_PICKERS: dict[str, tuple[type[forms.Field], type[DateTimeBaseInput], str]] = {
    "date": (forms.DateField, forms.DateInput, "%Y-%m-%d"),
    "time": (forms.TimeField, forms.TimeInput, "%H:%M"),
}


def _detail_field(name: str, *, recorded: str = "") -> forms.Field:
    """The form field for one value entered for a letter: dates and times with their inputs,
    the procedure's own dates shown but not editable."""
    field = FIELDS[name]
    attrs = {"data-detail-field": name}
    if field.procedure:
        return forms.CharField(
            label=field.label,
            required=False,
            disabled=True,
            help_text=(
                "From the recorded step on the case; change it there."
                if recorded
                else "Not recorded yet: record the step on the case first."
            ),
            widget=forms.TextInput(attrs=attrs),
        )
    if field.type in _PICKERS:
        field_class, input_class, input_format = _PICKERS[field.type]
        return field_class(
            label=field.label,
            help_text=field.help,
            required=False,
            widget=input_class(attrs={**attrs, "type": field.type}, format=input_format),
        )
    widget: forms.Widget = (
        forms.Textarea(attrs={**attrs, "rows": 3})
        if field.multiline
        else forms.TextInput(attrs=attrs)
    )
    return forms.CharField(
        label=field.label,
        help_text=field.help,
        required=False,
        widget=widget,
        max_length=3000,
        strip=True,
    )


def detail_initial(name: str, value: str) -> Any:
    """A stored value ("14 December 2026", "3.30pm") as its input's initial value."""
    field = FIELDS[name]
    if field.type == "date" and not field.procedure:
        return parse_date(value) or value
    if field.type == "time":
        return parse_time(value) or value
    return value


class DetailsMixin:
    fields: dict[str, forms.Field]
    cleaned_data: dict[str, Any]
    kind: str

    def add_details(self, kind: str, recorded: dict[str, str]) -> None:
        for name in entered_fields(kind):
            self.fields[name] = _detail_field(name, recorded=recorded.get(name, ""))

    def details(self) -> dict[str, Any]:
        return {
            n: self.cleaned_data.get(n) or ""
            for n in entered_fields(self.kind)
            if not FIELDS[n].procedure
        }


class DraftForm(DetailsMixin, forms.Form):
    """The recipient, the delivery method and the values staff enter for this kind."""

    delivery_method = forms.ChoiceField(label="How will it be delivered?")

    def __init__(self, *args: Any, case: Case, kind: str, recorded: dict[str, str], **kwargs: Any):
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
        self.add_details(kind, recorded)
        # Recipient first, then delivery, then the details.
        order = ["report", "person", "delivery_method", *entered_fields(kind)]
        self.order_fields([n for n in order if n in self.fields])


class RichBodyForm(forms.Form):
    """A letter's (or a template's) text.

    It arrives either as HTML from the rich editor (`body_format` "html") or, without
    JavaScript, as the plain editor's text (paragraphs separated by blank lines); either way
    the service sanitises and checks it. Staff never see HTML: the plain editor shows text.
    """

    body_text = forms.CharField(
        label="Letter text",
        required=False,
        widget=forms.Textarea(attrs={"rows": 22}),
        help_text="Leave a blank line between paragraphs. Start a line with “- ” for a list or "
        "“### ” for a heading; **two stars** make bold and *one star* italics. Words in "
        "[[double brackets]] are filled in from the details above — keep them as they are.",
    )
    body_html = forms.CharField(required=False, widget=forms.HiddenInput)
    body_format = forms.ChoiceField(
        choices=[("text", "text"), ("html", "html")],
        initial="text",
        required=False,  # absent: the plain editor's text
        widget=forms.HiddenInput,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["body_html"].widget.attrs["data-editor-html"] = "true"
        self.fields["body_format"].widget.attrs["data-editor-format"] = "true"

    def body(self) -> str:
        data = self.cleaned_data
        if data.get("body_format") == "html":
            return data.get("body_html") or ""
        return placeholders.text_to_html(data.get("body_text") or "")

    @staticmethod
    def body_initial(body_html: str) -> dict[str, str]:
        return {
            "body_html": body_html,
            "body_text": placeholders.html_to_text(body_html),
            "body_format": "text",
        }


class DraftEditForm(DetailsMixin, RichBodyForm):
    """A draft's title, its text and its details."""

    title = forms.CharField(max_length=200, error_messages={"required": "Give the letter a title."})

    def __init__(self, *args: Any, kind: str, recorded: dict[str, str], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.kind = kind
        self.add_details(kind, recorded)
        self.order_fields(["title"])


class TemplateForm(RichBodyForm):
    title = forms.CharField(max_length=200)
    note = forms.CharField(label="What changed (optional)", required=False, max_length=200)


class SentForm(forms.Form):
    method = forms.ChoiceField(label="How it was sent", choices=SendMethod.choices)
    sent_on = forms.DateField(
        label="Date sent",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class BatchSentForm(forms.Form):
    sent_on = forms.DateField(
        label="Date sent",
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class LetterSettingsForm(forms.Form):
    """A school's letterhead crest and its print queue target."""

    logo = forms.FileField(
        label="School crest or logo (JPEG, PNG or WebP)",
        required=False,
        help_text="Printed at the top left of every letter. Checked and re-encoded like a "
        "screenshot: nothing but the picture is kept.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"}),
    )
    remove_logo = forms.BooleanField(label="Remove the current crest", required=False)
    letter_queue_target_days = forms.IntegerField(
        label="Print queue target (days from approval to sending)",
        min_value=1,
        max_value=60,
        help_text="The print queue warns about letters waiting longer (the school's choice).",
    )
