"""Merge values taken from a case's bar or contact restriction, for the letters about them."""

from __future__ import annotations

import datetime

from incidents.models import Case
from measures.models import ContactRestriction, SiteBan


def measure_letter_values(*, case: Case) -> dict[str, str]:
    """Merge values for bar and restriction letters, from the case's latest bar and
    restriction (a new letter's form starts from these)."""

    def day(value: datetime.date | None) -> str:
        return f"{value.day} {value:%B %Y}" if value else ""

    values: dict[str, str] = {}
    ban = SiteBan.objects.filter(case=case).select_related("decision_maker").first()
    if ban:
        review = ban.reviews.order_by("-reviewed_on", "-pk").first()
        maker = ban.decision_maker
        values.update(
            {
                "reasons": ban.decision_reasons or ban.reasons,
                "proposed_scope": ban.scope,
                "duration": ban.duration,
                "representation_deadline": day(ban.representation_deadline),
                "decision_maker": (maker.get_full_name() or maker.get_username()),
                "child_arrangements": ban.child_arrangements,
                "start_date": day(ban.starts_on),
                "why_immediate": ban.immediate_risk_reason,
                "representations_summary": (
                    f"{ban.representations}\n\n{ban.representations_weighed}".strip()
                    if ban.representations
                    else "We did not receive any representations from you by the deadline."
                ),
                "review_date": day(ban.review_on),
            }
        )
        if review:
            values.update(
                {
                    "review_outcome": f"{review.get_outcome_display()}: {review.notes}",
                    "review_date": day(review.next_review_on),
                }
            )
    restriction = ContactRestriction.objects.filter(case=case).first()
    if restriction:
        values.setdefault("review_date", day(restriction.review_on))
        values["contact_point"] = restriction.contact_point
        if not ban:
            values["review_date"] = day(restriction.review_on)
            values["conditions"] = f"Contact the school only through {restriction.channels}."
    return values
