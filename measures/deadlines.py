"""Bar and restriction deadlines for the deadline engine (registered in MeasuresConfig.ready)."""

from __future__ import annotations

import datetime
from collections.abc import Iterable

from django.db.models import Q

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
    # Every bar with something due, in one query, sorted out here by stage.
    undecided = Q(
        stage__in=[BanStage.INTENTION, BanStage.TEMPORARY], representation_deadline__lt=today
    )
    review = Q(stage=BanStage.CONFIRMED, review_on__lte=horizon)
    ending = Q(stage=BanStage.CONFIRMED, ends_on__lte=horizon, ends_on__gte=today)
    bans = window.rows(
        "measures:bans",
        lambda: (
            SiteBan.objects.filter(case__in=window.cases)
            .filter(undecided | review | ending)
            .select_related("case__school", "case__lead", "school")
        ),
    )
    for ban in bans:
        if ban.stage in (BanStage.INTENTION, BanStage.TEMPORARY):
            due = window.calendars(ban.school).add_school_days(
                ban.representation_deadline, ban.school.decision_school_days
            )
            # Reminded as soon as the deadline has passed, not only when the decision is late.
            yield Due(
                "bar_decision",
                LABELS["bar_decision"],
                ban.case,
                due,
                f"ban:{ban.pk}",
                ("lead", "head"),
                window.calendars(ban.school).is_estimated(due),
            )
            continue
        if ban.review_on and ban.review_on <= horizon:
            yield window.due(
                "bar_review", ban.case, ban.review_on, f"ban:{ban.pk}", ("lead", "head")
            )
        if ban.ends_on and today <= ban.ends_on <= horizon:
            yield window.due("bar_ending", ban.case, ban.ends_on, f"ban:{ban.pk}", ("lead",))
    restrictions = window.rows(
        "measures:restrictions",
        lambda: ContactRestriction.objects.filter(
            case__in=window.cases, ended_on__isnull=True, review_on__lte=horizon
        ).select_related("case__school", "case__lead"),
    )
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
