"""Subject access requests and breaches on the deadlines calendar (and its iCalendar feed).

Registered with the deadline engine from RecordsConfig.ready. An item shows what the register
already shows its reader, and less: "Subject access request to answer — SAR 12", linked to
the register's page — never who asked or whom it is about. Only the schools in the window's
`schools` are asked about: the deadlines calendar passes the schools whose registers the user
keeps (SLT and trust executives, the register pages' own rule). Their reminders are the
records app's own (`records.services.reminders_send`), so `to` is empty here.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.urls import reverse
from django.utils import timezone

from incidents.deadlines import Due, Window

from .models import Breach, BreachDecision, SarStatus, SubjectAccessRequest

LABELS = {
    "sar": "Subject access request to answer",
    "breach": "Breach: decide whether to report it to the ICO (72 hours)",
}


def _due(
    kind: str, entry: SubjectAccessRequest | Breach, due_on: datetime.date, name: str, ref: str
) -> Due:
    return Due(
        kind,
        LABELS[kind],
        None,
        due_on,
        f"{kind}:{entry.pk}",
        (),
        subject_ref=f"{ref} {entry.pk}",
        subject_path=reverse(name, args=[entry.pk]),
        subject_school=entry.school,
    )


def register_deadlines(window: Window) -> Iterable[Due]:
    if window.schools is None:
        return
    sars = SubjectAccessRequest.objects.filter(
        status=SarStatus.OPEN, school__in=window.schools
    ).select_related("school")
    for sar in sars:
        due_on = sar.due_on  # None until the identity check starts the month
        if due_on is not None and due_on <= window.horizon:
            yield _due("sar", sar, due_on, "records:sar", "SAR")
    breaches = Breach.objects.filter(
        decision=BreachDecision.UNDECIDED, school__in=window.schools
    ).select_related("school")
    for breach in breaches:
        due_on = timezone.localtime(breach.ico_due_at).date()
        if due_on <= window.horizon:
            yield _due("breach", breach, due_on, "records:breach", "Breach")
