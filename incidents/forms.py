"""Public forms: the report, the follow-up sign-in and adding information."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, cast

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import timezone

from schools.models import Group, Rule, School

from . import evidence
from .models import POSTED_CONDUCT, ChildRisk, Conduct, ContactPreference, Relationship
from .services import ReportDetails


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class ScreenshotsField(forms.FileField):
    """Up to five screenshots, each fully decoded and cleaned (see incidents.evidence)."""

    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)
        self.widget.attrs.update({"accept": evidence.ACCEPT, "multiple": True})

    def clean(self, data, initial=None):
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > evidence.MAX_FILES:
            raise ValidationError(evidence.TOO_MANY, code="too_many")
        errors, images = [], []
        for upload in files:
            try:
                images.append(evidence.inspect_image(upload))
            except ValidationError as exc:
                errors.extend(exc.messages)
        if errors:
            raise ValidationError(errors)
        return images


class HoneypotMixin(forms.Form):
    # Invisible to people (moved off-screen by CSS, hidden from screen readers); bots fill it.
    website = forms.CharField(required=False, label="Leave this field empty")

    def is_bot(self) -> bool:
        return bool(self.data.get("website"))


class ScreenshotsAgainMixin(forms.Form):
    """A browser can't be given files back: when another field is wrong, the screenshots the
    parent attached are not kept, and the screenshots field itself says so."""

    @property
    def had_files(self) -> bool:
        return bool(self.files.getlist("screenshots")) if self.files else False

    def full_clean(self) -> None:
        super().full_clean()
        if self.is_bound and self.errors and self.had_files:
            count = len(self.files.getlist("screenshots"))
            them = "it" if count == 1 else f"all {count}"
            self.add_error(
                "screenshots",
                f"Your {'screenshot was' if count == 1 else 'screenshots were'} not kept because "
                f"of a problem on this page: attach {them} again before you send.",
            )


class ReportForm(ScreenshotsAgainMixin, HoneypotMixin, forms.Form):
    OTHER_GROUP = "other"

    group = forms.ChoiceField(
        label="Which group was it posted in?",
        help_text="If the group is not listed, choose “Another group” and tell us its name.",
    )
    group_other = forms.CharField(
        label="Name of the group (if not listed)", required=False, max_length=120
    )
    posted_on = forms.DateField(
        label="When was it posted?",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The date, for example 14/03/2026. An approximate date is fine.",
        error_messages={
            "required": "Enter the date it was posted",
            "invalid": "Enter a real date, for example 14/03/2026",
        },
    )
    posted_time = forms.TimeField(
        label="Time (optional)",
        required=False,
        widget=forms.TimeInput(attrs={"type": "time"}),
        error_messages={"invalid": "Enter a time like 19:30, or leave it empty"},
    )
    content = forms.CharField(
        label="What was posted?",
        help_text="Copy and paste the words if you can, or describe what was posted. "
        "Please avoid naming children unless it is needed to understand what happened.",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=10000,
        error_messages={"required": "Tell us what was posted"},
    )
    rules = forms.ModelMultipleChoiceField(
        label="Parts of the code it breaks",
        queryset=Rule.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    rules_unsure = forms.BooleanField(label="I'm not sure", required=False)
    poster_description = forms.CharField(
        label="Who posted it? (optional)",
        help_text="Their name or how they appear in the group, as far as you know.",
        required=False,
        max_length=200,
    )
    child_at_risk = forms.ChoiceField(
        label="Does the post suggest a child is at risk of harm?",
        choices=ChildRisk.choices,
        widget=forms.RadioSelect,
        error_messages={"required": "Tell us whether a child may be at risk, or choose “Not sure”"},
    )
    child_risk_details = forms.CharField(
        label="What makes you think a child may be at risk?",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=5000,
    )
    screenshots = ScreenshotsField(
        label="Screenshots (optional)",
        help_text="Up to 5 pictures, JPEG, PNG or WebP, each up to 10 MB.",
    )
    reporter_name = forms.CharField(
        label="Your name",
        required=False,
        max_length=120,
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    reporter_email = forms.EmailField(
        label="Your email address",
        required=False,
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
        error_messages={"invalid": "Enter an email address like name@example.com"},
    )
    reporter_phone = forms.CharField(
        label="Your phone number",
        required=False,
        max_length=30,
        widget=forms.TextInput(attrs={"autocomplete": "tel", "type": "tel"}),
    )
    reporter_relationship = forms.ChoiceField(
        label="Your relationship to the school",
        choices=[("", "Prefer not to say"), *Relationship.choices],
        required=False,
    )
    contact_preference = forms.ChoiceField(
        label="How may the school contact you?",
        choices=ContactPreference.choices,
        initial=ContactPreference.FOLLOW_UP,
        widget=forms.RadioSelect,
    )
    contact_consent = forms.BooleanField(
        label="I agree to the school contacting me about this report", required=False
    )

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, **kwargs)
        self.school = school
        groups = list(Group.objects.filter(school=school, is_active=True))
        self._groups = {str(g.pk): g for g in groups}
        cast(forms.ChoiceField, self.fields["group"]).choices = [
            ("", "Choose a group"),
            *[(str(g.pk), g.name) for g in groups],
            (self.OTHER_GROUP, "Another group"),
        ]
        self.fields["group"].error_messages["required"] = "Choose the group it was posted in"
        cast(
            forms.ModelMultipleChoiceField, self.fields["rules"]
        ).queryset = Rule.objects.active().filter(school=school)

    def clean_posted_on(self):
        posted_on = self.cleaned_data["posted_on"]
        today = timezone.localdate()
        if posted_on > today:
            raise ValidationError("The date it was posted can't be in the future")
        if posted_on < today - timedelta(days=366 * 2):
            raise ValidationError("The date must be within the last two years")
        return posted_on

    def clean(self):
        data = super().clean() or {}
        if data.get("group") == self.OTHER_GROUP and not data.get("group_other", "").strip():
            self.add_error("group_other", "Tell us the name of the group")
        if "rules" in data and not data.get("rules") and not data.get("rules_unsure"):
            self.add_error("rules", "Choose at least one part of the code, or tick “I'm not sure”")
        if (
            data.get("child_at_risk") == ChildRisk.YES
            and not data.get("child_risk_details", "").strip()
        ):
            self.add_error(
                "child_risk_details", "Tell us briefly why you think a child may be at risk"
            )
        preference = data.get("contact_preference")
        if preference == ContactPreference.EMAIL and not data.get("reporter_email"):
            self.add_error(
                "reporter_email",
                "Enter your email address, or choose another way for the school to contact you",
            )
        if preference == ContactPreference.PHONE and not data.get("reporter_phone"):
            self.add_error(
                "reporter_phone",
                "Enter your phone number, or choose another way for the school to contact you",
            )
        return data

    def details(self) -> ReportDetails:
        data = self.cleaned_data
        group = self._groups.get(data["group"])
        return ReportDetails(
            group=group,
            group_other="" if group else data["group_other"].strip(),
            posted_on=data["posted_on"],
            posted_time=data.get("posted_time"),
            content=data["content"],
            rules=list(data["rules"]),
            rules_unsure=data["rules_unsure"],
            poster_description=data["poster_description"].strip(),
            child_at_risk=data["child_at_risk"],
            child_risk_details=data["child_risk_details"].strip(),
            reporter_name=data["reporter_name"].strip(),
            reporter_email=data["reporter_email"],
            reporter_phone=data["reporter_phone"].strip(),
            reporter_relationship=data["reporter_relationship"],
            contact_preference=data["contact_preference"],
            contact_consent=data["contact_consent"],
        )


class StaffChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:
        return obj.get_full_name() or obj.get_username()


class StaffReportForm(ReportForm):
    """What staff log for a concern raised by phone, email or in person: the public form's
    fields, plus where and how the conduct happened — a post, or off-line (in person at a
    place, a phone call, an email) with no group — and the member of staff who witnessed or
    received it."""

    conduct = forms.ChoiceField(
        label="Where and how did it happen?",
        choices=Conduct.choices,
        initial=Conduct.GROUP_POST,
        required=False,  # a form sent without it (an older page) is about a post
    )
    conduct_place = forms.CharField(
        label="Where it happened, or who received it",
        required=False,
        max_length=120,
        help_text="As a letter will say it. In person: “at the school gate”, “at the summer "
        "fair”. A phone call or an email: who received it, such as “the school office”.",
    )
    witness: forms.ModelChoiceField = StaffChoiceField(
        label="Member of staff who witnessed or received it (optional)",
        queryset=None,
        required=False,
        empty_label="No one / not a user",
        help_text="They may still sign the letters about it.",
    )
    witness_name = forms.CharField(
        label="…or their name, if they have no account",
        required=False,
        max_length=120,
    )

    field_order = ["conduct", "conduct_place", "witness", "witness_name", "group"]

    def __init__(self, *args, school: School, **kwargs):
        super().__init__(*args, school=school, **kwargs)
        users = (
            get_user_model()
            .objects.filter(memberships__school=school, is_active=True)
            .distinct()
            .order_by("first_name", "last_name")
        )
        cast(forms.ModelChoiceField, self.fields["witness"]).queryset = users
        # A post has a group; an off-line incident has none (checked in clean).
        self.fields["group"].required = False
        self.fields["group"].label = "Which group or platform was it posted in? (posts only)"
        self.fields["posted_on"].label = "When did it happen?"
        self.fields["posted_on"].error_messages["required"] = "Enter the date it happened"
        self.fields["content"].label = "What was posted, said or done?"
        self.fields["content"].help_text = (
            "The words used if they are known, or a description of what happened. Please "
            "avoid naming children unless it is needed to understand what happened."
        )
        self.fields["content"].error_messages["required"] = "Say what was posted, said or done"
        self.fields["poster_description"].label = "Who was it? (optional)"
        self.fields[
            "poster_description"
        ].help_text = "Their name or how they are known, as far as the person reporting knows."
        self.fields["child_at_risk"].label = "Does it suggest a child is at risk of harm?"

    def clean(self):
        data = super().clean() or {}
        conduct = data["conduct"] = data.get("conduct") or Conduct.GROUP_POST
        place = " ".join((data.get("conduct_place") or "").split())
        data["conduct_place"] = place
        if conduct in POSTED_CONDUCT:
            if not data.get("group"):
                self.add_error("group", "Choose the group or platform it was posted in")
        else:
            for name in ("group", "group_other"):
                self.errors.pop(name, None)
            data["group"], data["group_other"] = "", ""
        if conduct == Conduct.IN_PERSON and not place:
            self.add_error(
                "conduct_place",
                "Say where it happened, as a letter will word it: for example “at the school gate”",
            )
        name = " ".join((data.get("witness_name") or "").split())
        data["witness_name"] = name
        if data.get("witness") and name:
            self.add_error(
                "witness_name",
                "Choose the member of staff from the list or type a name, not both",
            )
        return data

    def details(self) -> ReportDetails:
        data = self.cleaned_data
        return replace(
            super().details(),
            conduct=data["conduct"],
            conduct_place=data["conduct_place"],
            witness=data.get("witness"),
            witness_name=data["witness_name"],
        )


class FollowUpForm(forms.Form):
    reference = forms.CharField(
        label="Your reference",
        help_text="For example WPS-2026-0042",
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        error_messages={"required": "Enter your reference"},
    )
    code = forms.CharField(
        label="Your follow-up code",
        help_text="16 letters and numbers, for example K7QM-3XPA-9TRD-WH2F",
        max_length=40,
        widget=forms.PasswordInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
        error_messages={"required": "Enter your follow-up code"},
    )


class AddInformationForm(ScreenshotsAgainMixin, forms.Form):
    body = forms.CharField(
        label="What would you like to add?",
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=10000,
        error_messages={"required": "Write what you would like to add"},
    )
    screenshots = ScreenshotsField(
        label="More screenshots (optional)",
        help_text="Up to 5 pictures, JPEG, PNG or WebP, each up to 10 MB.",
    )

    @property
    def had_files(self) -> bool:
        return bool(self.files.getlist("screenshots")) if self.files else False


class ChatExportForm(forms.Form):
    """Step 1 of adding a WhatsApp chat: the export file (read by incidents.chat)."""

    export = forms.FileField(
        label="WhatsApp chat export",
        help_text="The .txt file, or the .zip file with media, that WhatsApp makes with "
        "“Export chat”. Up to 64 MB.",
        error_messages={"required": "Choose the chat export file to attach"},
        widget=forms.ClearableFileInput(
            attrs={"accept": ".txt,.zip,text/plain,application/zip,application/x-zip-compressed"}
        ),
    )


class ChatPickForm(forms.Form):
    """Step 2: the messages the parent is reporting, and which sender is them (optional)."""

    reporter = forms.CharField(
        label="Which name in these messages is you? (optional)",
        required=False,
        max_length=200,
        help_text="Staff who don't need to know who reported will see “The reporter” instead.",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        picked: list[int] = []
        for value in self.data.getlist("picked") if hasattr(self.data, "getlist") else []:
            if str(value).isdigit() and len(str(value)) <= 7:
                picked.append(int(value))
        data["picked"] = picked
        return data
