"""Writes for the schools app."""

from __future__ import annotations

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import Rule, School
from .setup_version import setup_changed
from .signals import school_data_changed

# The usual code of conduct for parents' class groups, in the order schools publish it.
DEFAULT_RULES: list[tuple[str, str]] = [
    (
        "Be supportive and respectful",
        "Keep posts positive, helpful and kind. The group is for sharing useful information "
        "about school life.",
    ),
    (
        "Nobody has to reply",
        "Members are not obliged to respond to posts or to join in a conversation.",
    ),
    (
        "Not a place for grievances",
        "Do not use the group to complain about a teacher, a child or another parent. Raise "
        "concerns with the school directly.",
    ),
    ("Keep politics out", "The group is not a platform for political views or campaigns."),
    (
        "Keep private conversations private",
        "Take one-to-one or personal conversations out of the group.",
    ),
    (
        "Respect and cultural sensitivity",
        "Be respectful of everyone's background, beliefs, culture and circumstances.",
    ),
    (
        "Respect confidentiality",
        "What is posted in the group stays in the group. Do not share it elsewhere.",
    ),
    (
        "Never post screenshots of private messages with staff",
        "Do not screenshot, forward or repost private messages between a parent and a teacher "
        "or any member of staff.",
    ),
    ("No bullying", "Do not single out, exclude, mock or gang up on anyone."),
    (
        "No outsiders",
        "Only invite parents and carers of children in the class or year group.",
    ),
    (
        "Links only when relevant to school",
        "No commercial services, fundraising campaigns, petitions or personal appeals.",
    ),
    (
        "No abusive or personal comments",
        "No abusive, offensive or personal comments about staff, pupils or parents.",
    ),
    (
        "Nothing defamatory",
        "Do not post untrue statements that could damage someone's reputation.",
    ),
    (
        "No threats, intimidation or bad language",
        "Threatening, intimidating or offensive language is never acceptable.",
    ),
    (
        "Concerns about the school go to the school",
        "If you are worried about something at school, speak to the class teacher, the office "
        "or the head teacher — not the group.",
    ),
]


@transaction.atomic
def school_install_default_rules(*, school: School) -> int:
    """Add any default rule the school does not have yet (by title); return how many were added.

    Safe to run again: existing rules, including ones the school has edited or switched off,
    are left alone.
    """
    existing = set(school.rules.values_list("title", flat=True))
    new_rules = [
        Rule(school=school, title=title, explanation=explanation, order=(index + 1) * 10)
        for index, (title, explanation) in enumerate(DEFAULT_RULES)
        if title not in existing
    ]
    Rule.objects.bulk_create(new_rules)
    if new_rules:
        setup_changed()  # bulk_create sends no signals
    return len(new_rules)


def staff_invite(*, user, domain: str, use_https: bool) -> None:
    """Email a member of staff a one-time link to set their own password.

    Unlike a password reset, this works for a new account that has no password yet.
    """
    context = {
        "email": user.email,
        "domain": domain,
        "site_name": "SchoolConduct",
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if use_https else "http",
    }
    PasswordResetForm().send_mail(
        "emails/password_reset_subject.txt",
        "emails/password_reset.txt",
        context,
        None,
        user.email,
    )


def calendar_replace(*, school: School, imported, replace: bool) -> tuple[int, int]:
    """Save imported term dates and INSET days; with `replace`, the old ones go first."""
    from .models import InsetDay, TermDate

    with transaction.atomic():
        if replace:
            TermDate.objects.filter(school=school).delete()
            InsetDay.objects.filter(school=school).delete()
        terms = TermDate.objects.bulk_create(
            [
                TermDate(school=school, name=name, starts_on=start, ends_on=end)
                for name, start, end in imported.terms
            ]
        )
        existing = set(InsetDay.objects.filter(school=school).values_list("date", flat=True))
        insets = InsetDay.objects.bulk_create(
            [
                InsetDay(school=school, date=day, note=note[:120])
                for day, note in dict(imported.insets).items()
                if day not in existing
            ]
        )
        # bulk_create sends no post_save: tell the statistics' cache (oversight.cache).
        school_data_changed.send(sender=TermDate, school_ids=[school.pk])
    return len(terms), len(insets)


def term_add(*, school: School, name: str, starts_on, ends_on):
    from .models import TermDate

    return TermDate.objects.create(school=school, name=name, starts_on=starts_on, ends_on=ends_on)


def inset_add(*, school: School, date, note: str = ""):
    """Add an INSET day; None if the school already has one that day."""
    from .models import InsetDay

    day, created = InsetDay.objects.get_or_create(school=school, date=date, defaults={"note": note})
    return day if created else None


def calendar_entry_delete(*, school: School, kind: str, pk: int) -> bool:
    """Remove one of the school's terms or INSET days; False if there is no such entry."""
    from .models import InsetDay, TermDate

    models: dict[str, type[TermDate] | type[InsetDay]] = {"term": TermDate, "inset": InsetDay}
    model = models.get(kind)
    if model is None:
        return False
    deleted, _ = model.objects.filter(school=school, pk=pk).delete()
    return bool(deleted)


def school_procedures_update(*, school: School, **values) -> School:
    """The school's own deadline defaults and who decides bans (validated by the form)."""
    for name, value in values.items():
        setattr(school, name, value)
    school.save(update_fields=list(values))
    return school
