"""Forms for case files, redaction and disclosure bundles: each validates, then makes one
service call in `submit()`; a refusal becomes a form error, so what was typed stays."""

from __future__ import annotations

from typing import Any

from django import forms

from . import casefile, redaction

WITHHELD, INCLUDED = "withheld", "included"


class CaseFileForm(forms.Form):
    purpose = forms.ChoiceField(
        label="Who is it for?",
        choices=[(c.value, c.label) for c in casefile.OUTSIDE_PURPOSES],
        widget=forms.RadioSelect,
        error_messages={"required": "Choose who the case file is for."},
    )
    recipient_name = forms.CharField(
        label="Name of the recipient",
        max_length=150,
        help_text="The officer, firm, panel or person, e.g. “PC Jane Doyle, Kent Police”.",
        error_messages={"required": "Give the name of the person or body it is for."},
    )
    reporter = forms.ChoiceField(
        label="Who reported",
        choices=[
            (WITHHELD, "Withhold who reported (their name and contact details are hidden)"),
            (INCLUDED, "Include who reported (only if the recipient needs to contact them)"),
        ],
        initial=WITHHELD,
        widget=forms.RadioSelect,
    )
    use_redacted = forms.BooleanField(
        label="Use the redacted copies of images where one has been made",
        required=False,
        initial=True,
    )
    phrases = forms.CharField(
        label="Names or phrases to hide in the text (one a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For example another child's name. Phone numbers and names you confirmed on "
        "screenshots are hidden too.",
    )

    def __init__(self, *args: Any, may_include_reporter: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_include_reporter:
            # Not offered at all: only those who may see the reporter choose to include them.
            del self.fields["reporter"]
        for name in ("recipient_name", "phrases"):
            self.fields[name].widget.attrs["class"] = "form-control"
        for name in ("purpose", "reporter", "use_redacted"):
            if name in self.fields:
                self.fields[name].widget.attrs["class"] = "form-check-input"

    def submit(self, *, case, actor):
        data = self.cleaned_data
        try:
            return casefile.casefile_request(
                case=case,
                actor=actor,
                purpose=data["purpose"],
                recipient_name=data["recipient_name"],
                include_reporter=data.get("reporter") == INCLUDED,
                use_redacted=data["use_redacted"],
                phrases=data["phrases"],
            )
        except casefile.CaseFileError as error:
            self.add_error(None, str(error))
            return None


class RegionForm(forms.Form):
    """One rectangle, in the image's own pixels (the keyboard way to mark an area)."""

    x = forms.IntegerField(label="From the left", min_value=0, required=False)
    y = forms.IntegerField(label="From the top", min_value=0, required=False)
    w = forms.IntegerField(label="Width", min_value=1, required=False)
    h = forms.IntegerField(label="Height", min_value=1, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.update(
                {"class": "form-control form-control-sm", "inputmode": "numeric"}
            )

    def clean(self):
        data = super().clean() or {}
        values = [data.get(k) for k in ("x", "y", "w", "h")]
        if any(v is not None for v in values) and any(v is None for v in values):
            raise forms.ValidationError("Give all four numbers for this area, or none.")
        return data

    def region(self) -> list[int] | None:
        values = [self.cleaned_data.get(k) for k in ("x", "y", "w", "h")]
        numbers = [int(v) for v in values if v is not None]
        return numbers if len(numbers) == 4 else None


RegionFormSet = forms.formset_factory(RegionForm, extra=4, max_num=redaction.MAX_REGIONS)


class BundleForm(forms.Form):
    phrases = forms.CharField(
        label="Other names or phrases to hide (one a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "class": "form-control"}),
        help_text="Who reported, other parents on the cases and the names on the school's "
        "sensitive-names list are hidden already.",
    )
