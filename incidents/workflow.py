"""The only place where a case's status changes.

Every change locks the case row, checks its guard, saves with `update_fields`, writes the
`CaseEvent` in the same transaction and schedules side effects after commit.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from schools.models import School

from .models import Case, CaseEvent, CaseStatus


class WorkflowError(Exception):
    """A step that is not allowed now, with a message a head teacher understands."""


def case_open(*, school: School, reference: str, actor: Any = None, summary: str) -> Case:
    """Open a case in `new` and write its first chronology event. Call inside a transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("case_open must run inside a transaction")
    case = Case.objects.create(school=school, reference=reference)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEvent.Kind.OPENED,
        actor=actor,
        summary=summary,
        to_status=CaseStatus.NEW,
    )
    return case
