"""The form to give a colleague a task, on the case action page (registered into
`incidents.staff_forms.ACTION_FORMS` from CaseTasksConfig.ready)."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils import timezone

from incidents.staff_forms import ActionForm, LeadChoiceField, model_choice
from incidents.workflow import Effect

from .services import TITLE_MAX, assignees_for, case_task_add


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs: dict[str, Any] | None = None):
        # A date input reads and shows ISO dates, whatever the site's display format.
        super().__init__(attrs, format="%Y-%m-%d")


class TaskAddForm(ActionForm):
    title = forms.CharField(
        label="What needs doing",
        max_length=TITLE_MAX,
        help_text="For example “Phone the parent” or “Collect statements from Year 3 staff”. "
        "It is shown on their dashboard and in a reminder email: don't name the reporter.",
    )
    assigned_to = LeadChoiceField(
        label="Who it is for",
        queryset=None,
        help_text="Staff who can open this case.",
    )
    due_on = forms.DateField(label="Due on", widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        assignee = model_choice(self, "assigned_to")
        assignee.queryset = assignees_for(self.case)
        assignee.empty_label = "Choose who it is for"
        today = timezone.localdate()
        self.fields["due_on"].widget.attrs["min"] = today.isoformat()
        self.fields["due_on"].initial = today + datetime.timedelta(days=7)

    def clean_title(self) -> str:
        title = " ".join(self.cleaned_data["title"].split())
        if not title:
            raise forms.ValidationError("Say what the task is.")
        return title

    def clean_due_on(self) -> datetime.date:
        due_on = self.cleaned_data["due_on"]
        if due_on < timezone.localdate():
            raise forms.ValidationError("The due date can't be in the past.")
        return due_on

    def submit(self) -> Effect:
        data = self.cleaned_data
        return case_task_add(
            self.case,
            self.user,
            title=data["title"],
            assigned_to=data["assigned_to"],
            due_on=data["due_on"],
        )
