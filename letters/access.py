"""Who may see which letter. Office staff see only what they print: approved letters to
parents of their school — never drafts, never letters to the reporter, never case content.
A letter to the reporter names them, so it exists only for users who may see the reporter
(`StaffRoles.sees_reporter`: SLT and DSL of the school — not a trust executive)."""

from __future__ import annotations

from django.db.models import Q, QuerySet
from django.http import Http404

from schools.access import roles_for, schools_for
from schools.models import Role, School

from .kinds import TO_REPORTER
from .models import Letter, LetterStatus, PrintBatch

OFFICE_STATUSES = (
    LetterStatus.READY,
    LetterStatus.BATCHED,
    LetterStatus.PRINTED,
    LetterStatus.SENT,
)


def queue_schools(user) -> QuerySet[School]:
    """Schools whose print queue the user works: office and SLT there, trust executives."""
    return schools_for(user, Role.OFFICE, Role.SLT)


def letters_visible_to(user) -> QuerySet[Letter]:
    roles = roles_for(user)
    managed = Q(case__school_id__in=roles.slt) | Q(case__school__trust_id__in=roles.trusts)
    # The reporter rule: a letter to the reporter only where the user may see the reporter.
    managed &= ~Q(kind__in=TO_REPORTER) | Q(case__school_id__in=roles.reporter_schools)
    office = (
        Q(case__school_id__in=roles.office)
        & Q(status__in=OFFICE_STATUSES)
        & ~Q(kind__in=TO_REPORTER)
    )
    return Letter.objects.filter(managed | office)


def get_letter_for_user(user, pk: int) -> tuple[Letter, bool]:
    """The letter and whether the user manages it (SLT/trust); 404 if not visible."""
    letter = (
        letters_visible_to(user)
        .select_related("case__school", "person", "report", "approved_by", "corrects")
        .filter(pk=pk)
        .first()
    )
    if letter is None:
        raise Http404("No such letter.")
    return letter, roles_for(user).manages(letter.case.school)


def get_batch_for_user(user, pk: int) -> PrintBatch:
    batch = PrintBatch.objects.filter(pk=pk, school__in=queue_schools(user)).first()
    if batch is None:
        raise Http404("No such batch.")
    return batch
