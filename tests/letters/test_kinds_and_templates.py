"""The required-elements table, the default templates and the merge syntax's safety."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from letters import placeholders, services
from letters.defaults import DEFAULT_TEMPLATES
from letters.kinds import FIELDS, REQUIRED, TO_REPORTER, LetterKind, allowed_fields
from letters.models import LetterTemplate
from tests.factories import LETTER_DETAILS, LetterTemplateFactory

# The repo's own account of what each letter must contain (no file outside the repo is read).
LETTERS_MD = Path(__file__).resolve().parents[2] / "docs" / "letters.md"

# docs/letters.md, element by element, and the field(s) that carry each one.
# Written by hand from the document; the test reads the document to make sure it still says so.
DOMAIN_ELEMENTS = {
    "acknowledgement to reporter": (
        LetterKind.ACKNOWLEDGEMENT,
        {"receipt": ["incident"]},
    ),
    "reminder of the code": (LetterKind.REMINDER, {"the rule": ["rules_breached"]}),
    "invitation to meeting (senior leader / trust executive)": (
        LetterKind.MEETING_INVITATION,
        {
            "date": ["meeting_date", "meeting_time"],
            "place": ["meeting_place"],
            "attendees": ["meeting_attendees"],
            "purpose": ["meeting_purpose"],
        },
    ),
    "formal warning": (
        LetterKind.WARNING,
        {
            "the conduct and its impact": ["conduct_summary", "impact"],
            "change required": ["change_required"],
            "right to reply": ["response_deadline"],
        },
    ),
    "notice of intention to bar": (
        LetterKind.INTENTION_TO_BAR,
        {
            "reasons": ["reasons"],
            "proposed scope and duration": ["proposed_scope", "duration"],
            "representation deadline": ["representation_deadline"],
            "who decides": ["decision_maker"],
            "child arrangements": ["child_arrangements"],
        },
    ),
    "temporary bar": (
        LetterKind.TEMPORARY_BAR,
        {
            "start date": ["start_date"],
            "why immediate": ["why_immediate"],
        },
    ),
    "bar decision": (
        LetterKind.BAR_DECISION,
        {
            "representations and how weighed": ["representations_summary"],
            "reasons": ["reasons"],
            "scope": ["proposed_scope"],
            "duration/review date": ["review_date"],
        },
    ),
    "bar review / lifting": (
        LetterKind.BAR_REVIEW,
        {
            "outcome": ["review_outcome"],
            "conditions": ["conditions"],
            "next review": ["review_date"],
        },
    ),
    "contact restriction": (
        LetterKind.CONTACT_RESTRICTION,
        {"single point of contact": ["contact_point"], "review date": ["review_date"]},
    ),
    "outcome to reporter": (
        LetterKind.OUTCOME_TO_REPORTER,
        {"action taken in general terms": ["outcome_summary"]},
    ),
}
EVERY_LETTER = {
    "date": "letter_date",
    "reference": "case_reference",
    "addressee": "recipient_name",
    "delivery method": "delivery_method",
    "authorised signatory": "signatory_name",
}


def test_required_table_matches_docs_letters_md():
    text = LETTERS_MD.read_text()
    rows = re.finditer(r"^\| ([^|]+?) \| `([a-z_]+)` \| ([^|]+) \|$", text, re.MULTILINE)
    table = {m.group(1).strip(): (m.group(2), m.group(3)) for m in rows}
    assert set(table) == set(DOMAIN_ELEMENTS), "docs/letters.md and this test list other kinds"
    for row, (kind, elements) in DOMAIN_ELEMENTS.items():
        code, listed = table[row]
        assert code == kind, f"docs/letters.md row '{row}' names kind {code}, not {kind}"
        for element, fields in elements.items():
            assert element.split(" ")[0] in listed or element in listed, (row, element)
            for field in fields:
                assert field in REQUIRED[kind], f"{kind}: {element} needs [[{field}]]"
    # "as above": a temporary bar carries everything a notice of intention does.
    assert set(REQUIRED[LetterKind.INTENTION_TO_BAR]) <= set(REQUIRED[LetterKind.TEMPORARY_BAR])
    for kind in LetterKind:
        for field in EVERY_LETTER.values():
            assert field in REQUIRED[kind]
    assert set(DOMAIN_ELEMENTS_KINDS()) == set(LetterKind)


def DOMAIN_ELEMENTS_KINDS():
    return [kind for kind, _ in DOMAIN_ELEMENTS.values()]


def test_reporter_identity_is_only_a_field_for_letters_to_the_reporter():
    for kind in LetterKind:
        assert ("reporter_name" in allowed_fields(kind)) == (kind in TO_REPORTER)
    assert not any("child" in n and "name" in n for n in FIELDS)


@pytest.mark.parametrize("kind", list(LetterKind))
def test_every_default_template_is_valid(kind):
    _title, body = DEFAULT_TEMPLATES[kind]
    assert placeholders.sanitise(body) == body  # the defaults are already clean
    assert placeholders.template_errors(body, kind) == []
    # Possible offences only through the severity-dependent legal note, never in the fixed text.
    assert "[[legal_note]]" in body or kind != LetterKind.WARNING
    assert "Act 1988" not in body and "Act 2003" not in body
    assert "[[salutation]]" in body and "Yours sincerely" not in body


@pytest.mark.django_db
@pytest.mark.parametrize("kind", list(LetterKind))
def test_a_letter_cannot_be_drafted_with_a_required_element_missing(case, head, parent, kind):
    needed = [n for n in REQUIRED[kind] if FIELDS[n].entered]
    report = case.reports.first()
    if not needed:  # the acknowledgement: everything comes from the report itself
        with pytest.raises(services.LetterError, match="Choose which report"):
            services.letter_draft(
                case=case,
                kind=kind,
                actor=head,
                details={},
                delivery_method="follow_up",
                report=None,
            )
        return
    missing = needed[-1]
    details = {k: v for k, v in LETTER_DETAILS.items() if k != missing}
    with pytest.raises(services.LetterError) as error:
        services.letter_draft(
            case=case,
            kind=kind,
            actor=head,
            details=details,
            delivery_method="follow_up" if kind in TO_REPORTER else "post",
            person=parent,
            report=report,
        )
    assert FIELDS[missing].label in str(error.value)
    assert not case.letters.exists()


INJECTIONS = [
    ("{% debug %}", "template code"),
    ("{{ case.reporter.email }}", "template code"),
    ("{{7*7}}", "template code"),
    ("${7*7}", "template code"),
    ("[[case.reporter.email]]", "is not a merge field"),
    ("[[ recipient_name.__class__ ]]", "is not a merge field"),
    ("[[secret_key]]", "not a merge field we know"),
    ("[[reporter_name]]", "only be used in letters to the reporter"),
    ("[[recipient_name", "missing its closing"),
]


@pytest.mark.django_db
@pytest.mark.parametrize(("snippet", "message"), INJECTIONS)
def test_template_injection_is_refused_on_save(school, head, snippet, message):
    title, body = DEFAULT_TEMPLATES[LetterKind.WARNING]
    with pytest.raises(services.LetterError) as error:
        services.template_save(
            school=school, kind="warning", title=title, body=body + f"<p>{snippet}</p>", actor=head
        )
    assert message in str(error.value)
    assert not LetterTemplate.objects.exists()


@pytest.mark.django_db
def test_template_save_strips_scripts_and_attributes_and_versions(school, head):
    title, body = DEFAULT_TEMPLATES[LetterKind.REMINDER]
    evil = body + (
        '<script>alert(1)</script><p onclick="x()" style="color:red">Hi '
        '<a href="javascript:alert(1)">link</a><img src="file:///etc/passwd"></p>'
    )
    first = services.template_save(
        school=school, kind="reminder", title=title, body=evil, actor=head
    )
    assert "<script" not in first.body and "onclick" not in first.body
    assert "<img" not in first.body and "javascript" not in first.body
    assert "<a" not in first.body and "style" not in first.body
    second = services.template_save(
        school=school, kind="reminder", title="New title", body=body, actor=head
    )
    assert (first.version, second.version) == (1, 2)
    reset = services.template_reset(school=school, kind="reminder", actor=head)
    assert reset.version == 3 and reset.body == body


def test_merge_escapes_values_and_never_reparses_them():
    body = "<p>Dear [[recipient_name]], [[conduct_summary]]</p>"
    merged = placeholders.merge(
        body,
        {
            "recipient_name": "<script>alert(1)</script>",
            "conduct_summary": "[[reporter_name]] {{ 7*7 }}\nline two",
        },
    )
    assert "<script>" not in merged and "&lt;script&gt;" in merged
    assert "[[reporter_name]]" in merged  # left as text, never looked up
    assert "{{ 7*7 }}" in merged and "49" not in merged
    assert "line two" in merged and "<br>" in merged


@pytest.mark.django_db
def test_trust_wide_template_is_used_until_the_school_has_its_own(school, head):
    LetterTemplateFactory(
        kind="reminder",
        trust=school.trust,
        version=1,
        title="Trust reminder",
        body=DEFAULT_TEMPLATES["reminder"][1],
    )
    assert services.template_current(school=school, kind="reminder")[0] == "Trust reminder"
    services.template_save(
        school=school,
        kind="reminder",
        title="Our reminder",
        body=DEFAULT_TEMPLATES["reminder"][1],
        actor=head,
    )
    assert services.template_current(school=school, kind="reminder")[0] == "Our reminder"
