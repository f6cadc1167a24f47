"""What a head needs to choose which new reports to merge into a case.

Each candidate is described by its group (or where it happened), the date, an excerpt and who
posted it — with the reporter's details hidden from anyone the reporter rule doesn't allow —
and is marked as a likely duplicate when it names the same group on the same day with similar
text. A candidate carrying a safeguarding flag into an unflagged case says so.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from schools.access import sees_reporter

from .identity import ReporterIdentity
from .models import Case, Report

EXCERPT = 90
# How alike two reports' words must be (difflib's ratio, 0–1) to suggest a duplicate.
SIMILAR = 0.6


@dataclass(frozen=True)
class Candidate:
    case: Case
    where: str
    posted_on: Any
    excerpt: str
    person: str
    likely_duplicate: bool
    carries_flag: bool
    is_post: bool = True

    @cached_property
    def label(self) -> str:
        parts = [
            self.case.reference,
            self.where,
            (f"{'posted' if self.is_post else 'on'} {self.posted_on:%-d %b %Y}")
            if self.posted_on
            else "date not known",
            f"“{self.excerpt}”",
            f"{'posted by' if self.is_post else 'by'} {self.person}",
        ]
        if self.likely_duplicate:
            place = "group" if self.is_post else "place"
            parts.append(f"likely duplicate (same {place} and day, similar text)")
        if self.carries_flag:
            parts.append("SAFEGUARDING FLAG: merging flags this case too")
        return " — ".join(parts)


def _words(text: str) -> str:
    return " ".join(text.lower().split())


def _where(report: Report) -> str:
    if not report.is_post:
        # At the gate, on the phone, by email: how, and the place (or who received it).
        place = report.conduct_place.strip()
        return report.get_conduct_display().lower() + (f" ({place})" if place else "")
    if report.group is not None:
        return report.group.name
    return report.group_other.strip() or "no group"


def _same_place(a: Report, b: Report) -> bool:
    if a.conduct != b.conduct:
        return False
    if not a.is_post:
        return _words(a.conduct_place) == _words(b.conduct_place)
    if a.group_id or b.group_id:
        return a.group_id == b.group_id
    return _words(a.group_other) == _words(b.group_other) != ""


def similar(a: str, b: str) -> bool:
    """Whether two reports' texts are alike enough to be the same post."""
    return difflib.SequenceMatcher(None, _words(a), _words(b)).ratio() >= SIMILAR


def merge_candidates(*, case: Case, reports: list[Report], user: Any) -> list[Candidate]:
    """Describe the cases of `reports` (the candidates' reports, with their case and group)
    for merging into `case`, likely duplicates first."""
    mine = list(case.reports.select_related("group"))
    theirs: dict[int, list[Report]] = {}
    candidates: dict[int, Case] = {}
    for report in reports:
        theirs.setdefault(report.case_id, []).append(report)
        candidates[report.case_id] = report.case
    shown = sees_reporter(user, case.school)
    described = []
    for candidate in candidates.values():
        reports = sorted(theirs[candidate.pk], key=lambda r: r.received_at)
        first = reports[0]
        hidden = None if shown else ReporterIdentity.of_reports(reports, first_names=True)

        def clean(text: str, hidden: ReporterIdentity | None = hidden) -> str:
            return hidden.redact(text) if hidden else text

        content = " ".join(first.content.split())
        excerpt = content if len(content) <= EXCERPT else content[: EXCERPT - 1].rstrip() + "…"
        likely = any(
            _same_place(a, b) and a.posted_on == b.posted_on and similar(a.content, b.content)
            for a in reports
            for b in mine
        )
        described.append(
            Candidate(
                case=candidate,
                where=clean(_where(first)),
                posted_on=first.posted_on,
                excerpt=clean(excerpt),
                person=clean(first.poster_description.strip()) or "not known",
                likely_duplicate=likely,
                carries_flag=candidate.safeguarding_flag and not case.safeguarding_flag,
                is_post=first.is_post,
            )
        )
    described.sort(key=lambda c: (not c.likely_duplicate, c.case.opened_at))
    return described
