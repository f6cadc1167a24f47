"""Staff forms: one per case action, each taking its action with one typed workflow call."""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.html import format_html

from schools.models import Role, Rule

from . import evidence, workflow
from .access import roles_for
from .identity import ReporterIdentity
from .merging import merge_candidates
from .models import (
    Case,
    CaseStatus,
    Meeting,
    Nature,
    Outcome,
    Person,
    PersonTitle,
    Referral,
    Report,
    SafeguardingScreen,
    Severity,
    Target,
    tidy_name,
)
from .wording import public_wording
from .workflow import GATHER_KINDS, Effect, person_history, steps_taken, usual_next_step


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


def model_choice(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:
    """The form's model choice field `name`, typed as one (to set its queryset)."""
    field = form.fields[name]
    if not isinstance(field, forms.ModelChoiceField):
        raise TypeError(f"{name} is not a model choice field")
    return field


class LeadChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class ActionForm(forms.Form):
    """Base: knows the case and the user; `submit()` takes the action with the cleaned data
    (one call of the action's typed function, which mypy checks)."""

    def __init__(self, *args: Any, case: Case, user, **kwargs: Any):
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)

    def submit(self) -> Effect:
        raise NotImplementedError


class WordingMixin:
    """Fields to confirm or reword what the public typed, before letters may use it. Each is
    shown only when a report has such words, pre-filled with them."""

    fields: dict
    case: Case
    user: Any

    def add_wording_fields(self) -> None:
        typed = public_wording(self.case)
        if not roles_for(self.user).sees_reporter(self.case.school):
            # The parent's words may name the reporter: hidden from whoever the rule excludes.
            hidden = ReporterIdentity.of_reports(self.case.reports.all(), first_names=True)
            typed = {key: hidden.redact(text) for key, text in typed.items()}
        if typed["group"]:
            self.fields["group_wording"] = forms.CharField(
                label="Group or platform, as letters will name it",
                initial=self.case.group_wording or typed["group"],
                max_length=200,
                # Help text is rendered as HTML: the parent's words are escaped.
                help_text=format_html(
                    "The parent typed “{}”. Confirm it or reword it: letters use only these words.",
                    typed["group"],
                ),
                error_messages={"required": "Confirm or reword the group the parent named."},
            )
        if typed["poster"]:
            self.fields["poster_wording"] = forms.CharField(
                label="Who posted it, in the school's words",
                initial=self.case.poster_wording or typed["poster"],
                max_length=200,
                help_text=format_html(
                    "The parent typed “{}”. Confirm it or reword it.", typed["poster"]
                ),
                error_messages={"required": "Confirm or reword who the parent says posted it."},
            )


class TriageForm(WordingMixin, ActionForm):
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
        model_choice(self, "targeted_staff").queryset = school_staff(self.case)
        model_choice(self, "rules").queryset = Rule.objects.filter(school=self.case.school)
        model_choice(self, "lead").queryset = school_leads(self.case)
        self.fields["lead"].initial = self.user.pk
        reported = Rule.objects.filter(reports__case=self.case).values_list("pk", flat=True)
        self.fields["rules"].initial = list(reported)
        if self.case.safeguarding_flag:
            self.fields["safeguarding_screen"].initial = SafeguardingScreen.CONCERN
        self.add_wording_fields()
        self.fields["rationale"] = self.fields.pop("rationale")  # the notes stay last

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_triage(
            self.case,
            self.user,
            severity=data["severity"],
            nature=data["nature"],
            targets=data["targets"],
            safeguarding_screen=data["safeguarding_screen"],
            lead=data["lead"],
            rules=data["rules"],
            rationale=data["rationale"],
            targeted_staff=data["targeted_staff"],
            group_wording=data.get("group_wording", ""),
            poster_wording=data.get("poster_wording", ""),
        )


class WordingForm(WordingMixin, ActionForm):
    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.add_wording_fields()

    def submit(self) -> Effect:
        return workflow.case_wording_confirm(
            self.case,
            self.user,
            group_wording=self.cleaned_data.get("group_wording", ""),
            poster_wording=self.cleaned_data.get("poster_wording", ""),
        )


