from django import forms

from .models import InsetDay, School, TermDate


class DateInput(forms.DateInput):
    input_type = "date"


class TermForm(forms.ModelForm):
    class Meta:
        model = TermDate
        fields = ["name", "starts_on", "ends_on"]
        widgets = {"starts_on": DateInput, "ends_on": DateInput}
        labels = {"starts_on": "First day", "ends_on": "Last day"}

    def clean(self):
        data = super().clean()
        if data.get("starts_on") and data.get("ends_on") and data["ends_on"] < data["starts_on"]:
            self.add_error("ends_on", "The last day must be on or after the first day.")
        return data


class InsetForm(forms.ModelForm):
    class Meta:
        model = InsetDay
        fields = ["date", "note"]
        widgets = {"date": DateInput}
        labels = {"date": "INSET day"}


class ImportForm(forms.Form):
    file = forms.FileField(
        label="CSV or iCalendar (.ics) file",
        help_text="CSV rows: name, first day, last day. Rows or events "
        "called INSET or training day become INSET days.",
    )
    replace = forms.BooleanField(label="Replace the dates we have", required=False, initial=True)


class ProcedureForm(forms.ModelForm):
    class Meta:
        model = School
        fields = [
            "triage_target_days",
            "decision_target_days",
            "representation_school_days",
            "decision_school_days",
            "ban_decision_by",
        ]
