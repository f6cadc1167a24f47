"""Forms for the bar and restriction actions, shown on the case action page (registered into
`incidents.staff_forms.ACTION_FORMS` from MeasuresConfig.ready)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet

from incidents.models import Case, Person
from incidents.staff_forms import ActionForm, LeadChoiceField, model_choice, school_leads
from incidents.workflow import Effect

from . import procedure
from .models import ContactRestriction, SiteBan
from .procedure import stages_for


class DateInput(forms.DateInput):
    input_type = "date"


class PersonOnCaseField(forms.ModelChoiceField):
    def __init__(self, **kwargs: Any):
        super().__init__(queryset=Person.objects.none(), empty_label=None, **kwargs)


class BanNoticeForm(ActionForm):
    person = PersonOnCaseField(label="Parent to be barred")
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    scope = forms.CharField(
        label="Proposed scope",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Site areas, times and events it would cover.",
    )
    duration = forms.CharField(label="Proposed duration", max_length=200)
    child_arrangements = forms.CharField(
        label="Arrangements for the child's drop-off and collection",
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    decision_maker = LeadChoiceField(label="Who will decide", queryset=None)
    representation_deadline = forms.DateField(
        label="Representations by (optional)",
        required=False,
        widget=DateInput,
        help_text="Leave empty for the school's default. The default number of school days "
        "is the school's own choice, not law; it can never be fewer than 5.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "person").queryset = self.case.persons.all()
        model_choice(self, "decision_maker").queryset = school_leads(self.case)
        days = self.case.school.representation_school_days
        self.fields["representation_deadline"].help_text = (
            f"Leave empty for the school's default of {days} school days — the school's own "
            "choice, not law. It can never be fewer than 5 school days."
        )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.ban_notice_issue(
            self.case,
            self.user,
            person=data["person"],
            reasons=data["reasons"],
            scope=data["scope"],
            duration=data["duration"],
            child_arrangements=data["child_arrangements"],
            decision_maker=data["decision_maker"],
            representation_deadline=data["representation_deadline"],
        )


class BanTemporaryForm(BanNoticeForm):
    immediate_risk_reason = forms.CharField(
        label="The immediate risk that justifies a bar with immediate effect",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = forms.DateField(
        label="Starts on (optional: today)", required=False, widget=DateInput
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.ban_temporary_impose(
            self.case,
            self.user,
            person=data["person"],
            immediate_risk_reason=data["immediate_risk_reason"],
            reasons=data["reasons"],
            scope=data["scope"],
            duration=data["duration"],
            child_arrangements=data["child_arrangements"],
            decision_maker=data["decision_maker"],
            starts_on=data["starts_on"],
            representation_deadline=data["representation_deadline"],
        )


def _ban_choices(case: Case, action: str) -> QuerySet[SiteBan]:
    """The case's bars at a stage where this action has a step (from the stage table)."""
    return SiteBan.objects.filter(case=case, stage__in=stages_for(action)).select_related("person")


class BanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.person.full_name} — {obj.get_stage_display().lower()}"


class BanStepForm(ActionForm):
    """A step on one of the case's bars: the choice offers only the bars at a stage where
    `ban_action` has a step."""

    ban_action: str
    ban = BanChoiceField(label="Bar", queryset=None, empty_label=None)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "ban").queryset = _ban_choices(self.case, self.ban_action)


class BanRepresentationsForm(BanStepForm):
    ban_action = "ban_representations"
    representations = forms.CharField(
        label="Representations received",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In writing or at a meeting. If none were made, say so.",
    )
    received_on = forms.DateField(label="Received on", widget=DateInput)
    weighed = forms.CharField(
        label="How they were weighed", widget=forms.Textarea(attrs={"rows": 3})
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.ban_representations_record(
            self.case,
            self.user,
            ban=data["ban"],
            representations=data["representations"],
            received_on=data["received_on"],
            weighed=data["weighed"],
        )


class BanDecideForm(BanStepForm):
    ban_action = "ban_decide"
    confirm = forms.TypedChoiceField(
        label="Decision",
        coerce=lambda v: v == "confirm",
        widget=forms.RadioSelect,
        choices=[("confirm", "Confirm the bar"), ("lift", "Do not confirm (lift)")],
    )
    reasons = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(
        label="Starts on (optional: today)", required=False, widget=DateInput
    )
    review_on = forms.DateField(
        label="Review by",
        required=False,
        widget=DateInput,
        help_text="Required to confirm: within six months. Reviewing "
        "at least termly is the school's default, not law.",
    )
    ends_on = forms.DateField(
        label="Ends on (optional, fixed term)", required=False, widget=DateInput
    )
    override_reason = forms.CharField(
        label="If the conduct targeted you: why you are deciding",
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.ban_decide(
            self.case,
            self.user,
            ban=data["ban"],
            confirm=data["confirm"],
            reasons=data["reasons"],
            starts_on=data["starts_on"],
            review_on=data["review_on"],
            ends_on=data["ends_on"],
            override_reason=data["override_reason"],
        )


class BanReviewForm(BanStepForm):
    ban_action = "ban_review"
    outcome = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("continue", "Continue"), ("vary", "Vary"), ("lift", "Lift")],
    )
    notes = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(label="Next review by", required=False, widget=DateInput)
    scope = forms.CharField(
        label="New scope (if varied)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.ban_review(
            self.case,
            self.user,
            ban=data["ban"],
            outcome=data["outcome"],
            notes=data["notes"],
            next_review_on=data["next_review_on"],
            scope=data["scope"],
        )


class RestrictionStartForm(ActionForm):
    person = PersonOnCaseField(label="Parent")
    contact_point = forms.CharField(label="Single point of contact", max_length=200)
    channels = forms.CharField(label="Channels they may use", max_length=200)
    reasons = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}))
    starts_on = forms.DateField(
        label="Starts on (optional: today)", required=False, widget=DateInput
    )
    review_on = forms.DateField(label="Review by", widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "person").queryset = self.case.persons.all()

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.restriction_start(
            self.case,
            self.user,
            person=data["person"],
            contact_point=data["contact_point"],
            channels=data["channels"],
            reasons=data["reasons"],
            review_on=data["review_on"],
            starts_on=data["starts_on"],
        )


class RestrictionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.person.full_name} — contact through {obj.contact_point}"


class RestrictionReviewForm(ActionForm):
    restriction = RestrictionChoiceField(label="Restriction", queryset=None, empty_label=None)
    end = forms.TypedChoiceField(
        label="Outcome",
        coerce=lambda v: v == "end",
        widget=forms.RadioSelect,
        choices=[("continue", "Continue"), ("end", "End it")],
    )
    notes = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(label="Next review by", required=False, widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "restriction").queryset = ContactRestriction.objects.filter(
            case=self.case, ended_on__isnull=True
        ).select_related("person")

    def submit(self) -> Effect:
        data = self.cleaned_data
        return procedure.restriction_review(
            self.case,
            self.user,
            restriction=data["restriction"],
            end=data["end"],
            notes=data["notes"],
            next_review_on=data["next_review_on"],
        )


MEASURE_FORMS: dict[str, type[ActionForm]] = {
    "ban_notice": BanNoticeForm,
    "ban_temporary": BanTemporaryForm,
    "ban_representations": BanRepresentationsForm,
    "ban_decide": BanDecideForm,
    "ban_review": BanReviewForm,
    "restriction_start": RestrictionStartForm,
    "restriction_review": RestrictionReviewForm,
}