class MergeForm(ActionForm):
    target = forms.CharField(label="Reference of the case to merge this report into", max_length=20)
    rationale = forms.CharField(label="Why (optional)", required=False)
    carry_flag = forms.BooleanField(
        label="I understand that this report's safeguarding flag will flag the case it joins",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if not self.case.safeguarding_flag:
            del self.fields["carry_flag"]

    def clean_target(self) -> Case:
        reference = self.cleaned_data["target"].strip().upper()
        target = Case.objects.filter(school=self.case.school, reference=reference).first()
        if target is None:
            raise ValidationError("There is no case with that reference at this school.")
        return target

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        target = data.get("target")
        if (
            target is not None
            and self.case.safeguarding_flag
            and not target.safeguarding_flag
            and not data.get("carry_flag")
        ):
            self.add_error(
                "carry_flag",
                f"This report has a safeguarding flag and {target.reference} has none: merging "
                "flags it. Confirm you mean to.",
            )
        return data

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_merge_into(
            self.case, self.user, target=data["target"], rationale=data["rationale"]
        )


MERGE_WINDOW_DAYS = 30


class CachedChoiceIterator(forms.models.ModelChoiceIterator):
    """Choices from the field's queryset as an ordinary, cached query (Django's iterator uses
    a server-side cursor on PostgreSQL: three round trips, each time it renders)."""

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        for obj in self.queryset:
            yield self.choice(obj)


# What `merging.merge_candidates` reads of a candidate's reports, its case and group.
MERGE_REPORT_FIELDS = (
    "case__reference",
    "case__opened_at",
    "case__safeguarding_flag",
    "group__name",
    "received_at",
    "conduct",
    "conduct_place",
    "group_other",
    "posted_on",
    "content",
    "poster_description",
    "reporter_name",
    "reporter_email",
    "reporter_phone",
)


def merge_in_cases(case: Case) -> QuerySet[Case]:
    """The cases that may be merged into `case`: its school's new reports of the last
    MERGE_WINDOW_DAYS days, other than itself."""
    recent = timezone.now() - datetime.timedelta(days=MERGE_WINDOW_DAYS)
    return Case.objects.filter(
        school_id=case.school_id, status=CaseStatus.NEW, opened_at__gte=recent
    ).exclude(pk=case.pk)


class MergeInForm(ActionForm):
    """On the receiving case: choose the new reports (cases) to bring in."""

    sources = forms.ModelMultipleChoiceField(
        label="New reports to merge into this case",
        queryset=Case.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one new report to merge."},
    )
    rationale = forms.CharField(label="Why (optional)", required=False)
    carry_flag = forms.BooleanField(
        label="I understand that merging a report with a safeguarding flag flags this case, "
        "and the DSL must then record a safeguarding decision",
        required=False,
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        # A pile-on arrives within days: offer the 50 most recent new reports, not all of
        # them (a school with thousands of untriaged reports must still get a fast page).
        candidates = merge_in_cases(self.case).order_by("-opened_at")[:50]
        # Their reports, each with its case: one query, of what describing them needs.
        theirs = list(
            Report.objects.filter(case__in=candidates.values("pk"))
            .select_related("case", "group")
            .only(*MERGE_REPORT_FIELDS)
        )
        self.candidates = merge_candidates(case=self.case, reports=theirs, user=self.user)
        labels = {c.case.pk: c.label for c in self.candidates}
        field = model_choice(self, "sources")
        # What a POST may choose. The page lists `candidates` itself (likely duplicates first,
        # in the order merge_candidates gives: staff/case/_merge_in.html), so the choices are
        # never read from the database to be shown.
        field.queryset = Case.objects.filter(pk__in=labels)
        field.label_from_instance = lambda obj: labels[obj.pk]  # type: ignore[method-assign]
        field.iterator = CachedChoiceIterator
        if not any(c.carries_flag for c in self.candidates):
            del self.fields["carry_flag"]

    @property
    def asks_carry_flag(self) -> bool:
        return "carry_flag" in self.fields

    @property
    def chosen(self) -> frozenset[str]:
        """The reports ticked in the POST being shown again (its errors beside them)."""
        if not self.is_bound:
            return frozenset()
        chosen = self.data.getlist("sources") if hasattr(self.data, "getlist") else []
        return frozenset(str(pk) for pk in chosen)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        flagged = [c.reference for c in data.get("sources", []) if c.safeguarding_flag]
        if flagged and not self.case.safeguarding_flag and not data.get("carry_flag"):
            self.add_error(
                "carry_flag",
                f"{', '.join(flagged)} {'has' if len(flagged) == 1 else 'have'} a safeguarding "
                "flag, which merging carries into this case: confirm you mean to.",
            )
        return data


class GatherForm(ActionForm):
    kind = forms.ChoiceField(
        label="What is it?", choices=list(GATHER_KINDS.items()), widget=forms.RadioSelect
    )
    text = forms.CharField(label="Details", widget=forms.Textarea(attrs={"rows": 5}))
    # Named like BaseForm.files (the upload dict): the metaclass takes the field out of the
    # class, so nothing is shadowed at run time, and the input keeps its name.
    files = forms.FileField(  # type: ignore[assignment]
        label="Files (optional: PDF statements or screenshots)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf," + evidence.ACCEPT}),
    )

    def clean_files(self):
        upload = self.cleaned_data.get("files")
        return [evidence.inspect_upload(upload)] if upload else []

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_gather(
            self.case, self.user, kind=data["kind"], text=data["text"], files=data["files"]
        )


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
        model_choice(self, "person").queryset = self.case.persons.all()

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_meeting_record(
            self.case,
            self.user,
            kind=data["kind"],
            held_at=data["held_at"],
            notes=data["notes"],
            place=data["place"],
            attendees=data["attendees"],
            person=data["person"],
        )


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
        # The same rule the workflow applies: the step after the most serious one on record.
        self.suggested = Outcome(usual_next_step(steps_taken(self.case)))

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_decide(
            self.case,
            self.user,
            actions=data["actions"],
            rationale=data["rationale"],
            escalation_reason=data["escalation_reason"],
        )


