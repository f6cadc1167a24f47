"""Staff forms: one per case action, each turning its fields into `perform_action` params."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import timezone

from schools.models import Role, Rule

from . import evidence
from .models import (
    Case,
    CaseStatus,
    Meeting,
    Nature,
    Outcome,
    Person,
    PersonTitle,
    Referral,
    SafeguardingScreen,
    Severity,
    Target,
    tidy_name,
)
from .workflow import GATHER_KINDS, person_history, usual_next_step


def leads_for_schools(schools):
    """Who can lead cases at these schools: their active SLT and their trusts' executives."""
    ids = [s.pk for s in schools]
    trusts = {s.trust_id for s in schools if s.trust_id}
    condition = Q(memberships__school_id__in=ids, memberships__role=Role.SLT) | Q(
        trust_memberships__trust_id__in=trusts
    )
    return (
        get_user_model()
        .objects.filter(condition, is_active=True)
        .distinct()
        .order_by("first_name", "last_name")
    )


def school_staff(case: Case):
    """Everyone working at the case's school (for "who was targeted")."""
    return (
        get_user_model()
        .objects.filter(memberships__school=case.school, is_active=True)
        .distinct()
        .order_by("first_name", "last_name")
    )


def school_leads(case: Case):
    return leads_for_schools([case.school])


class LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ActionForm(forms.Form):
    """Base: knows the case and the user; `params()` gives perform_action's keyword args."""

    def __init__(self, *args: Any, case: Case, user, **kwargs: Any):
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)

    def params(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class TriageForm(ActionForm):
    severity = forms.ChoiceField(choices=[("", "Choose…"), *Severity.choices])
    nature = forms.ChoiceField(
        label="Nature of the conduct", choices=[("", "Choose…"), *Nature.choices]
    )
    targets = forms.MultipleChoiceField(
        label="Who did it target?",
        choices=Target.choices,
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    rules = forms.ModelMultipleChoiceField(
        label="Rules breached",
        queryset=Rule.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    safeguarding_screen = forms.ChoiceField(
        label="Safeguarding screen", choices=SafeguardingScreen.choices, widget=forms.RadioSelect
    )
    lead = LeadChoiceField(label="Case lead", queryset=None)
    targeted_staff = LeadChoiceField(
        label="Member of staff targeted (if any)",
        queryset=None,
        required=False,
        help_text="They will not decide a site ban on this case.",
    )
    rationale = forms.CharField(
        label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["targeted_staff"].queryset = school_staff(self.case)
        self.fields["rules"].queryset = Rule.objects.filter(school=self.case.school)
        self.fields["lead"].queryset = school_leads(self.case)
        self.fields["lead"].initial = self.user.pk
        reported = Rule.objects.filter(reports__case=self.case).values_list("pk", flat=True)
        self.fields["rules"].initial = list(reported)
        if self.case.safeguarding_flag:
            self.fields["safeguarding_screen"].initial = SafeguardingScreen.CONCERN


class MergeForm(ActionForm):
    target = forms.CharField(label="Reference of the case to merge this report into", max_length=20)
    rationale = forms.CharField(label="Why (optional)", required=False)

    def clean_target(self) -> Case:
        reference = self.cleaned_data["target"].strip().upper()
        target = Case.objects.filter(school=self.case.school, reference=reference).first()
        if target is None:
            raise ValidationError("There is no case with that reference at this school.")
        return target


MERGE_WINDOW_DAYS = 30


class MergeInForm(ActionForm):
    """On the receiving case: choose the new reports (cases) to bring in."""

    sources = forms.ModelMultipleChoiceField(
        label="New reports to merge into this case",
        queryset=Case.objects.none(),
        widget=forms.CheckboxSelectMultiple,
    )
    rationale = forms.CharField(label="Why (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A pile-on arrives within days: offer the 50 most recent new reports, not all of
        # them (a school with thousands of untriaged reports must still get a fast page).
        recent = timezone.now() - datetime.timedelta(days=MERGE_WINDOW_DAYS)
        candidates = list(
            Case.objects.filter(
                school=self.case.school, status=CaseStatus.NEW, opened_at__gte=recent
            )
            .exclude(pk=self.case.pk)
            .order_by("-opened_at")
            .values_list("pk", flat=True)[:50]
        )
        self.fields["sources"].queryset = Case.objects.filter(pk__in=candidates).order_by(
            "opened_at"
        )


class GatherForm(ActionForm):
    kind = forms.ChoiceField(
        label="What is it?", choices=list(GATHER_KINDS.items()), widget=forms.RadioSelect
    )
    text = forms.CharField(label="Details", widget=forms.Textarea(attrs={"rows": 5}))
    files = forms.FileField(
        label="Files (optional: PDF statements or screenshots)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf," + evidence.ACCEPT}),
    )

    def clean_files(self):
        upload = self.cleaned_data.get("files")
        return [evidence.inspect_upload(upload)] if upload else []


class MeetingForm(ActionForm):
    kind = forms.ChoiceField(choices=Meeting.Kind.choices)
    held_at = forms.DateTimeField(
        label="When", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    place = forms.CharField(required=False, max_length=200)
    attendees = forms.CharField(required=False, max_length=300)
    person = forms.ModelChoiceField(label="Parent", queryset=Person.objects.none(), required=False)
    notes = forms.CharField(label="What was said", widget=forms.Textarea(attrs={"rows": 5}))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["person"].queryset = self.case.persons.all()


class DecideForm(ActionForm):
    actions = forms.MultipleChoiceField(
        label="Proportionate action", choices=Outcome.choices, widget=forms.CheckboxSelectMultiple
    )
    rationale = forms.CharField(
        label="Why this is proportionate", widget=forms.Textarea(attrs={"rows": 4})
    )
    escalation_reason = forms.CharField(
        label="If you go beyond the usual next step: why lesser steps are not enough",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.history = person_history(self.case)
        self.suggested = Outcome(usual_next_step([c.actions for c in self.history]))


class ReferForm(ActionForm):
    kind = forms.ChoiceField(label="Referred to", choices=Referral.Kind.choices)
    made_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    external_reference = forms.CharField(label="Their reference (optional)", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))


class MonitorForm(ActionForm):
    rationale = forms.CharField(
        label="What is being monitored, and why", widget=forms.Textarea(attrs={"rows": 3})
    )
    review_on = forms.DateField(
        label="Review date (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )


class CloseForm(ActionForm):
    outcome = forms.CharField(label="Outcome", max_length=200)
    rationale = forms.CharField(
        label="Why the case can be closed", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReopenForm(ActionForm):
    reason = forms.CharField(
        label="Why the case is being reopened", widget=forms.Textarea(attrs={"rows": 3})
    )


class ReassignForm(ActionForm):
    lead = LeadChoiceField(label="New case lead", queryset=None)
    rationale = forms.CharField(label="Why (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = school_leads(self.case)


class SeverityForm(ActionForm):
    severity = forms.ChoiceField(choices=Severity.choices)
    rationale = forms.CharField(
        label="Why the severity changed", widget=forms.Textarea(attrs={"rows": 3})
    )


class AddPersonForm(ActionForm):
    existing = forms.ModelChoiceField(
        label="Someone already on record",
        queryset=Person.objects.none(),
        required=False,
        help_text="People from earlier cases at this school or trust.",
    )
    full_name = forms.CharField(label="Or a new person: full name", required=False, max_length=150)
    title = forms.ChoiceField(
        label="Title", choices=PersonTitle.choices, required=False, help_text="For letters."
    )
    preferred_name = forms.CharField(
        label="Name after “Dear” and the title",
        required=False,
        max_length=150,
        help_text="“Johnson” makes “Dear Mr Johnson”. Blank: the last word of the full name.",
    )
    address = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For letters: one line per row.",
    )
    postcode = forms.CharField(required=False, max_length=10)
    email = forms.EmailField(required=False)
    phone = forms.CharField(required=False, max_length=30)
    children_classes = forms.CharField(
        label="Their children's classes (no names)", required=False, max_length=200
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        school = self.case.school
        scope = Q(trust_id=school.trust_id) if school.trust_id else Q(school=school)
        self.fields["existing"].queryset = Person.objects.filter(scope).exclude(cases=self.case)

    def clean(self):
        data = super().clean()
        if not data.get("existing") and not data.get("full_name", "").strip():
            raise ValidationError("Choose someone already on record, or give a new name.")
        if data.get("existing") and data.get("full_name", "").strip():
            raise ValidationError("Choose someone on record or give a new name, not both.")
        return data

    def params(self) -> dict[str, Any]:
        data = self.cleaned_data
        person = data["existing"]
        if person is None:
            # A new, unsaved Person: the service saves it inside the action's transaction.
            person = Person(
                school=self.case.school,
                title=data["title"],
                full_name=tidy_name(data["full_name"]),
                preferred_name=tidy_name(data["preferred_name"]),
                address=data["address"],
                postcode=data["postcode"],
                email=data["email"],
                phone=data["phone"],
                children_classes=data["children_classes"],
            )
        return {"person": person}


class NoteForm(ActionForm):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}))


class ReportChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.reference


class MessageReporterForm(ActionForm):
    report = ReportChoiceField(label="To the reporter of", queryset=None)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text="The reporter reads this on the follow-up page. Don't "
        "include anything about the other parent.",
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = self.case.reports.all()
        if len(self.fields["report"].queryset) == 1:
            self.fields["report"].initial = self.fields["report"].queryset[0].pk


class SafeguardingDecisionForm(ActionForm):
    decision = forms.CharField(
        label="Decision and reasons", widget=forms.Textarea(attrs={"rows": 4})
    )
    record_ref = forms.CharField(
        label="Child-protection record reference (optional)",
        required=False,
        max_length=60,
        help_text="Where the details are kept (the safeguarding "
        "system). Keep child-protection details there, not here.",
    )


class ReissueCodeForm(ActionForm):
    report = ReportChoiceField(label="Report", queryset=None)
    identity_check = forms.CharField(
        label="How you checked who the reporter is", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["report"].queryset = self.case.reports.all()


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "triage": TriageForm,
    "merge": MergeForm,
    "gather": GatherForm,
    "meeting": MeetingForm,
    "decide": DecideForm,
    "refer": ReferForm,
    "monitor": MonitorForm,
    "close": CloseForm,
    "reopen": ReopenForm,
    "reassign": ReassignForm,
    "severity": SeverityForm,
    "add_person": AddPersonForm,
    "note": NoteForm,
    "message_reporter": MessageReporterForm,
    "safeguarding_decision": SafeguardingDecisionForm,
    "reissue_code": ReissueCodeForm,
}


# --- site bans and contact restrictions ------------------------------------------------------


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
        self.fields["person"].queryset = self.case.persons.all()
        self.fields["decision_maker"].queryset = school_leads(self.case)
        days = self.case.school.representation_school_days
        self.fields["representation_deadline"].help_text = (
            f"Leave empty for the school's default of {days} school days — the school's own "
            "choice, not law. It can never be fewer than 5 school days."
        )


class BanTemporaryForm(BanNoticeForm):
    immediate_risk_reason = forms.CharField(
        label="The immediate risk that justifies a bar with immediate effect",
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    starts_on = forms.DateField(
        label="Starts on (optional: today)", required=False, widget=DateInput
    )


def _ban_choices(case: Case, stages) -> Any:
    from .models import SiteBan

    return SiteBan.objects.filter(case=case, stage__in=stages).select_related("person")


class BanChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return f"{obj.person.full_name} — {obj.get_stage_display().lower()}"


class BanRepresentationsForm(ActionForm):
    ban = BanChoiceField(label="Bar", queryset=None, empty_label=None)
    representations = forms.CharField(
        label="Representations received",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="In writing or at a meeting. If none were made, say so.",
    )
    received_on = forms.DateField(label="Received on", widget=DateInput)
    weighed = forms.CharField(
        label="How they were weighed", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ban"].queryset = _ban_choices(self.case, ("intention", "temporary"))


class BanDecideForm(ActionForm):
    ban = BanChoiceField(label="Bar", queryset=None, empty_label=None)
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

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ban"].queryset = _ban_choices(self.case, ("intention", "temporary"))


class BanReviewForm(ActionForm):
    ban = BanChoiceField(label="Bar", queryset=None, empty_label=None)
    outcome = forms.ChoiceField(
        widget=forms.RadioSelect,
        choices=[("continue", "Continue"), ("vary", "Vary"), ("lift", "Lift")],
    )
    notes = forms.CharField(label="Reasons", widget=forms.Textarea(attrs={"rows": 3}))
    next_review_on = forms.DateField(label="Next review by", required=False, widget=DateInput)
    scope = forms.CharField(
        label="New scope (if varied)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["ban"].queryset = _ban_choices(self.case, ("confirmed",))


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
        self.fields["person"].queryset = self.case.persons.all()


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
        from .models import ContactRestriction

        self.fields["restriction"].queryset = ContactRestriction.objects.filter(
            case=self.case, ended_on__isnull=True
        ).select_related("person")


ACTION_FORMS.update(
    {
        "ban_notice": BanNoticeForm,
        "ban_temporary": BanTemporaryForm,
        "ban_representations": BanRepresentationsForm,
        "ban_decide": BanDecideForm,
        "ban_review": BanReviewForm,
        "restriction_start": RestrictionStartForm,
        "restriction_review": RestrictionReviewForm,
    }
)

# The letter each step is followed by (drafted through the letters app, details merged).
LETTER_AFTER = {
    "ban_notice": "intention_to_bar",
    "ban_temporary": "temporary_bar",
    "ban_decide": "bar_decision",
    "ban_review": "bar_review",
    "restriction_start": "contact_restriction",
}
