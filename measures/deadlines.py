"""Bar and restriction deadlines for the deadline engine (registered in MeasuresConfig.ready)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import QuerySet

from incidents.deadlines import KIND_LABELS, Calendars, Due
from incidents.models import Case

from .models import BanStage, ContactRestriction, SiteBan

LABELS = {
    "bar_decision": "Bar decision due (representation deadline passed)",
    "bar_review": "Bar review due",
    "bar_ending": "Bar ending",
    "restriction_review": "Contact restriction review due",
}


def measures_due(
    cases: QuerySet[Case], today: datetime.date, horizon: datetime.date, calendars: Calendars
) -> Iterable[Due]:
    """Bar decisions, reviews and endings, and restriction reviews, due by `horizon`."""

    items: list[Due] = []

    def add(kind: str, case: Case, on: datetime.date | None, key: str, to: tuple[str, ...]) -> None:
        if on is not None:
            items.append(Due(kind, KIND_LABELS[kind], case, on, key, to))

    bans = SiteBan.objects.filter(case__in=cases).select_related(
        "case__school", "case__lead", "school"
    )
    undecided = bans.filter(
        stage__in=[BanStage.INTENTION, BanStage.TEMPORARY], representation_deadline__lt=today
    )
    for ban in undecided:
        on = calendars(ban.school).add_school_days(
            ban.representation_deadline, ban.school.decision_school_days
        )
        # Reminded as soon as the deadline has passed, not only when the decision is late.
        add("bar_decision", ban.case, on, f"ban:{ban.pk}", ("lead", "head"))
    for ban in bans.filter(stage=BanStage.CONFIRMED, review_on__lte=horizon):
        add("bar_review", ban.case, ban.review_on, f"ban:{ban.pk}", ("lead", "head"))
    for ban in bans.filter(stage=BanStage.CONFIRMED, ends_on__lte=horizon, ends_on__gte=today):
        add("bar_ending", ban.case, ban.ends_on, f"ban:{ban.pk}", ("lead",))
    restrictions = ContactRestriction.objects.filter(
        case__in=cases, ended_on__isnull=True, review_on__lte=horizon
    ).select_related("case__school", "case__lead")
    for restriction in restrictions:
        add(
            "restriction_review",
            restriction.case,
            restriction.review_on,
            f"restriction:{restriction.pk}",
            ("lead", "head"),
        )
    return items
