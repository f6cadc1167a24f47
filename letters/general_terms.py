"""A letter to the reporter speaks in general terms: it names neither the parent the case is
about nor the action taken about them (docs/domain.md, "Who the reporter is, for letters").

Both are found however they were typed — case, spaces, accents, HTML entities — with the
matching of `incidents.identity` (the same rules as the reporter-name guard: a surname alone
counts when it is distinctive).
"""

from __future__ import annotations

import re

from incidents.identity import Hit, ReporterIdentity, fold
from incidents.models import Case

# Words that state a sanction or a step against the other parent, as whole words of the folded
# text (lower case, no accents or apostrophes). "Action" and "steps" on their own are general.
SANCTION_WORDS = (
    r"warn(?:s|ed|ing|ings)?"
    r"|ban(?:s|ned|ning)?|bar(?:s|red|ring)?"
    r"|restrict(?:ed|ing|ion|ions)?"
    r"|police|prosecut(?:e|ed|ion)|arrest(?:ed)?|criminal|offences?"
    r"|legal|solicitors?|lawyers?|court|courts|injunction|defamation|libel|sued|sue|suing"
    r"|trespass(?:er|ing)?|excluded|exclusion|sanctions?|sanctioned|disciplinary"
)
SANCTION = re.compile(rf"(?<![a-z0-9])(?:{SANCTION_WORDS})(?![a-z0-9])")


def sanction_hits(text: str) -> list[Hit]:
    """Every word in `text` that states a sanction (in plain text)."""
    flat, where = fold(text)
    return [
        Hit("sanction", where[m.start()], where[m.end() - 1] + 1) for m in SANCTION.finditer(flat)
    ]


def other_parent(case: Case, *, recipient: str) -> ReporterIdentity:
    """The people the case is about, ready to look for in a letter to the reporter. A surname
    the reporter shares with them is not refused on its own (their full name still is)."""
    people = list(case.persons.all())
    return ReporterIdentity(
        names=[p.full_name for p in people],
        emails=[p.email for p in people],
        phones=[p.phone for p in people],
        except_names=[recipient],
    )
