"""Bar and restriction deadlines for the deadline engine (registered in MeasuresConfig.ready)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from incidents.deadlines import Due, Window

from .models import BanStage, ContactRestriction, SiteBan
from .procedure import bans_expire

LABELS = {
    "bar_decision": "Bar decision due (representation deadline passed)",
    "bar_review": "Bar review due",
    "bar_ending": "Bar ending",
    "restriction_review": "Contact restriction review due",
}


def bar_deadlines(window: Window) -> Iterable[Due | None]:
    """Decisions after the representation deadline, reviews, bars ending, restriction reviews."""
    today, horizon = window.today, window.horizon
    bans = SiteBan.objects.filter(case__in=window.cases).select_related(
        "case__school", "case__lead", "school"
    )
    undecided = bans.filter(
        stage__in=[BanStage.INTENTION, BanStage.TEMPORARY], representation_deadline__lt=today
    )
    for ban in undecided:
        due = window.calendars(ban.school).add_school_days(
            ban.representation_deadline, ban.school.decision_school_days
        )
        # Reminded as soon as the deadline has passed, not only when the decision is late.
        estimated = window.calendars(ban.school).is_estimated(due)
        yield Due(
            "bar_decision",
            LABELS["bar_decision"],
            ban.case,
            due,
            f"ban:{ban.pk}",
            ("lead", "head"),
            estimated,
        )
    for ban in bans.filter(stage=BanStage.CONFIRMED, review_on__lte=horizon):
        yield window.due("bar_review", ban.case, ban.review_on, f"ban:{ban.pk}", ("lead", "head"))
    for ban in bans.filter(stage=BanStage.CONFIRMED, ends_on__lte=horizon, ends_on__gte=today):
        yield window.due("bar_ending", ban.case, ban.ends_on, f"ban:{ban.pk}", ("lead",))
    restrictions = ContactRestriction.objects.filter(
        case__in=window.cases, ended_on__isnull=True, review_on__lte=horizon
    ).select_related("case__school", "case__lead")
    for restriction in restrictions:
        yield window.due(
            "restriction_review",
            restriction.case,
            restriction.review_on,
            f"restriction:{restriction.pk}",
            ("lead", "head"),
        )


def bars_expire_daily(today: datetime.date) -> None:
    """Daily housekeeping: bars whose fixed term has ended come off the register first."""
    bans_expire(today=today)