class ReferForm(ActionForm):
    kind = forms.ChoiceField(label="Referred to", choices=Referral.Kind.choices)
    made_on = forms.DateField(
        label="Date", widget=forms.DateInput(attrs={"type": "date"}), initial=timezone.localdate
    )
    external_reference = forms.CharField(label="Their reference (optional)", required=False)
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_refer(
            self.case,
            self.user,
            kind=data["kind"],
            made_on=data["made_on"],
            external_reference=data["external_reference"],
            notes=data["notes"],
        )


class MonitorForm(ActionForm):
    rationale = forms.CharField(
        label="What is being monitored, and why", widget=forms.Textarea(attrs={"rows": 3})
    )
    review_on = forms.DateField(
        label="Review date (optional)",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_monitor(
            self.case, self.user, rationale=data["rationale"], review_on=data["review_on"]
        )


class CloseForm(ActionForm):
    outcome = forms.CharField(label="Outcome", max_length=200)
    rationale = forms.CharField(
        label="Why the case can be closed", widget=forms.Textarea(attrs={"rows": 3})
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_close(
            self.case, self.user, outcome=data["outcome"], rationale=data["rationale"]
        )


class ReopenForm(ActionForm):
    reason = forms.CharField(
        label="Why the case is being reopened", widget=forms.Textarea(attrs={"rows": 3})
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_reopen(self.case, self.user, reason=data["reason"])


class ReassignForm(ActionForm):
    lead = LeadChoiceField(label="New case lead", queryset=None)
    rationale = forms.CharField(label="Why (optional)", required=False)

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "lead").queryset = school_leads(self.case)

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_reassign(
            self.case, self.user, lead=data["lead"], rationale=data["rationale"]
        )


class SeverityForm(ActionForm):
    severity = forms.ChoiceField(choices=Severity.choices)
    rationale = forms.CharField(
        label="Why the severity changed", widget=forms.Textarea(attrs={"rows": 3})
    )

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_severity_change(
            self.case, self.user, severity=data["severity"], rationale=data["rationale"]
        )


class RulesForm(ActionForm):
    rules = forms.ModelMultipleChoiceField(
        label="Rules of the code broken",
        queryset=Rule.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one rule of the code of conduct."},
    )
    rationale = forms.CharField(
        label="Notes (optional)", required=False, widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "rules").queryset = Rule.objects.filter(school=self.case.school)
        chosen = list(self.case.rules.values_list("pk", flat=True))
        reported = Rule.objects.filter(reports__case=self.case).values_list("pk", flat=True)
        self.fields["rules"].initial = chosen or list(reported)

    def submit(self) -> Effect:
        return workflow.case_rules_record(
            self.case,
            self.user,
            rules=self.cleaned_data["rules"],
            rationale=self.cleaned_data["rationale"],
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
        model_choice(self, "existing").queryset = Person.objects.filter(scope).exclude(
            cases=self.case
        )

    def clean(self):
        data = super().clean() or {}
        if not data.get("existing") and not data.get("full_name", "").strip():
            raise ValidationError("Choose someone already on record, or give a new name.")
        if data.get("existing") and data.get("full_name", "").strip():
            raise ValidationError("Choose someone on record or give a new name, not both.")
        return data

    def submit(self) -> Effect:
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
        return workflow.case_person_add(self.case, self.user, person=person)


class NoteForm(ActionForm):
    text = forms.CharField(label="Note", widget=forms.Textarea(attrs={"rows": 4}))

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_note_add(self.case, self.user, text=data["text"])


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
        field = model_choice(self, "report")
        field.queryset = self.case.reports.all()
        reports = list(field.queryset)
        if len(reports) == 1:
            field.initial = reports[0].pk

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_reporter_message(
            self.case, self.user, report=data["report"], body=data["body"]
        )


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

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_safeguarding_decide(
            self.case, self.user, decision=data["decision"], record_ref=data["record_ref"]
        )


class ReissueCodeForm(ActionForm):
    report = ReportChoiceField(label="Report", queryset=None)
    identity_check = forms.CharField(
        label="How you checked who the reporter is", widget=forms.Textarea(attrs={"rows": 3})
    )

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        model_choice(self, "report").queryset = self.case.reports.all()

    def submit(self) -> Effect:
        data = self.cleaned_data
        return workflow.case_code_reissue(
            self.case, self.user, report=data["report"], identity_check=data["identity_check"]
        )


ACTION_FORMS: dict[str, type[ActionForm]] = {
    "triage": TriageForm,
    "wording": WordingForm,
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
    "rules": RulesForm,
    "add_person": AddPersonForm,
    "note": NoteForm,
    "message_reporter": MessageReporterForm,
    "safeguarding_decision": SafeguardingDecisionForm,
    "reissue_code": ReissueCodeForm,
}


# What the case action page leads to after an action, when another app has a next step for
# it (letters: draft the letter that follows a bar or restriction step). Filled from that
# app's AppConfig.ready: the action's name → (a message, the next page's URL for the case).
FOLLOW_UPS: dict[str, tuple[str, Callable[[Case], str]]] = {}

# Where a chat message or a screenshot's text can be quoted (its exact words and time): the
# letters a case can draft with a conduct summary. Filled from the letters app's
# AppConfig.ready (incidents never imports letters): (label, the draft page's URL for a case).
QUOTE_LETTERS: list[tuple[str, Callable[[Case], str]]] = []


class EvidenceTextForm(forms.Form):
    """A correction of the text OCR read from a screenshot (the original reading is kept)."""

    text = forms.CharField(
        label="Text in this screenshot",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=20000,
        strip=False,
        error_messages={"required": "Type the text as it appears in the screenshot."},
    )


class RedactionDecisionForm(forms.Form):
    number = forms.IntegerField(min_value=0, max_value=10000)
    decision = forms.ChoiceField(choices=[("confirmed", "Confirm"), ("dismissed", "Dismiss")])


class SensitiveNameForm(forms.Form):
    name = forms.CharField(
        label="Name",
        max_length=120,
        help_text="A pupil's or a member of staff's name, as it might appear in a screenshot.",
        error_messages={"required": "Type the name to list."},
    )
