"""Words typed by the public that letters could use — the "another group" name and who posted
it — and whether staff have confirmed them. Letters use only the confirmed words
(`Case.group_wording`, `Case.poster_wording`), set at triage or by the "wording" action."""

from __future__ import annotations

from .models import Case


def public_wording(case: Case) -> dict[str, str]:
    """What the public typed on the case's reports that letters could use: the "another
    group" name and the description of who posted (first report's first)."""
    typed = {"group": "", "poster": ""}
    for group_id, group_other, poster in case.reports.order_by("received_at").values_list(
        "group_id", "group_other", "poster_description"
    ):
        if group_id is None and group_other.strip() and not typed["group"]:
            typed["group"] = group_other.strip()
        if poster.strip() and not typed["poster"]:
            typed["poster"] = poster.strip()
    return typed


def unconfirmed_wording(case: Case) -> str:
    """The parent's own words a letter would need but staff have not confirmed ("" if none):
    letters use only confirmed words."""
    typed = public_wording(case)
    if typed["group"] and not case.group_wording.strip():
        return typed["group"]
    return ""
